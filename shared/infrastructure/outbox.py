"""Transactional outbox: an event is written to the service's ``outbox`` table in
the same transaction as the state change it describes, and a relay publishes it
to RabbitMQ afterwards. A broker outage delays events; it never loses one that the
database committed.

Delivery is at least once (a crash between publishing and marking a row sent
publishes it again), so consumers skip event ids they have seen.
"""
import json
import logging
import time

import eventlet
import psycopg
from nameko.extensions import Extension
from nameko.standalone.events import get_event_exchange
from psycopg import sql

from shared.contracts.events import Event
from shared.infrastructure.rpc import FastPublisher

log = logging.getLogger(__name__)

OUTBOX_DDL = """
CREATE TABLE {schema}.outbox (
    id bigserial PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON {schema}.outbox (id) WHERE published_at IS NULL;
"""


def add_event(cur, schema: str, event: Event):
    """Queue ``event`` for publishing; call inside the state change's transaction."""
    cur.execute(
        sql.SQL("INSERT INTO {}.outbox (event_id, event_type, payload) VALUES (%s, %s, %s)").format(
            sql.Identifier(schema)),
        (event.event_id, event.event_type, json.dumps(event.payload())),
    )
    cur.execute("SELECT pg_notify(%s, '')", (f"{schema}_outbox",))


class OutboxPublisher:
    """Moves committed events from ``<schema>.outbox`` to ``<schema>.events``.

    One relay publishes at a time per schema (an advisory lock), in id order, so
    consumers see a service's events in the order they were committed.
    """

    BATCH = 200

    def __init__(self, database_url, amqp_uri, schema, exchange_name=None):
        self.database_url = database_url
        self.schema = schema
        self.exchange = get_event_exchange(exchange_name or schema, {})
        # Fails at once while the broker is down; the relay tries again shortly.
        self.publisher = FastPublisher(amqp_uri, use_confirms=True, serializer="json", declare=[self.exchange])
        self.lock_key = hash_key(f"outbox:{schema}")

    def publish_pending(self, conn) -> int:
        """Publish one batch; returns how many rows were published."""
        table = sql.Identifier(self.schema, "outbox")
        with conn.transaction():
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (self.lock_key,))
                if not cur.fetchone()[0]:
                    return 0
                cur.execute(
                    sql.SQL("SELECT id, event_type, payload FROM {} WHERE published_at IS NULL "
                            "ORDER BY id LIMIT %s").format(table), (self.BATCH,))
                rows = cur.fetchall()
                for _id, event_type, payload in rows:
                    self.publisher.publish(payload, exchange=self.exchange, routing_key=event_type)
                if rows:
                    cur.execute(
                        sql.SQL("UPDATE {} SET published_at = now() WHERE id = ANY(%s)").format(table),
                        ([r[0] for r in rows],))
                return len(rows)

    def prune(self, conn, keep_days=7):
        table = sql.Identifier(self.schema, "outbox")
        with conn.transaction():
            conn.execute(sql.SQL(
                "DELETE FROM {} WHERE published_at < now() - make_interval(days => %s)").format(table),
                (keep_days,))


def hash_key(text):
    # A stable 63-bit key for pg advisory locks (Python's hash() is salted).
    import hashlib
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


class OutboxRelay(Extension):
    """Runs the publisher in a background greenthread of the service process. Not a
    dependency (workers never see it): the unit-of-work provider of a service that
    publishes events declares it as its sub-extension.

    It wakes on ``NOTIFY <schema>_outbox`` and polls every second anyway, so an
    event committed while the broker was down goes out once the broker is back.
    """

    def __init__(self, schema, poll_interval=1.0):
        self.schema = schema
        self.poll_interval = poll_interval
        self._running = False
        self._thread = None

    def setup(self):
        config = self.container.config
        self.outbox = OutboxPublisher(config["DATABASE_URL"], config["AMQP_URI"], self.schema)

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    kill = stop

    def _run(self):
        failures = 0
        last_prune = 0.0
        while self._running:
            try:
                with psycopg.connect(self.outbox.database_url, autocommit=True, connect_timeout=5) as listen_conn, \
                        psycopg.connect(self.outbox.database_url, connect_timeout=5) as work_conn:
                    listen_conn.execute(f"LISTEN {self.schema}_outbox")
                    while self._running:
                        while self.outbox.publish_pending(work_conn):
                            pass
                        failures = 0
                        if time.monotonic() - last_prune > 3600:
                            self.outbox.prune(work_conn)
                            last_prune = time.monotonic()
                        # Block until a NOTIFY arrives or the poll interval passes.
                        for _ in listen_conn.notifies(timeout=self.poll_interval, stop_after=1):
                            pass
            except Exception as exc:  # broker or database unavailable: keep trying
                failures += 1
                # Short and capped: events go out within seconds of the server's return.
                delay = min(2.0, 0.25 * 2 ** min(failures, 3))
                log.warning("outbox relay for %s paused %.1fs: %s", self.schema, delay, type(exc).__name__)
                eventlet.sleep(delay)
