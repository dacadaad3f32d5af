// The satisfaction survey (SKM, PermenPAN-RB 14/2017) on the citizen's status page: when
// status.js says the ticket is done ("ptsp:ticket-done"), the nine elements U1–U9 are
// rated 1–4 in #survey-slot, with an optional comment, and sent once to
// POST /api/tickets/<id>/survey with the holder's key (X-Ticket-Key). Then a thank-you.
import { t, applyI18n, api, ApiError, errorText, el, $ } from "./common.js";

const ELEMENTS = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"];
const SCORES = [1, 2, 3, 4];

function holderKey(ticketId) {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("k") || "";
  if (fromUrl) return fromUrl;
  try { return localStorage.getItem(`ptsp.ticket.${ticketId}`) || ""; } catch (e) { return ""; }
}

function rememberDone(ticketId) {
  try { localStorage.setItem(`ptsp.survey.${ticketId}`, "1"); } catch (e) { /* private mode */ }
}

function alreadyDone(ticketId) {
  try { return localStorage.getItem(`ptsp.survey.${ticketId}`) === "1"; } catch (e) { return false; }
}

function thanks(slot) {
  slot.replaceChildren(el("div", { class: "sv-thanks", role: "status", tabindex: "-1", id: "survey-thanks" },
    el("h2", { "data-i18n": "survey.title" }, t("survey.title")),
    el("p", { "data-i18n": "survey.thanks" }, t("survey.thanks"))));
  slot.hidden = false;
}

function question(code) {
  const legendId = `sv-${code}-legend`;
  return el("fieldset", { class: "sv-q", id: `sv-${code}`, "aria-describedby": "sv-error" },
    el("legend", { id: legendId },
      el("span", { class: "sv-code" }, code.toUpperCase()), " ",
      el("span", { "data-i18n": `survey.${code}` }, t(`survey.${code}`))),
    el("div", { class: "sv-scale" }, ...SCORES.map((score) =>
      el("label", { class: "sv-option" },
        el("input", { type: "radio", name: code, value: String(score), required: true }),
        el("span", { class: "sv-num" }, String(score)),
        el("span", { class: "sv-word", "data-i18n": `survey.score.${score}` }, t(`survey.score.${score}`))))));
}

function render(slot, ticketId, key) {
  const error = el("p", { class: "field-error", id: "sv-error", role: "alert" });
  const comment = el("textarea", { class: "input", id: "sv-comment", name: "comment", rows: "3", maxlength: "1000",
    "aria-describedby": "sv-comment-hint" });
  const submit = el("button", { class: "btn large", type: "submit", id: "sv-submit", "data-i18n": "survey.submit" },
    t("survey.submit"));
  const form = el("form", { class: "sv-form", id: "survey-form", novalidate: true, "aria-labelledby": "sv-title" },
    el("h2", { id: "sv-title", "data-i18n": "survey.title" }, t("survey.title")),
    el("p", { class: "sv-intro", "data-i18n": "survey.intro" }, t("survey.intro")),
    ...ELEMENTS.map(question),
    el("label", { class: "field sv-comment", for: "sv-comment" },
      el("span", { "data-i18n": "survey.comment" }, t("survey.comment"))),
    comment,
    el("p", { class: "sv-hint", id: "sv-comment-hint", "data-i18n": "survey.comment.hint" }, t("survey.comment.hint")),
    error, submit);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const ratings = {};
    const missing = [];
    for (const code of ELEMENTS) {
      const chosen = form.querySelector(`input[name="${code}"]:checked`);
      form.querySelector(`#sv-${code}`).classList.toggle("missing", !chosen);
      if (chosen) ratings[code] = Number(chosen.value); else missing.push(code.toUpperCase());
    }
    if (missing.length) {
      error.textContent = t("survey.missing", { items: missing.join(", ") });
      form.querySelector(`#sv-${missing[0].toLowerCase()} input`).focus();
      return;
    }
    const body = { ratings };  // the language goes as Accept-Language (common.js api)
    if (comment.value.trim()) body.comment = comment.value.trim();
    submit.disabled = true;
    try {
      await api("POST", `/api/tickets/${encodeURIComponent(ticketId)}/survey`, { body, headers: { "X-Ticket-Key": key } });
      done(slot, ticketId);
    } catch (err) {
      if (err instanceof ApiError && err.code === "survey_already_submitted") { done(slot, ticketId); return; }
      error.textContent = errorText(err);
      submit.disabled = false;
    }
  });
  slot.replaceChildren(form);
  slot.hidden = false;
}

function done(slot, ticketId) {
  rememberDone(ticketId);
  thanks(slot);
  $("#survey-thanks").focus();
}

document.addEventListener("ptsp:ticket-done", (event) => {
  const { ticket, slot } = event.detail || {};
  if (!ticket || !slot) return;
  if (alreadyDone(ticket.id)) { thanks(slot); return; }
  const key = holderKey(ticket.id);
  if (!key) {
    slot.replaceChildren(el("p", { class: "sv-hint", "data-i18n": "survey.nokey" }, t("survey.nokey")));
    slot.hidden = false;
    return;
  }
  render(slot, ticket.id, key);
  applyI18n(slot);
});

window.__survey = { elements: ELEMENTS };
