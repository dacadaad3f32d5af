"""Strict HTTP at the gateway (issue 6): framing a keep-alive client can rely on, the
documented JSON error for every status, limits and timeouts, and bad input that
gives a 4xx instead of a 500 — through the real gateway and queue services."""
import datetime
import io
import json
import logging
import re
import socket
import time
import uuid

import httpx
from PIL import Image
import psycopg
import pytest
import requests

from shared.infrastructure.config import REPO_ROOT
from tests.support.sites import TEST_PASSWORD


def login(client, username):
    answer = client.post("/api/auth/login", json={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def count_rows(database_url, site, table, where="TRUE", params=()):
    with psycopg.connect(database_url) as conn:
        return conn.execute(f"""SELECT count(*) FROM queue.{table} x JOIN queue.sites s ON s.id = x.site_id
                                WHERE s.code = %s AND {where}""", (site, *params)).fetchone()[0]


def raw_exchange(base, request: bytes, timeout=5.0):
    """Send raw bytes; return everything the server sends until it closes (or the
    timeout passes) and whether it closed."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        data, closed = b"", False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            data += chunk
        return data, closed


def assert_json_error(answer, status, code=None):
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert set(error) == {"code", "message", "fields", "details"} and error["message"]
    assert [d["field"] for d in error["details"]] == list(error["fields"]), error
    assert all(d["id"] and d["en"] for d in error["details"]), error
    if code:
        assert error["code"] == code, error
    return error


def no_tracebacks(caplog):
    leaked = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not leaked, [f"{r.name}: {r.getMessage()[:200]}" for r in leaked]


# --- one keep-alive connection through every route ------------------------------------------------

def test_a_keep_alive_client_walks_every_documented_route_on_one_connection(gateway, site, runner_factory,
                                                                           service_config):
    """Broke: 204, 304 and HEAD answers went out chunked with a `0\\r\\n\\r\\n` body, so
    httpx/h11 failed on the next request with "illegal status line". Checks: one
    httpx connection (one local port) carries a request to every route of the
    OpenAPI document, plus a 204, three 304s, HEAD answers, 404 and 405; every
    answer parses, no answer is a 5xx (but speech without espeak-ng)."""
    from services.notify.service import NotifyService

    runner_factory(service_config, NotifyService).start()  # the supervisor's dead letters are notify's
    ports = set()
    seen = set()

    def remember(response):
        ports.add(response.extensions["network_stream"].get_extra_info("client_addr")[1])

    transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
    with httpx.Client(base_url=gateway, transport=transport, timeout=10,
                      event_hooks={"response": [remember]}) as client:
        document = client.get("/api/openapi.json").json()
        documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}

        def call(method, template, expect, headers=None, body=None, **params):
            path = template.format(**params)
            answer = client.request(method, path, headers=headers, json=body)
            answer.read()
            seen.add((method, template))
            assert answer.status_code in expect, (method, path, answer.status_code, answer.text[:300])
            if method != "HEAD" and answer.status_code not in (204, 304):
                if answer.headers.get("content-type", "").startswith("application/json"):
                    answer.json()
            else:
                assert answer.content == b""
            return answer

        admin = login(client, "admin")
        created = call("POST", "/api/admin/officers", {201}, admin,
                       {"username": "kepala", "role": "supervisor", "password": TEST_PASSWORD})
        assert created.json()["role"] == "supervisor"
        supervisor = login(client, "kepala")
        officer = login(client, "petugas1")

        call("GET", "/healthz", {200})
        call("GET", "/api/openapi.json", {200})
        call("GET", "/api/site", {200})
        call("GET", "/api/services", {200})
        ticket = call("POST", "/api/tickets", {201}, body={"service": "SIM"}).json()
        call("GET", "/api/tickets/{ticket_id}", {200}, ticket_id=ticket["id"])
        call("GET", "/api/tickets/{ticket_id}/qr.svg", {200}, ticket_id=ticket["id"])
        call("POST", "/api/tickets/{ticket_id}/print", {404}, body={"kiosk": "lobby"}, ticket_id=ticket["id"])
        call("POST", "/api/auth/login", {401}, body={"username": "petugas1", "password": "wrong"})
        call("GET", "/api/me", {200}, officer)
        call("GET", "/api/counters", {200}, officer)
        call("GET", "/api/counters/{counter}", {200}, officer, counter=1)
        call("POST", "/api/counters/{counter}/open", {200}, officer, {"services": ["SIM", "SKCK"]}, counter=1)
        call("POST", "/api/counters/{counter}/call-next", {200}, officer, counter=1)
        call("POST", "/api/counters/{counter}/recall", {200}, officer, counter=1)
        call("POST", "/api/counters/{counter}/start", {200}, officer, counter=1)
        call("POST", "/api/counters/{counter}/transfer", {200}, officer, {"service": "SKCK"}, counter=1)
        call("POST", "/api/counters/{counter}/call-next", {200}, officer, counter=1)
        completed = call("POST", "/api/counters/{counter}/complete", {200}, officer,
                         {"outcome": "passed", "note": "ok"}, counter=1).json()
        # Nobody waits: 204, and the connection goes on.
        call("POST", "/api/counters/{counter}/call-next", {204}, officer, counter=1)
        second = call("POST", "/api/tickets", {201}, body={"service": "SIM"}).json()
        call("POST", "/api/counters/{counter}/call-next", {200}, officer, counter=1)
        call("POST", "/api/counters/{counter}/no-show", {200}, officer, counter=1)
        call("POST", "/api/counters/{counter}/undo", {200}, officer, counter=1)
        call("POST", "/api/counters/{counter}/no-show", {200}, officer, counter=1)
        call("POST", "/api/counters/{counter}/take-over", {200}, supervisor, counter=1)
        call("POST", "/api/counters/{counter}/close", {200}, supervisor, counter=1)
        # a counter left with a called ticket: freed, then retired and reinstated
        call("POST", "/api/counters/{counter}/open", {200}, officer, {"services": ["SIM"]}, counter=2)
        call("POST", "/api/tickets", {201}, body={"service": "SIM"})
        call("POST", "/api/counters/{counter}/call-next", {200}, officer, counter=2)
        call("POST", "/api/admin/counters/{counter}/free", {200}, supervisor, counter=2)
        call("POST", "/api/admin/counters/{counter}/retire", {200}, supervisor, counter=2)
        call("POST", "/api/admin/counters/{counter}/reinstate", {200}, supervisor, counter=2)
        third = call("POST", "/api/tickets", {201}, body={"service": "SKCK"}).json()
        # The first ticket was completed (after its transfer): its holder rates the service once.
        ratings = {f"u{n}": 3 for n in range(1, 10)}
        call("POST", "/api/tickets/{ticket_id}/survey", {201}, {"X-Ticket-Key": ticket["access_key"]},
             {"ratings": ratings}, ticket_id=completed["id"])
        call("POST", "/api/tickets/{ticket_id}/cancel", {401}, ticket_id=third["id"])  # the holder's key is asked
        call("POST", "/api/tickets/{ticket_id}/cancel", {200}, {"X-Ticket-Key": third["access_key"]},
             ticket_id=third["id"])
        assert second["id"] != third["id"]

        call("GET", "/api/admin/services", {200}, supervisor)
        call("POST", "/api/admin/services", {201}, supervisor,
             {"code": "PERMIT", "prefix": "D", "name": "Izin Keramaian", "name_en": "Crowd permit"})
        call("PUT", "/api/admin/services/{code}", {200}, supervisor, {"daily_quota": 50}, code="PERMIT")
        call("GET", "/api/admin/counters", {200}, supervisor)
        call("POST", "/api/admin/counters", {201}, supervisor, {"number": 7, "name": "Loket 7", "services": ["SIM"]})
        call("PUT", "/api/admin/counters/{counter}", {200}, supervisor, {"name": "Loket Tujuh"}, counter=7)
        call("GET", "/api/admin/officers", {200}, supervisor)
        call("PUT", "/api/admin/officers/{username}", {200}, supervisor, {"full_name": "Petugas Dua"},
             username="petugas2")
        call("PUT", "/api/admin/running-text", {200}, supervisor, {"text": "Selamat datang"})
        kiosk = call("POST", "/api/admin/kiosks", {201}, supervisor, {"name": "lobi"}).json()
        call("GET", "/api/admin/kiosks", {200}, supervisor)
        call("POST", "/api/admin/kiosks/{kiosk_id}/revoke", {200}, supervisor, kiosk_id=kiosk["id"])
        kinds = call("GET", "/api/admin/application-types", {200}, supervisor).json()
        skck = next(kind for kind in kinds if kind["code"] == "SKCK_NEW")
        call("PUT", "/api/admin/application-types/{code}", {200}, supervisor,
             {"fee": skck["fee"], "steps": skck["steps"], "required_documents": skck["required_documents"]},
             code="SKCK_NEW")
        today = datetime.date.today().isoformat()
        call("GET", f"/api/reports/summary?from={today}&to={today}", {200}, supervisor)
        seen.add(("GET", "/api/reports/summary"))
        csv = call("GET", f"/api/reports/summary.csv?from={today}&to={today}", {200}, supervisor)
        assert csv.headers["content-type"].startswith("text/csv"), csv.headers
        seen.add(("GET", "/api/reports/summary.csv"))
        call("GET", "/api/speech?text=A-001&voice=id", {200, 503})
        seen.add(("GET", "/api/speech"))

        # Applications (documents service) and the supervisor's dead letters (notify).
        call("GET", "/api/application-types", {200})
        applicant = {"nik": "3174051708900001", "name": "Budi", "birth_date": "1990-08-17"}
        in_hall = call("POST", "/api/applications", {201}, body={"type": "SKCK_NEW", "applicant": applicant}).json()
        call("GET", "/api/applications/{tracking_code}", {200}, tracking_code=in_hall["tracking_code"])
        call("POST", "/api/applications/{tracking_code}/check-in", {409}, tracking_code=in_hall["tracking_code"])
        online = call("POST", "/api/applications", {201},
                      body={"type": "LOST_ITEM_REPORT", "applicant": applicant, "in_hall": False}).json()
        png = io.BytesIO()
        Image.new("RGB", (4, 4), "white").save(png, format="PNG")
        uploaded = client.post(f"/api/applications/{online['tracking_code']}/uploads/police_report",
                               content=png.getvalue(), headers={"Content-Type": "image/png"})
        assert uploaded.status_code == 201, uploaded.text
        seen.add(("POST", "/api/applications/{tracking_code}/uploads/{document}"))
        call("GET", "/api/applications/{tracking_code}/uploads/{upload_id}", {200},
             tracking_code=online["tracking_code"], upload_id=uploaded.json()["id"])
        call("GET", "/api/officer/applications/{tracking_code}", {200}, officer,
             tracking_code=online["tracking_code"])
        call("POST", "/api/officer/applications/{tracking_code}/review", {200}, officer, {"outcome": "passed"},
             tracking_code=online["tracking_code"])
        call("GET", "/api/counters/{counter}/application", {403, 404}, officer, counter=1)
        letter = call("GET", "/api/applications/{tracking_code}/letter", {200}, tracking_code=online["tracking_code"])
        assert letter.content.startswith(b"%PDF-")
        call("GET", "/api/officer/applications/{tracking_code}/letter", {200}, officer,
             tracking_code=online["tracking_code"])
        call("POST", "/api/applications/{tracking_code}/resume", {409}, tracking_code=in_hall["tracking_code"])
        call("POST", "/api/applications/{tracking_code}/cancel", {200}, {"X-Application-Key": in_hall["access_key"]},
             tracking_code=in_hall["tracking_code"])
        call("GET", "/api/admin/notifications/dead", {200}, supervisor)
        call("POST", "/api/admin/notifications/{delivery_id}/resend", {404}, supervisor, delivery_id=uuid.uuid4())

        display = call("GET", "/api/display", {200})
        call("GET", "/api/display", {304}, {"If-None-Match": display.headers["ETag"]})
        call("HEAD", "/api/display", {200})
        call("HEAD", "/api/display/stream", {200})
        seen.add(("GET", "/api/display/stream"))  # its GET never ends; see the stream tests
        static = call("GET", "/static/css/base.css", {200})
        call("GET", "/static/css/base.css", {304}, {"If-None-Match": static.headers["ETag"]})
        call("GET", "/static/css/base.css?v=1", {304}, {"If-None-Match": static.headers["ETag"]})
        call("HEAD", "/kiosk", {200})
        call("GET", "/kiosk", {200})
        assert_json_error(call("GET", "/api/nothing-here", {404}), 404, "not_found")
        wrong_method = call("DELETE", "/api/services", {405})
        assert_json_error(wrong_method, 405, "method_not_allowed")
        assert "GET" in wrong_method.headers["Allow"]
        call("GET", "/healthz", {200})
        call("POST", "/api/auth/logout", {200}, officer)
        call("GET", "/api/me", {401}, officer)  # that session has ended

    assert documented <= seen, documented - seen
    assert len(ports) == 1, ports  # every answer above came over one connection


def test_answers_without_a_body_are_framed_without_one(gateway):
    """Broke: `Transfer-Encoding: chunked` and `0\\r\\n\\r\\n` on 204/304/HEAD. Checks the
    bytes on the wire: headers only, then the next answer on the same connection."""
    etag = requests.get(f"{gateway}/api/display").headers["ETag"]
    data, _ = raw_exchange(gateway, (
        f"GET /api/display HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n"
        "HEAD /api/display/stream HTTP/1.1\r\nHost: t\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").encode(), timeout=10)
    answers = data.split(b"HTTP/1.1 ")
    assert [a[:3] for a in answers[1:]] == [b"304", b"200", b"200"], data[:600]
    for bodiless in answers[1:3]:
        assert b"chunked" not in bodiless.lower() and bodiless.endswith(b"\r\n\r\n"), bodiless
    assert b'"status"' in answers[3]


# --- errors, redirects, limits, timeouts ------------------------------------------------------------

def test_401_says_how_to_authenticate_and_errors_are_json(gateway):
    """Broke: 401 without WWW-Authenticate; 404/405 as werkzeug HTML. Checks the
    documented JSON error and the Bearer challenge, in English on request."""
    for headers in ({}, {"Authorization": "Bearer forged"}):
        answer = requests.post(f"{gateway}/api/counters/1/call-next", headers=headers)
        assert_json_error(answer, 401)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    missing = requests.get(f"{gateway}/no/such/page", headers={"Accept-Language": "en"})
    assert assert_json_error(missing, 404, "not_found")["message"] == "Not found."
    assert_json_error(requests.put(f"{gateway}/api/tickets"), 405, "method_not_allowed")


def test_no_redirect_echoes_the_host_header(gateway):
    """Broke: werkzeug's slash-merging redirect answered `Location: http://<Host>/...`
    built from the request's Host header. Checks: the Location is a path only."""
    data, _ = raw_exchange(gateway, b"GET //api//services HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    head = data.split(b"\r\n\r\n")[0].decode()
    assert b"evil.example" not in data
    location = re.search(r"(?im)^location: (.*)$", head)
    assert location is None or location.group(1).strip().startswith("/") and not location.group(1).startswith("//")


def test_a_body_over_the_limit_is_refused_before_it_is_read(gateway, site, database_url):
    """Broke: a 10 MB body was read whole. Checks: 413 in the JSON error shape, sent
    while the body is still unsent, and the connection is closed (never drained)."""
    head = (f"POST /api/tickets HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n").encode()
    data, closed = raw_exchange(gateway, head + b'{"service": "SIM", "x": "', timeout=5)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert closed
    body = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == "body_too_large" and "body" in body["error"]["fields"]
    big = requests.post(f"{gateway}/api/tickets", data=b"{" + b" " * (10 * 1024 * 1024) + b"}",
                        headers={"Content-Type": "application/json"})
    assert_json_error(big, 413, "body_too_large")
    assert count_rows(database_url, site, "tickets") == 0


def test_a_half_sent_request_is_dropped_after_the_socket_timeout(runner_factory, service_config):
    """Broke: no socket timeouts, so a Content-Length larger than the body (or a
    request line never finished) held a connection for ever. Checks: with
    HTTP_SOCKET_TIMEOUT_S=1 the server answers or closes within a few seconds."""
    from services.gateway.service import GatewayService
    from services.queue.service import QueueService

    service_config["HTTP_SOCKET_TIMEOUT_S"] = 1
    runner_factory(service_config, QueueService, GatewayService).start()
    base = f"http://{service_config['WEB_SERVER_ADDRESS']}"

    started = time.monotonic()
    data, closed = raw_exchange(base, b"POST /api/tickets HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                      b"Content-Length: 100\r\n\r\n{\"service\": ", timeout=10)
    assert closed and time.monotonic() - started < 6
    assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:200]

    started = time.monotonic()
    data, closed = raw_exchange(base, b"GET /api/serv", timeout=10)  # request line never finished
    assert closed and data == b"" and time.monotonic() - started < 6

    # A route that never reads the body: answered, then the connection is closed
    # once the missing bytes fail to arrive (instead of waiting for them).
    started = time.monotonic()
    data, closed = raw_exchange(base, b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\nab", timeout=10)
    assert data.startswith(b"HTTP/1.1 200") and closed and time.monotonic() - started < 6


# --- bad input -----------------------------------------------------------------------------------------

def test_control_characters_in_any_text_field_give_a_422_naming_it(gateway, site, database_url, caplog):
    """Broke: a NUL in a text field reached PostgreSQL and gave a 500 with a traceback.
    Checks, field by field: 422 naming the field, nothing stored, no traceback."""
    caplog.set_level(logging.INFO)
    base = gateway
    running_text = requests.get(f"{base}/api/site").json()["running_text"]
    with httpx.Client(base_url=base, timeout=10) as client:
        admin = login(client, "admin")
        officer = login(client, "petugas1")
        cases = [
            ("POST", "/api/auth/login", None, {"username": "petugas1\x00", "password": "x"}, "username"),
            ("POST", "/api/tickets", None, {"service": "SIM", "contact": {"email": "a\x00@b.id"}}, "contact.email"),
            ("POST", "/api/tickets", None, {"service": "SIM", "contact": {"phone": "0812\x003456789"}},
             "contact.phone"),
            ("POST", "/api/tickets", None, {"service": "SI\x00M"}, "service"),
            ("PUT", "/api/admin/running-text", admin, {"text": "Selamat\x00datang"}, "text"),
            ("POST", "/api/admin/services", admin,
             {"code": "NEW", "prefix": "N", "name": "Baru\x00", "name_en": "New"}, "name"),
            ("POST", "/api/admin/counters", admin, {"number": 9, "name": "Loket\x009", "services": ["SIM"]}, "name"),
            ("POST", "/api/admin/counters", admin, {"number": 9, "name": "Loket 9", "services": ["S\x00IM"]},
             "services.0"),
            ("POST", "/api/admin/officers", admin,
             {"username": "baru", "full_name": "Nama\x00", "password": TEST_PASSWORD}, "full_name"),
            ("POST", "/api/admin/officers", admin, {"username": "ba\x00ru", "password": TEST_PASSWORD}, "username"),
            ("POST", "/api/counters/1/open", officer, {"services": ["SIM\x1b"]}, "services.0"),
            ("POST", "/api/tickets", None, {"service": "SIM", "\x00": 1}, "body"),
        ]
        for method, path, headers, body, field in cases:
            answer = client.request(method, path, headers=headers, json=body)
            error = assert_json_error(answer, 422)
            assert field in error["fields"], (path, error)

        client.post("/api/counters/1/open", headers=officer, json={"services": ["SIM"]})
        client.post("/api/tickets", json={"service": "SIM"})
        client.post("/api/counters/1/call-next", headers=officer)
        note = client.post("/api/counters/1/complete", headers=officer, json={"note": "selesai\x00"})
        assert "note" in assert_json_error(note, 422)["fields"]
        moved = client.post("/api/counters/1/transfer", headers=officer, json={"service": "SK\x00CK"})
        assert "service" in assert_json_error(moved, 422)["fields"]

        # NUL in path segments: 404, never a 500.
        for path in ("/api/tickets/%00", "/api/tickets/ab%00cd/cancel", "/t/%00", "/api/admin/services/SIM%00",
                     "/api/admin/officers/petugas2%00"):
            answer = client.request("PUT" if "admin" in path else ("POST" if "cancel" in path else "GET"), path,
                                    headers=admin, json={})
            assert answer.status_code in (404, 422), (path, answer.status_code)
            assert answer.headers["content-type"].startswith("application/json"), path

    assert count_rows(database_url, site, "tickets") == 1  # only the one that was valid
    assert count_rows(database_url, site, "services", "x.code = 'NEW'") == 0
    assert count_rows(database_url, site, "counters", "x.number = 9") == 0
    assert count_rows(database_url, site, "officers", "x.username LIKE 'ba%%'") == 0
    assert requests.get(f"{base}/api/site").json()["running_text"] == running_text
    no_tracebacks(caplog)


def test_deep_json_huge_numbers_and_bad_static_paths_are_4xx(gateway, site, database_url, caplog):
    """Broke: 100000 nested arrays raised RecursionError (500); a 4,400-digit counter
    number gave a 500 before any auth check; a static path too long or with a NUL
    gave a 500 that showed the install path. Checks: 422/404 JSON, no path leak, no
    traceback, nothing stored."""
    caplog.set_level(logging.INFO)
    deep = requests.post(f"{gateway}/api/tickets", data="[" * 100000 + "]" * 100000,
                         headers={"Content-Type": "application/json"})
    assert "body" in assert_json_error(deep, 422)["fields"]
    nested = requests.post(f"{gateway}/api/tickets", data='{"service": "SIM", "contact": ' + "[" * 500 + "]" * 500 + "}",
                           headers={"Content-Type": "application/json"})
    assert_json_error(nested, 422)

    huge = requests.post(f"{gateway}/api/counters/{'9' * 4400}/open", json={"services": ["SIM"]})
    assert_json_error(huge, 404, "not_found")
    assert_json_error(requests.get(f"{gateway}/api/counters/{'1' * 4400}"), 404)

    for path in ("a" * 5000, "css/" + "a" * 300 + ".css", "a%00b", "css/common.css%00", "..%2f..%2fconfig.yml",
                 "../../../etc/passwd"):
        answer = requests.get(f"{gateway}/static/{path}")
        assert answer.status_code == 404, (path[:40], answer.status_code)
        assert str(REPO_ROOT) not in answer.text and "services/gateway" not in answer.text
    assert count_rows(database_url, site, "tickets") == 0
    no_tracebacks(caplog)


def test_the_queue_service_refuses_control_characters_at_its_rpc_boundary(runner_factory, service_config, site,
                                                                         database_url, caplog):
    """Broke: the queue service trusted its callers: a NUL from a direct RPC caller
    reached PostgreSQL (500). Checks: every command field and plain string argument
    is refused with InvalidInput naming it; nothing stored; one log line, no traceback."""
    from nameko.standalone.rpc import ServiceRpcProxy

    from services.queue.service import QueueService
    from shared.contracts.errors import InvalidInput

    caplog.set_level(logging.INFO)
    runner_factory(service_config, QueueService).start()
    calls = [
        (lambda q: q.issue_ticket(site, {"service": "SIM", "contact": {"email": "a\x00@b.id"}}), "contact.email"),
        (lambda q: q.issue_ticket(site, {"service": "SIM"}, "key\x00"), "idempotency_key"),
        (lambda q: q.login(site, "petugas1\x00", "x"), "username"),
        (lambda q: q.get_ticket(site, "abc\x00"), "ticket_id"),
        (lambda q: q.set_running_text(site, {"text": "a\x00"}, "admin"), "text"),
        (lambda q: q.create_officer(site, {"username": "x1", "full_name": "\x07", "password": TEST_PASSWORD},
                                    "admin", "admin"), "full_name"),
        (lambda q: q.update_service(site, "SIM\x00", {"name": "SIM"}, "admin"), "code"),
        (lambda q: q.open_counter(site, 1, {"services": ["SIM"]}, "petugas1\x00"), "officer"),
        (lambda q: q.complete(site, 1, "petugas1", {"note": "\x00"}), "note"),
        (lambda q: q.site_info("polres\x00"), "site"),
    ]
    with ServiceRpcProxy("queue", service_config) as queue:
        for call, field in calls:
            with pytest.raises(InvalidInput) as refused:
                call(queue)
            assert field in refused.value.fields, (field, refused.value.fields)
    assert count_rows(database_url, site, "tickets") == 0
    assert count_rows(database_url, site, "officers", "x.username = 'x1'") == 0
    no_tracebacks(caplog)
    refusals = [r for r in caplog.records if r.getMessage().startswith("(expected)")]
    assert refusals and all("\n" not in r.getMessage() for r in refusals)


def test_the_access_log_shows_no_ticket_ids_or_query_strings(gateway, caplog):
    """Broke: eventlet's access log printed each request line, so ticket ids (the
    handle to a citizen's ticket) and query strings filled the logs. Checks: one
    line per request with method, redacted path, status and duration."""
    caplog.set_level(logging.INFO, logger="services.gateway.access")
    ticket = requests.post(f"{gateway}/api/tickets", json={"service": "SIM"}).json()
    requests.get(f"{gateway}/api/tickets/{ticket['id']}")
    requests.get(f"{gateway}/t/{ticket['id']}?lang=en")
    requests.get(f"{gateway}/api/tickets/{ticket['id']}/qr.svg")
    requests.get(f"{gateway}/api/speech?text=rahasia")
    lines = [r.getMessage() for r in caplog.records if r.name == "services.gateway.access"]
    text = "\n".join(lines)
    assert ticket["id"] not in text and "rahasia" not in text and "lang=en" not in text
    assert any(re.fullmatch(r"GET /api/tickets/\{id\} 200 \d+\.\d{3}s", line) for line in lines), lines
    assert any(line.startswith("GET /t/{id}?… 200") for line in lines), lines
    assert all("\n" not in line for line in lines)


def test_every_write_endpoint_survives_ticket_ids_that_are_not_uuids(gateway):
    """A path segment that is no ticket id is a 404 in the JSON shape on every route
    that takes one."""
    for method, path in (("GET", "/api/tickets/x"), ("POST", "/api/tickets/x/cancel"),
                         ("GET", "/api/tickets/%20/qr.svg"), ("POST", f"/api/tickets/{uuid.uuid4()}/cancel")):
        answer = requests.request(method, f"{gateway}{path}")
        assert_json_error(answer, 404)
