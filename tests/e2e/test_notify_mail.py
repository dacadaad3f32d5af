"""Notify on the system as `make up` starts it: the queue's events reach the notify
process over RabbitMQ, it asks the queue for the contact, and the mail arrives at the
development SMTP sink ([program:smtp-sink]) as a file in this run's own directory.

A system of this module's own (not the shared e2e one): turn-near counts the people
ahead in a line, so no other test's tickets may stand in it."""
import uuid

import psycopg
import pytest
import requests

from tests.support.system import DEMO_PASSWORD, running_system

TIMEOUT_S = 30


@pytest.fixture(scope="module")
def system():
    with running_system(name="notify") as running:
        yield running


def wait_until(condition, what, timeout=TIMEOUT_S):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def address():
    return f"warga-{uuid.uuid4().hex[:10]}@example.id"


def take(system, service, email=None, language="id"):
    body = {"service": service, "language": language}
    if email:
        body["contact"] = {"email": email}
    answer = requests.post(f"{system.base_url}/api/tickets", json=body,
                           headers={"X-Kiosk-Key": system.kiosk_key}, timeout=15)
    assert answer.status_code == 201, answer.text
    return answer.json()


def mail_to(system, recipient):
    return [message for message in system.mail() if message["To"] == recipient]


def text_of(message):
    return message.get_body(("plain",)).get_content()


def officer(system, username):
    login = requests.post(f"{system.base_url}/api/auth/login",
                          json={"username": username, "password": DEMO_PASSWORD}, timeout=15)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def counter_action(system, headers, counter, action, **body):
    answer = requests.post(f"{system.base_url}/api/counters/{counter}/{action}", headers=headers,
                           json=body, timeout=15)
    assert answer.status_code == 200, answer.text
    return answer.json()


def notify_rows(system, sql, *args):
    with psycopg.connect(system.database_url) as conn:
        return conn.execute(sql, args).fetchall()


def test_issued_turn_near_and_called_mail_in_indonesian_none_without_contact(system):
    """Broke: the notify process not wired to the queue's events, the contact not
    asked of the queue, a message in the wrong language, a mailed link that cannot
    cancel, the holder's key kept or logged, no thanks after the service, or mail for
    a ticket without contact. Checks: a citizen with an e-mail four behind gets the
    issued mail (four ahead, the status link with the holder's key as the kiosk gave
    it), the turn-near mail once three are ahead, the called mail naming the counter,
    and after the service the thanks pointing to the survey on the same link, each
    once, in Indonesian; the key is in no notify table and no log line; the four
    tickets without contact get nothing (their called messages are recorded as
    no_contact, no delivery made, no thanks)."""
    silent = [take(system, "CROWD_PERMIT") for _ in range(4)]
    citizen = address()
    ticket = take(system, "CROWD_PERMIT", citizen)

    issued = wait_until(lambda: mail_to(system, citizen), "the issued mail")
    assert len(issued) == 1
    assert issued[0]["Subject"] == f"Nomor antrean {ticket['number']} — PTSP"
    body = text_of(issued[0])
    assert "Ada 4 orang di depan Anda." in body
    # The holder's link, as the kiosk's answer gives it: the citizen can cancel from the mail.
    assert f"{system.base_url}/t/{ticket['id']}#k={ticket['access_key']}" in body
    assert ticket["track_url"] in body

    petugas = officer(system, "petugas5")
    counter_action(system, petugas, 5, "open", services=["CROWD_PERMIT"])
    assert counter_action(system, petugas, 5, "call-next")["id"] == silent[0]["id"]
    near = wait_until(lambda: [m for m in mail_to(system, citizen) if "sudah dekat" in m["Subject"]],
                      "the turn-near mail")
    assert near[0]["Subject"] == f"Giliran {ticket['number']} sudah dekat"
    assert "tinggal 3 orang di depan Anda" in text_of(near[0])

    for ahead in silent[1:]:
        counter_action(system, petugas, 5, "complete")
        assert counter_action(system, petugas, 5, "call-next")["id"] == ahead["id"]
    counter_action(system, petugas, 5, "complete")
    assert counter_action(system, petugas, 5, "call-next")["id"] == ticket["id"]
    called = wait_until(lambda: [m for m in mail_to(system, citizen) if "dipanggil" in m["Subject"]],
                        "the called mail")
    assert called[0]["Subject"] == f"Nomor {ticket['number']} dipanggil ke loket 5"
    assert "Silakan menuju loket 5." in text_of(called[0])
    counter_action(system, petugas, 5, "complete")
    thanks = wait_until(lambda: [m for m in mail_to(system, citizen) if "Terima kasih" in m["Subject"]],
                        "the thanks after the service")
    assert thanks[0]["Subject"] == f"Terima kasih — nomor {ticket['number']} selesai dilayani"
    assert "survei kepuasan" in text_of(thanks[0]) and ticket["track_url"] in text_of(thanks[0])
    counter_action(system, petugas, 5, "close")

    # The silent tickets' called messages were planned and found no contact.
    silent_ids = [uuid.UUID(t["id"]) for t in silent]
    wait_until(lambda: notify_rows(
        system, "SELECT count(*) FROM notify.messages WHERE subject_id = ANY(%s) AND status = 'no_contact'",
        silent_ids)[0][0] == 4, "the silent tickets' called messages recorded as no_contact")
    assert notify_rows(system, "SELECT count(*) FROM notify.deliveries d JOIN notify.messages m "
                               "ON m.id = d.message_id WHERE m.subject_id = ANY(%s)", silent_ids)[0][0] == 0
    assert sorted(m["X-PTSP-Kind"] for m in mail_to(system, citizen)) == sorted(
        ["ticket_issued", "turn_near", "ticket_called", "ticket_completed"])
    # The key is in the citizen's mail only: not in notify's tables nor in any process's log.
    dump = notify_rows(system, "SELECT m::text FROM notify.messages m WHERE subject_id = %s "
                               "UNION ALL SELECT d::text FROM notify.deliveries d JOIN notify.messages m "
                               "ON m.id = d.message_id WHERE m.subject_id = %s", uuid.UUID(ticket["id"]),
                       uuid.UUID(ticket["id"]))
    assert len(dump) == 8 and not any(ticket["access_key"] in row[0] for row in dump)
    assert ticket["access_key"] not in (system.logs / "system.log").read_text()
    assert {m["To"] for m in system.mail()} >= {citizen}
    assert all(m["To"].startswith("warga-") for m in system.mail())


