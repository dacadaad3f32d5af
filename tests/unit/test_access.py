import uuid

from services.queue.access import digest, ticket_access_key


def test_the_ticket_access_key_follows_the_issued_ticket_and_the_installation():
    """Checks: the key is derived from the ticket the citizen was issued (a transferred
    ticket, whose access_root names it, gets the same key), differs between tickets and
    between installations, is not the id, and is long enough not to be guessed."""
    issued, other = uuid.uuid4(), uuid.uuid4()
    secret = "s" * 43
    key = ticket_access_key(secret, {"id": issued, "access_root": None})
    assert key == ticket_access_key(secret, {"id": uuid.uuid4(), "access_root": issued})
    assert key != ticket_access_key(secret, {"id": other, "access_root": None})
    assert key != ticket_access_key("t" * 43, {"id": issued, "access_root": None})
    assert len(key) == 24 and str(issued) not in key


def test_secrets_are_stored_as_digests():
    """Checks: what the database keeps of a session or kiosk key is a SHA-256, not the key."""
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
