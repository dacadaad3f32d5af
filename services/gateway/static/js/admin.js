// Supervisor page: today's queues and counters live; services (quotas, opening hours,
// target wait), counters, officer accounts and the running text of the display boards.
import {
  t, applyI18n, restoreLang, bindLangToggle, onLangChange, currentLang, api, ApiError, NetworkError,
  errorText, fieldMessages, formatWait, formatTime, DisplayFeed, el, $, $$, toast, ask, supervisorSignIn,
} from "./common.js";

const state = {
  session: null, tab: "live", services: [], counters: [], display: null, adminServices: [],
  adminCounters: [], officers: [], kiosks: [], site: null, loadingLive: null,
};

// ---- session ------------------------------------------------------------------------------

const { show, showLogin, saveSession, resume } = supervisorSignIn(state, {
  onEnter: () => enterApp(), signedInOnly: ["#conn"],
});

function authed(method, path, opts = {}) {
  return api(method, path, { ...opts, token: state.session && state.session.token }).catch((err) => {
    if (err instanceof ApiError && err.status === 401) { saveSession(null); showLogin(t("counter.session.expired")); }
    if (err instanceof ApiError && err.status === 403 && method === "GET" && path.startsWith("/api/admin")) showLogin(t("admin.forbidden"));
    throw err;
  });
}

// ---- tabs ---------------------------------------------------------------------------------

function selectTab(tab) {
  state.tab = tab;
  $$("#tabs [role=tab]").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === tab)));
  $$(".tab-panel").forEach((p) => { p.hidden = p.id !== `tab-${tab}`; });
  try { sessionStorage.setItem("ptsp.admin.tab", tab); } catch (e) { /* ignore */ }
  loadTab(tab);
}
$$("#tabs [role=tab]").forEach((b) => b.addEventListener("click", () => selectTab(b.dataset.tab)));

function loadTab(tab) {
  if (tab === "live") return loadLive();
  if (tab === "services") return loadAdmin("services");
  if (tab === "counters") return loadAdmin("counters");
  if (tab === "officers") return loadAdmin("officers");
  if (tab === "kiosks") return loadAdmin("kiosks");
  if (tab === "running") return loadRunning();
}

function enterApp() {
  show("app");
  let tab = "live";
  try { tab = sessionStorage.getItem("ptsp.admin.tab") || "live"; } catch (e) { /* ignore */ }
  selectTab(tab);
}

// ---- helpers ------------------------------------------------------------------------------

const svcList = () => (state.adminServices.length ? state.adminServices : state.services);
function svc(code) { return svcList().find((s) => s.code === code) || { code, name: code, prefix: "?" }; }
function svcName(s) { return (currentLang() === "en" && s.name_en) || s.name || s.code; }
function chip(code) {
  // the colour the server gives the service: the same on the kiosk and the boards
  const colour = svc(code).colour;
  const c = el("span", { class: "svc-chip", title: svcName(svc(code)) }, svc(code).prefix || "?");
  c.style.setProperty("--svc", `var(--svc-${colour == null ? 0 : colour})`);
  return c;
}
function table(target, headers, rows) {
  target.replaceChildren(
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { class: h.num ? "num" : "" }, h.label)))),
    el("tbody", {}, ...rows));
}
function unavailable(target, err) {
  const text = err instanceof ApiError && err.status === 404 ? t("admin.unavailable", { code: err.status }) : errorText(err);
  target.replaceChildren(el("tbody", {}, el("tr", {}, el("td", {}, el("p", { class: "alert warn" }, text)))));
}
const days = () => t("admin.days.short").split(",");
function hoursText(s) { return s.opens_at && s.closes_at ? `${s.opens_at}–${s.closes_at}` : t("admin.allday"); }
function daysText(list) {
  const d = days();
  if (!list || list.length === 7) return d.length ? `${d[0]}–${d[6]}` : "";
  return list.slice().sort().map((n) => d[n - 1]).join(", ");
}

// ---- today, live ----------------------------------------------------------------------------

