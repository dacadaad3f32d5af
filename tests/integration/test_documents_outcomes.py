"""The documents service's outcomes and refusals on the real servers: failed tests
with retake dates, incomplete files, online check-in, bad applicants, and events
that come twice."""
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import eventlet
import pytest
import requests
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from tests.integration.test_documents_journey import rows
from tests.support.documents import Officer, applicant, get_application, nik_for, wait_for, wait_for_step


@pytest.fixture
def hall(gateway):
    return gateway


def start(base, type_code="SKCK_NEW", serial=1, **extra):
    answer = requests.post(f"{base}/api/applications", json={"type": type_code, "applicant": applicant(serial),
                                                              **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def pass_steps(base, officer, code, steps):
    """Call and pass each of ``steps`` at ``officer``'s counter, in order."""
    for step in steps:
        view = wait_for_step(base, code, step)
        called = officer.call_next()
        assert called["id"] == view["ticket"]["id"]
        assert officer.complete("passed").status_code == 200
    return code


def stored(database_url):
    return rows(database_url, """SELECT (SELECT count(*) FROM documents.applicants),
                                        (SELECT count(*) FROM documents.applications),
                                        (SELECT count(*) FROM queue.tickets)""")[0]


def test_a_failed_theory_test_records_the_reason_and_the_retake_date(hall):
    """Broke: a failed step left the citizen in limbo. Checks: SIM A new through
    registration, health check and psychology test; the theory test failed without a
    reason is refused (422 naming note, ticket still at the counter); with a reason the
    application is failed, the step's history has the reason and a retake date 14 days
    on (the site's local day), and no further ticket is issued."""
    created = start(hall, "SIM_A_NEW")
    code = created["tracking_code"]
    officer = Officer(hall, "petugas1", 1, ["SIM"])
    pass_steps(hall, officer, code, ["registration", "health_check", "psychology_test"])
    view = wait_for_step(hall, code, "theory_test")
    assert officer.call_next()["id"] == view["ticket"]["id"]
    refused = officer.complete("failed")
    assert refused.status_code == 422 and "note" in refused.json()["error"]["fields"]
    assert officer.complete("failed", note="Nilai 60, minimal 70").status_code == 200

    failed = wait_for(lambda: (v := get_application(hall, code))["status"] == "failed" and v, what="failed")
    last = failed["history"][-1]
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    assert (last["step"], last["outcome"], last["note"]) == ("theory_test", "failed", "Nilai 60, minimal 70")
    assert last["retake_after"] == (today + timedelta(days=14)).isoformat()
    assert failed["step"] == "theory_test" and failed["ticket"] is None
    assert officer.call_next() is None


def test_an_incomplete_file_lists_what_is_missing_and_closes_the_visit(hall):
    """Broke: nothing recorded what a citizen must bring back. Checks: at the SKCK
    document check, incomplete without a list or with an unknown document code is
    refused naming ``missing``; with ["kk", "photo"] the application is incomplete with
    that list, and no ticket follows."""
    code = start(hall)["tracking_code"]
    officer = Officer(hall, "petugas1", 1, ["SKCK"])
    pass_steps(hall, officer, code, ["registration"])
    view = wait_for_step(hall, code, "document_check")
    assert officer.call_next()["id"] == view["ticket"]["id"]
    for body in ({}, {"missing": ["passport"]}):
        refused = officer.complete("incomplete", **body)
        assert refused.status_code == 422 and "missing" in refused.json()["error"]["fields"], refused.text
    assert officer.complete("incomplete", missing=["kk", "photo"]).status_code == 200
    done = wait_for(lambda: (v := get_application(hall, code))["status"] == "incomplete" and v, what="incomplete")
    assert done["history"][-1]["missing"] == ["kk", "photo"] and done["ticket"] is None
    assert officer.call_next() is None


def test_an_online_registration_checks_in_at_the_kiosk(hall):
    """Broke: an online registration had no way into the hall. Checks: in_hall false
    gives a tracking code and no ticket; check-in (with the code typed in lower case
    and dashes) passes registration and gives the document check's ticket; a second
    check-in is refused with 409."""
    created = start(hall, in_hall=False)
    assert (created["status"], created["step"], created["ticket"]) == ("registered", "registration", None)
    code = created["tracking_code"]
    typed = f"{code[:4]}-{code[4:8]}-{code[8:]}".lower()
    checked = requests.post(f"{hall}/api/applications/{typed}/check-in")
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert (body["status"], body["step"]) == ("in_progress", "document_check")
    assert body["ticket"]["service"] == "SKCK" and body["history"][0]["step"] == "registration"
    again = requests.post(f"{hall}/api/applications/{code}/check-in")
    assert again.status_code == 409


@pytest.mark.parametrize("change, field", [
    ({"applicant": {"nik": "1234"}}, "applicant.nik"),
    ({"applicant": {"nik": "9974051708900001"}}, "applicant.nik"),          # no such province
    ({"applicant": {"nik": nik_for(date(1991, 8, 17))}}, "applicant.nik"),  # another birth date
    ({"type": "PASSPORT"}, "type"),
    ({"applicant": {"birth_date": (date.today() + timedelta(days=30)).isoformat()}}, "applicant.birth_date"),
    ({"applicant": {"birth_date": "1990-02-30"}}, "applicant.birth_date"),
    ({"applicant": {"email": "not-an-address"}}, "applicant.email"),
])
def test_a_bad_application_is_refused_naming_the_field_and_nothing_is_stored(hall, database_url, change, field):
    """Broke: bad applicant data could be stored or answered with a 500. Checks: a bad
    NIK (shape, province, birth date), an unknown type, a future or impossible birth
    date, a bad e-mail: 422 naming the field, and no applicant, application or ticket
    written."""
    body = {"type": "SKCK_NEW", "applicant": applicant(1)}
    body["applicant"].update(change.pop("applicant", {}))
    body.update(change)
    before = stored(database_url)
    answer = requests.post(f"{hall}/api/applications", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"], answer.json()
    assert stored(database_url) == before


def completed_payload(database_url, ticket_id):
    return rows(database_url, """SELECT payload FROM queue.outbox WHERE event_type = 'ticket_completed'
                                 AND payload->>'ticket_id' = %s""", str(ticket_id))[0][0]


def journey_state(database_url, application_id):
    return rows(database_url, """SELECT (SELECT count(*) FROM documents.step_history WHERE application_id = %s),
                                        (SELECT count(*) FROM documents.step_tickets WHERE application_id = %s),
                                        (SELECT count(*) FROM documents.outbox
                                          WHERE payload->>'application_id' = %s)""",
                application_id, application_id, application_id)[0]


def test_a_redelivered_or_doubled_ticket_completed_advances_nothing_twice(hall, database_url, service_config):
    """Broke: a ticket_completed that came again (redelivery: same event id; or a
    second completion of the same step: another event about the same ticket) could
    pass the step twice and issue two tickets. Checks: after registration passed once,
    the same event again and three copies with new ids, published at once, leave the
    history, the step tickets, the outbox and the queue's tickets as they were."""
    created = start(hall)
    code, application_id = created["tracking_code"], created["id"]
    officer = Officer(hall, "petugas1", 1, ["SKCK"])
    first_ticket = created["ticket"]["id"]
    pass_steps(hall, officer, code, ["registration"])
    view = wait_for_step(hall, code, "document_check")
    state = journey_state(database_url, application_id)
    queue_tickets = stored(database_url)[2]

    payload = completed_payload(database_url, first_ticket)
    copies = [payload] + [{**payload, "event_id": str(uuid.uuid4())} for _ in range(3)]
    dispatch = event_dispatcher(service_config)
    pool = eventlet.GreenPool()
    for copy in copies:
        pool.spawn(dispatch, "queue", "ticket_completed", copy)
    pool.waitall()
    # All four handled (three recorded as processed, one a duplicate of the first).
    wait_for(lambda: rows(database_url, "SELECT count(*) FROM documents.processed_events "
                                        "WHERE event_id::text = ANY(%s)", [c["event_id"] for c in copies])[0][0] == 4,
             what="the copies handled")
    assert journey_state(database_url, application_id) == state
    assert stored(database_url)[2] == queue_tickets
    after = get_application(hall, code)
    assert after["step"] == "document_check" and after["ticket"]["id"] == view["ticket"]["id"]
    assert [h["step"] for h in after["history"]] == ["registration"]


def test_officers_see_the_applicant_only_at_their_counter_or_by_an_audited_search(hall, database_url,
                                                                                   service_config, site):
    """Broke: an applicant's personal data had no rule for who sees it. Checks: an
    officer started the application (journaled as actor); the applicant's view by
    tracking code has no NIK, name or contact; the search needs an officer's token (401
    without), shows the applicant and is journaled with the officer; the counter view
    is refused (403) at a counter the officer did not open; the contact read for notify
    is journaled with the asking service."""
    officer = Officer(hall, "petugas2", 2, ["SKCK"])
    created = requests.post(f"{hall}/api/applications", json={"type": "SKCK_NEW", "applicant": applicant(7)},
                            headers=officer.headers)
    assert created.status_code == 201, created.text
    code, application_id = created.json()["tracking_code"], created.json()["id"]
    public = requests.get(f"{hall}/api/applications/{code}").text
    for personal in (applicant(7)["nik"], "Warga Uji 7", "warga7@example.id"):
        assert personal not in public

    assert requests.get(f"{hall}/api/officer/applications/{code}").status_code == 401
    found = requests.get(f"{hall}/api/officer/applications/{code}", headers=officer.headers)
    assert found.status_code == 200 and found.json()["applicant"]["nik"] == applicant(7)["nik"]
    assert requests.get(f"{hall}/api/officer/applications/ZZZZZZZZZZZZ", headers=officer.headers).status_code == 404

    other = requests.get(f"{hall}/api/counters/1/application", headers=officer.headers)
    assert other.status_code == 403

    with ClusterRpcProxy(service_config) as rpc:
        contact = rpc.documents.applicant_contact(site, application_id, "notify")
    documents = contact.pop("documents")
    assert contact == {"email": "warga7@example.id", "phone": None, "language": "id", "tracking_code": code,
                       "online": False}
    assert documents["ktp"] == {"name": "KTP-el (asli dan fotokopi)", "name_en": "Identity card (KTP-el), original and copy"}
    journal = rows(database_url, "SELECT actor, action, data->>'reason' FROM documents.journal "
                                 "WHERE application_id = %s ORDER BY id", application_id)
    assert journal[0][:2] == ("petugas2", "submitted")
    assert ("petugas2", "officer_view", "search") in journal
    assert ("notify", "read_contact", None) in journal


def upload_count(database_url):
    return rows(database_url, "SELECT count(*) FROM documents.uploads")[0][0]


def test_an_online_lost_item_report_with_an_upload_is_checked_and_issued(hall, database_url):
    """Broke: an online report had no documents and no review. Checks: a lost-item
    report is submitted online (no ticket); a PDF scan of the account of the loss is
    accepted by its bytes (whatever its name) and served back to the holder of the
    tracking code as a PDF; an executable renamed .pdf, an empty body, an unknown
    document code and a body over 5 MB are refused (4xx naming the field) with
    nothing stored."""
    created = start(hall, "LOST_ITEM_REPORT")
    code = created["tracking_code"]
    assert (created["status"], created["step"], created["ticket"]) == ("submitted", "review", None)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    sent = requests.post(f"{hall}/api/applications/{code}/uploads/police_report", data=pdf,
                         headers={"Content-Type": "image/png"})
    assert sent.status_code == 201, sent.text
    upload = sent.json()
    assert (upload["content_type"], upload["size"]) == ("application/pdf", len(pdf))
    served = requests.get(f"{hall}/api/applications/{code}/uploads/{upload['id']}")
    assert served.status_code == 200 and served.content == pdf
    assert served.headers["Content-Type"] == "application/pdf" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert [u["id"] for u in get_application(hall, code)["uploads"]] == [upload["id"]]

    before = upload_count(database_url)
    for document, data, status, field in (
            ("police_report", b"MZ\x90\x00\x03" + b"\x00" * 100, 422, "file"),  # a Windows executable
            ("police_report", b"", 422, "file"),
            ("passport", pdf, 422, "document"),
            ("police_report", b"%PDF-" + b"0" * (5 * 1024 * 1024), 413, "body")):
        refused = requests.post(f"{hall}/api/applications/{code}/uploads/{document}", data=data,
                                headers={"Content-Type": "application/pdf"})
        assert refused.status_code == status, (document, refused.text[:200])
        assert field in refused.json()["error"]["fields"]
    assert upload_count(database_url) == before
    assert requests.get(f"{hall}/api/applications/ABCDEFGHJKMN/uploads/{upload['id']}").status_code == 404

    officer = Officer(hall, "petugas5", 5, ["LOST_ITEM"])
    review = f"{hall}/api/officer/applications/{code}/review"
    assert requests.post(review, json={"outcome": "passed"}).status_code == 401
    issued = requests.post(review, json={"outcome": "passed"}, headers=officer.headers)
    assert issued.status_code == 200, issued.text
    assert issued.json()["status"] == "ready" and issued.json()["document_number"].startswith("SKTLK/000001/")
    assert get_application(hall, code)["step"] == "collection"
    assert requests.post(review, json={"outcome": "passed"}, headers=officer.headers).status_code == 409
