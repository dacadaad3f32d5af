"""All of the notify service's SQL: the repositories a notify unit of work opens
(:class:`NotifyRepositories`, shared/infrastructure/unit_of_work.py), each over the
unit of work's cursor (dict rows). Tables: notify.waiting (the turn-near
projection), notify.messages (what to tell whom, recorded with the event) and
notify.deliveries (the delivery record)."""
import uuid
from datetime import datetime, timedelta
from typing import Iterable, Optional, Sequence

from psycopg.types.json import Jsonb

from services.notify.domain import Change, Message, Waiting

# Inserted rows are due at once, whatever clock the sender runs on.
DUE_NOW = "-infinity"


def _waiting(row) -> Waiting:
    return Waiting(ticket_id=row["ticket_id"], site=row["site"], service=row["service"], number=row["number"],
                   priority=row["priority"], queued_at=row["queued_at"], has_contact=row["has_contact"],
                   language=row["language"], near_sent=row["near_sent"])


class WaitingLines:
    """The turn-near projection: notify.waiting."""

    def __init__(self, cur):
        self.cur = cur

    def lock(self, site: str, services: Iterable[str]):
        """Serialise the handlers of events of the same waiting line (two tickets called at
        once are two events, maybe on two workers); sorted, so two locks never deadlock."""
        for service in sorted(set(services)):
            self.cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"notify:line:{site}:{service}",))


    def line(self, site: str, service: str) -> list[Waiting]:
        self.cur.execute("SELECT * FROM notify.waiting WHERE site = %s AND service = %s AND waiting", (site, service))
        return [_waiting(row) for row in self.cur.fetchall()]


    def known(self, ticket_id) -> Optional[Waiting]:
        self.cur.execute("SELECT * FROM notify.waiting WHERE ticket_id = %s", (ticket_id,))
        row = self.cur.fetchone()
        return _waiting(row) if row else None


    def apply(self, change: Change):
        for t in change.added:
            self.cur.execute(
                """INSERT INTO notify.waiting (ticket_id, site, service, number, priority, queued_at, has_contact,
                                               language)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (ticket_id) DO NOTHING""",
                (t.ticket_id, t.site, t.service, t.number, t.priority, t.queued_at, t.has_contact, t.language))
        if change.removed:
            self.cur.execute("UPDATE notify.waiting SET waiting = false, updated_at = now() WHERE ticket_id = ANY(%s)",
                        (list(change.removed),))
        if change.marked_near:
            self.cur.execute("UPDATE notify.waiting SET near_sent = true, updated_at = now() WHERE ticket_id = ANY(%s)",
                        (list(change.marked_near),))


    def prune(self, older_than: datetime) -> int:
        """Tickets live one day; keep two days of them (late transfers look up originals)."""
        self.cur.execute("DELETE FROM notify.waiting WHERE updated_at < %s", (older_than,))
        return self.cur.rowcount

class Messages:
    """What to tell whom: notify.messages, recorded with the event."""

    def __init__(self, cur):
        self.cur = cur

    def add(self, messages: Sequence[Message]) -> list[uuid.UUID]:
        """Record messages; one already recorded (a redelivered event) is left as it is.
        Returns the ids of all of them."""
        for m in messages:
            self.cur.execute(
                """INSERT INTO notify.messages (id, event_id, kind, site, subject, subject_id, occurred_at, facts,
                                                language, next_attempt_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING""",
                (m.id, m.event_id, m.kind, m.site, m.subject, m.subject_id, m.occurred_at, Jsonb(m.facts),
                 m.language, DUE_NOW))
        return [m.id for m in messages]


    def claim(self, now: datetime, lease_s: float, limit: int, ids: Optional[Sequence] = None) -> list[dict]:
        """Due pending messages, taken for ``lease_s`` (another worker skips them; a worker
        that dies leaves them to be taken again after the lease)."""
        self.cur.execute(
            f"""UPDATE notify.messages SET attempts = attempts + 1, next_attempt_at = %(until)s, updated_at = now()
                WHERE id IN (SELECT id FROM notify.messages
                             WHERE status = 'pending' AND next_attempt_at <= %(now)s
                             {"AND id = ANY(%(ids)s)" if ids is not None else ""}
                             ORDER BY next_attempt_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
                RETURNING *""",
            {"now": now, "until": now + timedelta(seconds=lease_s), "limit": limit,
             "ids": list(ids) if ids is not None else None})
        return self.cur.fetchall()


    def set_status(self, message_id, status: str, error: Optional[str] = None, next_attempt_at=None):
        self.cur.execute(
            """UPDATE notify.messages SET status = %s, last_error = %s, updated_at = now(),
                      next_attempt_at = COALESCE(%s, next_attempt_at)
               WHERE id = %s""", (status, error, next_attempt_at, message_id))

