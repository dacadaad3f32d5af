"""The notify nameko service with the queue and the gateway, on the real servers: the
queue's events reach it through the consumer kit, the contact is asked of the queue
over RPC, and a supervisor sees and re-sends what could not be delivered through the
gateway. The mail server is the development SMTP sink in a process of its own,
started (late) by the test."""
import json
import uuid

import httpx
import pika
import psycopg
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


@pytest.fixture
def mail_system(runner_factory, service_config, tmp_path, redis_client):
    """queue, gateway and notify with the mail server up from the start."""
    from services.gateway.service import GatewayService
    from services.notify.service import NotifyService
    from services.queue.service import QueueService

    sink = Sink(tmp_path / "mail", free_port())
    sink.start()
    config = dict(service_config, NOTIFY_CHANNELS="email", NOTIFY_SMTP_HOST="127.0.0.1", NOTIFY_SMTP_PORT=sink.port,
                  EVENT_RETRY_DELAY_S=0.2)
    runner = runner_factory(config, QueueService, GatewayService, NotifyService)
    runner.start()
    try:
        with httpx.Client(base_url=f"http://{config['WEB_SERVER_ADDRESS']}", timeout=20) as client:
            yield client, sink, config
    finally:
        sink.stop()


def drained(config, queue):
    """The work queue has nothing ready and nothing in a worker's hands."""
    from urllib.parse import quote, urlparse

    from tests.support.system import RABBIT_API, RABBIT_AUTH

    vhost = quote(urlparse(config["AMQP_URI"]).path[1:] or "/", safe="")
    info = httpx.get(f"{RABBIT_API}/queues/{vhost}/{queue}", auth=RABBIT_AUTH, timeout=10).json()
    return info.get("messages", 1) == 0 and info.get("messages_unacknowledged", 1) == 0


def test_an_event_delivered_again_by_the_broker_sends_one_message(mail_system):
    """Broke: the broker's redelivery of an event (a consumer that died before its
    ack, a replay) sending the citizen the same message again. Checks: the queue's
    real ticket_issued, captured on the exchange, published twice more with its id
    to queue.events: notify's work queue drains, and the citizen has exactly one
    issued mail and notify one message row for it."""
    from tests.support.events import EventListener

    client, sink, config = mail_system
    listener = EventListener(config["AMQP_URI"], routing_key="ticket_issued")
    try:
        citizen = f"budi-{uuid.uuid4().hex[:8]}@example.id"
        issued = client.post("/api/tickets", json={"service": "SKCK", "contact": {"email": citizen}})
        assert issued.status_code == 201, issued.text
        [(routing_key, body)] = listener.collect(1)
        assert body["ticket_id"] == issued.json()["id"]
        wait_until(lambda: sink.mails(), timeout=20, what="the issued mail")
        listener.channel.confirm_delivery()     # each copy is in notify's queue when publish returns
        for _ in range(2):
            listener.channel.basic_publish(
                "queue.events", routing_key, json.dumps(body).encode(),
                properties=pika.BasicProperties(content_type="application/json", delivery_mode=2))
        wait_until(lambda: drained(config, "notify.queue.ticket_issued"), timeout=20, what="the copies consumed")
    finally:
        listener.close()
    assert [m["To"] for m in sink.mails()] == [citizen]
    with psycopg.connect(config["DATABASE_URL"]) as conn:
        # What a copy handled again would have made is committed before its ack.
        assert conn.execute("SELECT count(*) FROM notify.messages WHERE subject_id = %s",
                            (uuid.UUID(body["ticket_id"]),)).fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM notify.deliveries d JOIN notify.messages m ON m.id = d.message_id "
                            "WHERE m.subject_id = %s", (uuid.UUID(body["ticket_id"]),)).fetchone()[0] == 1
