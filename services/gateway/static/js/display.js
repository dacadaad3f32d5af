// Display board: panels per open counter, last calls, queue lengths, clock, running
// text — live over SSE (polling when the stream is down) — and an announcement queue:
// every call is announced once, in call order, chime first, then Indonesian speech
// (the browser's id-ID voice, else espeak-ng audio from the server).
import { DisplayFeed, formatClock, formatDate, formatTime, tzLabel, el, $, sleep, t } from "./common.js";
import { announcementText } from "./speech.js";

const CHIME_URL = "/static/audio/chime.wav";
const FRESH_MS = 120000;     // after a reload, calls older than this are not announced
const GAP_MS = 700;          // silence between two announcements
const BACKLOG_GAP_MS = 250;  // … while more calls wait: a backlog is worked off at under 5 s a call

const state = {
  display: null, tz: "Asia/Jakarta", site: "", lastCallId: null, muted: false,
  current: null, tickerText: null, soundBlocked: false, audio: null,
};

// Hooks a test (or a technician with the console) can read.
window.__announcements = [];
window.__speech = { synth: [], server: [], voices: null, errors: [] };

const storageKey = () => `ptsp.display.lastCall.${state.site || "site"}`;
function loadLastCall() {
  try { const v = localStorage.getItem(storageKey()); return v === null ? null : Number(v); } catch (e) { return null; }
}
function saveLastCall(id) {
  try { localStorage.setItem(storageKey(), String(id)); } catch (e) { /* ignore */ }
}

// ---- rendering --------------------------------------------------------------------

function services() { return (state.display && state.display.services) || []; }
function serviceOf(code) { return services().find((s) => s.code === code) || { code, name: code, prefix: "" }; }
function colorOf(code) { const s = services().find((x) => x.code === code); return `var(--svc-${s && s.colour != null ? s.colour : 0})`; }
function counterLabel(n) { return `${t("common.counter", {}, "id")} ${n}`; }
/** "Loket 5 — Umum" -> "Umum": the part of a counter's name after its number. */
function counterDesc(c) {
  const name = c.name || "";
  const m = /^\s*loket\s*\d+\s*[—–:-]?\s*(.*)$/i.exec(name);
  return m ? m[1] : name;
}

function render(s) {
  const first = state.display === null;
  state.display = s;
  state.tz = s.timezone || state.tz;
  state.site = s.site || state.site;
  $("#site-name").textContent = s.site_name || s.site || "";
  renderPanels(s);
  renderRecent(s);
  renderWaiting(s);
  renderTransfers(s);
  renderTicker(s.running_text);
  if (!state.current) renderHero(s.recent && s.recent[0], false);
  processCalls(s.recent || [], first);
  tick();
}

function renderHero(call, flash) {
  const hero = $("#hero");
  if (!call) {
    $("#hero-number").textContent = "—";
    $("#hero-counter").textContent = `${t("common.counter", {}, "id")} —`;
    $("#hero-service").replaceChildren();
    return;
  }
  const svc = serviceOf(call.service);
  $("#hero-number").textContent = call.number;
  $("#hero-counter").textContent = counterLabel(call.counter);
  const chip = el("span", { class: "svc-chip" }, svc.prefix || "");
  chip.style.setProperty("--svc", colorOf(call.service));
  $("#hero-service").replaceChildren(chip, el("span", {}, svc.name || call.service),
    svc.name_en ? el("span", { lang: "en" }, `· ${svc.name_en}`) : "",
    call.kind === "recall" ? el("span", { class: "recall-tag" }, t("display.recall", {}, "id")) : "");
  if (flash) { hero.classList.remove("flash"); void hero.offsetWidth; hero.classList.add("flash"); }
}

