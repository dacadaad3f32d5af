// Kiosk: choose a service, priority and optional contact, get a numbered ticket
// (shown large, printed). Never freezes: every wait has a timeout, every problem a
// message, and every screen returns to the start by itself.
import {
  PAGE, t, applyI18n, setLang, bindLangToggle, onLangChange, currentLang, api, ApiError,
  NetworkError, errorText, fieldMessages, formatWait, formatClock, formatDate, formatTime, tzLabel,
  serviceName, el, $, $$, sleep, uuid,
} from "./common.js";
import { pictogramUrl } from "./pictograms.js";
import { say, hush, spellTicket } from "./speech.js";

const params = new URLSearchParams(location.search);
const IDLE_MS = 60000;          // details screen without a touch -> "still there?"
const IDLE_WARN_MS = 20000;     // ... and without an answer -> start
const TICKET_MS = 25000;        // ticket screen -> start
const ERROR_MS = 20000;         // problem screen -> start
const POLL_MS = 10000;          // services refresh while online
const OFFLINE_POLL_MS = 3000;   // ... and while offline
const ISSUE_ATTEMPTS = 8;       // retries of one submission (same Idempotency-Key)

let kioskId = params.get("kiosk") || "";
try {
  if (kioskId) localStorage.setItem("ptsp.kiosk.id", kioskId);
  else kioskId = localStorage.getItem("ptsp.kiosk.id") || "";
} catch (e) { /* storage disabled */ }
// A kiosk registered by a supervisor is opened once as /kiosk#key=<key>: the key is
// kept in localStorage and taken out of the address bar; every ticket request sends it
// (X-Kiosk-Key), which exempts the kiosk from the per-address ticket limit.
let kioskKey = "";
try {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromUrl) {
    localStorage.setItem("ptsp.kiosk.key", fromUrl);
    history.replaceState(null, "", location.pathname + location.search);
  }
  kioskKey = fromUrl || localStorage.getItem("ptsp.kiosk.key") || "";
} catch (e) { /* storage disabled */ }
const printers = PAGE.printers || {};
const serverPrinter = kioskId && printers[kioskId] ? printers[kioskId] : null;
const paper = serverPrinter ? serverPrinter.paper : (params.get("paper") === "58" ? 58 : 80);
const printMode = serverPrinter ? "server" : (params.get("print") === "none" ? "none" : "browser");
const startLang = PAGE.lang || "id";

const state = {
  site: null, services: [], servicesKey: "", online: true, failures: 0,
  screen: "start", service: null, speak: false, priority: "regular", contactKind: "none",
  ticket: null, idemKey: null, timer: null, countdown: null, issuing: false,
};

// hooks for tests and for a kiosk's supervisor tools
window.__kiosk = { printed: [], issued: [], spoken: [], mode: printMode, paper, registered: Boolean(kioskKey) };

// ---- screens and timers -------------------------------------------------------------

function show(name) {
  state.screen = name;
  for (const s of $$(".screen")) s.hidden = s.id !== `screen-${name}`;
  clearTimers();
  closeIdleWarning();
  if (name === "details") armIdle();
  const focusTarget = { start: ".tile:not([disabled])", details: ".prio[aria-checked=true]", ticket: "#done", error: "#err-back" }[name];
  if (focusTarget) { const f = $(focusTarget); if (f) f.focus({ preventScroll: true }); }
  document.body.dataset.screen = name;
}

function clearTimers() {
  clearTimeout(state.timer); state.timer = null;
  clearInterval(state.countdown); state.countdown = null;
}

function armIdle() {
  clearTimeout(state.timer);
  state.timer = setTimeout(warnIdle, IDLE_MS);
}

// Before the details screen gives up on a citizen, it asks, with a countdown and the
// focus on "stay".
function warnIdle() {
  const dlg = $("#idle-warning");
  if (state.screen !== "details" || dlg.open) return;
  dlg.showModal();
  $("#idle-stay").focus();
  const end = Date.now() + IDLE_WARN_MS;
  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    $("#idle-text").textContent = t("kiosk.idle.text", { n: left });
    if (left <= 0) reset();
  };
  tick();
  state.idleTick = setInterval(tick, 250);
}

