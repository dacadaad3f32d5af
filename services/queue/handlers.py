"""The queue's use cases as plain functions of a cursor (inside one transaction),
a context and a command. Each state change is journaled and its event queued in
the outbox in that same transaction: either all of it happens or none of it."""
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from shared import events
from shared.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from shared.outbox import add_event
from services.queue import access
from services.queue import repository as repo
from services.queue.commands import CompleteTicket, IssueTicket, OpenCounter, TransferTicket
from services.queue.domain import (
    ACTIVE_AT_COUNTER, Ticket, estimate_wait_s, format_number, local_date, mean_service_time,
)

SCHEMA = "queue"
SUPERVISOR_ROLES = ("supervisor", "admin")


@dataclass(frozen=True)
class QueueRules:
    priority_head_start_s: int = 900
    max_recalls: int = 3


@dataclass
class Context:
    site: dict
    now: datetime
    rules: QueueRules
    actor: str
    events: list = field(default_factory=list)
    secret: str = field(default="", repr=False)  # the installation's, for ticket access keys

    @property
    def site_id(self):
        return self.site["id"]

    @property
    def today(self):
        return local_date(self.now, self.site["timezone"])

    def emit(self, cur, event_class, **fields):
        event = event_class(site=self.site["code"], occurred_at=self.now, **fields)
        add_event(cur, SCHEMA, event)
        self.events.append(event)
        return event


def ticket_fields(ticket: Ticket):
    return dict(ticket_id=ticket.id, number=ticket.number, service=ticket.service_code,
                priority=ticket.priority)


# --- views -----------------------------------------------------------------------

def ticket_view(cur, ctx: Context, ticket_id):
    return view_of(cur, ctx, repo.ticket_row(cur, ctx.site_id, ticket_id))


def view_of(cur, ctx: Context, row):
    service = repo.service_row(cur, ctx.site_id, row["service_code"])
    position = estimated = None
    if row["status"] == "waiting":
        ahead = repo.count_ahead(cur, row, ctx.rules.priority_head_start_s)
        position = ahead + 1
        estimated = estimate_wait_s(
            ahead, mean_service_time(repo.recent_service_times(cur, ctx.site_id, service["code"]),
                                     service["default_service_s"]),
            repo.open_counter_counts(cur, ctx.site_id).get(service["code"], 0))
    return {
        "id": str(row["id"]), "number": row["number"], "service": row["service_code"],
        "service_name": service["name"], "service_name_en": service["name_en"],
        "priority": row["priority"], "status": row["status"], "position": position,
        "estimated_wait_s": estimated, "counter": row["counter"], "recall_count": row["recall_count"],
        "issued_at": iso(row["issued_at"]), "called_at": iso(row["called_at"]),
        "started_at": iso(row["started_at"]), "finished_at": iso(row["finished_at"]),
        "outcome": row["outcome"], "language": row["language"],
        "transferred_to": str(row["transferred_to"]) if row["transferred_to"] else None,
        "transferred_from": str(row["transferred_from"]) if row["transferred_from"] else None,
    }


def iso(value):
    return value.isoformat() if value else None


def list_services(cur, ctx: Context):
    counts = repo.waiting_counts(cur, ctx.site_id, ctx.today)
    counters = repo.open_counter_counts(cur, ctx.site_id)
    issued = issued_today(cur, ctx)
    result = []
    for row in repo.service_rows(cur, ctx.site_id, only_active=True):
        rules = repo.rules_of(row)
        reason = rules.closed_reason(ctx.now, ctx.site["timezone"]) or rules.quota_reached(
            issued.get(row["code"], 0))
        waiting = counts.get(row["code"], 0)
        result.append({
            "code": row["code"], "prefix": row["prefix"], "name": row["name"], "name_en": row["name_en"],
            "open": reason is None, "waiting": waiting,
            "estimated_wait_s": estimate_wait_s(
                waiting, mean_service_time(repo.recent_service_times(cur, ctx.site_id, row["code"]),
                                           row["default_service_s"]),
                counters.get(row["code"], 0)),
            "open_counters": counters.get(row["code"], 0),
            "target_wait_s": row["target_wait_s"],
            "daily_quota": row["daily_quota"],
            "closed_reason": None if reason is None else {"id": reason.message_id, "en": reason.message_en,
                                                         "code": reason.error_code},
        })
    return result


