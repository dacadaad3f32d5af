"""The walkthrough of the README on the system as `make up` starts it: demo site,
demo accounts, every process, metrics on their ports."""
import re

import requests

from tests.support.system import DEMO_PASSWORD


def test_a_ticket_from_the_kiosk_to_the_counter(system):
    base = system.base_url
    assert requests.get(f"{base}/healthz").json()["status"] == "ok"
    codes = [s["code"] for s in requests.get(f"{base}/api/services").json()]
    assert codes == ["SIM", "SKCK", "LOST_ITEM", "CROWD_PERMIT", "COMPLAINT"]

    tickets = [requests.post(f"{base}/api/tickets", json={"service": "SKCK", "priority": p}).json()
               for p in ("regular", "elderly", "regular")]
    assert all(t["status"] == "waiting" and t["track_url"].startswith(base) for t in tickets)

    login = requests.post(f"{base}/api/auth/login", json={"username": "petugas1", "password": DEMO_PASSWORD})
    assert login.status_code == 200 and login.json()["role"] == "officer"
    officer = {"Authorization": f"Bearer {login.json()['token']}"}
    assert requests.post(f"{base}/api/counters/3/open", json={"services": ["SKCK"]}, headers=officer).ok

    called = requests.post(f"{base}/api/counters/3/call-next", headers=officer).json()
    assert called["number"] == tickets[1]["number"]  # the elderly citizen goes first
    board = requests.get(f"{base}/api/display").json()
    assert board["counters"] == [{"counter": 3, "name": board["counters"][0]["name"], "number": called["number"],
                                  "service": "SKCK", "called_at": called["called_at"]}]
    assert requests.post(f"{base}/api/counters/3/recall", headers=officer).json()["recall_count"] == 1
    assert requests.post(f"{base}/api/counters/3/complete", json={}, headers=officer).json()["status"] == "done"
    requests.post(f"{base}/api/counters/3/call-next", headers=officer)
    moved = requests.post(f"{base}/api/counters/3/transfer", json={"service": "SIM"}, headers=officer).json()
    assert (moved["service"], moved["status"]) == ("SIM", "waiting")
    board = requests.get(f"{base}/api/display").json()
    assert board["waiting"]["SIM"] == 1 and board["waiting"]["SKCK"] == 1
    assert [c["kind"] for c in board["recent"]] == ["call", "recall", "call"]

    admin = requests.post(f"{base}/api/auth/login", json={"username": "admin", "password": DEMO_PASSWORD})
    assert admin.json()["role"] == "admin"


def test_each_process_serves_prometheus_metrics_without_personal_data(system):
    base = system.base_url
    requests.post(f"{base}/api/tickets", json={"service": "COMPLAINT", "contact": {"email": "ani@example.id",
                                                                                   "phone": "081298765432"}})
    queue_metrics = requests.get(system.metrics_urls["queue"]).text
    assert re.search(r'ptsp_tickets_issued_total\{service="COMPLAINT",site="polres-demo"\} [1-9]', queue_metrics)
    assert 'ptsp_queue_length{service="COMPLAINT",site="polres-demo"}' in queue_metrics
    assert 'ptsp_entrypoint_duration_seconds_count{entrypoint="issue_ticket"' in queue_metrics
    gateway_metrics = requests.get(system.metrics_urls["gateway"]).text
    assert 'ptsp_http_responses_total{route="issue_ticket",status="201"}' in gateway_metrics
    for text in (queue_metrics, gateway_metrics):
        assert "example.id" not in text and "81298765432" not in text
