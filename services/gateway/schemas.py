"""The public HTTP contract as pydantic models: request bodies are validated with
them and the OpenAPI document is generated from them."""
from datetime import date
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.enums import CallKind, Language, Outcome, Priority, Role, TicketStatus

Status = TicketStatus


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(Body):
    email: Optional[str] = Field(None, max_length=254, description="for notifications")
    phone: Optional[str] = Field(None, max_length=20, description="for notifications, e.g. 0812…")


class TicketRequest(Body):
    service: str = Field(min_length=1, max_length=30, description="service code, e.g. SKCK")
    priority: Priority = "regular"
    contact: Optional[ContactIn] = None
    language: Language = "id"


class LoginRequest(Body):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class OpenCounterRequest(Body):
    services: list[str] = Field(min_length=1, max_length=20)


class CompleteRequest(Body):
    outcome: Optional[Outcome] = None
    note: Optional[str] = Field(None, max_length=500, description="the officer's note; the reason for a failure")
    # For a ticket of an application's step (the documents service checks them against
    # the step before the ticket is completed; they never travel in an event).
    missing: list[str] = Field(default_factory=list, max_length=20,
                               description="codes of the missing documents (outcome incomplete)")
    payment_reference: Optional[str] = Field(None, max_length=60, description="the PNBP receipt (payment step)")


class ReviewRequest(Body):
    outcome: Outcome
    note: Optional[str] = Field(None, max_length=500, description="the reason, when returned")
    missing: list[str] = Field(default_factory=list, max_length=20)


class ApplicantIn(Body):
    nik: str = Field(min_length=1, max_length=32, description="16-digit NIK")
    name: str = Field(min_length=1, max_length=120)
    birth_date: date
    email: Optional[str] = Field(None, max_length=254)
    phone: Optional[str] = Field(None, max_length=20)


class FactsIn(Body):
    has_fingerprint_card: bool = False
    psychology_certificate: Optional[date] = Field(None, description="issue date of an online psychology certificate")


class ApplicationRequest(Body):
    type: str = Field(min_length=1, max_length=40, description="application type code, e.g. SKCK_NEW")
    applicant: ApplicantIn
    in_hall: bool = Field(True, description="false: registered online, checked in at the kiosk later")
    priority: Priority = "regular"
    language: Literal["id", "en"] = "id"
    facts: Optional[FactsIn] = None
    previous_valid_until: Optional[date] = Field(None, description="renewals: the previous document's expiry")


class StepSettingsIn(Body):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="the step's code, e.g. theory_test")
    name: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    service: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,29}$", description="the queue service whose counters serve it")
    retake_days: int = Field(0, ge=0, le=365, description="earliest retake after a failure, in days")
    skip_if: Optional[Literal["has_fingerprint_card", "psychology_certificate"]] = None
    issues_document: bool = Field(False, description="passing it gives the document its number and validity")
    collection: bool = Field(False, description="passing it closes the application (last step only)")
    records_payment: bool = Field(False, description="the officer enters the payment reference")
    hall: bool = Field(True, description="false: reviewed by an officer without the citizen")


class RequiredDocumentIn(Body):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    required: bool = True


class ApplicationTypeSettingsIn(Body):
    fee: int = Field(ge=0, le=100_000_000, description="rupiah, shown before starting and on every receipt")
    steps: list[StepSettingsIn] = Field(min_length=1, max_length=20, description="in order")
    required_documents: list[RequiredDocumentIn] = Field(default_factory=list, max_length=20)


class TransferRequest(Body):
    service: str = Field(min_length=1, max_length=30)


# --- answers (documentation only: the services' answers are passed through) ---

class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class FieldMessage(Answer):
    field: str
    id: str = Field(description="the field's message in Bahasa Indonesia")
    en: str = Field(description="the field's message in English")


class ErrorDetail(Answer):
    code: str
    message: str = Field(description="in the request's language (Accept-Language or ?lang=en; Indonesian otherwise)")
    fields: dict[str, str] = Field({}, description="each bad field with a short technical note (English)")
    details: list[FieldMessage] = Field([], description="each bad field's message in both languages, for pages")


