"""The events services publish on RabbitMQ: the contract between services.

Every event has an id (consumers use it to ignore redeliveries), the site it
happened at, when it happened, and a schema version that grows when a field
changes meaning. Each service publishes to its own topic exchange
(``<service>.events``) with the event type as routing key, which is what nameko's
``@event_handler("<service>", "<event_type>")`` binds to.

Events carry no personal data: consumers that need a citizen's contact ask the
owning service over RPC.
"""
from datetime import date, datetime
from typing import ClassVar, Literal, Optional
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.enums import Language, NoShowReason, Outcome, Priority



class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    source: ClassVar[str]

    schema_version: int = 1
    event_id: UUID = Field(default_factory=uuid4)
    site: str
    occurred_at: AwareDatetime

    def payload(self) -> dict:
        return self.model_dump(mode="json")


class QueueEvent(Event):
    source: ClassVar[str] = "queue"


class TicketEvent(QueueEvent):
    ticket_id: UUID
    number: str
    service: str
    priority: Priority


class TicketIssued(TicketEvent):
    event_type: ClassVar[str] = "ticket_issued"
    issued_at: datetime
    has_contact: bool
    language: Language = "id"


class TicketCalled(TicketEvent):
    event_type: ClassVar[str] = "ticket_called"
    counter: int
    wait_s: float


class TicketRecalled(TicketEvent):
    event_type: ClassVar[str] = "ticket_recalled"
    counter: int
    recall_count: int


class TicketStarted(TicketEvent):
    event_type: ClassVar[str] = "ticket_started"
    counter: int


class TicketNoShow(TicketEvent):
    event_type: ClassVar[str] = "ticket_no_show"
    counter: int
    reason: NoShowReason


class TicketCompleted(TicketEvent):
    event_type: ClassVar[str] = "ticket_completed"
    counter: int
    service_time_s: float
    outcome: Optional[Outcome] = None


class TicketTransferred(TicketEvent):
    event_type: ClassVar[str] = "ticket_transferred"
    counter: int
    to_service: str
    new_ticket_id: UUID


class TicketCancelled(TicketEvent):
    event_type: ClassVar[str] = "ticket_cancelled"


class TicketRestored(TicketEvent):
    """The officer undid their last complete, no-show or transfer within the undo
    window: the ticket is back at the counter in ``status``. (An undone transfer
    also cancels the waiting ticket it had made: a ``ticket_cancelled`` of that one.)"""
    event_type: ClassVar[str] = "ticket_restored"
    counter: int
    undone: Literal["complete", "no_show", "transfer"]
    status: Literal["called", "serving"]


class TicketRequeued(TicketEvent):
    """A supervisor freed a counter whose ticket was stuck in "called": the ticket
    waits again at the place its queue time gives it."""
    event_type: ClassVar[str] = "ticket_requeued"
    counter: int


class CounterOpened(QueueEvent):
    event_type: ClassVar[str] = "counter_opened"
    counter: int
    services: list[str]
    officer: str


class CounterClosed(QueueEvent):
    event_type: ClassVar[str] = "counter_closed"
    counter: int
    officer: str


QUEUE_EVENTS = {
    cls.event_type: cls
    for cls in (
        TicketIssued, TicketCalled, TicketRecalled, TicketStarted, TicketNoShow,
        TicketCompleted, TicketTransferred, TicketCancelled, TicketRestored, TicketRequeued,
        CounterOpened, CounterClosed,
    )
}


class DocumentsEvent(Event):
    """An application's journey. Ids, codes and dates only: the applicant's NIK,
    name and contact stay in the documents schema."""
    source: ClassVar[str] = "documents"

    application_id: UUID
    type: str                       # the application type's code, e.g. SKCK_NEW


class ApplicationSubmitted(DocumentsEvent):
    event_type: ClassVar[str] = "application_submitted"
    step: Optional[str] = None
    in_hall: bool


class ApplicationStepCompleted(DocumentsEvent):
    event_type: ClassVar[str] = "application_step_completed"
    step: str
    outcome: Outcome


class ApplicationAdvanced(DocumentsEvent):
    event_type: ClassVar[str] = "application_advanced"
    from_step: Optional[str] = None
    step: Optional[str] = None


class ApplicationFailed(DocumentsEvent):
    event_type: ClassVar[str] = "application_failed"
    step: str
    reason: Literal["failed", "incomplete"]
    retake_after: Optional[date] = None


class ApplicationReady(DocumentsEvent):
    event_type: ClassVar[str] = "application_ready"
    document_number: str
    valid_until: Optional[date] = None


class ApplicationMissed(DocumentsEvent):
    """The citizen's ticket for ``step`` ended without them: not at the counter when
    called (``no_show``), or the ticket cancelled (``ticket_cancelled``: closed with the
    hall's day, or by its holder). The application waits at that step for a check-in
    with the tracking code (a new ticket for the same step). Once per missed ticket."""
    event_type: ClassVar[str] = "application_missed"
    step: str
    why: Literal["no_show", "ticket_cancelled"]


class ApplicationCollected(DocumentsEvent):
    event_type: ClassVar[str] = "application_collected"


class ApplicationCancelled(DocumentsEvent):
    event_type: ClassVar[str] = "application_cancelled"
    reason: str


DOCUMENTS_EVENTS = {
    cls.event_type: cls
    for cls in (
        ApplicationSubmitted, ApplicationStepCompleted, ApplicationAdvanced, ApplicationFailed,
        ApplicationReady, ApplicationMissed, ApplicationCollected, ApplicationCancelled,
    )
}


def parse_event(source: str, event_type: str, payload: dict) -> Event:
    """Validate an incoming payload against its model (consumers call this)."""
    registry = {"queue": QUEUE_EVENTS, "documents": DOCUMENTS_EVENTS}[source]
    return registry[event_type].model_validate(payload)