function closeIdleWarning() {
  clearInterval(state.idleTick);
  state.idleTick = null;
  const dlg = $("#idle-warning");
  if (dlg.open) dlg.close();
}

function stay() {
  closeIdleWarning();
  if (state.screen === "details") armIdle();
}
$("#idle-stay").addEventListener("click", stay);
$("#idle-warning").addEventListener("cancel", (e) => { e.preventDefault(); stay(); });

function countdown(ms, labelEl, then) {
  clearTimers();
  const end = Date.now() + ms;
  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    labelEl.textContent = t("kiosk.return", { n: left });
    if (left <= 0) { clearTimers(); then(); }
  };
  tick();
  state.countdown = setInterval(tick, 250);
}

function reset() {
  setSpeech(SPEAK_DEFAULT, false);
  state.service = null;
  state.ticket = null;
  state.idemKey = null;
  state.issuing = false;
  if (currentLang() !== startLang) setLang(startLang, { persist: false });
  show("start");
  refreshServices();
}

["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, () => {
  if (state.screen === "details" && !$("#idle-warning").open) armIdle();
}, { passive: true }));

document.addEventListener("keydown", (e) => {
  if ($("#idle-warning").open) return;   // Escape there means "stay" (the dialog's cancel)
  if (e.key === "Escape" && (state.screen === "details" || state.screen === "error")) reset();
});

// ---- header: site, clock, language --------------------------------------------------

async function loadSite() {
  for (let delay = 1000; ; delay = Math.min(delay * 2, 15000)) {
    try {
      const { data } = await api("GET", "/api/site");
      state.site = data;
      $("#site-name").textContent = data.name || t("app.name");
      document.title = `${t("kiosk.title")} · ${data.name || t("app.name")}`;
      tickClock();
      return;
    } catch (e) { await sleep(delay); }
  }
}

function tickClock() {
  const tz = state.site && state.site.timezone;
  const now = new Date();
  $("#clock").textContent = `${formatClock(now, tz)} ${tzLabel(tz)}`.trim();
  $("#date").textContent = formatDate(now, tz);
}

bindLangToggle($("#lang"), { persist: false });
onLangChange(() => {
  renderTiles(true); tickClock(); if (state.service) renderChosen(); if (state.ticket) renderTicket(state.ticket); renderKeyboard();
  $("#contact-label").textContent = state.contactKind === "none" ? "" : t(`kiosk.contact.label.${state.contactKind}`);
  renderContactError();
  if (state.speak) speakScreen();
});

// ---- services ------------------------------------------------------------------------

let pollTimer = null;
async function refreshServices() {
  clearTimeout(pollTimer);
  try {
    const { data } = await api("GET", "/api/services", { timeout: 6000 });
    state.services = Array.isArray(data) ? data : [];
    state.failures = 0;
    setOnline(true);
    renderTiles();
  } catch (e) {
    state.failures += 1;
    if (state.failures >= 2 || !state.services.length) setOnline(false);
  }
  pollTimer = setTimeout(refreshServices, state.online && state.failures === 0 ? POLL_MS : OFFLINE_POLL_MS);
}

function setOnline(online) {
  state.online = online;
  $("#offline").hidden = online;
  $("#conn").dataset.state = online ? "live" : "offline";
  $("#start-offline").hidden = online || state.services.length > 0;
  $("#tiles").hidden = !online && state.services.length === 0;
  $$(".tile").forEach((tile) => { tile.disabled = !online; });
  document.body.dataset.online = online ? "yes" : "no";
}

function closedReason(svc) {
  const r = svc.closed_reason;
  if (!r) return "";
  if (typeof r === "string") return r;
  return r[currentLang()] || r.id || "";
}

