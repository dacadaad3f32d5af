"""`make bench`: how long the supervisor's report takes to build for a year of a busy
hall (services/queue/reports.py ``build``, the part that grows with the period; the
SQL reads the period's tickets once). Printed and written to var/bench/reports.json,
never asserted."""
import json
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from services.queue.reports import build

REPO = Path(__file__).resolve().parents[1]
T = datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc)
SERVICES = [{"code": code, "name": code, "name_en": code, "target_wait_s": 1800}
            for code in ("SIM", "SKCK", "LOST_ITEM", "CROWD_PERMIT", "COMPLAINT")]


def test_a_years_report_of_300_tickets_a_day():
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(366)]
    rows = []
    for day in days:
        for i in range(300):
            called = T + timedelta(seconds=60 + i * 7)
            rows.append({"service_code": SERVICES[i % 5]["code"], "status": "done", "counter": 1 + i % 6,
                         "officer": f"petugas{1 + i % 6}", "hour": 8 + i % 8, "local_date": day,
                         "transferred_in": False, "queued_at": T, "called_at": called, "started_at": called,
                         "finished_at": called + timedelta(seconds=240)})
    surveys = [{"service_code": "SIM", "local_date": day, **{f"u{n}": 3 for n in range(1, 10)}} for day in days]
    started = time.perf_counter()
    report = build(SERVICES, rows, surveys, days[0], days[-1])
    elapsed = time.perf_counter() - started
    result = {"tickets": len(rows), "days": len(days), "build_s": round(elapsed, 2)}
    out = REPO / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "reports.json").write_text(json.dumps(result, indent=2))
    print("\nreport build:", json.dumps(result))
    assert report["totals"]["tickets"] == len(rows)
