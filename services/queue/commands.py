"""What callers may ask of the queue service, validated at its RPC boundary."""
from typing import Annotated, Optional

from datetime import date

from pydantic import AwareDatetime, BeforeValidator, Field, model_validator

from shared.contracts.commands import (  # noqa: F401 - parse is part of this module's interface
    Command, EmailAddress, PhoneNumber, parse,
)
from shared.contracts.enums import Language, Outcome, Priority, Role
from shared.contracts.errors import InvalidInput

ServiceCode = Annotated[
    str,
    BeforeValidator(lambda value: value.strip().upper() if isinstance(value, str) else value),
    Field(min_length=2, max_length=30, pattern=r"^[A-Z][A-Z0-9_]+$"),
]



class Contact(Command):
    email: Optional[EmailAddress] = None
    phone: Optional[PhoneNumber] = None


class IssueTicket(Command):
    service: ServiceCode
    priority: Priority = "regular"
    contact: Optional[Contact] = None
    language: Language = "id"


class IssueForStep(Command):
    """Another service (documents) issues a ticket on the citizen's behalf."""
    service: ServiceCode
    priority: Priority = "regular"
    language: Language = "id"
    queued_at: Optional[AwareDatetime] = None   # the citizen's original place in the queue
    request_id: str = Field(min_length=1, max_length=200)  # the caller's key: a retry gets the same ticket


class OpenCounter(Command):
    services: list[ServiceCode] = Field(min_length=1, max_length=20)


class CompleteTicket(Command):
    outcome: Optional[Outcome] = None
    note: Optional[str] = Field(None, max_length=500)


class TransferTicket(Command):
    service: ServiceCode


class Officer(Command):
    username: str
    role: Role


# --- the supervisor's catalog ------------------------------------------------------

Prefix = Annotated[str, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
                   Field(pattern=r"^[A-Z]{1,2}$")]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, site time")]
Username = Annotated[str, BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
                     Field(pattern=r"^[a-z0-9_.-]{2,40}$")]


class ServiceSettings(Command):
    """The editable part of a service; every field optional for updates."""
    prefix: Optional[Prefix] = None
    name: Optional[str] = Field(None, min_length=2, max_length=80)
    name_en: Optional[str] = Field(None, min_length=2, max_length=80)
    daily_quota: Optional[int] = Field(None, ge=1, le=10_000)
    opens_at: Optional[ClockTime] = None
    closes_at: Optional[ClockTime] = None
    open_days: Optional[list[Annotated[int, Field(ge=1, le=7)]]] = Field(None, min_length=1, max_length=7)
    target_wait_s: Optional[int] = Field(None, ge=60, le=86_400)
    default_service_s: Optional[int] = Field(None, ge=30, le=14_400)
    active: Optional[bool] = None
    sort_order: Optional[int] = Field(None, ge=0, le=1000)


class NewService(ServiceSettings):
    code: ServiceCode
    prefix: Prefix
    name: str = Field(min_length=2, max_length=80)
    name_en: str = Field(min_length=2, max_length=80)


class CounterSettings(Command):
    name: Optional[str] = Field(None, min_length=1, max_length=80)
    services: Optional[list[ServiceCode]] = Field(None, min_length=1, max_length=30)


class NewCounter(CounterSettings):
    number: int = Field(ge=1, le=999)
    name: str = Field(min_length=1, max_length=80)
    services: list[ServiceCode] = Field(min_length=1, max_length=30)


class OfficerSettings(Command):
    full_name: Optional[str] = Field(None, max_length=120)
    role: Optional[Role] = None
    password: Optional[str] = Field(None, min_length=8, max_length=200)
    active: Optional[bool] = None


class NewOfficer(OfficerSettings):
    username: Username
    role: Role = "officer"
    password: str = Field(min_length=8, max_length=200)


class NewKiosk(Command):
    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 _.-]+$")


class RunningText(Command):
    text: str = Field(max_length=500)


# --- the citizen's satisfaction survey (SKM) -----------------------------------------

Score = Annotated[int, Field(strict=True, ge=1, le=4)]


class SurveyRatings(Command):
    """U1–U9 in PermenPAN-RB 14/2017 order, each 1 (poor) to 4 (very good)."""
    u1: Score
    u2: Score
    u3: Score
    u4: Score
    u5: Score
    u6: Score
    u7: Score
    u8: Score
    u9: Score


class SubmitSurvey(Command):
    ratings: SurveyRatings
    comment: Optional[str] = Field(None, max_length=1000)


# --- the supervisor's reports ------------------------------------------------------------

REPORT_MAX_DAYS = 366


class ReportPeriod(Command):
    """Local days of the site, both included; either missing means the other (both
    missing: today)."""
    date_from: Optional[date] = Field(None, alias="from")
    date_to: Optional[date] = Field(None, alias="to")

    @model_validator(mode="after")
    def ordered_and_bounded(self):
        if self.date_from and self.date_to:
            if self.date_to < self.date_from:
                raise InvalidInput("Tanggal akhir sebelum tanggal awal.", "The end date is before the start date.",
                                   {"to": "before from"})
            if (self.date_to - self.date_from).days + 1 > REPORT_MAX_DAYS:
                raise InvalidInput(f"Periode paling lama {REPORT_MAX_DAYS} hari.",
                                   f"The period is at most {REPORT_MAX_DAYS} days.",
                                   {"to": f"at most {REPORT_MAX_DAYS} days after from"})
        return self