function renderTiles(force = false) {
  const key = JSON.stringify(state.services) + currentLang();
  if (!force && key === state.servicesKey) return;
  state.servicesKey = key;
  const box = $("#tiles");
  const hadFocus = document.activeElement && document.activeElement.dataset.service;
  box.replaceChildren();
  if (!state.services.length) {
    box.append(el("div", { class: "empty" }, t("kiosk.no.services")));
    return;
  }
  state.services.forEach((svc, i) => {
    const open = svc.open !== false;
    const other = currentLang() === "en" ? svc.name : svc.name_en;
    const meta = !open
      ? null
      : svc.estimated_wait_reason
        ? [el("span", { class: "badge warn no-counter" }, waitText(svc)),
           (svc.waiting ?? 0) > 0 ? el("span", { class: "badge info" }, t("common.waiting.count", { n: svc.waiting })) : null]
      : (svc.waiting ?? 0) === 0
        ? [el("span", { class: "badge ok" }, t("kiosk.no.queue"))]
        : [el("span", { class: "badge info" }, t("common.waiting.count", { n: svc.waiting })),
           el("span", { class: "badge" }, formatWait(svc.estimated_wait_s))]
    const closedMeta = [el("span", { class: "badge bad" }, t("kiosk.closed")), closedReason(svc) ? el("span", { class: "badge" }, closedReason(svc)) : null];
    const tile = el("button", {
      type: "button", class: `tile${open ? "" : " closed"}`, dataset: { service: svc.code },
      onclick: () => choose(svc),
    },
    el("span", { class: "svc-chip" }, svc.prefix || "?"),
    el("img", { class: "t-pict", src: pictogramUrl(svc.code), alt: "", width: 80, height: 80, draggable: "false" }),
    el("span", { class: "t-name" }, serviceName(svc)),
    other && other !== serviceName(svc) ? el("span", { class: "t-alt", lang: currentLang() === "en" ? "id" : "en" }, other) : el("span"),
    el("span", { class: "t-meta" }, ...(meta || closedMeta)));
    tile.style.setProperty("--svc", `var(--svc-${serviceIndex(svc.code)})`);
    tile.disabled = !state.online;
    box.append(tile);
    if (hadFocus === svc.code) tile.focus({ preventScroll: true });
  });
  const active = document.activeElement;
  if (state.screen === "start" && (!active || active === document.body)) {
    const first = $(".tile:not([disabled])");
    if (first) first.focus({ preventScroll: true });
  }
}

// The estimate, or why there is none (no counter open for the service yet).
function waitText(item) {
  if (item.estimated_wait_reason) {
    const r = item.estimated_wait_reason;
    return r.code === "no_counter_open" ? t("kiosk.no.counter") : (r[currentLang()] || r.id);
  }
  return formatWait(item.estimated_wait_s);
}

// the service's colour as the server gives it: the same on the admin page and the boards
function serviceIndex(code) { const s = state.services.find((x) => x.code === code); return s && s.colour != null ? s.colour : 0; }

// ---- details: priority and contact --------------------------------------------------

function choose(svc) {
  if (svc.open === false) {
    showProblem("warn", t("kiosk.closed.title"), serviceName(svc), closedReason(svc));
    return;
  }
  if (state.speak) speakText(t("kiosk.speak.details", { service: serviceName(svc) }));
  state.service = svc;
  state.priority = "regular";
  state.contactKind = "none";
  state.idemKey = null;
  $("#contact-input").value = "";
  setPriority("regular");
  setContactKind("none");
  renderChosen();
  show("details");
}

function renderChosen() {
  const svc = state.service;
  const chip = $("#chosen-chip");
  chip.textContent = svc.prefix || "?";
  chip.style.setProperty("--svc", `var(--svc-${serviceIndex(svc.code)})`);
  $("#chosen-name").textContent = serviceName(svc);
  $("#chosen-meta").textContent = `${t("common.waiting.count", { n: svc.waiting ?? 0 })} · ${waitText(svc)}`;
}

