"""Field messages of an error answer in both languages.

A refusal's ``fields`` name each bad field with a short English note: pydantic's
message for a validation error ("Input should be greater than or equal to 1"), or the
note the refusing code wrote ("already used"). Those notes stay in ``fields`` as
before (clients and logs read them); the answer adds ``details``, one entry per field
with its message in Indonesian and English, so a page shows the chosen language's text
and never raw English in an Indonesian page (issue 11).

pydantic's messages are stable templates; each known one is given its Indonesian
form here. A note without one falls back to the refusal's own Indonesian message,
which every refusal has.
"""
import re

# (pattern over the English note, Indonesian template, English template or None = the
# note itself); groups are passed to both templates in order.
_TEMPLATES = [
    (r"Field required|required", "wajib diisi", "required"),
    (r"Input should be greater than or equal to (\S+)", "harus {0} atau lebih", "must be {0} or more"),
    (r"Input should be greater than (\S+)", "harus lebih dari {0}", "must be more than {0}"),
    (r"Input should be less than or equal to (\S+)", "paling banyak {0}", "must be {0} or less"),
    (r"Input should be less than (\S+)", "harus kurang dari {0}", "must be less than {0}"),
    (r"String should have at least (\d+) characters?", "paling sedikit {0} karakter", "at least {0} characters"),
    (r"String should have at most (\d+) characters?", "paling banyak {0} karakter", "at most {0} characters"),
    (r"(?:List|Set|Tuple|Dictionary) should have at least (\d+) items?.*", "pilih paling sedikit {0}",
     "choose at least {0}"),
    (r"(?:List|Set|Tuple|Dictionary) should have at most (\d+) items?.*", "paling banyak {0} pilihan",
     "at most {0} items"),
    (r"Input should be a valid integer.*", "harus bilangan bulat", "must be a whole number"),
    (r"Input should be a finite number|Input should be a valid number.*", "harus angka", "must be a number"),
    (r"Input should be a valid string.*", "harus teks", "must be text"),
    (r"Input should be a valid boolean.*", "harus ya atau tidak (true/false)", "must be true or false"),
    (r"Input should be a valid (?:list|array|set|tuple).*", "harus daftar", "must be a list"),
    (r"Input should be a valid dictionary.*|Input should be an object.*|must be an object",
     "harus objek JSON", "must be an object"),
    (r"Input should be a valid date.*|Input should be a valid date or datetime.*",
     "harus tanggal (TTTT-BB-HH)", "must be a date (YYYY-MM-DD)"),
    (r"Input should be a valid time.*", "harus jam (JJ:MM)", "must be a time (HH:MM)"),
    (r"Input should be a valid datetime.*", "harus tanggal dan jam", "must be a date and time"),
    (r"Input should be a valid UUID.*|not a uuid", "bukan UUID yang valid", "not a valid UUID"),
    (r"Input should be (.+)", "harus salah satu dari: {0}", "must be {0}"),
    (r"Extra inputs are not permitted", "kolom ini tidak dikenal", "not a known field"),
    (r"String should match pattern .*", "formatnya tidak sesuai", "wrong format"),
    (r"(?:Value error, )?not an e-mail address", "bukan alamat e-mail yang valid", "not an e-mail address"),
    (r"(?:Value error, )?not a phone number",
     "bukan nomor HP yang valid (10 sampai 13 angka, diawali 08 atau +62)",
     "not a mobile number (10 to 13 digits, starting with 08 or +62)"),
    (r"(?:Value error, )?control characters are not allowed.*", "tidak boleh berisi karakter kontrol",
     "control characters are not allowed"),
    (r"invalid JSON", "bukan JSON yang valid", "not valid JSON"),
    (r"nested too deeply", "bersarang terlalu dalam", "nested too deeply"),
    (r"already used|already exists|already taken|already registered", "sudah dipakai", None),
    (r"must be after opens_at", "harus setelah jam buka", None),
    (r"unknown", "tidak dikenal", None),
    (r"inactive", "tidak aktif", None),
]
_COMPILED = [(re.compile(pattern + r"\Z", re.IGNORECASE), id_, en) for pattern, id_, en in _TEMPLATES]


def translate(note, fallback_id):
    """``{"id", "en"}`` for one field's English ``note``; ``fallback_id`` (the
    refusal's Indonesian message) where no template knows the note."""
    text = str(note or "").strip()
    if text.lower().startswith("value error, "):
        text = text[len("value error, "):]
    for pattern, id_, en in _COMPILED:
        match = pattern.match(text)
        if match:
            groups = match.groups()
            id_groups = [g.replace(" or ", " atau ") for g in groups]
            return {"id": id_.format(*id_groups), "en": en.format(*groups) if en else text}
    return {"id": fallback_id, "en": text or fallback_id}


def summary(fields):
    """``(message_id, message_en)`` of a validation refusal: each field with its
    message, e.g. "Data tidak valid: daily_quota harus 1 atau lebih." """
    texts = [(name, translate(note, "tidak valid")) for name, note in fields.items()]
    return ("Data tidak valid: %s." % "; ".join("%s %s" % (name, m["id"]) for name, m in texts),
            "Invalid input: %s." % "; ".join("%s %s" % (name, m["en"]) for name, m in texts))


def details(fields, message_id):
    """One entry per field: ``{"field", "id", "en"}``."""
    return [{"field": name, **translate(note, message_id)} for name, note in (fields or {}).items()]
