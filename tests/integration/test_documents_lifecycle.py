"""An application's life beyond the straight journey, on the real servers over HTTP:
cancel, resume, a missed call, a transferred ticket, a lapsed online registration,
the issued letter, and the limit on tracking-code lookups."""
import uuid

import eventlet
import pytest
import requests
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook
from nameko.testing.utils import get_container

from tests.integration.test_documents_journey import rows
from tests.integration.test_documents_outcomes import pass_steps, start
from tests.support.documents import Officer, applicant, get_application, wait_for, wait_for_step


@pytest.fixture
def hall_runner(runner_factory, service_config, redis_client):
    """Queue, documents and gateway; yields (base URL, the runner)."""
    from services.documents.service import DocumentsService
    from services.gateway.service import GatewayService
    from services.queue.service import QueueService

    runner = runner_factory(service_config, QueueService, DocumentsService, GatewayService)
    runner.start()
    return f"http://{service_config['WEB_SERVER_ADDRESS']}", runner


@pytest.fixture
def hall(hall_runner):
    return hall_runner[0]


def events_of(database_url, application_id, event_type):
    return rows(database_url, """SELECT payload FROM documents.outbox WHERE event_type = %s
                                 AND payload->>'application_id' = %s ORDER BY id""", event_type, application_id)


def journal_actions(database_url, application_id):
    return [r[0] for r in rows(database_url, "SELECT action FROM documents.journal WHERE application_id = %s "
                                             "ORDER BY id", application_id)]


def queue_status(database_url, ticket_id):
    return rows(database_url, "SELECT status FROM queue.tickets WHERE id = %s", ticket_id)[0][0]


# --- cancel --------------------------------------------------------------------------------------

def test_the_applicant_cancels_with_the_key_and_the_waiting_ticket_is_withdrawn(hall, database_url):
    """Broke: an application could not be cancelled, and its ticket stayed in the
    queue. Checks: the create answer carries access_key; cancel without it is 401 and
    with a wrong one 403, nothing changed; with it the application is cancelled, its
    waiting ticket cancelled in the queue, the journal has the withdrawal and the
    cancel, the outbox one application_cancelled (ids and codes only); a second
    cancel is 409; the key is not in the status view."""
    created = start(hall)
    code, application_id, ticket_id = created["tracking_code"], created["id"], created["ticket"]["id"]
    key = created["access_key"]
    assert key and len(key) == 24
    url = f"{hall}/api/applications/{code}/cancel"
    missing = requests.post(url)
    assert missing.status_code == 401 and "X-Application-Key" in missing.json()["error"]["fields"]
    wrong = requests.post(url, headers={"X-Application-Key": "x" * 24})
    assert wrong.status_code == 403 and "X-Application-Key" in wrong.json()["error"]["fields"]
    assert get_application(hall, code)["status"] == "in_progress"
    assert queue_status(database_url, ticket_id) == "waiting"

    cancelled = requests.post(url, headers={"X-Application-Key": key})
    assert cancelled.status_code == 200, cancelled.text
    view = cancelled.json()
    assert (view["status"], view["step"], view["ticket"]) == ("cancelled", None, None)
    assert "access_key" not in view and key not in requests.get(f"{hall}/api/applications/{code}").text
    assert queue_status(database_url, ticket_id) == "cancelled"
    assert journal_actions(database_url, application_id)[-2:] == ["ticket_withdrawn", "cancelled"]
    [(payload,)] = events_of(database_url, application_id, "application_cancelled")
    assert payload["reason"] == "applicant" and set(payload) >= {"application_id", "type", "site", "event_id"}
    assert applicant(1)["nik"] not in str(payload)
    assert requests.post(url, headers={"X-Application-Key": key}).status_code == 409
    # The queue's ticket_cancelled for the withdrawn ticket is handled and changes nothing.
    wait_for(lambda: rows(database_url, """SELECT count(*) FROM documents.processed_events p
                                           JOIN queue.outbox o ON o.event_id = p.event_id
                                           WHERE o.event_type = 'ticket_cancelled'
                                             AND o.payload->>'ticket_id' = %s""", ticket_id)[0][0] == 1,
             what="the withdrawn ticket's ticket_cancelled handled")
    assert get_application(hall, code)["status"] == "cancelled"


