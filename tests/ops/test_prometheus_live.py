"""A real Prometheus scrapes the whole system (as `make up` starts it) through a
scripted day at the hall: every alert expression and every dashboard query
evaluates on the live data and returns the series it is meant to, and the
metrics moved exactly as the day went."""
import json
from collections import Counter

import psycopg
import pytest
import requests

from tests.support.system import DEMO_PASSWORD, running_system
from tests.ops.prometheus_support import (
    DASHBOARDS, alert_rules, dashboard_targets, grafana_expr, pending_reason, running_prometheus, scrape_config,
    wait_for,
)

SITE = "polres-demo"
SERVICES = {"SIM", "SKCK", "LOST_ITEM", "CROWD_PERMIT", "COMPLAINT"}
TARGET_SIM_S = 1800  # the demo seed's target for SIM
CONTACT = {"email": "warga.ops@example.id", "phone": "081234567890"}

# What each alert looks at, without its threshold: after the scripted day these
# return series for the labels listed (None: at least one series, any labels).
SIGNALS = {
    "PtspServiceDown": ('up{job=~"ptsp-.+"}', {"job": {"ptsp-gateway", "ptsp-queue", "ptsp-documents", "ptsp-notify"}}),
    "PtspDisplayStale": ("time() - max by (site) (ptsp_display_updated_timestamp_seconds)", {"site": {SITE}}),
    "PtspHttpServerErrors": ("sum by (route) (rate(ptsp_http_responses_total[5m]))", None),
    "PtspWaitsOverTarget": ("max by (site, service) (ptsp_queue_oldest_wait_seconds)", {"service": SERVICES}),
    "PtspCallsOverTarget": ("sum by (site, service) (increase(ptsp_waits_over_target_total[15m]))",
                            {"service": SERVICES}),
    "PtspOutboxLag": ("max by (job, instance) (ptsp_outbox_oldest_age_seconds)", {"job": {"ptsp-queue"}}),
    "PtspEventsDeadLettered": ("sum by (service, event_type) (increase(ptsp_events_dead_lettered_total[15m]))", None),
    "PtspEventHandlerRetrying": ("sum by (job) (rate(ptsp_events_retried_total[5m]))", None),
    "PtspNotificationsFailing": ("sum by (channel) (rate(ptsp_notifications_total[15m]))", None),
}


@pytest.fixture(scope="module")
def system():
    with running_system(name="ops") as running:
        yield running


@pytest.fixture(scope="module")
def prometheus(system, tmp_path_factory):
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), scrape_config(system.metrics_urls)) as server:
        yield server


