"""The queue schema's repositories: every read and write of tickets, counters,
services, numbering, idempotency keys and the journal that the use cases need.

``QueueRepositories(cur, uow)`` opens them for one site inside one transaction;
none of them commits. Aggregates (``Ticket``, ``Counter``) they hand out are
tracked by the unit of work, which persists the changes they record.
``tests/unit/memory_queue.py`` is the in-memory twin the use-case tests run on.
"""
from psycopg.types.json import Jsonb

from shared.contracts.errors import NotFound
from services.queue.catalog import Catalog
from services.queue.domain import RECENT_SERVICES_FOR_ESTIMATE, Counter, Ticket, call_order_key

# The calling order of domain.call_order_key, in SQL: priority tickets count as
# queued PRIORITY_HEAD_START_S earlier; ties go to the earlier real queue time.
CALL_ORDER = """
    t.queued_at - CASE WHEN t.priority <> 'regular'
                       THEN make_interval(secs => %(head_start)s) ELSE interval '0' END,
    t.queued_at, t.id
"""

TICKET_FIELDS = ("id", "number", "service_code", "priority", "status", "issued_at", "queued_at",
                 "called_at", "started_at", "finished_at", "counter", "recall_count", "outcome",
                 "transferred_to", "transferred_from", "access_root")


def unknown_site(code):
    return NotFound(f"Kantor {code} tidak dikenal.", f"Unknown site {code}.", {"site": "unknown"})


def ticket_not_found():
    return NotFound("Tiket tidak ditemukan.", "Ticket not found.", {"id": "unknown"})


class QueueRepositories:
    """The repositories of one site, in one transaction."""

    def __init__(self, cur, uow=None):
        self.cur = cur
        cur.execute("SELECT id, code, name, timezone, running_text FROM queue.sites WHERE code = %s",
                    (uow.site_code,))
        self._site = cur.fetchone()
        if self._site is None:
            raise unknown_site(uow.site_code)
        site_id = self._site["id"]
        self.tickets = Tickets(cur, site_id, uow)
        self.counters = Counters(cur, site_id, uow)
        self.services = Services(cur, site_id)
        self.numbers = Numbers(cur, site_id)
        self.idempotency_keys = IdempotencyKeys(cur, site_id)
        self.officers = Officers(cur, site_id)
        self.journal = Journal(cur, site_id)
        self.catalog = Catalog(cur, site_id)
        self.surveys = Surveys(cur, site_id)

    def site(self):
        return self._site


def journal_change(uow, change):
    """The unit of work's journal writer: one line per change, by the acting officer
    or service."""
    uow.journal.add(uow.now, uow.actor, change.action, change.ticket_id, change.counter, change.journal_data)


def all_sites(cur):
    """Every site with the id of its latest journal line (the display's version)."""
    cur.execute(
        """SELECT s.code, COALESCE((SELECT j.id FROM queue.journal j WHERE j.site_id = s.id
                                    ORDER BY j.id DESC LIMIT 1), 0) AS version
           FROM queue.sites s""")
    return cur.fetchall()


def ping(cur):
    cur.execute("SELECT 1 AS ok")
    return cur.fetchone()["ok"] == 1


