"""The supervisor's report and the citizen's satisfaction survey on the real servers
(queue, documents and gateway over HTTP): after a scripted day the report's figures
equal the ones computed here from what the day did."""
import csv
import io
import statistics
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests

from tests.support.documents import Officer, applicant, wait_for_step
from tests.support.sites import TEST_PASSWORD

JAKARTA = ZoneInfo("Asia/Jakarta")
ELEMENTS = [f"u{n}" for n in range(1, 10)]


@pytest.fixture
def hall(gateway):
    return gateway


def login(base, username):
    answer = requests.post(f"{base}/api/auth/login", json={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def issue(base, service):
    answer = requests.post(f"{base}/api/tickets", json={"service": service})
    assert answer.status_code == 201, answer.text
    return answer.json()


def backdate(database_url, ticket_id, minutes):
    """The citizen came ``minutes`` earlier today (issue and queue time)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("""UPDATE queue.tickets SET issued_at = issued_at - make_interval(mins => %s),
                            queued_at = queued_at - make_interval(mins => %s) WHERE id = %s""",
                     (minutes, minutes, ticket_id))


def view(base, ticket_id):
    answer = requests.get(f"{base}/api/tickets/{ticket_id}")
    assert answer.status_code == 200
    return answer.json()


def at(value):
    return datetime.fromisoformat(value)


def percentile(values, q):
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def ikm(answers):
    if not answers:
        return None, None
    scores = [a[code] for a in answers for code in ELEMENTS]
    index = (Decimal(sum(scores)) / Decimal(len(scores)) * 25).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    grade = "A" if index >= Decimal("88.31") else "B" if index >= Decimal("76.61") else \
        "C" if index >= Decimal("65.00") else "D"
    return float(index), grade


def survey(base, ticket, ratings, key=None, comment=None, language=None):
    body = {"ratings": ratings}
    if comment is not None:
        body["comment"] = comment
    headers = {} if key is False else {"X-Ticket-Key": key or ticket["access_key"]}
    if language:
        headers["Accept-Language"] = language
    return requests.post(f"{base}/api/tickets/{ticket['id']}/survey", json=body, headers=headers)


def scores(*values):
    return dict(zip(ELEMENTS, values))


def test_a_scripted_day_gives_the_report_its_figures(hall, database_url):
    """Broke: no report, no survey. Checks: a day of tickets over three services and two
    counters (calls, completions, a no-show, a transfer, a step of an application,
    arrivals spread over the day) and surveys of completed tickets; the summary's
    per-service counts, wait mean/p50/p90, service times, no-show share, share within
    the target, per hour, per officer, per counter, per day and the IKM per service
    equal what this test computes from the tickets' own timestamps and the ratings it
    sent; the CSV has the same figures; only a supervisor may read either."""
    base = hall
    # Arrivals over the morning: SIM 4, SKCK 3, lost-item 2, each backdated as scripted.
    plan = [("SIM", 200), ("SIM", 130), ("SKCK", 95), ("SIM", 61), ("SKCK", 40), ("LOST_ITEM", 33),
            ("SIM", 20), ("SKCK", 12), ("LOST_ITEM", 5)]
    issued = {}
    for service, minutes in plan:
        ticket = issue(base, service)
        backdate(database_url, ticket["id"], minutes)
        issued[ticket["id"]] = ticket
    # One application (SKCK_NEW): its registration step is a ticket in the SKCK queue.
    created = requests.post(f"{base}/api/applications", json={"type": "SKCK_NEW", "applicant": applicant(3)})
    assert created.status_code == 201, created.text
    application = created.json()
    issued[application["ticket"]["id"]] = application["ticket"]

    first = Officer(base, "petugas1", 1, ["SIM", "SKCK"])
    second = Officer(base, "petugas2", 2, ["SKCK", "LOST_ITEM"])
    transferred_to = None

    def serve(officer, *steps):
        called = officer.call_next()
        assert called is not None
        for step in steps:
            body = {"service": "LOST_ITEM"} if step == "transfer" else None
            answer = officer.post(step, body)
            assert answer.status_code == 200, answer.text
            if step == "transfer":
                nonlocal transferred_to
                transferred_to = answer.json()["id"]
        return called["id"]

    serve(first, "start", "complete")      # SIM, 200 min
    serve(first, "complete")               # SIM, 130 min (no "start")
    serve(second, "start", "complete")     # SKCK, 95 min
    serve(first, "no-show")                # SIM, 61 min
    serve(second, "recall", "start", "transfer")  # SKCK 40 min → lost-item, keeping its place
    serve(second, "start", "complete")     # the transferred one (queued 40 min ago) before lost-item 33
    serve(second, "start", "complete")     # lost-item 33 min
    serve(first, "start", "complete")      # SIM 20 min
    # SKCK 12 min and the application's SKCK ticket, lost-item 5 min: still waiting.
    registration = serve(first, "start")   # SKCK 12 min: called, serving
    assert registration in issued
    answer = first.complete("passed")      # the counter's current ticket (SKCK 12 min)
    assert answer.status_code == 200
    app_ticket = serve(first)              # the application's ticket
    assert app_ticket == application["ticket"]["id"]
    assert first.complete("passed").status_code == 200
    next_step = wait_for_step(base, application["tracking_code"], "document_check")["ticket"]["id"]

    ids = list(issued) + [transferred_to, next_step]  # the pass put the citizen in the next step's queue
    views = {tid: view(base, tid) for tid in ids}
    done = [v for v in views.values() if v["status"] == "done"]
    assert len(done) == 8 and sum(v["status"] == "no_show" for v in views.values()) == 1

    # --- the survey: refusals first ----------------------------------------------------------
    waiting = next(issued[t] for t, v in views.items() if v["status"] == "waiting" and t in issued)
    refused = survey(base, waiting, scores(*[4] * 9))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "survey_not_open"
    assert "status" in refused.json()["error"]["fields"]
    no_show = next(issued[t] for t, v in views.items() if v["status"] == "no_show")
    assert survey(base, no_show, scores(*[4] * 9)).status_code == 409
    a_done = issued[done[0]["id"]]
    bad = survey(base, a_done, scores(4, 4, 5, 4, 4, 4, 4, 4, 4))
    assert bad.status_code == 422 and "ratings.u3" in bad.json()["error"]["fields"]
    assert "ratings.u9" in survey(base, a_done, scores(*[4] * 8)).json()["error"]["fields"]
    nul = survey(base, a_done, scores(*[4] * 9), comment="baik\x00")
    assert nul.status_code == 422 and "comment" in nul.json()["error"]["fields"]
    long = survey(base, a_done, scores(*[4] * 9), comment="x" * 1001)
    assert long.status_code == 422 and "comment" in long.json()["error"]["fields"]
    assert survey(base, a_done, scores(*[4] * 9), key=False).status_code == 401
    assert survey(base, a_done, scores(*[4] * 9), key="wrong-key").status_code == 403
    english = requests.post(f"{base}/api/tickets/{a_done['id']}/survey", headers={
        "X-Ticket-Key": a_done["access_key"], "Accept-Language": "en"}, json={"ratings": scores(*[9] * 9)})
    assert english.status_code == 422 and english.json()["error"]["message"].startswith("Invalid")

    # --- surveys of four completed tickets (the transferred one answers to the first key) ----
    answers = {}
    ratings = [scores(4, 4, 4, 4, 4, 4, 4, 4, 4), scores(3, 3, 3, 4, 3, 3, 4, 3, 2), scores(2, 3, 1, 4, 2, 3, 3, 2, 2),
               scores(4, 3, 4, 4, 3, 4, 4, 3, 3)]
    for n, (done_view, given) in enumerate(zip(done[:4], ratings)):
        tid = done_view["id"]
        holder = issued.get(tid) or {"id": tid, "access_key": next(
            issued[o]["access_key"] for o, v in views.items() if v.get("transferred_to") == tid)}
        answer = survey(base, holder, given, comment="Pelayanan cepat =1+1", language="en" if n == 1 else None)
        assert answer.status_code == 201, answer.text
        assert answer.json() == {"ticket_id": tid, "submitted": True}
        answers[tid] = given
        again = survey(base, holder, scores(*[1] * 9))
        assert again.status_code == 409 and again.json()["error"]["code"] == "survey_already_submitted"
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT count(*), min(u1), count(*) FILTER (WHERE language = 'en') "
                              "FROM queue.surveys").fetchone()
        journal = conn.execute("SELECT data::text FROM queue.journal WHERE action = 'survey'").fetchall()
    assert stored == (4, 2, 1) and len(journal) == 4
    assert not any("Pelayanan" in line[0] for line in journal)

    # --- the report ----------------------------------------------------------------------------
    supervisor = login(base, "admin")
    today = datetime.now(JAKARTA).date().isoformat()
    answer = requests.get(f"{base}/api/reports/summary", params={"from": today, "to": today}, headers=supervisor)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["from"], report["to"], report["timezone"]) == (today, today, "Asia/Jakarta")

    targets = {s["code"]: s["target_wait_s"] for s in report["services"]}
    officer_of = {1: "petugas1", 2: "petugas2"}

    def wait(v):
        origin = v
        while origin.get("transferred_from"):
            origin = views[origin["transferred_from"]]
        return (at(v["called_at"]) - at(origin["issued_at"])).total_seconds() if v["called_at"] else None

    def service_time(v):
        if v["status"] != "done":
            return None
        return (at(v["finished_at"]) - at(v["started_at"] or v["called_at"])).total_seconds()

    for row in report["services"]:
        mine = [v for v in views.values() if v["service"] == row["code"]]
        called = [v for v in mine if v["called_at"]]
        waits = [wait(v) for v in called]
        times = [t for t in map(service_time, mine) if t is not None]
        no_shows = sum(v["status"] == "no_show" for v in mine)
        within = sum(w <= targets[row["code"]] for w in waits)
        assert row["tickets"] == len(mine), row["code"]
        assert row["issued"] == sum(not v["transferred_from"] for v in mine)
        assert (row["called"], row["served"], row["no_shows"]) == (
            len(called), sum(v["status"] == "done" for v in mine), no_shows)
        assert row["transferred"] == sum(v["status"] == "transferred" for v in mine)
        assert row["open"] == sum(v["status"] in ("waiting", "called", "serving") for v in mine)
        if waits:
            assert row["wait_mean_s"] == pytest.approx(statistics.fmean(waits), abs=0.06)
            assert row["wait_p50_s"] == pytest.approx(statistics.median(waits), abs=0.06)
            assert row["wait_p90_s"] == pytest.approx(percentile(waits, 0.9), abs=0.06)
            assert row["no_show_share"] == pytest.approx(no_shows / len(called), abs=1e-4)
            assert (row["within_target_count"], row["within_target"]) == (
                within, pytest.approx(within / len(called), abs=1e-4))
        if times:
            assert row["service_time_mean_s"] == pytest.approx(statistics.fmean(times), abs=0.06)
        given = [answers[v["id"]] for v in mine if v["id"] in answers]
        assert (row["ikm"]["index"], row["ikm"]["grade"]) == ikm(given), row["code"]
        assert row["ikm"]["responses"] == len(given)
    sim = next(s for s in report["services"] if s["code"] == "SIM")
    assert (sim["tickets"], sim["served"], sim["no_shows"], sim["within_target_count"]) == (4, 3, 1, 1)
    assert report["ikm"]["responses"] == 4 and (report["ikm"]["index"], report["ikm"]["grade"]) == ikm(
        list(answers.values()))
    totals = report["totals"]
    assert totals["tickets"] == len(views) and totals["served"] == 8 and totals["transferred_in"] == 1

    arrivals = [v for v in views.values() if not v["transferred_from"]]
    per_hour = {h["hour"]: h["tickets"] for h in report["hours"]}
    for hour in range(24):
        assert per_hour[hour] == sum(at(v["issued_at"]).astimezone(JAKARTA).hour == hour for v in arrivals), hour

    by_counter = {c["counter"]: c for c in report["counters"]}
    by_officer = {o["officer"]: o for o in report["officers"]}
    for number, name in officer_of.items():
        mine = [v for v in views.values() if v["counter"] == number]
        assert by_counter[number]["served"] == sum(v["status"] == "done" for v in mine)
        assert by_counter[number]["called"] == sum(bool(v["called_at"]) for v in mine)
        assert by_officer[name]["served"] == by_counter[number]["served"]
        assert by_officer[name]["no_shows"] == sum(v["status"] == "no_show" for v in mine)
        assert by_officer[name]["service_time_total_s"] == pytest.approx(
            sum(t for t in map(service_time, mine) if t is not None), abs=0.06)
    assert set(by_officer) == {"petugas1", "petugas2"}
    assert report["days"] == [{**report["days"][0], "date": today}] and report["days"][0]["tickets"] == len(views)
    assert report["days"][0]["ikm"]["index"] == report["ikm"]["index"]

    assert report["applications"]["available"] is True
    skck_new = next(t for t in report["applications"]["types"] if t["code"] == "SKCK_NEW")
    assert (skck_new["applications"], skck_new["ready"], skck_new["in_progress"]) == (1, 0, 1)
    registration_step = next(s for s in skck_new["steps"] if s["code"] == "registration")
    assert (registration_step["outcomes"], registration_step["passed"], registration_step["pass_rate"]) == (1, 1, 1.0)

    # --- the CSV: the same figures, no formula, only for a supervisor ------------------------------
    exported = requests.get(f"{base}/api/reports/summary.csv", params={"from": today}, headers=supervisor)
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert f'filename="ptsp-report-{report["site"]}-{today}-{today}.csv"' in exported.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    start = next(i for i, line in enumerate(lines) if line and line[0].startswith("Per layanan"))
    header, rows = lines[start + 1], lines[start + 2:start + 2 + len(report["services"])]
    for row, expected in zip(rows, report["services"]):
        cells = dict(zip(header, row))
        assert cells["code"] == expected["code"] and int(cells["tickets"]) == expected["tickets"]
        assert cells["wait_p90_s"] == ("" if expected["wait_p90_s"] is None else str(expected["wait_p90_s"]))
        assert cells["ikm_index"] == ("" if expected["ikm"]["index"] is None else str(expected["ikm"]["index"]))
    assert not any(cell.startswith(("=", "+", "@")) for line in lines for cell in line)
    assert not any(a["access_key"] in exported.text for a in issued.values() if a.get("access_key"))

    officer = login(base, "petugas1")
    for path in ("/api/reports/summary", "/api/reports/summary.csv"):
        assert requests.get(base + path, headers=officer).status_code == 403
        assert requests.get(base + path).status_code == 401


def test_report_periods_are_checked_and_default_to_today(hall):
    supervisor = login(hall, "admin")
    url = f"{hall}/api/reports/summary"
    today = datetime.now(JAKARTA).date()
    plain = requests.get(url, headers=supervisor).json()
    assert plain["from"] == plain["to"] == today.isoformat() and len(plain["hours"]) == 24
    week = requests.get(url, params={"from": (today - timedelta(days=6)).isoformat()}, headers=supervisor).json()
    assert week["from"] == week["to"] == (today - timedelta(days=6)).isoformat()
    span = requests.get(url, params={"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()},
                        headers=supervisor).json()
    assert [d["date"] for d in span["days"]] == [(today - timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    for params, field in (({"from": "kemarin"}, "from"), ({"to": "2026-02-30"}, "to"),
                          ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
                          ({"from": "2024-01-01", "to": "2026-01-01"}, "to"), ({"from": "2026-01-01\x00"}, "from")):
        for path in ("", ".csv"):
            answer = requests.get(url + path, params=params, headers=supervisor)
            assert answer.status_code == 422, (params, answer.text)
            assert field in answer.json()["error"]["fields"], (params, answer.json())