async function loadLive() {
  if (state.loadingLive) return state.loadingLive;
  state.loadingLive = (async () => {
    try {
      const [services, counters, admin] = await Promise.all([
        api("GET", "/api/services"), authed("GET", "/api/counters"),
        state.adminServices.length ? Promise.resolve(null) : authed("GET", "/api/admin/services").catch(() => null),
      ]);
      state.services = services.data || [];
      state.counters = counters.data || [];
      if (admin) state.adminServices = admin.data || [];
      setOnline(true);
      renderLive();
    } catch (err) {
      if (err instanceof NetworkError) setOnline(false);
    } finally {
      state.loadingLive = null;
    }
  })();
  return state.loadingLive;
}

function setOnline(online) {
  $("#offline").hidden = online;
  $("#conn").dataset.state = online ? "live" : "offline";
  $("#conn").textContent = online ? t("common.online") : "";
}

function renderLive() {
  const services = state.services;
  const waiting = services.reduce((n, s) => n + (s.waiting || 0), 0);
  const openCounters = state.counters.filter((c) => c.open).length;
  const inUse = state.counters.filter((c) => !c.retired).length;   // retired counters do not count
  const longest = services.filter((s) => s.open && s.waiting).reduce((m, s) => Math.max(m, s.estimated_wait_s || 0), 0);
  const over = services.some((s) => {
    const def = state.adminServices.find((d) => d.code === s.code);
    return def && s.waiting && s.estimated_wait_s > def.target_wait_s;
  });
  $("#kpis").replaceChildren(
    el("div", { class: "kpi" }, el("strong", { class: "num" }, String(waiting)), el("span", {}, t("admin.kpi.waiting"))),
    el("div", { class: `kpi${openCounters ? "" : " warn"}` }, el("strong", { class: "num" }, `${openCounters}/${inUse}`), el("span", {}, t("admin.kpi.counters"))),
    el("div", { class: "kpi" }, el("strong", { class: "num" }, `${services.filter((s) => s.open).length}/${services.length}`), el("span", {}, t("admin.kpi.services"))),
    el("div", { class: `kpi${over ? " bad" : ""}` }, el("strong", { class: "num" }, longest ? formatWait(longest) : "—"), el("span", {}, t("admin.kpi.longest"))));

  table($("#live-services"), [
    { label: t("admin.col.service") }, { label: t("admin.col.open") }, { label: t("admin.col.waiting"), num: true },
    { label: t("admin.col.wait"), num: true }, { label: t("admin.col.target"), num: true },
  ], services.map((s) => {
    const def = state.adminServices.find((d) => d.code === s.code);
    const target = def ? def.target_wait_s : null;
    const reason = s.closed_reason ? (s.closed_reason[currentLang()] || s.closed_reason.id) : "";
    return el("tr", { dataset: { service: s.code } },
      el("td", {}, el("span", { class: "svc-cell" }, chip(s.code), svcName(s))),
      el("td", {}, s.open ? el("span", { class: "badge ok" }, t("counter.is.open")) : el("span", { class: "badge bad", title: reason }, reason || t("kiosk.closed")),
        s.open && s.open_counters === 0 ? el("span", { class: "badge warn no-counter" }, t("admin.live.no.counter")) : null),
      el("td", { class: "num" }, String(s.waiting ?? 0)),
      el("td", { class: `num${target && s.waiting && s.estimated_wait_s > target ? " over" : ""}` }, s.waiting ? formatWait(s.estimated_wait_s) : "—"),
      el("td", { class: "num" }, target ? String(Math.round(target / 60)) : "—"));
  }));

  table($("#live-counters"), [
    { label: t("admin.col.counter") }, { label: t("admin.col.open") }, { label: t("admin.col.officer") },
    { label: t("admin.col.services") }, { label: t("admin.col.current") }, { label: "" },
  ], state.counters.map((c) => el("tr", { dataset: { counter: c.counter } },
    el("td", {}, el("strong", {}, c.name || t("common.counter.n", { n: c.counter }))),
    el("td", {}, c.retired ? el("span", { class: "badge" }, t("counter.is.retired"))
      : c.open ? el("span", { class: "badge ok" }, t("counter.is.open")) : el("span", { class: "badge" }, t("counter.is.closed"))),
    el("td", {}, c.opened_by || "—"),
    el("td", {}, el("span", { class: "chips" }, ...((c.open ? c.open_services : c.services) || []).map(chip))),
    el("td", {}, c.current ? el("span", {}, el("strong", { class: "num" }, c.current.number), " ", el("span", { class: `badge ${c.current.status === "serving" ? "ok" : "warn"}` }, t(`status.${c.current.status}`))) : "—"),
    el("td", { class: "row-actions" }, ...(c.open && c.opened_by !== (state.session && state.session.username) ? [
      el("button", { class: "btn secondary", type: "button", dataset: { act: "take-over" }, onclick: () => superviseCounter(c, "take-over") }, t("admin.counter.takeover")),
      c.current && c.current.status === "called"
        ? el("button", { class: "btn secondary", type: "button", dataset: { act: "free" }, onclick: () => superviseCounter(c, "free") }, t("admin.counter.free"))
        : el("button", { class: "btn secondary", type: "button", dataset: { act: "close" }, onclick: () => superviseCounter(c, "close") }, t("admin.counter.close")),
    ] : [])))));
  renderRecent();
}

