"""SQL for the queue schema. Functions take a psycopg cursor (dict rows) that is
inside the caller's transaction; none of them commits."""
from psycopg.types.json import Jsonb

from shared.errors import NotFound
from services.queue.domain import RECENT_SERVICES_FOR_ESTIMATE, ServiceRules, Ticket, call_order_key

# The calling order of domain.call_order_key, in SQL: priority tickets count as
# queued PRIORITY_HEAD_START_S earlier; ties go to the earlier real queue time.
CALL_ORDER = """
    t.queued_at - CASE WHEN t.priority <> 'regular'
                       THEN make_interval(secs => %(head_start)s) ELSE interval '0' END,
    t.queued_at, t.id
"""

TICKET_FIELDS = ("id", "number", "service_code", "priority", "status", "issued_at", "queued_at",
                 "called_at", "started_at", "finished_at", "counter", "recall_count", "outcome")


# --- catalog -------------------------------------------------------------------

def site_by_code(cur, code):
    cur.execute("SELECT id, code, name, timezone, running_text FROM queue.sites WHERE code = %s", (code,))
    site = cur.fetchone()
    if site is None:
        raise NotFound(f"Kantor {code} tidak dikenal.", f"Unknown site {code}.", {"site": "unknown"})
    return site


def service_rows(cur, site_id, only_active=False):
    cur.execute(
        "SELECT * FROM queue.services WHERE site_id = %s" + (" AND active" if only_active else "")
        + " ORDER BY sort_order, code", (site_id,))
    return cur.fetchall()


def service_row(cur, site_id, code):
    cur.execute("SELECT * FROM queue.services WHERE site_id = %s AND code = %s", (site_id, code))
    return cur.fetchone()


def rules_of(row) -> ServiceRules:
    return ServiceRules(
        code=row["code"], prefix=row["prefix"], name=row["name"], name_en=row["name_en"],
        daily_quota=row["daily_quota"], opens_at=row["opens_at"], closes_at=row["closes_at"],
        open_days=tuple(row["open_days"]), active=row["active"])


def officer_by_username(cur, site_id, username, lock=False):
    cur.execute(
        "SELECT id, username, full_name, role, password_hash, active FROM queue.officers "
        "WHERE site_id = %s AND username = %s" + (" FOR UPDATE" if lock else ""), (site_id, username))
    return cur.fetchone()


# --- numbering -------------------------------------------------------------------

def take_next_seq(cur, site_id, service_code, day) -> int:
    """The next number of the service's day. The row lock taken by the upsert
    serialises concurrent issuers; a rolled-back transaction gives its number back,
    so numbers have no gaps."""
    cur.execute(
        """INSERT INTO queue.daily_numbers AS d (site_id, service_code, local_date, last_seq)
           VALUES (%s, %s, %s, 1)
           ON CONFLICT (site_id, service_code, local_date)
           DO UPDATE SET last_seq = d.last_seq + 1
           RETURNING last_seq""", (site_id, service_code, day))
    return cur.fetchone()["last_seq"]


# --- tickets ---------------------------------------------------------------------