def test_an_english_ticket_gets_english_mail(system):
    """Broke: the language the citizen chose at the kiosk ignored (Indonesian mail for
    an English ticket), or an address in notify's metrics. Checks: the issued mail of a
    ticket taken in English is in English, with the status link; notify's /metrics
    counts it sent, by channel and kind only."""
    citizen = address()
    ticket = take(system, "LOST_ITEM", citizen, language="en")
    issued = wait_until(lambda: mail_to(system, citizen), "the English issued mail")
    assert issued[0]["Subject"] == f"Queue number {ticket['number']} — PTSP"
    body = text_of(issued[0])
    assert f"Your queue number is {ticket['number']}" in body
    assert f"{system.base_url}/t/{ticket['id']}" in body

    metrics = requests.get(system.metrics_urls["notify"], timeout=10).text
    assert 'ptsp_notify_sent_total{channel="email",kind="ticket_issued",site="polres-demo"}' in metrics
    assert 'ptsp_notifications_total{channel="email",outcome="sent"}' in metrics
    assert "example.id" not in metrics and citizen.split("@")[0] not in metrics


def test_every_message_arrives_once_when_notify_is_stopped_during_a_burst(system):
    """Broke: events published while the notify process is down lost (a queue that
    does not outlive its consumer), or sent twice after the restart (a redelivered
    event handled again). Checks: of a burst of tickets with contacts, half taken
    before notify is stopped, half while it is stopped, every citizen gets exactly one
    issued mail once it is started again, with notify's work queue drained and every
    delivery recorded as sent."""
    citizens = [address() for _ in range(10)]
    tickets = [take(system, "COMPLAINT", email) for email in citizens[:5]]
    system.stop("notify")
    tickets += [take(system, "COMPLAINT", email) for email in citizens[5:]]
    system.start("notify")

    wait_until(lambda: all(mail_to(system, email) for email in citizens), "every issued mail")
    ids = [uuid.UUID(t["id"]) for t in tickets]
    wait_until(lambda: notify_rows(
        system, "SELECT count(*) FROM notify.deliveries d JOIN notify.messages m ON m.id = d.message_id "
                "WHERE m.subject_id = ANY(%s) AND d.status = 'sent'", ids)[0][0] == 10, "ten deliveries sent")
    wait_until(lambda: queue_drained(system, "notify.queue.ticket_issued"), "notify's work queue drained")
    for email, ticket in zip(citizens, tickets):
        received = mail_to(system, email)
        assert [m["Subject"] for m in received] == [f"Nomor antrean {ticket['number']} — PTSP"], email
    assert notify_rows(system, "SELECT count(*) FROM notify.messages WHERE subject_id = ANY(%s)", ids)[0][0] == 10


def queue_drained(system, name):
    from tests.support.system import RABBIT_API, RABBIT_AUTH

    answer = requests.get(f"{RABBIT_API}/queues/{system.vhost}/{name}", auth=RABBIT_AUTH, timeout=10)
    answer.raise_for_status()
    info = answer.json()
    return info.get("messages", 1) == 0 and info.get("messages_unacknowledged", 1) == 0
