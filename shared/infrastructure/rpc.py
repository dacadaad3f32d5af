"""RPC that survives a broker outage and never carries out a command its caller
gave up on (DESIGN.md invariant 8).

nameko 2.14.1 as it comes:
- a reply that cannot be published (broker gone) raises in the worker thread, and
  any error there kills the whole container, so the process exits;
- its publishers retry a lost connection for about 9 s (DEFAULT_TRANSPORT_OPTIONS)
  and its consumers reconnect with a back-off that grows to 30 s, so a caller hangs
  during an outage and the first calls after it are slow;
- a request waits in the service's queue for as long as it takes, and a request
  redelivered after a lost connection runs again: a stale command is carried out
  after its caller has answered 503.

Here instead:
- ``rpc`` (the entrypoint) logs and drops a reply it cannot publish (its caller has
  timed out), refuses a request whose deadline has passed or that is a redelivery
  (a first delivery may already have been carried out), and its consumer reconnects
  every second;
- ``RpcProxy`` (the caller) fails fast with ``Unavailable`` when the broker is
  down, gives its request an AMQP ``expiration`` equal to its timeout, and sends
  the deadline along in the context data, where ``shared.infrastructure.postgres`` checks it
  just before committing, so a worker that picked the request up late refuses.
"""
import contextlib
import functools
import inspect
import logging
import sys
import time

import eventlet
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY, SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import IncorrectSignature, UnknownService
from nameko.messaging import QueueConsumer

import shared.infrastructure.rpc_errors  # noqa: F401 - errors cross RPC as themselves
from shared.contracts.commands import check_arguments
from shared.contracts.errors import PtspError, Unavailable

log = logging.getLogger(__name__)

# The context-data key (AMQP header ``nameko.deadline``) of a request's deadline, in
# seconds since the epoch. Services on one host share the clock; across hosts NTP
# keeps the skew far below the margin below.
DEADLINE_KEY = "deadline"
# How much earlier than the caller's timeout a worker must commit, so that the reply
# of a command that did commit reaches the caller before it gives up.
DEADLINE_MARGIN_S = 1.0
DEFAULT_TIMEOUT_S = 8.0

# Connecting to a broker that is down fails at once instead of retrying for ~9 s.
FAST_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# One retry, at once: a pooled connection the broker closed while it restarted is
# replaced and the message goes out on the new one.
FAST_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Consumers try to reconnect every second (nameko/kombu: 2 s growing to 30 s).
RECONNECT_INTERVAL_S = 1.0


def deadline_of(context_data):
    """The request's deadline (epoch seconds) from a worker's context data, or None."""
    try:
        value = (context_data or {}).get(DEADLINE_KEY)
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


class FastPublisher(Publisher):
    transport_options = FAST_TRANSPORT_OPTIONS
    retry_policy = FAST_RETRY_POLICY

    def publish(self, payload, **kwargs):
        # nameko sets ``confirm_publish`` in the dict it is given: give it a copy.
        kwargs.setdefault("transport_options", dict(self.transport_options))
        return super().publish(payload, **kwargs)


class ReconnectingQueueConsumer(QueueConsumer):
    """nameko's consumer with a steady one-second reconnect instead of kombu's
    back-off up to 30 s, so a service consumes again within seconds of the
    broker's return."""

    @property
    def connection(self):
        conn = super().connection
        conn.transport_options = dict(conn.transport_options or {}, **FAST_TRANSPORT_OPTIONS)
        return conn

    _connections = 0

    @contextlib.contextmanager
    def establish_connection(self):
        self._connections += 1
        if self._connections > 1:  # the previous connection was lost
            for provider in list(self._providers):
                if hasattr(provider, "on_broker_lost"):
                    provider.on_broker_lost()
        with self.create_connection() as conn:
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                   interval_start=RECONNECT_INTERVAL_S, interval_step=0,
                                   interval_max=RECONNECT_INTERVAL_S)
            yield conn

    def on_connection_error(self, exc, interval):
        log.warning("broker unreachable (%s); reconnecting in %.1fs", type(exc).__name__, interval)

    def ack_message(self, message):
        try:
            super().ack_message(message)
        except Exception as exc:  # noqa: BLE001 - the connection is gone: the broker requeues it
            log.warning("could not ack a message: %s", type(exc).__name__)


