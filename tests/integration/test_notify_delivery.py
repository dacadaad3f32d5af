"""The notify service's sending against real servers: the development SMTP sink
(its own process, started by the test), a webhook receiver (a real HTTP server in
the test that verifies the signature independently) and the test PostgreSQL.

The contact lookup is a table in the test: it stands for the owner's RPC (queue's
ticket contact, documents' applicant contact), which the lead wires in.
"""
import email
import email.policy
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import eventlet
import eventlet.wsgi
import pytest
from prometheus_client import CollectorRegistry

from shared.contracts import events as ev
from services.notify import delivery, domain, handlers
from services.notify.channels import EmailChannel, LogChannel, WebhookChannel
from services.notify.dependencies import store_on
from services.notify.domain import TurnNearRule
from services.notify.metrics import NotifyMetrics
from tests.support.waiting import free_port, port_open, wait_for as wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-webhook-secret-" + "s" * 20
HASH_SECRET = "test-hash-secret"


# --- real servers ------------------------------------------------------------------------------

class Sink:
    """``python -m services.notify.smtp_sink`` in a process of its own."""

    def __init__(self, directory, port):
        self.directory, self.port, self.process = Path(directory), port, None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.notify.smtp_sink", "--port", str(self.port), "--dir",
             str(self.directory)], cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(lambda: port_open(self.port) or self.process.poll() is not None, what="the SMTP sink")
        assert self.process.poll() is None, self.process.stderr.read().decode()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def mails(self):
        if not self.directory.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(self.directory.glob("*.eml"))]


class Receiver:
    """An SMS/WhatsApp gateway: verifies each request's signature and timestamp the
    way docs/notify-webhook.md says (its own HMAC code), answers ``status``."""

    def __init__(self):
        self.received, self.refused = [], 0
        self.answers = {}   # path -> HTTP status to answer instead of 200
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = eventlet.spawn(eventlet.wsgi.server, self.socket, self.app, log_output=False)

    def app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        timestamp = environ.get("HTTP_X_PTSP_TIMESTAMP", "")
        expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
        if not (fresh and hmac.compare_digest(expected, environ.get("HTTP_X_PTSP_SIGNATURE", ""))):
            self.refused += 1
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"bad signature"]
        if environ["PATH_INFO"] in self.answers:
            start_response(f"{self.answers[environ['PATH_INFO']]} Refused", [("Content-Type", "text/plain")])
            return [b"unknown number"]
        self.received.append({"path": environ["PATH_INFO"], **json.loads(body)})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"ok":true}']

    def close(self):
        self.server.kill()
        self.socket.close()


@pytest.fixture
def sink(tmp_path):
    sink = Sink(tmp_path / "mail", free_port())
    yield sink
    sink.stop()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


class Contacts:
    """Stands for the owners' contact RPCs: subject id -> answer."""

    def __init__(self):
        self.table, self.calls, self.down = {}, 0, False

    def __call__(self, subject, subject_id, site):
        self.calls += 1
        if self.down:
            raise ConnectionError("owner unreachable")
        return self.table.get(uuid.UUID(str(subject_id)))


@pytest.fixture
def site():
    # A site of this test's own: the projection and the deliveries never meet another test's.
    return f"notify-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def world(db, sink, receiver, site):
    clock, contacts = Clock(), Contacts()
    channels = {
        "email": EmailChannel("127.0.0.1", sink.port, "PTSP <no-reply@ptsp.test>", timeout_s=5),
        "sms": WebhookChannel("sms", receiver.url + "/sms", SECRET, timeout_s=5),
        "whatsapp": WebhookChannel("whatsapp", receiver.url + "/wa", SECRET, timeout_s=5),
    }
    registry = CollectorRegistry()
    metrics = NotifyMetrics(registry)
    outlet = delivery.Outlet(channels=channels, lookup=contacts, secret=HASH_SECRET, metrics=metrics, clock=clock,
                             policy=delivery.RetryPolicy(max_attempts=4, base_s=5, max_s=60))
    world = World(db, outlet, contacts, clock, sink, receiver, site, metrics)
    world.metrics_registry = registry
    return world