class ErrorAnswer(Answer):
    error: ErrorDetail


class Health(Answer):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]


class ClosedReason(Answer):
    code: str
    id: str
    en: str


class WaitReason(Answer):
    code: str = Field(description="no_counter_open: no counter serves the service now")
    id: str
    en: str


class ServiceInfo(Answer):
    code: str
    prefix: str
    name: str
    name_en: str
    open: bool
    waiting: int
    estimated_wait_s: Optional[int] = Field(
        None, description="for a ticket taken now; null when no counter is open for the service "
                          "(estimated_wait_reason says so)")
    estimated_wait_reason: Optional[WaitReason] = None
    open_counters: Optional[int] = Field(None, description="counters open for the service now")
    colour: int = Field(description="the service's colour, 0-5 (--svc-<n>), the same on every page")
    closed_reason: Optional[ClosedReason] = None


class TicketView(Answer):
    id: str
    number: str
    service: str
    service_name: str
    priority: Priority
    status: Status
    position: Optional[int] = Field(None, description="1 = next to be called; null unless waiting")
    estimated_wait_s: Optional[int] = Field(
        None, description="null unless waiting, and while no counter is open for the service")
    estimated_wait_reason: Optional[WaitReason] = Field(
        None, description="why a waiting ticket has no estimate (no_counter_open)")
    counter: Optional[int] = None
    recall_count: int
    issued_at: str
    called_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    track_url: str = Field(description="the status page; in the issue answer its fragment (#k=) carries access_key")
    access_key: Optional[str] = Field(
        None, description="the holder's secret, only in the answer to POST /api/tickets (and its Idempotency-Key "
                          "retries); cancel asks for it in X-Ticket-Key. Kept across a transfer.")
    transferred_to: Optional[str] = None


class LoginAnswer(Answer):
    token: str
    role: Role
    expires_at: str
    username: str


class CounterView(Answer):
    counter: int
    name: str
    services: list[str]
    open: bool
    open_services: list[str]
    opened_by: Optional[str] = None
    current: Optional[dict] = None
    queues: Optional[dict[str, list[dict]]] = None
    retired: bool = Field(False, description="out of use: cannot be opened, not counted")
    max_recalls: Optional[int] = Field(None, description="recalls allowed before one more marks a no-show")
    undo: Optional[dict] = Field(None, description="{action, number, until}: what the officer may still undo")


class DisplayCounter(Answer):
    counter: int
    name: str
    number: Optional[str] = None
    service: Optional[str] = None
    called_at: Optional[str] = None


class DisplayCall(Answer):
    call_id: int
    kind: CallKind
    number: str
    service: str
    counter: int
    called_at: str


class DisplayState(Answer):
    site: str
    site_name: str
    timezone: str
    version: int
    day: str
    running_text: str
    counters: list[DisplayCounter]
    recent: list[DisplayCall]
    waiting: dict[str, int]
    services: list[dict]
    transfers: list[dict] = Field(description="tickets transferred today still waiting: {number, service, from}")


class SiteInfo(Answer):
    code: str
    name: str
    timezone: str
    running_text: str


# --- the supervisor's catalog (the queue service checks the finer rules) ---

class ServiceSettingsIn(Body):
    prefix: Optional[str] = Field(None, description="one or two capital letters, e.g. B")
    name: Optional[str] = None
    name_en: Optional[str] = None
    daily_quota: Optional[int] = Field(None, description="tickets per local day; null for no quota")
    opens_at: Optional[str] = Field(None, description="HH:MM in the site's time zone; null with closes_at for always")
    closes_at: Optional[str] = None
    open_days: Optional[list[int]] = Field(None, description="ISO weekdays, 1 = Monday … 7 = Sunday")
    target_wait_s: Optional[int] = None
    default_service_s: Optional[int] = Field(None, description="service time assumed before there is history")
    active: Optional[bool] = None
    sort_order: Optional[int] = None


class NewServiceIn(ServiceSettingsIn):
    code: str
    prefix: str
    name: str
    name_en: str