class Responder(nameko_rpc.Responder):
    publisher_cls = FastPublisher


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = ReconnectingQueueConsumer()

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = Responder(config[AMQP_URI_CONFIG_KEY], nameko_rpc.get_rpc_exchange(config),
                              config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
                              ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except Exception as exc:  # noqa: BLE001
            # nameko would let this kill the container. The caller has given up (or
            # will, at its timeout): log and drop the reply.
            log.warning("reply to %s not sent (%s); the caller times out",
                        message.delivery_info.get("routing_key"), type(exc).__name__)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    """``@rpc`` whose worker never runs a stale or repeated request."""

    rpc_consumer = RpcConsumer()

    def handle_message(self, body, message):
        deadline = deadline_of(self.unpack_message_headers(message))
        if deadline is not None and time.time() > deadline:
            # The caller has answered 503 already; nobody waits for a reply.
            log.warning("dropped %s: its deadline passed before it was picked up",
                        message.delivery_info.get("routing_key"))
            self.rpc_consumer.queue_consumer.ack_message(message)
            return
        if message.delivery_info.get("redelivered"):
            # A first delivery may have been carried out before the connection was
            # lost: refuse rather than risk doing it twice. The caller retries.
            log.warning("refused redelivered %s", message.delivery_info.get("routing_key"))
            try:
                raise Unavailable()
            except Unavailable:
                self.rpc_consumer.handle_result(message, None, sys.exc_info())
            return
        super().handle_message(body, message)


def rpc(method):
    """The RPC entrypoint every service uses. Its plain string arguments are checked
    like command fields (a NUL in a username or ticket id is a 422 naming it, not a
    database error). Refusals (PtspError: bad input, closed service, wrong counter,
    unavailable…) are answers, not failures: nameko logs them as expected."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None
        check_arguments((name, value) for name, value in bound.arguments.items() if name != "self")
        return method(self, *args, **kwargs)

    return Rpc.decorator(expected_exceptions=PtspError)(checked)


class ReplyListener(nameko_rpc.ReplyListener):
    queue_consumer = ReconnectingQueueConsumer()

    def on_broker_lost(self):
        """The connection to the broker broke: the replies awaited now are as good as
        lost (a request the broker still holds is refused when redelivered, or expires):
        the callers answer 503 at once instead of at their timeout."""
        pending, self._reply_events = self._reply_events, {}
        if pending:
            log.warning("broker connection lost: %d calls in flight answered unavailable", len(pending))
        for event in pending.values():
            if not event.ready():
                event.send_exception(Unavailable())

    def forget(self, reply_event):
        for correlation_id, event in list(self._reply_events.items()):
            if event is reply_event:
                self._reply_events.pop(correlation_id, None)


class MethodProxy(nameko_rpc.MethodProxy):
    publisher_cls = FastPublisher

    def __init__(self, worker_ctx, service_name, method_name, reply_listener, timeout=DEFAULT_TIMEOUT_S,
                 **options):
        self.timeout = timeout
        # The broker drops a request nobody consumed before the caller gave up.
        options.setdefault("expiration", timeout)
        super().__init__(worker_ctx, service_name, method_name, reply_listener, **options)

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        deadline = time.time() + self.timeout - DEADLINE_MARGIN_S
        inherited = deadline_of(worker_ctx.context_data)  # a call made by a worker with a deadline of its own
        if inherited is not None:
            deadline = min(deadline, inherited)
        headers[self._get_header_name(DEADLINE_KEY)] = deadline
        return headers

    def __call__(self, *args, **kwargs):
        try:
            reply = self._call(*args, **kwargs)
        except UnknownService:
            raise Unavailable() from None
        except Exception as exc:  # noqa: BLE001 - broker unreachable
            log.warning("%s.%s not sent: %s", self.service_name, self.method_name, type(exc).__name__)
            raise Unavailable() from None
        with eventlet.Timeout(self.timeout, False):
            return reply.result()
        self.reply_listener.forget(reply.reply_event)
        log.warning("%s.%s: no reply within %.1fs", self.service_name, self.method_name, self.timeout)
        raise Unavailable()


class ServiceProxy(nameko_rpc.ServiceProxy):
    def __getattr__(self, name):
        return MethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, **self.options)

    def with_timeout(self, timeout):
        """The same service with another wait, for one call whose caller can do
        without the answer (e.g. a check it may skip when the service is away)."""
        return ServiceProxy(self.worker_ctx, self.service_name, self.reply_listener,
                            **{**self.options, "timeout": timeout})


class RpcProxy(nameko_rpc.RpcProxy):
    """``RpcProxy(service, timeout=s)``: calls fail with ``Unavailable`` when the
    broker is down or no reply came within ``timeout``; the request expires then."""

    rpc_reply_listener = ReplyListener()

    def __init__(self, target_service, timeout=DEFAULT_TIMEOUT_S, **options):
        super().__init__(target_service, timeout=timeout, **options)

    def get_dependency(self, worker_ctx):
        return ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, **self.options)
