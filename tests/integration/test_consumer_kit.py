"""The consumer kit (shared/infrastructure/consumer.py, shared/infrastructure/deadletters.py) against the real
RabbitMQ and PostgreSQL: every handler of an event is idempotent (invariant 5), and a
failing one is retried with backoff, then dead-lettered where an operator can see and
replay it (invariant 10)."""
import io
import json
import time
from collections import defaultdict
from datetime import datetime, timezone
from uuid import uuid4

import psycopg
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from shared.infrastructure import consumer, deadletters
from shared.infrastructure.consumer import PROCESSED_EVENTS_DDL, consume
from shared.contracts.events import TicketIssued
from shared.infrastructure.metrics import Metrics
from shared.infrastructure.postgres import Database
from tests.support.waiting import wait_for

SCHEMA = "kitprobe"

# What the probe's handler does per event id ("ok" when absent), and when it ran.
BEHAVIOUR = {}
CALLS = defaultdict(list)


class DownstreamError(RuntimeError):
    pass


class KitProbe:
    """A consuming service that is nothing but its handler: it records each event's
    effect in its own schema and fails as BEHAVIOUR says."""

    name = SCHEMA
    db = Database()
    metrics = Metrics()

    # The fixture's EVENT_RETRY_DELAY_S=0.2 overrides this delay: a test that waited
    # 30 s would time out.
    @consume(TicketIssued, retries=3, delay=30)
    def on_ticket_issued(self, event: TicketIssued, tx):
        key = str(event.event_id)
        CALLS[key].append(time.monotonic())
        tx.execute(f"INSERT INTO {SCHEMA}.effects (event_id, ticket_id, site) VALUES (%s, %s, %s)",
                   (event.event_id, event.ticket_id, event.site))
        behaviour = BEHAVIOUR.get(key, "ok")
        if behaviour == "fail_twice" and len(CALLS[key]) <= 2:
            raise DownstreamError("printer offline")
        if behaviour == "always":
            raise DownstreamError("printer offline")


@pytest.fixture(scope="module")
def probe_schema(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(PROCESSED_EVENTS_DDL.format(schema=SCHEMA))
        conn.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.effects "
                     "(event_id uuid NOT NULL, ticket_id uuid NOT NULL, site text NOT NULL)")
    return SCHEMA


@pytest.fixture
def probe(container_factory, service_config, probe_schema):
    container = container_factory(KitProbe, dict(service_config, EVENT_RETRY_DELAY_S="0.2"))
    container.start()
    return container


def effects(database_url, **where):
    column, value = next(iter(where.items()))
    with psycopg.connect(database_url) as conn:
        return conn.execute(f"SELECT count(*) FROM {SCHEMA}.effects WHERE {column} = %s",
                            (value,)).fetchone()[0]


def processed(database_url, event_id):
    with psycopg.connect(database_url) as conn:
        return conn.execute(f"SELECT count(*) FROM {SCHEMA}.processed_events WHERE event_id = %s",
                            (event_id,)).fetchone()[0]


def ticket_issued(site, behaviour="ok"):
    now = datetime.now(timezone.utc)
    event = TicketIssued(site=site, occurred_at=now, ticket_id=uuid4(), number="A-001", service="SKCK",
                         priority="regular", issued_at=now, has_contact=False)
    BEHAVIOUR[str(event.event_id)] = behaviour
    return event


def publish(config, event_type, body):
    """What the outbox relay does: a JSON body on queue.events, routing key = type."""
    event_dispatcher(config)("queue", event_type, body)


def outcome_count(container, outcome):
    metrics = next(d for d in container.dependencies if isinstance(d, Metrics))
    return metrics.registry.get_sample_value(
        "ptsp_events_consumed_total", {"service": SCHEMA, "event_type": "ticket_issued", "outcome": outcome}) or 0


