"""The documents service's rules, free of any framework or I/O: application types
and their steps, the applicant's identity checks (NIK), and an application's
journey through the hall, step by step.

An application walks its type's steps in order. Each hall step is served at the
counters of one queue service; passing it moves the citizen into the next step's
queue, failing it closes the visit with the reason and the earliest retake date,
and an incomplete file closes the visit with the list of what is missing. The step
that prints the document gives it its number and validity; collection closes the
application. The application records the events it raises (``events``) for the
service to publish; it never talks to the queue itself.
"""
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from shared.contracts import events as contract
from shared.contracts.changes import Change
from shared.contracts.errors import Conflict, InvalidInput

OUTCOMES = ("passed", "failed", "incomplete")
STATUSES = ("registered", "submitted", "in_progress", "missed", "failed", "incomplete", "returned", "ready",
            "collected", "cancelled", "expired")
OPEN_STATUSES = frozenset({"registered", "submitted", "in_progress", "missed", "failed", "incomplete", "returned",
                           "ready"})
# What the citizen does next, by status: come back through the kiosk's check-in.
COMES_BACK = frozenset({"registered", "missed", "failed", "incomplete"})
ONLINE_REGISTRATION_LAPSES_AFTER = timedelta(days=3)
PSYCHOLOGY_CERTIFICATE_VALID = timedelta(days=183)  # six months


@dataclass(frozen=True)
class StepDef:
    code: str
    name: str
    name_en: str
    service: str                     # the queue service whose counters serve this step
    retake_days: int = 0             # earliest retake after a failed outcome
    skip_if: Optional[str] = None    # a fact of the application that makes the step unnecessary
    issues_document: bool = False    # passing it gives the document its number and validity
    collection: bool = False         # passing it closes the application
    records_payment: bool = False    # the officer enters the payment reference here
    hall: bool = True                # False: an officer reviews it without the citizen present


@dataclass(frozen=True)
class RequiredDocument:
    code: str
    name: str
    name_en: str
    required: bool = True


@dataclass(frozen=True)
class ApplicationType:
    code: str
    name: str
    name_en: str
    fee: int                           # rupiah
    steps: tuple
    required_documents: tuple
    validity_months: Optional[int]     # None: the document does not expire
    document_prefix: str
    online: bool = False               # submitted online with documents, reviewed by an officer
    renewal_grace_days: Optional[int] = None  # renewal allowed up to this long past the old expiry
    minimum_age: Optional[int] = None

    def step(self, code) -> StepDef:
        for step in self.steps:
            if step.code == code:
                return step
        raise KeyError(code)


SKIP_FACTS = ("has_fingerprint_card", "psychology_certificate")


def revise_type(kind: ApplicationType, fee: int, steps: tuple, required_documents: tuple,
                services: set) -> ApplicationType:
    """The type with a supervisor's fee, steps and required documents, refused (naming
    the field) when its applications could not walk it: each step served by one of the
    site's queue services, step and document codes unique, exactly one step that
    issues the document, collection only as the last step."""
    fields, message_id, message_en = {}, [], []

    def refuse(name, text_id, text_en, detail):
        fields.setdefault(name, detail)
        message_id.append(text_id)
        message_en.append(text_en)

    seen = set()
    for i, step in enumerate(steps):
        if step.code in seen:
            refuse(f"steps.{i}.code", f"Kode langkah {step.code} dipakai dua kali.",
                   f"The step code {step.code} is used twice.", "duplicate step code")
        seen.add(step.code)
        if step.service not in services:
            refuse(f"steps.{i}.service", f"Layanan {step.service} tidak ada di kantor ini.",
                   f"There is no service {step.service} at this site.", "unknown queue service")
        if step.collection and i != len(steps) - 1:
            refuse(f"steps.{i}.collection", "Pengambilan harus langkah terakhir.",
                   "Collection must be the last step.", "only the last step may be the collection")
        if step.skip_if is not None and step.skip_if not in SKIP_FACTS:
            refuse(f"steps.{i}.skip_if", "Syarat lewati langkah tidak dikenal.", "Unknown skip condition.",
                   "one of " + ", ".join(SKIP_FACTS))
    issuing = [i for i, step in enumerate(steps) if step.issues_document]
    if len(issuing) != 1:
        refuse("steps", "Tepat satu langkah harus menerbitkan dokumen.",
               "Exactly one step must issue the document.", "exactly one step with issues_document")
    elif any(step.collection for step in steps[:issuing[0]]):
        refuse("steps", "Pengambilan harus setelah penerbitan dokumen.",
               "Collection must come after the document is issued.", "collection before issues_document")
    codes = set()
    for i, doc in enumerate(required_documents):
        if doc.code in codes:
            refuse(f"required_documents.{i}.code", f"Kode berkas {doc.code} dipakai dua kali.",
                   f"The document code {doc.code} is used twice.", "duplicate document code")
        codes.add(doc.code)
    if fields:
        raise InvalidInput(" ".join(message_id), " ".join(message_en), fields)
    return dataclasses.replace(kind, fee=fee, steps=tuple(steps), required_documents=tuple(required_documents))


