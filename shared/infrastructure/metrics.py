"""Prometheus metrics for a nameko service process.

Each service gets its own ``CollectorRegistry`` (never the global one, so several
containers in one test process don't collide) and serves it on METRICS_PORT.
Labels hold service codes, entrypoint names and outcomes — never personal data.
"""
import time
import weakref

from nameko.extensions import DependencyProvider
import eventlet
import eventlet.wsgi
from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, make_wsgi_app

from shared.contracts.errors import PtspError

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics(DependencyProvider):
    """``define(registry)`` builds the service's own instruments; the worker gets
    that object. Every entrypoint's latency and outcome is recorded here."""

    def __init__(self, define=None):
        self.define = define
        self._started = weakref.WeakKeyDictionary()
        self.server = None
        self.socket = None

    def setup(self):
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_* (CPU, memory, fds, start time)
        service = self.container.service_name
        self.latency = Histogram(
            "ptsp_entrypoint_duration_seconds", "Time spent in an entrypoint",
            ["service", "entrypoint", "outcome"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.instruments = self.define(self.registry) if self.define else None
        self._service = service

    def start(self):
        port = int(self.container.config.get("METRICS_PORT") or 0)
        if port:
            # Served by eventlet's WSGI server in a greenthread: prometheus-client's
            # own threaded server calls getaddrinfo in a way eventlet's green DNS rejects.
            host = self.container.config.get("METRICS_HOST") or "127.0.0.1"
            self.socket = eventlet.listen((host, port))
            self.server = eventlet.spawn(
                eventlet.wsgi.server, self.socket, make_wsgi_app(self.registry), log_output=False)

    def stop(self):
        if self.server is not None:
            self.server.kill()
            self.socket.close()
            self.server = None

    kill = stop

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], PtspError):
            outcome = "rejected"
        else:
            outcome = "error"
        self.latency.labels(self._service, worker_ctx.entrypoint.method_name, outcome).observe(
            time.perf_counter() - started)

    def get_dependency(self, worker_ctx):
        return self.instruments

