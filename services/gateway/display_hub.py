"""One Redis subscription per gateway process, fanned out to every display stream.

Each ``/api/display/stream`` client (display boards, and every citizen's status page)
used to hold a Redis connection of its own: 300 streams made 420 Redis clients and
slowed ticket issue fivefold. Now a single greenthread subscribes to the site's
display channel and hands each message to every connected stream. When Redis goes
away it reconnects by itself (with backoff); once subscribed again it reads the
current state once and hands it to every stream, so boards catch up on what changed
while the connection was down."""
import logging

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from shared.infrastructure.redis_store import client_name, display_channel, display_key, make_client

log = logging.getLogger(__name__)

CLOSED = object()  # sent to every stream when the gateway stops
RECONNECT_BACKOFF_S = (0.2, 0.5, 1, 2, 5)


class Listener:
    """One stream's mailbox. Each message is a whole display state, so only the
    latest matters: a slow stream never makes the hub wait or pile up messages."""

    def __init__(self):
        self.queue = LightQueue(maxsize=1)

    def offer(self, message):
        try:
            self.queue.put_nowait(message)
        except Exception:  # noqa: BLE001 - full: the older state is superseded
            try:
                self.queue.get_nowait()
            except Empty:
                pass
            self.queue.put_nowait(message)

    def get(self, timeout):
        """The next message, or None after ``timeout`` seconds without one."""
        try:
            return self.queue.get(timeout=timeout)
        except Empty:
            return None


class DisplayHub(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.client = make_client(config["REDIS_URL"], client_name(config, self.container.service_name) + ".hub")
        namespace, site = config.get("REDIS_NAMESPACE") or "ptsp", config.get("PTSP_SITE") or "polres-demo"
        self.channel = display_channel(self.client, namespace, site)
        self.key = display_key(namespace, site)
        self.listeners = set()
        self.running = False
        self.subscribed = False
        self._gt = None

    def start(self):
        self.running = True
        self._gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.running = False
        for listener in list(self.listeners):
            listener.offer(CLOSED)
        if self._gt is not None:
            self._gt.kill()
        self.client.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self

    # --- what the streams use ---------------------------------------------------

    def listen(self):
        listener = Listener()
        self.listeners.add(listener)
        return listener

    def forget(self, listener):
        self.listeners.discard(listener)

    # --- the subscription ---------------------------------------------------------

    def _run(self):
        failures = 0
        while self.running:
            pubsub = self.client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                while self.running:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        # (Re)subscribed: whatever changed while we were away is in the key.
                        self.subscribed, failures = True, 0
                        current = self.client.get(self.key)
                        if current:
                            self._fan_out(current)
                    elif message["type"] == "message":
                        self._fan_out(message["data"])
            except Exception as exc:  # noqa: BLE001 - Redis down or restarted: retry
                self.subscribed = False
                delay = RECONNECT_BACKOFF_S[min(failures, len(RECONNECT_BACKOFF_S) - 1)]
                failures += 1
                log.warning("display subscription lost (%s); retrying in %.1f s", type(exc).__name__, delay)
                eventlet.sleep(delay)
            finally:
                try:
                    pubsub.close()
                except Exception:  # noqa: BLE001
                    pass

    def _fan_out(self, message):
        for listener in list(self.listeners):
            listener.offer(message)