# --- the applicant ----------------------------------------------------------------------

# Province codes of the NIK (Kemendagri), Aceh 11 … the Papua provinces 91-96.
PROVINCE_CODES = frozenset({
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
    61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
})


def nik_problems(nik: str, birth_date: date) -> Optional[tuple[str, str]]:
    """Why ``nik`` cannot be this applicant's (Indonesian, English), or None.

    A NIK is 16 digits: province (2), regency (2), district (2), birth date as
    DDMMYY with 40 added to the day for women, and a serial (4)."""
    if len(nik) != 16 or not nik.isdigit():
        return "NIK harus 16 angka.", "The NIK must be 16 digits."
    if int(nik[:2]) not in PROVINCE_CODES:
        return "Kode provinsi pada NIK tidak dikenal.", "The NIK's province code is unknown."
    if nik[2:4] == "00" or nik[4:6] == "00" or nik[12:] == "0000":
        return "NIK tidak valid.", "The NIK is not valid."
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    if (day, month, year) != (birth_date.day, birth_date.month, birth_date.year % 100):
        return ("Tanggal lahir pada NIK tidak cocok dengan tanggal lahir yang diisi.",
                "The birth date in the NIK does not match the birth date given.")
    return None


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_applicant(kind: ApplicationType, nik: str, birth_date: date, today: date, field_prefix="applicant"):
    """Refuse an applicant whose data cannot be right, naming each field."""
    fields, message_id, message_en = {}, [], []

    def refuse(name, text_id, text_en):
        fields[f"{field_prefix}.{name}"] = text_en
        message_id.append(text_id)
        message_en.append(text_en)

    if birth_date > today:
        refuse("birth_date", "Tanggal lahir tidak boleh di masa depan.", "The birth date cannot be in the future.")
    elif age_on(birth_date, today) > 120:
        refuse("birth_date", "Tanggal lahir tidak masuk akal.", "The birth date is not plausible.")
    elif kind.minimum_age and age_on(birth_date, today) < kind.minimum_age:
        refuse("birth_date", f"Usia minimal untuk {kind.name} adalah {kind.minimum_age} tahun.",
               f"The minimum age for {kind.name_en} is {kind.minimum_age}.")
    problem = nik_problems(nik, birth_date)
    if problem:
        refuse("nik", *problem)
    if fields:
        raise InvalidInput(" ".join(message_id), " ".join(message_en), fields)


