"""How notify asks the owners for a contact (services/notify/contacts.py), on its own:
the RPC proxies are stand-ins that record what is asked (the real RPCs run in
tests/integration/test_notify_service.py and tests/e2e/test_notify_mail.py,
test_notify_applications.py)."""
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


def test_a_ticket_contact_gets_the_holders_status_link_and_the_wait():
    """Broke: the link without the ticket, a link that cannot cancel, or the key left in
    the contact. Checks: the queue is asked as "notify"; the answer adds
    <public url>/t/<id>#k=<access key> (as the kiosk's track_url) and the queue's
    estimated wait, and the key is nowhere else in it."""
    ticket_id = uuid.uuid4()
    queue = QueueRpc({"email": "ani@example.id", "phone": None, "language": "en", "access_key": "Zx9_-abc"})
    answer = Owners(queue, "https://ptsp.example.id/")("ticket", ticket_id, "polres-x")
    assert answer == {"email": "ani@example.id", "phone": None, "language": "en",
                      "track_url": f"https://ptsp.example.id/t/{ticket_id}#k=Zx9_-abc", "estimated_wait_s": 420}
    assert queue.asked[0] == ("ticket_contact", "polres-x", str(ticket_id), "notify")


def test_a_key_that_is_not_a_key_stays_out_of_the_link():
    """Broke: whatever the owner answered pasted into a link. Checks: a key with other
    characters than the base64url alphabet gives the plain status link."""
    queue = QueueRpc({"email": "ani@example.id", "phone": None, "language": "id", "access_key": "a b<c>"})
    answer = Owners(queue, "http://x")("ticket", "t1", "s")
    assert answer["track_url"] == "http://x/t/t1"


class DocumentsRpc:
    def __init__(self, contact, view):
        self.contact, self.view, self.asked = contact, view, []

    def applicant_contact(self, site, application_id, actor):
        self.asked.append(("applicant_contact", site, application_id, actor))
        return self.contact

    def get_application(self, site, tracking_code):
        self.asked.append(("get_application", site, tracking_code))
        return self.view


def test_an_applicants_contact_gets_the_status_page_and_the_words():
    """Broke: an application message without the applicant's status page, or without
    the names, next number and reason its templates need. Checks: documents is asked
    as "notify"; the link is <public url>/a/<tracking code>; details carry the names,
    the current step's ticket, the last outcome with the missing documents' names."""
    application_id = uuid.uuid4()
    contact = {"email": "ani@example.id", "phone": None, "language": "id", "tracking_code": "K7M2P9QX4R",
               "online": False, "documents": {"kk": {"name": "Kartu Keluarga", "name_en": "Family card"}}}
    view = {"type_name": "SKCK Baru", "type_name_en": "New SKCK", "step": "fingerprint",
            "steps": [{"code": "fingerprint", "name": "Sidik jari", "name_en": "Fingerprints", "service": "SKCK",
                       "state": "current"}],
            "history": [{"step": "registration", "outcome": "incomplete", "note": None, "missing": ["kk"]}],
            "ticket": {"number": "B004", "service": "SKCK", "service_name": "SKCK", "service_name_en": "SKCK",
                       "position": 2}}
    documents = DocumentsRpc(contact, view)
    answer = Owners(QueueRpc(None), "https://ptsp.example.id", documents)("application", application_id, "s")
    assert documents.asked == [("applicant_contact", "s", str(application_id), "notify"),
                               ("get_application", "s", "K7M2P9QX4R")]
    assert answer["track_url"] == "https://ptsp.example.id/a/K7M2P9QX4R"
    assert (answer["email"], answer["language"]) == ("ani@example.id", "id")
    assert "tracking_code" not in answer and "documents" not in answer
    details = answer["details"]
    assert details["steps"]["fingerprint"]["name_en"] == "Fingerprints" and details["current_step"] == "fingerprint"
    assert details["ticket"] == {"number": "B004", "service": "SKCK", "service_name": "SKCK",
                                 "service_name_en": "SKCK"}
    assert details["last"]["missing"] == [{"name": "Kartu Keluarga", "name_en": "Family card"}]
    assert details["tracking_code"] == "K7M2P9QX4R"     # shown in a missed call's message


def test_an_applicant_without_address_is_not_looked_up_further():
    """Broke: reading an application nobody will be told of. Checks: one RPC only."""
    documents = DocumentsRpc({"email": None, "phone": None, "language": "id", "tracking_code": "X"}, None)
    answer = Owners(QueueRpc(None), "http://x", documents)("application", uuid.uuid4(), "s")
    assert answer["email"] is None and [c[0] for c in documents.asked] == ["applicant_contact"]


def test_no_address_asks_nothing_more():
    """Broke: a second RPC for a citizen nobody will write to. Checks: a contact
    without e-mail or phone is returned as it is, the ticket not asked for."""
    queue = QueueRpc({"email": None, "phone": None, "language": "id"})
    assert Owners(queue, "http://x")("ticket", uuid.uuid4(), "s")["email"] is None
    assert [call[0] for call in queue.asked] == ["ticket_contact"]


def test_an_application_without_the_documents_service_is_not_dropped():
    """Broke: an application message silently counted as "no contact" when no
    documents proxy is given. Checks: the lookup raises (so delivery retries, then
    dead-letters)."""
    with pytest.raises(OwnerNotWired):
        Owners(QueueRpc(None), "http://x")("application", uuid.uuid4(), "s")
