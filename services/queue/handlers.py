"""The queue's use cases: plain functions of a unit of work and a command.

A use case loads aggregates from the unit of work's repositories, lets the domain
change them (each change records its journal line and event), and saves them.
The unit of work journals and queues the events in the same transaction: either
all of it happens or none of it. No SQL and no framework here.
"""
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from shared.contracts.changes import Change
from shared.infrastructure.config import settings_from
from shared.contracts.enums import SUPERVISOR_ROLES
from shared.contracts.errors import Conflict, Forbidden, InvalidInput
from services.queue import access
from services.queue.commands import (
    CompleteTicket, IssueForStep, IssueTicket, OpenCounter, ReportPeriod, SubmitSurvey, TransferTicket,
)
from services.queue.domain import (
    ACTIVE_AT_COUNTER, UNDO_WINDOW_S, UNDOABLE, Ticket, format_number, local_date, rules_of,
)



@dataclass(frozen=True)
class QueueRules:
    priority_head_start_s: int = 900
    max_recalls: int = 3
    secret: str = field(default="", repr=False)  # the installation's, for ticket access keys


def rules_from(config) -> QueueRules:
    settings = settings_from(config)
    return QueueRules(settings.PRIORITY_HEAD_START_S, settings.MAX_RECALLS, settings.PTSP_SECRET or "")


def today(uow):
    """The site's own calendar day."""
    return local_date(uow.now, uow.site["timezone"])


def unknown_service(code, field_name="service"):
    return InvalidInput(f"Layanan {code} tidak dikenal.", f"Unknown service {code}.",
                        {field_name: f"unknown service {code}"})


# --- kiosk -------------------------------------------------------------------------

