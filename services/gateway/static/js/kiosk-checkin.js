// The kiosk's check-in screen (/kiosk/check-in): a citizen who registered online types
// their tracking code (on the screen's keyboard or a real one) or scans its QR code
// with a scanner that types like a keyboard (the status page's address and Enter), and
// gets the ticket for their first step in the hall. Every problem has its own message;
// every screen returns to the start by itself.
import {
  PAGE, t, applyI18n, setLang, bindLangToggle, onLangChange, currentLang, api, ApiError, NetworkError,
  formatTime, tzLabel, $, $$, el,
} from "./common.js";
import { dayText, feeText, rupiah, named, serviceText, stepOf } from "./journey.js";

const params = new URLSearchParams(location.search);
const DONE_MS = 30000;
const PROBLEM_MS = 20000;
const IDLE_MS = 60000;
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";   // no 0/O, 1/I/L (the documents service's codes)
const CODE_RE = new RegExp(`^[${ALPHABET}]{12}$`);
const KEY_ROWS = ["23456789", "ABCDEFGHJK", "MNPQRSTUVW", "XYZ"];
const startLang = PAGE.lang || "id";

const kioskId = $("#kiosk").dataset.kiosk || params.get("kiosk") || "";
const printers = PAGE.printers || {};
const serverPrinter = kioskId && printers[kioskId] ? printers[kioskId] : null;
const paper = serverPrinter ? serverPrinter.paper : (params.get("paper") === "58" ? 58 : 80);
const printMode = serverPrinter ? "server" : (params.get("print") === "none" ? "none" : "browser");

const state = { screen: "entry", site: null, services: [], app: null, timer: null, countdown: null, busy: false };
window.__checkin = { printed: [], checkedIn: [], mode: printMode };

// ---- the tracking code ------------------------------------------------------------------

/** The code in what was typed or scanned: a bare code (spaces and dashes allowed, any
 *  case) or the status page's address (…/a/<code>). Null when it cannot be one. */
export function codeOf(text) {
  let value = String(text || "").trim();
  const fromUrl = value.match(/\/a\/([^/?#\s]+)/i);
  if (fromUrl) value = fromUrl[1];
  value = value.replace(/[\s-]/g, "").toUpperCase();
  return CODE_RE.test(value) ? value : null;
}

function grouped(code) { return code.replace(/(.{4})(?=.)/g, "$1-"); }

// ---- screens and timers -------------------------------------------------------------

function show(name) {
  state.screen = name;
  for (const s of $$(".screen")) s.hidden = s.id !== `screen-${name}`;
  clearTimers();
  document.body.dataset.screen = name;
  const focus = { entry: "#c-code", done: "#c-done", problem: "#p-back" }[name];
  if (focus) $(focus).focus({ preventScroll: true });
  if (name === "entry") armIdle();
}

function clearTimers() {
  clearTimeout(state.timer); state.timer = null;
  clearInterval(state.countdown); state.countdown = null;
}

function armIdle() {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => { if ($("#c-code").value) reset(); else toKiosk(); }, IDLE_MS);
}

function countdown(ms, label, then) {
  clearTimers();
  const end = Date.now() + ms;
  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    label.textContent = t("kiosk.return", { n: left });
    if (left <= 0) { clearTimers(); then(); }
  };
  tick();
  state.countdown = setInterval(tick, 250);
}

function toKiosk() { location.assign($("#c-back").getAttribute("href")); }

function reset() {
  state.app = null;
  state.busy = false;
  $("#c-code").value = "";
  clearError();
  if (currentLang() !== startLang) setLang(startLang, { persist: false });
  show("entry");
}

["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, () => {
  if (state.screen === "entry") armIdle();
}, { passive: true }));

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && state.screen === "problem") reset();
  // A scanner types wherever the focus is: on the entry screen everything goes to the code.
  if (state.screen === "entry" && document.activeElement !== $("#c-code") && e.key.length === 1 &&
      !e.ctrlKey && !e.metaKey && !e.altKey && !(document.activeElement && document.activeElement.matches("button, a"))) {
    $("#c-code").focus();
  }
});

