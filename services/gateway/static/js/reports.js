// The supervisor's reports: a period of the site's local days, GET /api/reports/summary,
// drawn as key figures, charts (uPlot, shipped under /static/vendor/uplot) each with its
// figures as a table, and tables per service (with the IKM next to the waits), officer,
// counter, day and application type; the same report as CSV.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import {
  t, applyI18n, restoreLang, bindLangToggle, onLangChange, currentLang, api, ApiError, errorText, el, $, $$,
  supervisorSignIn,
} from "./common.js";

const NAVY = "#12305c", BLUE = "#2f6db5", GOLD = "#d49a00", INK = "#334155", GRID = "#e2e8f0";
const state = { session: null, site: null, report: null, charts: {} };
window.__reports = { loads: 0, report: null, charts: {} };

// ---- session (as on the supervisor page) ---------------------------------------------------

const { show, showLogin, saveSession, resume } = supervisorSignIn(state, { onEnter: () => enter() });

// ---- the period ---------------------------------------------------------------------------

function siteToday() {
  const tz = (state.site && state.site.timezone) || undefined;
  // en-CA formats as YYYY-MM-DD
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function minusDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

function setPeriod(days) {
  const today = siteToday();
  $("#to").value = today;
  $("#from").value = minusDays(today, days - 1);
}

$$(".r-quick [data-days]").forEach((b) => b.addEventListener("click", () => { setPeriod(Number(b.dataset.days)); load(); }));
$("#period-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });

function query() {
  return new URLSearchParams({ from: $("#from").value, to: $("#to").value }).toString();
}

function fieldError(err) {
  const fields = (err && err.fields) || {};
  for (const name of ["from", "to"]) $(`#${name}`).setAttribute("aria-invalid", String(name in fields));
  $("#period-error").textContent = errorText(err);
}

async function load() {
  $("#period-error").textContent = "";
  for (const name of ["from", "to"]) $(`#${name}`).removeAttribute("aria-invalid");
  $("#loading").hidden = false;
  try {
    const { data } = await api("GET", `/api/reports/summary?${query()}`, { token: state.session.token, timeout: 20000 });
    state.report = data;
    render();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { saveSession(null); showLogin(t("counter.session.expired")); return; }
    if (err instanceof ApiError && err.status === 403) { saveSession(null); showLogin(t("admin.forbidden")); return; }
    fieldError(err);
  } finally {
    $("#loading").hidden = true;
  }
}

$("#csv").addEventListener("click", async () => {
  $("#period-error").textContent = "";
  try {
    const res = await fetch(`/api/reports/summary.csv?${query()}`, {
      headers: { Authorization: `Bearer ${state.session.token}`, "Accept-Language": currentLang() }, cache: "no-store",
    });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      throw new ApiError(res.status, body);
    }
    const blob = await res.blob();
    const name = (/filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "") || [])[1] || "ptsp-report.csv";
    const link = el("a", { href: URL.createObjectURL(blob), download: name, hidden: true }, name);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  } catch (err) {
    fieldError(err);
  }
});

// ---- formatting ------------------------------------------------------------------------------

function locale() { return currentLang() === "en" ? "en-GB" : "id-ID"; }
function num(n, digits = 0) {
  return n === null || n === undefined ? "—" : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}
function minutes(seconds) { return seconds === null || seconds === undefined ? "—" : t("reports.minutes", { n: num(seconds / 60, 1) }); }
function percent(share) { return share === null || share === undefined ? "—" : `${num(share * 100, 1)} %`; }
function ikmText(ikm) { return ikm && ikm.index !== null ? num(ikm.index, 2) : t("reports.ikm.none"); }
function gradeText(ikm) { return ikm && ikm.grade ? t(`reports.grade.${ikm.grade}`) : "—"; }
function name(item) { return (currentLang() === "en" && item.name_en) || item.name || item.code; }