def cli(config, *args):
    out, err = io.StringIO(), io.StringIO()
    code = deadletters.main(["--amqp-uri", config["AMQP_URI"], *args], out=out, err=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def dead_letters(config):
    code, entries, _ = cli(config, "list", SCHEMA, "--json")
    assert code == 0
    return entries


def test_a_consumer_receives_what_the_queue_services_outbox_relay_publishes(
        runner_factory, service_config, site, probe_schema, database_url):
    """Broke: nobody consumed events, and nothing showed that a nameko handler gets
    what the outbox relay publishes. Checks: the real QueueService issues a ticket,
    its relay publishes TicketIssued, and the kit's handler acts on it once."""
    from services.queue.service import QueueService

    runner = runner_factory(service_config, QueueService, KitProbe)
    runner.start()
    with ClusterRpcProxy(service_config) as rpc:
        ticket = rpc.queue.issue_ticket(site, {"service": "SKCK"})

    wait_for(lambda: effects(database_url, ticket_id=ticket["id"]))
    with psycopg.connect(database_url) as conn:
        event_id, = conn.execute(f"SELECT event_id FROM {SCHEMA}.effects WHERE ticket_id = %s",
                                 (ticket["id"],)).fetchone()
    assert processed(database_url, event_id) == 1
    assert effects(database_url, ticket_id=ticket["id"]) == 1


def test_a_handler_that_fails_twice_then_succeeds_acts_once_after_two_retries_with_backoff(
        probe, service_config, site, database_url):
    """Broke: nameko acks a message whose handler raised, so the event was lost.
    Checks: two failures are retried through the delay queues, waiting at least the
    backoff (0.2 s, then 0.4 s), and the third try's effect is the only one kept."""
    event = ticket_issued(site, "fail_twice")
    publish(service_config, "ticket_issued", event.payload())

    wait_for(lambda: processed(database_url, event.event_id))
    calls = CALLS[str(event.event_id)]
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.2 and calls[2] - calls[1] >= 0.4
    assert effects(database_url, event_id=event.event_id) == 1
    assert outcome_count(probe, "retried") == 2 and outcome_count(probe, "handled") == 1
    assert dead_letters(service_config) == []


def test_a_handler_that_always_fails_is_dead_lettered_with_nothing_half_written_and_replays_once(
        probe, service_config, site, database_url):
    """Broke: a handler that kept failing lost the event, and the processed-id record
    could outlive a failed handler. Checks: after 1 + 3 retries the message is in
    kitprobe.dead with its reason and attempt count; the handler wrote its effect and
    then failed each time, and neither the effect nor the processed id was kept (one
    transaction); after a fix, replaying it acts exactly once and empties the queue."""
    event = ticket_issued(site, "always")
    publish(service_config, "ticket_issued", event.payload())

    entry, = wait_for(lambda: dead_letters(service_config))
    assert entry["event_id"] == str(event.event_id) and entry["event_type"] == "ticket_issued"
    assert entry["attempts"] == 4 and entry["reason"] == "DownstreamError: printer offline"
    assert entry["queue"] == "kitprobe.queue.ticket_issued" and entry["dead_at"]
    assert len(CALLS[str(event.event_id)]) == 4
    assert effects(database_url, event_id=event.event_id) == 0
    assert processed(database_url, event.event_id) == 0
    assert dead_letters(service_config) == [entry]  # listing leaves it there

    BEHAVIOUR[str(event.event_id)] = "ok"  # the fix
    code, replayed, summary = cli(service_config, "replay", SCHEMA, "--id", str(event.event_id), "--json")
    assert code == 0 and [r["event_id"] for r in replayed] == [str(event.event_id)]
    assert "1 replayed" in summary
    wait_for(lambda: processed(database_url, event.event_id))
    assert effects(database_url, event_id=event.event_id) == 1
    assert dead_letters(service_config) == []
    assert cli(service_config, "replay", SCHEMA, "--id", str(event.event_id))[0] == deadletters.EXIT_NOT_FOUND


def test_a_redelivered_event_acts_once(probe, service_config, site, database_url):
    """Broke: delivery is at least once (the relay may publish a row twice), and a
    handler acted on every copy. Checks: the same event published twice is handled
    once and the second copy is acknowledged as a duplicate."""
    event = ticket_issued(site)
    publish(service_config, "ticket_issued", event.payload())
    publish(service_config, "ticket_issued", event.payload())

    wait_for(lambda: outcome_count(probe, "handled") == 1 and outcome_count(probe, "duplicate") == 1)
    assert effects(database_url, event_id=event.event_id) == 1
    assert len(CALLS[str(event.event_id)]) == 1


def test_a_body_that_does_not_parse_is_dead_lettered_at_once_with_the_validation_error(
        probe, service_config, site, database_url):
    """Broke: a malformed event would be retried forever or dropped. Checks: it goes
    straight to the dead letters (one try, no retry), naming the fields that failed,
    and purge removes it."""
    body = ticket_issued(site).payload()
    del body["ticket_id"]
    body["priority"] = "vip"
    publish(service_config, "ticket_issued", body)

    entry, = wait_for(lambda: dead_letters(service_config))
    assert entry["attempts"] == 1 and entry["event_id"] == body["event_id"]
    assert entry["reason"].startswith("ValidationError: ")
    assert "ticket_id: Field required" in entry["reason"] and "priority: " in entry["reason"]
    assert "vip" not in entry["reason"]  # input values are not echoed
    assert outcome_count(probe, "retried") == 0 and outcome_count(probe, "dead_lettered") == 1

    code, purged, _ = cli(service_config, "purge", SCHEMA, "--all", "--json")
    assert code == 0 and len(purged) == 1
    assert dead_letters(service_config) == []


def test_the_cli_answers_for_a_service_without_dead_letters_and_rejects_bad_arguments(service_config):
    """Checks the supervisor-facing contract: an empty list is success, a missing
    selection is a usage error, an unreachable broker is exit 1."""
    assert cli(service_config, "list", "nobody", "--json")[0] == 0
    assert cli(service_config, "replay", "nobody")[0] == deadletters.EXIT_USAGE
    code = deadletters.main(["--amqp-uri", "amqp://guest:guest@127.0.0.1:1/", "list", "nobody"],
                            out=io.StringIO(), err=io.StringIO())
    assert code == deadletters.EXIT_BROKER


def test_a_dead_letter_the_broker_refuses_is_kept_in_the_work_queue_until_it_is_accepted(
        probe, service_config, rabbit_config, rabbit_manager, site, database_url):
    """Broke: acking the original before its dead-letter copy is confirmed would lose
    the event when the broker refuses the copy. Checks: while a policy makes
    kitprobe.dead refuse every message, the original is requeued (never acked and
    dropped); once the policy is gone it lands in the dead letters after its 4 tries."""
    vhost = rabbit_config["vhost"]
    rabbit_manager._put("policies", vhost, "refuse-dead", json={
        "pattern": r"^kitprobe\.dead$", "apply-to": "queues", "priority": 10,
        "definition": {"max-length": 0, "overflow": "reject-publish"}})
    event = ticket_issued(site, "always")
    publish(service_config, "ticket_issued", event.payload())

    wait_for(lambda: outcome_count(probe, "requeued") >= 2)
    assert dead_letters(service_config) == []
    assert outcome_count(probe, "dead_lettered") == 0

    rabbit_manager._delete("policies", vhost, "refuse-dead")
    entry, = wait_for(lambda: dead_letters(service_config))
    assert entry["event_id"] == str(event.event_id) and entry["attempts"] == 4
    assert effects(database_url, event_id=event.event_id) == 0


def test_an_event_waits_out_a_database_outage_without_using_up_its_tries(
        container_factory, service_config, probe_schema, site, database_url, monkeypatch):
    """Broke: a consumer whose database is down would burn through its tries and
    dead-letter events that only needed the database back. Checks: with PostgreSQL
    unreachable the handler never runs, the event keeps being deferred (more times
    than its tries) and nothing is dead-lettered; a process with its database back
    then acts on it once."""
    monkeypatch.setattr(consumer, "GETCONN_TIMEOUT_S", 0.5)  # fail fast on the closed port
    down = container_factory(KitProbe, dict(service_config, EVENT_RETRY_DELAY_S="0.2",
                                            DATABASE_URL="postgresql://ptsp:ptsp@127.0.0.1:1/ptsp"))
    down.start()
    event = ticket_issued(site)
    publish(service_config, "ticket_issued", event.payload())

    wait_for(lambda: outcome_count(down, "deferred") >= 5)  # the probe has 1 + 3 tries
    assert outcome_count(down, "retried") == 0 and outcome_count(down, "dead_lettered") == 0
    assert dead_letters(service_config) == [] and CALLS[str(event.event_id)] == []
    down.stop()

    back = container_factory(KitProbe, dict(service_config, EVENT_RETRY_DELAY_S="0.2"))
    back.start()
    wait_for(lambda: processed(database_url, event.event_id))
    assert effects(database_url, event_id=event.event_id) == 1
    assert dead_letters(service_config) == []


def test_a_body_that_is_not_even_json_is_dead_lettered_and_the_consumer_keeps_going(
        probe, service_config, site, database_url):
    """Broke: nameko's consumer raises in its consuming loop on a body it cannot
    decode, and the message comes back forever. Checks: a non-JSON body and a
    body of a refused content type each land in the dead letters at once with the
    decoding error, and the next good event is still handled."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(service_config["AMQP_URI"].replace("pyamqp", "amqp", 1)))
    channel = connection.channel()
    for body, content_type in ((b"{not json", "application/json"), (b"hello", "text/plain")):
        channel.basic_publish("queue.events", "ticket_issued", body,
                              pika.BasicProperties(content_type=content_type, content_encoding="utf-8"))
    connection.close()

    entries = wait_for(lambda: (lambda found: found if len(found) == 2 else None)(dead_letters(service_config)))
    reasons = sorted(entry["reason"] for entry in entries)
    assert reasons[0].startswith("ContentDisallowed") and reasons[1].startswith("DecodeError")
    assert all(entry["attempts"] == 1 and entry["event_type"] == "ticket_issued" for entry in entries)

    event = ticket_issued(site)
    publish(service_config, "ticket_issued", event.payload())
    wait_for(lambda: processed(database_url, event.event_id))


def test_a_service_wired_wrongly_fails_at_start_with_a_clear_error(container_factory, service_config):
    """Broke: a handler without a database, or two handlers of one event type sharing
    one work queue, would fail per event at run time. Checks: the container refuses
    to start and says why."""
    from nameko.events import EventHandlerConfigurationError

    class NoDatabase:
        name = "kitnodb"

        @consume(TicketIssued)
        def on_issued(self, event, tx):
            pass

    class TwoHandlers:
        name = "kittwice"
        db = Database()

        @consume(TicketIssued)
        def first(self, event, tx):
            pass

        @consume("queue", "ticket_issued")
        def second(self, event, tx):
            pass

    for service, complaint in ((NoDatabase, "shared.infrastructure.postgres.Database"), (TwoHandlers, "two handlers")):
        with pytest.raises(EventHandlerConfigurationError, match=complaint):
            container_factory(service, service_config).start()