function setPriority(p) {
  state.priority = p;
  $$(".prio").forEach((b) => b.setAttribute("aria-checked", String(b.dataset.priority === p)));
}
$$(".prio").forEach((b) => b.addEventListener("click", () => setPriority(b.dataset.priority)));
$("#prio").addEventListener("keydown", (e) => {
  const order = $$(".prio");
  const i = order.findIndex((b) => b.dataset.priority === state.priority);
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
  if (step) { e.preventDefault(); const next = order[(i + step + order.length) % order.length]; setPriority(next.dataset.priority); next.focus(); }
});

function setContactKind(kind) {
  state.contactKind = kind;
  $$(".ctab").forEach((b) => {
    b.setAttribute("aria-selected", String(b.dataset.kind === kind));
    b.tabIndex = b.dataset.kind === kind ? 0 : -1;
  });
  $("#contact-label").textContent = kind === "none" ? "" : t(`kiosk.contact.label.${kind}`);
  $("#contact-entry").hidden = kind === "none";
  const input = $("#contact-input");
  input.value = "";
  input.removeAttribute("aria-invalid");
  $("#contact-error").textContent = "";
  input.type = kind === "email" ? "email" : "tel";
  input.placeholder = kind === "email" ? "nama@contoh.com" : "08xx xxxx xxxx";
  state.contactError = null;
  renderKeyboard();
  if (kind !== "none") keypadInSight();
}

// The keypad opens at the end of the details screen, where the sticky action bar
// would cover it: scroll the screen so the whole keypad sits above the bar.
function keypadInSight() {
  const screen = $("#screen-details");
  const osk = $("#osk");
  const bar = $("#screen-details .k-actions");
  const overlap = osk.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
  if (overlap > 0) screen.scrollTop += overlap + 8;
}
$$(".ctab").forEach((b) => b.addEventListener("click", () => setContactKind(b.dataset.kind)));
$("#contact-tabs").addEventListener("keydown", (e) => {
  const order = $$(".ctab");
  const i = order.findIndex((b) => b.dataset.kind === state.contactKind);
  const to = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: order.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  const next = order[(to + order.length) % order.length];
  setContactKind(next.dataset.kind);
  next.focus();
});

const KEYS = {
  phone: [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["+", "0", "⌫"]],
  email: [
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
    ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p"],
    ["a", "s", "d", "f", "g", "h", "j", "k", "l", "⌫"],
    ["z", "x", "c", "v", "b", "n", "m", ".", "-", "_"],
    ["@", "@gmail.com", ".com", ".co.id", "CLR"],
  ],
};

function renderKeyboard() {
  const osk = $("#osk");
  osk.replaceChildren();
  const kind = state.contactKind;
  if (kind === "none") return;
  osk.className = `osk ${kind}`;
  for (const row of KEYS[kind]) {
    osk.append(el("div", { class: "osk-row" }, ...row.map((k) => el("button", {
      type: "button", class: k.length > 1 ? "wide" : "", dataset: { key: k },
      "aria-label": k === "⌫" ? "backspace" : k === "CLR" ? t("kiosk.kb.clear") : k,
    }, k === "CLR" ? t("kiosk.kb.clear") : k))));
  }
}

$("#osk").addEventListener("click", (e) => {
  const key = e.target.closest("button") && e.target.closest("button").dataset.key;
  if (!key) return;
  const input = $("#contact-input");
  if (key === "⌫") input.value = input.value.slice(0, -1);
  else if (key === "CLR") input.value = "";
  else if (input.value.length < 80) input.value += key;
  input.removeAttribute("aria-invalid");
  state.contactError = null;
  $("#contact-error").textContent = "";
});

function contactPayload() {
  const value = $("#contact-input").value.trim();
  if (state.contactKind === "none" || !value) return { ok: true, contact: {} };
  if (state.contactKind === "phone") {
    const digits = value.replace(/[\s-]/g, "");
    // a national number: 08 + 8..11 digits (10..13 in all); +62 8.. the same without the 0
    const national = digits.startsWith("+62") ? `0${digits.slice(3)}` : digits;
    const n = national.replace(/\D/g, "").length;
    if (n < 10) return { ok: false, error: { key: "kiosk.phone.short", vars: { n } } };
    if (n > 13) return { ok: false, error: { key: "kiosk.phone.long", vars: { n } } };
    if (!/^\+?\d{8,15}$/.test(digits)) return { ok: false };
    return { ok: true, contact: { phone: digits } };
  }
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(value)) return { ok: false, error: { key: "kiosk.email.invalid" } };
  return { ok: true, contact: { email: value } };
}