function table(node, columns, rows, total) {
  const head = el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : "" }, c.label))));
  const line = (row, isTotal) => el("tr", { class: isTotal ? "total" : "" }, ...columns.map((c, i) => {
    const value = c.value(row);
    return i === 0 ? el("th", { scope: "row" }, value) : el("td", { class: c.num ? "num" : "" }, value);
  }));
  const body = el("tbody", {}, ...(rows.length ? rows.map((r) => line(r, false))
    : [el("tr", {}, el("td", { colspan: String(columns.length) }, t("reports.empty")))]));
  node.replaceChildren(head, body, ...(total ? [el("tfoot", {}, line(total, true))] : []));
}

// ---- rendering ------------------------------------------------------------------------------

function render() {
  const r = state.report;
  if (!r) return;
  window.__reports.loads += 1;
  window.__reports.report = r;
  $("#report").hidden = false;
  $("#subtitle").textContent = t("reports.subtitle", { tz: r.timezone });
  const tot = r.totals;
  $("#kpis").replaceChildren(
    kpi("kpi-tickets", t("reports.kpi.tickets"), num(tot.tickets)),
    kpi("kpi-served", t("reports.kpi.served"), num(tot.served)),
    kpi("kpi-wait", t("reports.kpi.wait"), minutes(tot.wait_mean_s)),
    kpi("kpi-within", t("reports.kpi.within"), percent(tot.within_target)),
    kpi("kpi-noshow", t("reports.kpi.noshow"), percent(tot.no_show_share)),
    kpi("kpi-ikm", t("reports.kpi.ikm"), ikmText(r.ikm),
      r.ikm.grade ? `${gradeText(r.ikm)} · ${t("reports.kpi.responses", { n: r.ikm.responses })}` : t("reports.kpi.responses", { n: 0 })),
  );

  const figures = () => [
    { label: t("reports.col.tickets"), num: true, value: (s) => num(s.tickets) },
    { label: t("reports.col.served"), num: true, value: (s) => num(s.served) },
    { label: t("reports.col.noshow_share"), num: true, value: (s) => percent(s.no_show_share) },
    { label: t("reports.col.wait_mean"), num: true, value: (s) => minutes(s.wait_mean_s) },
    { label: t("reports.col.wait_p50"), num: true, value: (s) => minutes(s.wait_p50_s) },
    { label: t("reports.col.wait_p90"), num: true, value: (s) => minutes(s.wait_p90_s) },
    { label: t("reports.col.target"), num: true, value: (s) => minutes(s.target_wait_s) },
    { label: t("reports.col.within"), num: true, value: (s) => percent(s.within_target) },
    { label: t("reports.col.service_time"), num: true, value: (s) => minutes(s.service_time_mean_s) },
    { label: t("reports.col.ikm"), num: true, value: (s) => ikmText(s.ikm) },
    { label: t("reports.col.grade"), value: (s) => gradeText(s.ikm) },
    { label: t("reports.col.responses"), num: true, value: (s) => num(s.ikm.responses) },
  ];
  table($("#services-table"), [{ label: t("reports.col.service"), value: name }, ...figures()],
    r.services, { ...r.totals, name: t("reports.total"), target_wait_s: null, ikm: r.ikm });

  table($("#hours-table"), [
    { label: t("reports.col.hour"), value: (h) => `${String(h.hour).padStart(2, "0")}.00` },
    { label: t("reports.col.tickets"), num: true, value: (h) => num(h.tickets) },
    ...r.services.map((s) => ({ label: name(s), num: true, value: (h) => num(h.services[s.code] || 0) })),
  ], r.hours.filter((h) => h.tickets > 0));

  table($("#days-table"), [
    { label: t("reports.col.date"), value: (d) => d.date },
    { label: t("reports.col.tickets"), num: true, value: (d) => num(d.tickets) },
    { label: t("reports.col.served"), num: true, value: (d) => num(d.served) },
    { label: t("reports.col.wait_mean"), num: true, value: (d) => minutes(d.wait_mean_s) },
    { label: t("reports.col.wait_p90"), num: true, value: (d) => minutes(d.wait_p90_s) },
    { label: t("reports.col.within"), num: true, value: (d) => percent(d.within_target) },
    { label: t("reports.col.ikm"), num: true, value: (d) => ikmText(d.ikm) },
    { label: t("reports.col.responses"), num: true, value: (d) => num(d.ikm.responses) },
  ], r.days);

  const staff = [
    { label: t("reports.col.called"), num: true, value: (o) => num(o.called) },
    { label: t("reports.col.served"), num: true, value: (o) => num(o.served) },
    { label: t("reports.col.noshow"), num: true, value: (o) => num(o.no_shows) },
    { label: t("reports.col.transferred"), num: true, value: (o) => num(o.transferred) },
    { label: t("reports.col.service_time"), num: true, value: (o) => minutes(o.service_time_mean_s) },
    { label: t("reports.col.service_total"), num: true, value: (o) => minutes(o.service_time_total_s) },
  ];
  table($("#officers-table"), [{ label: t("reports.col.officer"), value: (o) => o.officer }, ...staff], r.officers);
  table($("#counters-table"), [{ label: t("reports.col.counter"), value: (c) => t("common.counter.n", { n: c.counter }) },
    { label: t("reports.col.wait_mean"), num: true, value: (c) => minutes(c.wait_mean_s) }, ...staff], r.counters);

  renderApplications(r.applications);
  drawCharts();
}