def check_renewal(kind: ApplicationType, previous_valid_until: Optional[date], today: date):
    """A renewal needs the previous document, expired at most ``renewal_grace_days`` ago."""
    if kind.renewal_grace_days is None:
        return
    if previous_valid_until is None:
        raise InvalidInput("Masa berlaku dokumen lama harus diisi untuk perpanjangan.",
                           "A renewal needs the previous document's expiry date.",
                           {"previous_valid_until": "required for a renewal"})
    if today - previous_valid_until > timedelta(days=kind.renewal_grace_days):
        raise InvalidInput(
            f"Dokumen lama sudah lewat lebih dari {kind.renewal_grace_days} hari; ajukan permohonan baru.",
            f"The previous document expired more than {kind.renewal_grace_days} days ago; apply anew.",
            {"previous_valid_until": "expired too long ago for a renewal"})


# --- the journey ------------------------------------------------------------------------

@dataclass
class StepRecord:
    step: str
    outcome: str
    at: datetime
    officer: Optional[str] = None
    note: Optional[str] = None
    retake_after: Optional[date] = None
    missing: tuple = ()
    payment_reference: Optional[str] = None


ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def document_number(kind: ApplicationType, seq: int, day: date, site_code: str) -> str:
    """E.g. SKCK/000123/XI/2026/POLRES-DEMO: the register's usual shape."""
    return f"{kind.document_prefix}/{seq:06d}/{ROMAN_MONTHS[day.month - 1]}/{day.year}/{site_code.upper()}"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def not_now(status, action_id, action_en):
    return Conflict(f"Permohonan berstatus {STATUS_ID[status]}; tidak bisa {action_id}.",
                    f"The application is {status.replace('_', ' ')}; it cannot be {action_en}.",
                    {"status": status}, code="invalid_transition")


def registration_lapsed():
    return Conflict("Pendaftaran daring sudah lewat tiga hari; silakan daftar ulang.",
                    "The online registration lapsed after three days; please register again.",
                    {"tracking_code": "registration lapsed"}, code="registration_lapsed")


STATUS_ID = {"registered": "terdaftar daring", "submitted": "diajukan", "in_progress": "sedang diproses",
             "missed": "tidak hadir saat dipanggil",
             "failed": "tidak lulus", "incomplete": "berkas belum lengkap", "returned": "dikembalikan",
             "ready": "siap diambil", "collected": "sudah diambil", "cancelled": "dibatalkan",
             "expired": "kedaluwarsa"}


