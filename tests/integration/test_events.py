"""Events on RabbitMQ: one per state change, validated against the shared models,
published through the outbox so that a broker outage loses nothing (invariant 4),
and free of personal data (invariant 7)."""
import json

import psycopg
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.contracts.events import QUEUE_EVENTS, parse_event
from shared.infrastructure.outbox import OutboxPublisher
from tests.support.events import EventListener
from services.queue import handlers
from services.queue.commands import IssueTicket
from services.queue.service import QueueService


def test_every_state_change_is_published_as_a_validated_event(container_factory, service_config, site):
    listener = EventListener(service_config["AMQP_URI"])
    container_factory(QueueService, service_config).start()
    with ClusterRpcProxy(service_config) as rpc:
        q = rpc.queue
        first = q.issue_ticket(site, {"service": "SKCK", "contact": {"email": "warga@example.id",
                                                                    "phone": "081234567890"}})
        q.issue_ticket(site, {"service": "SKCK"})
        third = q.issue_ticket(site, {"service": "SKCK"})
        q.open_counter(site, 1, {"services": ["SKCK"]}, "petugas1")
        q.call_next(site, 1, "petugas1")
        q.recall(site, 1, "petugas1")
        q.start(site, 1, "petugas1")
        q.complete(site, 1, "petugas1", {"outcome": "passed"})
        q.call_next(site, 1, "petugas1")
        q.no_show(site, 1, "petugas1")
        q.call_next(site, 1, "petugas1")
        q.transfer(site, 1, "petugas1", {"service": "SIM"})
        q.undo(site, 1, "petugas1")  # the waiting ticket it made is cancelled, the ticket is back
        q.transfer(site, 1, "petugas1", {"service": "SIM"})
        q.close_counter(site, 1, "petugas1")
        # a counter left with a called ticket: a supervisor frees it, the ticket waits again
        q.open_counter(site, 2, {"services": ["SIM"]}, "petugas2")
        q.call_next(site, 2, "petugas2")
        q.free_counter(site, 2, "supervisor", "supervisor")
        # the holder cancels the moved ticket with the key of the ticket they were issued
        q.cancel_ticket(site, q.get_ticket(site, third["id"])["transferred_to"], third["access_key"])

    # The test database's outbox is shared by all tests: keep this site's events.
    received = [(key, body) for key, body in listener.collect(10_000, timeout=5) if body["site"] == site]
    listener.close()
    types = [routing_key for routing_key, _ in received]
    assert types == ["ticket_issued"] * 3 + [
        "counter_opened", "ticket_called", "ticket_recalled", "ticket_started", "ticket_completed",
        "ticket_called", "ticket_no_show", "ticket_called", "ticket_transferred", "ticket_cancelled",
        "ticket_restored", "ticket_transferred", "counter_closed", "counter_opened", "ticket_called",
        "ticket_requeued", "counter_closed", "ticket_cancelled"]
    assert set(types) == set(QUEUE_EVENTS)
    events = [parse_event("queue", routing_key, body) for routing_key, body in received]
    assert len({e.event_id for e in events}) == len(events)
    assert all(e.site == site and e.schema_version == 1 and e.occurred_at.tzinfo for e in events)
    assert events[0].ticket_id.hex == first["id"].replace("-", "") and events[0].has_contact is True
    raw = json.dumps([body for _, body in received])
    assert "warga" not in raw and "81234567890" not in raw


def pending_events(database_url, site):
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM queue.outbox WHERE published_at IS NULL AND payload->>'site' = %s",
                            (site,)).fetchone()[0]


def test_events_committed_while_the_broker_is_down_are_published_when_it_is_back(
        site, unit_of_work, database_url, rabbit_config):
    listener = EventListener(rabbit_config["AMQP_URI"])
    for _ in range(5):
        with unit_of_work()(site, "kiosk") as unit:
            handlers.issue_ticket(unit, IssueTicket(service="SIM"))
    assert pending_events(database_url, site) == 5

    broker_down = OutboxPublisher(database_url, "pyamqp://guest:guest@127.0.0.1:1/", "queue")
    with psycopg.connect(database_url) as conn:
        with pytest.raises(Exception):
            broker_down.publish_pending(conn)
    assert pending_events(database_url, site) == 5  # nothing marked sent, nothing lost

    broker_back = OutboxPublisher(database_url, rabbit_config["AMQP_URI"], "queue")
    with psycopg.connect(database_url) as conn:
        while broker_back.publish_pending(conn):
            pass
    assert pending_events(database_url, site) == 0
    received = [body for _key, body in listener.collect(10_000, timeout=5) if body["site"] == site]
    listener.close()
    assert [body["number"] for body in received] == ["A-001", "A-002", "A-003", "A-004", "A-005"]
    assert len({body["event_id"] for body in received}) == 5


def test_one_relay_publishes_at_a_time(database_url, rabbit_config):
    """Replicas share the outbox; the advisory lock keeps publishing in commit order."""
    first, second = (OutboxPublisher(database_url, rabbit_config["AMQP_URI"], "queue") for _ in range(2))
    with psycopg.connect(database_url) as holder, psycopg.connect(database_url) as other:
        with holder.transaction():
            holder.execute("SELECT pg_advisory_xact_lock(%s)", (first.lock_key,))
            assert second.publish_pending(other) == 0


def test_two_queries_run_concurrently_on_the_eventlet_hub(db):
    """psycopg's wait function must yield to other greenthreads: while one query
    sleeps in PostgreSQL, another one starts and finishes."""
    import eventlet

    finished = []

    def slow():
        with db.transaction() as cur:
            cur.execute("SELECT pg_sleep(1)")
        finished.append("slow")

    def quick():
        with db.transaction() as cur:
            cur.execute("SELECT 1")
        finished.append("quick")

    slow_thread = eventlet.spawn(slow)
    eventlet.sleep(0.1)  # the slow query is now waiting on the server
    quick_thread = eventlet.spawn(quick)
    slow_thread.wait()
    quick_thread.wait()
    assert finished == ["quick", "slow"]