def insert_ticket(cur, site_id, ticket: Ticket, local_date, seq, language, contact=None,
                  transferred_from=None, access_root=None):
    contact = contact or {}
    cur.execute(
        """INSERT INTO queue.tickets (id, site_id, service_code, local_date, seq, number, priority,
               status, language, contact_email, contact_phone, issued_at, queued_at, transferred_from,
               access_root)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (ticket.id, site_id, ticket.service_code, local_date, seq, ticket.number, ticket.priority,
         ticket.status, language, contact.get("email"), contact.get("phone"), ticket.issued_at,
         ticket.queued_at, transferred_from, access_root))


def ticket_row(cur, site_id, ticket_id, lock=False):
    cur.execute(
        "SELECT * FROM queue.tickets WHERE site_id = %s AND id = %s" + (" FOR UPDATE" if lock else ""),
        (site_id, ticket_id))
    row = cur.fetchone()
    if row is None:
        raise NotFound("Tiket tidak ditemukan.", "Ticket not found.", {"id": "unknown"})
    return row


def ticket_of(row) -> Ticket:
    return Ticket(**{name: row[name] for name in TICKET_FIELDS})


def save_ticket(cur, ticket: Ticket, transferred_to=None):
    cur.execute(
        """UPDATE queue.tickets SET status = %s, called_at = %s, started_at = %s, finished_at = %s,
               counter = %s, recall_count = %s, outcome = %s,
               transferred_to = COALESCE(%s, transferred_to)
           WHERE id = %s""",
        (ticket.status, ticket.called_at, ticket.started_at, ticket.finished_at, ticket.counter,
         ticket.recall_count, ticket.outcome, transferred_to, ticket.id))


def claim_next_waiting(cur, site_id, services, day, head_start_s):
    """Lock and return the id of the ticket to call next, or None. SKIP LOCKED lets
    counters calling at the same moment each claim a different ticket."""
    cur.execute(
        f"""SELECT t.id FROM queue.tickets t
            WHERE t.site_id = %(site)s AND t.status = 'waiting' AND t.local_date = %(day)s
              AND t.service_code = ANY(%(services)s)
            ORDER BY {CALL_ORDER}
            LIMIT 1 FOR UPDATE SKIP LOCKED""",
        {"site": site_id, "day": day, "services": list(services), "head_start": head_start_s})
    row = cur.fetchone()
    return row["id"] if row else None


def waiting_in_order(cur, site_id, services, day, head_start_s, limit=200):
    cur.execute(
        f"""SELECT t.id, t.number, t.service_code, t.priority, t.queued_at FROM queue.tickets t
            WHERE t.site_id = %(site)s AND t.status = 'waiting' AND t.local_date = %(day)s
              AND t.service_code = ANY(%(services)s)
            ORDER BY {CALL_ORDER} LIMIT %(limit)s""",
        {"site": site_id, "day": day, "services": list(services), "head_start": head_start_s,
         "limit": limit})
    return cur.fetchall()


def count_ahead(cur, ticket_row_, head_start_s) -> int:
    cur.execute(
        """SELECT count(*) AS n FROM queue.tickets t
           WHERE t.site_id = %(site)s AND t.service_code = %(service)s AND t.status = 'waiting'
             AND t.local_date = %(day)s
             AND (t.queued_at - CASE WHEN t.priority <> 'regular'
                                     THEN make_interval(secs => %(head_start)s) ELSE interval '0' END,
                  t.queued_at, t.id)
                 < (%(key)s::timestamptz, %(queued_at)s::timestamptz, %(id)s::uuid)""",
        {"site": ticket_row_["site_id"], "service": ticket_row_["service_code"],
         "day": ticket_row_["local_date"], "head_start": head_start_s,
         "key": call_order_key(ticket_row_["priority"], ticket_row_["queued_at"], head_start_s)[0],
         "queued_at": ticket_row_["queued_at"], "id": ticket_row_["id"]})
    return cur.fetchone()["n"]


def waiting_counts(cur, site_id, day):
    cur.execute(
        """SELECT service_code, count(*) AS n FROM queue.tickets
           WHERE site_id = %s AND status = 'waiting' AND local_date = %s GROUP BY service_code""",
        (site_id, day))
    return {row["service_code"]: row["n"] for row in cur.fetchall()}


def recent_service_times(cur, site_id, service_code):
    cur.execute(
        """SELECT extract(epoch FROM finished_at - called_at)::float AS s FROM queue.tickets
           WHERE site_id = %s AND service_code = %s AND status = 'done'
             AND finished_at > now() - interval '14 days'
           ORDER BY finished_at DESC LIMIT %s""",
        (site_id, service_code, RECENT_SERVICES_FOR_ESTIMATE))
    return [row["s"] for row in cur.fetchall()]


def open_counter_counts(cur, site_id):
    cur.execute(
        """SELECT s AS service_code, count(*) AS n FROM queue.counters, unnest(open_services) AS s
           WHERE site_id = %s AND opened_by IS NOT NULL GROUP BY s""", (site_id,))
    return {row["service_code"]: row["n"] for row in cur.fetchall()}


# --- counters ----------------------------------------------------------------------

def counter_row(cur, site_id, number, lock=False):
    cur.execute(
        "SELECT * FROM queue.counters WHERE site_id = %s AND number = %s" + (" FOR UPDATE" if lock else ""),
        (site_id, number))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"Loket {number} tidak ada.", f"There is no counter {number}.", {"counter": "unknown"})
    return row


def counter_rows(cur, site_id):
    cur.execute("SELECT * FROM queue.counters WHERE site_id = %s ORDER BY number", (site_id,))
    return cur.fetchall()


def set_counter_open(cur, site_id, number, services, officer, now):
    cur.execute(
        """UPDATE queue.counters SET open_services = %s, opened_by = %s,
               opened_at = COALESCE(CASE WHEN opened_by = %s THEN opened_at END, %s)
           WHERE site_id = %s AND number = %s""",
        (list(services), officer, officer, now, site_id, number))


def set_counter_closed(cur, site_id, number):
    cur.execute(
        """UPDATE queue.counters SET open_services = NULL, opened_by = NULL, opened_at = NULL,
               current_ticket_id = NULL WHERE site_id = %s AND number = %s""", (site_id, number))


def set_counter_ticket(cur, site_id, number, ticket_id):
    cur.execute("UPDATE queue.counters SET current_ticket_id = %s WHERE site_id = %s AND number = %s",
                (ticket_id, site_id, number))


# --- journal and idempotency ----------------------------------------------------------

def journal(cur, site_id, at, actor, action, ticket_id=None, counter=None, data=None) -> int:
    cur.execute(
        """INSERT INTO queue.journal (site_id, at, actor, action, ticket_id, counter, data)
           VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (site_id, at, actor, action, ticket_id, counter, Jsonb(data or {})))
    return cur.fetchone()["id"]


def lock_idempotency_key(cur, site_id, key):
    """Serialise requests carrying the same key: a retry that arrives while the
    first attempt is still running waits here, then finds its ticket."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"idem:{site_id}:{key}",))


def save_idempotency_key(cur, site_id, key, request_hash, ticket_id):
    cur.execute(
        """INSERT INTO queue.idempotency_keys (site_id, key, request_hash, ticket_id)
           VALUES (%s, %s, %s, %s)""", (site_id, key, request_hash, ticket_id))


def idempotency_record(cur, site_id, key):
    cur.execute("SELECT request_hash, ticket_id FROM queue.idempotency_keys WHERE site_id = %s AND key = %s",
                (site_id, key))
    return cur.fetchone()
