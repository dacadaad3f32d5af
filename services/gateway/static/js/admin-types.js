// The supervisor page's "application types" tab: a type's fee, its steps (order, the
// queue service that serves each, retake days) and required documents, saved with
// PUT /api/admin/application-types/<code>. A refused field is marked where it is.
// Its own module: admin.js shows and hides the tab panel like every other tab.
import { t, currentLang, onLangChange, api, ApiError, errorText, el, $, loadOfficerSession } from "./common.js";

const state = { types: [], services: [], current: null, steps: [], docs: [], loaded: false };
const FLAGS = ["issues_document", "collection", "records_payment"];

function token() { const s = loadOfficerSession(); return s && s.token; }
const call = (method, path, body) => api(method, path, { body, token: token(), timeout: 10000 });
const named = (x) => (currentLang() === "en" ? x.name_en || x.name : x.name);

async function load(keep) {
  $("#at-unavailable").hidden = true;
  try {
    const [types, services] = await Promise.all([call("GET", "/api/admin/application-types"),
                                                 call("GET", "/api/admin/services")]);
    state.types = types.data || [];
    state.services = (services.data || []).filter((s) => s.active !== false);
    state.loaded = true;
    renderPicker(keep || (state.current && state.current.code) || (state.types[0] && state.types[0].code));
  } catch (err) {
    $("#at-unavailable").textContent = errorText(err);
    $("#at-unavailable").hidden = false;
  }
}

function renderPicker(code) {
  const pick = $("#at-type");
  pick.replaceChildren(...state.types.map((k) => el("option", { value: k.code }, `${named(k)} (${k.code})`)));
  if (code) pick.value = code;
  edit(state.types.find((k) => k.code === pick.value));
}
$("#at-type").addEventListener("change", (e) => edit(state.types.find((k) => k.code === e.target.value)));

function edit(kind) {
  $("#at-form").hidden = !kind;
  if (!kind) return;
  state.current = kind;
  state.steps = kind.steps.map((s) => ({ ...s }));
  state.docs = kind.required_documents.map((d) => ({ ...d }));
  $("#at-fee").value = kind.fee;
  clearErrors();
  $("#at-saved").hidden = true;
  renderHead();
  renderSteps();
  renderDocs();
}

function renderHead() {
  const kind = state.current;
  $("#at-name").textContent = `${named(kind)} (${kind.code})`;
  $("#at-updated").textContent = kind.updated_by
    ? t("admin.types.updated", { who: kind.updated_by, at: new Date(kind.updated_at).toLocaleString(currentLang() === "en" ? "en-GB" : "id-ID") })
    : t("admin.types.default");
}

function input(attrs) {
  const node = el("input", { class: "input", ...attrs });
  node.addEventListener("input", () => { node.removeAttribute("aria-invalid"); $("#at-saved").hidden = true; });
  return node;
}

function moveButton(list, i, delta, label, render) {
  const target = i + delta;
  return el("button", {
    type: "button", class: "btn secondary at-btn", "aria-label": label, disabled: target < 0 || target >= list.length,
    onclick: () => { const [item] = list.splice(i, 1); list.splice(target, 0, item); render(); focusRow(render, target, delta); },
  }, delta < 0 ? "↑" : "↓");
}

function focusRow(render, row, delta) {
  const table = render === renderSteps ? "#at-steps" : "#at-docs";
  const button = document.querySelector(`${table} tbody tr:nth-child(${row + 1}) button[data-move="${delta}"]`)
    || document.querySelector(`${table} tbody tr:nth-child(${row + 1}) button`);
  if (button && !button.disabled) button.focus();
}

function renderSteps() {
  const rows = state.steps.map((s, i) => {
    const n = i + 1;
    const service = el("select", { class: "input", "aria-label": t("admin.types.step.service", { n }), dataset: { field: `steps.${i}.service` },
      onchange: (e) => { s.service = e.target.value; e.target.removeAttribute("aria-invalid"); } },
      ...state.services.map((svc) => el("option", { value: svc.code }, `${svc.prefix} · ${named(svc)}`)));
    if (!state.services.some((svc) => svc.code === s.service)) service.append(el("option", { value: s.service }, s.service));
    service.value = s.service;
    const up = moveButton(state.steps, i, -1, t("admin.types.up", { n }), renderSteps);
    const down = moveButton(state.steps, i, 1, t("admin.types.down", { n }), renderSteps);
    up.dataset.move = "-1"; down.dataset.move = "1";
    const flags = FLAGS.filter((f) => s[f]).map((f) => el("span", { class: "badge info" }, t(`admin.types.flag.${f}`)));
    if (s.hall === false) flags.push(el("span", { class: "badge" }, t("admin.types.flag.online")));
    if (s.skip_if) flags.push(el("span", { class: "badge" }, t(`admin.types.flag.${s.skip_if}`)));
    return el("tr", { dataset: { step: s.code } },
      el("td", { class: "num" }, String(n)),
      el("td", {}, bound(input({ value: s.code, "aria-label": t("admin.types.step.code", { n }), dataset: { field: `steps.${i}.code` }, size: 14 }), s, "code")),
      el("td", {}, bound(input({ value: s.name, "aria-label": t("admin.types.step.name", { n }), dataset: { field: `steps.${i}.name` } }), s, "name")),
      el("td", {}, bound(input({ value: s.name_en, "aria-label": t("admin.types.step.name_en", { n }), dataset: { field: `steps.${i}.name_en` } }), s, "name_en")),
      el("td", {}, service),
      el("td", {}, bound(input({ type: "number", min: 0, max: 365, value: s.retake_days, class: "input num at-days",
        "aria-label": t("admin.types.step.retake", { n }), dataset: { field: `steps.${i}.retake_days` } }), s, "retake_days", Number)),
      el("td", { class: "at-flags" }, ...flags),
      el("td", { class: "at-actions" }, up, down, el("button", { type: "button", class: "btn secondary at-btn",
        "aria-label": t("admin.types.remove.step", { n }), onclick: () => { state.steps.splice(i, 1); renderSteps(); } }, "✕")));
  });
  table($("#at-steps"), ["#", "admin.types.col.code", "admin.types.col.name", "admin.types.col.name_en",
    "admin.types.col.service", "admin.types.col.retake", "admin.types.col.role", "admin.types.col.order"], rows);
}