class World:
    def __init__(self, db, outlet, contacts, clock, sink, receiver, site, metrics):
        self.db, self.outlet, self.contacts, self.clock = db, outlet, contacts, clock
        self.store = store_on(db)     # notify's units of work, on the test's pool
        self.sink, self.receiver, self.site, self.metrics = sink, receiver, site, metrics
        self.rule, self.n = TurnNearRule(ahead=3), 0

    # what the lead's nameko handler does for one event: record in a transaction, then dispatch
    def handle(self, event):
        with self.store(self.site, "notify") as uow:
            if isinstance(event, ev.DocumentsEvent):
                ids = handlers.record_application_event(uow, event)
            else:
                ids = handlers.record_queue_event(uow, event, self.rule, 900)
        delivery.dispatch(self.outlet, self.store, ids)
        return ids

    def issue(self, email_address=None, phone=None, language="id", service="SKCK", contact=True):
        self.n += 1
        at = self.clock() + timedelta(seconds=self.n)
        event = ev.TicketIssued(site=self.site, occurred_at=at, ticket_id=uuid.uuid4(), number=f"B{self.n:03d}",
                                service=service, priority="regular", issued_at=at,
                                has_contact=contact, language=language)
        if contact:
            self.contacts.table[event.ticket_id] = {
                "email": email_address, "phone": phone, "language": language,
                "track_url": f"http://ptsp.test/t/{event.ticket_id}?k=secret", "estimated_wait_s": 600}
        return event

    def called(self, issued, counter=2):
        return ev.TicketCalled(site=self.site, occurred_at=self.clock(), ticket_id=issued.ticket_id,
                               number=issued.number, service=issued.service, priority="regular",
                               counter=counter, wait_s=30)

    def deliveries(self, ids=None):
        with self.db.transaction() as cur:
            cur.execute("SELECT * FROM notify.deliveries WHERE site = %s ORDER BY created_at, channel", (self.site,))
            return cur.fetchall()

    def messages(self):
        with self.db.transaction() as cur:
            cur.execute("SELECT * FROM notify.messages WHERE site = %s ORDER BY created_at", (self.site,))
            return cur.fetchall()


def unique_email(prefix="warga"):
    return f"{prefix}.{uuid.uuid4().hex[:8]}@example.id"


def unique_phone():
    return "0812" + str(uuid.uuid4().int)[:8]


def text_of(mail):
    return mail.get_body(("plain",)).get_content()


# --- the tests ------------------------------------------------------------------------------------