// ---- entry ----------------------------------------------------------------------------

function renderKeyboard() {
  const osk = $("#c-osk");
  const rows = KEY_ROWS.map((row) => row.split(""));
  rows[rows.length - 1].push("⌫", "CLR");
  osk.replaceChildren(...rows.map((row) => el("div", { class: "osk-row" }, ...row.map((k) => el("button", {
    type: "button", class: k.length > 1 ? "wide" : "", dataset: { key: k },
    "aria-label": k === "⌫" ? t("checkin.kb.backspace") : k === "CLR" ? t("kiosk.kb.clear") : k,
  }, k === "CLR" ? t("kiosk.kb.clear") : k)))));
}

$("#c-osk").addEventListener("click", (e) => {
  const button = e.target.closest("button");
  if (!button) return;
  const input = $("#c-code");
  const key = button.dataset.key;
  if (key === "⌫") input.value = input.value.slice(0, -1);
  else if (key === "CLR") input.value = "";
  else if (input.value.replace(/[\s-]/g, "").length < 12) input.value += key;
  clearError();
});

function clearError() {
  $("#c-code").removeAttribute("aria-invalid");
  $("#c-error").textContent = "";
}

function markInvalid(message) {
  $("#c-code").setAttribute("aria-invalid", "true");
  $("#c-error").textContent = message;
  $("#c-code").focus();
}

$("#c-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const code = codeOf($("#c-code").value);
  if (!code) { markInvalid(t("checkin.code.invalid")); return; }
  checkIn(code);
});

// ---- checking in ------------------------------------------------------------------------

async function checkIn(code) {
  if (state.busy) return;
  state.busy = true;
  show("busy");
  try {
    const { data } = await api("POST", `/api/applications/${encodeURIComponent(code)}/check-in`, { timeout: 12000 });
    state.busy = false;
    window.__checkin.checkedIn.push({ code, ticket: data.ticket && data.ticket.number });
    showDone(data);
  } catch (err) {
    state.busy = false;
    await handleError(err, code);
  }
}

async function handleError(err, code) {
  if (err instanceof ApiError && err.status === 404) {
    problem("warn", t("checkin.unknown"), t("checkin.unknown.text", { code: grouped(code) }), "");
    return;
  }
  if (err instanceof ApiError && err.status === 409) {
    const status = (err.fields || {}).status;
    if (err.code === "too_early") {
      problem("warn", t("checkin.early"), t("checkin.early.text", { date: dayText((err.fields || {}).retake_after) }), "");
      return;
    }
    if (err.code === "registration_lapsed" || status === "expired") {
      problem("bad", t("checkin.lapsed"), t("checkin.lapsed.text"), t("checkin.lapsed.hint"));
      return;
    }
    if (["in_progress", "ready"].includes(status)) {
      // Checked in before (or this kiosk's first answer was lost): say so, with the number if there is one.
      let detail = "";
      try {
        const { data } = await api("GET", `/api/applications/${encodeURIComponent(code)}`, { timeout: 6000 });
        if (data.ticket) detail = t("checkin.already.ticket", { number: data.ticket.number, where: serviceText(state.services, data.ticket.service) });
        else detail = t("checkin.already.status", { status: t(`app.status.${data.status}`) });
      } catch (e) { /* the title says enough */ }
      problem("warn", t("checkin.already"), t("checkin.already.text"), detail);
      return;
    }
    problem("warn", t("checkin.not"), t("checkin.not.text", { status: status ? t(`app.status.${status}`) : "" }), "");
    return;
  }
  const text = err instanceof NetworkError || (err instanceof ApiError && err.status >= 500)
    ? t("common.error.network") : (err && err.message) || "";
  problem("bad", t("checkin.failed"), text, t("kiosk.issue.failed.hint"), () => checkIn(code));
}

function problem(kind, title, text, detail, retry) {
  $(".err").className = `err card ${kind}`;
  $("#p-title").textContent = title;
  $("#p-text").textContent = text || "";
  $("#p-detail").textContent = detail || "";
  $("#p-retry").hidden = !retry;
  $("#p-retry").onclick = retry || null;
  show("problem");
  countdown(PROBLEM_MS, $("#p-countdown"), reset);
}
$("#p-back").addEventListener("click", reset);

