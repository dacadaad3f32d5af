// Counter console: sign in, open a counter for some services, then call, recall, start,
// no-show, complete and transfer with buttons or keys. Survives a reload (the session
// and the chosen counter are kept in localStorage) and a dropped connection (it keeps
// polling and shows it). Two tabs on one counter never act at once: a Web Lock per
// counter serialises actions across tabs, a BroadcastChannel tells the other tabs to
// refresh, buttons are disabled while a request is in flight, and the server's 409s
// settle the rest.
import {
  t, applyI18n, restoreLang, bindLangToggle, onLangChange, currentLang, api, ApiError, NetworkError,
  errorText, formatDuration, DisplayFeed, el, $, $$, toast, ask, loadOfficerSession, storeOfficerSession,
} from "./common.js";

const COUNTER_KEY = "ptsp.counter.number";
const POLL_MS = 5000;

const state = {
  session: null, counters: [], services: [], counter: null, detail: null, fetchedAt: 0,
  busy: false, online: true, view: null, chosen: null, appTicket: null, application: null, undoUntil: 0,
};

// ---- session ----------------------------------------------------------------------------

const loadSession = loadOfficerSession;
function saveSession(s) {
  state.session = s;
  storeOfficerSession(s);
}
const token = () => state.session && state.session.token;

function signOut(note) {
  // end the session on the server too (nothing to end when it already has: a 401)
  if (token() && !note) api("POST", "/api/auth/logout", { token: token() }).catch(() => {});
  saveSession(null);
  state.counter = null;
  try { localStorage.removeItem(COUNTER_KEY); } catch (e) { /* ignore */ }
  channel.post({ type: "signout" });
  showLogin(note);
}

function authed(method, path, opts = {}) {
  return api(method, path, { ...opts, token: token() }).catch((err) => {
    if (err instanceof ApiError && err.status === 401) {
      signOut(t("counter.session.expired"));
    }
    throw err;
  });
}

// ---- views ------------------------------------------------------------------------------

function show(view) {
  state.view = view;
  for (const v of $$(".view")) v.hidden = v.id !== `view-${view}`;
  const signedIn = !!state.session;
  $("#signout").hidden = !signedIn;
  $("#who").hidden = !signedIn;
  $("#conn").hidden = view !== "console";
  if (signedIn) $("#who").textContent = state.session.username;
  document.body.dataset.view = view;
}

function showLogin(note) {
  show("login");
  $("#login-note").hidden = !note;
  $("#login-note").textContent = note || "";
  $("#password").value = "";
  $("#username").focus();
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const username = $("#username").value.trim();
  const password = $("#password").value;
  const error = $("#login-error");
  error.textContent = "";
  if (!username || !password) { error.textContent = t("kiosk.field.invalid"); return; }
  const btn = $("#login-submit");
  btn.disabled = true;
  try {
    const { data } = await api("POST", "/api/auth/login", { body: { username, password } });
    saveSession({ token: data.token, role: data.role, expires_at: data.expires_at, username: data.username || username });
    channel.post({ type: "signin" });
    await enterSetup();
  } catch (err) {
    error.textContent = errorText(err);
  } finally {
    btn.disabled = false;
  }
});

$("#signout").addEventListener("click", () => signOut());

// ---- setup: choose a counter --------------------------------------------------------------

async function loadCatalog() {
  const [counters, services] = await Promise.all([
    authed("GET", "/api/counters"), api("GET", "/api/services"),
  ]);
  state.counters = counters.data || [];
  state.services = services.data || [];
}

function serviceByCode(code) { return state.services.find((s) => s.code === code) || { code, name: code, prefix: "?" }; }
function svcName(code) { const s = serviceByCode(code); return (currentLang() === "en" && s.name_en) || s.name || code; }
function svcColor(code) { const s = state.services.find((x) => x.code === code); return `var(--svc-${s && s.colour != null ? s.colour : 0})`; }
function chip(code) {
  const c = el("span", { class: "svc-chip" }, serviceByCode(code).prefix || "?");
  c.style.setProperty("--svc", svcColor(code));
  return c;
}

async function enterSetup() {
  try {
    await loadCatalog();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    toast(errorText(err), "bad");
    setTimeout(enterSetup, 3000);
    return;
  }
  let remembered = null;
  try { remembered = Number(localStorage.getItem(COUNTER_KEY)) || null; } catch (e) { /* ignore */ }
  const mine = state.counters.find((c) => c.open && c.opened_by === state.session.username &&
    (remembered === null || c.counter === remembered));
  if (mine) { enterConsole(mine.counter); return; }
  renderCounterGrid(remembered);
  show("setup");
}