def test_each_message_kind_arrives_by_email_and_webhook(world):
    """Broke: a kind of message that never reaches the citizen. Checks: every queue
    and application message arrives once at the real SMTP sink (as a .eml with the
    number or the application's words, text and HTML) and once on each webhook
    channel with a valid signature, in the citizen's language; the delivery record
    says sent, the metrics count it."""
    world.sink.start()
    address, phone = unique_email(), unique_phone()
    # Eleven kinds to one phone on two webhooks: 22 in the hour, over the default limit
    # of 20 per recipient (tested on its own in test_rate_limit_per_recipient).
    world.outlet.rate_limit_per_hour = 40
    tickets = [world.issue(unique_email()) for _ in range(4)]          # four ahead
    mine = world.issue(address, phone, language="en")
    for t in tickets + [mine]:
        world.handle(t)
    world.handle(world.called(tickets[0]))                          # mine: 3 ahead -> turn near
    world.handle(world.called(mine, counter=5))
    world.handle(ev.TicketNoShow(site=world.site, occurred_at=world.clock(), ticket_id=mine.ticket_id,
                                 number=mine.number, service=mine.service, priority="regular", counter=5,
                                 reason="recalls"))
    # The contact is asked at send time: the first ticket's holder is now reached at
    # "mine"'s address and phone (one mailbox for every kind of message).
    world.contacts.table[tickets[0].ticket_id].update(email=address, phone=phone, language="en")
    world.handle(ev.TicketCompleted(site=world.site, occurred_at=world.clock(), ticket_id=tickets[0].ticket_id,
                                    number=tickets[0].number, service=tickets[0].service, priority="regular",
                                    counter=2, service_time_s=240))
    application_id = uuid.uuid4()
    world.contacts.table[application_id] = {
        "email": address, "phone": phone, "language": "en", "track_url": "http://ptsp.test/a/ABC123",
        "details": {"online": False, "type_name": "SIM A Baru", "type_name_en": "New SIM A",
                    "steps": {"theory_test": {"name": "Ujian teori", "name_en": "Theory test"},
                              "practical_test": {"name": "Ujian praktik", "name_en": "Practical test"}},
                    "current_step": "theory_test",
                    "ticket": {"number": "C004", "service": "SIM", "service_name": "SIM",
                               "service_name_en": "SIM"},
                    "last": {"step": "practical_test", "outcome": "failed", "note": "parking", "missing": []},
                    "tracking_code": "ABC123"}}
    base = {"site": world.site, "occurred_at": world.clock(), "application_id": application_id, "type": "SIM_A_NEW"}
    for event in (ev.ApplicationSubmitted(**base, step="registration", in_hall=True),
                  ev.ApplicationAdvanced(**base, from_step="health_check", step="theory_test"),
                  ev.ApplicationFailed(**base, step="practical_test", reason="failed",
                                       retake_after=datetime(2026, 12, 10).date()),
                  ev.ApplicationMissed(**base, step="theory_test", why="no_show"),
                  ev.ApplicationReady(**base, document_number="SIM/0001/2026",
                                      valid_until=datetime(2031, 11, 26).date()),
                  ev.ApplicationCancelled(**base, reason="citizen")):
        world.handle(event)

    mine_mail = [m for m in world.sink.mails() if m["To"] == address]
    kinds = [m["X-PTSP-Kind"] for m in mine_mail]
    assert sorted(kinds) == sorted(["ticket_issued", "turn_near", "ticket_called", "ticket_no_show",
                                    "ticket_completed", "application_submitted", "application_advanced", "application_failed",
                                    "application_missed", "application_ready", "application_status"])
    by_kind = {m["X-PTSP-Kind"]: m for m in mine_mail}
    assert mine.number in by_kind["ticket_issued"]["Subject"]
    assert "counter 5" in text_of(by_kind["ticket_called"])
    assert "3 people are ahead" in text_of(by_kind["turn_near"])
    assert "10 December 2026" in text_of(by_kind["application_failed"])
    assert "The reason: parking." in text_of(by_kind["application_failed"])
    assert "your number is C004" in text_of(by_kind["application_advanced"])
    assert "http://ptsp.test/a/ABC123" in text_of(by_kind["application_ready"])
    assert "check in at the kiosk with your tracking code ABC123" in text_of(by_kind["application_missed"])
    assert by_kind["ticket_completed"]["Subject"] == f"Thank you — number {tickets[0].number} has been served"
    assert by_kind["ticket_issued"].get_body(("html",)) is not None
    for path in ("/sms", "/wa"):
        got = [r for r in world.receiver.received if r["path"] == path]
        assert sorted(r["kind"] for r in got) == sorted(kinds)
        assert all(r["language"] == "en" and r["to"] == domain_phone(phone) for r in got)
    assert world.receiver.refused == 0
    assert {d["status"] for d in world.deliveries()} == {"sent"}
    assert world.metrics.sent.labels("email", world.site, "turn_near")._value.get() == 1


def domain_phone(phone):
    return phone   # the webhook gets the number as the owner gave it


def test_smtp_down_then_up_the_message_arrives_once(world):
    """Broke: a message lost, or sent twice, when the mail server is down for a while.
    Checks: with no SMTP server the e-mail delivery fails transiently (the SMS goes
    out at once regardless); retries before the backoff has passed do nothing; after
    the server comes up, the sweep sends it, and further sweeps send nothing more:
    exactly one .eml."""
    address = unique_email()
    ticket = world.issue(address, unique_phone())
    world.handle(ticket)
    rows = {d["channel"]: d for d in world.deliveries()}
    assert rows["email"]["status"] == "failed" and rows["email"]["attempts"] == 1
    assert "ConnectionRefusedError" in rows["email"]["last_error"] and address not in rows["email"]["last_error"]
    assert rows["sms"]["status"] == "sent" and rows["whatsapp"]["status"] == "sent"

    assert delivery.run_due(world.outlet, world.store)["attempted"] == 0     # backoff not over yet
    world.clock.advance(5)
    delivery.run_due(world.outlet, world.store)                              # still down: second failure
    assert {d["channel"]: d["attempts"] for d in world.deliveries()}["email"] == 2

    world.sink.start()
    world.clock.advance(10)
    assert delivery.run_due(world.outlet, world.store)["sent"] == 1
    for _ in range(3):
        world.clock.advance(120)
        assert delivery.run_due(world.outlet, world.store)["attempted"] == 0
    mails = world.sink.mails()
    assert [m["To"] for m in mails] == [address]
    assert {d["channel"]: d["status"] for d in world.deliveries()}["email"] == "sent"
    assert world.metrics.retried.labels("email", world.site, "ticket_issued")._value.get() == 2