function renderRecent() {
  const d = state.display;
  const recent = (d && d.recent) || [];
  const tz = d && d.timezone;
  $("#live-recent").replaceChildren(...(recent.length ? recent.slice(0, 10).map((r) => el("li", {},
    el("span", { class: "num" }, r.number), el("span", {}, `→ ${t("common.counter.n", { n: r.counter })}${r.kind === "recall" ? " ↻" : ""}`),
    el("span", { class: "time num" }, formatTime(r.called_at, tz)))) : [el("li", {}, "—")]));
}

// ---- services ---------------------------------------------------------------------------------

async function loadAdmin(kind) {
  const target = $(`#${kind}-table`);
  try {
    if (kind !== "services" && !state.adminServices.length) {
      state.adminServices = (await authed("GET", "/api/admin/services")).data || [];
    }
    const { data } = await authed("GET", `/api/admin/${kind}`);
    if (kind === "services") { state.adminServices = data || []; renderServices(); }
    if (kind === "counters") { state.adminCounters = data || []; renderCounters(); }
    if (kind === "officers") { state.officers = data || []; renderOfficers(); }
    if (kind === "kiosks") { state.kiosks = data || []; renderKiosks(); }
  } catch (err) {
    unavailable(target, err);
  }
}

function renderServices() {
  table($("#services-table"), [
    { label: t("admin.col.prefix") }, { label: t("admin.col.name") }, { label: t("admin.col.quota"), num: true },
    { label: t("admin.col.hours") }, { label: t("admin.col.days") }, { label: t("admin.col.target"), num: true },
    { label: t("admin.col.active") }, { label: "" },
  ], state.adminServices.map((s) => el("tr", { class: s.active ? "" : "inactive", dataset: { service: s.code } },
    el("td", {}, chip(s.code)),
    el("td", {}, el("strong", {}, s.name), el("br"), el("small", {}, `${s.code} · ${s.name_en || ""}`)),
    el("td", { class: "num" }, s.daily_quota == null ? t("admin.unlimited") : String(s.daily_quota)),
    el("td", {}, hoursText(s)),
    el("td", {}, daysText(s.open_days)),
    el("td", { class: "num" }, String(Math.round((s.target_wait_s || 0) / 60))),
    el("td", {}, s.active ? el("span", { class: "badge ok" }, t("common.yes")) : el("span", { class: "badge" }, t("admin.inactive"))),
    el("td", {}, el("button", { class: "btn secondary", type: "button", onclick: () => editService(s) }, t("admin.edit"))))));
}

