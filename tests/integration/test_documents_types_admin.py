"""A supervisor's editing of the site's application types over HTTP, with the queue,
documents and gateway services on the real servers: steps (order, queue service,
retake days), fees and required documents; applications started afterwards follow
the change, one in progress keeps the steps it started with."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests

from tests.support.documents import Officer, applicant, get_application, wait_for, wait_for_step
from tests.support.sites import TEST_PASSWORD


@pytest.fixture
def hall(gateway):
    return gateway


def token(base, username):
    answer = requests.post(f"{base}/api/auth/login", json={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def settings(base, headers, code):
    answer = requests.get(f"{base}/api/admin/application-types", headers=headers)
    assert answer.status_code == 200, answer.text
    return next(t for t in answer.json() if t["code"] == code)


def editable(kind):
    """The PUT body of a type's current settings."""
    return {"fee": kind["fee"], "steps": [dict(s) for s in kind["steps"]],
            "required_documents": [dict(d) for d in kind["required_documents"]]}


def type_row(database_url, site, code):
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT fee, steps, required_documents FROM documents.application_types "
                            "WHERE site_code = %s AND code = %s", (site, code)).fetchone()


def journal(database_url, site):
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT actor, action, data FROM documents.journal WHERE site_code = %s "
                            "AND action = 'type_updated' ORDER BY id", (site,)).fetchall()


