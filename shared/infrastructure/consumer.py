"""The event consumer kit: how a service handles another service's events safely.

nameko's ``@event_handler`` acknowledges a message whose handler raised, so a
failing handler loses the event. ``@consume`` is an ``EventHandler`` that instead:

* parses the body into its pydantic model (``shared.contracts.events``); a body that does not
  parse goes straight to the dead-letter queue, with the validation error as the
  reason, and is never retried;
* records the event id in the consuming service's ``processed_events`` table in the
  SAME PostgreSQL transaction as the handler's work (the handler gets that
  transaction's cursor), so a redelivered event does nothing;
* on failure, rolls the transaction back and publishes a copy of the message to a
  delay queue whose expired messages return to the work queue (exponential backoff);
  after the last retry the copy goes to ``<service>.dead`` with the error and the
  attempt count in its headers, where ``python -m shared.infrastructure.deadletters`` lists, replays
  and purges it. While the service's database is unreachable a try does not count:
  the event waits in the delay queues instead of being dead-lettered by an outage.

The copy is published with publisher confirms BEFORE the original is acknowledged;
when that publish fails the original is requeued instead, so nothing is dropped.

Broker layout for a service ``S`` consuming ``<source>.<event_type>``::

    <source>.events ──(routing key <event_type>)──▶ S.<source>.<event_type>   work queue
    S.retry.<ms>ms   delay queue per backoff step (x-message-ttl=<ms>,
                     x-dead-letter-exchange=S.retry)
    S.retry          headers exchange: a message whose header ptsp-queue names a work
                     queue goes back to it (every work queue is bound by its name)
    S.dead           dead letters

Usage (a documents or notify service)::

    from shared.infrastructure.consumer import consume
    from shared.contracts.events import TicketCompleted
    from shared.infrastructure.postgres import Database

    class DocumentsService:
        name = "documents"
        db = Database()          # the kit uses this pool for its transaction

        @consume(TicketCompleted, retries=5)
        def on_ticket_completed(self, event: TicketCompleted, tx):
            handlers.advance_journey(tx, event)   # tx: the transaction's cursor

The consuming service's schema needs the table: run ``PROCESSED_EVENTS_DDL`` in one
of its migrations (``op.execute(PROCESSED_EVENTS_DDL.format(schema="documents"))``).
"""
import logging
import math
import sys
from datetime import datetime, timezone
from functools import partial

import eventlet
from kombu import Exchange, Queue, binding
from nameko.amqp.publish import Publisher
from nameko.containers import ContainerBeingKilled
from nameko.events import EventHandler, EventHandlerConfigurationError
from nameko.extensions import SharedExtension
from nameko.messaging import Consumer
from nameko.standalone.events import get_event_exchange
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import ValidationError

from shared.contracts.events import Event
from shared.infrastructure.rpc import ReconnectingQueueConsumer

log = logging.getLogger(__name__)

