"""What the notify service tells a citizen, and when — free of I/O and of nameko.

An event becomes zero or more :class:`Message` s: one fact for one citizen (the
holder of a ticket, the applicant of an application), in a kind of message with
its non-personal facts (number, counter, step). Who the citizen is and how to
reach them is not in the event: the owning service (queue for a ticket, documents
for an application) answers that over RPC at send time, as a :class:`Contact`.
A message is then delivered on each configured channel the contact has an
address for; a citizen who left no contact gets nothing.

Turn-near needs to know, for each waiting ticket, how many are ahead of it. The
queue publishes no such count, so notify keeps a small projection of the waiting
tickets of each service (:class:`Waiting`), in the queue's calling order, fed by
the queue's events; :func:`on_queue_event` works out which tickets' "ahead" has
just dropped to the service's threshold. Each ticket is marked once it has been
considered near, so however the people ahead leave — one by one, several at once,
an event redelivered — a ticket gets one turn-near message at most.
"""
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, Mapping, Optional, Sequence
from uuid import UUID

from shared.contracts import events as ev

Language = Literal["id", "en"]
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

TICKET_KINDS = ("ticket_issued", "turn_near", "ticket_called", "ticket_no_show", "ticket_completed")
APPLICATION_KINDS = ("application_submitted", "application_advanced", "application_failed",
                     "application_ready", "application_missed", "application_status")
KINDS = TICKET_KINDS + APPLICATION_KINDS

CHANNELS = ("email", "sms", "whatsapp", "log")
DEFAULT_TURN_NEAR_AHEAD = 3
PRIORITY_CLASSES = frozenset({"elderly", "disabled", "pregnant"})

# Message ids are derived from the event (and the ticket or application the message is
# about), so a redelivered event gives the same ids and the delivery record catches it.
_MESSAGE_NS = uuid.UUID("6f1d7c1e-4f5b-4a51-9a1e-7d0c0c5e2b11")


# --- what a citizen is told ----------------------------------------------------------

@dataclass(frozen=True)
class Message:
    event_id: UUID
    kind: str
    site: str
    subject: Literal["ticket", "application"]
    subject_id: UUID
    occurred_at: datetime
    facts: dict = field(default_factory=dict)   # non-personal, JSON-able
    language: Optional[str] = None              # when the event says; else the contact's

    @property
    def id(self) -> UUID:
        return uuid.uuid5(_MESSAGE_NS, f"{self.event_id}:{self.kind}:{self.subject_id}")


@dataclass(frozen=True)
class Contact:
    """What the owning service tells notify at send time. Only ``email``/``phone``
    are personal; notify never stores them (only their hash and masked form)."""
    email: Optional[str] = None
    phone: Optional[str] = None
    language: Optional[str] = None
    track_url: Optional[str] = None            # the citizen's status page (a ticket's: with its key)
    estimated_wait_s: Optional[float] = None
    details: Optional[Mapping] = None          # the owner's words for the message (names, next number)

    @classmethod
    def from_rpc(cls, answer: Optional[Mapping]) -> Optional["Contact"]:
        if not answer:
            return None
        return cls(**{key: answer.get(key) for key in
                      ("email", "phone", "language", "track_url", "estimated_wait_s", "details")})

    @property
    def empty(self) -> bool:
        return not (self.email or self.phone)


def choose_language(*candidates: Optional[str]) -> str:
    """The first language the citizen chose that we write in; Indonesian otherwise."""
    for language in candidates:
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE


def addresses(contact: Optional[Contact], channels: Sequence[str]) -> list[tuple[str, str]]:
    """(channel, address) for each configured channel the contact can be reached on.
    E-mail needs an e-mail address, SMS and WhatsApp a phone; the development log
    channel takes whichever there is. No contact, no address."""
    if contact is None or contact.empty:
        return []
    found = []
    for channel in channels:
        if channel == "email":
            address = contact.email
        elif channel in ("sms", "whatsapp"):
            address = contact.phone
        elif channel == "log":
            address = contact.email or contact.phone
        else:
            raise ValueError(f"unknown channel {channel!r}")
        if address:
            found.append((channel, address))
    return found


# --- turn near: the projection of waiting tickets ---------------------------------------