function kpi(id, label, value, note) {
  return el("div", { class: "r-kpi", id },
    el("span", { class: "r-kpi-label" }, label), el("strong", { class: "r-kpi-value" }, value),
    note ? el("small", {}, note) : null);
}

function renderApplications(apps) {
  const box = $("#apps");
  if (!apps || !apps.available) { box.replaceChildren(el("p", { class: "r-hint" }, t("reports.apps.unavailable"))); return; }
  const used = apps.types.filter((k) => k.applications > 0);
  if (!used.length) { box.replaceChildren(el("p", { class: "r-hint" }, t("reports.apps.none"))); return; }
  const summary = el("table", { class: "r-table", id: "apps-table" });
  table(summary, [
    { label: t("reports.col.type"), value: name },
    { label: t("reports.col.applications"), num: true, value: (k) => num(k.applications) },
    { label: t("reports.col.ready"), num: true, value: (k) => num(k.ready) },
    { label: t("reports.col.in_progress"), num: true, value: (k) => num(k.in_progress) },
    { label: t("reports.col.days_ready"), num: true, value: (k) => num(k.days_to_ready_mean, 1) },
  ], used);
  const steps = used.map((k) => {
    const node = el("table", { class: "r-table" });
    table(node, [
      { label: t("reports.col.step"), value: name },
      { label: t("reports.col.outcomes"), num: true, value: (s) => num(s.outcomes) },
      { label: t("reports.col.passed"), num: true, value: (s) => num(s.passed) },
      { label: t("reports.col.pass_rate"), num: true, value: (s) => percent(s.pass_rate) },
    ], k.steps);
    return el("details", { class: "r-details" }, el("summary", {}, `${t("reports.col.step")}: ${name(k)}`),
      el("div", { class: "r-scroll" }, node));
  });
  box.replaceChildren(el("div", { class: "r-scroll" }, summary), ...steps);
}

// ---- charts (uPlot) -----------------------------------------------------------------------------

function axis(values, extra = {}) {
  return { stroke: INK, grid: { stroke: GRID }, ticks: { stroke: GRID }, font: "13px 'Noto Sans', sans-serif", values, ...extra };
}

function chart(id, options, data) {
  const box = $(`#${id}`);
  if (state.charts[id]) state.charts[id].destroy();
  const width = Math.max(280, box.clientWidth || 600);
  state.charts[id] = new uPlot({ width, height: 260, legend: { show: false }, cursor: { show: false }, ...options }, data, box);
  window.__reports.charts[id] = { data: data.map((s) => Array.from(s)), series: options.series.slice(1).map((s) => s.label) };
}