PROCESSED_EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.processed_events (
    handler text NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, event_id)
);
"""

# Message headers the kit sets (AMQP header tables; values are ints and short strings).
ATTEMPTS = "ptsp-attempts"      # failed tries so far (absent on a first delivery)
QUEUE = "ptsp-queue"            # the work queue a retried or dead message belongs to
ERROR_TYPE = "ptsp-error-type"  # exception class of the last failure
ERROR = "ptsp-error"            # its message, first line, truncated
EVENT_TYPE = "ptsp-event-type"
EVENT_ID = "ptsp-event-id"
DEAD_AT = "ptsp-dead-at"        # ISO 8601 UTC
REPLAYED = "ptsp-replayed"      # times an operator replayed it from the dead letters
KIT_HEADERS = (ATTEMPTS, QUEUE, ERROR_TYPE, ERROR, EVENT_TYPE, EVENT_ID, DEAD_AT)

MAX_REASON = 300
GETCONN_TIMEOUT_S = 5.0
REQUEUE_PAUSE_S = 1.0


def work_queue_name(service, source, event_type):
    return f"{service}.{source}.{event_type}"


def dead_queue_name(service):
    return f"{service}.dead"


def retry_exchange_name(service):
    return f"{service}.retry"


def retry_queue_name(service, delay_ms):
    # The delay is in the name: a changed schedule declares new queues instead of
    # clashing with the arguments of the old ones.
    return f"{service}.retry.{delay_ms}ms"


def retry_exchange(service):
    return Exchange(retry_exchange_name(service), type="headers", durable=True)


def retry_queue(service, delay_ms):
    # One queue per delay: every message in it has the same TTL, so the head always
    # expires first and no message waits behind a longer one.
    return Queue(retry_queue_name(service, delay_ms), durable=True, queue_arguments={
        "x-message-ttl": delay_ms, "x-dead-letter-exchange": retry_exchange_name(service)})


def dead_queue(service):
    return Queue(dead_queue_name(service), durable=True)


def backoff_ms(failures, delay_s, max_delay_s):
    """Delay before try ``failures + 1``: delay, 2×delay, 4×delay, … capped."""
    return int(math.ceil(1000 * min(delay_s * 2 ** (failures - 1), max_delay_s)))


def describe(exc) -> str:
    """``Type: first line of the message`` — enough to act on, short, and without
    the input values pydantic would echo."""
    if isinstance(exc, ValidationError):
        message = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False))
    else:
        message = (str(exc).splitlines() or [""])[0]
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:MAX_REASON]


def event_model(source, event_type) -> type[Event]:
    """The pydantic model of ``<source>.<event_type>`` among ``shared.contracts.events``."""
    pending = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if getattr(cls, "source", None) == source and getattr(cls, "event_type", None) == event_type:
            return cls
    raise EventHandlerConfigurationError(f"no event model for {source}.{event_type} in shared.contracts.events")


def consumer_metrics(registry):
    from prometheus_client import Counter

    return Counter(
        "ptsp_events_consumed_total",
        "Events taken from a work queue, by what became of them "
        "(handled, duplicate, retried, deferred, dead_lettered, requeued)",
        ["service", "event_type", "outcome"], registry=registry)


class ConsumerKit(SharedExtension):
    """One per container: the confirming publisher for retry and dead-letter copies,
    the work queues in use, and the outcome counter (when the service has a
    ``shared.infrastructure.metrics.Metrics`` provider)."""

    def __init__(self):
        super().__init__()
        self.queues = {}
        self.counter = None

    def setup(self):
        service = self.container.service_name
        self.publisher = Publisher(
            self.container.config["AMQP_URI"], use_confirms=True, mandatory=True, serializer="json",
            declare=[retry_exchange(service), dead_queue(service)],
            retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )

    def start(self):
        from shared.infrastructure.metrics import Metrics

        metrics = [d for d in self.container.dependencies if isinstance(d, Metrics)]
        if metrics:
            self.counter = consumer_metrics(metrics[0].registry)

    def register(self, entrypoint):
        if entrypoint.queue_name in self.queues:
            raise EventHandlerConfigurationError(
                f"{self.container.service_name} has two handlers of {entrypoint.source_service}."
                f"{entrypoint.event_type}; one handler per event type and service")
        self.queues[entrypoint.queue_name] = entrypoint

    def count(self, event_type, outcome):
        if self.counter is not None:
            self.counter.labels(self.container.service_name, event_type, outcome).inc()

    def publish_copy(self, message, routing_key, headers, declare=()):
        """Publish the original body with our headers; raises unless confirmed and routed."""
        merged = {k: v for k, v in (message.headers or {}).items()
                  if k not in KIT_HEADERS and k != "x-death"}
        merged.update(headers)
        self.publisher.publish(
            message.body, exchange="", routing_key=routing_key, headers=merged,
            content_type=message.content_type, content_encoding=message.content_encoding,
            declare=list(declare))


class EventQueueConsumer(ReconnectingQueueConsumer):
    """nameko's queue consumer (a connection of its own for the kit's entrypoints),
    reconnecting every second after a broker outage (shared.infrastructure.rpc), plus:
    a message that cannot even be decoded (not JSON, or a content type the
    service does not accept) is dead-lettered by its entrypoint. nameko's consumer
    would raise in its consuming loop and leave the message to come back forever."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider, message, exc):
        # Called in the consuming loop: publish from a thread of its own.
        self.container.spawn_managed_thread(partial(provider.handle_undecodable, message, exc))


