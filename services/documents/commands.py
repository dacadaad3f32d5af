"""What callers may ask of the documents service, validated at its RPC boundary."""
import re
from datetime import date
from typing import Literal, Optional

from pydantic import Field, field_validator

from shared.contracts.commands import (  # noqa: F401 - parse is part of this module's interface
    Command, EmailAddress, PhoneNumber, parse,
)
from shared.contracts.enums import Language, Outcome, Priority

CODE = r"^[A-Za-z][A-Za-z0-9_]{1,39}$"


class Applicant(Command):
    nik: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=120)
    birth_date: date
    email: Optional[EmailAddress] = None
    phone: Optional[PhoneNumber] = None


class Facts(Command):
    has_fingerprint_card: bool = False
    psychology_certificate: Optional[date] = None   # issue date of an accredited online test's certificate


class NewApplication(Command):
    type: str = Field(min_length=1, max_length=40, pattern=CODE)
    applicant: Applicant
    in_hall: bool = True          # False: registered online, checks in at the kiosk later
    priority: Priority = "regular"
    language: Language = "id"
    facts: Facts = Field(default_factory=Facts)
    previous_valid_until: Optional[date] = None     # renewals: the old document's expiry


class OutcomeDetails(Command):
    """What the officer enters with the outcome of an application's step."""
    outcome: Outcome
    note: Optional[str] = Field(None, max_length=500)
    missing: list[str] = Field(default_factory=list, max_length=20)
    payment_reference: Optional[str] = Field(None, min_length=1, max_length=60)

    @field_validator("missing")
    @classmethod
    def codes(cls, value):
        for code in value:
            if not re.match(r"^[a-z][a-z0-9_]{1,39}$", code):
                raise ValueError("document codes, e.g. kk, photo")
        return value


STEP_CODE = r"^[a-z][a-z0-9_]{1,39}$"
SERVICE_CODE = r"^[A-Z][A-Z0-9_]{0,29}$"


class StepSettings(Command):
    """One step of a type, as a supervisor sets it (the flags say what the step does
    in the journey; the queue service serves it)."""
    code: str = Field(pattern=STEP_CODE)
    name: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    service: str = Field(pattern=SERVICE_CODE)
    retake_days: int = Field(0, ge=0, le=365)
    skip_if: Optional[Literal["has_fingerprint_card", "psychology_certificate"]] = None
    issues_document: bool = False
    collection: bool = False
    records_payment: bool = False
    hall: bool = True


class DocumentSettings(Command):
    code: str = Field(pattern=STEP_CODE)
    name: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    required: bool = True


class TypeSettings(Command):
    """A supervisor's change of an application type at their site."""
    fee: int = Field(ge=0, le=100_000_000)
    steps: list[StepSettings] = Field(min_length=1, max_length=20)
    required_documents: list[DocumentSettings] = Field(default_factory=list, max_length=20)


class ReportDays(Command):
    """The local days of a report, both included (the gateway's caller checked the order)."""
    date_from: date
    date_to: date
