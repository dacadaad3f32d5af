"""The documents service away while officers complete steps: the consumer kit's
durable queue keeps every ticket_completed, and the journeys catch up when it is back."""
import time

import requests

from tests.integration.test_documents_journey import rows
from tests.support.documents import Officer, applicant, wait_for_step


def test_the_documents_service_stopped_while_steps_complete_catches_up(runner_factory, container_factory,
                                                                        service_config, database_url, site,
                                                                        redis_client):
    """Broke: a completion while the documents service was down would be lost and the
    citizen never get their next ticket. Checks: three SKCK applications at
    registration; the documents service stops; each is called and passed (the plain
    pass goes ahead, the outcome check giving up within a few seconds); nothing moves
    meanwhile; started again, every application reaches the document check with its
    ticket, each exactly once."""
    from services.documents.service import DocumentsService
    from services.gateway.service import GatewayService
    from services.queue.service import QueueService

    runner = runner_factory(service_config, QueueService, GatewayService)
    runner.start()
    base = f"http://{service_config['WEB_SERVER_ADDRESS']}"
    documents = container_factory(DocumentsService, service_config)
    documents.start()

    codes = []
    for serial in (1, 2, 3):
        answer = requests.post(f"{base}/api/applications", json={"type": "SKCK_NEW", "applicant": applicant(serial)})
        assert answer.status_code == 201, answer.text
        codes.append(answer.json()["tracking_code"])
    documents.stop()

    officer = Officer(base, "petugas1", 1, ["SKCK"])
    for _ in codes:
        assert officer.call_next() is not None
        started = time.monotonic()
        answer = officer.complete("passed")
        assert answer.status_code == 200, answer.text
        assert time.monotonic() - started < 5
    assert officer.call_next() is None  # nobody advanced while the documents service was away
    at = rows(database_url, "SELECT DISTINCT step FROM documents.applications WHERE tracking_code = ANY(%s)", codes)
    assert at == [("registration",)]

    container_factory(DocumentsService, service_config).start()
    next_tickets = set()
    for code in codes:
        view = wait_for_step(base, code, "document_check")
        assert [h["step"] for h in view["history"]] == ["registration"]
        assert view["ticket"]["status"] == "waiting"
        next_tickets.add(view["ticket"]["id"])
    assert len(next_tickets) == 3
    tickets = rows(database_url, """SELECT count(*) FROM documents.step_tickets s
                                    JOIN documents.applications a ON a.id = s.application_id
                                    WHERE a.tracking_code = ANY(%s)""", codes)[0][0]
    assert tickets == 6