def test_transient_failures_end_dead_and_a_supervisor_resends(world):
    """Broke: a message retried for ever, or dropped after the last try. Checks: with
    the SMTP server down for good, the delivery is dead after max_attempts with its
    reason, listed as a dead letter with the masked recipient only; after a re-send
    with the server up, it arrives once."""
    address = unique_email()
    world.outlet.channels = {"email": world.outlet.channels["email"]}
    world.handle(world.issue(address))
    for _ in range(5):
        world.clock.advance(120)
        delivery.run_due(world.outlet, world.store)
    [row] = world.deliveries()
    assert row["status"] == "dead" and row["attempts"] == 4
    dead = [d for d in delivery.dead_letters(world.store, world.site)]
    assert [(d["id"], d["recipient_masked"], d["channel"]) for d in dead] == [(row["id"], "w***@example.id", "email")]
    assert address not in json.dumps([{k: str(v) for k, v in d.items()} for d in dead])

    delivery.run_due(world.outlet, world.store)
    assert world.metrics.dead_letters.labels(world.site)._value.get() == 1
    world.sink.start()
    assert delivery.resend(world.store, row["id"])
    assert not delivery.resend(world.store, row["id"])          # pending now: not dead twice
    assert delivery.run_due(world.outlet, world.store)["sent"] == 1
    delivery.run_due(world.outlet, world.store)
    assert [m["To"] for m in world.sink.mails()] == [address]
    assert not delivery.resend(world.store, row["id"])          # sent stays sent
    assert world.metrics.dead_letters.labels(world.site)._value.get() == 0


def test_permanent_refusal_is_dead_at_once_and_other_channels_go_on(world):
    """Broke: a gateway's "never" retried, or one channel's failure stopping another.
    Checks: the SMS gateway answering 400 makes the SMS delivery dead after one try
    with the HTTP status as reason, while the WhatsApp and e-mail deliveries are sent."""
    world.sink.start()
    world.receiver.answers["/sms"] = 400
    world.handle(world.issue(unique_email(), unique_phone()))
    status = {d["channel"]: (d["status"], d["attempts"], d["last_error"]) for d in world.deliveries()}
    assert status["sms"] == ("dead", 1, "sms webhook: HTTP 400")
    assert status["whatsapp"][0] == "sent" and status["email"][0] == "sent"


def test_redelivered_event_sends_one_message(world):
    """Broke: a redelivered event (or a second worker) sending again. Checks: the same
    event recorded and dispatched three times, and swept, gives one message row,
    one delivery per channel and one e-mail."""
    world.sink.start()
    address = unique_email()
    event = world.issue(address)
    for _ in range(3):
        world.handle(event)
        delivery.run_due(world.outlet, world.store)
    assert len(world.messages()) == 1
    assert [d["channel"] for d in world.deliveries()] == ["email"]
    assert [m["To"] for m in world.sink.mails()] == [address]


