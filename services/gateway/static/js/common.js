// Shared helpers for every page: page data, i18n, API calls, live display state,
// formatting, tiny DOM helpers. Plain ES module, no build step.

const dataEl = document.getElementById("page-data");
export const PAGE = dataEl ? JSON.parse(dataEl.textContent) : { strings: {}, lang: "id" };
const STRINGS = PAGE.strings || {};
let lang = PAGE.lang || "id";
const langListeners = [];

// ---- i18n -----------------------------------------------------------------------

export function currentLang() { return lang; }

export function t(key, vars = {}, forLang = lang) {
  const entry = STRINGS[key];
  let text = entry ? (entry[forLang] ?? entry.id ?? key) : key;
  for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(String(v));
  return text;
}

/** Apply the language to every [data-i18n] element (text) and [data-i18n-attr]
 *  ("placeholder:key;aria-label:key"). */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll("[data-i18n-attr]").forEach((el) => {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  });
}

/** Switch language. persist=true stores it (localStorage + cookie for the server). */
export function setLang(next, { persist = true } = {}) {
  if (next !== "id" && next !== "en") return;
  lang = next;
  if (persist) {
    try { localStorage.setItem("ptsp.lang", next); } catch (e) { /* private mode */ }
    document.cookie = `ptsp_lang=${next}; path=/; max-age=31536000; samesite=lax`;
  }
  applyI18n();
  langListeners.forEach((fn) => fn(next));
}

export function onLangChange(fn) { langListeners.push(fn); }

/** On pages that remember the language: take ?lang= or the stored choice. */
export function restoreLang() {
  const param = new URLSearchParams(location.search).get("lang");
  let stored = null;
  try { stored = localStorage.getItem("ptsp.lang"); } catch (e) { /* ignore */ }
  const want = param || stored;
  if (want && want !== lang) setLang(want, { persist: !!param || false });
}

export function bindLangToggle(button, opts = {}) {
  if (!button) return;
  const label = () => { button.textContent = t("lang.switch"); button.setAttribute("lang", lang === "id" ? "en" : "id"); };
  label();
  onLangChange(label);
  button.addEventListener("click", () => setLang(lang === "id" ? "en" : "id", opts));
}

// ---- API --------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || `http_${status}`;
    this.fields = err.fields || {};
    // each bad field's message in both languages ({field, id, en}); pages show these,
    // never the technical English notes in `fields`
    this.details = Array.isArray(err.details) ? err.details : [];
  }
}

/** {field: message in the page's language} of a refused request (issue 11). */
export function fieldMessages(err) {
  const out = {};
  if (!(err instanceof ApiError)) return out;
  for (const d of err.details) {
    if (d && d.field && !(d.field in out)) out[d.field] = d[lang] || d.id || "";
  }
  return out;
}

export class NetworkError extends Error {
  constructor(cause) { super("network"); this.cause = cause; this.code = "network"; }
}

/**
 * fetch JSON with a timeout. Resolves {status, data, headers}; rejects with ApiError
 * (a 4xx/5xx answer) or NetworkError (no answer at all).
 */