class EventConsumer(EventHandler):
    """The ``@consume`` entrypoint (see the module docstring)."""

    kit = ConsumerKit()
    queue_consumer = EventQueueConsumer()

    def __init__(self, source, event_type=None, retries=5, delay=1.0, max_delay=300.0,
                 database=None, schema=None, **kwargs):
        """``consume(EventModel)`` or ``consume("<source>", "<event_type>")``.

        retries: tries after the first before the message is dead-lettered (0: none).
        delay, max_delay: seconds before the first retry (doubling per retry; config
            ``EVENT_RETRY_DELAY_S`` overrides ``delay``), and the cap.
        database: attribute name of the ``shared.infrastructure.postgres.Database`` provider, when the
            service has more than one.
        schema: where ``processed_events`` is; defaults to the service's name.
        """
        if isinstance(source, type) and issubclass(source, Event):
            source, event_type = source.source, source.event_type
        if event_type is None:
            raise EventHandlerConfigurationError("consume(source, event_type) or consume(EventModel)")
        self.model = event_model(source, event_type)
        self.retries = int(retries)
        self.delay = float(delay)
        self.max_delay = float(max_delay)
        self.database = database
        self.schema = schema
        super().__init__(source, event_type, requeue_on_error=False, **kwargs)

    def setup(self):
        from shared.infrastructure.postgres import Database

        service = self.container.service_name
        self.schema = self.schema or service
        self.handler_key = f"{self.source_service}.{self.event_type}"
        self.queue_name = work_queue_name(service, self.source_service, self.event_type)
        self.queue = Queue(self.queue_name, durable=True, bindings=[
            binding(get_event_exchange(self.source_service, self.container.config), routing_key=self.event_type),
            # Retried messages come back through the service's retry exchange.
            binding(retry_exchange(service), arguments={"x-match": "all", QUEUE: self.queue_name}),
        ])
        databases = [d for d in self.container.dependencies if isinstance(d, Database)
                     and (self.database is None or d.attr_name == self.database)]
        if len(databases) != 1:
            raise EventHandlerConfigurationError(
                f"{service}.{self.method_name}: @consume needs exactly one shared.infrastructure.postgres.Database "
                "provider on the service (or database=<attribute name>)")
        self.db_provider = databases[0]
        override = self.container.config.get("EVENT_RETRY_DELAY_S")
        if override not in (None, ""):
            self.delay = float(override)
        if not self.delay > 0 or self.retries < 0:
            raise EventHandlerConfigurationError("@consume needs retries >= 0 and a delay > 0")
        self.kit.register(self)
        Consumer.setup(self)  # not EventHandler.setup, which would name the queue itself

    # --- a delivery -----------------------------------------------------------

    def handle_message(self, body, message):
        failures = int((message.headers or {}).get(ATTEMPTS) or 0)
        try:
            event = self.model.model_validate(body)
        except ValidationError as exc:
            # It will never parse, however often it is tried.
            self._dead_letter(message, failures + 1, exc, event_id=_body_event_id(body))
            return

        conn = None
        try:
            conn = self.db_provider.pool.getconn(timeout=GETCONN_TIMEOUT_S)
            cur = conn.cursor(row_factory=dict_row)
            # A copy being handled elsewhere holds this row until it commits; wait for
            # it a bounded time (then retry like any failure), not forever.
            cur.execute("SET LOCAL lock_timeout = '5s'")
            cur.execute(
                sql.SQL("INSERT INTO {} (handler, event_id, event_type) VALUES (%s, %s, %s) "
                        "ON CONFLICT DO NOTHING").format(sql.Identifier(self.schema, "processed_events")),
                (self.handler_key, event.event_id, self.event_type))
            inserted = cur.rowcount
            cur.execute("SET LOCAL lock_timeout TO DEFAULT")
            # A redelivery already committed (or being handled right now: the insert
            # waits on the other transaction's row and then finds it) does nothing.
            if inserted == 0:
                self._release(conn, commit=False)
                self.queue_consumer.ack_message(message)
                self.kit.count(self.event_type, "duplicate")
                log.info("%s: event %s already processed", self.queue_name, event.event_id)
                return
        except Exception as exc:
            unavailable = conn is None or conn.broken
            if conn is not None:
                self._release(conn, commit=False)
            self._failed(message, failures, exc, event, unavailable=unavailable)
            return

        handle_result = partial(self.handle_event_result, message, conn, failures, event)
        try:
            self.container.spawn_worker(
                self, (event, cur), {}, context_data=self.unpack_message_headers(message),
                handle_result=handle_result)
        except ContainerBeingKilled:
            self._release(conn, commit=False)
            self.queue_consumer.requeue_message(message)

    def handle_undecodable(self, message, exc):
        failures = int((message.headers or {}).get(ATTEMPTS) or 0)
        self._dead_letter(message, failures + 1, exc)

    def handle_event_result(self, message, conn, failures, event, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            try:
                self._release(conn, commit=True)
            except Exception:  # the commit failed: nothing was done, so try again
                exc_info = sys.exc_info()
        else:
            self._release(conn, commit=False)
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            self.kit.count(self.event_type, "handled")
        else:
            self._failed(message, failures, exc_info[1], event, unavailable=conn.broken)
        return result, exc_info

    # --- failures ---------------------------------------------------------------

    def _failed(self, message, failures, exc, event, unavailable=False):
        # A database that is down or lost its connection is not the handler's fault:
        # the event waits (retried at the current step's delay, attempts unchanged)
        # instead of being dead-lettered by an outage.
        attempts = failures if unavailable else failures + 1
        if attempts > self.retries:
            self._dead_letter(message, attempts, exc, event_id=str(event.event_id))
            return
        service = self.container.service_name
        delay_ms = backoff_ms(max(attempts, 1), self.delay, self.max_delay)
        headers = {ATTEMPTS: attempts, QUEUE: self.queue_name, ERROR_TYPE: type(exc).__name__,
                   ERROR: describe(exc), EVENT_TYPE: self.event_type, EVENT_ID: str(event.event_id)}
        try:
            self.kit.publish_copy(message, retry_queue_name(service, delay_ms), headers,
                                  declare=[retry_queue(service, delay_ms)])
        except Exception as publish_exc:
            self._requeue(message, publish_exc)
            return
        self.queue_consumer.ack_message(message)
        if unavailable:
            self.kit.count(self.event_type, "deferred")
            log.warning("%s: event %s waits for the database (%s); retry in %d ms", self.queue_name,
                        event.event_id, type(exc).__name__, delay_ms)
            return
        self.kit.count(self.event_type, "retried")
        log.warning("%s: event %s failed (try %d of %d, %s); retry in %d ms", self.queue_name,
                    event.event_id, attempts, self.retries + 1, type(exc).__name__, delay_ms)

    def _dead_letter(self, message, attempts, exc, event_id=None):
        headers = {ATTEMPTS: attempts, QUEUE: self.queue_name, ERROR_TYPE: type(exc).__name__,
                   ERROR: describe(exc), EVENT_TYPE: self.event_type,
                   DEAD_AT: datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if event_id:
            headers[EVENT_ID] = event_id
        try:
            self.kit.publish_copy(message, dead_queue_name(self.container.service_name), headers)
        except Exception as publish_exc:
            self._requeue(message, publish_exc)
            return
        self.queue_consumer.ack_message(message)
        self.kit.count(self.event_type, "dead_lettered")
        log.error("%s: event %s dead-lettered after %d tries: %s", self.queue_name, event_id,
                  attempts, type(exc).__name__)

    def _requeue(self, message, publish_exc):
        # The copy was not confirmed: keep the original. A short pause so a broker that
        # refuses publishes is not hammered by the immediate redelivery.
        log.warning("%s: could not publish the retry copy (%s); requeueing", self.queue_name,
                    type(publish_exc).__name__)
        self.kit.count(self.event_type, "requeued")
        eventlet.sleep(REQUEUE_PAUSE_S)
        self.queue_consumer.requeue_message(message)

    def _release(self, conn, commit):
        try:
            if commit:
                conn.commit()
            else:
                try:
                    conn.rollback()
                except Exception:  # a broken connection: the pool discards it
                    pass
        finally:
            self.db_provider.pool.putconn(conn)


def _body_event_id(body):
    if isinstance(body, dict) and isinstance(body.get("event_id"), str):
        return body["event_id"][:64]
    return None


consume = EventConsumer.decorator
