"""The supervisor's report of a site over a period of local days: per service, per
hour of the day, per officer, per counter and per day, with the satisfaction index
(IKM) of the same tickets. A read model: ``summary(uow, period)`` reads the period's
tickets and surveys; ``build`` (pure, unit-tested) turns them into the figures.

Definitions (docs/architecture.md, "Reports"):

- The period is the site's local days ``from`` … ``to`` (both included); a ticket
  belongs to the day it was issued on (its ``local_date``).
- ``tickets``: every ticket that joined the service's queue, a transferred one
  included (``transferred_in``); ``issued``: the others. ``hours`` counts the issued
  ones by the local hour of issue, so a citizen counts once there.
- ``wait``: from joining the queue (a transferred or next-step ticket keeps the
  citizen's first queue time, as the ``ticket_called`` event does) to the first call,
  over the tickets called. Percentiles interpolate linearly between ranks.
- ``service time``: from start (or the call, when served without "start") to
  completion, over the tickets served (``done``).
- ``no_show_share``: no-shows ÷ tickets called; ``within_target``: tickets called
  within the service's target wait ÷ tickets called (None when none was called).
- Per officer: the officer of the last counter action on the ticket (call, recall,
  start, complete, no-show, transfer); per counter: the ticket's counter.
- ``ikm``: the surveys of the period's tickets (services/queue/satisfaction.py).
"""
import math
from collections import defaultdict
from datetime import date, timedelta
from operator import itemgetter
from typing import Optional

import eventlet
from eventlet import tpool

from services.queue import satisfaction

MAX_DAYS = 366
FINISHED_AT_COUNTER = ("done", "no_show", "transferred")


def percentile(values, q) -> Optional[float]:
    """Linear interpolation between closest ranks (numpy's default, PostgreSQL's
    percentile_cont); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def seconds(value) -> Optional[float]:
    return None if value is None else round(value, 1)


def share(part, whole) -> Optional[float]:
    return None if not whole else round(part / whole, 4)


def mean(values) -> Optional[float]:
    return sum(values) / len(values) if values else None


def wait_of(row) -> Optional[float]:
    return (row["called_at"] - row["queued_at"]).total_seconds() if row["called_at"] else None


def service_time_of(row) -> Optional[float]:
    if row["status"] != "done" or row["finished_at"] is None:
        return None
    started = row["started_at"] or row["called_at"]
    return (row["finished_at"] - started).total_seconds() if started else None


def figures(rows, targets) -> dict:
    """The figures of a set of ticket rows; ``targets``: service code → target wait (s)."""
    called = [r for r in rows if r["called_at"] is not None]
    waits = [wait_of(r) for r in called]
    service_times = [s for s in (service_time_of(r) for r in rows) if s is not None]
    within = sum(1 for r in called if wait_of(r) <= targets.get(r["service_code"], math.inf))
    no_shows = sum(1 for r in rows if r["status"] == "no_show")
    return {
        "tickets": len(rows),
        "issued": sum(1 for r in rows if not r["transferred_in"]),
        "transferred_in": sum(1 for r in rows if r["transferred_in"]),
        "called": len(called),
        "served": sum(1 for r in rows if r["status"] == "done"),
        "no_shows": no_shows,
        "transferred": sum(1 for r in rows if r["status"] == "transferred"),
        "cancelled": sum(1 for r in rows if r["status"] == "cancelled"),
        "open": sum(1 for r in rows if r["status"] in ("waiting", "called", "serving")),
        "wait_mean_s": seconds(mean(waits)),
        "wait_p50_s": seconds(percentile(waits, 0.5)),
        "wait_p90_s": seconds(percentile(waits, 0.9)),
        "service_time_mean_s": seconds(mean(service_times)),
        "service_time_p50_s": seconds(percentile(service_times, 0.5)),
        "service_time_p90_s": seconds(percentile(service_times, 0.9)),
        "no_show_share": share(no_shows, len(called)),
        "within_target_count": within,
        "within_target": share(within, len(called)),
    }


def counter_figures(rows) -> dict:
    called = [r for r in rows if r["called_at"] is not None]
    service_times = [s for s in (service_time_of(r) for r in rows) if s is not None]
    return {
        "called": len(called),
        "served": sum(1 for r in rows if r["status"] == "done"),
        "no_shows": sum(1 for r in rows if r["status"] == "no_show"),
        "transferred": sum(1 for r in rows if r["status"] == "transferred"),
        "wait_mean_s": seconds(mean([wait_of(r) for r in called])),
        "service_time_mean_s": seconds(mean(service_times)),
        "service_time_total_s": seconds(sum(service_times)),
    }


def days_of(date_from: date, date_to: date):
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def group(items, key):
    """``items`` by ``key(item)``, in one pass (a year's report has hundreds of
    thousands of tickets: every figure below reads its own group only)."""
    groups = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def build(services, rows, surveys, date_from: date, date_to: date) -> dict:
    """The report. ``services``: rows with code, name, name_en, target_wait_s (in
    display order); ``rows``: the period's tickets (service_code, status, counter,
    officer, hour, local_date, transferred_in, queued_at, called_at, started_at,
    finished_at); ``surveys``: the period's answers (service_code, local_date, u1..u9)."""
    targets = {s["code"]: s["target_wait_s"] for s in services}
    known = {s["code"] for s in services}
    service_rows = list(services) + [
        {"code": code, "name": code, "name_en": code, "target_wait_s": None}
        for code in sorted({r["service_code"] for r in rows} - known)]

    def ratings(answers):
        return satisfaction.index_of({code: a[code] for code in satisfaction.ELEMENTS} for a in answers).as_dict()

    by_service, answers_by_service = group(rows, itemgetter("service_code")), group(surveys, itemgetter("service_code"))
    per_service = [{
        "code": service["code"], "name": service["name"], "name_en": service["name_en"],
        "target_wait_s": service["target_wait_s"], **figures(by_service.get(service["code"], []), targets),
        "ikm": ratings(answers_by_service.get(service["code"], [])),
    } for service in service_rows]

    arrivals = group((r for r in rows if not r["transferred_in"]), itemgetter("hour"))
    hours = []
    for hour in range(24):
        per_code = group(arrivals.get(hour, []), itemgetter("service_code"))
        hours.append({"hour": hour, "tickets": len(arrivals.get(hour, [])),
                      "services": {s["code"]: len(per_code.get(s["code"], [])) for s in service_rows}})

    by_officer = group((r for r in rows if r["officer"]), itemgetter("officer"))
    by_counter = group((r for r in rows if r["counter"] is not None), itemgetter("counter"))
    by_day, answers_by_day = group(rows, itemgetter("local_date")), group(surveys, itemgetter("local_date"))
    days = []
    for day in days_of(date_from, date_to):
        whole = figures(by_day.get(day, []), targets)
        days.append({"date": day.isoformat(), **{key: whole[key] for key in (
            "tickets", "issued", "called", "served", "no_shows", "wait_mean_s", "wait_p50_s", "wait_p90_s",
            "within_target")}, "ikm": ratings(answers_by_day.get(day, []))})

    return {
        "from": date_from.isoformat(), "to": date_to.isoformat(),
        "totals": figures(rows, targets),
        "services": per_service,
        "ikm": ratings(surveys),
        "hours": hours,
        "officers": [{"officer": name, **counter_figures(by_officer[name])} for name in sorted(by_officer)],
        "counters": [{"counter": number, **counter_figures(by_counter[number])} for number in sorted(by_counter)],
        "days": days,
    }


