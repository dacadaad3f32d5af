"""The queue service's own resources: its store (the unit of work over the queue
schema), the display projection in Redis, and its metrics. The store tells the
projection and the metrics after each commit that raised events."""
import logging

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, Summary

from shared.contracts import events
from shared.infrastructure.config import settings_from
from shared.infrastructure.redis_store import make_client
from shared.infrastructure.unit_of_work import UnitOfWorkProvider
from services.queue import display, monitoring
from services.queue.handlers import rules_from
from services.queue.repository import QueueRepositories, journal_change

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
        # Counters only grow: an officer's undo is counted apart (completed − undone complete = served).
        self.undone = Counter("ptsp_tickets_undone_total", "Completes, no-shows and transfers undone by the officer",
                              ["site", "service", "action"], registry=registry)
        self.requeued = counter("ptsp_tickets_requeued_total",
                                "Called tickets put back in the queue by a supervisor freeing a counter")
        self.queue_length = Gauge("ptsp_queue_length", "Tickets waiting now", ["site", "service"],
                                  registry=registry)
        self.wait = Histogram("ptsp_wait_seconds", "Time from issue to call", ["site", "service"],
                              buckets=WAIT_BUCKETS, registry=registry)
        self.service_time = Histogram("ptsp_service_seconds", "Time from start to completion",
                                      ["site", "service"], buckets=SERVICE_BUCKETS, registry=registry)
        self.outbox_pending = Gauge("ptsp_outbox_pending", "Events committed but not yet published",
                                    registry=registry)
        # Operations (alerts and dashboards; see docs/architecture.md, "Operations").
        self.outbox_oldest = Gauge("ptsp_outbox_oldest_age_seconds",
                                   "Age of the oldest event not yet published (0 when none)", registry=registry)
        self.over_target = counter("ptsp_waits_over_target_total", "Calls whose wait exceeded the service's target")
        self.target = Gauge("ptsp_wait_target_seconds", "The service's target wait", ["site", "service"],
                            registry=registry)
        self.oldest_waiting = Gauge("ptsp_queue_oldest_wait_seconds", "How long the longest-waiting ticket has waited",
                                    ["site", "service"], registry=registry)
        self.display_stored = Gauge("ptsp_display_updated_timestamp_seconds",
                                    "Unix time the site's display state was last stored or found current in Redis",
                                    ["site"], registry=registry)
        # Counter numbers, not officers: a handful per site.
        self.counter_calls = Counter("ptsp_counter_calls_total", "Tickets called to a counter", ["site", "counter"],
                                     registry=registry)
        self.counter_service = Summary("ptsp_counter_service_seconds", "Service time at a counter",
                                       ["site", "counter"], registry=registry)
        self.targets = {}
        self.sites_with_targets = set()

    def record(self, event):
        labels = (event.site, event.service) if hasattr(event, "service") else None
        if isinstance(event, events.TicketIssued):
            self.issued.labels(*labels).inc()
        elif isinstance(event, events.TicketCalled):
            self.called.labels(*labels).inc()
            self.wait.labels(*labels).observe(event.wait_s)
            self.counter_calls.labels(event.site, str(event.counter)).inc()
            target = self.targets.get(labels)
            if target is not None and event.wait_s > target:
                self.over_target.labels(*labels).inc()
        elif isinstance(event, events.TicketCompleted):
            self.completed.labels(*labels).inc()
            self.service_time.labels(*labels).observe(event.service_time_s)
            self.counter_service.labels(event.site, str(event.counter)).observe(event.service_time_s)
        elif isinstance(event, events.TicketNoShow):
            self.no_shows.labels(*labels).inc()
        elif isinstance(event, events.TicketTransferred):
            self.transferred.labels(*labels).inc()
        elif isinstance(event, events.TicketCancelled):
            self.cancelled.labels(*labels).inc()
        elif isinstance(event, events.TicketRestored):
            self.undone.labels(*labels, event.undone).inc()
        elif isinstance(event, events.TicketRequeued):
            self.requeued.labels(*labels).inc()

    def after_commit(self, uow):
        """Runs after the display projection's hook, which leaves the new state."""
        if uow.site_code not in self.sites_with_targets or any(
                isinstance(event, events.TicketCalled) for event in uow.events):
            # the targets the waits are measured against, as they are now
            with uow.factory.cursor() as cur:
                for site, targets in monitoring.wait_targets(cur, uow.site_code).items():
                    self.set_targets(site, targets)
        for event in uow.events:
            self.record(event)
        state = getattr(uow, "display_state", None)
        if state is not None:
            self.set_queue_lengths(state)
            self.display_current(uow.site_code)

    def set_queue_lengths(self, state):
        for service, waiting in state["waiting"].items():
            self.queue_length.labels(state["site"], service).set(waiting)

    def set_targets(self, site, targets):
        """Learn the services' targets; their counters start at 0 so that rates and
        ratios over them exist before the first ticket of the day."""
        self.sites_with_targets.add(site)
        for service, target in targets.items():
            self.targets[(site, service)] = target
            self.target.labels(site, service).set(target)
            for instrument in (self.issued, self.called, self.completed, self.no_shows, self.transferred,
                               self.cancelled, self.over_target, self.wait, self.service_time):
                instrument.labels(site, service)

    def set_oldest_waiting(self, site, ages):
        for service, age in ages.items():
            self.oldest_waiting.labels(site, service).set(age)

    def set_outbox(self, pending, oldest_age_s):
        self.outbox_pending.set(pending)
        self.outbox_oldest.set(oldest_age_s)

    def display_current(self, site):
        self.display_stored.labels(site).set_to_current_time()


class QueueStore(UnitOfWorkProvider):
    """The queue schema: units of work over its repositories, journaled, with the
    display projection and the metrics told after every commit that raised events,
    and the relay that publishes the outbox."""

    def __init__(self):
        super().__init__("queue", QueueRepositories, journal=journal_change,
                         after_commit=("display", "metrics"), rules=rules_from, publishes_events=True)


class DisplayProjection(DependencyProvider):
    """The display boards' state in Redis (one client per process). After a commit
    it rebuilds the site's state from PostgreSQL; Redis being down does not undo
    the commit: the reconcile timer (and the gateway, on a miss) rebuild it later."""

    def setup(self):
        self.client = make_client(self.container.config["REDIS_URL"])
        self.namespace = settings_from(self.container.config).REDIS_NAMESPACE

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return Projection(display.DisplayStore(self.client, self.namespace))


class Projection:
    def __init__(self, store):
        self.store = store

    def after_commit(self, uow):
        uow.display_state = self.refresh(uow.factory, uow.site_code)

    def refresh(self, uow_factory, site_code):
        """Rebuild and store ``site_code``'s state; the state, or None if it could not
        be stored (logged; repaired by the reconcile timer)."""
        try:
            with uow_factory.read(site_code) as uow:
                state = display.build_state(uow)
            self.store.save(state)
        except Exception as exc:  # noqa: BLE001 - logged, retried by reconcile
            log.warning("display refresh for %s failed: %s", site_code, type(exc).__name__)
            return None
        return state

    def load(self, site_code):
        return self.store.load(site_code)
