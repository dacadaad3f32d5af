"""The notify nameko service with the queue and the gateway, on the real servers: the
queue's events reach it through the consumer kit, the contact is asked of the queue
over RPC, and a supervisor sees and re-sends what could not be delivered through the
gateway. The mail server is the development SMTP sink in a process of its own,
started (late) by the test."""
import uuid

import httpx
import pytest

from tests.integration.test_notify_delivery import Sink, free_port, wait_until
from tests.support.sites import TEST_PASSWORD


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def system(runner_factory, service_config, smtp_port, redis_client):
    """queue, gateway and notify; notify's mail server is not there yet, and a
    delivery is given up on after its first try."""
    from services.gateway.service import GatewayService
    from services.notify.service import NotifyService
    from services.queue.service import QueueService

    config = dict(service_config, NOTIFY_CHANNELS="email", NOTIFY_SMTP_HOST="127.0.0.1",
                  NOTIFY_SMTP_PORT=smtp_port, NOTIFY_MAX_ATTEMPTS=1, NOTIFY_SMTP_TIMEOUT_S=2,
                  EVENT_RETRY_DELAY_S=0.2)
    runner = runner_factory(config, QueueService, GatewayService, NotifyService)
    runner.start()
    with httpx.Client(base_url=f"http://{config['WEB_SERVER_ADDRESS']}", timeout=20) as client:
        yield client


def login(client, username):
    answer = client.post("/api/auth/login", json={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_a_dead_letter_is_listed_masked_and_resent_by_a_supervisor(system, tmp_path, smtp_port):
    """Broke: a delivery given up on lost from sight, its address shown to the
    supervisor, or a resend that does nothing (or twice). Checks: a ticket's issued
    mail, with the mail server down and one try allowed, is listed by
    GET /api/admin/notifications/dead with the masked address and the reason; after the
    server is up, POST .../resend (supervisor only) makes it arrive once, leaves the
    list empty, and a second resend of it, or of an id that is no dead letter, is 404."""
    citizen = f"ani-{uuid.uuid4().hex[:8]}@example.id"
    issued = system.post("/api/tickets", json={"service": "SKCK", "contact": {"email": citizen}})
    assert issued.status_code == 201, issued.text
    admin = login(system, "admin")

    def dead():
        answer = system.get("/api/admin/notifications/dead", headers=admin)
        assert answer.status_code == 200, answer.text
        return answer.json()

    letters = wait_until(lambda: dead(), timeout=20, what="the dead letter") or dead()
    assert len(letters) == 1
    letter = letters[0]
    assert (letter["what"], letter["channel"], letter["kind"], letter["attempts"]) == \
        ("delivery", "email", "ticket_issued", 1)
    assert letter["recipient"].endswith("@example.id") and "*" in letter["recipient"]
    assert citizen not in str(letters) and letter["reason"]

    officer = login(system, "petugas1")
    assert system.post(f"/api/admin/notifications/{letter['id']}/resend", headers=officer).status_code == 403

    sink = Sink(tmp_path / "mail", smtp_port)
    sink.start()
    try:
        answer = system.post(f"/api/admin/notifications/{letter['id']}/resend", headers=admin)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"id": letter["id"], "status": "pending"}
        wait_until(lambda: sink.mails(), timeout=20, what="the re-sent mail")
        assert [m["To"] for m in sink.mails()] == [citizen]
        assert sink.mails()[0]["Subject"] == f"Nomor antrean {issued.json()['number']} — PTSP"
        assert dead() == []
        again = system.post(f"/api/admin/notifications/{letter['id']}/resend", headers=admin)
        assert again.status_code == 404 and again.json()["error"]["fields"] == {"id": "not a dead letter of this site"}
        bad = system.post("/api/admin/notifications/nonsense/resend", headers=admin)
        assert bad.status_code == 404 and bad.json()["error"]["fields"] == {"id": "not a message id"}
        assert len(sink.mails()) == 1
    finally:
        sink.stop()