function editService(s) {
  const isNew = !s;
  s = s || { code: "", prefix: "", name: "", name_en: "", daily_quota: null, opens_at: null, closes_at: null, open_days: [1, 2, 3, 4, 5, 6, 7], target_wait_s: 1800, default_service_s: 600, active: true };
  formDialog({
    title: isNew ? t("admin.add.service") : `${t("admin.edit.service")} ${s.code}`,
    fields: [
      { name: "code", label: t("admin.col.code"), value: s.code, disabled: !isNew, required: true },
      { name: "prefix", label: t("admin.col.prefix"), value: s.prefix, required: true, maxlength: 2 },
      { name: "name", label: t("admin.col.name"), value: s.name, required: true },
      { name: "name_en", label: t("admin.col.name_en"), value: s.name_en },
      { name: "daily_quota", label: t("admin.col.quota"), type: "number", value: s.daily_quota ?? "", min: 1, placeholder: t("admin.unlimited") },
      { name: "target_wait_min", label: t("admin.col.target"), type: "number", value: Math.round((s.target_wait_s || 0) / 60), min: 1 },
      { name: "opens_at", label: t("admin.opens_at"), type: "time", value: s.opens_at || "" },
      { name: "closes_at", label: t("admin.closes_at"), type: "time", value: s.closes_at || "" },
      { name: "default_service_min", label: t("admin.default_service"), type: "number", value: Math.round((s.default_service_s || 600) / 60), min: 1 },
      { name: "active", label: t("admin.col.active"), type: "checkbox", value: s.active },
      { name: "open_days", label: t("admin.col.days"), type: "days", value: s.open_days || [], wide: true },
    ],
    submit: async (v) => {
      const body = {
        prefix: v.prefix.trim().toUpperCase(), name: v.name.trim(), name_en: v.name_en.trim() || v.name.trim(),
        daily_quota: v.daily_quota === "" ? null : Number(v.daily_quota),
        opens_at: v.opens_at || null, closes_at: v.closes_at || null, open_days: v.open_days,
        target_wait_s: Number(v.target_wait_min) * 60, default_service_s: Number(v.default_service_min) * 60, active: v.active,
      };
      if (isNew) await authed("POST", "/api/admin/services", { body: { code: v.code.trim().toUpperCase(), ...body } });
      else await authed("PUT", `/api/admin/services/${encodeURIComponent(s.code)}`, { body });
      state.adminServices = [];
      await loadAdmin("services");
    },
    fieldMap: { target_wait_s: "target_wait_min", default_service_s: "default_service_min" },
  });
}
$("#add-service").addEventListener("click", () => editService(null));

// ---- counters -----------------------------------------------------------------------------------

function renderCounters() {
  table($("#counters-table"), [
    { label: t("admin.col.number") }, { label: t("admin.col.name") }, { label: t("admin.col.services") },
    { label: t("admin.col.open") }, { label: "" },
  ], state.adminCounters.map((c) => el("tr", { dataset: { counter: c.counter } },
    el("td", {}, el("strong", { class: "num" }, String(c.counter))),
    el("td", {}, c.name),
    el("td", {}, el("span", { class: "chips" }, ...(c.services || []).map(chip))),
    el("td", {}, c.retired ? el("span", { class: "badge" }, t("counter.is.retired"))
      : c.open ? el("span", { class: "badge ok" }, t("counter.is.open")) : el("span", { class: "badge" }, t("counter.is.closed"))),
    el("td", { class: "row-actions" }, el("button", { class: "btn secondary", type: "button", onclick: () => editCounter(c) }, t("admin.edit")),
      c.open ? "" : el("button", { class: "btn secondary", type: "button", dataset: { act: c.retired ? "reinstate" : "retire" },
        onclick: () => superviseCounter(c, c.retired ? "reinstate" : "retire") }, t(c.retired ? "admin.counter.reinstate" : "admin.counter.retire"))))));
}

function editCounter(c) {
  const isNew = !c;
  c = c || { counter: (state.adminCounters.reduce((m, x) => Math.max(m, x.counter), 0) + 1), name: "", services: [] };
  formDialog({
    title: isNew ? t("admin.add.counter") : `${t("admin.edit.counter")} ${c.counter}`,
    fields: [
      { name: "number", label: t("admin.col.number"), type: "number", value: c.counter, disabled: !isNew, min: 1 },
      { name: "name", label: t("admin.col.name"), value: c.name || t("common.counter.n", { n: c.counter }), required: true },
      { name: "services", label: t("admin.col.services"), type: "services", value: c.services || [], wide: true },
    ],
    submit: async (v) => {
      if (isNew) await authed("POST", "/api/admin/counters", { body: { number: Number(v.number), name: v.name.trim(), services: v.services } });
      else await authed("PUT", `/api/admin/counters/${c.counter}`, { body: { name: v.name.trim(), services: v.services } });
      await loadAdmin("counters");
    },
  });
}
$("#add-counter").addEventListener("click", () => editCounter(null));

