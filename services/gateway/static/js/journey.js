// An application's journey in words, shared by the applicant's status page and the
// kiosk's check-in screen: fee, dates, document names, where to go next. Only what
// GET /api/applications/<code> and GET /api/services answer is used.
import { t, currentLang } from "./common.js";

export function rupiah(amount) {
  return `Rp${Number(amount || 0).toLocaleString("id-ID")}`;
}

export function feeText(app) {
  return app.fee > 0 ? t("app.status.fee", { fee: Number(app.fee).toLocaleString("id-ID") }) : t("app.journey.free");
}

/** A site's calendar day (YYYY-MM-DD) written out, e.g. "11 Desember 2026". */
export function dayText(iso) {
  if (!iso) return "";
  const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  if (isNaN(d)) return iso;
  return new Intl.DateTimeFormat(currentLang() === "en" ? "en-GB" : "id-ID",
    { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(d);
}

/** A moment (ISO with offset) as a date and time in the site's zone. */
export function momentText(iso, tz) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  try {
    return new Intl.DateTimeFormat(currentLang() === "en" ? "en-GB" : "id-ID",
      { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
        timeZone: tz || "Asia/Jakarta" }).format(d);
  } catch (e) { return d.toLocaleString(); }
}

export function named(item) {
  if (!item) return "";
  return currentLang() === "en" ? (item.name_en || item.name) : item.name;
}

export function documentNames(app, codes) {
  const docs = app.required_documents || [];
  return (codes || []).map((code) => named(docs.find((d) => d.code === code)) || code).join(", ");
}

export function stepOf(app, code) {
  return (app.steps || []).find((s) => s.code === code) || null;
}

/** "B · SKCK": the queue service's letter and name, as the hall's signs show them. */
export function serviceText(services, code) {
  const svc = (services || []).find((s) => s.code === code);
  if (!svc) return code || "";
  const name = currentLang() === "en" ? (svc.name_en || svc.name) : svc.name;
  return `${svc.prefix} · ${name}`;
}

export function lastRecord(app) {
  const history = app.history || [];
  return history.length ? history[history.length - 1] : null;
}

/** What the applicant should do now: {lead, text}. */
export function nextAction(app, services, tz) {
  const step = stepOf(app, app.step);
  const where = step ? serviceText(services, step.service) : "";
  const stepName = named(step);
  const tk = app.ticket;
  switch (app.status) {
    case "registered":
      return { lead: t("app.next.registered"),
               text: t("app.next.registered.text", { date: momentText(app.check_in_before, tz), step: stepName, where }) };
    case "in_progress":
      if (tk && tk.status === "called") return { lead: t("app.next.called", { n: tk.counter }), text: t("app.next.step", { step: stepName }) };
      if (tk && tk.status === "serving") return { lead: t("app.next.serving", { n: tk.counter }), text: t("app.next.step", { step: stepName }) };
      if (tk) {
        const ahead = tk.position ? Math.max(0, tk.position - 1) : 0;
        return { lead: t("app.next.wait", { where: serviceText(services, tk.service) || where }),
                 text: `${t("app.next.step", { step: stepName })} ${t("app.next.ahead", { n: ahead })}` };
      }
      return { lead: t("app.next.between"), text: t("app.next.step", { step: stepName }) };
    case "submitted":
      return { lead: t("app.next.submitted"), text: t("app.next.submitted.text") };
    case "failed": {
      const last = lastRecord(app);
      return { lead: t("app.next.failed", { step: stepName }),
               text: t("app.next.failed.text", { date: dayText(last && last.retake_after) }) };
    }
    case "missed":
      return { lead: t("app.next.missed"), text: t("app.next.missed.text", { step: stepName }) };
    case "incomplete":
      return { lead: t("app.next.incomplete"), text: t("app.next.incomplete.text") };
    case "returned":
      return { lead: t("app.next.returned"), text: t("app.next.returned.text") };
    case "ready":
      return { lead: t("app.next.ready"),
               text: step && step.hall ? t("app.next.ready.hall", { where }) : t("app.next.ready.online") };
    case "collected":
      return { lead: t("app.next.collected"), text: t("app.next.collected.text") };
    case "cancelled":
      return { lead: t("app.next.cancelled"), text: "" };
    case "expired":
      return { lead: t("app.next.expired"), text: t("app.next.expired.text") };
    default:
      return { lead: t(`app.status.${app.status}`), text: "" };
  }
}

/** The outcome of the last visit: the reason of a failure, the retake date, what is missing. */
export function outcomeText(app) {
  const last = lastRecord(app);
  if (!last || !["failed", "incomplete", "returned"].includes(app.status)) return "";
  const parts = [];
  if (last.outcome === "failed" && last.note) parts.push(t("app.journey.reason", { reason: last.note }));
  if (last.outcome === "failed" && last.retake_after) parts.push(t("app.status.retake", { date: dayText(last.retake_after) }));
  if (last.missing && last.missing.length) parts.push(t("app.status.missing", { list: documentNames(app, last.missing) }));
  return parts.join(" · ");
}

/** A step's state in words (not only by colour). */
export function stepStateText(app, step) {
  if (step.state === "current") {
    if (["failed", "returned"].includes(app.status)) return t("app.journey.state.failed");
    if (app.status === "incomplete") return t("app.journey.state.incomplete");
    if (app.status === "registered") return t("app.journey.state.checkin");
    return t("app.journey.state.current");
  }
  return t(`app.journey.state.${step.state}`);
}
