"""The queue's operations metrics on their own (a private registry, no server):
waits over the target, the per-counter figures, and counters that exist at 0."""
from datetime import datetime, timezone
from uuid import uuid4

from prometheus_client import CollectorRegistry

from shared.contracts import events
from services.queue.dependencies import QueueMetrics

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def ticket(service="SIM", **fields):
    return dict(site="s", occurred_at=NOW, ticket_id=uuid4(), number="A-001", service=service, priority="regular",
                **fields)


def test_a_call_counts_over_target_only_when_its_wait_exceeds_the_services_target():
    """Breaks: a wait equal to the target counted as over it, a service without a
    known target counted at all, the counter number missing from the per-counter
    figures. Checks the counter, the target gauge and the per-counter calls."""
    registry = CollectorRegistry()
    metrics = QueueMetrics(registry)
    metrics.set_targets("s", {"SIM": 1800})
    value = registry.get_sample_value
    labels = {"site": "s", "service": "SIM"}
    assert value("ptsp_waits_over_target_total", labels) == 0  # exists before the first call
    assert value("ptsp_tickets_issued_total", labels) == 0
    assert value("ptsp_wait_target_seconds", labels) == 1800

    metrics.record(events.TicketCalled(**ticket(counter=2, wait_s=1800)))
    assert value("ptsp_waits_over_target_total", labels) == 0
    metrics.record(events.TicketCalled(**ticket(counter=2, wait_s=1800.5)))
    assert value("ptsp_waits_over_target_total", labels) == 1
    metrics.record(events.TicketCalled(**ticket("SKCK", counter=4, wait_s=9999)))
    assert value("ptsp_waits_over_target_total", {"site": "s", "service": "SKCK"}) is None

    assert value("ptsp_counter_calls_total", {"site": "s", "counter": "2"}) == 2
    assert value("ptsp_counter_calls_total", {"site": "s", "counter": "4"}) == 1
    metrics.record(events.TicketCompleted(**ticket(counter=2, service_time_s=300)))
    assert value("ptsp_counter_service_seconds_count", {"site": "s", "counter": "2"}) == 1
    assert value("ptsp_counter_service_seconds_sum", {"site": "s", "counter": "2"}) == 300


def test_time_driven_gauges_take_the_sampled_figures():
    """Breaks: the outbox age or the longest wait not reaching their gauges, a
    display timestamp that is not the current time. Checks each setter."""
    registry = CollectorRegistry()
    metrics = QueueMetrics(registry)
    metrics.set_outbox(3, 42.5)
    metrics.set_oldest_waiting("s", {"SIM": 1900.0, "SKCK": 0.0})
    metrics.display_current("s")
    value = registry.get_sample_value
    assert (value("ptsp_outbox_pending"), value("ptsp_outbox_oldest_age_seconds")) == (3, 42.5)
    assert value("ptsp_queue_oldest_wait_seconds", {"site": "s", "service": "SIM"}) == 1900
    stamp = value("ptsp_display_updated_timestamp_seconds", {"site": "s"})
    assert abs(stamp - datetime.now(timezone.utc).timestamp()) < 60


def test_undone_and_requeued_tickets_are_counted_apart():
    """Counters only grow: an undone complete stays in the completed count, and the
    undone count (per action) says how many to take off; a supervisor's requeue too."""
    registry = CollectorRegistry()
    metrics = QueueMetrics(registry)
    value = registry.get_sample_value
    metrics.record(events.TicketCompleted(**ticket(counter=2, service_time_s=300)))
    metrics.record(events.TicketRestored(**ticket(counter=2, undone="complete", status="serving")))
    metrics.record(events.TicketRestored(**ticket(counter=2, undone="no_show", status="called")))
    metrics.record(events.TicketRequeued(**ticket(counter=3)))
    assert value("ptsp_tickets_completed_total", {"site": "s", "service": "SIM"}) == 1
    assert value("ptsp_tickets_undone_total", {"site": "s", "service": "SIM", "action": "complete"}) == 1
    assert value("ptsp_tickets_undone_total", {"site": "s", "service": "SIM", "action": "no_show"}) == 1
    assert value("ptsp_tickets_requeued_total", {"site": "s", "service": "SIM"}) == 1
