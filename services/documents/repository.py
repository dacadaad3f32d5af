"""The documents schema's repositories: every read and write the use cases need.

``DocumentsRepositories(cur, uow)`` opens them for one site inside one transaction;
none of them commits. Applications they hand out are tracked by the unit of work,
which journals and publishes the changes they record. The applicant's personal data
is read only by ``Applicants`` and only where a use case needs it.
"""
import dataclasses
import secrets

from psycopg.types.json import Jsonb

from shared.contracts.errors import NotFound
from services.documents.domain import (
    ONLINE_REGISTRATION_LAPSES_AFTER, Application, ApplicationType, RequiredDocument, StepDef, StepRecord,
)

# No 0/O, 1/I/L: read aloud or typed from a receipt without mistakes.
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKING_LENGTH = 12  # 31^12, about 59 bits: not guessable


def new_tracking_code():
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def unknown_site(code):
    return NotFound(f"Kantor {code} tidak dikenal.", f"Unknown site {code}.", {"site": "unknown"})


def application_not_found(field="tracking_code"):
    return NotFound("Permohonan tidak ditemukan.", "Application not found.", {field: "unknown"})


def journal_change(uow, change):
    """One journal line per change, by the acting officer or service (ids and codes only)."""
    application_id = change.fields.get("application_id") if change.fields else None
    uow.journal.add(uow.now, uow.actor, change.action, application_id, change.journal_data)


def outbox_backlog(cur):
    """``(pending, oldest_age_s)`` of the events committed but not yet published."""
    cur.execute(
        """SELECT count(*) AS pending,
                  COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS oldest_s
           FROM documents.outbox WHERE published_at IS NULL""")
    row = cur.fetchone()
    return row["pending"], max(row["oldest_s"], 0.0)


def site_codes(cur):
    cur.execute("SELECT code FROM documents.sites ORDER BY code")
    return [row["code"] for row in cur.fetchall()]


def ping(cur):
    cur.execute("SELECT 1 AS ok")
    return cur.fetchone()["ok"] == 1


class DocumentsRepositories:
    def __init__(self, cur, uow=None):
        self.cur = cur
        cur.execute("SELECT code, timezone FROM documents.sites WHERE code = %s", (uow.site_code,))
        self._site = cur.fetchone()
        if self._site is None:
            raise unknown_site(uow.site_code)
        code = self._site["code"]
        self.types = Types(cur, code)
        self.applications = Applications(cur, code, uow, self.types, self._site["timezone"])
        self.applicants = Applicants(cur, code)
        self.step_tickets = StepTickets(cur)
        self.numbers = DocumentNumbers(cur, code)
        self.journal = Journal(cur, code)
        self.uploads = Uploads(cur)

    def site(self):
        return self._site


# --- application types -------------------------------------------------------------------

def type_to_row(kind: ApplicationType):
    return {
        "code": kind.code, "name": kind.name, "name_en": kind.name_en, "fee": kind.fee,
        "steps": [dataclasses.asdict(step) for step in kind.steps],
        "required_documents": [dataclasses.asdict(doc) for doc in kind.required_documents],
        "validity_months": kind.validity_months, "document_prefix": kind.document_prefix,
        "online": kind.online, "renewal_grace_days": kind.renewal_grace_days, "minimum_age": kind.minimum_age,
    }


def type_of(row) -> ApplicationType:
    return ApplicationType(
        row["code"], row["name"], row["name_en"], row["fee"], tuple(StepDef(**s) for s in row["steps"]),
        tuple(RequiredDocument(**d) for d in row["required_documents"]), row["validity_months"],
        row["document_prefix"], online=row["online"], renewal_grace_days=row["renewal_grace_days"],
        minimum_age=row["minimum_age"])


def upsert_site(cur, code, timezone):
    cur.execute("""INSERT INTO documents.sites (code, timezone) VALUES (%s, %s)
                   ON CONFLICT (code) DO UPDATE SET timezone = EXCLUDED.timezone""", (code, timezone))


def upsert_type(cur, site_code, kind: ApplicationType, sort_order=0):
    row = type_to_row(kind)
    cur.execute(
        """INSERT INTO documents.application_types (site_code, code, name, name_en, fee, steps, required_documents,
               validity_months, document_prefix, online, renewal_grace_days, minimum_age, sort_order)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (site_code, code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en,
               fee = EXCLUDED.fee, steps = EXCLUDED.steps, required_documents = EXCLUDED.required_documents,
               validity_months = EXCLUDED.validity_months, document_prefix = EXCLUDED.document_prefix,
               online = EXCLUDED.online, renewal_grace_days = EXCLUDED.renewal_grace_days,
               minimum_age = EXCLUDED.minimum_age, sort_order = EXCLUDED.sort_order""",
        (site_code, row["code"], row["name"], row["name_en"], row["fee"], Jsonb(row["steps"]),
         Jsonb(row["required_documents"]), row["validity_months"], row["document_prefix"], row["online"],
         row["renewal_grace_days"], row["minimum_age"], sort_order))


