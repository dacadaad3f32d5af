"""The base of every service's commands: what callers may ask, validated at the
RPC boundary. A refusal is an InvalidInput naming each bad field."""
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.contracts import field_text
from shared.contracts.errors import InvalidInput

# NUL breaks PostgreSQL text (a 500 before); the others have no place in names, codes,
# e-mail addresses or notes. Tab and newlines are allowed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_REFUSED = "control characters are not allowed"


def has_control_characters(value) -> bool:
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, (list, tuple)):
        return any(isinstance(item, str) and CONTROL_CHARACTERS.search(item) for item in value)
    return False


EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")


def _email(value):
    if not EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value.lower()


def _phone(value):
    digits = re.sub(r"[\s\-().]", "", value)
    if digits.startswith("0"):
        digits = "+62" + digits[1:]  # local Indonesian form 08… → +628…
    if not PHONE.match(digits):
        raise ValueError("not a phone number")
    return digits


# A citizen's contact, as every service takes it: an e-mail address (lower case) and
# a phone number in international form.
EmailAddress = Annotated[str, Field(max_length=254), AfterValidator(_email)]
PhoneNumber = Annotated[str, Field(max_length=20), AfterValidator(_phone)]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def no_control_characters(cls, value):
        """Every string field of every command (and strings in lists) refuses control
        characters, so a direct RPC caller gets the field named, never a 500."""
        if has_control_characters(value):
            raise ValueError(CONTROL_REFUSED)
        return value


def check_arguments(names_and_values):
    """The plain string arguments of an RPC call (site, username, service code,
    ticket id...) get the same refusal as command fields."""
    fields = {name: CONTROL_REFUSED for name, value in names_and_values if has_control_characters(value)}
    if fields:
        names = ", ".join(fields)
        raise InvalidInput(f"Data tidak valid: {names}.", f"Invalid input: {names}.", fields)


def parse(model, data):
    """Validate ``data`` or raise InvalidInput naming each bad field."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        fields = fields_of(exc)
        raise InvalidInput(*field_text.summary(fields), fields) from None


def fields_of(exc: ValidationError) -> dict:
    fields = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, error["msg"])
    return fields
