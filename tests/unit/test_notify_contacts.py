"""How notify asks the owners for a contact (services/notify/contacts.py), on its own:
the RPC proxies are stand-ins that record what is asked (the real RPCs run in
tests/integration/test_notify_service.py and tests/e2e/test_notify_mail.py)."""
import uuid

import pytest

from services.notify.contacts import OwnerNotWired, Owners


class QueueRpc:
    def __init__(self, contact):
        self.contact, self.asked = contact, []

    def ticket_contact(self, site, ticket_id, actor):
        self.asked.append(("ticket_contact", site, ticket_id, actor))
        return self.contact

    def get_ticket(self, site, ticket_id):
        self.asked.append(("get_ticket", site, ticket_id))
        return {"id": ticket_id, "estimated_wait_s": 420}


def test_a_ticket_contact_gets_the_plain_status_link_and_the_wait():
    """Broke: the link without the ticket, or with more than the public status page.
    Checks: the queue is asked as "notify"; the answer adds <public url>/t/<id> (no key)
    and the queue's estimated wait."""
    ticket_id = uuid.uuid4()
    queue = QueueRpc({"email": "ani@example.id", "phone": None, "language": "en"})
    answer = Owners(queue, "https://ptsp.example.id/")("ticket", ticket_id, "polres-x")
    assert answer == {"email": "ani@example.id", "phone": None, "language": "en",
                      "track_url": f"https://ptsp.example.id/t/{ticket_id}", "estimated_wait_s": 420}
    assert queue.asked[0] == ("ticket_contact", "polres-x", str(ticket_id), "notify")


def test_no_address_asks_nothing_more():
    """Broke: a second RPC for a citizen nobody will write to. Checks: a contact
    without e-mail or phone is returned as it is, the ticket not asked for."""
    queue = QueueRpc({"email": None, "phone": None, "language": "id"})
    assert Owners(queue, "http://x")("ticket", uuid.uuid4(), "s")["email"] is None
    assert [call[0] for call in queue.asked] == ["ticket_contact"]


def test_an_application_without_the_documents_service_is_not_dropped():
    """Broke: an application message silently counted as "no contact" while documents
    is not wired. Checks: the lookup raises (so delivery retries, then dead-letters)."""
    with pytest.raises(OwnerNotWired):
        Owners(QueueRpc(None), "http://x")("application", uuid.uuid4(), "s")