function renderCounterGrid(preselect) {
  const grid = $("#counter-grid");
  grid.replaceChildren(...state.counters.map((c) => {
    const taken = (c.open && c.opened_by && c.opened_by !== state.session.username) || c.retired;
    const btn = el("button", {
      type: "button", role: "radio", class: `counter-opt${taken ? " taken" : ""}`,
      "aria-checked": "false", dataset: { counter: c.counter }, disabled: taken,
      onclick: () => chooseCounter(c.counter),
    },
    el("strong", {}, c.name || t("common.counter.n", { n: c.counter })),
    el("span", { class: "meta" }, (c.services || []).map(svcName).join(" · ")),
    el("span", {}, c.retired ? el("span", { class: "badge" }, t("counter.is.retired")) : c.open
      ? el("span", { class: "badge ok" }, t("counter.open.by", { who: c.opened_by || "—" }))
      : el("span", { class: "badge" }, t("counter.is.closed"))));
    return btn;
  }));
  if (preselect && state.counters.some((c) => c.counter === preselect && !c.retired && !(c.open && c.opened_by !== state.session.username))) chooseCounter(preselect);
  else $("#open-form").hidden = true;
}

function chooseCounter(n) {
  state.chosen = n;
  $$(".counter-opt").forEach((b) => b.setAttribute("aria-checked", String(Number(b.dataset.counter) === n)));
  const c = state.counters.find((x) => x.counter === n);
  $("#open-counter-name").textContent = c.name || t("common.counter.n", { n });
  const previous = c.open ? c.open_services || [] : null;
  $("#svc-checks").replaceChildren(...(c.services || []).map((code) => el("label", { class: "svc-check" },
    el("input", { type: "checkbox", name: "service", value: code, checked: previous ? previous.includes(code) : true }),
    chip(code), el("span", {}, svcName(code)))));
  $("#open-error").textContent = "";
  $("#open-form").hidden = false;
}

$("#open-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const services = $$("#svc-checks input:checked").map((i) => i.value);
  if (!services.length) { $("#open-error").textContent = t("counter.pick.service"); return; }
  const btn = $("#open-submit");
  btn.disabled = true;
  try {
    await authed("POST", `/api/counters/${state.chosen}/open`, { body: { services } });
    channel.post({ type: "changed", counter: state.chosen });
    enterConsole(state.chosen);
  } catch (err) {
    $("#open-error").textContent = errorText(err);
  } finally {
    btn.disabled = false;
  }
});

// ---- console ---------------------------------------------------------------------------------

function enterConsole(n) {
  state.counter = n;
  try { localStorage.setItem(COUNTER_KEY, String(n)); } catch (e) { /* ignore */ }
  channel.join(n);
  show("console");
  render();
  // keyboard shortcuts act on the console: move focus off the (now hidden) forms
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  refresh().then(() => { const next = $("[data-action='call-next']"); if (next && !next.disabled) next.focus({ preventScroll: true }); });
}

let refreshing = null;
let pollTimer = null;
async function refresh() {
  if (!state.counter || !state.session) return;
  if (refreshing) return refreshing;
  clearTimeout(pollTimer);
  refreshing = (async () => {
    try {
      const { data } = await authed("GET", `/api/counters/${state.counter}`, { timeout: 6000 });
      state.detail = data;
      state.fetchedAt = Date.now();
      setOnline(true);
      if (!data.open || (data.opened_by && data.opened_by !== state.session.username)) {
        // closed here, in another tab, or taken over: back to choosing
        state.counter = null;
        try { localStorage.removeItem(COUNTER_KEY); } catch (e) { /* ignore */ }
        if (data.opened_by && data.opened_by !== state.session.username) toast(t("counter.open.by", { who: data.opened_by }));
        await enterSetup();
        return;
      }
      render();
    } catch (err) {
      if (err instanceof NetworkError) setOnline(false);
    } finally {
      refreshing = null;
      if (state.counter) pollTimer = setTimeout(refresh, state.online ? POLL_MS : 2000);
    }
  })();
  return refreshing;
}

function setOnline(online) {
  state.online = online;
  $("#offline").hidden = online;
  const conn = $("#conn");
  conn.dataset.state = online ? "live" : "offline";
  conn.textContent = online ? t("common.online") : "";
  updateButtons();
}

