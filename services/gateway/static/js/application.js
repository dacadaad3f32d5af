// The applicant's status page: their application's journey (steps, where they are,
// the current ticket, the last outcome), by tracking code. Polls; shows nothing about
// anyone else: only GET /api/applications/<code> is rendered.
import { t, applyI18n, restoreLang, bindLangToggle, onLangChange, currentLang, api, ApiError, el, $ } from "./common.js";

const code = $("#main").dataset.trackingCode;
const POLL_MS = 5000;
let app = null;

function show(id) {
  for (const s of ["application", "missing", "loading"]) $(`#${s}`).hidden = s !== id;
}

async function load() {
  if (!code) { show("missing"); return; }
  try {
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
  $("#a-type").textContent = en ? app.type_name_en : app.type_name;
  $("#a-status").textContent = t(`app.status.${app.status}`);
  $("#a-fee").textContent = t("app.status.fee", { fee: app.fee.toLocaleString("id-ID") });
  const tk = app.ticket;
  $("#a-ticket").hidden = !tk;
  if (tk) {
    $("#a-ticket-number").textContent = tk.number;
    $("#a-ticket-status").textContent = t(`status.${tk.status}`) + (tk.counter ? ` · ${t("common.counter.n", { n: tk.counter })}` : "");
  }
  $("#a-steps").replaceChildren(...app.steps.map((s) => el("li", { dataset: { step: s.code, state: s.state } },
    en ? s.name_en : s.name)));
  const last = app.history[app.history.length - 1];
  let note = "";
  if (last && last.outcome === "failed" && last.retake_after) note = t("app.status.retake", { date: last.retake_after });
  if (last && last.outcome === "incomplete") note = t("app.status.missing", { list: last.missing.join(", ") });
  $("#a-last").textContent = note;
  $("#a-document").textContent = app.document_number ? `${app.document_number}${app.valid_until ? " · " + app.valid_until : ""}` : "";
}

restoreLang();
applyI18n();
bindLangToggle($("#lang"));
onLangChange(() => { applyI18n(); render(); });
load();
setInterval(() => { if (!app || !["collected", "cancelled", "expired"].includes(app.status)) load(); }, POLL_MS);