def test_a_missed_call_reaches_every_channel_once_with_the_way_back(world):
    """Broke: the applicant whose step's number was called while they were away was
    told nothing. Checks: application_missed arrives once at the real SMTP sink (in
    Indonesian: not at the counter, check in at the kiosk with the tracking code for a
    new number at the same step, the status link) and once on each signed webhook
    with the code and link; the event redelivered twice and swept sends nothing more."""
    world.sink.start()
    address, phone = unique_email(), unique_phone()
    application_id = uuid.uuid4()
    world.contacts.table[application_id] = {
        "email": address, "phone": phone, "language": "id", "track_url": "http://ptsp.test/a/K7M2-P9QX-4R5T",
        "details": {"online": False, "type_name": "SKCK Baru", "type_name_en": "New SKCK",
                    "steps": {"fingerprint": {"name": "Sidik jari", "name_en": "Fingerprints", "service": "SKCK"}},
                    "current_step": "fingerprint", "ticket": None,
                    "last": {"step": None, "outcome": None, "note": None, "missing": []},
                    "tracking_code": "K7M2-P9QX-4R5T"}}
    event = ev.ApplicationMissed(site=world.site, occurred_at=world.clock(), application_id=application_id,
                                 type="SKCK_NEW", step="fingerprint", why="no_show")
    for _ in range(3):
        world.handle(event)
        delivery.run_due(world.outlet, world.store)
    [mail] = [m for m in world.sink.mails() if m["To"] == address]
    assert mail["X-PTSP-Kind"] == "application_missed"
    assert mail["Subject"] == "Permohonan SKCK Baru: Anda tidak hadir saat dipanggil"
    text = text_of(mail)
    assert "langkah Sidik jari permohonan SKCK Baru sudah dipanggil, tetapi Anda tidak berada di loket" in text
    assert "check-in di kios dengan kode permohonan K7M2-P9QX-4R5T" in text
    assert "nomor antrean baru untuk langkah Sidik jari" in text and "http://ptsp.test/a/K7M2-P9QX-4R5T" in text
    for path in ("/sms", "/wa"):
        [got] = [r for r in world.receiver.received if r["path"] == path]
        assert (got["kind"], got["language"], got["to"]) == ("application_missed", "id", phone)
    assert world.receiver.refused == 0
    assert len(world.messages()) == 1
    assert sorted(d["channel"] for d in world.deliveries()) == ["email", "sms", "whatsapp"]
    assert {d["status"] for d in world.deliveries()} == {"sent"}


def test_no_contact_gets_nothing_and_breaks_nothing(world):
    """Broke: a citizen without contact causing errors or empty sends. Checks: a ticket
    issued without contact records no message; one whose owner answers "no contact"
    is marked no_contact with no delivery; both still count in the waiting line, and
    the next citizen's messages go out."""
    world.sink.start()
    silent = world.issue(contact=False)
    assert world.handle(silent) == []
    unknown = world.issue(address := unique_email())
    del world.contacts.table[unknown.ticket_id]
    world.handle(unknown)
    assert [m["status"] for m in world.messages()] == ["no_contact"]
    assert world.deliveries() == []
    third = world.issue(address)
    world.handle(third)
    assert "2 orang di depan" in text_of(world.sink.mails()[0])


def test_owner_unreachable_then_back(world):
    """Broke: messages lost while the owning service cannot be asked for the contact.
    Checks: the message stays pending with the reason, and the sweep sends it once
    the owner answers again."""
    world.sink.start()
    world.contacts.down = True
    address = unique_email()
    world.handle(world.issue(address))
    [message] = world.messages()
    assert message["status"] == "pending" and message["last_error"] == "contact lookup: ConnectionError"
    world.contacts.down = False
    world.clock.advance(10)
    delivery.run_due(world.outlet, world.store)
    assert [m["To"] for m in world.sink.mails()] == [address]


def test_turn_near_exactly_once_when_several_are_called_at_once(world):
    """Broke: concurrent handlers of calls in the same line each sending turn-near (or
    none). Checks: with seven waiting (N=3), three called on three greenthreads at
    once, the three tickets that drop to three or fewer ahead get exactly one
    turn-near each, and three turn-near e-mails arrive."""
    world.sink.start()
    tickets = [world.issue(unique_email()) for _ in range(7)]
    for t in tickets:
        world.handle(t)
    pool = eventlet.GreenPool()
    for t in tickets[:3]:
        pool.spawn(world.handle, world.called(t))
    pool.waitall()
    near = [m for m in world.messages() if m["kind"] == "turn_near"]
    assert sorted(str(m["subject_id"]) for m in near) == sorted(str(t.ticket_id) for t in tickets[4:7])
    assert sorted(m["X-PTSP-Kind"] for m in world.sink.mails()).count("turn_near") == 3