function render() {
  const d = state.detail;
  if (!d || d.counter !== state.counter) {
    $("#console-title").textContent = t("common.counter.n", { n: state.counter });
    return;
  }
  $("#console-title").textContent = d.name || t("common.counter.n", { n: d.counter });
  $("#open-svcs").replaceChildren(...(d.open_services || []).map((code) => el("span", { class: "badge" }, chip(code), svcName(code))));
  const cur = d.current;
  const card = $("#current");
  card.dataset.status = cur ? cur.status : "none";
  $("#cur-empty").hidden = !!cur;
  $("#cur-body").hidden = !cur;
  $("#cur-status").replaceChildren(cur ? el("span", { class: `badge ${cur.status === "serving" ? "ok" : "warn"}` }, t(`status.${cur.status}`)) : "");
  if (cur) {
    $("#cur-number").textContent = cur.number;
    const c = $("#cur-chip");
    c.textContent = serviceByCode(cur.service).prefix || (cur.number || "?")[0];
    c.style.setProperty("--svc", svcColor(cur.service));
    $("#cur-service").textContent = (currentLang() === "en" && cur.service_name_en) || cur.service_name || svcName(cur.service);
    $("#cur-prio").replaceChildren(cur.priority && cur.priority !== "regular" ? el("span", { class: "badge gold" }, t(`priority.${cur.priority}`)) : "");
    $("#cur-recalls").textContent = d.max_recalls
      ? t("counter.recalls.of", { n: cur.recall_count || 0, max: d.max_recalls }) : String(cur.recall_count || 0);
  }
  renderUndo(d);
  loadApplication(cur);
  tickTimes();
  renderQueues(d);
  updateButtons();
}

// ---- the application behind the current ticket (documents service) ---------------------------

function loadApplication(cur) {
  const id = cur ? cur.id : null;
  if (id === state.appTicket) return;
  state.appTicket = id;
  state.application = null;
  renderApplication();
  if (!id) return;
  authed("GET", `/api/counters/${state.counter}/application`, { timeout: 6000 }).then(({ data }) => {
    if (state.appTicket === id) { state.application = data; renderApplication(); }
  }).catch(() => { /* 404: a ticket of no application */ });
}

function renderApplication() {
  const box = $("#cur-app");
  const a = state.application;
  box.hidden = !a;
  if (!a) { box.replaceChildren(); return; }
  const en = currentLang() === "en";
  const step = a.current_step;
  box.replaceChildren(
    el("div", { class: "app-type" }, (en ? a.type_name_en : a.type_name) || a.type, " · ", a.tracking_code),
    el("div", { class: "app-step", id: "cur-app-step" }, t("counter.app.step"), ": ", step ? (en ? step.name_en : step.name) : "—"),
    el("div", { class: "app-who" }, a.applicant ? a.applicant.name : ""));
}

async function outcomeDetails(outcome, app) {
  // What the step's outcome needs: a reason for a failure, the missing documents,
  // the payment reference at the payment step.
  const step = app.current_step || {};
  let field;
  if (outcome === "failed") {
    field = el("textarea", { id: "outcome-note", rows: 3, maxlength: 500, required: true });
  } else if (outcome === "incomplete") {
    field = el("div", { id: "outcome-missing" }, ...app.required_documents.map((d) => el("label", { class: "check" },
      el("input", { type: "checkbox", value: d.code }), " ", currentLang() === "en" ? d.name_en : d.name)));
  } else if (step.records_payment) {
    field = el("input", { id: "outcome-payment", type: "text", maxlength: 60, required: true });
  } else {
    return {};
  }
  const label = { failed: "counter.outcome.reason", incomplete: "counter.outcome.missing" }[outcome] || "counter.outcome.payment";
  const ok = await ask({ title: t(label), text: "", body: field,
    buttons: [{ label: t("counter.outcome.save"), value: true, class: "ok" }, { label: t("common.cancel"), value: false, class: "ghost" }] });
  if (!ok) return null;
  if (outcome === "failed") return { note: field.value.trim() };
  if (outcome === "incomplete") return { missing: [...field.querySelectorAll("input:checked")].map((i) => i.value) };
  return { payment_reference: field.value.trim() };
}