def test_an_officer_cancels_without_the_key(hall, database_url):
    """Checks: an officer's token is enough to cancel (journaled with the officer,
    reason officer); a made-up token is 401."""
    created = start(hall, in_hall=False)
    code = created["tracking_code"]
    officer = Officer(hall, "petugas1", 1, ["SKCK"])
    bad = requests.post(f"{hall}/api/applications/{code}/cancel", headers={"Authorization": "Bearer made-up"})
    assert bad.status_code == 401
    done = requests.post(f"{hall}/api/applications/{code}/cancel", headers=officer.headers)
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    [(payload,)] = events_of(database_url, created["id"], "application_cancelled")
    assert payload["reason"] == "officer"
    assert rows(database_url, "SELECT actor FROM documents.journal WHERE application_id = %s AND action = 'cancelled'",
                created["id"]) == [("petugas1",)]


# --- resume ------------------------------------------------------------------------------------

def test_after_incomplete_the_citizen_resumes_with_a_new_ticket_for_the_same_step(hall, database_url):
    """Broke: after "incomplete" nothing brought the citizen back. Checks: at the SKCK
    document check, incomplete closes the visit; resume gives a new ticket (a new id,
    the SKCK queue) for the document check, application_advanced from and to that
    step; passing it moves on to fingerprints; resume of an application in progress
    is 409."""
    created = start(hall)
    code = created["tracking_code"]
    officer = Officer(hall, "petugas1", 1, ["SKCK"])
    pass_steps(hall, officer, code, ["registration"])
    first = wait_for_step(hall, code, "document_check")["ticket"]
    assert officer.call_next()["id"] == first["id"]
    assert officer.complete("incomplete", missing=["kk"]).status_code == 200
    wait_for(lambda: get_application(hall, code)["status"] == "incomplete", what="incomplete")

    resumed = requests.post(f"{hall}/api/applications/{code}/resume")
    assert resumed.status_code == 200, resumed.text
    view = resumed.json()
    assert (view["status"], view["step"]) == ("in_progress", "document_check")
    assert view["ticket"]["id"] != first["id"] and view["ticket"]["service"] == "SKCK"
    advanced = [p for (p,) in events_of(database_url, created["id"], "application_advanced")]
    assert (advanced[-1]["from_step"], advanced[-1]["step"]) == ("document_check", "document_check")
    assert requests.post(f"{hall}/api/applications/{code}/resume").status_code == 409
    pass_steps(hall, officer, code, ["document_check"])
    wait_for_step(hall, code, "fingerprints")


def test_a_failed_test_cannot_be_resumed_before_its_retake_date(hall):
    """Checks: a failed psychology test (retake after 7 days) is refused at once with
    409 too_early naming retake_after, at the kiosk's check-in as on resume; nothing
    is issued."""
    code = start(hall, "SIM_A_NEW")["tracking_code"]
    officer = Officer(hall, "petugas1", 1, ["SIM"])
    pass_steps(hall, officer, code, ["registration", "health_check"])
    wait_for_step(hall, code, "psychology_test")
    officer.call_next()
    assert officer.complete("failed", note="belum memenuhi").status_code == 200
    failed = wait_for(lambda: (v := get_application(hall, code))["status"] == "failed" and v, what="failed")
    for path in ("resume", "check-in"):
        early = requests.post(f"{hall}/api/applications/{code}/{path}")
        assert early.status_code == 409, early.text
        assert early.json()["error"]["code"] == "too_early"
        assert early.json()["error"]["fields"]["retake_after"] == failed["history"][-1]["retake_after"]
    assert get_application(hall, code)["ticket"] is None and officer.call_next() is None


# --- the queue's no-show and transfer ---------------------------------------------------------------