// A panel shows only the number its counter is calling or serving now: once the
// citizen is served the number goes (a served number must never pass for a live call).
function renderPanels(s) {
  const box = $("#panels");
  const counters = (s.counters || []).slice().sort((a, b) => a.counter - b.counter);
  box.classList.toggle("many", counters.length > 6);
  if (!counters.length) {
    box.replaceChildren(el("div", { class: "none" }, el("div", {}, t("display.no.counters", {}, "id"), el("br"), el("span", { lang: "en" }, t("display.no.counters", {}, "en")))));
    return;
  }
  box.replaceChildren(...counters.map((c) => {
    const number = c.number;
    const code = c.service;
    const svc = code ? serviceOf(code) : null;
    const panel = el("div", { class: `panel${c.number ? "" : " free"}`, dataset: { counter: c.counter } },
      el("div", { class: "panel-head" }, el("span", { class: "p-name" }, counterLabel(c.counter)), el("span", { class: "p-desc" }, counterDesc(c))),
      el("div", { class: `panel-number num${number ? "" : " idle"}` }, number || "—"),
      el("div", { class: "panel-service" }, svc ? (svc.name || code) : "\u00a0"));
    if (svc) panel.style.setProperty("--svc", colorOf(code));
    if (state.current && state.current.counter === c.counter) panel.classList.add("active");
    return panel;
  }));
}

function renderRecent(s) {
  const list = $("#recent");
  const recent = (s.recent || []).slice(0, 7);
  if (!recent.length) { list.replaceChildren(el("li", { class: "empty" }, "—")); return; }
  list.replaceChildren(...recent.map((r) => el("li", { dataset: { callId: r.call_id } },
    el("span", { class: "num" }, r.number, r.kind === "recall"
      ? el("span", { class: "r-recall", title: t("display.recall", {}, "id"), "aria-label": t("display.recall", {}, "id") }, "↻") : ""),
    el("span", { class: "r-counter" }, `→ ${counterLabel(r.counter)}`),
    el("span", { class: "r-time num" }, formatTime(r.called_at, state.tz)))));
}

function renderWaiting(s) {
  const list = $("#waiting");
  const waiting = s.waiting || {};
  const rows = services().map((svc) => {
    const n = waiting[svc.code] ?? 0;
    const chip = el("span", { class: "svc-chip" }, svc.prefix);
    chip.style.setProperty("--svc", colorOf(svc.code));
    return el("li", { dataset: { service: svc.code } }, chip, el("span", { class: "w-name" }, svc.name),
      el("span", { class: `w-count num${n ? "" : " zero"}` }, String(n)));
  });
  list.replaceChildren(...(rows.length ? rows : [el("li", { class: "empty" }, "—")]));
}

// Tickets moved to another service keep the number the citizen holds (and its letter):
// the board says which service each now waits for.
function renderTransfers(s) {
  const moved = (s.transfers || []).slice(0, 5);
  $("#transfers-card").hidden = !moved.length;
  $("#transfers").replaceChildren(...moved.map((m) => {
    const svc = serviceOf(m.service);
    const chip = el("span", { class: "svc-chip" }, svc.prefix || "");
    chip.style.setProperty("--svc", colorOf(m.service));
    return el("li", { dataset: { number: m.number, service: m.service } },
      el("span", { class: "num" }, m.number), el("span", { class: "t-arrow", "aria-hidden": "true" }, "→"), chip,
      el("span", { class: "t-name" }, svc.name || m.service));
  }));
}

function renderTicker(text) {
  const value = text || t("display.welcome", {}, "id");
  if (value === state.tickerText) return;
  state.tickerText = value;
  const track = $("#ticker");
  $("#ticker-text").textContent = value;
  $("#ticker-copy").textContent = value;
  track.classList.remove("run");
  requestAnimationFrame(() => {
    // keep the text at least as wide as the screen so the loop never shows a gap
    const minWidth = track.parentElement.clientWidth;
    const one = track.scrollWidth / 2;
    if (one < minWidth) for (const span of track.children) span.style.minWidth = `${minWidth}px`;
    const px = Math.max(one, minWidth);
    const speed = window.innerWidth / 14;              // a screen width in 14 s
    track.style.setProperty("--ticker-s", `${Math.max(8, px / speed).toFixed(1)}s`);
    track.classList.add("run");
  });
}

function tick() {
  const now = new Date();
  $("#clock").textContent = `${formatClock(now, state.tz, true)} ${tzLabel(state.tz)}`.trim();
  $("#date").textContent = formatDate(now, state.tz, "id");
}

// ---- which calls to announce --------------------------------------------------------

