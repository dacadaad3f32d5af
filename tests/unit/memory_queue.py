"""The queue's repositories in memory: the same interface as services/queue/repository.py,
for running the use cases without servers. A unit of work on it commits by keeping
its changes and rolls back (on an exception) by restoring the store as it was."""
import contextlib
import copy
from datetime import datetime, time, timezone

from shared.contracts.errors import NotFound
from shared.infrastructure.unit_of_work import UnitOfWork
from services.queue.domain import Counter, call_order_key
from services.queue.handlers import QueueRules
from services.queue.repository import journal_change, ticket_not_found

UTC = timezone.utc


def service_row(code, prefix, name=None, daily_quota=None, opens_at=None, closes_at=None,
                open_days=(1, 2, 3, 4, 5, 6, 7), active=True, default_service_s=300, target_wait_s=1800):
    return {"code": code, "prefix": prefix, "name": name or code, "name_en": name or code,
            "daily_quota": daily_quota, "opens_at": opens_at, "closes_at": closes_at, "open_days": list(open_days),
            "active": active, "default_service_s": default_service_s, "target_wait_s": target_wait_s,
            "sort_order": 0}


class MemoryStore:
    """What the queue schema would hold for one site."""

    def __init__(self, services=None, counters=None, timezone_name="Asia/Jakarta"):
        self.site = {"id": 1, "code": "test-site", "name": "Test", "timezone": timezone_name, "running_text": ""}
        services = services or [service_row("SIM", "A"), service_row("SKCK", "B")]
        self.services = {row["code"]: row for row in services}
        codes = list(self.services)
        self.counters = {number: Counter(number, f"Loket {number}", list(allowed))
                         for number, allowed in (counters or [(n, codes) for n in range(1, 4)])}
        self.tickets = {}      # id -> Ticket
        self.ticket_rows = {}  # id -> {"local_date", "seq", "language", "contact"}
        self.numbers = {}      # (service, day) -> last seq
        self.keys = {}         # key -> {"request_hash", "ticket_id"}
        self.journal = []
        self.outbox = []
        self.officers = {}
        self.surveys = {}      # ticket id -> the stored answer

    rules = QueueRules(secret="memory-store-secret-of-at-least-32-chars")

    def row(self, ticket_id):
        """The fields a stored row has beyond the Ticket (for access keys and views)."""
        ticket = self.tickets[ticket_id]
        return {"id": ticket.id, "access_root": ticket.access_root, **self.ticket_rows[ticket_id]}

    @contextlib.contextmanager
    def unit_of_work(self, actor="system", now=None, rules=None):
        rules = rules or self.rules
        saved = copy.deepcopy(self.__dict__)
        uow = UnitOfWork(None, "queue", lambda _cur, uow: MemoryRepositories(self, uow), self.site["code"],
                         now or datetime(2026, 11, 24, 2, 0, tzinfo=UTC), actor, rules=rules,
                         journal=journal_change, outbox=self.outbox.append)
        try:
            yield uow
            uow.collect()
        except BaseException:
            self.__dict__.update(saved)
            raise


class MemoryRepositories:
    def __init__(self, store, uow):
        self.tickets = MemoryTickets(store, uow)
        self.counters = MemoryCounters(store, uow)
        self.services = MemoryServices(store)
        self.numbers = MemoryNumbers(store)
        self.idempotency_keys = MemoryKeys(store)
        self.journal = MemoryJournal(store)
        self.officers = MemoryOfficers(store)
        self.surveys = MemorySurveys(store)
        self._site = store.site

    def site(self):
        return self._site


class MemorySurveys:
    def __init__(self, store):
        self.store = store

    def exists(self, ticket_id):
        return ticket_id in self.store.surveys

    def add(self, ticket_id, service_code, local_date, ratings, comment, language, at):
        self.store.surveys[ticket_id] = {"service_code": service_code, "local_date": local_date, **ratings,
                                         "comment": comment, "language": language, "submitted_at": at}


