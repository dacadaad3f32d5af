"""What an incoming event does to notify's own tables, inside the transaction the
consumer kit opens for it (the one that records the event id): the waiting-line
projection moves, and the messages the event gives are recorded as pending. They
are sent after the commit (:mod:`services.notify.delivery`), so a crash between
the two loses nothing: the pending messages are picked up by ``run_due``.
"""
import uuid

from shared.contracts import events as queue_events
from services.notify import domain
from services.notify import repository as repo


def record_queue_event(cur, event: queue_events.Event, rule: domain.TurnNearRule,
                       head_start_s: int) -> list[uuid.UUID]:
    """Apply a queue event; returns the ids of the messages it gives (to dispatch
    after the commit)."""
    services = domain.services_touched(event)
    if not services:
        return []
    repo.lock_lines(cur, event.site, services)
    lines = {service: repo.waiting_line(cur, event.site, service) for service in services}
    original = (repo.known_ticket(cur, event.ticket_id)
                if isinstance(event, queue_events.TicketTransferred) else None)
    change = domain.on_queue_event(event, lines, rule, head_start_s, transferred_from=original)
    repo.apply_change(cur, change)
    return repo.insert_messages(cur, change.messages)


def record_application_event(cur, event: domain.ApplicationEvent) -> list[uuid.UUID]:
    return repo.insert_messages(cur, domain.on_application_event(event))