def issue_ticket(uow, cmd: IssueTicket, idempotency_key=None):
    """A new numbered ticket, or the one already issued for ``idempotency_key``.
    Returns (ticket id, created)."""
    request_hash = hashlib.sha256(json.dumps(cmd.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    if idempotency_key:
        uow.idempotency_keys.lock(idempotency_key)
        previous = uow.idempotency_keys.find(idempotency_key)
        if previous is not None:
            if previous["request_hash"] != request_hash:
                raise Conflict(
                    "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
                    "This Idempotency-Key was already used for a different request.",
                    {"Idempotency-Key": "reused with a different body"}, code="idempotency_key_reused")
            return previous["ticket_id"], False

    contact = cmd.contact.model_dump(exclude_none=True) if cmd.contact else {}
    ticket = _new_ticket(uow, cmd.service, cmd.priority, contact, cmd.language)
    if idempotency_key:
        uow.idempotency_keys.add(idempotency_key, request_hash, ticket.id)
    return ticket.id, True


def _new_ticket(uow, service_code, priority, contact, language, issued_by=None, check_hours=True, queued_at=None):
    service = uow.services.row(service_code)
    if service is None:
        raise unknown_service(service_code)
    rules = rules_of(service)
    if check_hours:
        closed = rules.closed_reason(uow.now, uow.site["timezone"])
        if closed:
            raise closed
    day = today(uow)
    seq = uow.numbers.take_next(service["code"], day)
    if check_hours:
        over_quota = rules.quota_reached(seq - 1)
        if over_quota:
            raise over_quota  # the transaction rolls back, giving the number back
    ticket = Ticket.issue(uuid.uuid4(), format_number(service["prefix"], seq), service["code"], priority, uow.now,
                          has_contact=bool(contact), language=language, issued_by=issued_by, queued_at=queued_at)
    return uow.tickets.add(ticket, day, seq, language, contact)


def issue_for_step(uow, cmd: IssueForStep):
    """A ticket issued by another service on the citizen's behalf (the next step of
    a documents journey): the given service and priority, queued at the citizen's
    original time so advancing costs them no place. Idempotent on ``request_id``."""
    uow.idempotency_keys.lock(cmd.request_id)
    previous = uow.idempotency_keys.find(cmd.request_id)
    if previous is not None:
        return previous["ticket_id"], False
    # A step of a journey already under way is not refused for hours or quota: the
    # citizen is in the hall and was admitted at their first ticket.
    ticket = _new_ticket(uow, cmd.service, cmd.priority, {}, cmd.language, issued_by=uow.actor, check_hours=False,
                         queued_at=cmd.queued_at)
    uow.idempotency_keys.add(cmd.request_id, "step", ticket.id)
    return ticket.id, True


def cancel_ticket(uow, ticket_id, access_key):
    """Only the holder cancels: the request must carry the ticket's access key."""
    ticket = uow.tickets.get(ticket_id, lock=True)
    access.check_ticket_key(uow.rules.secret, uow.tickets.row(ticket_id), access_key)
    counter = uow.counters.get(ticket.counter, lock=True) if ticket.status in ACTIVE_AT_COUNTER else None
    ticket.cancel(uow.now)
    uow.tickets.save(ticket)
    if counter is not None:
        counter.release()
        uow.counters.save(counter)
    return ticket.id


def cancel_step_ticket(uow, ticket_id):
    """A service that issued a step ticket (``issue_for_step``) withdraws it: its
    journey was cancelled. A ticket being served or already finished is left as it
    is (None): the officer finishes it."""
    ticket = uow.tickets.get(ticket_id, lock=True)
    if ticket.status not in ("waiting", "called"):
        return None
    counter = uow.counters.get(ticket.counter, lock=True) if ticket.status in ACTIVE_AT_COUNTER else None
    ticket.cancel(uow.now, reason="withdrawn")
    uow.tickets.save(ticket)
    if counter is not None:
        counter.release()
        uow.counters.save(counter)
    return ticket.id


def close_previous_days(uow):
    """Tickets still waiting from an earlier local day are cancelled by the system:
    the hall closed, and they must not be called or counted today."""
    for ticket in uow.tickets.left_waiting_before(today(uow)):
        ticket.cancel(uow.now, reason="day_closed")
        uow.tickets.save(ticket)


def ticket_contact(uow, ticket_id):
    """The holder's contact, for a service that must reach them (notify), with the
    holder's access key (the ``#k=`` of the status link in a message: the citizen can
    cancel from there). The read is journaled with the asking service as actor."""
    contact = uow.tickets.contact(ticket_id)
    uow.record(Change("read_contact", ticket_id=ticket_id))
    if contact.get("email") or contact.get("phone"):
        contact["access_key"] = access.ticket_access_key(uow.rules.secret, uow.tickets.row(ticket_id))
    return contact


def submit_survey(uow, ticket_id, access_key, cmd: SubmitSurvey, language="id"):
    """The holder rates a completed ticket, once (SKM, PermenPAN-RB 14/2017). The
    answer is journaled without its ratings or comment; no event carries it."""
    ticket = uow.tickets.get(ticket_id, lock=True)  # the lock serialises two answers for one ticket
    row = uow.tickets.row(ticket_id)
    access.check_ticket_key(uow.rules.secret, row, access_key)
    if ticket.status != "done":
        raise Conflict("Survei hanya dapat diisi setelah layanan selesai.",
                       "The survey can only be filled in after the service is completed.",
                       {"status": f"ticket is {ticket.status}, not done"}, code="survey_not_open")
    if uow.surveys.exists(ticket.id):
        raise Conflict("Survei untuk tiket ini sudah diisi. Terima kasih.",
                       "The survey for this ticket was already submitted. Thank you.",
                       {"ticket": "already rated"}, code="survey_already_submitted")
    uow.surveys.add(ticket.id, ticket.service_code, row["local_date"], cmd.ratings.model_dump(),
                    cmd.comment or None, language, uow.now)
    uow.record(Change("survey", ticket_id=ticket.id))
    return ticket.id


def report_period(uow, cmd: ReportPeriod):
    """The report's local days (from, to): a missing end is the other one, both
    missing is the site's today."""
    date_from = cmd.date_from or cmd.date_to or today(uow)
    return date_from, cmd.date_to or date_from


# --- officers ----------------------------------------------------------------------------

# --- counters -----------------------------------------------------------------------------

def open_counter(uow, number, cmd: OpenCounter, officer):
    counter = uow.counters.get(number, lock=True)
    for code in cmd.services:
        if uow.services.row(code) is None:
            raise unknown_service(code, "services")
    counter.open(officer, cmd.services, uow.now)
    uow.counters.save(counter)


def close_counter(uow, number, officer, role="officer"):
    """The officer closes their own counter; a supervisor or admin may close anyone's
    (e.g. one left open by an officer who has been deactivated)."""
    counter = uow.counters.get(number, lock=True)
    counter.close(officer, as_supervisor=role in SUPERVISOR_ROLES)
    uow.counters.save(counter)


def take_over_counter(uow, number, actor, role):
    """A supervisor or admin takes an open counter over, with its services and its
    current ticket, from whoever holds it; journaled with both names."""
    if role not in SUPERVISOR_ROLES:
        raise Forbidden("Hanya supervisor atau admin yang dapat mengambil alih loket.",
                        "Only a supervisor or admin can take over a counter.", {"role": role})
    counter = uow.counters.get(number, lock=True)
    counter.take_over(actor, uow.now)
    uow.counters.save(counter)


def _at_counter(uow, number, officer):
    """The officer's counter and its current ticket, both locked."""
    counter = uow.counters.get(number, lock=True)
    counter.require_owner(officer)
    return counter, uow.tickets.get(counter.require_current(), lock=True)


def call_next(uow, number, officer):
    counter = uow.counters.get(number, lock=True)
    counter.require_owner(officer)
    counter.require_free()
    ticket = uow.tickets.claim_next(counter.open_services, today(uow), uow.rules.priority_head_start_s)
    if ticket is None:
        return None
    ticket.call(number, uow.now)
    counter.take(ticket)
    uow.tickets.save(ticket)
    uow.counters.save(counter)
    return ticket.id


def recall(uow, number, officer):
    counter, ticket = _at_counter(uow, number, officer)
    if ticket.recall(uow.now, uow.rules.max_recalls) == "no_show":
        counter.release()
    return _finish(uow, counter, ticket)


def start(uow, number, officer):
    counter, ticket = _at_counter(uow, number, officer)
    ticket.start(uow.now)
    return _finish(uow, counter, ticket)


def no_show(uow, number, officer):
    counter, ticket = _at_counter(uow, number, officer)
    ticket.mark_no_show(uow.now)
    counter.release()
    return _finish(uow, counter, ticket)


def complete(uow, number, officer, cmd: CompleteTicket):
    counter, ticket = _at_counter(uow, number, officer)
    ticket.complete(uow.now, cmd.outcome, cmd.note)
    counter.release()
    return _finish(uow, counter, ticket)


def transfer(uow, number, officer, cmd: TransferTicket):
    """The citizen joins another service's queue with the number they hold, in the
    place their original issue time gives them."""
    counter, ticket = _at_counter(uow, number, officer)
    target = uow.services.row(cmd.service)
    if target is None or not target["active"]:
        raise unknown_service(cmd.service)
    origin = uow.tickets.origin(ticket.id)
    moved = ticket.transfer_to(target["code"], uow.now, uuid.uuid4())
    uow.tickets.add(moved, today(uow), origin["seq"], origin["language"], origin["contact"])
    counter.release()
    _finish(uow, counter, ticket)
    return moved.id


def undo(uow, number, officer):
    """Undo the officer's last complete, no-show or transfer at this counter, within
    ``UNDO_WINDOW_S``: the ticket is back at the counter as it was (an undone
    transfer cancels the waiting ticket it made). Refused when the window has
    passed or anything has happened at the counter (or to that ticket) since."""
    counter = uow.counters.get(number, lock=True)
    counter.require_owner(officer)
    last = uow.journal.last_at_counter(number)
    if last is None or last["action"] not in UNDOABLE or last["actor"] != officer or counter.current_ticket_id:
        raise Conflict(f"Tidak ada yang bisa dibatalkan di loket {number}.",
                       f"There is nothing to undo at counter {number}.", {"counter": "nothing to undo"},
                       code="nothing_to_undo")
    if (uow.now - last["at"]).total_seconds() > UNDO_WINDOW_S:
        raise Conflict(f"Batas waktu pembatalan ({UNDO_WINDOW_S} detik) sudah lewat.",
                       f"The undo window ({UNDO_WINDOW_S} seconds) has passed.", {"counter": "undo window passed"},
                       code="undo_expired")
    ticket = uow.tickets.get(last["ticket_id"], lock=True)
    if uow.tickets.issued_by(ticket.access_root or ticket.id):
        # a step of an application: the documents service has already acted on its end
        # (outcome, missed call, the step moved with a transfer); the queue does not undo that
        raise Conflict(f"Tiket {ticket.number} milik tahap permohonan; tidak bisa dibatalkan di sini.",
                       f"Ticket {ticket.number} belongs to an application's step; it cannot be undone here.",
                       {"ticket": "application step"}, code="undo_not_possible")
    if last["action"] == "transfer":
        moved = uow.tickets.get(ticket.transferred_to, lock=True)
        if moved.status != "waiting":
            raise Conflict(f"Tiket {moved.number} sudah dipanggil di layanan tujuan; tidak bisa dibatalkan.",
                           f"Ticket {moved.number} has already been called in its new service; it cannot be undone.",
                           {"ticket": moved.status}, code="undo_not_possible")
        moved.cancel(uow.now, reason="undo")
        uow.tickets.save(moved)
    ticket.restore(last["action"], (last["data"] or {}).get("from"), number, uow.now)
    counter.take(ticket)
    return _finish(uow, counter, ticket)


# --- the supervisor's hand on counters ---------------------------------------------------

def require_supervisor(role, what_id, what_en):
    if role not in SUPERVISOR_ROLES:
        raise Forbidden(f"Hanya supervisor atau admin yang dapat {what_id}.",
                        f"Only a supervisor or admin can {what_en}.", {"role": role})


def free_counter(uow, number, actor, role):
    """A supervisor frees a counter left behind: a ticket stuck in "called" there
    waits again at its place in the queue, and the counter closes. A ticket being
    served is not taken from the citizen: take the counter over and finish it."""
    require_supervisor(role, "membebaskan loket", "free a counter")
    counter = uow.counters.get(number, lock=True)
    counter.require_open()
    if counter.current_ticket_id:
        ticket = uow.tickets.get(counter.current_ticket_id, lock=True)
        if ticket.status == "serving":
            raise Conflict(f"Tiket {ticket.number} sedang dilayani di loket {number}; ambil alih loket dan "
                           "selesaikan.", f"Ticket {ticket.number} is being served at counter {number}; take the "
                           "counter over and finish it.", {"counter": "serving"}, code="counter_busy")
        ticket.requeue(uow.now)
        counter.release()
        uow.tickets.save(ticket)
    counter.close(actor, as_supervisor=True)
    uow.counters.save(counter)


def retire_counter(uow, number, actor, role, retired=True):
    """Take a closed counter out of use (or back into it)."""
    require_supervisor(role, "mengubah loket", "change a counter")
    counter = uow.counters.get(number, lock=True)
    counter.retire() if retired else counter.reinstate()
    uow.counters.save(counter)


def _finish(uow, counter, ticket):
    uow.tickets.save(ticket)
    uow.counters.save(counter)
    return ticket.id