export async function api(method, path, { body, token, timeout = 8000, headers = {}, etag } = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  const h = { Accept: "application/json", "Accept-Language": lang, ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (token) h.Authorization = `Bearer ${token}`;
  if (etag) h["If-None-Match"] = etag;
  let res;
  try {
    res = await fetch(path, {
      method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctrl.signal, cache: "no-store", credentials: "same-origin",
    });
  } catch (e) {
    throw new NetworkError(e);
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  if (res.status !== 204 && res.status !== 304) {
    const text = await res.text().catch(() => "");
    if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
  }
  if (res.status >= 400) {
    if (res.status >= 502 && res.status <= 504 && !(data && data.error)) throw new NetworkError(null);
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data, headers: res.headers };
}

/** The message to show for an error, in the current language. */
export function errorText(err) {
  if (err instanceof NetworkError) return t("common.error.network");
  if (err instanceof ApiError && err.message && !/^HTTP \d+$/.test(err.message)) return err.message;
  return t("common.error.generic");
}

// ---- live display state: SSE with reconnect, polling fallback -------------------

/**
 * Follows GET /api/display/stream; when the stream fails it polls GET /api/display
 * (with If-None-Match) and keeps trying the stream again with back-off.
 * onState(state) gets every new state; onStatus("live"|"polling"|"offline").
 */
export class DisplayFeed {
  constructor({ onState, onStatus, pollMs = 3000 }) {
    this.onState = onState;
    this.onStatus = onStatus || (() => {});
    this.pollMs = pollMs;
    this.es = null;
    this.etag = null;
    this.lastKey = null;
    this.status = null;
    this.retry = 1000;
    this.pollTimer = null;
    this.sseTimer = null;
    this.lastMessage = 0;
    this.stopped = false;
  }

  start() {
    this.poll();                   // a first state at once, whatever the stream does
    this.connect();
    this.watchdog = setInterval(() => {
      // no message (not even a keepalive reaches JS, so rely on state polling) — poll
      if (this.status !== "live") return;
      if (Date.now() - this.lastMessage > 30000) this.poll();
    }, 10000);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.poll();
    });
    window.addEventListener("online", () => { this.poll(); this.connect(); });
  }

  setStatus(s) {
    if (s !== this.status) { this.status = s; this.onStatus(s); }
  }

  connect() {
    if (this.stopped || typeof EventSource === "undefined") { this.schedulePoll(); return; }
    if (this.es) { this.es.close(); this.es = null; }
    clearTimeout(this.sseTimer);
    const es = new EventSource("/api/display/stream");
    this.es = es;
    es.onopen = () => { this.retry = 1000; this.setStatus("live"); this.stopPolling(); this.lastMessage = Date.now(); };
    es.onmessage = (ev) => {
      this.lastMessage = Date.now();
      this.setStatus("live");
      this.stopPolling();
      try { this.deliver(JSON.parse(ev.data)); } catch (e) { /* ignore a bad frame */ }
    };
    es.onerror = () => {
      es.close();
      if (this.es === es) this.es = null;
      // the stream is gone: poll until it is back (the poll tells online from offline)
      if (this.status === "live") this.setStatus("polling");
      this.schedulePoll();
      clearTimeout(this.sseTimer);
      this.sseTimer = setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10000);
    };
  }

  deliver(state) {
    if (!state) return;
    // skip only an identical state: a version number alone can repeat when the
    // server rebuilds its projection
    const key = JSON.stringify(state);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.onState(state);
  }

  schedulePoll() {
    if (this.pollTimer || this.stopped) return;
    const tick = async () => {
      await this.poll();
      if (this.status !== "live") this.pollTimer = setTimeout(tick, this.pollMs);
      else this.pollTimer = null;
    };
    this.pollTimer = setTimeout(tick, 0);
  }

  stopPolling() { clearTimeout(this.pollTimer); this.pollTimer = null; }

  async poll() {
    try {
      const res = await api("GET", "/api/display", { etag: this.etag, timeout: 6000 });
      if (this.status !== "live") {
        const wasOffline = this.status === "offline";
        this.setStatus("polling");
        if (wasOffline && !this.es) { this.retry = 1000; this.connect(); }   // the server is back: stream again now
      }
      if (res.status === 304) return;
      this.etag = res.headers.get("ETag");
      this.deliver(res.data);
    } catch (e) {
      if (this.status !== "live") this.setStatus("offline");
    }
  }
}

// ---- formatting -------------------------------------------------------------------

