"""The public HTTP contract, through the gateway, with the queue service behind it
on the real servers."""
import json
import threading
import uuid

import eventlet
import psycopg
import requests

from shared.infrastructure.redis_store import display_key
from tests.support.sites import TEST_PASSWORD


def login(base, username="petugas1"):
    answer = requests.post(f"{base}/api/auth/login", json={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def post(base, path, body=None, headers=None):
    return requests.post(f"{base}{path}", json=body, headers=headers)


def ticket_count(database_url, site):
    with psycopg.connect(database_url) as conn:
        return conn.execute("""SELECT count(*) FROM queue.tickets t JOIN queue.sites s ON s.id = t.site_id
                               WHERE s.code = %s""", (site,)).fetchone()[0]


def test_walkthrough_kiosk_to_counter_with_the_display_following(gateway):
    base = gateway
    services = requests.get(f"{base}/api/services").json()
    assert [s["code"] for s in services] == ["SIM", "SKCK", "LOST_ITEM"]
    assert set(services[0]) >= {"code", "prefix", "name", "open", "waiting", "estimated_wait_s"}

    first = post(base, "/api/tickets", {"service": "SKCK", "priority": "regular",
                                        "contact": {"email": "warga@example.id"}})
    assert first.status_code == 201
    ticket = first.json()
    assert set(ticket) >= {"id", "number", "service", "status", "position", "estimated_wait_s", "issued_at",
                           "track_url", "access_key"}
    assert (ticket["number"], ticket["status"], ticket["position"]) == ("B-001", "waiting", 1)
    # The holder's key rides in the fragment (issue 6), never sent to a server.
    assert ticket["access_key"] and ticket["access_key"] not in ticket["id"]
    assert ticket["track_url"] == f"http://ptsp.test/t/{ticket['id']}#k={ticket['access_key']}"
    assert "email" not in json.dumps(ticket) and "warga" not in json.dumps(ticket)
    second = post(base, "/api/tickets", {"service": "SKCK"}).json()
    assert (second["number"], second["position"]) == ("B-002", 2)

    officer = login(base)
    opened = post(base, "/api/counters/1/open", {"services": ["SKCK"]}, officer)
    assert opened.status_code == 200 and opened.json()["open_services"] == ["SKCK"]
    called = post(base, "/api/counters/1/call-next", headers=officer).json()
    assert (called["id"], called["status"], called["counter"]) == (ticket["id"], "called", 1)

    display = requests.get(f"{base}/api/display").json()
    assert {"counter": 1, "number": "B-001", "service": "SKCK"}.items() <= display["counters"][0].items()
    assert display["recent"][0]["number"] == "B-001" and display["waiting"]["SKCK"] == 1
    assert "warga" not in json.dumps(display)

    assert post(base, "/api/counters/1/recall", headers=officer).json()["recall_count"] == 1
    assert requests.get(f"{base}/api/display").json()["recent"][0]["kind"] == "recall"
    assert post(base, "/api/counters/1/start", headers=officer).json()["status"] == "serving"
    done = post(base, "/api/counters/1/complete", {}, officer).json()
    assert done["status"] == "done"
    assert requests.get(f"{base}/api/tickets/{ticket['id']}").json()["status"] == "done"

    post(base, "/api/counters/1/call-next", headers=officer)
    moved = post(base, "/api/counters/1/transfer", {"service": "SIM"}, officer).json()
    assert (moved["number"], moved["service"], moved["status"]) == ("B-002", "SIM", "waiting")
    assert requests.get(f"{base}/api/tickets/{second['id']}").json()["status"] == "transferred"
    display = requests.get(f"{base}/api/display").json()
    assert display["waiting"] == {"SIM": 1, "SKCK": 0, "LOST_ITEM": 0}
    assert display["counters"][0]["number"] is None

    assert post(base, "/api/counters/1/call-next", headers=officer).status_code == 204
    assert post(base, "/api/counters/1/close", headers=officer).json()["open"] is False
    assert requests.get(f"{base}/api/display").json()["counters"] == []


def test_a_retried_request_with_the_same_idempotency_key_gets_the_same_ticket(gateway, site, database_url):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"service": "SIM", "priority": "elderly"}
    first = post(gateway, "/api/tickets", body, key)
    again = post(gateway, "/api/tickets", body, key)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and first.json()["number"] == again.json()["number"]

    # Retries racing each other still make one ticket.
    racing_key = {"Idempotency-Key": str(uuid.uuid4())}
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(post(gateway, "/api/tickets", body, racing_key)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert ticket_count(database_url, site) == 2

    reused = post(gateway, "/api/tickets", {"service": "SKCK"}, key)
    assert reused.status_code == 409
    assert reused.json()["error"]["fields"] == {"Idempotency-Key": "reused with a different body"}


def test_bad_input_gets_a_4xx_naming_the_field_and_writes_nothing(gateway, site, database_url):
    cases = [
        ({"service": "NOPE"}, 422, "service"),
        ({"service": "SKCK", "priority": "vip"}, 422, "priority"),
        ({"priority": "regular"}, 422, "service"),
        ({"service": "SKCK", "contact": {"email": "x"}}, 422, "contact.email"),
        ({"service": "SKCK", "contact": {"phone": "call me"}}, 422, "contact.phone"),
        ({"service": 7}, 422, "service"),
        (["SKCK"], 422, "body"),
    ]
    for body, status, field in cases:
        answer = requests.post(f"{gateway}/api/tickets", json=body)
        assert answer.status_code == status, (body, answer.text)
        error = answer.json()["error"]
        assert field in error["fields"], (body, error)
        assert error["code"] == "invalid_input" and error["message"]

    broken = requests.post(f"{gateway}/api/tickets", data="{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"]["fields"] == {"body": "invalid JSON"}
    bad_key = requests.post(f"{gateway}/api/tickets", json={"service": "SIM"}, headers={"Idempotency-Key": "x" * 300})
    assert bad_key.status_code == 422 and "Idempotency-Key" in bad_key.json()["error"]["fields"]
    assert requests.get(f"{gateway}/api/tickets/not-a-uuid").status_code == 404
    assert requests.get(f"{gateway}/api/tickets/{uuid.uuid4()}").status_code == 404
    assert ticket_count(database_url, site) == 0

    officer = login(gateway)
    assert post(gateway, "/api/counters/1/open", {"services": []}, officer).json()["error"]["fields"].keys() == {
        "services"}
    assert "services" in post(gateway, "/api/counters/1/open", {"services": ["NOPE"]}, officer).json()["error"][
        "fields"]
    assert post(gateway, "/api/counters/99/open", {"services": ["SIM"]}, officer).status_code == 404
    post(gateway, "/api/counters/1/open", {"services": ["SIM"]}, officer)
    assert post(gateway, "/api/counters/1/complete", {"outcome": "great"}, officer).json()["error"]["fields"].keys() \
        == {"outcome"}
    assert post(gateway, "/api/counters/1/transfer", {}, officer).json()["error"]["fields"].keys() == {"service"}
    wrong = post(gateway, "/api/auth/login", {"username": "petugas1", "password": "nope"})
    assert wrong.status_code == 401 and "password" in wrong.json()["error"]["fields"]
    assert post(gateway, "/api/auth/login", {"username": "petugas1"}).json()["error"]["fields"].keys() == {
        "password"}


def test_messages_are_indonesian_by_default_and_english_on_request(gateway):
    indonesian = requests.post(f"{gateway}/api/tickets", json={"service": "NOPE"}).json()["error"]["message"]
    english = requests.post(f"{gateway}/api/tickets", json={"service": "NOPE"},
                            headers={"Accept-Language": "en-US,en;q=0.9"}).json()["error"]["message"]
    assert indonesian == "Layanan NOPE tidak dikenal." and english == "Unknown service NOPE."


def test_quota_and_opening_hours_are_enforced_with_a_clear_error(make_site, runner_factory, service_config):
    from datetime import time

    from services.gateway.service import GatewayService
    from services.queue.service import QueueService

    site = make_site(service_options={"SIM": {"daily_quota": 2},
                                      "SKCK": {"opens_at": time(0, 0), "closes_at": time(0, 1),
                                               "open_days": [1]},
                                      "LOST_ITEM": {"active": False}})
    service_config["PTSP_SITE"] = site
    runner_factory(service_config, QueueService, GatewayService).start()
    base = f"http://{service_config['WEB_SERVER_ADDRESS']}"

    assert [post(base, "/api/tickets", {"service": "SIM"}).status_code for _ in range(2)] == [201, 201]
    full = post(base, "/api/tickets", {"service": "SIM"})
    assert full.status_code == 409 and full.json()["error"]["code"] == "quota_reached"
    assert "Kuota harian" in full.json()["error"]["message"]
    english = requests.post(f"{base}/api/tickets", json={"service": "SIM"}, headers={"Accept-Language": "en"})
    assert "quota" in english.json()["error"]["message"]
    closed = post(base, "/api/tickets", {"service": "SKCK"})
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "service_closed"
    withdrawn = post(base, "/api/tickets", {"service": "LOST_ITEM"})  # switched off by the supervisor
    assert withdrawn.status_code == 409 and withdrawn.json()["error"]["fields"] == {"service": "inactive"}

    listed = {s["code"]: s for s in requests.get(f"{base}/api/services").json()}
    assert listed["SIM"]["open"] is False and listed["SIM"]["closed_reason"]["code"] == "quota_reached"
    assert listed["SKCK"]["open"] is False and "LOST_ITEM" not in listed
    # A third SIM number was never taken: the quota rejection gave it back.
    assert post(base, "/api/tickets", {"service": "SIM"}).status_code == 409


def test_officer_actions_need_a_token_and_the_counter(gateway):
    assert post(gateway, "/api/counters/1/call-next").status_code == 401
    assert post(gateway, "/api/counters/1/call-next", headers={"Authorization": "Bearer forged"}).status_code == 401
    first, second = login(gateway, "petugas1"), login(gateway, "petugas2")
    assert post(gateway, "/api/counters/1/call-next", headers=first).status_code == 403  # not opened yet
    post(gateway, "/api/counters/1/open", {"services": ["SIM"]}, first)
    for path in ("call-next", "recall", "start", "no-show", "complete", "close"):
        answer = post(gateway, f"/api/counters/1/{path}", {} if path == "complete" else None, second)
        assert answer.status_code == 403, path
        assert answer.json()["error"]["code"] == "not_your_counter"
    assert post(gateway, "/api/counters/1/open", {"services": ["SIM"]}, second).status_code == 403
    me = requests.get(f"{gateway}/api/me", headers=first).json()
    assert me == {"username": "petugas1", "role": "officer"}


def test_display_state_comes_back_the_same_after_redis_is_flushed(gateway, redis_client, redis_namespace):
    officer = login(gateway)
    for service in ("SIM", "SKCK", "SKCK"):
        post(gateway, "/api/tickets", {"service": service})
    post(gateway, "/api/counters/2/open", {"services": ["SKCK", "SIM"]}, officer | {})  # opened by petugas1
    post(gateway, "/api/counters/2/call-next", headers=officer)
    before = requests.get(f"{gateway}/api/display")
    redis_client.flushdb()
    after = requests.get(f"{gateway}/api/display")
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]
    assert redis_client.get(display_key(redis_namespace, before.json()["site"])) is not None  # rebuilt

    unchanged = requests.get(f"{gateway}/api/display", headers={"If-None-Match": before.headers["ETag"]})
    assert unchanged.status_code == 304
    post(gateway, "/api/tickets", {"service": "SIM"})
    changed = requests.get(f"{gateway}/api/display", headers={"If-None-Match": before.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["version"] > before.json()["version"]


def test_display_stream_sends_one_message_per_change(gateway):
    messages = []

    def listen():
        with requests.get(f"{gateway}/api/display/stream", stream=True, timeout=10) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("data: "):
                    messages.append(json.loads(line[len("data: "):]))
                    if len(messages) == 3:
                        return

    listener = eventlet.spawn(listen)
    eventlet.sleep(0.5)
    post(gateway, "/api/tickets", {"service": "SIM"})
    eventlet.sleep(0.3)
    post(gateway, "/api/tickets", {"service": "SKCK"})
    with eventlet.Timeout(10):
        listener.wait()
    assert [m["waiting"]["SIM"] for m in messages] == [0, 1, 1]
    assert [m["waiting"]["SKCK"] for m in messages] == [0, 0, 1]
    assert messages[0]["version"] < messages[1]["version"] < messages[2]["version"]


def test_health_and_openapi(gateway):
    health = requests.get(f"{gateway}/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok", "rabbitmq": "ok"}}
    document = requests.get(f"{gateway}/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    contract = {
        ("get", "/healthz"), ("get", "/api/services"), ("post", "/api/tickets"), ("get", "/api/tickets/{ticket_id}"),
        ("post", "/api/auth/login"), ("post", "/api/counters/{counter}/open"),
        ("post", "/api/counters/{counter}/close"), ("post", "/api/counters/{counter}/call-next"),
        ("post", "/api/counters/{counter}/recall"), ("post", "/api/counters/{counter}/start"),
        ("post", "/api/counters/{counter}/no-show"), ("post", "/api/counters/{counter}/complete"),
        ("post", "/api/counters/{counter}/transfer"), ("get", "/api/display"), ("get", "/api/display/stream"),
    }
    documented = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert contract <= documented
    ticket_request = document["components"]["schemas"]["TicketRequest"]
    assert ticket_request["properties"]["priority"]["enum"] == ["regular", "elderly", "disabled", "pregnant"]


def test_no_estimate_while_no_counter_serves_the_service(gateway):
    """Issue 11: a ticket for a service no counter served said "you are next, < 1 minute".
    Checks: before any counter opens, the service list and the ticket answer give no
    estimate and say why (in both languages); tickets are still issued; once a counter
    opens for the service the estimate is back."""
    base = gateway
    sim = next(s for s in requests.get(f"{base}/api/services").json() if s["code"] == "SIM")
    reason = {"code": "no_counter_open", "id": "Menunggu loket dibuka", "en": "Waiting for a counter to open"}
    assert (sim["open"], sim["estimated_wait_s"], sim["estimated_wait_reason"], sim["open_counters"]) == (
        True, None, reason, 0)
    issued = post(base, "/api/tickets", {"service": "SIM"})
    assert issued.status_code == 201, issued.text
    ticket = issued.json()
    assert (ticket["position"], ticket["estimated_wait_s"], ticket["estimated_wait_reason"]) == (1, None, reason)
    assert requests.get(f"{base}/api/tickets/{ticket['id']}").json()["estimated_wait_reason"] == reason

    assert post(base, "/api/counters/1/open", {"services": ["SIM"]}, login(base)).status_code == 200
    again = requests.get(f"{base}/api/tickets/{ticket['id']}").json()
    assert (again["estimated_wait_s"], again["estimated_wait_reason"]) == (0, None)
    sim = next(s for s in requests.get(f"{base}/api/services").json() if s["code"] == "SIM")
    assert sim["estimated_wait_s"] > 0 and sim["estimated_wait_reason"] is None and sim["open_counters"] == 1
