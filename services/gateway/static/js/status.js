// The citizen's status page (track_url): number, status, people ahead, estimated wait,
// the counter when called; live (the display stream says when something changed, then
// the ticket is fetched again; polling when the stream is down); cancel. Shows nothing
// about anyone else: only GET /api/tickets/<id> is rendered. The ticket's access key
// comes in the URL fragment (#k=..., never sent to the server) and is what cancel
// asks for (X-Ticket-Key); without it the page only shows the ticket.
import {
  t, applyI18n, restoreLang, bindLangToggle, onLangChange, currentLang, api, ApiError, NetworkError,
  errorText, formatWait, formatClock, formatTime, tzLabel, DisplayFeed, el, $, ask, toast,
} from "./common.js";
import "./survey.js"; // renders the satisfaction survey into #survey-slot on "ptsp:ticket-done"

const ticketId = $("#main").dataset.ticketId;
const accessKey = (() => {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("k") || "";
  try {
    if (fromUrl) localStorage.setItem(`ptsp.ticket.${ticketId}`, fromUrl);
    return fromUrl || localStorage.getItem(`ptsp.ticket.${ticketId}`) || "";
  } catch (e) { return fromUrl; }
})();
const FINAL = ["done", "no_show", "cancelled", "transferred"];
const POLL_MS = 20000;

const state = { ticket: null, site: null, lastAlert: null, doneFired: false, loading: null, online: true };
window.__status = { renders: 0 };

function show(id) {
  for (const s of ["ticket", "missing", "loading"]) $(`#${s}`).hidden = s !== id;
}

async function load() {
  if (!ticketId) { show("missing"); return; }
  if (state.loading) return state.loading;
  state.loading = (async () => {
    try {
      const { data } = await api("GET", `/api/tickets/${encodeURIComponent(ticketId)}`, { timeout: 6000 });
      state.ticket = data;
      setOnline(true);
      render();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 422)) { show("missing"); return; }
      if (err instanceof NetworkError) setOnline(false);
      if (!state.ticket) { show("loading"); }
    } finally {
      state.loading = null;
    }
  })();
  return state.loading;
}

function setOnline(online) {
  state.online = online;
  $("#offline").hidden = online;
  $("#conn").dataset.state = online ? "live" : "offline";
}

function tz() { return state.site && state.site.timezone; }