// Axis numbers: whole numbers unless the ticks fall between them.
const tickValues = (u, splits) => {
  const digits = splits.some((v) => v !== null && !Number.isInteger(v)) ? 1 : 0;
  return splits.map((v) => num(v, digits));
};

const bars = () => uPlot.paths.bars({ size: [0.6, 64] });
const dots = (color, size) => ({ paths: () => null, points: { show: true, size, stroke: color, fill: color, width: 2 } });
const toMinutes = (s) => (s === null || s === undefined ? null : Math.round(s / 6) / 10);

function drawCharts() {
  const r = state.report;
  const idx = (n) => Array.from({ length: n }, (_, i) => i);
  const indexScale = (n) => ({ time: false, range: () => [-0.5, Math.max(0.5, n - 0.5)] });
  const labelled = (labels) => axis((u, splits) => splits.map((v) => (Number.isInteger(v) && labels[v] !== undefined ? labels[v] : "")),
    { splits: () => idx(labels.length) });

  const services = r.services;
  chart("wait-chart", {
    scales: { x: indexScale(services.length), y: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] } },
    axes: [labelled(services.map((s) => s.code)), axis(tickValues, { label: t("reports.chart.wait_mean") })],
    series: [{}, { label: t("reports.chart.wait_mean"), fill: BLUE, stroke: BLUE, paths: bars(), points: { show: false } },
      { label: t("reports.chart.wait_p90"), ...dots(NAVY, 11) }, { label: t("reports.chart.target"), ...dots(GOLD, 9) }],
  }, [idx(services.length), services.map((s) => toMinutes(s.wait_mean_s)), services.map((s) => toMinutes(s.wait_p90_s)),
    services.map((s) => toMinutes(s.target_wait_s))]);

  chart("hours-chart", {
    scales: { x: indexScale(24), y: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] } },
    axes: [labelled(idx(24).map((h) => (h % 3 === 0 ? String(h).padStart(2, "0") : ""))), axis(tickValues)],
    series: [{}, { label: t("reports.chart.tickets"), fill: NAVY, stroke: NAVY, paths: bars(), points: { show: false } }],
  }, [idx(24), r.hours.map((h) => h.tickets)]);

  const days = r.days;
  chart("days-chart", {
    scales: { x: indexScale(days.length), m: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] }, ikm: { range: [25, 100] } },
    axes: [labelled(days.map((d) => d.date.slice(5))),
      axis(tickValues, { scale: "m", label: t("reports.chart.wait_mean") }),
      axis(tickValues, { scale: "ikm", side: 1, grid: { show: false }, label: t("reports.chart.ikm") })],
    series: [{}, { label: t("reports.chart.wait_mean"), scale: "m", stroke: BLUE, width: 3, points: { show: true, size: 7, fill: BLUE } },
      { label: t("reports.chart.ikm"), scale: "ikm", stroke: GOLD, width: 3, points: { show: true, size: 7, fill: GOLD } }],
  }, [idx(days.length), days.map((d) => toMinutes(d.wait_mean_s)), days.map((d) => d.ikm.index)]);
}

let resizeTimer = null;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { if (state.report) drawCharts(); }, 200); });

// ---- start ------------------------------------------------------------------------------------------

async function enter() {
  show("app");
  if (!$("#from").value) setPeriod(1);
  await load();
}

(async function init() {
  restoreLang();
  applyI18n();
  bindLangToggle($("#lang"));
  onLangChange(() => { if (state.session) show("app"); render(); });
  try {
    const { data } = await api("GET", "/api/site");
    state.site = data;
    $("#site-name").textContent = data.name || "";
  } catch (e) { /* the report still says its time zone */ }
  if (resume()) enter();
})();