def test_rate_limit_per_recipient(world):
    """Broke: a citizen flooded with messages (a loop, a bug). Checks: with a limit of
    two per hour, the third message to the same address is dead as rate limited while
    another citizen's still goes out; an hour later a re-send goes through."""
    world.sink.start()
    world.outlet.rate_limit_per_hour = 2
    address = unique_email()
    ticket = world.issue(address)
    world.handle(ticket)
    world.handle(world.called(ticket))
    world.handle(ev.TicketNoShow(site=world.site, occurred_at=world.clock(), ticket_id=ticket.ticket_id,
                                 number=ticket.number, service=ticket.service, priority="regular", counter=2,
                                 reason="officer"))
    other = world.issue(unique_email("other"))
    world.handle(other)
    rows = {(d["kind"], d["recipient_masked"]): d for d in world.deliveries()}
    assert rows[("ticket_no_show", "w***@example.id")]["status"] == "dead"
    assert rows[("ticket_no_show", "w***@example.id")]["last_error"].startswith("rate limited")
    assert rows[("ticket_issued", "w***@example.id")]["status"] == "sent"
    assert len([m for m in world.sink.mails() if m["To"] == address]) == 2
    assert len([m for m in world.sink.mails() if m["To"] != address]) == 1
    world.clock.advance(3601)
    assert delivery.resend(world.store, rows[("ticket_no_show", "w***@example.id")]["id"])
    assert delivery.run_due(world.outlet, world.store)["sent"] == 1


def test_the_delivery_record_holds_no_contact(world, caplog):
    """Broke: a contact stored or logged in the clear. Checks: no column of the
    delivery record and no log line of a send (including the log channel) contains
    the e-mail address or the phone number."""
    world.sink.start()
    world.outlet.channels["log"] = LogChannel()
    address, phone = unique_email(), "081298765432"
    caplog.set_level("INFO")
    world.handle(world.issue(address, phone))
    dump = json.dumps([{k: str(v) for k, v in d.items()} for d in world.deliveries()])
    assert len(world.deliveries()) == 4
    for secret in (address, phone, "6281298765432", address.split("@")[0]):
        assert secret not in dump
        assert secret not in caplog.text
    assert "+62812****432" in dump and "+62812****432" in caplog.text


def test_a_hanging_mail_server_does_not_hold_back_the_sms(world):
    """Broke: one channel's outage delaying the others. Checks: with an SMTP server
    that accepts the connection and never answers, the SMS and WhatsApp messages
    arrive while the e-mail attempt is still waiting for its timeout; the e-mail
    delivery then fails transiently (to be retried), nothing is lost."""
    hanging = eventlet.listen(("127.0.0.1", 0))          # never accepts: no greeting ever comes
    try:
        world.outlet.channels["email"] = EmailChannel("127.0.0.1", hanging.getsockname()[1], "PTSP <a@b.c>",
                                                      timeout_s=6)
        worker = eventlet.spawn(world.handle, world.issue(unique_email(), unique_phone()))
        # Both webhooks arrive well within the e-mail's timeout, the e-mail still hanging.
        wait_until(lambda: len(world.receiver.received) == 2, timeout=5, what="SMS and WhatsApp")
        assert not worker.dead
        assert {d["channel"]: d["status"] for d in world.deliveries()}["email"] == "pending"
        worker.wait()
        status = {d["channel"]: (d["status"], d["last_error"]) for d in world.deliveries()}
        assert status["email"] == ("failed", f"smtp 127.0.0.1:{hanging.getsockname()[1]}: SMTPServerDisconnected")
        assert status["sms"][0] == status["whatsapp"][0] == "sent"
    finally:
        hanging.close()


def test_a_burst_recorded_while_sending_was_down_goes_out_once(world):
    """Broke: messages lost when the process dies between recording an event and
    sending, or in the middle of a send. Checks: twenty events recorded with no
    dispatch (the process died after each commit), one delivery taken and never
    finished (died mid-send): after the lease, the sweeps send every message exactly
    once, with dispatch and sweeps running concurrently."""
    world.sink.start()
    world.outlet.channels = {"email": world.outlet.channels["email"]}
    addresses, recorded = [], []
    for _ in range(20):
        addresses.append(unique_email())
        event = world.issue(addresses[-1])
        with world.store(world.site, "notify") as uow:
            recorded += handlers.record_queue_event(uow, event, world.rule, 900)
    # A worker plans one message and takes its delivery, then dies before sending.
    with world.store(world.site, "notify") as uow:
        [message] = uow.messages.claim(world.clock(), 60, 1, recorded[:1])
    delivery.plan(world.outlet, world.store, message)
    with world.store(world.site, "notify") as uow:
        assert len(uow.deliveries.claim(world.clock(), 60, 1, recorded[:1])) == 1

    pool = eventlet.GreenPool()
    pool.spawn(delivery.dispatch, world.outlet, world.store, recorded)
    for _ in range(3):
        pool.spawn(delivery.run_due, world.outlet, world.store)
    pool.waitall()
    assert sorted(m["To"] for m in world.sink.mails()) == sorted(addresses[1:])   # the taken one waits its lease
    world.clock.advance(61)
    delivery.run_due(world.outlet, world.store)
    delivery.run_due(world.outlet, world.store)
    assert sorted(m["To"] for m in world.sink.mails()) == sorted(addresses)
    assert {d["status"] for d in world.deliveries()} == {"sent"} and len(world.deliveries()) == 20


