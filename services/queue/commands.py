"""What callers may ask of the queue service, validated at its RPC boundary."""
import re
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from shared.errors import InvalidInput

Priority = Literal["regular", "elderly", "disabled", "pregnant"]
Outcome = Literal["passed", "failed", "incomplete"]
ServiceCode = Annotated[
    str,
    BeforeValidator(lambda value: value.strip().upper() if isinstance(value, str) else value),
    Field(min_length=2, max_length=30, pattern=r"^[A-Z][A-Z0-9_]+$"),
]

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Contact(Command):
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


class IssueTicket(Command):
    service: ServiceCode
    priority: Priority = "regular"
    contact: Optional[Contact] = None
    language: Literal["id", "en"] = "id"


class OpenCounter(Command):
    services: list[ServiceCode] = Field(min_length=1, max_length=20)


class CompleteTicket(Command):
    outcome: Optional[Outcome] = None
    note: Optional[str] = Field(None, max_length=500)


class TransferTicket(Command):
    service: ServiceCode


class Officer(Command):
    username: str
    role: Literal["officer", "supervisor", "admin"]


def parse(model, data):
    """Validate ``data`` or raise InvalidInput naming each bad field."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise InvalidInput("Data tidak valid.", "Invalid input.", fields_of(exc)) from None


def fields_of(exc: ValidationError) -> dict:
    fields = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, error["msg"])
    return fields