class MemoryTickets:
    def __init__(self, store, uow):
        self.store, self.uow = store, uow

    def row(self, ticket_id, lock=False):
        if ticket_id not in self.store.tickets:
            raise ticket_not_found()
        return self.store.row(ticket_id)

    def get(self, ticket_id, lock=False):
        ticket = self.store.tickets.get(ticket_id)
        if ticket is None:
            raise ticket_not_found()
        return self.uow.track(ticket)

    def add(self, ticket, local_date, seq, language, contact=None):
        self.store.tickets[ticket.id] = ticket
        self.store.ticket_rows[ticket.id] = {"local_date": local_date, "seq": seq, "language": language,
                                             "contact": dict(contact or {})}
        self.uow.track(ticket)
        self.uow.flush(ticket)
        return ticket

    def save(self, ticket):
        self.store.tickets[ticket.id] = ticket
        self.uow.flush(ticket)

    def issued_by(self, ticket_id):
        return next((line["data"].get("issued_by") for line in self.store.journal
                     if line["ticket_id"] == ticket_id and line["action"] == "issue"), None)

    def contact(self, ticket_id):
        row = self.store.ticket_rows[ticket_id]
        return {"email": row["contact"].get("email"), "phone": row["contact"].get("phone"),
                "language": row["language"]}

    def origin(self, ticket_id):
        row = self.store.ticket_rows[ticket_id]
        return {**row, "contact": dict(row["contact"])}

    def _waiting(self, services, day):
        return [t for t in self.store.tickets.values()
                if t.status == "waiting" and t.service_code in services
                and self.store.ticket_rows[t.id]["local_date"] == day]

    def claim_next(self, services, day, head_start_s):
        waiting = sorted(self._waiting(services, day),
                         key=lambda t: (call_order_key(t.priority, t.queued_at, head_start_s), str(t.id)))
        return self.uow.track(waiting[0]) if waiting else None

    def left_waiting_before(self, day):
        return [self.uow.track(t) for t in self.store.tickets.values()
                if t.status == "waiting" and self.store.ticket_rows[t.id]["local_date"] < day]


class MemoryCounters:
    def __init__(self, store, uow):
        self.store, self.uow = store, uow

    def get(self, number, lock=False):
        if number not in self.store.counters:
            raise NotFound(f"Loket {number} tidak ada.", f"There is no counter {number}.", {"counter": "unknown"})
        return self.uow.track(self.store.counters[number])

    def save(self, counter):
        self.store.counters[counter.number] = counter
        self.uow.flush(counter)


class MemoryServices:
    def __init__(self, store):
        self.store = store

    def row(self, code):
        return self.store.services.get(code)

    def rows(self, only_active=False):
        return [row for row in self.store.services.values() if row["active"] or not only_active]


class MemoryNumbers:
    def __init__(self, store):
        self.store = store

    def take_next(self, service_code, day):
        key = (service_code, day)
        self.store.numbers[key] = self.store.numbers.get(key, 0) + 1
        return self.store.numbers[key]


class MemoryKeys:
    def __init__(self, store):
        self.store = store

    def lock(self, key):
        pass  # one unit of work at a time in memory

    def find(self, key):
        return self.store.keys.get(key)

    def add(self, key, request_hash, ticket_id):
        self.store.keys[key] = {"request_hash": request_hash, "ticket_id": ticket_id}


class MemoryJournal:
    def __init__(self, store):
        self.store = store

    def add(self, at, actor, action, ticket_id=None, counter=None, data=None):
        self.store.journal.append({"at": at, "actor": actor, "action": action, "ticket_id": ticket_id,
                                   "counter": counter, "data": dict(data or {})})
        return len(self.store.journal)

    def last_at_counter(self, counter):
        lines = [line for line in self.store.journal if line["counter"] == counter]
        return lines[-1] if lines else None


class MemoryOfficers:
    def __init__(self, store):
        self.store = store

    def by_username(self, username):
        return self.store.officers.get(username)


def hours(opens, closes):
    return {"opens_at": time(*opens), "closes_at": time(*closes)}