def test_the_sink_keeps_whole_messages_only(world):
    """Broke: the development sink leaving half-written or unreadable files. Checks:
    after ten messages there are ten .eml files, each a whole message with its
    subject, and no temporary file is left behind."""
    world.sink.start()
    world.outlet.channels = {"email": world.outlet.channels["email"]}
    for _ in range(10):
        world.handle(world.issue(unique_email()))
    files = list(world.sink.directory.iterdir())
    assert len(files) == 10 and all(f.suffix == ".eml" and not f.name.startswith(".") for f in files)
    assert all(m["Subject"].startswith("Nomor antrean") for m in world.sink.mails())


def test_a_broken_template_is_dead_and_logged_without_the_address(world, caplog):
    """Broke: an unexpected error retried for ever, or its log line quoting the
    contact. Checks: a message whose facts lack what its template needs is dead after
    one try with the error's type as reason, and the log names neither address."""
    world.sink.start()
    address = unique_email()
    ticket = world.issue(address)
    with world.store(world.site, "notify") as uow:
        ids = handlers.record_queue_event(uow, ticket, world.rule, 900)
        uow.cur.execute("UPDATE notify.messages SET facts = facts - 'number' WHERE id = ANY(%s)", (ids,))
    delivery.dispatch(world.outlet, world.store, ids)
    [row] = [d for d in world.deliveries() if d["channel"] == "email"]
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 1, "error: UndefinedError")
    assert "UndefinedError" in caplog.text and address not in caplog.text
    assert world.sink.mails() == []


def test_metrics_count_each_outcome_per_channel_and_the_latency(world):
    """Broke: an outcome not counted, counted on the wrong channel, or no delivery
    latency. Checks: with the mail server down, the SMS gateway refusing for good and
    WhatsApp up, one ticket gives: email failed+retried (no sent yet), sms
    failed+dead-lettered, whatsapp sent; when the mail server comes up and the
    backoff has passed, email sent; the latency histogram has one observation per
    sent delivery, the e-mail's measured from the event to its late hand-off; the operations counter ptsp_notifications_total agrees."""
    world.receiver.answers["/sms"] = 400
    ticket = world.issue(unique_email(), unique_phone())
    world.handle(ticket)
    def value(name, channel, **labels):
        sample = world.metrics_registry.get_sample_value(
            name, {"channel": channel, **({"site": world.site, "kind": "ticket_issued"} if not labels else labels)})
        return sample or 0.0

    assert value("ptsp_notify_failed_total", "email") == 1 and value("ptsp_notify_retried_total", "email") == 1
    assert value("ptsp_notify_sent_total", "email") == 0
    assert value("ptsp_notify_failed_total", "sms") == 1 and value("ptsp_notify_dead_lettered_total", "sms") == 1
    assert value("ptsp_notify_retried_total", "sms") == 0
    assert value("ptsp_notify_sent_total", "whatsapp") == 1 and value("ptsp_notify_failed_total", "whatsapp") == 0
    assert value("ptsp_notifications_total", "sms", outcome="dead_lettered") == 1
    assert value("ptsp_notifications_total", "email", outcome="failed") == 1

    world.sink.start()
    world.clock.advance(7)
    assert delivery.run_due(world.outlet, world.store)["sent"] == 1
    assert value("ptsp_notify_sent_total", "email") == 1
    assert value("ptsp_notifications_total", "email", outcome="sent") == 1
    assert value("ptsp_notify_delivery_latency_seconds_count", "email") == 1
    assert value("ptsp_notify_delivery_latency_seconds_count", "whatsapp") == 1
    assert value("ptsp_notify_delivery_latency_seconds_count", "sms") == 0
    # Each hand-off is measured from the event's time (the test's clock sends at once).
    email_s = value("ptsp_notify_delivery_latency_seconds_sum", "email")
    assert email_s == pytest.approx((world.clock() - ticket.occurred_at).total_seconds(), abs=0.01)
    assert email_s >= 6