function render() {
  const tk = state.ticket;
  if (!tk) return;
  window.__status.renders += 1;
  window.__status.status = tk.status;
  show("ticket");
  const card = $("#ticket");
  card.dataset.status = tk.status;
  $("#number").textContent = tk.number;
  const svcName = (currentLang() === "en" && tk.service_name_en) || tk.service_name || tk.service;
  $("#service").replaceChildren(el("span", {}, svcName),
    tk.priority && tk.priority !== "regular" ? el("span", { class: "badge gold" }, t(`priority.${tk.priority}`)) : "");
  const badgeKind = { waiting: "info", called: "gold", serving: "ok", done: "ok", no_show: "bad", cancelled: "", transferred: "warn" }[tk.status] || "";
  $("#status-badge").replaceChildren(el("span", { class: `badge ${badgeKind}`, id: "status-text" }, t(`status.${tk.status}`)));

  const callout = $("#callout");
  const stats = $("#stats");
  callout.hidden = true;
  callout.className = "s-callout";
  stats.hidden = tk.status !== "waiting";
  let note = "";
  if (tk.status === "waiting") {
    const ahead = tk.position ? Math.max(0, tk.position - 1) : 0;
    $("#ahead").textContent = String(ahead);
    const noCounter = Boolean(tk.estimated_wait_reason);
    $("#wait").textContent = noCounter ? t("wait.no_counter") : formatWait(tk.estimated_wait_s);
    note = noCounter ? t("status.no.counter") : t("status.waiting.text");
    card.dataset.wait = noCounter ? tk.estimated_wait_reason.code : "";
    if (noCounter) {
      // no counter serves the service yet: "you are next" would be a promise
      callout.hidden = false;
      callout.classList.add("waiting-counter");
      $("#callout-lead").textContent = t("kiosk.no.counter");
      $("#callout-counter").textContent = "";
    } else if (tk.position && tk.position <= 3) {
      callout.hidden = false;
      callout.classList.add("near");
      $("#callout-lead").textContent = ahead === 0 ? t("status.next") : t("status.near");
      $("#callout-counter").textContent = "";
      alertOnce(`near-${tk.id}`, [200]);
    }
  } else if (tk.status === "called") {
    callout.hidden = false;
    $("#callout-lead").textContent = t("status.called.text");
    $("#callout-counter").textContent = t("common.counter.n", { n: tk.counter ?? "—" });
    alertOnce(`called-${tk.called_at}-${tk.recall_count || 0}`, [400, 200, 400, 200, 400]);
  } else if (tk.status === "serving") {
    callout.hidden = false;
    callout.classList.add("serving");
    $("#callout-lead").textContent = t("status.serving.text");
    $("#callout-counter").textContent = t("common.counter.n", { n: tk.counter ?? "—" });
  } else {
    note = t(`status.${tk.status}.text`);
  }
  $("#note").textContent = note;
  $("#note").hidden = !note;

  const link = $("#transferred-link");
  link.hidden = !(tk.status === "transferred" && tk.transferred_to);
  // the moved ticket answers to the same key
  if (!link.hidden) link.href = `/t/${encodeURIComponent(tk.transferred_to)}${accessKey ? `#k=${encodeURIComponent(accessKey)}` : ""}`;

  $("#cancel").hidden = !accessKey || !["waiting", "called"].includes(tk.status);
  $("#meta").textContent = tk.issued_at ? t("status.issued", { t: `${formatTime(tk.issued_at, tz())} ${tzLabel(tz())}`.trim() }) : "";
  $("#updated").textContent = t("common.updated", { t: formatClock(new Date(), tz(), true) });
  document.title = `${tk.status === "called" ? "🔔 " : ""}${tk.number} · ${t(`status.${tk.status}`)}`;

  if (tk.status === "done" && !state.doneFired) {
    state.doneFired = true;
    // hook for the satisfaction survey (operations issue): it listens for this event
    // and renders into #survey-slot
    document.dispatchEvent(new CustomEvent("ptsp:ticket-done", { detail: { ticket: tk, slot: $("#survey-slot") } }));
  }
}

function alertOnce(key, pattern) {
  if (state.lastAlert === key) return;
  const first = state.lastAlert === null && key.startsWith("near");
  state.lastAlert = key;
  if (first) return;
  try { if (navigator.vibrate) navigator.vibrate(pattern); } catch (e) { /* ignore */ }
}

$("#cancel").addEventListener("click", async () => {
  const ok = await ask({
    title: t("status.cancel"), text: t("status.cancel.confirm"),
    buttons: [{ label: t("status.cancel.no"), value: false, class: "secondary" }, { label: t("status.cancel.yes"), value: true, class: "danger" }],
  });
  if (!ok) return;
  const btn = $("#cancel");
  btn.disabled = true;
  try {
    const { data } = await api("POST", `/api/tickets/${encodeURIComponent(ticketId)}/cancel`, {
      headers: { "X-Ticket-Key": accessKey },
    });
    state.ticket = { ...state.ticket, ...data };
    render();
  } catch (err) {
    toast(errorText(err), "bad");
    load();
  } finally {
    btn.disabled = false;
  }
});

let debounce = null;
function onDisplayChange() {
  if (state.ticket && FINAL.includes(state.ticket.status)) return;
  clearTimeout(debounce);
  debounce = setTimeout(load, 150);
}

(function init() {
  restoreLang();
  applyI18n();
  bindLangToggle($("#lang"));
  onLangChange(render);
  api("GET", "/api/site").then(({ data }) => { state.site = data; $("#site-name").textContent = data.name || ""; render(); }).catch(() => {});
  load();
  new DisplayFeed({ onState: onDisplayChange, onStatus: (s) => { if (s === "offline") setOnline(false); } }).start();
  setInterval(() => { if (!state.ticket || !FINAL.includes(state.ticket.status)) load(); }, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") load(); });
})();
