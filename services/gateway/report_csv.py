"""The supervisor's report as CSV: the same figures as GET /api/reports/summary, in
blocks (one per table, each with its own header row, a blank line between), for a
spreadsheet. No personal data is in the report; officers appear by username.

Cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return: OWASP's CSV injection advice) are prefixed with ``'``; only
text is, numbers are written as numbers."""
import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

TITLES = {
    "period": "Periode / Period",
    "totals": "Jumlah / Totals",
    "services": "Per layanan / Per service",
    "hours": "Tiket per jam / Tickets per hour of the day",
    "officers": "Per petugas / Per officer",
    "counters": "Per loket / Per counter",
    "days": "Per hari / Per day",
    "applications": "Per jenis permohonan / Per application type",
    "steps": "Tahapan / Steps",
}

FIGURES = ("tickets", "issued", "transferred_in", "called", "served", "no_shows", "transferred", "cancelled", "open",
           "wait_mean_s", "wait_p50_s", "wait_p90_s", "service_time_mean_s", "service_time_p50_s",
           "service_time_p90_s", "no_show_share", "within_target_count", "within_target")
IKM = ("ikm_index", "ikm_grade", "ikm_responses")
STAFF = ("called", "served", "no_shows", "transferred", "wait_mean_s", "service_time_mean_s", "service_time_total_s")


def safe(value):
    """A cell: numbers as they are, None empty, text defused against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def ikm_cells(ikm):
    return [ikm.get("index"), ikm.get("grade"), ikm.get("responses")]


def report_csv(report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def block(name, header, rows):
        writer.writerow([safe(TITLES[name])])
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe(cell) for cell in row])
        writer.writerow([])

    block("period", ["site", "timezone", "from", "to", "generated_at"],
          [[report["site"], report["timezone"], report["from"], report["to"], report["generated_at"]]])
    totals = report["totals"]
    block("totals", list(FIGURES) + list(IKM), [[totals[key] for key in FIGURES] + ikm_cells(report["ikm"])])
    block("services", ["code", "name", "name_en", "target_wait_s", *FIGURES, *IKM],
          [[s["code"], s["name"], s["name_en"], s["target_wait_s"], *(s[key] for key in FIGURES), *ikm_cells(s["ikm"])]
           for s in report["services"]])
    codes = [s["code"] for s in report["services"]]
    block("hours", ["hour", "tickets", *codes],
          [[h["hour"], h["tickets"], *(h["services"].get(code, 0) for code in codes)] for h in report["hours"]])
    block("officers", ["officer", *STAFF], [[o["officer"], *(o[key] for key in STAFF)] for o in report["officers"]])
    block("counters", ["counter", *STAFF], [[c["counter"], *(c[key] for key in STAFF)] for c in report["counters"]])
    day_keys = ("tickets", "issued", "called", "served", "no_shows", "wait_mean_s", "wait_p50_s", "wait_p90_s",
                "within_target")
    block("days", ["date", *day_keys, *IKM],
          [[d["date"], *(d[key] for key in day_keys), *ikm_cells(d["ikm"])] for d in report["days"]])
    applications = report.get("applications") or {"available": False, "types": []}
    type_keys = ("applications", "ready", "in_progress", "ended", "days_to_ready_mean", "days_to_ready_p50")
    block("applications", ["code", "name", "name_en", *type_keys, "available"],
          [[t["code"], t["name"], t["name_en"], *(t[key] for key in type_keys), applications["available"]]
           for t in applications["types"]])
    step_keys = ("outcomes", "passed", "failed", "incomplete", "pass_rate")
    block("steps", ["type", "step", "name", "name_en", *step_keys],
          [[t["code"], st["code"], st["name"], st["name_en"], *(st[key] for key in step_keys)]
           for t in applications["types"] for st in t["steps"]])
    return out.getvalue()