function processCalls(recent, first) {
  const ids = recent.map((r) => r.call_id).filter((n) => typeof n === "number");
  const newest = ids.length ? Math.max(...ids) : 0;
  if (first) {
    const stored = loadLastCall();
    if (stored === null || stored > newest) {
      // first start of this board (or the server's history was reset): nothing old is announced
      state.lastCallId = newest;
      saveLastCall(newest);
      return;
    }
    state.lastCallId = stored;
  } else if (ids.length && newest < state.lastCallId && !recent.some((r) => r.call_id === state.lastCallId)) {
    state.lastCallId = newest;   // history reset while running
    saveLastCall(newest);
    return;
  }
  let fresh = recent.filter((r) => r.call_id > state.lastCallId).sort((a, b) => a.call_id - b.call_id);
  if (!fresh.length) return;
  state.lastCallId = fresh[fresh.length - 1].call_id;
  saveLastCall(state.lastCallId);
  if (first) fresh = fresh.filter((r) => Date.now() - Date.parse(r.called_at) < FRESH_MS);
  fresh.forEach(enqueue);
}

// ---- the announcement queue ----------------------------------------------------------

const queue = [];
let running = false;

function enqueue(call) {
  queue.push(call);
  if (!running) runQueue();
}

async function runQueue() {
  running = true;
  let chimed = false;   // one chime for a run of calls
  while (queue.length) {
    const call = queue.shift();
    // others waiting behind this one (or a run under way): the short sentence
    const short = queue.length > 0 || chimed;
    const text = announcementText(call.number, call.counter, call.kind === "recall" ? "recall" : "call", "id", short);
    const entry = { call_id: call.call_id, number: call.number, counter: call.counter, kind: call.kind, text, short, started_at: Date.now(), via: null };
    window.__announcements.push(entry);
    state.current = call;
    renderHero(call, true);
    entry.hero = $("#hero-number").textContent;
    if (state.display) renderPanels(state.display);
    try {
      if (state.muted) {
        entry.via = "muted";
        await sleep(short ? 1500 : 3000);
      } else {
        const chime = chimed ? null : playAudio(CHIME_URL, 5000);
        chimed = true;
        prefetchNext();
        entry.chime = chime && await chime;
        entry.via = await speak(text, short);
      }
    } catch (e) {
      window.__speech.errors.push(String(e));
    }
    entry.finished_at = Date.now();
    await sleep(queue.length ? BACKLOG_GAP_MS : GAP_MS);
  }
  state.current = null;
  if (state.display) renderPanels(state.display);
  running = false;
}

// While one call is spoken, the server's audio of the next is fetched, so a backlog
// does not wait for espeak-ng between calls.
const prefetched = new Map();   // text -> Promise of an object URL (or null)
const speechUrl = (text) => `/api/speech?voice=id&text=${encodeURIComponent(text)}`;
async function prefetchNext() {
  const next = queue[0];
  if (!next || state.muted || await idVoice()) return;
  const text = announcementText(next.number, next.counter, next.kind === "recall" ? "recall" : "call", "id", true);
  if (prefetched.has(text)) return;
  prefetched.set(text, fetch(speechUrl(text)).then((r) => (r.ok ? r.blob() : null))
    .then((b) => (b ? URL.createObjectURL(b) : null)).catch(() => null));
}

let voicesReady = null;
function idVoice() {
  if (!("speechSynthesis" in window)) return Promise.resolve(null);
  const pick = () => {
    const voices = speechSynthesis.getVoices();
    window.__speech.voices = voices.length;
    return voices.find((v) => /^id([-_]|$)/i.test(v.lang)) || voices.find((v) => /indonesia/i.test(v.name)) || null;
  };
  const now = pick();
  if (now || voicesReady) return Promise.resolve(now);
  // the voice list loads asynchronously: wait for it once
  voicesReady = new Promise((resolve) => {
    const done = () => resolve(pick());
    speechSynthesis.addEventListener("voiceschanged", done, { once: true });
    setTimeout(done, 1500);
  });
  return voicesReady;
}