// error: {key, vars} (re-rendered when the language changes) or {text} (the server's,
// already in the language it was asked in)
function markContactInvalid(error) {
  state.contactError = error || { key: "kiosk.field.invalid" };
  $("#contact-input").setAttribute("aria-invalid", "true");
  renderContactError();
}

function renderContactError() {
  const e = state.contactError;
  $("#contact-error").textContent = !e ? "" : e.key ? t(e.key, e.vars || {}) : e.text;
}

$("#back").addEventListener("click", reset);
$("#take").addEventListener("click", () => {
  const c = contactPayload();
  if (!c.ok) { markContactInvalid(c.error); return; }
  issue(c.contact);
});

// ---- issuing --------------------------------------------------------------------------

async function issue(contact) {
  if (state.issuing) return;
  state.issuing = true;
  state.idemKey = state.idemKey || uuid();
  const body = { service: state.service.code, priority: state.priority, contact, language: currentLang() };
  $("#issuing-retry").textContent = "";
  show("issuing");
  let lastError = null;
  for (let attempt = 1; attempt <= ISSUE_ATTEMPTS; attempt++) {
    try {
      const headers = { "Idempotency-Key": state.idemKey };
      if (kioskKey) headers["X-Kiosk-Key"] = kioskKey;
      const { data } = await api("POST", "/api/tickets", { body, timeout: 10000, headers });
      state.issuing = false;
      window.__kiosk.issued.push(data);
      showTicket(data);
      return;
    } catch (err) {
      lastError = err;
      const retryable = err instanceof NetworkError || (err instanceof ApiError && err.status >= 500);
      if (!retryable) break;
      $("#issuing-retry").textContent = t("kiosk.issuing.retry", { n: attempt });
      setOnline(false);
      await sleep(Math.min(1000 * attempt, 5000));
    }
  }
  state.issuing = false;
  handleIssueError(lastError, contact);
}

function handleIssueError(err, contact) {
  if (err instanceof ApiError && err.status === 401 && err.code === "kiosk_unknown") {
    // revoked or mistyped: forget it (tickets go on, under the per-address limit) and say so
    kioskKey = "";
    window.__kiosk.registered = false;
    try { localStorage.removeItem("ptsp.kiosk.key"); } catch (e) { /* ignore */ }
    state.idemKey = null;
    showProblem("bad", t("kiosk.issue.failed"), err.message, t("kiosk.issue.failed.hint"), () => issue(contact));
    return;
  }
  if (err instanceof ApiError && err.status === 429) {
    state.idemKey = null;
    showProblem("warn", t("kiosk.issue.failed"), err.message, "");
    return;
  }
  if (err instanceof ApiError && err.status === 409) {
    state.idemKey = null;
    if (err.code === "quota_reached") {
      showProblem("warn", t("kiosk.quota.title"), err.message, t("kiosk.quota.hint"));
    } else {
      showProblem("warn", t("kiosk.closed.title"), err.message, "");
    }
    refreshServices();
    return;
  }
  if (err instanceof ApiError && (err.status === 422 || err.status === 400)) {
    state.idemKey = null;
    const fields = fieldMessages(err);
    const contactField = Object.keys(fields).find((f) => f.startsWith("contact"));
    if (contactField && Object.keys(contact).length) {
      show("details");
      markContactInvalid({ text: fields[contactField] || err.message });
      return;
    }
    showProblem("bad", t("kiosk.issue.failed"), err.message, t("kiosk.issue.failed.hint"));
    return;
  }
  // no answer: keep the same Idempotency-Key, so "try again" can never make two tickets
  showProblem("bad", t("kiosk.issue.failed"), errorText(err), t("kiosk.issue.failed.hint"), () => issue(contact));
}