function renderDocs() {
  const rows = state.docs.map((d, i) => {
    const n = i + 1;
    const required = el("input", { type: "checkbox", checked: d.required, "aria-label": t("admin.types.doc.required", { n }),
      onchange: (e) => { d.required = e.target.checked; } });
    return el("tr", { dataset: { doc: d.code } },
      el("td", {}, bound(input({ value: d.code, "aria-label": t("admin.types.doc.code", { n }), dataset: { field: `required_documents.${i}.code` }, size: 16 }), d, "code")),
      el("td", {}, bound(input({ value: d.name, "aria-label": t("admin.types.doc.name", { n }), dataset: { field: `required_documents.${i}.name` } }), d, "name")),
      el("td", {}, bound(input({ value: d.name_en, "aria-label": t("admin.types.doc.name_en", { n }), dataset: { field: `required_documents.${i}.name_en` } }), d, "name_en")),
      el("td", {}, required),
      el("td", { class: "at-actions" }, el("button", { type: "button", class: "btn secondary at-btn",
        "aria-label": t("admin.types.remove.doc", { n }), onclick: () => { state.docs.splice(i, 1); renderDocs(); } }, "✕")));
  });
  table($("#at-docs"), ["admin.types.col.code", "admin.types.col.name", "admin.types.col.name_en",
    "admin.types.col.required", "admin.types.col.remove"], rows);
}

function bound(node, item, key, cast = String) {
  node.addEventListener("input", () => { item[key] = node.value === "" && cast === Number ? node.value : cast(node.value); });
  return node;
}

function table(target, headers, rows) {
  target.replaceChildren(
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h === "#" ? "#" : t(h))))),
    el("tbody", {}, ...rows));
}

$("#at-add-step").addEventListener("click", () => {
  state.steps.push({ code: "", name: "", name_en: "", service: (state.services[0] || {}).code || "", retake_days: 0,
                     skip_if: null, issues_document: false, collection: false, records_payment: false, hall: true });
  renderSteps();
  const last = document.querySelector("#at-steps tbody tr:last-child input");
  if (last) last.focus();
});
$("#at-add-doc").addEventListener("click", () => {
  state.docs.push({ code: "", name: "", name_en: "", required: true });
  renderDocs();
  const last = document.querySelector("#at-docs tbody tr:last-child input");
  if (last) last.focus();
});

function clearErrors() {
  $("#at-error").textContent = "";
  document.querySelectorAll("#at-form [aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
}

$("#at-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors();
  $("#at-saved").hidden = true;
  const fee = $("#at-fee").value === "" ? null : Number($("#at-fee").value);
  const body = { fee, steps: state.steps, required_documents: state.docs };
  try {
    const { data } = await call("PUT", `/api/admin/application-types/${encodeURIComponent(state.current.code)}`, body);
    state.types = state.types.map((k) => (k.code === data.code ? data : k));
    edit(data);
    $("#at-saved").textContent = t("admin.types.saved");
    $("#at-saved").hidden = false;
  } catch (err) {
    $("#at-error").textContent = errorText(err);
    if (err instanceof ApiError) {
      let first = null;
      for (const name of Object.keys(err.fields || {})) {
        const node = document.querySelector(`#at-form [data-field="${CSS.escape(name)}"]`);
        if (node) { node.setAttribute("aria-invalid", "true"); first = first || node; }
      }
      if (first) first.focus();
    }
  }
});

// Load when the tab is first shown (admin.js unhides the panel).
new MutationObserver(() => {
  if (!$("#tab-types").hidden && !state.loaded) load();
}).observe($("#tab-types"), { attributes: true, attributeFilter: ["hidden"] });
if (!$("#tab-types").hidden) load();

onLangChange(() => {
  // Words only: what the supervisor has typed but not saved stays.
  for (const option of $("#at-type").options) {
    const kind = state.types.find((k) => k.code === option.value);
    if (kind) option.textContent = `${named(kind)} (${kind.code})`;
  }
  if (state.current) { renderHead(); renderSteps(); renderDocs(); }
});