def issued_today(cur, ctx):
    cur.execute("SELECT service_code, last_seq FROM queue.daily_numbers WHERE site_id = %s AND local_date = %s",
                (ctx.site_id, ctx.today))
    return {row["service_code"]: row["last_seq"] for row in cur.fetchall()}


def unknown_service(code, field_name="service"):
    return InvalidInput(f"Layanan {code} tidak dikenal.", f"Unknown service {code}.",
                        {field_name: f"unknown service {code}"})


# --- kiosk -------------------------------------------------------------------------

def issue_ticket(cur, ctx: Context, cmd: IssueTicket, idempotency_key=None):
    """A new numbered ticket, or the one already issued for ``idempotency_key``.
    Returns (ticket id, created)."""
    request_hash = hashlib.sha256(json.dumps(cmd.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    if idempotency_key:
        repo.lock_idempotency_key(cur, ctx.site_id, idempotency_key)
        previous = repo.idempotency_record(cur, ctx.site_id, idempotency_key)
        if previous is not None:
            if previous["request_hash"] != request_hash:
                raise Conflict(
                    "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
                    "This Idempotency-Key was already used for a different request.",
                    {"Idempotency-Key": "reused with a different body"}, code="idempotency_key_reused")
            return previous["ticket_id"], False

    service = repo.service_row(cur, ctx.site_id, cmd.service)
    if service is None:
        raise unknown_service(cmd.service)
    rules = repo.rules_of(service)
    closed = rules.closed_reason(ctx.now, ctx.site["timezone"])
    if closed:
        raise closed
    day = ctx.today
    seq = repo.take_next_seq(cur, ctx.site_id, service["code"], day)
    over_quota = rules.quota_reached(seq - 1)
    if over_quota:
        raise over_quota  # the transaction rolls back, giving the number back
    ticket = Ticket(id=uuid.uuid4(), number=format_number(service["prefix"], seq),
                    service_code=service["code"], priority=cmd.priority, status="waiting",
                    issued_at=ctx.now, queued_at=ctx.now)
    contact = cmd.contact.model_dump(exclude_none=True) if cmd.contact else {}
    repo.insert_ticket(cur, ctx.site_id, ticket, day, seq, cmd.language, contact)
    if idempotency_key:
        repo.save_idempotency_key(cur, ctx.site_id, idempotency_key, request_hash, ticket.id)
    repo.journal(cur, ctx.site_id, ctx.now, ctx.actor, "issue", ticket.id,
                 data={"number": ticket.number, "service": ticket.service_code, "priority": ticket.priority})
    ctx.emit(cur, events.TicketIssued, **ticket_fields(ticket), issued_at=ctx.now,
             has_contact=bool(contact), language=cmd.language)
    return ticket.id, True


def cancel_ticket(cur, ctx: Context, ticket_id, access_key):
    """Only the holder cancels: the request must carry the ticket's access key."""
    row = repo.ticket_row(cur, ctx.site_id, ticket_id, lock=True)
    access.check_ticket_key(ctx.secret, row, access_key)
    ticket = repo.ticket_of(row)
    counter = ticket.counter if ticket.status in ACTIVE_AT_COUNTER else None
    if counter is not None:
        repo.counter_row(cur, ctx.site_id, counter, lock=True)
    ticket.cancel(ctx.now)
    repo.save_ticket(cur, ticket)
    if counter is not None:
        repo.set_counter_ticket(cur, ctx.site_id, counter, None)
    repo.journal(cur, ctx.site_id, ctx.now, ctx.actor, "cancel", ticket.id, counter)
    ctx.emit(cur, events.TicketCancelled, **ticket_fields(ticket))
    return ticket.id


def close_previous_days(cur, ctx: Context):
    """Tickets still waiting from an earlier local day are cancelled by the system:
    the hall closed, and they must not be called or counted today."""
    cur.execute(
        """SELECT id FROM queue.tickets WHERE site_id = %s AND status = 'waiting' AND local_date < %s
           ORDER BY queued_at FOR UPDATE SKIP LOCKED""", (ctx.site_id, ctx.today))
    for row in cur.fetchall():
        ticket = repo.ticket_of(repo.ticket_row(cur, ctx.site_id, row["id"]))
        ticket.cancel(ctx.now)
        repo.save_ticket(cur, ticket)
        repo.journal(cur, ctx.site_id, ctx.now, "system", "cancel", ticket.id, data={"reason": "day_closed"})
        ctx.emit(cur, events.TicketCancelled, **ticket_fields(ticket))


# --- officers ----------------------------------------------------------------------------

def wrong_login():
    return Unauthorized("Nama pengguna atau kata sandi salah.", "Wrong username or password.",
                        {"password": "wrong username or password"})


# --- counters -----------------------------------------------------------------------------

def open_counter(cur, ctx: Context, number, cmd: OpenCounter, officer):
    counter = repo.counter_row(cur, ctx.site_id, number, lock=True)
    if counter["opened_by"] and counter["opened_by"] != officer:
        raise Forbidden(f"Loket {number} sedang dibuka oleh petugas lain.",
                        f"Counter {number} is open by another officer.", {"counter": "open by another officer"},
                        code="counter_taken")
    services = list(dict.fromkeys(cmd.services))
    for code in services:
        if repo.service_row(cur, ctx.site_id, code) is None:
            raise unknown_service(code, "services")
        if code not in counter["services"]:
            raise InvalidInput(f"Loket {number} tidak melayani {code}.", f"Counter {number} does not serve {code}.",
                               {"services": f"counter {number} does not serve {code}"})
    repo.set_counter_open(cur, ctx.site_id, number, services, officer, ctx.now)
    repo.journal(cur, ctx.site_id, ctx.now, officer, "open_counter", counter=number, data={"services": services})
    ctx.emit(cur, events.CounterOpened, counter=number, services=services, officer=officer)


def close_counter(cur, ctx: Context, number, officer, role="officer"):
    """The officer closes their own counter; a supervisor or admin may close anyone's
    (e.g. one left open by an officer who has been deactivated)."""
    if role in SUPERVISOR_ROLES:
        counter = open_counter_row(cur, ctx, number)
    else:
        counter = own_counter(cur, ctx, number, officer)
    if counter["current_ticket_id"]:
        raise Conflict(f"Loket {number} masih melayani tiket; selesaikan dulu.",
                       f"Counter {number} still has a ticket; finish it first.", {"counter": "busy"},
                       code="counter_busy")
    repo.set_counter_closed(cur, ctx.site_id, number)
    data = {} if counter["opened_by"] == officer else {"opened_by": counter["opened_by"]}
    repo.journal(cur, ctx.site_id, ctx.now, officer, "close_counter", counter=number, data=data)
    ctx.emit(cur, events.CounterClosed, counter=number, officer=officer)


def take_over_counter(cur, ctx: Context, number, actor, role):
    """A supervisor or admin takes an open counter over, with its services and its
    current ticket, from whoever holds it; journaled with both names."""
    if role not in SUPERVISOR_ROLES:
        raise Forbidden("Hanya supervisor atau admin yang dapat mengambil alih loket.",
                        "Only a supervisor or admin can take over a counter.", {"role": role})
    counter = open_counter_row(cur, ctx, number)
    previous = counter["opened_by"]
    repo.set_counter_open(cur, ctx.site_id, number, counter["open_services"], actor, ctx.now)
    repo.journal(cur, ctx.site_id, ctx.now, actor, "take_over_counter", counter=number,
                 data={"opened_by": previous})
    ctx.emit(cur, events.CounterOpened, counter=number, services=list(counter["open_services"]), officer=actor)


def open_counter_row(cur, ctx, number):
    counter = repo.counter_row(cur, ctx.site_id, number, lock=True)
    if counter["opened_by"] is None:
        raise Forbidden(f"Loket {number} belum dibuka.", f"Counter {number} is not open.",
                        {"counter": "not open"}, code="counter_closed")
    return counter


def own_counter(cur, ctx, number, officer):
    """The counter, locked, if ``officer`` has it open (403 otherwise)."""
    counter = repo.counter_row(cur, ctx.site_id, number, lock=True)
    if counter["opened_by"] is None:
        raise Forbidden(f"Loket {number} belum dibuka.", f"Counter {number} is not open.",
                        {"counter": "not open"}, code="counter_closed")
    if counter["opened_by"] != officer:
        raise Forbidden(f"Loket {number} dibuka oleh petugas lain.", f"Counter {number} is open by another officer.",
                        {"counter": "open by another officer"}, code="not_your_counter")
    return counter


def current_ticket(cur, ctx, counter):
    if counter["current_ticket_id"] is None:
        raise Conflict(f"Loket {counter['number']} tidak sedang memanggil tiket.",
                       f"Counter {counter['number']} has no current ticket.", {"counter": "no current ticket"},
                       code="no_current_ticket")
    return repo.ticket_of(repo.ticket_row(cur, ctx.site_id, counter["current_ticket_id"], lock=True))


def call_next(cur, ctx: Context, number, officer):
    counter = own_counter(cur, ctx, number, officer)
    if counter["current_ticket_id"]:
        raise Conflict(f"Loket {number} masih memanggil/melayani tiket; selesaikan, tandai tidak hadir, atau alihkan.",
                       f"Counter {number} still has a ticket; complete, no-show or transfer it first.",
                       {"counter": "busy"}, code="counter_busy")
    ticket_id = repo.claim_next_waiting(cur, ctx.site_id, counter["open_services"], ctx.today,
                                        ctx.rules.priority_head_start_s)
    if ticket_id is None:
        return None
    ticket = repo.ticket_of(repo.ticket_row(cur, ctx.site_id, ticket_id))
    ticket.call(number, ctx.now)
    repo.save_ticket(cur, ticket)
    repo.set_counter_ticket(cur, ctx.site_id, number, ticket.id)
    repo.journal(cur, ctx.site_id, ctx.now, officer, "call", ticket.id, number)
    ctx.emit(cur, events.TicketCalled, **ticket_fields(ticket), counter=number, wait_s=ticket.wait_s)
    return ticket.id


def recall(cur, ctx: Context, number, officer):
    counter = own_counter(cur, ctx, number, officer)
    ticket = current_ticket(cur, ctx, counter)
    happened = ticket.recall(ctx.now, ctx.rules.max_recalls)
    repo.save_ticket(cur, ticket)
    if happened == "no_show":
        repo.set_counter_ticket(cur, ctx.site_id, number, None)
        repo.journal(cur, ctx.site_id, ctx.now, officer, "no_show", ticket.id, number,
                     data={"reason": "recalls", "recalls": ticket.recall_count})
        ctx.emit(cur, events.TicketNoShow, **ticket_fields(ticket), counter=number, reason="recalls")
    else:
        repo.journal(cur, ctx.site_id, ctx.now, officer, "recall", ticket.id, number,
                     data={"recall_count": ticket.recall_count})
        ctx.emit(cur, events.TicketRecalled, **ticket_fields(ticket), counter=number,
                 recall_count=ticket.recall_count)
    return ticket.id


def start(cur, ctx: Context, number, officer):
    counter = own_counter(cur, ctx, number, officer)
    ticket = current_ticket(cur, ctx, counter)
    ticket.start(ctx.now)
    repo.save_ticket(cur, ticket)
    repo.journal(cur, ctx.site_id, ctx.now, officer, "start", ticket.id, number)
    ctx.emit(cur, events.TicketStarted, **ticket_fields(ticket), counter=number)
    return ticket.id


def no_show(cur, ctx: Context, number, officer):
    counter = own_counter(cur, ctx, number, officer)
    ticket = current_ticket(cur, ctx, counter)
    ticket.mark_no_show(ctx.now)
    repo.save_ticket(cur, ticket)
    repo.set_counter_ticket(cur, ctx.site_id, number, None)
    repo.journal(cur, ctx.site_id, ctx.now, officer, "no_show", ticket.id, number, data={"reason": "officer"})
    ctx.emit(cur, events.TicketNoShow, **ticket_fields(ticket), counter=number, reason="officer")
    return ticket.id


def complete(cur, ctx: Context, number, officer, cmd: CompleteTicket):
    counter = own_counter(cur, ctx, number, officer)
    ticket = current_ticket(cur, ctx, counter)
    ticket.complete(ctx.now, cmd.outcome)
    repo.save_ticket(cur, ticket)
    repo.set_counter_ticket(cur, ctx.site_id, number, None)
    repo.journal(cur, ctx.site_id, ctx.now, officer, "complete", ticket.id, number,
                 data={"outcome": cmd.outcome, "note": cmd.note})
    ctx.emit(cur, events.TicketCompleted, **ticket_fields(ticket), counter=number,
             service_time_s=ticket.service_time_s or 0.0, outcome=cmd.outcome)
    return ticket.id


def transfer(cur, ctx: Context, number, officer, cmd: TransferTicket):
    """The citizen joins another service's queue with the number they hold, in the
    place their original issue time gives them."""
    counter = own_counter(cur, ctx, number, officer)
    ticket = current_ticket(cur, ctx, counter)
    target = repo.service_row(cur, ctx.site_id, cmd.service)
    if target is None or not target["active"]:
        raise unknown_service(cmd.service)
    if target["code"] == ticket.service_code:
        raise InvalidInput("Tiket sudah berada di layanan ini.", "The ticket is already in this service.",
                           {"service": "same as the ticket's service"})
    original = repo.ticket_row(cur, ctx.site_id, ticket.id)
    ticket.transfer_out(ctx.now)
    moved = Ticket(id=uuid.uuid4(), number=ticket.number, service_code=target["code"], priority=ticket.priority,
                   status="waiting", issued_at=ticket.issued_at, queued_at=ticket.queued_at)
    repo.insert_ticket(cur, ctx.site_id, moved, ctx.today, original["seq"], original["language"],
                       {"email": original["contact_email"], "phone": original["contact_phone"]},
                       transferred_from=ticket.id,
                       access_root=original["access_root"] or original["id"])  # the citizen's key still works
    repo.save_ticket(cur, ticket, transferred_to=moved.id)
    repo.set_counter_ticket(cur, ctx.site_id, number, None)
    repo.journal(cur, ctx.site_id, ctx.now, officer, "transfer", ticket.id, number,
                 data={"to_service": target["code"], "new_ticket_id": str(moved.id)})
    ctx.emit(cur, events.TicketTransferred, **ticket_fields(ticket), counter=number, to_service=target["code"],
             new_ticket_id=moved.id)
    return moved.id


# --- counter console ---------------------------------------------------------------------------

def counter_view(cur, ctx: Context, row, with_queues=False):
    view = {"counter": row["number"], "name": row["name"], "services": row["services"],
            "open": row["opened_by"] is not None, "open_services": row["open_services"] or [],
            "opened_by": row["opened_by"], "opened_at": iso(row["opened_at"]), "current": None}
    if row["current_ticket_id"]:
        called = repo.ticket_row(cur, ctx.site_id, row["current_ticket_id"])
        current = view_of(cur, ctx, called)
        current["waited_s"] = (called["called_at"] - called["queued_at"]).total_seconds()
        current["served_s"] = ((ctx.now - called["started_at"]).total_seconds()
                               if called["started_at"] else None)
        view["current"] = current
    if with_queues:
        services = row["open_services"] or row["services"]
        queues = {code: [] for code in services}
        for t in repo.waiting_in_order(cur, ctx.site_id, services, ctx.today, ctx.rules.priority_head_start_s):
            # No ticket ids here: an officer's screen has no business with them.
            queues[t["service_code"]].append({
                "number": t["number"], "priority": t["priority"],
                "waited_s": round((ctx.now - t["queued_at"]).total_seconds())})
        view["queues"] = queues
    return view
