"""Every route of the OpenAPI document against the roles it declares (``x-roles``):
the gateway enforces them before a handler runs, so no handler can forget to."""
import uuid

import httpx
import pytest

from tests.support.sites import TEST_PASSWORD

PATH_VALUES = {"counter": "1", "kiosk_id": "1", "code": "SIM", "username": "petugas2",
               "ticket_id": str(uuid.UUID(int=7)), "tracking_code": "ABCDEFGHJKMN", "document": "ktp",
               "upload_id": str(uuid.UUID(int=8)), "delivery_id": str(uuid.UUID(int=9))}


def login(client, username):
    answer = client.post("/api/auth/login", json={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def operations(document):
    """(method, path, declared roles), the session-ending logout last."""
    found = []
    for template, methods in document["paths"].items():
        path = template
        for name, value in PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        for method, operation in methods.items():
            found.append((method.upper(), path, tuple(operation.get("x-roles", ()))))
    return sorted(found, key=lambda op: op[1] == "/api/auth/logout")


def call_checked(client, method, path, headers=None):
    answer = call(client, method, path, headers)
    assert answer.status_code < 500, (method, path, answer.status_code)
    return answer


def refused_for_token(answer):
    return answer.status_code == 401 and "Authorization" in answer.json()["error"]["fields"]


def refused_for_role(answer):
    return answer.status_code == 403 and answer.json()["error"]["fields"].get("role") is not None


def call(client, method, path, headers=None):
    """One request; a streaming answer (the display's Server-Sent Events) is read only
    up to its status and headers."""
    body = {"json": {}} if method in ("POST", "PUT") else {}
    with client.stream(method, path, headers=headers, **body) as answer:
        if answer.headers.get("content-type", "").startswith("text/event-stream"):
            return answer
        answer.read()
        return answer


@pytest.fixture
def client(gateway, runner_factory, service_config):
    from services.notify.service import NotifyService

    runner_factory(service_config, NotifyService).start()  # behind the supervisor's dead-letter routes
    with httpx.Client(base_url=gateway, timeout=15) as http:
        yield http


def test_every_route_answers_as_its_declared_roles_say(client):
    """Broke: a route whose handler forgot to check the officer (any caller could use
    it), or one that refused a role it declares. Checks, for every operation in the
    OpenAPI document: without a token, a route with roles answers 401 (with
    WWW-Authenticate) and a public one never does; an officer's and a supervisor's
    token are refused with 403 `role` exactly where their role is not declared; no
    answer is a 5xx."""
    admin = login(client, "admin")
    created = client.post("/api/admin/officers", headers=admin, json={
        "username": "kepala", "role": "supervisor", "password": TEST_PASSWORD, "full_name": "Kepala"})
    assert created.status_code == 201, created.text
    document = client.get("/api/openapi.json").json()
    ops = operations(document)
    assert any(roles for _m, _p, roles in ops) and any(not roles for _m, _p, roles in ops)
    assert {"officer", "supervisor", "admin"} == {role for _m, _p, roles in ops for role in roles}
    # What must never be public: the supervisor's catalog and every counter action.
    for template, methods in document["paths"].items():
        for method, operation in methods.items():
            if template.startswith("/api/admin/") or "supervisor" in operation["tags"]:
                assert operation.get("x-roles") == ["supervisor", "admin"], (method, template)
            if template.startswith("/api/counters") or template in ("/api/me", "/api/auth/logout"):
                assert operation.get("x-roles"), (method, template)

    assert not [p for _m, p, _r in ops if "{" in p], "a path parameter without a value here"
    for method, path, roles in ops:
        answer = call_checked(client, method, path)
        if roles:
            assert refused_for_token(answer), (method, path, answer.text)
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            # (a citizen's own key, X-Ticket-Key, may still be asked for: not a token)
            assert not refused_for_token(answer) and not refused_for_role(answer), (method, path)

    for role, username in (("officer", "petugas1"), ("supervisor", "kepala")):
        token = login(client, username)
        for method, path, roles in ops:
            if not roles:
                continue
            answer = call_checked(client, method, path, token)
            assert not refused_for_token(answer), (role, method, path, answer.text)
            assert refused_for_role(answer) == (role not in roles), (role, method, path, answer.text)
