"""The supervisor's catalog API: services, counters, officers, running text."""
import requests

from tests.integration.test_gateway_http import login, post


def put(base, path, body, headers):
    return requests.put(f"{base}{path}", json=body, headers=headers)


def test_only_supervisors_and_admins_manage_the_catalog(gateway):
    officer = login(gateway, "petugas1")
    assert requests.get(f"{gateway}/api/admin/services", headers=officer).status_code == 403
    assert requests.get(f"{gateway}/api/admin/services").status_code == 401
    assert put(gateway, "/api/admin/running-text", {"text": "x"}, officer).status_code == 403


def test_services_quota_and_opening_hours(gateway):
    admin = login(gateway, "admin")
    services = requests.get(f"{gateway}/api/admin/services", headers=admin).json()
    assert [s["code"] for s in services] == ["SIM", "SKCK", "LOST_ITEM"]

    changed = put(gateway, "/api/admin/services/SKCK", {"daily_quota": 1, "opens_at": "00:00", "closes_at": "23:59"},
                  admin)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["daily_quota"], changed.json()["opens_at"]) == (1, "00:00")
    assert post(gateway, "/api/tickets", {"service": "SKCK"}).status_code == 201
    assert post(gateway, "/api/tickets", {"service": "SKCK"}).json()["error"]["code"] == "quota_reached"
    assert put(gateway, "/api/admin/services/SKCK", {"daily_quota": None}, admin).json()["daily_quota"] is None
    assert post(gateway, "/api/tickets", {"service": "SKCK"}).status_code == 201

    bad_hours = put(gateway, "/api/admin/services/SIM", {"opens_at": "14:00", "closes_at": "08:00"}, admin)
    assert bad_hours.status_code == 422 and bad_hours.json()["error"]["fields"] == {"closes_at": "must be after opens_at"}
    half = put(gateway, "/api/admin/services/SIM", {"opens_at": "08:00"}, admin)
    assert half.status_code == 422 and "closes_at" in half.json()["error"]["fields"]
    assert "opens_at" in put(gateway, "/api/admin/services/SIM", {"opens_at": "25:00", "closes_at": "26:00"},
                             admin).json()["error"]["fields"]
    assert put(gateway, "/api/admin/services/NOPE", {"active": False}, admin).status_code == 404

    created = post(gateway, "/api/admin/services", {"code": "crowd_permit", "prefix": "d", "name": "Izin Keramaian",
                                                     "name_en": "Crowd permit", "open_days": [1, 2, 3, 4, 5]}, admin)
    assert created.status_code == 201 and (created.json()["code"], created.json()["prefix"]) == ("CROWD_PERMIT", "D")
    clash = post(gateway, "/api/admin/services", {"code": "COMPLAINT", "prefix": "D", "name": "Pengaduan",
                                                   "name_en": "Complaint"}, admin)
    assert clash.status_code == 409 and clash.json()["error"]["fields"] == {"prefix": "already used"}
    assert "CROWD_PERMIT" in [s["code"] for s in requests.get(f"{gateway}/api/services").json()]


def test_counters_and_officers(gateway):
    admin = login(gateway, "admin")
    created = post(gateway, "/api/admin/counters", {"number": 7, "name": "Loket 7", "services": ["SIM"]}, admin)
    assert created.status_code == 201 and created.json()["services"] == ["SIM"]
    assert post(gateway, "/api/admin/counters", {"number": 7, "name": "x", "services": ["SIM"]}, admin).status_code \
        == 409
    assert "services" in post(gateway, "/api/admin/counters", {"number": 8, "name": "x", "services": ["NOPE"]},
                              admin).json()["error"]["fields"]
    assert put(gateway, "/api/admin/counters/7", {"services": ["SIM", "SKCK"]}, admin).json()["services"] == [
        "SIM", "SKCK"]

    new = post(gateway, "/api/admin/officers", {"username": "Petugas9", "full_name": "Budi", "password": "rahasia-123"},
               admin)
    assert new.status_code == 201 and new.json() == {"username": "petugas9", "full_name": "Budi", "role": "officer",
                                                      "active": True}
    short = post(gateway, "/api/admin/officers", {"username": "petugas10", "password": "short"}, admin)
    assert short.status_code == 422 and "password" in short.json()["error"]["fields"]
    assert requests.post(f"{gateway}/api/auth/login",
                         json={"username": "petugas9", "password": "rahasia-123"}).status_code == 200
    put(gateway, "/api/admin/officers/petugas9", {"active": False}, admin)
    assert requests.post(f"{gateway}/api/auth/login",
                         json={"username": "petugas9", "password": "rahasia-123"}).status_code == 401
    assert put(gateway, "/api/admin/officers/admin", {"active": False}, admin).status_code == 409

    put(gateway, "/api/admin/officers/petugas2", {"role": "supervisor"}, admin)
    supervisor = login(gateway, "petugas2")
    assert post(gateway, "/api/admin/officers", {"username": "boss", "role": "admin", "password": "rahasia-123"},
                supervisor).status_code == 403
    assert put(gateway, "/api/admin/officers/petugas3", {"full_name": "Sari"}, supervisor).json()["full_name"] == "Sari"
    names = [o["username"] for o in requests.get(f"{gateway}/api/admin/officers", headers=supervisor).json()]
    assert "petugas9" in names and all("password" not in o for o in
                                       requests.get(f"{gateway}/api/admin/officers", headers=supervisor).json())


def test_running_text_reaches_the_display(gateway):
    admin = login(gateway, "admin")
    before = requests.get(f"{gateway}/api/display").json()
    assert put(gateway, "/api/admin/running-text", {"text": "Istirahat pukul 12.00–13.00"}, admin).status_code == 200
    after = requests.get(f"{gateway}/api/display").json()
    assert after["running_text"] == "Istirahat pukul 12.00–13.00" and after["version"] > before["version"]


def test_validation_messages_come_in_the_chosen_language(gateway):
    """Issue 11: an Indonesian page showed pydantic's "Input should be greater than or
    equal to 1". Checks: the refusal names the field, its message is Indonesian by
    default and English on request, and details give both for every field."""
    admin = login(gateway, "admin")
    zero = put(gateway, "/api/admin/services/SIM", {"daily_quota": 0}, admin)
    assert zero.status_code == 422
    error = zero.json()["error"]
    assert error["message"] == "Data tidak valid: daily_quota harus 1 atau lebih."
    assert error["details"] == [{"field": "daily_quota", "id": "harus 1 atau lebih", "en": "must be 1 or more"}]
    assert "Input should" not in error["message"]
    english = requests.put(f"{gateway}/api/admin/services/SIM", json={"daily_quota": 0},
                           headers={**admin, "Accept-Language": "en"}).json()["error"]
    assert english["message"] == "Invalid input: daily_quota must be 1 or more."
    # a refusal written by hand: its Indonesian message stands in for the English note
    hours = put(gateway, "/api/admin/services/SIM", {"opens_at": "14:00", "closes_at": "08:00"}, admin).json()["error"]
    assert hours["details"] == [{"field": "closes_at", "id": "harus setelah jam buka", "en": "must be after opens_at"}]