# --- reading the period ---------------------------------------------------------------------

def off_hub(function, *args):
    """A year's report is seconds of arithmetic: in a green process it runs in eventlet's
    thread pool, so that the process's other requests (ticket issue, calls) go on."""
    if not eventlet.patcher.is_monkey_patched("thread"):
        return function(*args)
    return tpool.execute(function, *args)


def summary(uow, date_from: date, date_to: date) -> dict:
    """The report of ``uow``'s site over the local days ``date_from`` … ``date_to``."""
    cur, site = uow.cur, uow.site
    cur.execute(
        """SELECT code, name, name_en, target_wait_s FROM queue.services
           WHERE site_id = %s ORDER BY sort_order, code""", (site["id"],))
    services = cur.fetchall()
    cur.execute(
        """SELECT t.service_code, t.status, t.counter, t.local_date, t.queued_at, t.called_at, t.started_at,
                  t.finished_at, t.transferred_from IS NOT NULL AS transferred_in,
                  EXTRACT(HOUR FROM t.issued_at AT TIME ZONE %(tz)s)::int AS hour,
                  last_action.actor AS officer
           FROM queue.tickets t
           LEFT JOIN LATERAL (
               SELECT j.actor FROM queue.journal j
               WHERE j.ticket_id = t.id AND j.action IN ('call', 'recall', 'start', 'complete', 'no_show', 'transfer')
               ORDER BY j.id DESC LIMIT 1) last_action ON true
           WHERE t.site_id = %(site)s AND t.local_date BETWEEN %(from)s AND %(to)s""",
        {"site": site["id"], "tz": site["timezone"], "from": date_from, "to": date_to})
    rows = cur.fetchall()
    cur.execute(
        """SELECT service_code, local_date, u1, u2, u3, u4, u5, u6, u7, u8, u9 FROM queue.surveys
           WHERE site_id = %s AND local_date BETWEEN %s AND %s""", (site["id"], date_from, date_to))
    surveys = cur.fetchall()
    report = off_hub(build, services, rows, surveys, date_from, date_to)
    report.update({"site": site["code"], "site_name": site["name"], "timezone": site["timezone"],
                   "generated_at": uow.now.isoformat()})
    return report