function showProblem(kind, title, text, detail, retry) {
  const card = $(".err");
  card.className = `err card ${kind}`;
  $("#err-title").textContent = title;
  $("#err-text").textContent = text || "";
  $("#err-detail").textContent = detail || "";
  const retryBtn = $("#err-retry");
  retryBtn.hidden = !retry;
  retryBtn.onclick = retry || null;
  show("error");
  countdown(ERROR_MS, $("#err-countdown"), reset);
}
$("#err-back").addEventListener("click", reset);

// ---- the ticket -----------------------------------------------------------------------

function renderTicket(tk) {
  const svc = state.services.find((s) => s.code === tk.service) || { code: tk.service, prefix: (tk.number || "?")[0], name: tk.service_name, name_en: tk.service_name_en };
  $("#t-number").textContent = tk.number;
  const chip = $("#t-chip");
  chip.textContent = svc.prefix || (tk.number || "?")[0];
  chip.style.setProperty("--svc", `var(--svc-${serviceIndex(tk.service)})`);
  $("#t-service").textContent = (currentLang() === "en" && tk.service_name_en) || tk.service_name || serviceName(svc);
  const prio = $("#t-prio");
  prio.hidden = !tk.priority || tk.priority === "regular";
  prio.replaceChildren(el("span", { class: "badge gold" }, t(`priority.${tk.priority}`)));
  $("#t-ahead").textContent = tk.position ? String(Math.max(0, tk.position - 1)) : "0";
  $("#t-wait").textContent = waitText(tk);
  fillReceipt(tk);
}