class Tickets:
    def __init__(self, cur, site_id, uow):
        self.cur, self.site_id, self.uow = cur, site_id, uow

    def _track(self, ticket):
        return self.uow.track(ticket) if self.uow is not None else ticket

    def _flush(self, ticket):
        if self.uow is not None:
            self.uow.flush(ticket)

    def row(self, ticket_id, lock=False):
        self.cur.execute(
            "SELECT * FROM queue.tickets WHERE site_id = %s AND id = %s" + (" FOR UPDATE" if lock else ""),
            (self.site_id, ticket_id))
        row = self.cur.fetchone()
        if row is None:
            raise ticket_not_found()
        return row

    def get(self, ticket_id, lock=False) -> Ticket:
        return self._track(ticket_of(self.row(ticket_id, lock)))

    def add(self, ticket: Ticket, local_date, seq, language, contact=None):
        contact = contact or {}
        self.cur.execute(
            """INSERT INTO queue.tickets (id, site_id, service_code, local_date, seq, number, priority,
                   status, language, contact_email, contact_phone, issued_at, queued_at, transferred_from,
                   access_root)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (ticket.id, self.site_id, ticket.service_code, local_date, seq, ticket.number, ticket.priority,
             ticket.status, language, contact.get("email"), contact.get("phone"), ticket.issued_at,
             ticket.queued_at, ticket.transferred_from, ticket.access_root))
        self._track(ticket)
        self._flush(ticket)
        return ticket

    def save(self, ticket: Ticket):
        self.cur.execute(
            """UPDATE queue.tickets SET status = %s, called_at = %s, started_at = %s, finished_at = %s,
                   counter = %s, recall_count = %s, outcome = %s, transferred_to = %s
               WHERE id = %s""",
            (ticket.status, ticket.called_at, ticket.started_at, ticket.finished_at, ticket.counter,
             ticket.recall_count, ticket.outcome, ticket.transferred_to, ticket.id))
        self._flush(ticket)

    def issued_by(self, ticket_id):
        """The service that issued the ticket on the citizen's behalf (documents, for
        an application's step), or None for a kiosk's ticket."""
        self.cur.execute(
            """SELECT data->>'issued_by' AS issued_by FROM queue.journal
               WHERE site_id = %s AND ticket_id = %s AND action = 'issue' LIMIT 1""", (self.site_id, ticket_id))
        row = self.cur.fetchone()
        return row["issued_by"] if row else None

    def contact(self, ticket_id):
        """What notify needs to reach the holder (never part of any view or event)."""
        row = self.row(ticket_id)
        return {"email": row["contact_email"], "phone": row["contact_phone"], "language": row["language"]}

    def origin(self, ticket_id):
        """The numbering of a ticket: its local date, sequence and language."""
        row = self.row(ticket_id)
        return {"local_date": row["local_date"], "seq": row["seq"], "language": row["language"],
                "contact": {"email": row["contact_email"], "phone": row["contact_phone"]}}

    def claim_next(self, services, day, head_start_s):
        """Lock and return the ticket to call next, or None. SKIP LOCKED lets counters
        calling at the same moment each claim a different ticket."""
        self.cur.execute(
            f"""SELECT t.* FROM queue.tickets t
                WHERE t.site_id = %(site)s AND t.status = 'waiting' AND t.local_date = %(day)s
                  AND t.service_code = ANY(%(services)s)
                ORDER BY {CALL_ORDER}
                LIMIT 1 FOR UPDATE SKIP LOCKED""",
            {"site": self.site_id, "day": day, "services": list(services), "head_start": head_start_s})
        row = self.cur.fetchone()
        return self._track(ticket_of(row)) if row else None

    def left_waiting_before(self, day):
        """Tickets still waiting from an earlier local day, locked."""
        self.cur.execute(
            """SELECT * FROM queue.tickets WHERE site_id = %s AND status = 'waiting' AND local_date < %s
               ORDER BY queued_at FOR UPDATE SKIP LOCKED""", (self.site_id, day))
        return [self._track(ticket_of(row)) for row in self.cur.fetchall()]

    def waiting_in_order(self, services, day, head_start_s, limit=200):
        self.cur.execute(
            f"""SELECT t.id, t.number, t.service_code, t.priority, t.queued_at FROM queue.tickets t
                WHERE t.site_id = %(site)s AND t.status = 'waiting' AND t.local_date = %(day)s
                  AND t.service_code = ANY(%(services)s)
                ORDER BY {CALL_ORDER} LIMIT %(limit)s""",
            {"site": self.site_id, "day": day, "services": list(services), "head_start": head_start_s,
             "limit": limit})
        return self.cur.fetchall()

    def count_ahead(self, row, head_start_s) -> int:
        self.cur.execute(
            """SELECT count(*) AS n FROM queue.tickets t
               WHERE t.site_id = %(site)s AND t.service_code = %(service)s AND t.status = 'waiting'
                 AND t.local_date = %(day)s
                 AND (t.queued_at - CASE WHEN t.priority <> 'regular'
                                         THEN make_interval(secs => %(head_start)s) ELSE interval '0' END,
                      t.queued_at, t.id)
                     < (%(key)s::timestamptz, %(queued_at)s::timestamptz, %(id)s::uuid)""",
            {"site": self.site_id, "service": row["service_code"], "day": row["local_date"],
             "head_start": head_start_s,
             "key": call_order_key(row["priority"], row["queued_at"], head_start_s)[0],
             "queued_at": row["queued_at"], "id": row["id"]})
        return self.cur.fetchone()["n"]

    def waiting_counts(self, day):
        self.cur.execute(
            """SELECT service_code, count(*) AS n FROM queue.tickets
               WHERE site_id = %s AND status = 'waiting' AND local_date = %s GROUP BY service_code""",
            (self.site_id, day))
        return {row["service_code"]: row["n"] for row in self.cur.fetchall()}

    def recent_service_times(self, service_code):
        self.cur.execute(
            """SELECT extract(epoch FROM finished_at - called_at)::float AS s FROM queue.tickets
               WHERE site_id = %s AND service_code = %s AND status = 'done'
                 AND finished_at > now() - interval '14 days'
               ORDER BY finished_at DESC LIMIT %s""",
            (self.site_id, service_code, RECENT_SERVICES_FOR_ESTIMATE))
        return [row["s"] for row in self.cur.fetchall()]


def ticket_of(row) -> Ticket:
    return Ticket(**{name: row[name] for name in TICKET_FIELDS})


class Counters:
    def __init__(self, cur, site_id, uow):
        self.cur, self.site_id, self.uow = cur, site_id, uow

    def row(self, number, lock=False):
        self.cur.execute(
            "SELECT * FROM queue.counters WHERE site_id = %s AND number = %s" + (" FOR UPDATE" if lock else ""),
            (self.site_id, number))
        row = self.cur.fetchone()
        if row is None:
            raise NotFound(f"Loket {number} tidak ada.", f"There is no counter {number}.", {"counter": "unknown"})
        return row

    def get(self, number, lock=False) -> Counter:
        counter = counter_of(self.row(number, lock))
        return self.uow.track(counter) if self.uow is not None else counter

    def save(self, counter: Counter):
        self.cur.execute(
            """UPDATE queue.counters SET open_services = %s, opened_by = %s, opened_at = %s,
                   current_ticket_id = %s,
                   retired_at = CASE WHEN %s THEN COALESCE(retired_at, now()) END
               WHERE site_id = %s AND number = %s""",
            (list(counter.open_services) or None, counter.opened_by, counter.opened_at, counter.current_ticket_id,
             counter.retired, self.site_id, counter.number))
        if self.uow is not None:
            self.uow.flush(counter)

    def rows(self):
        self.cur.execute("SELECT * FROM queue.counters WHERE site_id = %s ORDER BY number", (self.site_id,))
        return self.cur.fetchall()

    def exists(self, number) -> bool:
        self.cur.execute("SELECT 1 FROM queue.counters WHERE site_id = %s AND number = %s", (self.site_id, number))
        return self.cur.fetchone() is not None

    def open_counts(self):
        """How many counters are open for each service now."""
        self.cur.execute(
            """SELECT s AS service_code, count(*) AS n FROM queue.counters, unnest(open_services) AS s
               WHERE site_id = %s AND opened_by IS NOT NULL GROUP BY s""", (self.site_id,))
        return {row["service_code"]: row["n"] for row in self.cur.fetchall()}


def counter_of(row) -> Counter:
    return Counter(number=row["number"], name=row["name"], services=list(row["services"]),
                   open_services=list(row["open_services"] or []), opened_by=row["opened_by"],
                   opened_at=row["opened_at"], current_ticket_id=row["current_ticket_id"],
                   retired=row["retired_at"] is not None)


class Services:
    def __init__(self, cur, site_id):
        self.cur, self.site_id = cur, site_id

    def rows(self, only_active=False):
        self.cur.execute(
            "SELECT * FROM queue.services WHERE site_id = %s" + (" AND active" if only_active else "")
            + " ORDER BY sort_order, code", (self.site_id,))
        return self.cur.fetchall()

    def row(self, code):
        self.cur.execute("SELECT * FROM queue.services WHERE site_id = %s AND code = %s", (self.site_id, code))
        return self.cur.fetchone()


class Numbers:
    def __init__(self, cur, site_id):
        self.cur, self.site_id = cur, site_id

    def take_next(self, service_code, day) -> int:
        """The next number of the service's day. The row lock taken by the upsert
        serialises concurrent issuers; a rolled-back transaction gives its number
        back, so numbers have no gaps."""
        self.cur.execute(
            """INSERT INTO queue.daily_numbers AS d (site_id, service_code, local_date, last_seq)
               VALUES (%s, %s, %s, 1)
               ON CONFLICT (site_id, service_code, local_date)
               DO UPDATE SET last_seq = d.last_seq + 1
               RETURNING last_seq""", (self.site_id, service_code, day))
        return self.cur.fetchone()["last_seq"]

    def issued_on(self, day):
        self.cur.execute(
            "SELECT service_code, last_seq FROM queue.daily_numbers WHERE site_id = %s AND local_date = %s",
            (self.site_id, day))
        return {row["service_code"]: row["last_seq"] for row in self.cur.fetchall()}


class IdempotencyKeys:
    def __init__(self, cur, site_id):
        self.cur, self.site_id = cur, site_id

    def lock(self, key):
        """Serialise requests carrying the same key: a retry that arrives while the
        first attempt is still running waits here, then finds its ticket."""
        self.cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"idem:{self.site_id}:{key}",))

    def find(self, key):
        self.cur.execute("SELECT request_hash, ticket_id FROM queue.idempotency_keys WHERE site_id = %s AND key = %s",
                         (self.site_id, key))
        return self.cur.fetchone()

    def add(self, key, request_hash, ticket_id):
        self.cur.execute(
            """INSERT INTO queue.idempotency_keys (site_id, key, request_hash, ticket_id)
               VALUES (%s, %s, %s, %s)""", (self.site_id, key, request_hash, ticket_id))


class Surveys:
    """The holders' satisfaction surveys, one per ticket."""

    def __init__(self, cur, site_id):
        self.cur, self.site_id = cur, site_id

    def exists(self, ticket_id) -> bool:
        self.cur.execute("SELECT 1 FROM queue.surveys WHERE ticket_id = %s", (ticket_id,))
        return self.cur.fetchone() is not None

    def add(self, ticket_id, service_code, local_date, ratings, comment, language, at):
        self.cur.execute(
            """INSERT INTO queue.surveys (ticket_id, site_id, service_code, local_date, u1, u2, u3, u4, u5, u6,
                   u7, u8, u9, comment, language, submitted_at)
               VALUES (%(ticket)s, %(site)s, %(service)s, %(day)s, %(u1)s, %(u2)s, %(u3)s, %(u4)s, %(u5)s, %(u6)s,
                   %(u7)s, %(u8)s, %(u9)s, %(comment)s, %(language)s, %(at)s)""",
            {"ticket": ticket_id, "site": self.site_id, "service": service_code, "day": local_date, "comment": comment, "language": language, "at": at, **ratings})


class Journal:
    def __init__(self, cur, site_id):
        self.cur, self.site_id = cur, site_id

    def add(self, at, actor, action, ticket_id=None, counter=None, data=None) -> int:
        self.cur.execute(
            """INSERT INTO queue.journal (site_id, at, actor, action, ticket_id, counter, data)
               VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (self.site_id, at, actor, action, ticket_id, counter, Jsonb(data or {})))
        return self.cur.fetchone()["id"]


    def last_at_counter(self, counter):
        """The latest journal line at ``counter`` (what undo may undo), or None."""
        self.cur.execute(
            """SELECT id, at, actor, action, ticket_id, data FROM queue.journal
               WHERE site_id = %s AND counter = %s ORDER BY id DESC LIMIT 1""", (self.site_id, counter))
        return self.cur.fetchone()


class Officers:
    def __init__(self, cur, site_id):
        self.cur, self.site_id = cur, site_id

    def by_username(self, username, lock=False):
        self.cur.execute(
            "SELECT id, username, full_name, role, password_hash, active FROM queue.officers "
            "WHERE site_id = %s AND username = %s" + (" FOR UPDATE" if lock else ""), (self.site_id, username))
        return self.cur.fetchone()

    def rows(self):
        self.cur.execute(
            "SELECT username, full_name, role, active FROM queue.officers WHERE site_id = %s ORDER BY username",
            (self.site_id,))
        return self.cur.fetchall()

    def update(self, username, full_name=None, role=None, password_hash=None, active=None):
        self.cur.execute(
            """UPDATE queue.officers SET full_name = COALESCE(%s, full_name), role = COALESCE(%s, role),
                   password_hash = COALESCE(%s, password_hash), active = COALESCE(%s, active)
               WHERE site_id = %s AND username = %s""",
            (full_name, role, password_hash, active, self.site_id, username))
