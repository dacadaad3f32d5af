"""Field messages of a refusal in both languages (issue 11: an Indonesian page showed
"Input should be greater than or equal to 1")."""
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from shared.contracts import field_text
from shared.contracts.commands import Command, EmailAddress, PhoneNumber, parse
from shared.contracts.errors import InvalidInput


class Form(BaseModel):
    daily_quota: int = Field(ge=1)
    name: str = Field(max_length=5)
    priority: Literal["regular", "elderly"]
    when: str


class Contact(Command):
    email: EmailAddress = None
    phone: PhoneNumber = None


def notes(model, data):
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def test_pydantic_messages_get_indonesian_and_english_texts():
    fields = notes(Form, {"daily_quota": 0, "name": "abcdefg", "priority": "vip"})
    details = {d["field"]: d for d in field_text.details(fields, "Data tidak valid.")}
    assert details["daily_quota"] == {"field": "daily_quota", "id": "harus 1 atau lebih", "en": "must be 1 or more"}
    assert details["name"]["id"] == "paling banyak 5 karakter"
    assert details["priority"]["id"] == "harus salah satu dari: 'regular' atau 'elderly'"
    assert details["when"] == {"field": "when", "id": "wajib diisi", "en": "required"}
    for d in details.values():
        assert "Input should" not in d["id"] and "should" not in d["id"]


def test_contact_validators_and_notes_without_a_template():
    fields = notes(Contact, {"phone": "0812", "email": "warga@"})
    texts = {d["field"]: d for d in field_text.details(fields, "Data tidak valid.")}
    assert texts["phone"]["id"].startswith("bukan nomor HP yang valid")
    assert texts["email"]["en"] == "not an e-mail address"
    # a note no template knows: the refusal's Indonesian message stands in
    assert field_text.translate("counter 2 does not serve LOST_ITEM", "Loket 2 tidak melayani LOST_ITEM.") == {
        "id": "Loket 2 tidak melayani LOST_ITEM.", "en": "counter 2 does not serve LOST_ITEM"}


def test_a_refused_command_names_each_field_in_both_languages():
    with pytest.raises(InvalidInput) as caught:
        parse(Contact, {"phone": "0812"})
    assert caught.value.message_id == "Data tidak valid: phone bukan nomor HP yang valid (10 sampai 13 angka, diawali 08 atau +62)."
    assert caught.value.message_en.startswith("Invalid input: phone not a mobile number")