function tickTimes() {
  const d = state.detail;
  const cur = d && d.current;
  if (!cur) return;
  const since = (Date.now() - state.fetchedAt) / 1000;
  const waited = cur.waited_s ?? d.waited_s;
  const served = cur.served_s ?? d.served_s;
  $("#cur-waited").textContent = formatDuration(waited == null ? null : cur.status === "waiting" ? waited + since : waited);
  $("#cur-served").textContent = cur.status === "serving" ? formatDuration((served || 0) + since) : "—";
}

function renderQueues(d) {
  const queues = d.queues || {};
  const codes = Object.keys(queues);
  const box = $("#queues");
  if (!codes.length) { box.replaceChildren(el("p", { class: "q-empty" }, t("counter.empty"))); return; }
  const since = (Date.now() - state.fetchedAt) / 1000;
  box.replaceChildren(...codes.map((code) => {
    const list = queues[code] || [];
    return el("section", { class: "q-svc", dataset: { service: code } },
      el("h3", {}, chip(code), el("span", {}, svcName(code)), el("span", { class: "badge info count" }, t("common.waiting.count", { n: list.length }))),
      list.length
        ? el("ol", { class: "q-list" }, ...list.slice(0, 30).map((q) => el("li", {},
          el("span", { class: "num" }, q.number),
          el("span", {}, q.priority && q.priority !== "regular" ? el("span", { class: "badge gold" }, t(`priority.${q.priority}`)) : ""),
          el("span", { class: "w num", dataset: { waited: q.waited_s || 0 } }, formatDuration((q.waited_s || 0) + since)))))
        : el("p", { class: "q-empty" }, t("counter.empty")));
  }));
}

function allowed(action) {
  const d = state.detail;
  if (!d || !d.open) return false;
  const cur = d.current;
  const status = cur ? cur.status : null;
  switch (action) {
    case "call-next": return !cur || !["called", "serving"].includes(status);
    case "recall": return status === "called";
    case "start": return status === "called";
    case "no-show": return status === "called";
    case "complete": return status === "serving" || status === "called";
    case "transfer": return status === "serving" || status === "called";
    default: return false;
  }
}

function updateButtons() {
  const box = $("#actions");
  box.setAttribute("aria-busy", String(state.busy));
  $$("#actions .btn").forEach((b) => { b.disabled = state.busy || !allowed(b.dataset.action); });
  $("#close-counter").disabled = state.busy;
}

// ---- actions -------------------------------------------------------------------------------------

function message(text, bad = false) {
  const m = $("#act-msg");
  m.textContent = text;
  m.className = `act-msg${bad ? " bad" : ""}`;
}

async function act(action) {
  if (state.busy || !allowed(action)) return;
  const cur = state.detail && state.detail.current;
  let body;
  if (action === "no-show") {
    const ok = await ask({ title: t("counter.act.noshow"), text: t("counter.noshow.confirm", { n: cur.number }),
      buttons: [{ label: t("common.cancel"), value: false, class: "secondary", focus: true }, { label: t("counter.act.noshow"), value: true, class: "danger" }] });
    if (!ok) return;
  }
  if (action === "recall" && state.detail.max_recalls && (cur.recall_count || 0) >= state.detail.max_recalls) {
    // the recall past the limit marks the citizen a no-show: say so first
    const ok = await ask({ title: t("counter.recall.limit.title"), text: t("counter.recall.limit.confirm", { n: cur.number, max: state.detail.max_recalls }),
      buttons: [{ label: t("common.cancel"), value: false, class: "secondary", focus: true }, { label: t("counter.act.noshow"), value: true, class: "danger" }] });
    if (!ok) return;
  }
  if (action === "transfer") {
    // only services some open counter serves now (asked afresh: counters open and close)
    try { state.services = (await api("GET", "/api/services")).data || state.services; } catch (e) { /* keep the last list */ }
    const targets = state.services.filter((s) => s.code !== cur.service && s.open_counters > 0);
    if (!targets.length) { message(t("counter.transfer.none", { n: cur.number }), true); return; }
    const choice = await ask({ title: t("counter.transfer.title"), text: `${cur.number}`,
      buttons: [...targets.map((s) => ({ label: `${s.prefix} · ${(currentLang() === "en" && s.name_en) || s.name}`, value: s.code, class: "secondary" })),
        { label: t("common.cancel"), value: null, class: "ghost", focus: true }] });
    if (!choice) return;
    body = { service: choice };
  }
  const app = state.application && state.appTicket === cur.id ? state.application : null;
  const unstarted = action === "complete" && cur.status === "called";
  if (unstarted && !app) {   // (a step of an application is asked its outcome: the warning goes there)
    const ok = await ask({ title: t("counter.complete.unstarted.title"), text: t("counter.complete.unstarted", { n: cur.number }),
      buttons: [{ label: t("common.cancel"), value: false, class: "secondary", focus: true }, { label: t("counter.act.complete"), value: true, class: "ok" }] });
    if (!ok) return;
  }
  if (action === "complete" && app) {
    // tickets that belong to an application carry an outcome (documents issue)
    const outcome = await ask({ title: t("counter.outcome.title"),
      text: unstarted ? `${cur.number} — ${t("counter.complete.unstarted", { n: cur.number })}` : cur.number,
      buttons: ["passed", "incomplete", "failed"].map((o) => ({ label: t(`counter.outcome.${o}`), value: o, class: o === "passed" ? "ok" : "secondary" }))
        .concat([{ label: t("common.cancel"), value: null, class: "ghost", focus: unstarted }]) });
    if (!outcome) return;
    const details = await outcomeDetails(outcome, app);
    if (details === null) return;
    body = { outcome, ...details };
  }
  const run = () => perform(action, body, cur);
  if (navigator.locks && navigator.locks.request) {
    await navigator.locks.request(`ptsp-counter-${state.counter}`, { ifAvailable: true }, async (lock) => {
      if (!lock) { message(t("counter.busy.other.tab"), true); return; }
      await run();
    });
  } else {
    await run();
  }
}