// ---- officers ---------------------------------------------------------------------------------------

function renderOfficers() {
  table($("#officers-table"), [
    { label: t("admin.col.username") }, { label: t("admin.col.full_name") }, { label: t("admin.col.role") },
    { label: t("admin.col.active") }, { label: "" },
  ], state.officers.map((o) => el("tr", { class: o.active ? "" : "inactive", dataset: { officer: o.username } },
    el("td", {}, el("strong", {}, o.username)),
    el("td", {}, o.full_name || "—"),
    el("td", {}, el("span", { class: `badge${o.role === "officer" ? "" : " info"}` }, t(`admin.role.${o.role}`))),
    el("td", {}, o.active ? el("span", { class: "badge ok" }, t("common.yes")) : el("span", { class: "badge" }, t("admin.inactive"))),
    el("td", {}, el("button", { class: "btn secondary", type: "button", onclick: () => editOfficer(o) }, t("admin.edit"))))));
}

function editOfficer(o) {
  const isNew = !o;
  o = o || { username: "", full_name: "", role: "officer", active: true };
  const roles = ["officer", "supervisor", "admin"].map((r) => ({ value: r, label: t(`admin.role.${r}`) }));
  formDialog({
    title: isNew ? t("admin.add.officer") : `${t("admin.edit.officer")} ${o.username}`,
    fields: [
      { name: "username", label: t("admin.col.username"), value: o.username, disabled: !isNew, required: true, autocomplete: "off" },
      { name: "full_name", label: t("admin.col.full_name"), value: o.full_name || "" },
      { name: "role", label: t("admin.col.role"), type: "select", value: o.role, options: roles },
      { name: "password", label: t("admin.col.password"), type: "password", value: "", required: isNew, placeholder: isNew ? "" : t("admin.password.keep"), autocomplete: "new-password" },
      { name: "active", label: t("admin.col.active"), type: "checkbox", value: o.active },
    ],
    submit: async (v) => {
      const body = { full_name: v.full_name.trim(), role: v.role };
      if (v.password) body.password = v.password;
      if (isNew) await authed("POST", "/api/admin/officers", { body: { username: v.username.trim().toLowerCase(), ...body } });
      else await authed("PUT", `/api/admin/officers/${encodeURIComponent(o.username)}`, { body: { ...body, active: v.active } });
      await loadAdmin("officers");
    },
  });
}
$("#add-officer").addEventListener("click", () => editOfficer(null));

// A supervisor takes over or closes a counter someone else holds (e.g. an officer who
// has been deactivated); the journal names the supervisor.
// Free: a ticket stuck in "called" there waits again at its place, and the counter
// closes. Retire: a closed counter leaves use (and the "counters open" count).
const SUPERVISE = {
  "take-over": { title: "admin.counter.takeover", confirm: "admin.counter.takeover.confirm", done: "admin.counter.taken", path: "/api/counters/{n}/take-over" },
  close: { title: "admin.counter.close", confirm: "admin.counter.close.confirm", done: "admin.counter.closed", path: "/api/counters/{n}/close" },
  free: { title: "admin.counter.free", confirm: "admin.counter.free.confirm", done: "admin.counter.freed", path: "/api/admin/counters/{n}/free" },
  retire: { title: "admin.counter.retire", confirm: "admin.counter.retire.confirm", done: "admin.counter.retired", path: "/api/admin/counters/{n}/retire" },
  reinstate: { title: "admin.counter.reinstate", confirm: "admin.counter.reinstate.confirm", done: "admin.counter.reinstated", path: "/api/admin/counters/{n}/reinstate" },
};
async function superviseCounter(c, action) {
  const how = SUPERVISE[action];
  const ok = await ask({
    title: t(how.title),
    text: t(how.confirm, { n: c.counter, who: c.opened_by || "—", ticket: c.current ? c.current.number : "—" }),
    buttons: [{ label: t("common.cancel"), value: false, class: "secondary", focus: true }, { label: t("common.ok"), value: true }],
  });
  if (!ok) return;
  try {
    await authed("POST", how.path.replace("{n}", c.counter));
    toast(t(how.done, { n: c.counter, ticket: c.current ? c.current.number : "—" }), "ok");
  } catch (err) {
    toast(errorText(err), "bad", 6000);
  }
  loadLive();
  if (action === "retire" || action === "reinstate") loadAdmin("counters");
}

