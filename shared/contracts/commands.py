"""The base of every service's commands: what callers may ask, validated at the
RPC boundary. A refusal is an InvalidInput naming each bad field."""
import re

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

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
        raise InvalidInput("Data tidak valid.", "Invalid input.", fields_of(exc)) from None


def fields_of(exc: ValidationError) -> dict:
    fields = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, error["msg"])
    return fields
