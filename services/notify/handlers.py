"""What an incoming event does to notify's own tables, on a unit of work over the
transaction the consumer kit opens for it (the one that records the event id): the
waiting-line projection moves, and the messages the event gives are recorded as
pending. They are sent after the commit (:mod:`services.notify.delivery`), so a
crash between the two loses nothing: the pending messages are picked up by
``run_due``.
"""
import uuid

from shared.contracts import events as ev
from services.notify import domain


def record_queue_event(uow, event: ev.QueueEvent, rule: domain.TurnNearRule,
                       head_start_s: int) -> list[uuid.UUID]:
    """Apply a queue event; returns the ids of the messages it gives (to dispatch
    after the commit)."""
    services = domain.services_touched(event)
    if not services:
        return []
    uow.waiting.lock(event.site, services)
    lines = {service: uow.waiting.line(event.site, service) for service in services}
    known = (uow.waiting.known(event.ticket_id)
             if isinstance(event, (ev.TicketTransferred, ev.TicketCompleted)) else None)
    change = domain.on_queue_event(event, lines, rule, head_start_s, known=known)
    uow.waiting.apply(change)
    return uow.messages.add(change.messages)


def record_application_event(uow, event: ev.DocumentsEvent) -> list[uuid.UUID]:
    """An application event's message for its applicant (documents events)."""
    return uow.messages.add(domain.on_application_event(event))
