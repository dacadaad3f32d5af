"""What callers may ask of the documents service, validated at its RPC boundary."""
import re
from datetime import date
from typing import Optional

from pydantic import Field, field_validator

from shared.contracts.commands import Command, parse  # noqa: F401 - part of this module's interface
from shared.contracts.enums import Language, Outcome, Priority

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")
CODE = r"^[A-Za-z][A-Za-z0-9_]{1,39}$"


class Applicant(Command):
    nik: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=120)
    birth_date: date
    email: Optional[str] = Field(None, max_length=254)
    phone: Optional[str] = Field(None, max_length=20)

    @field_validator("email")
    @classmethod
    def email_shape(cls, value):
        if value is not None and not EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower() if value else value

    @field_validator("phone")
    @classmethod
    def phone_shape(cls, value):
        if value is None:
            return value
        digits = re.sub(r"[\s\-().]", "", value)
        if digits.startswith("0"):
            digits = "+62" + digits[1:]  # local Indonesian form 08… → +628…
        if not PHONE.match(digits):
            raise ValueError("not a phone number")
        return digits


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
