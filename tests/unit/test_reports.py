"""The report's arithmetic (services/queue/reports.py) and its CSV export."""
import csv
import io
import statistics
from datetime import date, datetime, timedelta, timezone

import pytest

from services.gateway.report_csv import report_csv, safe
from services.queue.reports import build, percentile

T = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
DAY = date(2026, 11, 24)
SERVICES = [{"code": "SIM", "name": "SIM", "name_en": "Licence", "target_wait_s": 600},
            {"code": "SKCK", "name": "SKCK", "name_en": "Clearance", "target_wait_s": 300}]


def ticket(service, status, wait=None, service_s=None, counter=None, officer=None, hour=9, transferred_in=False,
           day=DAY):
    called = T + timedelta(seconds=wait) if wait is not None else None
    started = called if service_s is not None else None
    finished = started + timedelta(seconds=service_s) if service_s is not None else (
        called + timedelta(seconds=30) if status in ("no_show", "transferred") else None)
    return {"service_code": service, "status": status, "counter": counter, "officer": officer, "hour": hour,
            "local_date": day, "transferred_in": transferred_in, "queued_at": T, "called_at": called,
            "started_at": started, "finished_at": finished}


@pytest.mark.parametrize("values", [[5], [1, 2], [3, 1, 2], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 7.5]])
def test_percentiles_interpolate_between_ranks(values):
    assert percentile(values, 0.5) == pytest.approx(statistics.median(values))
    if len(values) > 1:
        assert percentile(values, 0.9) == pytest.approx(statistics.quantiles(values, n=10, method="inclusive")[8])
    assert percentile([], 0.5) is None


def test_figures_per_service_hour_officer_counter_and_day():
    rows = [
        ticket("SIM", "done", wait=100, service_s=200, counter=1, officer="a", hour=8),
        ticket("SIM", "done", wait=700, service_s=400, counter=1, officer="a", hour=9),
        ticket("SIM", "no_show", wait=300, counter=2, officer="b", hour=9),
        ticket("SIM", "waiting", hour=10),
        ticket("SKCK", "transferred", wait=200, counter=2, officer="b", hour=8),
        ticket("SIM", "done", wait=500, service_s=100, counter=2, officer="b", hour=8, transferred_in=True),
    ]
    surveys = [{"service_code": "SIM", "local_date": DAY, **{f"u{i}": 4 for i in range(1, 10)}},
               {"service_code": "SIM", "local_date": DAY, **{f"u{i}": 3 for i in range(1, 10)}}]
    report = build(SERVICES, rows, surveys, DAY, DAY)
    sim, skck = report["services"]
    assert (sim["tickets"], sim["issued"], sim["transferred_in"], sim["called"], sim["served"], sim["no_shows"],
            sim["open"]) == (5, 4, 1, 4, 3, 1, 1)
    assert sim["wait_mean_s"] == 400.0 and sim["wait_p50_s"] == 400.0
    assert sim["wait_p90_s"] == pytest.approx(percentile([100, 700, 300, 500], 0.9))
    assert sim["service_time_mean_s"] == pytest.approx(700 / 3, abs=0.05)
    assert sim["no_show_share"] == 0.25
    assert (sim["within_target_count"], sim["within_target"]) == (3, 0.75)  # 700 s is over the 600 s target
    assert (sim["ikm"]["index"], sim["ikm"]["grade"], sim["ikm"]["responses"]) == (87.5, "B", 2)
    assert (skck["tickets"], skck["transferred"], skck["within_target"], skck["ikm"]["index"]) == (1, 1, 1.0, None)
    assert report["ikm"]["index"] == 87.5 and report["totals"]["tickets"] == 6
    hours = {h["hour"]: h for h in report["hours"]}
    assert len(report["hours"]) == 24
    assert (hours[8]["tickets"], hours[8]["services"], hours[9]["tickets"], hours[10]["tickets"]) == (
        2, {"SIM": 1, "SKCK": 1}, 2, 1)  # the transferred-in ticket counts once, at its issue
    officers = {o["officer"]: o for o in report["officers"]}
    assert (officers["a"]["served"], officers["a"]["service_time_total_s"]) == (2, 600.0)
    assert (officers["b"]["called"], officers["b"]["no_shows"], officers["b"]["transferred"]) == (3, 1, 1)
    counters = {c["counter"]: c for c in report["counters"]}
    assert (counters[1]["served"], counters[2]["served"], counters[2]["wait_mean_s"]) == (2, 1, 333.3)  # waits 300, 200, 500
    assert [d["date"] for d in report["days"]] == ["2026-11-24"] and report["days"][0]["tickets"] == 6


def test_every_day_of_the_period_has_its_line():
    report = build(SERVICES, [ticket("SIM", "done", wait=60, service_s=60, day=date(2026, 11, 25))], [],
                   date(2026, 11, 24), date(2026, 11, 26))
    assert [(d["date"], d["tickets"]) for d in report["days"]] == [
        ("2026-11-24", 0), ("2026-11-25", 1), ("2026-11-26", 0)]
    assert report["days"][0]["wait_mean_s"] is None and report["days"][0]["ikm"]["index"] is None


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_never_start_a_formula(text):
    assert safe(text) == "'" + text
    assert safe("SIM") == "SIM" and safe(12) == 12 and safe(None) == ""


def test_csv_has_every_table_and_defused_names():
    services = [dict(SERVICES[0], name="=cmd|' /C calc'!A0")] + SERVICES[1:]
    report = build(services, [ticket("SIM", "done", wait=60, service_s=60, counter=1, officer="-x")], [], DAY, DAY)
    report.update({"site": "s", "timezone": "Asia/Jakarta", "generated_at": "now",
                   "applications": {"available": False, "types": []}})
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=cmd|' /C calc'!A0" in cells and "'-x" in cells
    titles = [row[0] for row in rows if row and "/" in row[0] and len(row) == 1]
    assert len(titles) == 9


def test_every_group_reads_its_own_rows_over_a_year():
    """A year of days, each with its own tickets: each day, hour, counter and officer
    line counts exactly its rows (the groups are built once; `make bench` times it)."""
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(366)]
    rows = [ticket(("SIM", "SKCK")[i % 2], "done", wait=60 + n, service_s=120, counter=1 + i % 3, officer=f"p{i % 3}",
                   hour=8 + i % 4, day=day)
            for n, day in enumerate(days) for i in range(1 + n % 5)]
    report = build(SERVICES, rows, [], days[0], days[-1])
    assert [d["tickets"] for d in report["days"]] == [1 + n % 5 for n in range(366)]
    assert [d["wait_mean_s"] for d in report["days"]] == [60.0 + n for n in range(366)]
    assert sum(h["tickets"] for h in report["hours"]) == len(rows) == report["totals"]["tickets"]
    assert [c["served"] for c in report["counters"]] == [sum(1 for r in rows if r["counter"] == k) for k in (1, 2, 3)]
    assert [o["officer"] for o in report["officers"]] == ["p0", "p1", "p2"]