class CounterSettingsIn(Body):
    name: Optional[str] = None
    services: Optional[list[str]] = Field(None, description="codes of the services this counter may serve")


class NewCounterIn(Body):
    number: int
    name: str
    services: list[str]


class OfficerSettingsIn(Body):
    full_name: Optional[str] = None
    role: Optional[Role] = None
    password: Optional[str] = Field(None, description="at least 8 characters")
    active: Optional[bool] = None


class NewOfficerIn(Body):
    username: str
    full_name: Optional[str] = None
    role: Role = "officer"
    password: str = Field(description="at least 8 characters")


class NewKioskIn(Body):
    name: str = Field(min_length=1, max_length=40, description="e.g. lobby")


class KioskAccount(Answer):
    id: int
    name: str
    created_by: str
    created_at: str
    active: bool


class NewKioskAnswer(KioskAccount):
    key: str = Field(description="the kiosk's key, shown only here; the kiosk sends it as X-Kiosk-Key")
    kiosk_url: str = Field(description="the kiosk page with the key in its fragment, to open once on the kiosk")


class RunningTextIn(Body):
    text: str = Field(max_length=500)


class ServiceDefinition(Answer):
    code: str
    prefix: str
    name: str
    name_en: str
    daily_quota: Optional[int] = None
    opens_at: Optional[str] = None
    closes_at: Optional[str] = None
    open_days: list[int]
    target_wait_s: int
    default_service_s: int
    active: bool
    colour: Optional[int] = Field(None, description="the service's colour, 0-5, as on the kiosk and the boards")


class CounterDefinition(Answer):
    counter: int
    name: str
    services: list[str]
    open: bool
    retired: bool = False


class OfficerAccount(Answer):
    username: str
    full_name: str
    role: Role
    active: bool


class DeadLetter(Answer):
    id: str = Field(description="the delivery's (or, when its contact could not be asked, the message's) id")
    what: Literal["delivery", "message"]
    channel: Optional[str] = Field(None, description="email, sms, whatsapp or log; none for a message")
    recipient: Optional[str] = Field(None, description="masked, e.g. w***@example.id")
    kind: str
    site: str
    attempts: int
    reason: Optional[str] = None
    event_at: str
    dead_at: str


class ResendAnswer(Answer):
    id: str
    status: Literal["pending"]


class ApplicationStep(Answer):
    code: str
    name: str
    name_en: str
    service: str


class RequiredDocumentInfo(Answer):
    code: str
    name: str
    name_en: str
    required: bool


class ApplicationTypeInfo(Answer):
    code: str
    name: str
    name_en: str
    fee: int
    steps: list[ApplicationStep]
    required_documents: list[RequiredDocumentInfo]


class StepSettings(Answer):
    code: str
    name: str
    name_en: str
    service: str
    retake_days: int
    skip_if: Optional[str] = None
    issues_document: bool
    collection: bool
    records_payment: bool
    hall: bool


class ApplicationTypeSettings(Answer):
    code: str
    name: str
    name_en: str
    fee: int
    online: bool
    validity_months: Optional[int] = None
    steps: list[StepSettings]
    required_documents: list[RequiredDocumentInfo]
    updated_at: Optional[str] = None
    updated_by: Optional[str] = None


class ApplicationView(Answer):
    id: str
    tracking_code: str
    access_key: Optional[str] = Field(
        None, description="in the create answer only: the holder's proof, sent as X-Application-Key to cancel")
    type: str
    fee: int
    status: str
    step: Optional[str] = None
    steps: list[dict]
    history: list[dict]
    document_number: Optional[str] = None
    valid_until: Optional[str] = None
    ticket: Optional[dict] = None
    required_documents: list[RequiredDocumentInfo] = []
    created_at: Optional[str] = None
    check_in_before: Optional[str] = Field(None, description="an online registration lapses after this")


# --- satisfaction survey (SKM, PermenPAN-RB 14/2017) ----------------------------------------