async function perform(action, body, cur) {
  state.busy = true;
  updateButtons();
  message("");
  const n = state.counter;
  try {
    const res = await authed("POST", `/api/counters/${n}/${action}`, { body: body === undefined ? (action === "complete" ? {} : undefined) : body, timeout: 10000 });
    if (action === "call-next") {
      if (res.status === 204) message(t("counter.nobody"));
      else message(t("counter.called.done", { n: res.data.number }));
    } else {
      message(doneText(action, res.data, body));
      if (["no-show", "complete", "transfer"].includes(action)) state.undoUntil = Date.now() + UNDO_MS;
      else if (action === "recall" && res.data.status === "no_show") state.undoUntil = Date.now() + UNDO_MS;
      else state.undoUntil = 0;
    }
    window.__counterActions = (window.__counterActions || []).concat([{ action, status: res.status, at: Date.now() }]);
  } catch (err) {
    window.__counterActions = (window.__counterActions || []).concat([{ action, status: err.status || "network", code: err.code, at: Date.now() }]);
    if (err instanceof NetworkError) { message(t("counter.offline.action"), true); setOnline(false); }
    else if (!(err instanceof ApiError && err.status === 401)) message(errorText(err), true);
  } finally {
    channel.post({ type: "changed", counter: n });
    state.busy = false;
    await refresh();
    updateButtons();
  }
}

$$("#actions .btn").forEach((b) => b.addEventListener("click", () => act(b.dataset.action)));

// ---- what was done, and its undo --------------------------------------------------------------------

const UNDO_MS = 10000;   // the server's window (services/queue/domain.py UNDO_WINDOW_S)

/** "Tiket A-001 selesai dilayani." — what an action did to which ticket, for the status region. */
function doneText(action, ticket, body) {
  const n = ticket.number;
  const max = state.detail && state.detail.max_recalls;
  switch (action) {
    case "recall":
      if (ticket.status === "no_show") return t("counter.done.recall.noshow", { n, max });
      if (max && ticket.recall_count >= max) return t("counter.done.recall.last", { n, k: ticket.recall_count, max });
      return max ? t("counter.done.recall", { n, k: ticket.recall_count, max }) : t("counter.done.recall", { n, k: ticket.recall_count, max: "?" });
    case "start": return t("counter.done.start", { n });
    case "no-show": return t("counter.done.noshow", { n });
    case "complete": return t("counter.done.complete", { n });
    case "transfer": return t("counter.done.transfer", { n, svc: svcName(body.service) });
    case "undo": return t("counter.done.undo", { n });
    default: return "";
  }
}