def test_a_missed_call_keeps_the_application_and_check_in_gives_a_new_ticket(hall, database_url):
    """Broke: a no-show of a step's ticket left the application in progress with a
    dead ticket. Checks: after the no-show the application is "missed" at the same
    step with no ticket (journaled missed_call); check-in at the kiosk gives a new
    ticket for that step; passing it moves on; the no-show event handled again
    (redelivery) changes nothing."""
    created = start(hall)
    code = created["tracking_code"]
    officer = Officer(hall, "petugas1", 1, ["SKCK"])
    assert officer.call_next()["id"] == created["ticket"]["id"]
    assert officer.post("no-show").status_code == 200
    missed = wait_for(lambda: (v := get_application(hall, code))["status"] == "missed" and v, what="missed")
    assert (missed["step"], missed["ticket"]) == ("registration", None)
    assert "missed_call" in journal_actions(database_url, created["id"])

    back = requests.post(f"{hall}/api/applications/{code}/check-in")
    assert back.status_code == 200, back.text
    again = back.json()
    assert (again["status"], again["step"]) == ("in_progress", "registration")
    assert again["ticket"]["id"] != created["ticket"]["id"] and again["ticket"]["status"] == "waiting"
    pass_steps(hall, officer, code, ["registration"])
    wait_for_step(hall, code, "document_check")
    states = rows(database_url, "SELECT state FROM documents.step_tickets WHERE application_id = %s "
                                "ORDER BY created_at", created["id"])
    assert [s for (s,) in states] == ["no_show", "done", "open"]


def test_a_step_ticket_closed_with_the_day_leaves_the_application_waiting_for_check_in(hall, database_url):
    """Broke: a step's ticket cancelled in the queue (here: still waiting when the
    hall's day ended, closed by the queue's housekeeping) left the application in
    progress behind a dead ticket. Checks: the application becomes "missed" at the
    same step (journaled with why=ticket_cancelled, link state cancelled), and
    check-in gives a new ticket for that step."""
    created = start(hall)
    code, ticket_id = created["tracking_code"], created["ticket"]["id"]
    rows(database_url, "UPDATE queue.tickets SET local_date = local_date - 1 WHERE id = %s RETURNING id", ticket_id)
    wait_for(lambda: queue_status(database_url, ticket_id) == "cancelled", what="yesterday's ticket closed")
    missed = wait_for(lambda: (v := get_application(hall, code))["status"] == "missed" and v, what="missed")
    assert (missed["step"], missed["ticket"]) == ("registration", None)
    assert rows(database_url, "SELECT state FROM documents.step_tickets WHERE ticket_id = %s", ticket_id) == \
        [("cancelled",)]
    assert rows(database_url, "SELECT data->>'why' FROM documents.journal WHERE application_id = %s "
                              "AND action = 'missed_call'", created["id"]) == [("ticket_cancelled",)]
    [(payload,)] = events_of(database_url, created["id"], "application_missed")
    assert (payload["step"], payload["why"]) == ("registration", "ticket_cancelled")
    back = requests.post(f"{hall}/api/applications/{code}/check-in")
    assert back.status_code == 200, back.text
    assert back.json()["ticket"]["id"] != ticket_id and back.json()["step"] == "registration"


def test_a_missed_call_publishes_application_missed_once(hall, database_url, service_config):
    """Broke: the citizen whose step's ticket was called and marked no-show was told
    nothing: documents published no event when the application became missed. Checks:
    one application_missed (step, why=no_show; ids and codes only: no NIK, name or
    contact) leaves the outbox and is published; the same ticket_no_show redelivered
    (same event id) and two copies with new ids, dispatched at once, are handled and
    add no event, journal line or status change."""
    created = start(hall)
    code, application_id, ticket_id = created["tracking_code"], created["id"], created["ticket"]["id"]
    officer = Officer(hall, "petugas1", 1, ["SKCK"])
    assert officer.call_next()["id"] == ticket_id
    assert officer.post("no-show").status_code == 200
    wait_for(lambda: get_application(hall, code)["status"] == "missed", what="missed")
    [(payload,)] = events_of(database_url, application_id, "application_missed")
    assert (payload["application_id"], payload["type"], payload["step"], payload["why"]) == \
        (application_id, "SKCK_NEW", "registration", "no_show")
    assert set(payload) == {"event_id", "schema_version", "site", "occurred_at", "application_id", "type", "step",
                            "why"}
    for personal in (applicant(1)["nik"], applicant(1)["name"], applicant(1)["email"], code):
        assert personal not in str(payload)
    wait_for(lambda: rows(database_url, "SELECT published_at IS NOT NULL FROM documents.outbox WHERE event_id = %s",
                          payload["event_id"]) == [(True,)], what="application_missed published")
    journal = journal_actions(database_url, application_id)

    [(no_show,)] = rows(database_url, """SELECT payload FROM queue.outbox WHERE event_type = 'ticket_no_show'
                                         AND payload->>'ticket_id' = %s""", ticket_id)
    copies = [no_show] + [{**no_show, "event_id": str(uuid.uuid4())} for _ in range(2)]
    dispatch = event_dispatcher(service_config)
    pool = eventlet.GreenPool()
    for copy in copies:
        pool.spawn(dispatch, "queue", "ticket_no_show", copy)
    pool.waitall()
    wait_for(lambda: rows(database_url, "SELECT count(*) FROM documents.processed_events "
                                        "WHERE event_id::text = ANY(%s)", [c["event_id"] for c in copies])[0][0] == 3,
             what="the copies handled")
    assert len(events_of(database_url, application_id, "application_missed")) == 1
    assert journal_actions(database_url, application_id) == journal
    assert get_application(hall, code)["status"] == "missed"


