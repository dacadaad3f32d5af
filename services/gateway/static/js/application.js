// The applicant's status page: their application's journey by tracking code — every
// step with its state, where to go next (the queue service's letter, the counter),
// the fee, a failure's reason and retake date, what is missing, the document's
// number and validity. Polls; shows nothing about anyone else: only
// GET /api/applications/<code> and the hall's public service list are rendered.
import { t, applyI18n, restoreLang, bindLangToggle, onLangChange, currentLang, api, ApiError, el, $ } from "./common.js";
import { feeText, dayText, named, nextAction, outcomeText, serviceText, stepStateText } from "./journey.js";

const code = $("#main").dataset.trackingCode;
const POLL_MS = 5000;
const SERVICES_MS = 60000;
let app = null;
let services = [];
let servicesAt = 0;
let tz = "Asia/Jakarta";

function show(id) {
  for (const s of ["application", "missing", "loading"]) $(`#${s}`).hidden = s !== id;
}

async function loadServices() {
  if (Date.now() - servicesAt < SERVICES_MS) return;
  try {
    const [{ data: list }, { data: site }] = await Promise.all([
      api("GET", "/api/services", { timeout: 6000 }), api("GET", "/api/site", { timeout: 6000 })]);
    services = Array.isArray(list) ? list : [];
    tz = (site && site.timezone) || tz;
    servicesAt = Date.now();
  } catch (e) { /* the journey shows service codes meanwhile */ }
}

async function load() {
  if (!code) { show("missing"); return; }
  try {
    await loadServices();
    const { data } = await api("GET", `/api/applications/${encodeURIComponent(code)}`, { timeout: 6000 });
    app = data;
    render();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) show("missing");
  }
}

function render() {
  if (!app) return;
  const en = currentLang() === "en";
  show("application");
  $("#main").dataset.status = app.status;
  $("#main").dataset.step = app.step || "";
  $("#application").dataset.status = app.status;
  $("#a-type").textContent = en ? app.type_name_en : app.type_name;
  $("#a-status").replaceChildren(el("span", { class: `badge ${badgeKind(app.status)}` }, t(`app.status.${app.status}`)));
  $("#a-fee").textContent = feeText(app);

  const next = nextAction(app, services, tz);
  $("#a-next").dataset.status = app.status;
  $("#a-next-lead").textContent = next.lead;
  $("#a-next-text").textContent = next.text;

  const tk = app.ticket;
  $("#a-ticket").hidden = !tk;
  if (tk) {
    $("#a-ticket-number").textContent = tk.number;
    $("#a-ticket-status").textContent = t(`status.${tk.status}`) + (tk.counter ? ` · ${t("common.counter.n", { n: tk.counter })}` : "");
  }
  $("#a-last").textContent = outcomeText(app);
  $("#a-last").hidden = !$("#a-last").textContent;

  $("#a-document-box").hidden = !app.document_number;
  $("#a-document").textContent = app.document_number || "";
  $("#a-valid").textContent = app.document_number
    ? (app.valid_until ? t("app.journey.valid", { date: dayText(app.valid_until) }) : t("app.journey.valid.none")) : "";

  $("#a-steps").replaceChildren(...app.steps.map((s, i) => {
    const item = el("li", { dataset: { step: s.code, state: s.state }, "aria-current": s.state === "current" ? "step" : null },
      el("span", { class: "a-step-n", "aria-hidden": "true" }, String(i + 1)),
      el("span", { class: "a-step-body" },
        el("strong", { class: "a-step-name" }, named(s)),
        el("span", { class: "a-step-where" }, s.hall === false ? t("app.journey.online") : serviceText(services, s.service))),
      el("span", { class: "a-step-state" }, stepStateText(app, s)));
    return item;
  }));
  $("#a-updated").textContent = t("app.journey.updated", { time: new Date().toLocaleTimeString(en ? "en-GB" : "id-ID", { hour: "2-digit", minute: "2-digit" }) });
}

function badgeKind(status) {
  return { ready: "ok", collected: "ok", in_progress: "info", registered: "info", submitted: "info",
           failed: "bad", returned: "bad", incomplete: "warn", cancelled: "", expired: "" }[status] || "";
}

restoreLang();
applyI18n();
bindLangToggle($("#lang"));
onLangChange(() => { applyI18n(); render(); });
load();
setInterval(() => { if (!app || !["collected", "cancelled", "expired"].includes(app.status)) load(); }, POLL_MS);
