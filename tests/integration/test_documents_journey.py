"""The documents service with the queue and the gateway on the real servers: an
application's journey through the hall, step by step, over HTTP."""
from datetime import date, timedelta

import psycopg
import pytest
import requests

from tests.support.documents import Officer, applicant, wait_for_step


@pytest.fixture
def hall(gateway):
    """Queue, documents and gateway services (tests/conftest.py); the test site has
    the default application types (tests/support/sites.py)."""
    return gateway


def rows(database_url, query, *args):
    with psycopg.connect(database_url) as conn:
        return conn.execute(query, args).fetchall()


def serve(officer, expected_ticket_id, outcome="passed", **details):
    called = officer.call_next()
    assert called is not None and called["id"] == expected_ticket_id
    answer = officer.complete(outcome, **details)
    assert answer.status_code == 200, answer.text
    return called


def test_a_whole_skck_journey_across_counters_to_collection(hall, database_url):
    """Broke: nothing moved a citizen from one step's queue to the next. Checks: an
    SKCK application started in the hall gets the registration ticket; each counter's
    call-next calls the citizen's next ticket (queued at their first time, with their
    priority) after the previous step passed; the payment reference is required; the
    printing step gives the document its number and six months' validity; collection
    closes it; events and journal carry no personal data."""
    types = requests.get(f"{hall}/api/application-types").json()
    skck = next(t for t in types if t["code"] == "SKCK_NEW")
    assert skck["fee"] == 30_000 and [s["code"] for s in skck["steps"]][:2] == ["registration", "document_check"]
    assert {"code", "name", "steps", "fee", "required_documents"} <= set(skck)

    created = requests.post(f"{hall}/api/applications", json={
        "type": "SKCK_NEW", "applicant": applicant(1), "priority": "elderly"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert {"id", "tracking_code", "status", "step", "ticket"} <= set(body)
    assert body["track_url"] == f"http://ptsp.test/a/{body['tracking_code']}"
    assert (body["status"], body["step"]) == ("in_progress", "registration")
    assert body["ticket"]["service"] == "SKCK" and body["ticket"]["status"] == "waiting"
    code = body["tracking_code"]

    officers = [Officer(hall, f"petugas{n}", n, ["SKCK"]) for n in (1, 2, 3)]
    expected = ["registration", "document_check", "fingerprints", "records_check", "payment", "printing",
                "collection"]
    view = body
    for index, step in enumerate(expected):
        officer = officers[index % 3]
        assert view["step"] == step
        ticket = view["ticket"]
        assert ticket["priority"] == "elderly"
        called = officer.call_next()
        assert called["id"] == ticket["id"]
        at_counter = officer.application()
        assert at_counter.status_code == 200, at_counter.text
        assert at_counter.json()["applicant"]["name"] == "Warga Uji 1"
        assert at_counter.json()["current_step"]["code"] == step
        if step == "payment":
            refused = officer.complete("passed")
            assert refused.status_code == 422 and "payment_reference" in refused.json()["error"]["fields"]
            answer = officer.complete("passed", payment_reference="PNBP-2026-0001")
        else:
            answer = officer.complete("passed")
        assert answer.status_code == 200, answer.text
        if index + 1 < len(expected):
            view = wait_for_step(hall, code, expected[index + 1])
            assert view["ticket"]["id"] != ticket["id"]
    final = wait_for_step(hall, code, None, status="collected")
    assert final["document_number"].startswith("SKCK/000001/")
    valid_until = date.fromisoformat(final["valid_until"])
    assert timedelta(days=180) <= valid_until - date.today() <= timedelta(days=185)
    assert [h["step"] for h in final["history"]] == expected
    assert all(s["state"] == "passed" for s in final["steps"])
    assert final["ticket"] is None

    # The citizen kept their first place: every step's ticket was queued at the first issue time.
    queued = rows(database_url, """SELECT DISTINCT t.queued_at FROM queue.tickets t
                                   JOIN documents.step_tickets s ON s.ticket_id = t.id
                                   WHERE s.application_id = %s""", body["id"])
    assert len(queued) == 1
    events = rows(database_url, "SELECT event_type, payload::text FROM documents.outbox "
                                "WHERE payload->>'application_id' = %s ORDER BY id", body["id"])
    kinds = [e[0] for e in events]
    assert kinds[0] == "application_submitted" and "application_ready" in kinds and kinds[-1] == "application_collected"
    personal = ("Warga Uji", applicant(1)["nik"], "warga1@example.id")
    for _, payload in events + rows(database_url, "SELECT action, data::text FROM documents.journal "
                                                  "WHERE application_id = %s", body["id"]):
        assert not any(p in payload for p in personal)


def test_a_whole_sim_a_journey_with_a_psychology_certificate_skips_the_test(hall):
    """Broke: a SIM journey could not skip a step the applicant already has. Checks:
    SIM A new with an online psychology certificate of last month goes registration,
    health check, theory, practical, biometrics, payment, printing, collection across
    two SIM counters; the psychology step shows as skipped; the licence gets its
    number and five years' validity."""
    certificate = (date.today() - timedelta(days=30)).isoformat()
    created = requests.post(f"{hall}/api/applications", json={
        "type": "SIM_A_NEW", "applicant": applicant(2, birth=date(2000, 1, 5)),
        "facts": {"psychology_certificate": certificate}})
    assert created.status_code == 201, created.text
    code = created.json()["tracking_code"]
    officers = [Officer(hall, f"petugas{n}", n, ["SIM"]) for n in (1, 2)]
    expected = ["registration", "health_check", "theory_test", "practical_test", "biometrics", "payment",
                "printing", "collection"]
    for index, step in enumerate(expected):
        view = wait_for_step(hall, code, step)
        officer = officers[index % 2]
        assert officer.call_next()["id"] == view["ticket"]["id"]
        extra = {"payment_reference": "PNBP-SIM-1"} if step == "payment" else {}
        assert officer.complete("passed", **extra).status_code == 200
    final = wait_for_step(hall, code, None, status="collected")
    assert final["document_number"].startswith("SIM-A/000001/")
    assert date.fromisoformat(final["valid_until"]).year - date.today().year == 5
    states = {s["code"]: s["state"] for s in final["steps"]}
    assert states["psychology_test"] == "skipped" and states["theory_test"] == "passed"