def test_a_transferred_ticket_keeps_its_link_to_the_step(hall, database_url):
    """Broke: a step's ticket transferred to another service lost its application.
    Checks: after the transfer the application shows the new ticket (another
    service's queue) for the same step; completing it there with passed moves the
    application on to the next step, once."""
    created = start(hall)
    code = created["tracking_code"]
    skck = Officer(hall, "petugas1", 1, ["SKCK"])
    assert skck.call_next()["id"] == created["ticket"]["id"]
    moved = skck.post("transfer", {"service": "SIM"})
    assert moved.status_code == 200, moved.text
    view = wait_for(lambda: (v := get_application(hall, code))["ticket"] and v["ticket"]["id"] != created["ticket"]["id"]
                    and v, what="the transferred ticket linked")
    assert (view["step"], view["ticket"]["service"]) == ("registration", "SIM")

    sim = Officer(hall, "petugas2", 2, ["SIM"])
    assert sim.call_next()["id"] == view["ticket"]["id"]
    assert sim.complete("passed").status_code == 200
    after = wait_for_step(hall, code, "document_check")
    assert [h["step"] for h in after["history"]] == ["registration"] and after["ticket"]["service"] == "SKCK"
    assert "ticket_transferred" in journal_actions(database_url, created["id"])


# --- a lapsed online registration -----------------------------------------------------------------

def test_a_lapsed_online_registration_is_expired_by_the_sweep_once(hall_runner, database_url):
    """Broke: an online registration never checked in stayed open for ever. Checks:
    one registered four days ago is expired by the sweep (application_cancelled,
    reason registration_lapsed) and a second sweep expires nothing; a fresh one is
    left alone; check-in of the expired one is 409 registration_lapsed; one lapsed but
    not yet swept is persisted as expired by the refused check-in itself."""
    base, runner = hall_runner
    old = start(base, in_hall=False, serial=2)
    fresh = start(base, in_hall=False, serial=3)
    unswept = start(base, in_hall=False, serial=4)
    rows(database_url, "UPDATE documents.applications SET created_at = now() - interval '4 days' "
                       "WHERE id = %s RETURNING id", old["id"])
    from services.documents.service import DocumentsService

    container = get_container(runner, DocumentsService)
    with entrypoint_hook(container, "expire_lapsed_registrations") as sweep:
        assert sweep() == 1
        assert sweep() == 0
    assert get_application(base, old["tracking_code"])["status"] == "expired"
    assert get_application(base, fresh["tracking_code"])["status"] == "registered"
    [(payload,)] = events_of(database_url, old["id"], "application_cancelled")
    assert payload["reason"] == "registration_lapsed"
    refused = requests.post(f"{base}/api/applications/{old['tracking_code']}/check-in")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "registration_lapsed"

    rows(database_url, "UPDATE documents.applications SET created_at = now() - interval '3 days 1 minute' "
                       "WHERE id = %s RETURNING id", unswept["id"])
    late = requests.post(f"{base}/api/applications/{unswept['tracking_code']}/check-in")
    assert late.status_code == 409 and late.json()["error"]["code"] == "registration_lapsed"
    assert get_application(base, unswept["tracking_code"])["status"] == "expired"
    assert len(events_of(database_url, unswept["id"], "application_cancelled")) == 1