// ---- kiosks ------------------------------------------------------------------------------------------

function renderKiosks() {
  table($("#kiosks-table"), [
    { label: t("admin.col.kiosk") }, { label: t("admin.col.registered_by") }, { label: t("admin.col.active") }, { label: "" },
  ], state.kiosks.map((k) => el("tr", { class: k.active ? "" : "inactive", dataset: { kiosk: k.name } },
    el("td", {}, el("strong", {}, k.name)),
    el("td", {}, `${k.created_by} · ${formatTime(k.created_at)}`),
    el("td", {}, k.active ? el("span", { class: "badge ok" }, t("common.yes")) : el("span", { class: "badge" }, t("admin.kiosk.revoked"))),
    el("td", {}, k.active ? el("button", { class: "btn secondary", type: "button", onclick: () => revokeKiosk(k) }, t("admin.kiosk.revoke")) : ""))));
}

function registerKiosk() {
  formDialog({
    title: t("admin.add.kiosk"),
    fields: [{ name: "name", label: t("admin.col.kiosk"), value: "", required: true, maxlength: 40, autocomplete: "off" }],
    submit: async (v) => {
      const { data } = await authed("POST", "/api/admin/kiosks", { body: { name: v.name.trim() } });
      await loadAdmin("kiosks");
      // the key is shown this once: the kiosk keeps it after opening the URL
      const url = el("input", { class: "input", id: "kiosk-url", readonly: true, value: data.kiosk_url });
      setTimeout(() => url.select(), 0);
      ask({ title: `${t("admin.kiosk.registered")} ${data.name}`, text: t("admin.kiosk.url.once"), body: url,
        buttons: [{ label: t("common.ok"), value: true }] });
    },
  });
}
$("#add-kiosk").addEventListener("click", registerKiosk);

async function revokeKiosk(k) {
  const ok = await ask({ title: t("admin.kiosk.revoke"), text: t("admin.kiosk.revoke.confirm", { name: k.name }),
    buttons: [{ label: t("common.cancel"), value: false, class: "secondary" }, { label: t("admin.kiosk.revoke"), value: true, class: "danger" }] });
  if (!ok) return;
  try {
    await authed("POST", `/api/admin/kiosks/${k.id}/revoke`);
  } catch (err) {
    toast(errorText(err), "bad");
  }
  loadAdmin("kiosks");
}

// ---- running text ------------------------------------------------------------------------------------

async function loadRunning() {
  try {
    const { data } = await api("GET", "/api/site");
    state.site = data;
    $("#running-text").value = data.running_text || "";
    updateRunningPreview();
  } catch (err) {
    $("#running-error").textContent = errorText(err);
  }
}
function updateRunningPreview() {
  const v = $("#running-text").value;
  $("#running-count").textContent = String(v.length);
  $("#running-preview").textContent = v || t("display.welcome");
}
$("#running-text").addEventListener("input", updateRunningPreview);
$("#running-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("#running-error").textContent = "";
  try {
    await authed("PUT", "/api/admin/running-text", { body: { text: $("#running-text").value.trim() } });
    toast(t("common.saved"), "ok");
  } catch (err) {
    $("#running-error").textContent = errorText(err);
  }
});

// ---- a form in a dialog -----------------------------------------------------------------------------