class Deliveries:
    """The delivery record: notify.deliveries."""

    def __init__(self, cur):
        self.cur = cur

    def add(self, message: dict, channel: str, recipient_hash: str, recipient_masked: str) -> None:
        self.cur.execute(
            """INSERT INTO notify.deliveries (id, message_id, event_id, channel, recipient_hash, recipient_masked,
                                              kind, site, event_at, next_attempt_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (message_id, channel, recipient_hash) DO NOTHING""",
            (uuid.uuid4(), message["id"], message["event_id"], channel, recipient_hash, recipient_masked,
             message["kind"], message["site"], message["occurred_at"], DUE_NOW))


    def claim(self, now: datetime, lease_s: float, limit: int,
                         message_ids: Optional[Sequence] = None, channel: Optional[str] = None) -> list[dict]:
        """Due deliveries (pending, or failed and past their backoff), taken for
        ``lease_s``; each with its message's facts for rendering."""
        self.cur.execute(
            f"""WITH claimed AS (
                    UPDATE notify.deliveries SET attempts = attempts + 1, next_attempt_at = %(until)s,
                                                 updated_at = now()
                    WHERE id IN (SELECT id FROM notify.deliveries
                                 WHERE status IN ('pending', 'failed') AND next_attempt_at <= %(now)s
                                 {"AND message_id = ANY(%(ids)s)" if message_ids is not None else ""}
                                 {"AND channel = %(channel)s" if channel is not None else ""}
                                 ORDER BY next_attempt_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
                    RETURNING *)
                SELECT claimed.*, m.subject, m.subject_id, m.facts, m.language
                FROM claimed JOIN notify.messages m ON m.id = claimed.message_id""",
            {"now": now, "until": now + timedelta(seconds=lease_s), "limit": limit, "channel": channel,
             "ids": list(message_ids) if message_ids is not None else None})
        return self.cur.fetchall()


    def sent_since(self, recipient_hash: str, since: datetime) -> int:
        self.cur.execute("""SELECT count(*) AS n FROM notify.deliveries
                       WHERE recipient_hash = %s AND status = 'sent' AND sent_at > %s""", (recipient_hash, since))
        return self.cur.fetchone()["n"]


    def mark_sent(self, delivery_id, now: datetime):
        self.cur.execute("""UPDATE notify.deliveries SET status = 'sent', sent_at = %s, last_error = NULL, updated_at = now()
                       WHERE id = %s""", (now, delivery_id))


    def mark_failed(self, delivery_id, error: str, next_attempt_at: datetime):
        self.cur.execute("""UPDATE notify.deliveries SET status = 'failed', last_error = %s, next_attempt_at = %s,
                              updated_at = now() WHERE id = %s""", (error, next_attempt_at, delivery_id))


    def mark_dead(self, delivery_id, error: str):
        self.cur.execute("""UPDATE notify.deliveries SET status = 'dead', last_error = %s, updated_at = now()
                       WHERE id = %s""", (error, delivery_id))


    def of_messages(self, message_ids: Sequence) -> list[dict]:
        self.cur.execute("SELECT * FROM notify.deliveries WHERE message_id = ANY(%s) ORDER BY created_at, channel",
                    (list(message_ids),))
        return self.cur.fetchall()

class DeadLetters:
    """Dead deliveries and messages, for a supervisor."""

    def __init__(self, cur):
        self.cur = cur

    def newest(self, site: Optional[str] = None, limit: int = 200) -> list[dict]:
        """Dead deliveries and messages that could not be planned (their contact lookup
        kept failing), newest first; masked recipients only."""
        self.cur.execute(
            """SELECT 'delivery' AS what, id, channel, recipient_masked, kind, site, attempts, last_error,
                      event_at, updated_at
               FROM notify.deliveries WHERE status = 'dead' AND (%(site)s::text IS NULL OR site = %(site)s)
               UNION ALL
               SELECT 'message', id, NULL, NULL, kind, site, attempts, last_error, occurred_at, updated_at
               FROM notify.messages WHERE status = 'dead' AND (%(site)s::text IS NULL OR site = %(site)s)
               ORDER BY updated_at DESC LIMIT %(limit)s""", {"site": site, "limit": limit})
        return self.cur.fetchall()


    def count(self) -> dict:
        self.cur.execute("""SELECT site, count(*) AS n FROM (
                           SELECT site FROM notify.deliveries WHERE status = 'dead'
                           UNION ALL SELECT site FROM notify.messages WHERE status = 'dead') dead
                       GROUP BY site""")
        return {row["site"]: row["n"] for row in self.cur.fetchall()}


    def resend(self, dead_id, site: Optional[str] = None) -> bool:
        """A dead delivery (or message) back to the queue of things to send, its attempts
        counted afresh. Anything not dead is left alone (a sent message stays sent);
        ``site`` limits it to that site's (a supervisor's own)."""
        params = {"due": DUE_NOW, "id": dead_id, "site": site}
        self.cur.execute("""UPDATE notify.deliveries SET status = 'pending', attempts = 0, next_attempt_at = %(due)s,
                              updated_at = now()
                       WHERE id = %(id)s AND status = 'dead' AND (%(site)s::text IS NULL OR site = %(site)s)""", params)
        if self.cur.rowcount:
            return True
        self.cur.execute("""UPDATE notify.messages SET status = 'pending', attempts = 0, next_attempt_at = %(due)s,
                              updated_at = now()
                       WHERE id = %(id)s AND status = 'dead' AND (%(site)s::text IS NULL OR site = %(site)s)""", params)
        return bool(self.cur.rowcount)


class NotifyRepositories:
    """What a notify unit of work opens (``uow.waiting``, ``uow.messages``,
    ``uow.deliveries``, ``uow.dead_letters``), all on its one transaction."""

    def __init__(self, cur, uow=None):
        self.waiting = WaitingLines(cur)
        self.messages = Messages(cur)
        self.deliveries = Deliveries(cur)
        self.dead_letters = DeadLetters(cur)