// The QR holds track_url with the ticket's access key, so the key travels in a header
// (never in a URL the server logs) and the SVG is shown as a data: URL.
const qrCache = new Map();
async function qrDataUrl(tk) {
  if (qrCache.has(tk.id)) return qrCache.get(tk.id);
  const headers = tk.access_key ? { "X-Ticket-Key": tk.access_key } : {};
  const res = await fetch(`/api/tickets/${encodeURIComponent(tk.id)}/qr.svg`, { headers, cache: "no-store" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(await res.text())}`;
  qrCache.clear();
  qrCache.set(tk.id, url);
  return url;
}

function showQr(img, tk) {
  return qrDataUrl(tk).then((url) => { if (state.ticket === tk) img.src = url; }).catch(() => { img.removeAttribute("src"); });
}

function showTicket(tk) {
  state.ticket = tk;
  setOnline(true);
  showQr($("#t-qr"), tk);
  $("#t-print").textContent = "";
  $("#t-print").className = "t-print";
  $("#print-again").hidden = true;
  renderTicket(tk);
  show("ticket");
  if (state.speak) {
    const service = (currentLang() === "en" && tk.service_name_en) || tk.service_name || tk.service;
    speakText(t("kiosk.speak.ticket", { number: spellTicket(tk.number, currentLang()), service }));
  }
  countdown(TICKET_MS, $("#t-countdown"), reset);
  printTicket(tk);
  refreshServices();
}

$("#done").addEventListener("click", reset);
$("#print-again").addEventListener("click", () => {
  $("#print-again").hidden = true;
  if (state.ticket) printTicket(state.ticket);
});

function fillReceipt(tk) {
  const tz = state.site && state.site.timezone;
  $("#r-site").textContent = (state.site && state.site.name) || t("app.name");
  $("#r-label").textContent = t("display.now").toUpperCase();
  $("#r-number").textContent = tk.number;
  $("#r-service").textContent = (currentLang() === "en" && tk.service_name_en) || tk.service_name || tk.service;
  $("#r-prio").textContent = tk.priority && tk.priority !== "regular" ? t(`priority.${tk.priority}`) : "";
  $("#r-ahead-l").textContent = t("kiosk.ticket.ahead");
  $("#r-ahead").textContent = tk.position ? String(Math.max(0, tk.position - 1)) : "";
  $("#r-wait-l").textContent = t("kiosk.ticket.wait");
  $("#r-wait").textContent = tk.estimated_wait_reason ? waitText(tk) : tk.estimated_wait_s == null ? "" : formatWait(tk.estimated_wait_s);
  $("#r-issued-l").textContent = t("kiosk.receipt.issued");
  $("#r-issued").textContent = `${formatTime(tk.issued_at, tz)} ${tzLabel(tz)}`.trim();
  $("#r-scan").textContent = t("kiosk.receipt.scan");
  $("#r-keep").textContent = t("kiosk.receipt.keep");
}

async function printTicket(tk) {
  const status = $("#t-print");
  if (printMode === "none") return;
  if (printMode === "server") {
    status.textContent = t("kiosk.ticket.printing");
    try {
      await api("POST", `/api/tickets/${encodeURIComponent(tk.id)}/print`, {
        body: { kiosk: kioskId, language: currentLang() }, timeout: 15000,
        headers: tk.access_key ? { "X-Ticket-Key": tk.access_key } : {},
      });
      status.textContent = t("kiosk.ticket.printed");
      window.__kiosk.printed.push({ id: tk.id, via: "escpos" });
    } catch (err) {
      status.textContent = t("kiosk.ticket.print.failed");
      status.className = "t-print bad";
      $("#print-again").hidden = false;
    }
    return;
  }
  // the browser's print with the receipt layout; a kiosk runs chromium with
  // --kiosk-printing so this goes straight to the default (thermal) printer
  const qr = $("#r-qr");
  const loaded = new Promise((resolve) => { qr.onload = resolve; qr.onerror = resolve; setTimeout(resolve, 2500); });
  showQr(qr, tk);
  await loaded;
  if (state.ticket !== tk) return;
  window.__kiosk.printed.push({ id: tk.id, via: "browser", paper });
  try { window.print(); } catch (e) { /* no printing here */ }
}

// ---- spoken prompt and ticket number (for whoever reads poorly) ----------------------
// Off until the citizen presses "Read aloud" (or always on with ?speak=1); the start
// screen's prompt names the services; the details screen the chosen one; the ticket
// screen says the number, spelled as the board calls it.
const SPEAK_DEFAULT = params.get("speak") === "1";

function setSpeech(on, announce = true) {
  state.speak = on;
  const btn = $("#speak");
  btn.setAttribute("aria-pressed", String(on));
  if (!on) { hush(); return; }
  if (announce) speakScreen();
}

function speakScreen() {
  if (state.screen === "start") {
    const names = state.services.filter((s) => s.open !== false).map((s) => serviceName(s)).join(", ");
    speakText(`${t("kiosk.speak.prompt")} ${names}.`);
  } else if (state.screen === "details" && state.service) {
    speakText(t("kiosk.speak.details", { service: serviceName(state.service) }));
  } else if (state.screen === "ticket" && state.ticket) {
    speakText(t("kiosk.speak.ticket", { number: spellTicket(state.ticket.number, currentLang()), service: $("#t-service").textContent }));
  }
}

function speakText(text) {
  const entry = { text, lang: currentLang(), via: null };
  window.__kiosk.spoken.push(entry);
  say(text, entry.lang).then((via) => { entry.via = via; });
}

$("#speak").addEventListener("click", () => setSpeech(!state.speak));

// ---- start -----------------------------------------------------------------------------

(function init() {
  const link = el("link", { rel: "stylesheet", media: "print", href: `/static/css/receipt-${paper}.css` });
  document.head.append(link);
  $("#kiosk-id").textContent = kioskId ? `Kiosk ${kioskId}` : "";
  applyI18n();
  renderKeyboard();
  setSpeech(SPEAK_DEFAULT, false);
  show("start");
  tickClock();
  setInterval(tickClock, 1000);
  loadSite();
  refreshServices();
  window.addEventListener("online", refreshServices);
  // a kiosk should never sit on a stale page after days: reload at night when idle
  setInterval(() => {
    const hour = Number(formatClock(new Date(), state.site && state.site.timezone).slice(0, 2));
    if (hour === 3 && state.screen === "start" && state.online) location.reload();
  }, 30 * 60000);
})();