function formDialog({ title, fields, submit, fieldMap = {} }) {
  const dlg = el("dialog", { class: "modal wide" });
  const form = el("form", { class: "modal-body", novalidate: true });
  const grid = el("div", { class: "form-grid" });
  const errors = {};
  const inputs = {};
  for (const f of fields) {
    let control;
    if (f.type === "checkbox") {
      control = el("input", { type: "checkbox", name: f.name, checked: !!f.value });
      grid.append(el("label", { class: "field" }, el("span", {}, f.label), el("span", {}, control)));
    } else if (f.type === "select") {
      control = el("select", { class: "input", name: f.name }, ...f.options.map((o) => el("option", { value: o.value, selected: o.value === f.value }, o.label)));
      grid.append(el("label", { class: "field" }, el("span", {}, f.label), control));
    } else if (f.type === "days" || f.type === "services") {
      const options = f.type === "days"
        ? days().map((d, i) => ({ value: i + 1, label: d }))
        : svcList().map((s) => ({ value: s.code, label: `${s.prefix} · ${svcName(s)}` }));
      control = el("div", { class: "checks", dataset: { name: f.name } }, ...options.map((o) => el("label", {},
        el("input", { type: "checkbox", value: o.value, checked: f.value.map(String).includes(String(o.value)) }), o.label)));
      grid.append(el("div", { class: `field${f.wide ? " wide" : ""}` }, el("span", { class: "field-label" }, f.label), control));
    } else {
      control = el("input", {
        class: "input", name: f.name, type: f.type || "text", value: f.value ?? "", disabled: f.disabled,
        required: f.required, min: f.min, maxlength: f.maxlength, placeholder: f.placeholder, autocomplete: f.autocomplete,
      });
      grid.append(el("label", { class: `field${f.wide ? " wide" : ""}` }, el("span", {}, f.label), control));
    }
    inputs[f.name] = { f, control };
    errors[f.name] = el("span", { class: "field-error" });
    control.closest(".field").append(errors[f.name]);
  }
  const general = el("p", { class: "field-error", role: "alert" });
  const save = el("button", { class: "btn", type: "submit" }, t("common.save"));
  const cancel = el("button", { class: "btn secondary", type: "button", onclick: () => { dlg.close(); dlg.remove(); } }, t("common.cancel"));
  form.append(el("h2", {}, title), grid, general, el("div", { class: "modal-actions" }, cancel, save));
  dlg.append(form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    Object.values(errors).forEach((x) => { x.textContent = ""; });
    general.textContent = "";
    const values = {};
    for (const [name, { f, control }] of Object.entries(inputs)) {
      if (f.type === "checkbox") values[name] = control.checked;
      else if (f.type === "days") values[name] = $$("input:checked", control).map((i) => Number(i.value));
      else if (f.type === "services") values[name] = $$("input:checked", control).map((i) => i.value);
      else values[name] = control.value;
      if (f.required && !f.disabled && (values[name] === "" || values[name] == null)) { errors[name].textContent = t("kiosk.field.invalid"); }
    }
    if (Object.values(errors).some((x) => x.textContent)) return;
    save.disabled = true;
    try {
      await submit(values);
      dlg.close(); dlg.remove();
      toast(t("common.saved"), "ok");
    } catch (err) {
      general.textContent = errorText(err);
      if (err instanceof ApiError) {
        for (const [field, msg] of Object.entries(fieldMessages(err))) {
          const name = fieldMap[field] || field;
          if (errors[name]) errors[name].textContent = String(msg);
        }
      }
    } finally {
      save.disabled = false;
    }
  });
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  const first = form.querySelector("input:not([disabled]), select");
  if (first) first.focus();
}

// ---- start ----------------------------------------------------------------------------------------------

(function init() {
  restoreLang();
  applyI18n();
  bindLangToggle($("#lang"));
  onLangChange(() => { show(state.session ? "app" : "login"); loadTab(state.tab); });
  api("GET", "/api/site").then(({ data }) => { state.site = data; $("#site-name").textContent = data.name || ""; }).catch(() => {});
  let debounce = null;
  new DisplayFeed({
    onState: (s) => {
      state.display = s;
      if (state.tab === "live" && state.session) { clearTimeout(debounce); debounce = setTimeout(loadLive, 250); }
    },
    onStatus: (s) => { if (s === "offline") setOnline(false); },
  }).start();
  setInterval(() => { if (state.tab === "live" && state.session) loadLive(); }, 15000);
  if (resume()) enterApp();
})();