class Hall:
    """The HTTP API driven as the kiosk and the officers drive it, counting what it did."""

    def __init__(self, base):
        self.base = base
        self.did = Counter()
        self.counter_calls = Counter()
        self.officers = {}

    def post(self, path, body=None, headers=None, expect=200):
        answer = requests.post(f"{self.base}{path}", json=body, headers=headers, timeout=10)
        assert answer.status_code == expect, (path, answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def issue(self, service, **extra):
        ticket = self.post("/api/tickets", {"service": service, **extra}, expect=201)
        self.did["issued", service] += 1
        return ticket

    def open(self, counter, username, services):
        answer = self.post("/api/auth/login", {"username": username, "password": DEMO_PASSWORD})
        self.officers[counter] = {"Authorization": f"Bearer {answer['token']}"}
        self.post(f"/api/counters/{counter}/open", {"services": services}, self.officers[counter])

    def act(self, counter, action, body=None, expect=200):
        return self.post(f"/api/counters/{counter}/{action}", body, self.officers[counter], expect=expect)

    def call(self, counter):
        ticket = self.act(counter, "call-next")
        self.did["called", ticket["service"]] += 1
        self.counter_calls[str(counter)] += 1
        return ticket

    def serve(self, counter):
        ticket = self.call(counter)
        self.act(counter, "start")
        self.act(counter, "complete", {})
        self.did["completed", ticket["service"]] += 1
        return ticket

    def no_show(self, counter):
        ticket = self.call(counter)
        self.act(counter, "no-show")
        self.did["no_show", ticket["service"]] += 1

    def transfer(self, counter, to):
        ticket = self.call(counter)
        self.act(counter, "start")
        self.act(counter, "transfer", {"service": to})
        self.did["transferred", ticket["service"]] += 1
        return ticket

    def count(self, what):
        return {service: n for (kind, service), n in self.did.items() if kind == what}


def backdate(database_url, ticket_id, seconds):
    """The citizen holding ``ticket_id`` has been waiting ``seconds`` longer (a test
    cannot wait 40 minutes; the record's queue time is what the wait is taken from)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE queue.tickets SET queued_at = queued_at - make_interval(secs => %s) WHERE id = %s",
                     (seconds, ticket_id))


def alert_labels(prometheus, name, *states):
    return [a["labels"] for a in prometheus.alerts() if a["labels"]["alertname"] == name and a["state"] in states]


def test_a_scripted_day_moves_the_metrics_and_every_alert_and_panel_query_answers(system, prometheus):
    """Breaks: a metric an alert or panel reads that the services do not export (or
    export under other labels), a query Prometheus rejects, a counter that counts
    wrong, a label carrying personal data. Checks, on a real Prometheus scraping
    the running system through a day of tickets, calls, no-shows, transfers and a
    cancellation: the counts equal what the test did; the longest wait and the
    calls over target reach the alerts; each alert's expression and each dashboard
    query evaluate and return their series (the documented pending ones may be empty)."""
    p = prometheus
    # Scraping has begun and the queue's series exist at 0 before the first ticket,
    # so rates over the day see every increment.
    wait_for(lambda: p.values('up{job=~"ptsp-(queue|gateway)"}', "job") == {"ptsp-queue": 1, "ptsp-gateway": 1},
             30, "queue and gateway scraped")
    wait_for(lambda: set(p.values(f'ptsp_tickets_issued_total{{site="{SITE}"}} == 0', "service")) == SERVICES,
             30, "ticket counters at 0 for every service")

    hall = Hall(system.base_url)
    sim = [hall.issue("SIM", contact=CONTACT)] + [hall.issue("SIM") for _ in range(3)]
    for _ in range(3):
        hall.issue("SKCK", priority="elderly")
    for _ in range(2):
        hall.issue("LOST_ITEM")
    hall.issue("COMPLAINT")
    cancelled = hall.issue("CROWD_PERMIT")
    # The holder's key, once the gateway hands one out (DESIGN.md's cancel contract).
    holder = {"X-Ticket-Key": cancelled["access_key"]} if "access_key" in cancelled else {}
    answer = requests.post(f"{system.base_url}/api/tickets/{cancelled['id']}/cancel", headers=holder, timeout=10)
    assert answer.status_code == 200, answer.text
    hall.did["cancelled", "CROWD_PERMIT"] += 1
    rejected = requests.post(f"{system.base_url}/api/tickets", json={"service": "NOPE"}, timeout=10)
    assert 400 <= rejected.status_code < 500

    # The first SIM citizen has waited 40 minutes (target 30): the queue is over target.
    backdate(system.database_url, sim[0]["id"], 2400)
    wait_for(lambda: p.values(f'ptsp_queue_oldest_wait_seconds{{site="{SITE}", service="SIM"}} > {TARGET_SIM_S}'),
             30, "the longest SIM wait over target in Prometheus")
    wait_for(lambda: {"site": SITE, "service": "SIM"}.items() <= next(
        iter(alert_labels(p, "PtspWaitsOverTarget", "pending")), {}).items(), 15, "PtspWaitsOverTarget pending")

    hall.open(1, "petugas1", ["SIM"])
    hall.open(3, "petugas3", ["SKCK"])
    hall.open(5, "petugas5", ["LOST_ITEM", "COMPLAINT"])
    assert hall.serve(1)["id"] == sim[0]["id"]  # the longest wait is called first
    hall.no_show(1)
    hall.transfer(1, "SKCK")
    hall.serve(1)
    hall.act(1, "call-next", expect=204)
    for _ in range(4):  # three elderly SKCK citizens and the one transferred from SIM
        hall.serve(3)
    hall.serve(5)
    hall.no_show(5)
    # One complaint is left waiting; counter 5 would call it next.

    expected = {
        "ptsp_tickets_issued_total": hall.count("issued"),
        "ptsp_tickets_called_total": hall.count("called"),
        "ptsp_tickets_completed_total": hall.count("completed"),
        "ptsp_tickets_no_show_total": hall.count("no_show"),
        "ptsp_tickets_transferred_total": hall.count("transferred"),
        "ptsp_tickets_cancelled_total": hall.count("cancelled"),
    }
    assert expected["ptsp_tickets_issued_total"] == {"SIM": 4, "SKCK": 3, "LOST_ITEM": 2, "COMPLAINT": 1,
                                                     "CROWD_PERMIT": 1}

    def moved():
        seen = {name: {s: n for s, n in p.values(f'{name}{{site="{SITE}"}} > 0', "service").items()}
                for name in expected}
        return seen == expected and seen

    wait_for(moved, 30, f"Prometheus to see the day's counts {expected}")

    # The other figures of the day, as Prometheus scraped them.
    assert p.values(f'ptsp_waits_over_target_total{{site="{SITE}"}} > 0', "service") == {"SIM": 1}
    assert p.values(f'ptsp_wait_target_seconds{{site="{SITE}", service="SIM"}}') == {(): TARGET_SIM_S}
    assert p.values(f'ptsp_counter_calls_total{{site="{SITE}"}}', "counter") == {
        c: float(n) for c, n in hall.counter_calls.items()}
    assert p.values(f'ptsp_counter_service_seconds_count{{site="{SITE}"}}', "counter") == {"1": 2, "3": 4, "5": 1}
    assert p.values(f'sum by (service) (ptsp_wait_seconds_count{{site="{SITE}"}}) > 0', "service") == \
        expected["ptsp_tickets_called_total"]
    wait_for(lambda: p.values(f'ptsp_queue_length{{site="{SITE}"}} > 0', "service") == {"COMPLAINT": 1}, 15,
             "only the complaint left waiting")
    assert p.values('sum by (route) (ptsp_http_responses_total{route="issue_ticket"})', "route")["issue_ticket"] >= 12
    assert p.values('process_resident_memory_bytes{job=~"ptsp-(queue|gateway)"} > 0', "job").keys() == {
        "ptsp-queue", "ptsp-gateway"}

    # The calls over target reach their alert: 1 of 4 SIM calls waited beyond 30 minutes.
    wait_for(lambda: [a for a in alert_labels(p, "PtspCallsOverTarget", "pending")] == [
        {"alertname": "PtspCallsOverTarget", "severity": "warning", "site": SITE, "service": "SIM"}], 15,
        "PtspCallsOverTarget pending for SIM only")
    # A process the system does not run yet (documents, notify until their branches
    # are merged) has `up` 0: PtspServiceDown is pending (then firing) for it alone.
    not_running = {f"ptsp-{name}" for name in ("gateway", "queue", "documents", "notify")
                   if name not in system.metrics_urls}
    if not_running:
        wait_for(lambda: {a["job"] for a in alert_labels(p, "PtspServiceDown", "pending", "firing")} == not_running,
                 15, f"PtspServiceDown for {not_running}")
    else:
        assert not alert_labels(p, "PtspServiceDown", "pending", "firing")

    # Every rule has been evaluated on this data without an error.
    def rules_healthy():
        rules = [r for g in p.api("rules")["groups"] for r in g["rules"]]
        return all(r["health"] == "ok" for r in rules) and len(rules) == len(alert_rules()) and rules
    wait_for(rules_healthy, 15, "every rule evaluated with health ok")

    rules = alert_rules()
    assert set(SIGNALS) == set(rules)
    for name, rule in rules.items():
        p.query(rule["expr"])  # evaluates without error
        signal, labels = SIGNALS[name]
        if pending_reason(signal):
            p.query(signal)
            continue  # documented in PENDING: no series until that branch is merged
        # A rate needs two scrapes of a series inside its window: wait for them.
        series = wait_for(lambda: p.query(signal), 20, f"{name}: {signal} to return series")
        for label, values in (labels or {}).items():
            assert {row["metric"].get(label) for row in series} >= values, (name, label, series)

    # Every dashboard query, as Grafana sends it for the demo site and all services.
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert set(p.api("label/site/values", **{"match[]": "ptsp_queue_length"})) == {SITE}
        assert set(p.api("label/service/values", **{"match[]": f'ptsp_queue_length{{site="{SITE}"}}'})) == SERVICES
        for title, expr in dashboard_targets(dashboard):
            if pending_reason(expr):
                p.query(grafana_expr(expr, SITE))  # evaluates without error
                continue
            wait_for(lambda: p.query(grafana_expr(expr, SITE)), 20,
                     f"{path.name}: panel {title!r}: {expr} to return series")

    # No personal data in any label value Prometheus holds.
    for label in p.api("labels"):
        for value in p.api(f"label/{label}/values"):
            assert "example.id" not in value and "1234567890" not in value, (label, value)
