"""The queue service's own resources: its metrics, and the unit of work that ties
one transaction to what must follow its commit (display refresh, metrics)."""
import contextlib
import logging
from datetime import datetime, timezone

from prometheus_client import Counter, Gauge, Histogram

from shared import events
from services.queue import display, handlers
from services.queue import repository as repo

log = logging.getLogger(__name__)

WAIT_BUCKETS = (60, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800)
SERVICE_BUCKETS = (30, 60, 120, 300, 600, 900, 1200, 1800, 3600)


class QueueMetrics:
    """Labels are site and service codes only — never anything about a citizen."""

    def __init__(self, registry):
        def counter(name, doc):
            return Counter(name, doc, ["site", "service"], registry=registry)

        self.issued = counter("ptsp_tickets_issued_total", "Tickets issued at the kiosk")
        self.called = counter("ptsp_tickets_called_total", "Tickets called to a counter")
        self.completed = counter("ptsp_tickets_completed_total", "Tickets served to completion")
        self.no_shows = counter("ptsp_tickets_no_show_total", "Tickets whose holder did not come")
        self.transferred = counter("ptsp_tickets_transferred_total", "Tickets moved to another service")
        self.cancelled = counter("ptsp_tickets_cancelled_total", "Tickets cancelled by the citizen")
        self.queue_length = Gauge("ptsp_queue_length", "Tickets waiting now", ["site", "service"],
                                  registry=registry)
        self.wait = Histogram("ptsp_wait_seconds", "Time from issue to call", ["site", "service"],
                              buckets=WAIT_BUCKETS, registry=registry)
        self.service_time = Histogram("ptsp_service_seconds", "Time from start to completion",
                                      ["site", "service"], buckets=SERVICE_BUCKETS, registry=registry)
        self.outbox_pending = Gauge("ptsp_outbox_pending", "Events committed but not yet published",
                                    registry=registry)

    def record(self, event):
        labels = (event.site, event.service) if hasattr(event, "service") else None
        if isinstance(event, events.TicketIssued):
            self.issued.labels(*labels).inc()
        elif isinstance(event, events.TicketCalled):
            self.called.labels(*labels).inc()
            self.wait.labels(*labels).observe(event.wait_s)
        elif isinstance(event, events.TicketCompleted):
            self.completed.labels(*labels).inc()
            self.service_time.labels(*labels).observe(event.service_time_s)
        elif isinstance(event, events.TicketNoShow):
            self.no_shows.labels(*labels).inc()
        elif isinstance(event, events.TicketTransferred):
            self.transferred.labels(*labels).inc()
        elif isinstance(event, events.TicketCancelled):
            self.cancelled.labels(*labels).inc()

    def set_queue_lengths(self, state):
        for service, waiting in state["waiting"].items():
            self.queue_length.labels(state["site"], service).set(waiting)


def utcnow():
    return datetime.now(timezone.utc)


class UnitOfWork:
    """One transaction on the queue schema for one site; after it commits, the
    display projection and the metrics learn what changed."""

    def __init__(self, db, redis_client, metrics, settings, clock=utcnow):
        self.db = db
        self.store = display.DisplayStore(redis_client, settings.REDIS_NAMESPACE)
        self.metrics = metrics
        self.rules = handlers.QueueRules(settings.PRIORITY_HEAD_START_S, settings.MAX_RECALLS)
        self.secret = settings.PTSP_SECRET or ""
        self.clock = clock

    @contextlib.contextmanager
    def __call__(self, site_code, actor="system"):
        with self.db.transaction() as cur:
            ctx = handlers.Context(site=repo.site_by_code(cur, site_code), now=self.clock(),
                                   rules=self.rules, actor=actor, secret=self.secret)
            yield cur, ctx
        if ctx.events:
            for event in ctx.events:
                self.metrics.record(event)
            self.refresh_display(site_code)

    def refresh_display(self, site_code):
        """Rebuild the site's display state from PostgreSQL and store it. Redis
        being down does not undo a committed change: the periodic reconcile
        (and the gateway, on a miss) rebuilds it later."""
        try:
            with self.db.transaction() as cur:
                ctx = handlers.Context(site=repo.site_by_code(cur, site_code), now=self.clock(),
                                       rules=self.rules, actor="system")
                state = display.build_state(cur, ctx)
            self.store.save(state)
            self.metrics.set_queue_lengths(state)
            return state
        except Exception as exc:  # noqa: BLE001 - logged, retried by reconcile
            log.warning("display refresh for %s failed: %s", site_code, type(exc).__name__)
            return None
