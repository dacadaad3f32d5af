import pytest

from shared.contracts.errors import InvalidInput
from services.queue.commands import IssueTicket, OpenCounter, parse


def test_phone_numbers_are_normalised_to_international_form():
    command = parse(IssueTicket, {"service": "skck", "contact": {"phone": "0812-3456 7890"}})
    assert command.service == "SKCK"
    assert command.contact.phone == "+6281234567890"


@pytest.mark.parametrize("body, field", [
    ({}, "service"),
    ({"service": "SKCK", "priority": "vip"}, "priority"),
    ({"service": "SKCK", "contact": {"email": "not-an-address"}}, "contact.email"),
    ({"service": "SKCK", "contact": {"phone": "12ab"}}, "contact.phone"),
    ({"service": "SKCK", "colour": "red"}, "colour"),
    ({"service": "!!"}, "service"),
])
def test_bad_input_names_the_field(body, field):
    with pytest.raises(InvalidInput) as refused:
        parse(IssueTicket, body)
    assert field in refused.value.fields


def test_a_counter_opens_for_at_least_one_service():
    with pytest.raises(InvalidInput) as refused:
        parse(OpenCounter, {"services": []})
    assert "services" in refused.value.fields