@dataclass
class Application:
    id: object
    kind: ApplicationType
    timezone: str
    status: str
    step: Optional[str]                  # the step the citizen is at (None once closed)
    created_at: datetime
    facts: dict = field(default_factory=dict)   # has_fingerprint_card, psychology_certificate (date)
    history: list = field(default_factory=list)
    document_number: Optional[str] = None
    valid_until: Optional[date] = None
    events: list = field(default_factory=list, repr=False)    # (event type, fields), in order
    changes: list = field(default_factory=list, repr=False)   # the same as Changes, for the unit of work

    # --- starting ---------------------------------------------------------------------

    @classmethod
    def start(cls, id, kind: ApplicationType, timezone: str, now: datetime, in_hall: bool, facts=None):
        """A new application. In the hall the citizen goes to the first step's queue at
        once; an online registration of a hall type waits for check-in (at most three
        days); an online type waits for an officer's review."""
        facts = dict(facts or {})
        if kind.online:
            status = "submitted"
        else:
            status = "in_progress" if in_hall else "registered"
        application = cls(id=id, kind=kind, timezone=timezone, status=status, step=None, created_at=now,
                          facts=facts)
        application.step = application._first_step_from(0, now)
        application._raise("application_submitted", step=application.step, in_hall=in_hall)
        return application

    def lapsed(self, now: datetime) -> bool:
        """An online registration not checked in within three days."""
        return self.status == "registered" and now - self.created_at > ONLINE_REGISTRATION_LAPSES_AFTER

    def expire(self, now: datetime) -> bool:
        """A lapsed online registration is closed as expired (its event is
        application_cancelled with reason registration_lapsed). False, and nothing
        recorded, when it has not lapsed or is no longer a registration."""
        if not self.lapsed(now):
            return False
        self.status, self.step = "expired", None
        self._raise("application_cancelled", reason="registration_lapsed")
        return True

    def check_in(self, now: datetime):
        """The citizen with an online registration arrives: their registration is
        done, and they join the next step's queue. A citizen who missed their call
        (no-show) checks in again for a new ticket of the same step."""
        if self.status == "missed":
            self.status = "in_progress"
            self._note("returned_after_no_show", step=self.step)
            return self.current_step
        if self.status == "expired":
            raise registration_lapsed()
        if self.lapsed(now):  # the refusal rolls back: the service persists the expiry first
            self.expire(now)
            raise registration_lapsed()
        if self.status != "registered":
            raise not_now(self.status, "check-in", "checked in")
        self.status = "in_progress"
        current = self.current_step
        if current.code == "registration":
            self.history.append(StepRecord("registration", "passed", now, note="online"))
            self._raise("application_step_completed", step="registration", outcome="passed")
            self.step = self._first_step_from(self._index(current) + 1, now)
            self._raise("application_advanced", from_step="registration", step=self.step)
        return self.current_step

    # --- the step's outcome ---------------------------------------------------------------

    @property
    def current_step(self) -> Optional[StepDef]:
        return self.kind.step(self.step) if self.step else None

    def record_outcome(self, outcome: str, now: datetime, officer: Optional[str] = None,
                       note: Optional[str] = None, missing=(), payment_reference: Optional[str] = None,
                       number_for: Optional[Callable[[], str]] = None) -> Optional[StepDef]:
        """An officer finished the current step. Returns the step whose queue the
        citizen joins next, or None when this visit ends here."""
        if self.status not in ("in_progress", "submitted", "ready"):
            raise not_now(self.status, "dinilai", "given an outcome")
        if outcome not in OUTCOMES:
            raise InvalidInput("Hasil tidak dikenal.", "Unknown outcome.", {"outcome": "passed, failed or incomplete"})
        step = self.current_step
        if outcome == "passed" and step.records_payment and not payment_reference:
            raise InvalidInput("Nomor bukti pembayaran harus diisi.", "Enter the payment reference.",
                               {"payment_reference": "required for the payment step"})
        if outcome == "failed" and not note:
            raise InvalidInput("Alasan tidak lulus harus diisi.", "Give the reason for the failure.",
                               {"note": "required when the outcome is failed"})
        if outcome == "incomplete" and not missing:
            raise InvalidInput("Sebutkan berkas yang kurang.", "List what is missing.",
                               {"missing": "required when the outcome is incomplete"})
        record = StepRecord(step.code, outcome, now, officer, note, missing=tuple(missing),
                            payment_reference=payment_reference)
        self.history.append(record)
        self._raise("application_step_completed", step=step.code, outcome=outcome)

        if outcome == "failed":
            record.retake_after = self.local_day(now) + timedelta(days=step.retake_days)
            self.status = "returned" if not step.hall else "failed"
            self._raise("application_failed", step=step.code, reason="failed", retake_after=record.retake_after)
            return None
        if outcome == "incomplete":
            self.status = "incomplete"
            self._raise("application_failed", step=step.code, reason="incomplete", retake_after=None)
            return None

        if step.collection:
            self.status, self.step = "collected", None
            self._raise("application_collected")
            return None
        if step.issues_document:
            if number_for is None:
                raise ValueError("number_for is needed to issue the document")
            self.document_number = number_for()
            if self.kind.validity_months:
                self.valid_until = add_months(self.local_day(now), self.kind.validity_months)
            self.status = "ready"
            self._raise("application_ready", document_number=self.document_number, valid_until=self.valid_until)
        self.step = self._first_step_from(self._index(step) + 1, now)
        if self.step is None:  # a type without a collection step ends with its document
            self.status = "collected"
            self._raise("application_collected")
            return None
        self._raise("application_advanced", from_step=step.code, step=self.step)
        return self.current_step

    def collect_by_download(self, now: datetime):
        """An online type's document taken as a download closes it, like collection."""
        if self.status != "ready" or not self.kind.online:
            raise not_now(self.status, "diunduh", "downloaded")
        self.history.append(StepRecord(self.step, "passed", now, note="download"))
        self.status, self.step = "collected", None
        self._raise("application_collected")

    def missed_call(self, now: datetime, step: str, why: str = "no_show") -> bool:
        """The citizen's ticket for ``step`` ended without them: they did not come when
        called (``no_show``), or the ticket was cancelled (``ticket_cancelled``: by its
        holder, or closed with the hall's day). The application is not lost: it waits
        at the same step until the citizen checks in again at the kiosk (a new ticket
        for that step); ``application_missed`` tells them how. False when the
        application is no longer at that step."""
        if self.status != "in_progress" or self.step != step:
            return False
        self.status = "missed"
        # An event for the citizen's message (notify); the journal line as before.
        fields = {"application_id": self.id, "type": self.kind.code, "step": step, "why": why}
        self.events.append(("application_missed", fields))
        self.changes.append(Change("missed_call", contract.ApplicationMissed, dict(fields),
                                   {"type": self.kind.code, "step": step, "why": why}))
        return True

    def resume(self, now: datetime) -> StepDef:
        """Back after a failure (from the retake date on) or with the missing documents:
        the citizen joins the same step's queue again. A returned online application is
        resubmitted for review."""
        if self.status not in ("failed", "incomplete", "returned"):
            raise not_now(self.status, "dilanjutkan", "resumed")
        last = self.history[-1]
        if last.retake_after and self.local_day(now) < last.retake_after:
            raise Conflict(f"Ujian ulang paling cepat {last.retake_after:%d-%m-%Y}.",
                           f"The earliest retake is {last.retake_after:%Y-%m-%d}.",
                           {"retake_after": last.retake_after.isoformat()}, code="too_early")
        self.status = "in_progress" if self.current_step.hall else "submitted"
        self._raise("application_advanced", from_step=self.step, step=self.step)
        return self.current_step

    def cancel(self, now: datetime, reason="citizen"):
        if self.status not in OPEN_STATUSES:
            raise not_now(self.status, "dibatalkan", "cancelled")
        self.status, self.step = "cancelled", None
        self._raise("application_cancelled", reason=reason)

    # --- helpers ------------------------------------------------------------------------

    def local_day(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def _index(self, step: StepDef) -> int:
        return self.kind.steps.index(step)

    def _first_step_from(self, index: int, now: datetime) -> Optional[str]:
        """The first step from ``index`` on that this application needs."""
        for step in self.kind.steps[index:]:
            if not self._skips(step, now):
                return step.code
        return None

    def _skips(self, step: StepDef, now: datetime) -> bool:
        if step.skip_if == "has_fingerprint_card":
            return bool(self.facts.get("has_fingerprint_card"))
        if step.skip_if == "psychology_certificate":
            issued = self.facts.get("psychology_certificate")
            if isinstance(issued, str):
                issued = date.fromisoformat(issued)
            return issued is not None and self.local_day(now) - issued <= PSYCHOLOGY_CERTIFICATE_VALID
        return False

    def _note(self, action, **journal):
        """A change with a journal line and no event (codes only)."""
        self.changes.append(Change(action, None, {"application_id": self.id}, {"type": self.kind.code, **journal}))

    def _raise(self, event_type, **fields):
        self.events.append((event_type, {"application_id": self.id, "type": self.kind.code, **fields}))
        # The journal line keeps codes and dates only, like the event.
        journal = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in fields.items()}
        self.changes.append(Change(event_type.removeprefix("application_"), contract.DOCUMENTS_EVENTS[event_type],
                                   {"application_id": self.id, "type": self.kind.code, **fields}, journal))
