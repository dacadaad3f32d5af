"""Kiosk and counter traffic for the fault tests, and the checks made after a fault.

Kiosks take tickets, each with an Idempotency-Key of its own, retrying the same key
until they get 201 (as the kiosk page does); counters call, start and complete.
Every answer is recorded with when it was asked, how long it took and what it said.
"""
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import pika
import psycopg
import requests

from tests.support.system import DEMO_PASSWORD

SERVICES = ("SIM", "SKCK", "LOST_ITEM")
# Demo counters (services/queue/seed.py) that share services, so they compete for tickets.
COUNTER_SERVICES = {4: ["SKCK", "LOST_ITEM"], 6: list(SERVICES)}
# What an answer may be under faults: success, "nobody waits", a refusal of the
# counter's state (a call whose answer was lost is retried), or 503 - never 500.
ALLOWED = {200, 201, 204, 409, 503}


@dataclass
class Answer:
    who: str
    action: str
    started: float  # time.monotonic()
    elapsed: float
    status: int  # 0: no HTTP answer at all (connection refused, timeout)
    code: str = ""
    retry_after: str = ""
    ticket_id: str = ""
    key: str = ""


@dataclass
class Traffic:
    base_url: str
    kiosks: int = 3
    counters: tuple = tuple(COUNTER_SERVICES)
    answers: list = field(default_factory=list)
    acknowledged: dict = field(default_factory=dict)  # Idempotency-Key -> ticket ids of its 201 answers

    def __post_init__(self):
        self._stop = threading.Event()
        self._threads = []
        self._lock = threading.Lock()
        self.run_id = uuid.uuid4().hex[:8]

    # --- driving ---------------------------------------------------------------------

    def start(self):
        for n in range(self.kiosks):
            self._spawn(self._kiosk, f"kiosk{n}")
        for counter in self.counters:
            self._spawn(self._counter, counter)
        return self

    def stop(self, timeout=60):
        """Stop and wait: each kiosk first gets its current ticket (same key)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        assert not any(thread.is_alive() for thread in self._threads), "traffic did not stop"

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _ask(self, who, action, method, path, session, **kwargs):
        started = time.monotonic()
        try:
            response = session.request(method, self.base_url + path, timeout=15, **kwargs)
        except requests.RequestException:
            answer = Answer(who, action, started, time.monotonic() - started, 0)
            self._record(answer)
            return answer, None
        elapsed = time.monotonic() - started
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        code = (body or {}).get("error", {}).get("code", "") if isinstance(body, dict) else ""
        ticket_id = body.get("id", "") if isinstance(body, dict) else ""
        answer = Answer(who, action, started, elapsed, response.status_code, code,
                        response.headers.get("Retry-After", ""), ticket_id or "")
        self._record(answer)
        return answer, body

    def _record(self, answer):
        with self._lock:
            self.answers.append(answer)

    def _pause(self, answer):
        # What a kiosk page does: back off a little after a failure, not at all otherwise.
        if answer.status in (0, 503):
            time.sleep(0.2)

    def _kiosk(self, who):
        session = requests.Session()
        n = 0
        while not self._stop.is_set():
            key = f"faults-{self.run_id}-{who}-{n}"
            n += 1
            body = {"service": SERVICES[n % len(SERVICES)]}
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # the same key until the ticket is given
                answer, _ = self._ask(who, "issue", "POST", "/api/tickets", session, json=body,
                                      headers={"Idempotency-Key": key})
                answer.key = key
                if answer.status == 201:
                    with self._lock:
                        self.acknowledged.setdefault(key, []).append(answer.ticket_id)
                    break
                self._pause(answer)

    def _counter(self, counter):
        who = f"counter{counter}"
        session = requests.Session()
        headers = None
        while not self._stop.is_set():
            if headers is None:
                answer, body = self._ask(who, "login", "POST", "/api/auth/login", session,
                                         json={"username": f"petugas{counter}", "password": DEMO_PASSWORD})
                if answer.status == 200:
                    headers = {"Authorization": f"Bearer {body['token']}"}
                    answer, _ = self._ask(who, "open", "POST", f"/api/counters/{counter}/open", session,
                                          json={"services": COUNTER_SERVICES[counter]}, headers=headers)
                    if answer.status != 200:
                        headers = None
                self._pause(answer)
                continue
            answer, _ = self._ask(who, "call-next", "POST", f"/api/counters/{counter}/call-next", session,
                                  headers=headers)
            if answer.status == 204:
                time.sleep(0.1)
                continue
            if answer.status not in (200, 409):  # 409: a ticket called before (its answer lost)
                self._pause(answer)
                continue
            for action in ("start", "complete"):
                answer, _ = self._ask(who, action, "POST", f"/api/counters/{counter}/{action}", session,
                                      json={} if action == "complete" else None, headers=headers)
                self._pause(answer)

    # --- looking at what happened ----------------------------------------------------------

    def wait_for_successes(self, since, count=3, timeout=30):
        """Wait until ``count`` tickets were issued by requests started after ``since``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                done = sum(1 for a in self.answers if a.action == "issue" and a.status == 201 and a.started > since)
            if done >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"fewer than {count} tickets issued within {timeout}s after the fault")

    def wait_for_failures(self, since, count=3, timeout=30):
        """Wait until ``count`` requests started after ``since`` were answered 503."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                seen = sum(1 for a in self.answers if a.status == 503 and a.started > since)
            if seen >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"fewer than {count} requests answered 503 within {timeout}s of the fault")

    def check_answers(self, outage_start=None, outage_end=None, unavailable_within=2.0):
        """Never a 500 (or any unexpected status), never a lost connection; every 503
        is the documented `unavailable` with Retry-After, within ``unavailable_within``
        seconds; every request started 5 s after the outage ended succeeded."""
        with self._lock:
            answers = list(self.answers)
        unexpected = [a for a in answers if a.status not in ALLOWED]
        assert not unexpected, f"unexpected answers: {unexpected[:5]}"
        for a in answers:
            if a.status == 503:
                assert a.code == "unavailable" and a.retry_after, a
                assert a.elapsed < unavailable_within, f"503 after {a.elapsed:.2f}s: {a}"
        if outage_end is not None:
            late = [a for a in answers if a.started > outage_end + 5.0 and a.status in (0, 503)]
            assert not late, f"still failing more than 5 s after the server's return: {late[:5]}"
            assert any(a.status == 201 and a.started > outage_end for a in answers)
        assert not any(a.elapsed > 10 for a in answers), "an answer took more than 10 s"

    def check_tickets(self, database_url):
        """No acknowledged ticket lost or made twice: each key's 201 answers name one
        ticket, which is in the record, and the record holds no other ticket for the key."""
        with self._lock:
            acknowledged = {key: set(ids) for key, ids in self.acknowledged.items()}
        assert acknowledged, "no ticket was issued"
        assert all(len(ids) == 1 for ids in acknowledged.values()), "one key, two tickets"
        with psycopg.connect(database_url) as conn:
            rows = conn.execute("SELECT key, ticket_id::text FROM queue.idempotency_keys WHERE key LIKE %s",
                                (f"faults-{self.run_id}-%",)).fetchall()
            recorded = dict(rows)
            existing = {r[0] for r in conn.execute(
                "SELECT id::text FROM queue.tickets WHERE id = ANY(%s::uuid[])",
                ([r[1] for r in rows],)).fetchall()}
        for key, ids in acknowledged.items():
            assert recorded.get(key) == next(iter(ids)), f"acknowledged ticket of {key} not in the record"
            assert recorded[key] in existing
        # every ticket the kiosks made was acknowledged (nothing done behind a 503)
        assert set(recorded) == set(acknowledged), set(recorded) ^ set(acknowledged)

    def check_claims(self, database_url):
        """No ticket claimed twice: one call per ticket in the journal, and no two
        counters were answered with the same ticket."""
        with self._lock:
            called = [a.ticket_id for a in self.answers if a.action == "call-next" and a.status == 200]
        assert len(called) == len(set(called)), "two counters got the same ticket"
        with psycopg.connect(database_url) as conn:
            twice = conn.execute("""SELECT ticket_id, count(*) FROM queue.journal WHERE action = 'call'
                                    GROUP BY ticket_id HAVING count(*) > 1""").fetchall()
        assert not twice, f"tickets called twice: {twice}"


class EventLog:
    """A durable queue bound to ``queue.events`` on the broker: it keeps every event
    the outbox publishes, across broker restarts, to compare with the outbox."""

    QUEUE = "ptsp-faults-events"

    def __init__(self, amqp_uri):
        self.params = pika.URLParameters(amqp_uri.replace("pyamqp://", "amqp://", 1))
        self.seen = {}  # event_id -> times received
        self.checked_outbox_id = 0
        with self._channel() as channel:
            channel.exchange_declare("queue.events", exchange_type="topic", durable=True)
            channel.queue_declare(self.QUEUE, durable=True)
            channel.queue_bind(self.QUEUE, "queue.events", routing_key="#")

    def _channel(self):
        class Opened:
            def __enter__(inner):
                inner.connection = pika.BlockingConnection(self.params)
                return inner.connection.channel()

            def __exit__(inner, *exc):
                inner.connection.close()
        return Opened()

    def drain(self):
        with self._channel() as channel:
            while True:
                method, _props, body = channel.basic_get(self.QUEUE, auto_ack=True)
                if method is None:
                    return
                event_id = json.loads(body)["event_id"]
                self.seen[event_id] = self.seen.get(event_id, 0) + 1

    def check_published(self, database_url, timeout=30):
        """Every event committed since the last check left the outbox and reached the
        broker (at least once; consumers skip repeats)."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(database_url, autocommit=True) as conn:
            while conn.execute("SELECT count(*) FROM queue.outbox WHERE published_at IS NULL").fetchone()[0]:
                assert time.monotonic() < deadline, "events still unpublished"
                time.sleep(0.2)
            rows = conn.execute("SELECT id, event_id::text FROM queue.outbox WHERE id > %s ORDER BY id",
                                (self.checked_outbox_id,)).fetchall()
        assert rows, "no event was committed"
        self.drain()
        missing = [event_id for _, event_id in rows if event_id not in self.seen]
        assert not missing, f"{len(missing)} of {len(rows)} committed events never reached the broker"
        self.checked_outbox_id = rows[-1][0]