class SurveyRatingsIn(Body):
    """The nine SKM elements, 1 (poor) to 4 (very good)."""
    u1: int = Field(ge=1, le=4, strict=True, description="requirements (persyaratan)")
    u2: int = Field(ge=1, le=4, strict=True, description="procedure (sistem, mekanisme dan prosedur)")
    u3: int = Field(ge=1, le=4, strict=True, description="service time (waktu penyelesaian)")
    u4: int = Field(ge=1, le=4, strict=True, description="cost (biaya/tarif)")
    u5: int = Field(ge=1, le=4, strict=True, description="product (produk spesifikasi jenis pelayanan)")
    u6: int = Field(ge=1, le=4, strict=True, description="officer competence (kompetensi pelaksana)")
    u7: int = Field(ge=1, le=4, strict=True, description="officer behaviour (perilaku pelaksana)")
    u8: int = Field(ge=1, le=4, strict=True, description="complaint handling (penanganan pengaduan)")
    u9: int = Field(ge=1, le=4, strict=True, description="facilities (sarana dan prasarana)")


class SurveyRequest(Body):
    ratings: SurveyRatingsIn
    comment: Optional[str] = Field(None, max_length=1000, description="optional, up to 1,000 characters")


class SurveyAnswer(Answer):
    ticket_id: str
    submitted: bool


# --- reports ----------------------------------------------------------------------------------

class IkmFigures(Answer):
    index: Optional[float] = Field(None, description="mean of the element scores × 25 (25–100), 2 decimals")
    grade: Optional[Literal["A", "B", "C", "D"]] = None
    responses: int
    elements: dict[str, float] = Field(default_factory=dict, description="u1..u9: each element's mean score")


class ReportFigures(Answer):
    tickets: int
    issued: int
    transferred_in: int
    called: int
    served: int
    no_shows: int
    transferred: int
    cancelled: int
    open: int
    wait_mean_s: Optional[float] = None
    wait_p50_s: Optional[float] = None
    wait_p90_s: Optional[float] = None
    service_time_mean_s: Optional[float] = None
    service_time_p50_s: Optional[float] = None
    service_time_p90_s: Optional[float] = None
    no_show_share: Optional[float] = Field(None, description="no-shows ÷ tickets called")
    within_target_count: int
    within_target: Optional[float] = Field(None, description="called within the service's target wait ÷ called")


class ServiceReport(ReportFigures):
    code: str
    name: str
    name_en: str
    target_wait_s: Optional[int] = None
    ikm: IkmFigures


class HourReport(Answer):
    hour: int
    tickets: int
    services: dict[str, int]


class StaffFigures(Answer):
    called: int
    served: int
    no_shows: int
    transferred: int
    wait_mean_s: Optional[float] = None
    service_time_mean_s: Optional[float] = None
    service_time_total_s: Optional[float] = None


class OfficerReport(StaffFigures):
    officer: str


class CounterReport(StaffFigures):
    counter: int


class DayReport(Answer):
    date: str
    tickets: int
    issued: int
    called: int
    served: int
    no_shows: int
    wait_mean_s: Optional[float] = None
    wait_p50_s: Optional[float] = None
    wait_p90_s: Optional[float] = None
    within_target: Optional[float] = None
    ikm: IkmFigures


class StepReport(Answer):
    code: str
    name: str
    name_en: str
    outcomes: int
    passed: int
    failed: int
    incomplete: int
    pass_rate: Optional[float] = None


class ApplicationTypeReport(Answer):
    code: str
    name: str
    name_en: str
    applications: int
    ready: int
    in_progress: int
    ended: int
    days_to_ready_mean: Optional[float] = None
    days_to_ready_p50: Optional[float] = None
    steps: list[StepReport]


class ApplicationsReport(Answer):
    available: bool = Field(description="false when the documents service did not answer")
    types: list[ApplicationTypeReport]


class ReportSummary(Answer):
    site: str
    site_name: str
    timezone: str
    generated_at: str
    from_: str = Field(alias="from", description="first local day (YYYY-MM-DD)")
    to: str = Field(description="last local day, included")
    totals: ReportFigures
    services: list[ServiceReport]
    ikm: IkmFigures
    hours: list[HourReport]
    officers: list[OfficerReport]
    counters: list[CounterReport]
    days: list[DayReport]
    applications: ApplicationsReport