export function formatWait(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const min = Math.round(seconds / 60);
  if (seconds < 60) return t("common.wait.lt1");
  if (min >= 90) return t("common.wait.hours", { h: Math.floor(min / 60), m: min % 60 });
  return t("common.wait.approx", { n: min });
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || isNaN(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(r)}` : `${pad(m)}:${pad(r)}`;
}

const fmtCache = new Map();
function fmt(tz, opts, forLang = lang) {
  const key = `${forLang}|${tz}|${JSON.stringify(opts)}`;
  if (!fmtCache.has(key)) {
    let f;
    try { f = new Intl.DateTimeFormat(forLang === "en" ? "en-GB" : "id-ID", { timeZone: tz || undefined, ...opts }); }
    catch (e) { f = new Intl.DateTimeFormat(forLang === "en" ? "en-GB" : "id-ID", opts); }
    fmtCache.set(key, f);
  }
  return fmtCache.get(key);
}

export function formatClock(date, tz, withSeconds = false) {
  const parts = fmt(tz, { hour: "2-digit", minute: "2-digit", second: withSeconds ? "2-digit" : undefined, hourCycle: "h23" }).formatToParts(date);
  const get = (type) => (parts.find((p) => p.type === type) || {}).value || "";
  return withSeconds ? `${get("hour")}:${get("minute")}:${get("second")}` : `${get("hour")}:${get("minute")}`;
}

export function formatDate(date, tz, forLang = lang) {
  return fmt(tz, { weekday: "long", day: "numeric", month: "long", year: "numeric" }, forLang).format(date);
}

export function formatTime(iso, tz) {
  if (!iso) return "—";
  const d = new Date(iso);
  return isNaN(d) ? "—" : formatClock(d, tz);
}

/** Abbreviation for time zones Indonesians use on signs. */
export function tzLabel(tz) {
  return { "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT" }[tz] || "";
}

export function serviceName(svc) {
  if (!svc) return "";
  return (lang === "en" && (svc.name_en || svc.service_name_en)) || svc.name || svc.service_name || svc.code || svc.service || "";
}

/** A stable colour slot per service, from its place in the catalogue. */
export function serviceColorIndex(services, code) {
  const i = (services || []).findIndex((s) => s.code === code);
  return i < 0 ? 0 : i % 6;
}

// ---- DOM --------------------------------------------------------------------------

/** el("div", {class: "x", onclick: fn, dataset: {a: 1}}, "text", child...) — no innerHTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(node.style, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function $(sel, root = document) { return root.querySelector(sel); }
export function $$(sel, root = document) { return Array.from(root.querySelectorAll(sel)); }

export function toast(message, kind = "", ms = 4000) {
  let box = document.querySelector(".toasts");
  if (!box) { box = el("div", { class: "toasts", role: "status", "aria-live": "polite" }); document.body.append(box); }
  const node = el("div", { class: `toast ${kind}` }, message);
  box.append(node);
  setTimeout(() => node.remove(), ms);
}

/** A modal built from <dialog>; resolves with the value of the button pressed. */
export function ask({ title, text, buttons, body }) {
  return new Promise((resolve) => {
    const dlg = el("dialog", { class: "modal" });
    const actions = el("div", { class: "modal-actions" });
    for (const b of buttons) {
      actions.append(el("button", {
        class: `btn ${b.class || ""}`, type: "button",
        onclick: () => { dlg.close(); dlg.remove(); resolve(b.value); },
      }, b.label));
    }
    dlg.append(el("div", { class: "modal-body" }, el("h2", {}, title), text ? el("p", {}, text) : null, body || null, actions));
    dlg.addEventListener("cancel", (e) => { e.preventDefault(); dlg.close(); dlg.remove(); resolve(null); });
    document.body.append(dlg);
    dlg.showModal();
    // a button marked { focus: true } (Cancel, in a dialog that does something risky) takes the focus
    const marked = buttons.findIndex((b) => b.focus);
    const primary = marked >= 0 ? actions.children[marked]
      : actions.querySelector(".btn:not(.secondary):not(.ghost)") || actions.querySelector(".btn");
    if (primary) primary.focus();
  });
}

export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- the officer's session (shared by the counter console and the supervisor page) ----

export const OFFICER_SESSION_KEY = "ptsp.officer";

export function loadOfficerSession() {
  try {
    const s = JSON.parse(localStorage.getItem(OFFICER_SESSION_KEY) || "null");
    if (s && s.token && (!s.expires_at || Date.parse(s.expires_at) > Date.now())) return s;
  } catch (e) { /* storage unavailable or corrupt: no session */ }
  return null;
}

export function storeOfficerSession(s) {
  try {
    if (s) localStorage.setItem(OFFICER_SESSION_KEY, JSON.stringify(s));
    else localStorage.removeItem(OFFICER_SESSION_KEY);
  } catch (e) { /* storage unavailable: the session lasts as long as the page */ }
}

// ---- the supervisor pages' sign-in (admin and reports) ----------------------------------

const SUPERVISOR_ROLES = ["supervisor", "admin"];

/** The login and app views of a supervisor page (#view-login, #view-app, #login-form,
 * #signout, #who): sign-in refused to an officer, sign-out ending the session on the
 * server. ``state.session`` holds the session; ``onEnter`` runs once signed in; the
 * elements of ``signedInOnly`` show only then. */
export function supervisorSignIn(state, { onEnter, signedInOnly = [] }) {
  const saveSession = (s) => { state.session = s; storeOfficerSession(s); };

  function show(view) {
    for (const v of $$(".view")) v.hidden = v.id !== `view-${view}`;
    const signedIn = view === "app";
    for (const sel of ["#signout", "#who", ...signedInOnly]) $(sel).hidden = !signedIn;
    if (signedIn) $("#who").textContent = `${state.session.username} · ${t(`admin.role.${state.session.role}`)}`;
  }

  function showLogin(note) {
    show("login");
    $("#login-note").hidden = !note;
    $("#login-note").textContent = note || "";
  }

  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const username = $("#username").value.trim();
    const password = $("#password").value;
    $("#login-error").textContent = "";
    try {
      const { data } = await api("POST", "/api/auth/login", { body: { username, password } });
      if (!SUPERVISOR_ROLES.includes(data.role)) { $("#login-error").textContent = t("admin.forbidden"); return; }
      saveSession({ token: data.token, role: data.role, expires_at: data.expires_at, username: data.username || username });
      $("#password").value = "";
      onEnter();
    } catch (err) {
      $("#login-error").textContent = errorText(err);
    }
  });

  $("#signout").addEventListener("click", () => {
    const token = state.session && state.session.token;
    if (token) api("POST", "/api/auth/logout", { token }).catch(() => {});  // ends it on the server
    saveSession(null);
    showLogin();
  });

  /** The stored session if it is a supervisor's, else the login view; true when signed in. */
  function resume() {
    state.session = loadOfficerSession();
    if (!state.session || !SUPERVISOR_ROLES.includes(state.session.role)) { state.session = null; showLogin(); return false; }
    return true;
  }

  return { show, showLogin, saveSession, resume };
}
