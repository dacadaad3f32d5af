"""The supervisor's report of applications per type over a period of the site's
local days (the day an application was started): steps with their outcomes and pass
rates, documents ready, and the days from start to ready. A read model with its own
SQL; ``build`` (pure) turns the rows into the figures. No applicant data is read."""
import statistics
from datetime import date
from typing import Optional

ENDED = ("cancelled", "expired")


def days(value) -> Optional[float]:
    return None if value is None else round(value, 2)


def share(part, whole) -> Optional[float]:
    return None if not whole else round(part / whole, 4)


def build(types, applications, outcomes) -> list:
    """``types``: code, name, name_en, steps (in order); ``applications``: id, type_code,
    status, ready_after_s (None until ready); ``outcomes``: type_code, step, outcome."""
    result = []
    for kind in types:
        mine = [a for a in applications if a["type_code"] == kind["code"]]
        ready = [a["ready_after_s"] / 86400 for a in mine if a["ready_after_s"] is not None]
        steps = []
        for step in kind["steps"]:
            given = [o["outcome"] for o in outcomes if o["type_code"] == kind["code"] and o["step"] == step["code"]]
            passed = given.count("passed")
            steps.append({"code": step["code"], "name": step["name"], "name_en": step["name_en"],
                          "outcomes": len(given), "passed": passed, "failed": given.count("failed"),
                          "incomplete": given.count("incomplete"), "pass_rate": share(passed, len(given))})
        result.append({
            "code": kind["code"], "name": kind["name"], "name_en": kind["name_en"],
            "applications": len(mine), "ready": len(ready),
            "in_progress": sum(1 for a in mine if a["ready_after_s"] is None and a["status"] not in ENDED),
            "ended": sum(1 for a in mine if a["status"] in ENDED),
            "days_to_ready_mean": days(statistics.fmean(ready)) if ready else None,
            "days_to_ready_p50": days(statistics.median(ready)) if ready else None,
            "steps": steps,
        })
    return result


def summary(uow, date_from: date, date_to: date) -> list:
    cur, site = uow.cur, uow.site
    cur.execute(
        """SELECT code, name, name_en, steps FROM documents.application_types
           WHERE site_code = %s ORDER BY sort_order, code""", (site["code"],))
    types = cur.fetchall()
    period = {"site": site["code"], "tz": site["timezone"], "from": date_from, "to": date_to}
    cur.execute(
        """SELECT a.id, a.type_code, a.status,
                  EXTRACT(EPOCH FROM ready.at - a.created_at)::float AS ready_after_s
           FROM documents.applications a
           LEFT JOIN LATERAL (SELECT j.at FROM documents.journal j
                              WHERE j.application_id = a.id AND j.action = 'ready'
                              ORDER BY j.id LIMIT 1) ready ON true
           WHERE a.site_code = %(site)s
             AND (a.created_at AT TIME ZONE %(tz)s)::date BETWEEN %(from)s AND %(to)s""", period)
    applications = cur.fetchall()
    cur.execute(
        """SELECT a.type_code, h.step, h.outcome
           FROM documents.step_history h JOIN documents.applications a ON a.id = h.application_id
           WHERE a.site_code = %(site)s
             AND (a.created_at AT TIME ZONE %(tz)s)::date BETWEEN %(from)s AND %(to)s""", period)
    return build(types, applications, cur.fetchall())
