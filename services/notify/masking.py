"""Contacts as they may appear in a log line, a delivery record or an error text:
masked (``w***@example.id``, ``+62812****789``) or hashed, never in the clear."""
import hashlib
import hmac
import re

_DIGITS = re.compile(r"\D+")


def normalise_phone(phone: str) -> str:
    """Indonesian numbers in one form, +62…: 0812… and 62812… are the same phone."""
    digits = _DIGITS.sub("", phone or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return "+" + digits if digits else ""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def mask_email(email: str) -> str:
    local, at, domain = normalise_email(email).partition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_phone(phone: str) -> str:
    number = normalise_phone(phone)
    digits = number.lstrip("+")
    if len(digits) < 8:
        return "***"
    # Country code and operator prefix (+62812) and the last three digits: enough for
    # an officer to tell two numbers apart on the phone, too little to call either.
    return f"+{digits[:5]}****{digits[-3:]}"


def mask(address: str) -> str:
    """Mask an e-mail address or a phone number, whichever ``address`` is."""
    if not address:
        return "***"
    return mask_email(address) if "@" in address else mask_phone(address)


def normalise(address: str) -> str:
    return normalise_email(address) if "@" in (address or "") else normalise_phone(address)


def recipient_hash(secret: str, address: str) -> str:
    """A keyed hash (HMAC-SHA256 with the installation's secret) of the normalised
    address. Keyed because Indonesian phone numbers are few enough to hash them all:
    a plain SHA-256 of one would be as good as the number itself."""
    return hmac.new(secret.encode(), normalise(address).encode(), hashlib.sha256).hexdigest()
