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
from datetime import date, datetime, timedelta
from typing import ClassVar, Literal, Mapping, Optional, Sequence
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts import events as queue_events

Language = Literal["id", "en"]
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

TICKET_KINDS = ("ticket_issued", "turn_near", "ticket_called", "ticket_no_show")
APPLICATION_KINDS = ("application_submitted", "application_advanced", "application_failed",
                     "application_ready", "application_status")
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
    track_url: Optional[str] = None            # the citizen's status page
    estimated_wait_s: Optional[float] = None

    @classmethod
    def from_rpc(cls, answer: Optional[Mapping]) -> Optional["Contact"]:
        if not answer:
            return None
        return cls(**{key: answer.get(key) for key in
                      ("email", "phone", "language", "track_url", "estimated_wait_s")})

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


REMOVING_EVENTS = (queue_events.TicketCalled, queue_events.TicketCancelled, queue_events.TicketNoShow,
                   queue_events.TicketCompleted, queue_events.TicketTransferred)


def services_touched(event) -> list[str]:
    """The services whose waiting lines an event can change (read them, locked)."""
    if isinstance(event, queue_events.TicketTransferred):
        return [event.service, event.to_service]
    if isinstance(event, (queue_events.TicketIssued, *REMOVING_EVENTS)):
        return [event.service]
    return []


def on_queue_event(event, waiting: Mapping[str, Sequence[Waiting]], rule: TurnNearRule,
                   head_start_s: int, transferred_from: Optional[Waiting] = None,
                   has_contact: Optional[bool] = None) -> Change:
    """Apply one queue event to the waiting lines of the services it touches
    (``waiting[service]``, any order) and say which messages it gives.

    ``transferred_from`` is notify's record of a transferred ticket's original (its
    queue time and contact flag carry over); ``has_contact`` overrides the flag when
    the original was not seen.
    """
    change = Change()
    lines = {service: list(waiting.get(service, ())) for service in services_touched(event)}

    def message(kind, ticket_id, **facts):
        return Message(event_id=event.event_id, kind=kind, site=event.site, subject="ticket",
                       subject_id=ticket_id, occurred_at=event.occurred_at, facts=facts)

    if isinstance(event, queue_events.TicketIssued):
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
        if isinstance(event, queue_events.TicketCalled):
            change.messages.append(message("ticket_called", event.ticket_id, number=event.number,
                                           service=event.service, counter=event.counter))
        elif isinstance(event, queue_events.TicketNoShow):
            change.messages.append(message("ticket_no_show", event.ticket_id, number=event.number,
                                           service=event.service))
        elif isinstance(event, queue_events.TicketTransferred):
            target = lines[event.to_service]
            if not any(t.ticket_id == event.new_ticket_id for t in target):
                original = transferred_from
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


# --- applications: what notify needs from the documents service's events ------------------
#
# The documents service does not publish events yet. These models are the small typed
# interface notify consumes: the fields its messages need, by the names the documents
# domain already raises (services/documents/domain.py ``_raise``), plus the display names
# of the type and step (so notify needs no copy of the documents catalogue). Unknown
# fields are ignored, so the real events may carry more.

class ApplicationEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    event_type: ClassVar[str]
    source: ClassVar[str] = "documents"

    event_id: UUID
    site: str
    occurred_at: AwareDatetime
    application_id: UUID
    application_type: str = Field(alias="type")
    type_name: Optional[str] = None
    type_name_en: Optional[str] = None


class ApplicationSubmitted(ApplicationEvent):
    event_type: ClassVar[str] = "application_submitted"
    step: Optional[str] = None
    step_name: Optional[str] = None
    step_name_en: Optional[str] = None
    in_hall: bool = True


class ApplicationAdvanced(ApplicationEvent):
    event_type: ClassVar[str] = "application_advanced"
    from_step: Optional[str] = None
    step: str
    step_name: Optional[str] = None
    step_name_en: Optional[str] = None
    service: Optional[str] = None       # the queue service whose counters serve the next step
    hall: bool = True                   # False: reviewed without the citizen present


class ApplicationFailed(ApplicationEvent):
    event_type: ClassVar[str] = "application_failed"
    step: str
    step_name: Optional[str] = None
    step_name_en: Optional[str] = None
    reason: Literal["failed", "incomplete"]
    retake_after: Optional[date] = None


class ApplicationReady(ApplicationEvent):
    event_type: ClassVar[str] = "application_ready"
    valid_until: Optional[date] = None
    online: bool = False                # downloadable rather than collected at the counter


class ApplicationStatusChanged(ApplicationEvent):
    """A status change of an online application (lost-item report, crowd permit)."""
    event_type: ClassVar[str] = "application_status_changed"
    status: Literal["submitted", "in_progress", "returned", "ready", "collected", "cancelled", "expired"]


APPLICATION_EVENTS = {cls.event_type: cls for cls in (
    ApplicationSubmitted, ApplicationAdvanced, ApplicationFailed, ApplicationReady, ApplicationStatusChanged)}


def parse_application_event(event_type: str, payload: Mapping) -> ApplicationEvent:
    return APPLICATION_EVENTS[event_type].model_validate(payload)


def on_application_event(event: ApplicationEvent) -> list[Message]:
    names = {"type": event.application_type, "type_name": event.type_name or event.application_type,
             "type_name_en": event.type_name_en or event.type_name or event.application_type}

    def message(kind, **facts):
        return Message(event_id=event.event_id, kind=kind, site=event.site, subject="application",
                       subject_id=event.application_id, occurred_at=event.occurred_at,
                       facts={**names, **facts})

    def step_names(step, name, name_en):
        return {"step": step, "step_name": name or step, "step_name_en": name_en or name or step}

    if isinstance(event, ApplicationSubmitted):
        return [message("application_submitted", in_hall=event.in_hall,
                        **step_names(event.step, event.step_name, event.step_name_en))]
    if isinstance(event, ApplicationAdvanced):
        return [message("application_advanced", service=event.service, hall=event.hall,
                        **step_names(event.step, event.step_name, event.step_name_en))]
    if isinstance(event, ApplicationFailed):
        return [message("application_failed", reason=event.reason,
                        retake_after=event.retake_after.isoformat() if event.retake_after else None,
                        **step_names(event.step, event.step_name, event.step_name_en))]
    if isinstance(event, ApplicationReady):
        return [message("application_ready", online=event.online,
                        valid_until=event.valid_until.isoformat() if event.valid_until else None)]
    if isinstance(event, ApplicationStatusChanged):
        return [message("application_status", status=event.status)]
    return []
