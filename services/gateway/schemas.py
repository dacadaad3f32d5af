"""The public HTTP contract as pydantic models: request bodies are validated with
them and the OpenAPI document is generated from them."""
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["regular", "elderly", "disabled", "pregnant"]
Status = Literal["waiting", "called", "serving", "done", "no_show", "cancelled", "transferred"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(Body):
    email: Optional[str] = Field(None, max_length=254, description="for notifications")
    phone: Optional[str] = Field(None, max_length=20, description="for notifications, e.g. 0812…")


class TicketRequest(Body):
    service: str = Field(min_length=1, max_length=30, description="service code, e.g. SKCK")
    priority: Priority = "regular"
    contact: Optional[ContactIn] = None
    language: Literal["id", "en"] = "id"


class LoginRequest(Body):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class OpenCounterRequest(Body):
    services: list[str] = Field(min_length=1, max_length=20)


class CompleteRequest(Body):
    outcome: Optional[Literal["passed", "failed", "incomplete"]] = None
    note: Optional[str] = Field(None, max_length=500)


class TransferRequest(Body):
    service: str = Field(min_length=1, max_length=30)


# --- answers (documentation only: the services' answers are passed through) ---

class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorDetail(Answer):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorAnswer(Answer):
    error: ErrorDetail


class Health(Answer):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]


class ClosedReason(Answer):
    code: str
    id: str
    en: str


class ServiceInfo(Answer):
    code: str
    prefix: str
    name: str
    name_en: str
    open: bool
    waiting: int
    estimated_wait_s: int
    closed_reason: Optional[ClosedReason] = None


class TicketView(Answer):
    id: str
    number: str
    service: str
    service_name: str
    priority: Priority
    status: Status
    position: Optional[int] = Field(None, description="1 = next to be called; null unless waiting")
    estimated_wait_s: Optional[int] = None
    counter: Optional[int] = None
    recall_count: int
    issued_at: str
    called_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    track_url: str
    transferred_to: Optional[str] = None


class LoginAnswer(Answer):
    token: str
    role: Literal["officer", "supervisor", "admin"]
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


class DisplayCounter(Answer):
    counter: int
    name: str
    number: Optional[str] = None
    service: Optional[str] = None
    called_at: Optional[str] = None


class DisplayCall(Answer):
    call_id: int
    kind: Literal["call", "recall"]
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


class SiteInfo(Answer):
    code: str
    name: str
    timezone: str
    running_text: str