# --- the issued letter --------------------------------------------------------------------------

def test_the_issued_letter_is_a_pdf_for_the_applicant_and_officers(hall, database_url):
    """Broke: an online lost-item report could not be downloaded. Checks: before the
    review the letter is 409; a hall type has none (404); after it is issued the
    applicant downloads a PDF (by its bytes, attachment, no-store) and the application
    is collected (application_collected); downloading again still works and collects
    nothing more; an officer's copy needs a token and is journaled."""
    created = start(hall, "LOST_ITEM_REPORT")
    code = created["tracking_code"]
    letter = f"{hall}/api/applications/{code}/letter"
    assert requests.get(letter).status_code == 409
    hall_type = start(hall, serial=5)["tracking_code"]
    assert requests.get(f"{hall}/api/applications/{hall_type}/letter").status_code == 404

    officer = Officer(hall, "petugas5", 5, ["LOST_ITEM"])
    issued = requests.post(f"{hall}/api/officer/applications/{code}/review",
                           json={"outcome": "passed", "note": "Dompet hilang"}, headers=officer.headers)
    assert issued.status_code == 200, issued.text
    downloaded = requests.get(letter)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content.startswith(b"%PDF-") and downloaded.headers["Content-Type"] == "application/pdf"
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    assert downloaded.headers["Cache-Control"] == "private, no-store"
    assert get_application(hall, code)["status"] == "collected"
    assert requests.get(letter).status_code == 200
    assert len(events_of(database_url, created["id"], "application_collected")) == 1

    officer_url = f"{hall}/api/officer/applications/{code}/letter"
    assert requests.get(officer_url).status_code == 401
    copy = requests.get(officer_url, headers=officer.headers)
    assert copy.status_code == 200 and copy.content.startswith(b"%PDF-")
    assert "letter_read" in journal_actions(database_url, created["id"])


# --- the lookup limit -----------------------------------------------------------------------------

def test_unknown_tracking_codes_are_limited_per_address(runner_factory, service_config, redis_client):
    """Broke: anyone could try tracking codes without limit; then every lookup counted,
    so the status pages of a dozen phones behind the hall's Wi-Fi (one address, a poll
    every 5 s) hit the limit. Checks: lookups of a real code never count (status,
    check-in, a letter not issued yet); past TRACKING_LOOKUP_LIMIT codes naming no
    application (unknown or malformed) in the window the address gets 429
    lookup_rate_limited with Retry-After for every lookup, a real code's too; an
    officer's search is not limited."""
    from services.documents.service import DocumentsService
    from services.gateway.service import GatewayService
    from services.queue.service import QueueService

    config = dict(service_config, TRACKING_LOOKUP_LIMIT=2, TRACKING_LOOKUP_WINDOW_S=600)
    runner_factory(config, QueueService, DocumentsService, GatewayService).start()
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    code = start(base)["tracking_code"]
    with requests.Session() as phone:
        polls = [phone.get(f"{base}/api/applications/{code}").status_code for _ in range(12)]
    assert polls == [200] * 12
    assert requests.get(f"{base}/api/applications/{code}/letter").status_code == 404  # a real code, no letter
    assert requests.post(f"{base}/api/applications/{code}/check-in").status_code == 409
    guesses = [requests.get(f"{base}/api/applications/ZZZZZZZZZZZZ").status_code,
               requests.get(f"{base}/api/applications/not-a-code!").status_code]
    assert guesses == [404, 404]
    limited = requests.get(f"{base}/api/applications/{code}")
    assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 600
    assert limited.json()["error"]["code"] == "lookup_rate_limited"
    assert requests.post(f"{base}/api/applications/{code}/resume").status_code == 429
    assert requests.get(f"{base}/api/applications/ZZZZZZZZZZZY").status_code == 429
    officer = Officer(base, "petugas1", 1, ["SKCK"])
    assert requests.get(f"{base}/api/officer/applications/{code}", headers=officer.headers).status_code == 200
