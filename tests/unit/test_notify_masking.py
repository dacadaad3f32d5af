"""Contact masking and hashing: what of an address may appear in a log line or the
delivery record."""
from services.notify.masking import mask, mask_email, mask_phone, normalise_phone, recipient_hash


def test_email_masked():
    """Broke: an e-mail address in the clear. Checks: first letter and domain only."""
    assert mask_email("Warga.Baik@Example.ID") == "w***@example.id"
    assert mask_email("not-an-address") == "***"
    assert mask("w@example.id") == "w***@example.id"


def test_phone_masked():
    """Broke: a phone number in the clear. Checks: country and operator prefix and the
    last three digits only, whatever way the number was typed."""
    for typed in ("081234567789", "+62 812-3456-7789", "6281234567789"):
        assert mask_phone(typed) == "+62812****789"
    assert mask_phone("123") == "***"
    assert mask("") == "***"


def test_masked_forms_hide_the_middle():
    """Broke: a masking that leaves enough to identify. Checks: the masked form
    contains none of the hidden digits or local part."""
    assert "3456" not in mask("081234567789")
    assert "arga" not in mask("warga@example.id")


def test_recipient_hash_is_keyed_and_normalised():
    """Broke: an unkeyed hash (phone numbers are few enough to hash them all) or two
    hashes for one phone. Checks: same address in two spellings hashes the same;
    another secret gives another hash; the hash does not contain the number."""
    a = recipient_hash("secret-1", "0812 3456 7789")
    assert a == recipient_hash("secret-1", "+6281234567789")
    assert a != recipient_hash("secret-2", "+6281234567789")
    assert recipient_hash("s", "W@Example.id") == recipient_hash("s", "w@example.id")
    assert normalise_phone("0812-3") == "+628123"