let undoTimer = null;
function renderUndo(d) {
  const bar = $("#undo-bar");
  const offer = d && d.undo;
  clearInterval(undoTimer);
  if (!offer) { bar.hidden = true; state.undoUntil = 0; return; }
  // the window as this browser saw it start (the server's clock may differ a little)
  const until = state.undoUntil || Math.min(Date.parse(offer.until), Date.now() + UNDO_MS);
  const left = () => Math.ceil((until - Date.now()) / 1000);
  const paint = () => {
    if (left() <= 0) { bar.hidden = true; clearInterval(undoTimer); return; }
    $("#undo-label").textContent = t(`counter.undo.${offer.action}`, { n: offer.number });
    $("#undo-left").textContent = t("counter.undo.left", { s: left() });
  };
  bar.hidden = false;
  paint();
  undoTimer = setInterval(paint, 250);
}

$("#undo").addEventListener("click", () => undo());
async function undo() {
  if (state.busy || $("#undo-bar").hidden) return;
  await perform("undo");
}

document.addEventListener("keydown", (e) => {
  if (state.view !== "console" || e.ctrlKey || e.metaKey || e.altKey) return;
  if (document.querySelector("dialog[open]")) return;
  const tag = (e.target && e.target.tagName) || "";
  if (["INPUT", "TEXTAREA", "SELECT"].includes(tag)) return;
  if (e.key.toLowerCase() === "u") { e.preventDefault(); undo(); return; }
  const btn = $(`#actions .btn[data-key="${e.key.toLowerCase()}"]`);
  if (btn) { e.preventDefault(); act(btn.dataset.action); }
});

$("#close-counter").addEventListener("click", async () => {
  const ok = await ask({ title: t("counter.close"), text: t("counter.close.confirm"),
    buttons: [{ label: t("common.cancel"), value: false, class: "secondary", focus: true }, { label: t("counter.close"), value: true, class: "danger" }] });
  if (!ok) return;
  try {
    await authed("POST", `/api/counters/${state.counter}/close`);
    channel.post({ type: "changed", counter: state.counter });
    state.counter = null;
    try { localStorage.removeItem(COUNTER_KEY); } catch (e) { /* ignore */ }
    await enterSetup();
  } catch (err) {
    message(errorText(err), true);
  }
});

// ---- other tabs ------------------------------------------------------------------------------------

const channel = (() => {
  const bc = "BroadcastChannel" in window ? new BroadcastChannel("ptsp-counter") : null;
  const id = Math.random().toString(36).slice(2);
  let joined = null;
  const peers = new Map();
  const post = (msg) => { if (bc) bc.postMessage({ ...msg, from: id, counter: msg.counter ?? joined }); };
  if (bc) {
    bc.onmessage = (ev) => {
      const msg = ev.data || {};
      if (msg.from === id) return;
      if (msg.type === "signout" && state.session) { saveSession(null); showLogin(); return; }
      if (msg.type === "signin" && !state.session) { state.session = loadSession(); if (state.session) enterSetup(); return; }
      if (msg.counter !== joined || joined === null) return;
      if (msg.type === "hello") { peers.set(msg.from, Date.now()); post({ type: "here" }); }
      if (msg.type === "here") peers.set(msg.from, Date.now());
      if (msg.type === "bye") peers.delete(msg.from);
      if (msg.type === "changed") refresh();
      $("#other-tab").hidden = peers.size === 0;
    };
    window.addEventListener("pagehide", () => post({ type: "bye" }));
  }
  return {
    post,
    join(n) { joined = n; peers.clear(); $("#other-tab").hidden = true; post({ type: "hello" }); },
  };
})();

// ---- start -------------------------------------------------------------------------------------------

(function init() {
  restoreLang();
  applyI18n();
  bindLangToggle($("#lang"));
  onLangChange(() => { if (state.view === "console") render(); if (state.view === "setup") renderCounterGrid(state.chosen); });
  state.session = loadSession();
  setInterval(() => {
    if (state.view !== "console") return;
    tickTimes();
    const since = (Date.now() - state.fetchedAt) / 1000;
    $$("#queues .w").forEach((w) => { w.textContent = formatDuration(Number(w.dataset.waited) + since); });
  }, 1000);
  // the display stream tells us when anything in the hall changed: refresh at once
  new DisplayFeed({
    onState: () => { if (state.view === "console") refresh(); },
    onStatus: (s) => { if (s === "offline") setOnline(false); },
  }).start();
  api("GET", "/api/site").then(({ data }) => { $("#site-name").textContent = data.name || ""; }).catch(() => {});
  if (!state.session) { showLogin(); return; }
  // a reload: check the token is still good, then go back to the counter
  authed("GET", "/api/me").then(() => enterSetup()).catch((err) => {
    if (err instanceof NetworkError) { setOnline(false); enterSetup(); }
  });
})();