class Types:
    def __init__(self, cur, site_code):
        self.cur, self.site_code = cur, site_code

    def all(self):
        self.cur.execute("SELECT * FROM documents.application_types WHERE site_code = %s AND active "
                         "ORDER BY sort_order, code", (self.site_code,))
        return [type_of(row) for row in self.cur.fetchall()]

    def get(self, code):
        """The type, or None when the site has no such (active) type."""
        self.cur.execute("SELECT * FROM documents.application_types WHERE site_code = %s AND code = %s AND active",
                         (self.site_code, code))
        row = self.cur.fetchone()
        return type_of(row) if row else None

    def get_row(self, code):
        """The type's row with its last change (who, when), for the supervisor."""
        self.cur.execute("SELECT * FROM documents.application_types WHERE site_code = %s AND code = %s AND active",
                         (self.site_code, code))
        return self.cur.fetchone()

    def all_rows(self):
        self.cur.execute("SELECT * FROM documents.application_types WHERE site_code = %s AND active "
                         "ORDER BY sort_order, code", (self.site_code,))
        return self.cur.fetchall()

    def lock(self, code):
        self.cur.execute("SELECT code FROM documents.application_types WHERE site_code = %s AND code = %s AND active "
                         "FOR UPDATE", (self.site_code, code))
        return self.cur.fetchone() is not None

    def update(self, kind: ApplicationType, at, actor):
        """A supervisor's change of the type's fee, steps and required documents."""
        row = type_to_row(kind)
        self.cur.execute(
            """UPDATE documents.application_types SET fee = %s, steps = %s, required_documents = %s,
                   updated_at = %s, updated_by = %s WHERE site_code = %s AND code = %s""",
            (row["fee"], Jsonb(row["steps"]), Jsonb(row["required_documents"]), at, actor, self.site_code,
             kind.code))


# --- applications ----------------------------------------------------------------------------

class Applications:
    def __init__(self, cur, site_code, uow, types, timezone):
        self.cur, self.site_code, self.uow, self.types, self.timezone = cur, site_code, uow, types, timezone

    def _load(self, row):
        # The type as it was when the application started: a supervisor's later
        # change of steps, fees or documents applies to applications started afterwards.
        kind = type_of(row["kind"])
        self.cur.execute("SELECT * FROM documents.step_history WHERE application_id = %s ORDER BY id", (row["id"],))
        history = [StepRecord(h["step"], h["outcome"], h["at"], h["officer"], h["note"], h["retake_after"],
                              tuple(h["missing"]), h["payment_reference"]) for h in self.cur.fetchall()]
        application = Application(id=row["id"], kind=kind, timezone=self.timezone, status=row["status"],
                                  step=row["step"], created_at=row["created_at"], facts=row["facts"],
                                  history=history, document_number=row["document_number"],
                                  valid_until=row["valid_until"])
        application.saved_history = len(history)
        application.meta = {k: row[k] for k in ("tracking_code", "applicant_id", "priority", "first_queued_at")}
        return self.uow.track(application)

    def row(self, application_id=None, tracking_code=None, lock=False):
        column, value = ("id", application_id) if application_id is not None else ("tracking_code", tracking_code)
        self.cur.execute(f"SELECT * FROM documents.applications WHERE site_code = %s AND {column} = %s"
                         + (" FOR UPDATE" if lock else ""), (self.site_code, value))
        return self.cur.fetchone()

    def get(self, application_id, lock=False) -> Application:
        row = self.row(application_id=application_id, lock=lock)
        if row is None:
            raise application_not_found("application_id")
        return self._load(row)

    def by_tracking_code(self, tracking_code, lock=False) -> Application:
        row = self.row(tracking_code=tracking_code, lock=lock)
        if row is None:
            raise application_not_found()
        return self._load(row)

    def add(self, application: Application, applicant_id, tracking_code, priority):
        self.cur.execute(
            """INSERT INTO documents.applications (id, site_code, type_code, kind, applicant_id, tracking_code,
                   status, step, facts, priority, created_at, updated_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (application.id, self.site_code, application.kind.code, Jsonb(type_to_row(application.kind)),
             applicant_id, tracking_code, application.status, application.step, Jsonb(application.facts), priority,
             application.created_at, self.uow.now))
        application.saved_history = 0
        application.meta = {"tracking_code": tracking_code, "applicant_id": applicant_id, "priority": priority,
                            "first_queued_at": None}
        self.uow.track(application)
        self.save(application)
        return application

    def save(self, application: Application):
        self.cur.execute(
            """UPDATE documents.applications SET status = %s, step = %s, facts = %s, document_number = %s,
                   valid_until = %s, first_queued_at = %s, updated_at = %s WHERE id = %s""",
            (application.status, application.step, Jsonb(application.facts), application.document_number,
             application.valid_until, application.meta.get("first_queued_at"), self.uow.now, application.id))
        for record in application.history[application.saved_history:]:
            self.cur.execute(
                """INSERT INTO documents.step_history (application_id, step, outcome, at, officer, note,
                       retake_after, missing, payment_reference) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (application.id, record.step, record.outcome, record.at, record.officer, record.note,
                 record.retake_after, list(record.missing), record.payment_reference))
        application.saved_history = len(application.history)
        self.uow.flush(application)

    def lapsed_registrations(self, now, limit):
        """Online registrations not checked in within three days, locked; one a check-in
        holds is skipped (the next sweep sees it, if it is still a registration)."""
        self.cur.execute(
            """SELECT * FROM documents.applications WHERE site_code = %s AND status = 'registered'
                   AND created_at < %s ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED""",
            (self.site_code, now - ONLINE_REGISTRATION_LAPSES_AFTER, limit))
        return [self._load(row) for row in self.cur.fetchall()]

    def tracking_code_taken(self, code):
        self.cur.execute("SELECT 1 FROM documents.applications WHERE tracking_code = %s", (code,))
        return self.cur.fetchone() is not None