// ---- the ticket ---------------------------------------------------------------------------

function renderDone() {
  const app = state.app;
  if (!app) return;
  const tk = app.ticket;
  const step = stepOf(app, app.step);
  const svc = tk && state.services.find((s) => s.code === tk.service);
  $("#c-number").textContent = tk ? tk.number : "—";
  $("#c-chip").textContent = svc ? svc.prefix : (tk ? tk.number[0] : "?");
  $("#c-service").textContent = tk ? serviceText(state.services, tk.service).replace(/^\S+ · /, "") : "";
  $("#c-step").textContent = t("app.next.step", { step: named(step) });
  $("#c-tracking").textContent = grouped(app.tracking_code);
  $("#c-fee").textContent = app.fee > 0 ? rupiah(app.fee) : t("app.journey.free");
  fillReceipt(app);
}

function showDone(app) {
  state.app = app;
  renderDone();
  $("#c-print").textContent = "";
  show("done");
  countdown(DONE_MS, $("#c-done-countdown"), toKiosk);
  printReceipt(app);
}
$("#c-done").addEventListener("click", toKiosk);

function fillReceipt(app) {
  const tk = app.ticket || {};
  const tz = state.site && state.site.timezone;
  $("#r-site").textContent = (state.site && state.site.name) || t("app.name");
  $("#r-label").textContent = t("checkin.done").toUpperCase();
  $("#r-number").textContent = tk.number || "";
  $("#r-service").textContent = tk.service ? serviceText(state.services, tk.service) : "";
  $("#r-step").textContent = t("app.next.step", { step: named(stepOf(app, app.step)) });
  $("#r-code-l").textContent = t("app.journey.code");
  $("#r-code").textContent = grouped(app.tracking_code);
  $("#r-fee-l").textContent = t("checkin.fee");
  $("#r-fee").textContent = feeText(app).replace(/^[^:]*:\s*/, "");
  $("#r-issued-l").textContent = t("kiosk.receipt.issued");
  $("#r-issued").textContent = tk.issued_at ? `${formatTime(tk.issued_at, tz)} ${tzLabel(tz)}`.trim() : "";
  $("#r-keep").textContent = t("checkin.receipt.keep");
}

async function printReceipt(app) {
  const tk = app.ticket;
  if (!tk || printMode === "none") return;
  const status = $("#c-print");
  if (printMode === "server") {
    status.textContent = t("kiosk.ticket.printing");
    try {
      await api("POST", `/api/tickets/${encodeURIComponent(tk.id)}/print`, {
        body: { kiosk: kioskId, language: currentLang() }, timeout: 15000 });
      status.textContent = t("kiosk.ticket.printed");
      window.__checkin.printed.push({ id: tk.id, via: "escpos" });
    } catch (err) {
      status.textContent = t("kiosk.ticket.print.failed");
    }
    return;
  }
  window.__checkin.printed.push({ id: tk.id, via: "browser", paper });
  try { window.print(); } catch (e) { /* no printing here */ }
}

// ---- start ---------------------------------------------------------------------------------

async function loadHall() {
  try {
    const [{ data: site }, { data: services }] = await Promise.all([
      api("GET", "/api/site", { timeout: 6000 }), api("GET", "/api/services", { timeout: 6000 })]);
    state.site = site;
    state.services = Array.isArray(services) ? services : [];
    $("#site-name").textContent = site.name || t("app.name");
  } catch (e) { /* the screen works without: service codes instead of letters */ }
}

bindLangToggle($("#lang"), { persist: false });
onLangChange(() => { renderKeyboard(); renderDone(); });

(function init() {
  document.head.append(el("link", { rel: "stylesheet", media: "print", href: `/static/css/receipt-${paper}.css` }));
  applyI18n();
  renderKeyboard();
  show("entry");
  loadHall();
  const fromUrl = codeOf(params.get("code"));
  if (fromUrl) { $("#c-code").value = grouped(fromUrl); }
})();