@dataclass(frozen=True)
class TurnNearRule:
    """Tell a ticket's holder when the people ahead of them drop to ``ahead`` (per
    service where configured)."""
    ahead: int = DEFAULT_TURN_NEAR_AHEAD
    per_service: Mapping[str, int] = field(default_factory=dict)

    def at(self, service: str) -> int:
        return self.per_service.get(service, self.ahead)

    @classmethod
    def parse(cls, ahead: int, per_service: str = "") -> "TurnNearRule":
        """``per_service`` as in config: ``"SIM_A_NEW=5, SKCK_NEW=2"``."""
        table = {}
        for item in (per_service or "").split(","):
            if not item.strip():
                continue
            code, _, value = item.partition("=")
            if not value.strip().isdigit():
                raise ValueError(f"NOTIFY_TURN_NEAR_BY_SERVICE: {item.strip()!r} is not CODE=number")
            table[code.strip()] = int(value)
        return cls(ahead=ahead, per_service=table)


@dataclass(frozen=True)
class Waiting:
    """A waiting ticket as notify sees it (no contact: ``has_contact`` only)."""
    ticket_id: UUID
    site: str
    service: str
    number: str
    priority: str
    queued_at: datetime
    has_contact: bool
    language: Optional[str] = None
    near_sent: bool = False


def call_order_key(priority: str, queued_at: datetime, head_start_s: int):
    """The queue's calling order (services/queue/domain.py ``call_order_key``): a
    priority ticket counts as queued ``head_start_s`` earlier. Repeated here because
    notify may not reach into the queue; a unit test keeps the two equal."""
    head_start = timedelta(seconds=head_start_s if priority in PRIORITY_CLASSES else 0)
    return (queued_at - head_start, queued_at)


def in_calling_order(tickets: Sequence[Waiting], head_start_s: int) -> list[Waiting]:
    return sorted(tickets, key=lambda t: (*call_order_key(t.priority, t.queued_at, head_start_s),
                                          str(t.ticket_id)))


@dataclass
class Change:
    """What one queue event does to the projection, and what it makes notify say."""
    added: list[Waiting] = field(default_factory=list)
    removed: list[UUID] = field(default_factory=list)
    marked_near: list[UUID] = field(default_factory=list)   # never to be told turn-near again
    messages: list[Message] = field(default_factory=list)


REMOVING_EVENTS = (ev.TicketCalled, ev.TicketCancelled, ev.TicketNoShow,
                   ev.TicketCompleted, ev.TicketTransferred)


def services_touched(event) -> list[str]:
    """The services whose waiting lines an event can change (read them, locked)."""
    if isinstance(event, ev.TicketTransferred):
        return [event.service, event.to_service]
    if isinstance(event, (ev.TicketIssued, *REMOVING_EVENTS)):
        return [event.service]
    return []