def test_a_supervisor_changes_steps_fee_and_documents_for_applications_started_afterwards(
        hall, database_url, service_config):
    """Broke: steps, fees and required documents were fixed by the seed. Checks: the
    admin reads SIM A new with every step's queue service and retake days; moves the
    psychology test after the theory test, sets the theory test's retake to 21 days,
    the fee to Rp125.000 and adds a required document; the public types show it, the
    change is journaled with the supervisor; an application started before keeps its
    order and fee (its psychology test still comes first), one started after walks
    the new order, and a failed theory test gets the 21 days."""
    site = service_config["PTSP_SITE"]
    admin = token(hall, "admin")
    # Registered online before the change: checked in after it, it keeps its steps.
    before = requests.post(f"{hall}/api/applications", json={"type": "SIM_A_NEW", "applicant": applicant(41),
                                                              "in_hall": False})
    assert before.status_code == 201, before.text

    kind = settings(hall, admin, "SIM_A_NEW")
    theory = next(s for s in kind["steps"] if s["code"] == "theory_test")
    assert (theory["service"], theory["retake_days"]) == ("SIM", 14) and kind["fee"] == 120_000
    body = editable(kind)
    codes = [s["code"] for s in body["steps"]]
    psych = body["steps"].pop(codes.index("psychology_test"))
    body["steps"].insert(codes.index("theory_test"), psych)   # after the theory test now
    next(s for s in body["steps"] if s["code"] == "theory_test")["retake_days"] = 21
    body["fee"] = 125_000
    body["required_documents"].append({"code": "photo", "name": "Pas foto 4x6", "name_en": "4x6 photo",
                                       "required": True})
    changed = requests.put(f"{hall}/api/admin/application-types/sim_a_new", json=body, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["updated_by"] == "admin" and changed.json()["fee"] == 125_000
    new_order = [s["code"] for s in changed.json()["steps"]]
    assert new_order.index("theory_test") < new_order.index("psychology_test")

    public = next(t for t in requests.get(f"{hall}/api/application-types").json() if t["code"] == "SIM_A_NEW")
    assert public["fee"] == 125_000 and [s["code"] for s in public["steps"]] == new_order
    assert "photo" in [d["code"] for d in public["required_documents"]]
    fee, steps, documents = type_row(database_url, site, "SIM_A_NEW")
    assert fee == 125_000 and [s["code"] for s in steps] == new_order and documents[-1]["code"] == "photo"
    (line,) = journal(database_url, site)
    assert line[0] == "admin" and line[2]["fee"] == {"from": 120_000, "to": 125_000}
    assert "theory_test@SIM+21d" in line[2]["steps"]

    # The application in progress keeps the type it started with.
    old = get_application(hall, before.json()["tracking_code"])
    assert old["fee"] == 120_000
    old_codes = [s["code"] for s in old["steps"]]
    assert old_codes.index("psychology_test") < old_codes.index("theory_test")

    after = requests.post(f"{hall}/api/applications", json={"type": "SIM_A_NEW", "applicant": applicant(42)})
    assert after.status_code == 201, after.text
    assert after.json()["fee"] == 125_000 and [s["code"] for s in after.json()["steps"]] == new_order

    # Walk the new application to its theory test and fail it: 21 days now.
    officer = Officer(hall, "petugas1", 1, ["SIM"])
    code = after.json()["tracking_code"]
    for step in ["registration", "health_check"]:
        view = wait_for_step(hall, code, step)
        assert officer.call_next()["id"] == view["ticket"]["id"]
        assert officer.complete("passed").status_code == 200
    view = wait_for_step(hall, code, "theory_test")
    assert officer.call_next()["id"] == view["ticket"]["id"]
    assert officer.complete("failed", note="Nilai 60 dari 100").status_code == 200
    failed = wait_for(lambda: (v := get_application(hall, code))["status"] == "failed" and v, what="failed")
    last = failed["history"][-1]
    assert last["step"] == "theory_test" and last["note"] == "Nilai 60 dari 100"
    local_day = datetime.fromisoformat(last["at"]).astimezone(ZoneInfo("Asia/Jakarta")).date()
    assert date.fromisoformat(last["retake_after"]) == local_day + timedelta(days=21)

    # The older registration checks in after the change and walks its own steps.
    checked = requests.post(f"{hall}/api/applications/{before.json()['tracking_code']}/check-in")
    assert checked.status_code == 200, checked.text
    assert checked.json()["step"] == "health_check" and checked.json()["fee"] == 120_000
    assert [s["code"] for s in checked.json()["steps"]] == old_codes


@pytest.mark.parametrize("change, field", [
    (lambda b: b["steps"][1].update(service="NOPE"), "steps.1.service"),
    (lambda b: b["steps"][2].update(code=b["steps"][1]["code"]), "steps.2.code"),
    (lambda b: b.update(fee=-5), "fee"),
    (lambda b: b["steps"][0].update(retake_days=1000), "steps.0.retake_days"),
    (lambda b: b["steps"].append(b["steps"].pop(-1)) or b["steps"].insert(0, b["steps"].pop(-1)),
     "steps.0.collection"),
    (lambda b: [s.update(issues_document=False) for s in b["steps"]], "steps"),
    (lambda b: b.update(steps=[]), "steps"),
    (lambda b: b["required_documents"].append(dict(b["required_documents"][0])), "required_documents.5.code"),
    (lambda b: b["steps"][0].update(name=""), "steps.0.name"),
    (lambda b: b["steps"][0].update(color="red"), "steps.0.color"),
])
def test_a_bad_type_change_is_refused_naming_the_field_and_nothing_changes(hall, database_url, service_config,
                                                                        change, field):
    """Broke: nothing checked a type's settings. Checks: an unknown queue service, a
    duplicate step or document code, a negative fee, a retake over a year, collection
    before the end, no step that issues the document, no steps, an empty name, an
    unknown key: 422 naming the field, and the stored type and journal unchanged."""
    site = service_config["PTSP_SITE"]
    admin = token(hall, "admin")
    body = editable(settings(hall, admin, "SKCK_NEW"))
    stored = type_row(database_url, site, "SKCK_NEW")
    change(body)
    answer = requests.put(f"{hall}/api/admin/application-types/SKCK_NEW", json=body, headers=admin)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert field in error["fields"], error
    english = requests.put(f"{hall}/api/admin/application-types/SKCK_NEW", json=body,
                           headers={**admin, "Accept-Language": "en"}).json()["error"]["message"]
    assert english != error["message"]
    assert type_row(database_url, site, "SKCK_NEW") == stored
    assert journal(database_url, site) == []


def test_only_supervisors_edit_types_and_an_unknown_type_is_404(hall):
    """Checks: no token 401, an officer 403, an unknown type 404 naming the code."""
    admin = token(hall, "admin")
    body = editable(settings(hall, admin, "SKCK_NEW"))
    assert requests.get(f"{hall}/api/admin/application-types").status_code == 401
    officer = token(hall, "petugas1")
    assert requests.put(f"{hall}/api/admin/application-types/SKCK_NEW", json=body,
                        headers=officer).status_code == 403
    missing = requests.put(f"{hall}/api/admin/application-types/PASSPORT", json=body, headers=admin)
    assert missing.status_code == 404 and "code" in missing.json()["error"]["fields"]