class Applicants:
    """Personal data: read only for the applicant's own view, an officer at their
    counter, and notify (journaled by the use case)."""

    def __init__(self, cur, site_code):
        self.cur, self.site_code = cur, site_code

    def add(self, applicant_id, nik, name, birth_date, email, phone, language):
        self.cur.execute(
            """INSERT INTO documents.applicants (id, site_code, nik, name, birth_date, email, phone, language)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
            (applicant_id, self.site_code, nik, name, birth_date, email, phone, language))

    def get(self, applicant_id):
        self.cur.execute("SELECT * FROM documents.applicants WHERE site_code = %s AND id = %s",
                         (self.site_code, applicant_id))
        return self.cur.fetchone()


class StepTickets:
    """Which application and step each queue ticket serves."""

    def __init__(self, cur):
        self.cur = cur

    def link(self, ticket_id, application_id, step):
        self.cur.execute(
            """INSERT INTO documents.step_tickets (ticket_id, application_id, step) VALUES (%s, %s, %s)
               ON CONFLICT (ticket_id) DO NOTHING""", (ticket_id, application_id, step))

    def get(self, ticket_id, lock=False):
        self.cur.execute("SELECT * FROM documents.step_tickets WHERE ticket_id = %s" + (" FOR UPDATE" if lock else ""),
                         (ticket_id,))
        return self.cur.fetchone()

    def set_state(self, ticket_id, state):
        self.cur.execute("UPDATE documents.step_tickets SET state = %s WHERE ticket_id = %s", (state, ticket_id))

    def set_details(self, ticket_id, details):
        self.cur.execute("UPDATE documents.step_tickets SET outcome_details = %s WHERE ticket_id = %s",
                         (Jsonb(details), ticket_id))

    def current(self, application_id):
        self.cur.execute("""SELECT * FROM documents.step_tickets WHERE application_id = %s AND state = 'open'
                            ORDER BY created_at DESC LIMIT 1""", (application_id,))
        return self.cur.fetchone()

    def visits(self, application_id, step):
        self.cur.execute("SELECT count(*) AS n FROM documents.step_tickets WHERE application_id = %s AND step = %s",
                         (application_id, step))
        return self.cur.fetchone()["n"]


class DocumentNumbers:
    def __init__(self, cur, site_code):
        self.cur, self.site_code = cur, site_code

    def take_next(self, prefix, year):
        self.cur.execute(
            """INSERT INTO documents.document_numbers (site_code, prefix, year, last_seq) VALUES (%s, %s, %s, 1)
               ON CONFLICT (site_code, prefix, year)
               DO UPDATE SET last_seq = documents.document_numbers.last_seq + 1 RETURNING last_seq""",
            (self.site_code, prefix, year))
        return self.cur.fetchone()["last_seq"]


class Journal:
    def __init__(self, cur, site_code):
        self.cur, self.site_code = cur, site_code

    def add(self, at, actor, action, application_id=None, data=None):
        self.cur.execute(
            """INSERT INTO documents.journal (site_code, at, actor, action, application_id, data)
               VALUES (%s, %s, %s, %s, %s, %s)""", (self.site_code, at, actor, action, application_id,
                                                    Jsonb(data or {})))

    def for_application(self, application_id):
        self.cur.execute("SELECT at, actor, action, data FROM documents.journal WHERE application_id = %s ORDER BY id",
                         (application_id,))
        return self.cur.fetchall()


class Uploads:
    def __init__(self, cur):
        self.cur = cur

    def add(self, upload_id, application_id, document_code, content_type, size, sha256, storage_key, actor, at):
        self.cur.execute(
            """INSERT INTO documents.uploads (id, application_id, document_code, content_type, size, sha256,
                   storage_key, actor, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (upload_id, application_id, document_code, content_type, size, sha256, storage_key, actor, at))

    def of(self, application_id):
        self.cur.execute("""SELECT id, document_code, content_type, size, created_at FROM documents.uploads
                            WHERE application_id = %s ORDER BY created_at, id""", (application_id,))
        return self.cur.fetchall()

    def get(self, application_id, upload_id):
        self.cur.execute("SELECT * FROM documents.uploads WHERE application_id = %s AND id = %s",
                         (application_id, upload_id))
        return self.cur.fetchone()