def on_queue_event(event, waiting: Mapping[str, Sequence[Waiting]], rule: TurnNearRule,
                   head_start_s: int, known: Optional[Waiting] = None,
                   has_contact: Optional[bool] = None) -> Change:
    """Apply one queue event to the waiting lines of the services it touches
    (``waiting[service]``, any order) and say which messages it gives.

    ``known`` is notify's record of the event's ticket, for a transfer (the original's
    queue time and contact flag carry over) and a completion (thanked only when it
    left a contact); ``has_contact`` overrides the flag when the original was not seen.
    """
    change = Change()
    lines = {service: list(waiting.get(service, ())) for service in services_touched(event)}

    def message(kind, ticket_id, **facts):
        return Message(event_id=event.event_id, kind=kind, site=event.site, subject="ticket",
                       subject_id=ticket_id, occurred_at=event.occurred_at, facts=facts)

    if isinstance(event, ev.TicketIssued):
        line = lines[event.service]
        if any(t.ticket_id == event.ticket_id for t in line):
            return change          # seen already: a redelivery changes nothing
        ticket = Waiting(ticket_id=event.ticket_id, site=event.site, service=event.service,
                         number=event.number, priority=event.priority, queued_at=event.issued_at,
                         has_contact=event.has_contact, language=event.language)
        line.append(ticket)
        change.added.append(ticket)
        if event.has_contact:
            ahead = _ahead(line, ticket.ticket_id, head_start_s)
            change.messages.append(replace(
                message("ticket_issued", event.ticket_id, number=event.number, service=event.service,
                        ahead=ahead),
                language=event.language))
    elif isinstance(event, REMOVING_EVENTS):
        line = lines[event.service]
        if any(t.ticket_id == event.ticket_id for t in line):
            lines[event.service] = [t for t in line if t.ticket_id != event.ticket_id]
            change.removed.append(event.ticket_id)
        if isinstance(event, ev.TicketCalled):
            change.messages.append(message("ticket_called", event.ticket_id, number=event.number,
                                           service=event.service, counter=event.counter))
        elif isinstance(event, ev.TicketNoShow):
            change.messages.append(message("ticket_no_show", event.ticket_id, number=event.number,
                                           service=event.service))
        elif isinstance(event, ev.TicketCompleted):
            # Thanks, with the status link where the satisfaction survey is. A ticket
            # notify never saw (issued before it ran) is asked about at send time.
            if known is None or known.has_contact:
                change.messages.append(message("ticket_completed", event.ticket_id, number=event.number,
                                               service=event.service))
        elif isinstance(event, ev.TicketTransferred):
            target = lines[event.to_service]
            if not any(t.ticket_id == event.new_ticket_id for t in target):
                original = known
                moved = Waiting(
                    ticket_id=event.new_ticket_id, site=event.site, service=event.to_service,
                    number=event.number, priority=event.priority,
                    # The queue keeps the original queue time; unseen, the back of the line.
                    queued_at=original.queued_at if original else event.occurred_at,
                    has_contact=original.has_contact if original else bool(has_contact),
                    language=original.language if original else None)
                target.append(moved)
                change.added.append(moved)
    else:
        return change

    # Who is near now? A ticket that arrives already near (issued behind two people,
    # transferred to a short line) was never further: it is marked without a message.
    added = {t.ticket_id for t in change.added}
    for service, line in lines.items():
        threshold = rule.at(service)
        for ahead, ticket in enumerate(in_calling_order(line, head_start_s)):
            if ahead > threshold:
                break
            if ticket.near_sent:
                continue
            change.marked_near.append(ticket.ticket_id)
            if ticket.ticket_id not in added and ticket.has_contact:
                change.messages.append(replace(
                    message("turn_near", ticket.ticket_id, number=ticket.number, service=service,
                            ahead=ahead),
                    language=ticket.language))
    return change


def _ahead(line, ticket_id, head_start_s) -> int:
    return next(i for i, t in enumerate(in_calling_order(line, head_start_s)) if t.ticket_id == ticket_id)


# --- applications: the documents service's events ---------------------------------------
#
# The events carry codes, ids and dates only (shared/contracts/events.py). The words the
# citizen reads — the type's and step's names, the queue and number of the next step, the
# officer's reason — are asked of the documents service at send time with the contact
# (services/notify/contacts.py), so notify keeps no copy of the documents catalogue.

APPLICATION_EVENTS = (ev.ApplicationSubmitted, ev.ApplicationAdvanced,
                      ev.ApplicationFailed, ev.ApplicationReady,
                      ev.ApplicationCancelled)


def on_application_event(event: ev.DocumentsEvent) -> list[Message]:
    """The message an application event gives its applicant (none for the others:
    ``application_step_completed`` is followed by advanced/failed/ready, and a
    collection happens with the citizen at the counter)."""

    def message(kind, **facts):
        return Message(event_id=event.event_id, kind=kind, site=event.site, subject="application",
                       subject_id=event.application_id, occurred_at=event.occurred_at,
                       facts={"type": event.type, **facts})

    if isinstance(event, ev.ApplicationSubmitted):
        return [message("application_submitted", step=event.step, in_hall=event.in_hall)]
    if isinstance(event, ev.ApplicationAdvanced):
        if event.step is None:
            return []
        # from_step == step: back after a failure, or a returned online report resubmitted.
        return [message("application_advanced", step=event.step, from_step=event.from_step,
                        resumed=event.from_step == event.step)]
    if isinstance(event, ev.ApplicationFailed):
        return [message("application_failed", step=event.step, reason=event.reason,
                        retake_after=event.retake_after.isoformat() if event.retake_after else None)]
    if isinstance(event, ev.ApplicationReady):
        return [message("application_ready", document_number=event.document_number,
                        valid_until=event.valid_until.isoformat() if event.valid_until else None)]
    if isinstance(event, ev.ApplicationMissed):
        # Not at the counter when called (or the ticket closed with the day): how to come back.
        return [message("application_missed", step=event.step, why=event.why)]
    if isinstance(event, ev.ApplicationCancelled):
        status = "expired" if event.reason == "registration_lapsed" else "cancelled"
        return [message("application_status", status=status, reason=event.reason)]
    return []