async function speak(text, short = false) {
  const voice = await idVoice();
  if (voice && !state.muted) {
    window.__speech.synth.push(text);
    const ok = await new Promise((resolve) => {
      const u = new SpeechSynthesisUtterance(text);
      u.voice = voice;
      u.lang = voice.lang || "id-ID";
      u.rate = short ? 1.1 : 0.9;
      const timer = setTimeout(() => { speechSynthesis.cancel(); resolve(false); }, 20000);
      u.onend = () => { clearTimeout(timer); resolve(true); };
      u.onerror = () => { clearTimeout(timer); resolve(false); };
      speechSynthesis.speak(u);
    });
    if (ok) return "speech-synthesis";
  }
  window.__speech.server.push(text);
  const ready = prefetched.has(text) ? await prefetched.get(text) : null;
  prefetched.delete(text);
  const ok = await playAudio(ready || speechUrl(text), 20000, short ? 0.3 : 1.5);
  if (ready) URL.revokeObjectURL(ready);
  return ok ? "server-audio" : "server-audio-failed";
}

/** Play a sound to its end; resolves true/false, never hangs (maxMs). */
function playAudio(url, maxMs, padS = 1.5) {
  return new Promise((resolve) => {
    const audio = new Audio(url);
    state.audio = audio;
    let settled = false;
    const finish = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (state.audio === audio) state.audio = null;
      resolve(ok);
    };
    const timer = setTimeout(() => { audio.pause(); finish(false); }, maxMs);
    audio.addEventListener("ended", () => finish(true));
    audio.addEventListener("error", () => finish(false));
    audio.addEventListener("loadedmetadata", () => {
      if (isFinite(audio.duration)) {
        clearTimeout(timer);
        setTimeout(() => finish(true), (audio.duration + padS) * 1000);   // 'ended' may never come without a sound card
      }
    });
    const p = audio.play();
    if (p && p.catch) {
      p.catch((err) => {
        if (err && err.name === "NotAllowedError") showSoundHint(true);
        window.__speech.errors.push(`${url.split("?")[0]}: ${err && err.name}`);
        finish(false);
      });
    }
  });
}

function showSoundHint(show) {
  state.soundBlocked = show;
  $("#sound-hint").hidden = !show;
}

// ---- mute, cursor, connection ----------------------------------------------------------

function setMuted(muted) {
  state.muted = muted;
  try { localStorage.setItem("ptsp.display.muted", muted ? "1" : "0"); } catch (e) { /* ignore */ }
  const btn = $("#mute");
  btn.setAttribute("aria-pressed", String(muted));
  btn.replaceChildren(el("span", {}, muted ? t("display.sound.off", {}, "id") : t("display.sound.on", {}, "id")));
  btn.prepend(speakerIcon(muted));
  if (muted) {
    if ("speechSynthesis" in window) speechSynthesis.cancel();
    if (state.audio) state.audio.pause();
  }
}

function speakerIcon(muted) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", muted
    ? "M4 9h4l5-4v14l-5-4H4zM16 9l5 6M21 9l-5 6"
    : "M4 9h4l5-4v14l-5-4H4zM16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}

$("#mute").addEventListener("click", () => setMuted(!state.muted));
document.addEventListener("keydown", (e) => { if (e.key === "m" || e.key === "M") setMuted(!state.muted); });
["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, () => {
  if (state.soundBlocked) showSoundHint(false);   // a gesture unlocks audio for the page
}));
let cursorTimer = null;
document.addEventListener("pointermove", () => {
  document.body.classList.add("pointer");
  clearTimeout(cursorTimer);
  cursorTimer = setTimeout(() => document.body.classList.remove("pointer"), 3000);
});

function onStatus(status) {
  $("#conn").dataset.state = status;
  $("#conn").textContent = status === "live" ? "LIVE" : status === "polling" ? "POLL" : "OFFLINE";
  $("#offline").hidden = status !== "offline";
  document.body.dataset.conn = status;
}

// ---- start --------------------------------------------------------------------------------

(function init() {
  let muted = false;
  try { muted = localStorage.getItem("ptsp.display.muted") === "1"; } catch (e) { /* ignore */ }
  if (new URLSearchParams(location.search).get("mute") === "1") muted = true;
  setMuted(muted);
  tick();
  setInterval(tick, 1000);
  new DisplayFeed({ onState: render, onStatus }).start();
  if (navigator.wakeLock) navigator.wakeLock.request("screen").catch(() => {});
  // a board runs for weeks: reload once at night when nothing is being announced
  setInterval(() => {
    if (formatClock(new Date(), state.tz).startsWith("03:") && !running) location.reload();
  }, 45 * 60000);
})();
