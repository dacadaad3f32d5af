"""The queue's rules, free of any framework or I/O: numbering, opening hours and
quotas, calling order, the ticket's life, and the wait estimate.

The SQL in ``repository.py`` mirrors ``call_order_key`` (the calling order must
be decided inside PostgreSQL so that counters claim tickets under row locks);
``tests/integration/test_counter_flow.py`` checks the two agree.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import ceil
from typing import Optional
from zoneinfo import ZoneInfo

from shared.contracts import events
from shared.contracts.changes import Change
from shared.contracts.enums import TICKET_STATUSES
from shared.contracts.errors import Conflict, Forbidden, InvalidInput

PRIORITY_CLASSES = frozenset({"elderly", "disabled", "pregnant"})
STATUSES = TICKET_STATUSES
ACTIVE_AT_COUNTER = frozenset({"called", "serving"})
FINAL = frozenset({"done", "no_show", "cancelled", "transferred"})
SITE_TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")

DAY_NAMES_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
DAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- numbering ---------------------------------------------------------------

def format_number(prefix: str, seq: int) -> str:
    """C-001 … C-999, then C-1000: never ambiguous, even past a thousand."""
    return f"{prefix}-{seq:03d}"


def local_date(now: datetime, timezone: str) -> date:
    """The site's own calendar day, which decides when numbering restarts."""
    return now.astimezone(ZoneInfo(timezone)).date()


# --- opening hours and quota -------------------------------------------------

@dataclass(frozen=True)
class ServiceRules:
    code: str
    prefix: str
    name: str
    name_en: str
    daily_quota: Optional[int] = None
    opens_at: Optional[time] = None
    closes_at: Optional[time] = None
    open_days: tuple = (1, 2, 3, 4, 5, 6, 7)
    active: bool = True

    def closed_reason(self, now: datetime, timezone: str) -> Optional[Conflict]:
        """Why a ticket cannot be taken now (None when the service is open)."""
        local = now.astimezone(ZoneInfo(timezone))
        if not self.active:
            return Conflict(f"Layanan {self.name} sedang tidak tersedia.",
                            f"The {self.name_en} service is not available.",
                            {"service": "inactive"}, code="service_closed")
        if local.isoweekday() not in self.open_days:
            return Conflict(
                f"Layanan {self.name} tutup hari {DAY_NAMES_ID[local.weekday()]}.",
                f"The {self.name_en} service is closed on {DAY_NAMES_EN[local.weekday()]}.",
                {"service": "closed_today"}, code="service_closed")
        if self.opens_at is not None and not (self.opens_at <= local.time() < self.closes_at):
            hours = f"{self.opens_at:%H.%M}–{self.closes_at:%H.%M}"
            return Conflict(
                f"Layanan {self.name} buka pukul {hours}.",
                f"The {self.name_en} service is open {hours}.",
                {"service": "outside_opening_hours"}, code="service_closed")
        return None

    def quota_reached(self, issued_today: int) -> Optional[Conflict]:
        if self.daily_quota is not None and issued_today >= self.daily_quota:
            return Conflict(
                f"Kuota harian layanan {self.name} ({self.daily_quota}) sudah habis. Silakan datang besok.",
                f"Today's quota for {self.name_en} ({self.daily_quota}) is used up. Please come back tomorrow.",
                {"service": "quota_reached"}, code="quota_reached")
        return None


def rules_of(service: dict) -> ServiceRules:
    """A service's rules from its catalog record."""
    return ServiceRules(
        code=service["code"], prefix=service["prefix"], name=service["name"], name_en=service["name_en"],
        daily_quota=service["daily_quota"], opens_at=service["opens_at"], closes_at=service["closes_at"],
        open_days=tuple(service["open_days"]), active=service["active"])


# --- calling order -----------------------------------------------------------

def call_order_key(priority: str, queued_at: datetime, head_start_s: int):
    """Tickets are called by this key, smallest first.

    A priority ticket (elderly, disabled, pregnant) counts as if it had been
    queued ``head_start_s`` earlier. It therefore goes ahead of regular tickets
    that arrived up to that long before it, but a regular ticket that has waited
    longer than the head start is called first: regular tickets are never starved.
    Ties go to the earlier real queue time.
    """
    head_start = timedelta(seconds=head_start_s if priority in PRIORITY_CLASSES else 0)
    return (queued_at - head_start, queued_at)


def order_for_calling(tickets, head_start_s: int):
    return sorted(tickets, key=lambda t: call_order_key(t.priority, t.queued_at, head_start_s))


# --- the ticket's life ---------------------------------------------------------

def invalid_transition(number, status, action):
    return Conflict(
        f"Tiket {number} berstatus {STATUS_ID[status]}; tidak bisa {ACTION_ID[action]}.",
        f"Ticket {number} is {status.replace('_', ' ')}; it cannot be {ACTION_EN[action]}.",
        {"status": status}, code="invalid_transition")


STATUS_ID = {"waiting": "menunggu", "called": "dipanggil", "serving": "sedang dilayani",
             "done": "selesai", "no_show": "tidak hadir", "cancelled": "dibatalkan",
             "transferred": "dialihkan"}
ACTION_ID = {"call": "dipanggil", "recall": "dipanggil ulang", "start": "mulai dilayani",
             "no_show": "ditandai tidak hadir", "complete": "diselesaikan",
             "transfer": "dialihkan", "cancel": "dibatalkan", "requeue": "dikembalikan ke antrean",
             "restore": "dikembalikan ke loket"}
ACTION_EN = {"call": "called", "recall": "recalled", "start": "started",
             "no_show": "marked as no-show", "complete": "completed",
             "transfer": "transferred", "cancel": "cancelled", "requeue": "put back in the queue",
             "restore": "brought back to the counter"}

ALLOWED_FROM = {
    "call": {"waiting"},
    "recall": {"called"},
    "start": {"called"},
    "no_show": {"called"},
    "complete": {"called", "serving"},
    "transfer": {"called", "serving"},
    "cancel": {"waiting", "called"},
    "requeue": {"called"},
}
UNDOABLE = {"complete": "done", "no_show": "no_show", "transfer": "transferred"}  # action -> the status it left
UNDO_WINDOW_S = 10


@dataclass
class Ticket:
    """A citizen's numbered place in one service's queue. Every change it goes
    through is recorded in ``changes`` (journal line and event) for the unit of
    work to persist with it."""
    id: object
    number: str
    service_code: str
    priority: str
    status: str
    issued_at: datetime
    queued_at: datetime
    called_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    counter: Optional[int] = None
    recall_count: int = 0
    outcome: Optional[str] = None
    transferred_to: Optional[object] = None
    transferred_from: Optional[object] = None
    access_root: Optional[object] = None  # the ticket the citizen's access key was made for
    changes: list = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def issue(cls, id, number, service_code, priority, now, has_contact=False, language="id", issued_by=None,
              queued_at=None):
        """A new waiting ticket. ``issued_by`` names the service that issued it on the
        citizen's behalf (a step of a documents journey), if not the kiosk; such a
        ticket keeps the citizen's original ``queued_at``, so advancing to the next
        step costs them no place."""
        ticket = cls(id=id, number=number, service_code=service_code, priority=priority, status="waiting",
                     issued_at=now, queued_at=queued_at or now)
        journal = {"number": number, "service": service_code, "priority": priority}
        if issued_by:
            journal["issued_by"] = issued_by
        ticket._record("issue", events.TicketIssued, journal, issued_at=now, has_contact=has_contact,
                       language=language)
        return ticket

    def _record(self, action, event_class, journal_data=None, counter=None, **fields):
        """One change: the journal line (at ``counter``) and the event, which names the
        counter too when it has such a field."""
        if counter is not None and "counter" in event_class.model_fields:
            fields["counter"] = counter
        self.changes.append(Change(
            action, event_class,
            {"ticket_id": self.id, "number": self.number, "service": self.service_code,
             "priority": self.priority, **fields},
            journal_data or {}, ticket_id=self.id, counter=counter))

    def _require(self, action):
        if self.status not in ALLOWED_FROM[action]:
            raise invalid_transition(self.number, self.status, action)

    def call(self, counter: int, now: datetime):
        self._require("call")
        self.status, self.counter, self.called_at = "called", counter, now
        self._record("call", events.TicketCalled, counter=counter, wait_s=self.wait_s)

    def recall(self, now: datetime, max_recalls: int) -> str:
        """Announce again; after ``max_recalls`` recalls the citizen is a no-show.
        Returns what happened: "recall" or "no_show"."""
        self._require("recall")
        if self.recall_count >= max_recalls:
            self._no_show(now, "recalls", {"reason": "recalls", "recalls": self.recall_count})
            return "no_show"
        self.recall_count += 1
        self._record("recall", events.TicketRecalled, {"recall_count": self.recall_count}, counter=self.counter,
                     recall_count=self.recall_count)
        return "recall"

    def start(self, now: datetime):
        self._require("start")
        self.status, self.started_at = "serving", now
        self._record("start", events.TicketStarted, counter=self.counter)

    def mark_no_show(self, now: datetime):
        self._require("no_show")
        self._no_show(now, "officer", {"reason": "officer"})

    def _no_show(self, now, reason, journal_data):
        self.status, self.finished_at = "no_show", now
        self._record("no_show", events.TicketNoShow, journal_data, counter=self.counter, reason=reason)

    def complete(self, now: datetime, outcome: Optional[str] = None, note: Optional[str] = None):
        self._require("complete")
        previous = self.status
        if self.started_at is None:  # served without pressing "start"
            self.started_at = self.called_at
        self.status, self.finished_at, self.outcome = "done", now, outcome
        self._record("complete", events.TicketCompleted, {"outcome": outcome, "note": note, "from": previous},
                     counter=self.counter, service_time_s=self.service_time_s or 0.0, outcome=outcome)

    def transfer_to(self, service_code: str, now: datetime, new_id) -> "Ticket":
        """The citizen joins ``service_code``'s queue with the number they hold, in the
        place their original queue time gives them. Returns the new waiting ticket."""
        self._require("transfer")
        if service_code == self.service_code:
            raise InvalidInput("Tiket sudah berada di layanan ini.", "The ticket is already in this service.",
                               {"service": "same as the ticket's service"})
        previous = self.status
        self.status, self.finished_at, self.transferred_to = "transferred", now, new_id
        moved = Ticket(id=new_id, number=self.number, service_code=service_code, priority=self.priority,
                       status="waiting", issued_at=self.issued_at, queued_at=self.queued_at,
                       transferred_from=self.id, access_root=self.access_root or self.id)
        self._record("transfer", events.TicketTransferred,
                     {"to_service": service_code, "new_ticket_id": str(new_id), "from": previous},
                     counter=self.counter,
                     to_service=service_code, new_ticket_id=new_id)
        return moved

    def cancel(self, now: datetime, reason: Optional[str] = None):
        self._require("cancel")
        at_counter = self.counter if self.status in ACTIVE_AT_COUNTER else None
        self.status, self.finished_at = "cancelled", now
        self._record("cancel", events.TicketCancelled, {"reason": reason} if reason else {}, counter=at_counter)

    def restore(self, undone: str, previous: Optional[str], counter: int, now: datetime):
        """Undo ``undone`` (complete, no-show or transfer): the ticket is back at
        ``counter`` in the state it had before (``previous``: called or serving)."""
        if UNDOABLE.get(undone) != self.status:
            raise invalid_transition(self.number, self.status, "restore")
        if undone == "complete" and self.outcome is not None:
            raise Conflict(
                f"Hasil langkah permohonan tiket {self.number} sudah dicatat; tidak bisa dibatalkan.",
                f"The outcome of ticket {self.number}'s application step is recorded; it cannot be undone.",
                {"outcome": "recorded"}, code="undo_not_possible")
        status = previous if previous in ACTIVE_AT_COUNTER else ("called" if undone == "no_show" else "serving")
        self.status, self.counter, self.finished_at, self.transferred_to = status, counter, None, None
        if status == "called":
            self.started_at = None
        self._record("restore", events.TicketRestored, {"undone": undone}, counter=counter, undone=undone,
                     status=status)

    def requeue(self, now: datetime):
        """A supervisor frees the counter a called ticket is stuck at: the ticket waits
        again, at the place its queue time gives it."""
        self._require("requeue")
        counter = self.counter
        self.status, self.counter, self.called_at, self.started_at = "waiting", None, None, None
        self._record("requeue", events.TicketRequeued, {}, counter=counter)

    @property
    def wait_s(self) -> Optional[float]:
        return (self.called_at - self.queued_at).total_seconds() if self.called_at else None

    @property
    def service_time_s(self) -> Optional[float]:
        if self.finished_at and self.started_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


# --- counters ------------------------------------------------------------------------

@dataclass
class Counter:
    """A numbered counter (loket): which services it may serve, which it is open for,
    by whom, and the ticket it is calling or serving."""
    number: int
    name: str
    services: list
    open_services: list = field(default_factory=list)
    opened_by: Optional[str] = None
    opened_at: Optional[datetime] = None
    current_ticket_id: Optional[object] = None
    retired: bool = False
    changes: list = field(default_factory=list, repr=False, compare=False)

    @property
    def is_open(self) -> bool:
        return self.opened_by is not None

    def open(self, officer: str, services, now: datetime):
        if self.retired:
            raise Conflict(f"Loket {self.number} sudah tidak dipakai.", f"Counter {self.number} is retired.",
                           {"counter": "retired"}, code="counter_retired")
        if self.opened_by and self.opened_by != officer:
            raise Forbidden(f"Loket {self.number} sedang dibuka oleh petugas lain.",
                            f"Counter {self.number} is open by another officer.",
                            {"counter": "open by another officer"}, code="counter_taken")
        services = list(dict.fromkeys(services))
        for code in services:
            if code not in self.services:
                raise InvalidInput(f"Loket {self.number} tidak melayani {code}.",
                                   f"Counter {self.number} does not serve {code}.",
                                   {"services": f"counter {self.number} does not serve {code}"})
        if self.opened_by != officer:
            self.opened_at = now
        self.open_services, self.opened_by = services, officer
        self.changes.append(Change("open_counter", events.CounterOpened,
                                   {"counter": self.number, "services": services, "officer": officer},
                                   {"services": services}, counter=self.number))

    def close(self, officer: str, as_supervisor=False):
        """The officer closes their own counter; a supervisor may close anyone's (one
        left open by an officer who has been deactivated, say)."""
        if as_supervisor:
            self.require_open()
        else:
            self.require_owner(officer)
        if self.current_ticket_id:
            raise Conflict(f"Loket {self.number} masih melayani tiket; selesaikan dulu.",
                           f"Counter {self.number} still has a ticket; finish it first.", {"counter": "busy"},
                           code="counter_busy")
        held_by = self.opened_by
        self.open_services, self.opened_by, self.opened_at = [], None, None
        self.changes.append(Change("close_counter", events.CounterClosed,
                                   {"counter": self.number, "officer": officer},
                                   {} if held_by == officer else {"opened_by": held_by}, counter=self.number))

    def take_over(self, supervisor: str, now: datetime):
        """A supervisor takes the open counter over, with its services and current
        ticket, from whoever holds it."""
        self.require_open()
        previous, self.opened_by, self.opened_at = self.opened_by, supervisor, now
        self.changes.append(Change("take_over_counter", events.CounterOpened,
                                   {"counter": self.number, "services": list(self.open_services),
                                    "officer": supervisor},
                                   {"opened_by": previous}, counter=self.number))

    def retire(self):
        """Out of use: never opened again until reinstated, and not counted."""
        if self.is_open:
            raise Conflict(f"Loket {self.number} masih dibuka; tutup dulu.",
                           f"Counter {self.number} is open; close it first.", {"counter": "open"},
                           code="counter_open")
        if not self.retired:
            self.retired = True
            self.changes.append(Change("retire_counter", counter=self.number))

    def reinstate(self):
        if self.retired:
            self.retired = False
            self.changes.append(Change("reinstate_counter", counter=self.number))

    def require_open(self):
        if self.opened_by is None:
            raise Forbidden(f"Loket {self.number} belum dibuka.", f"Counter {self.number} is not open.",
                            {"counter": "not open"}, code="counter_closed")

    def require_owner(self, officer: str):
        """Only the officer who opened the counter acts at it."""
        self.require_open()
        if self.opened_by != officer:
            raise Forbidden(f"Loket {self.number} dibuka oleh petugas lain.",
                            f"Counter {self.number} is open by another officer.",
                            {"counter": "open by another officer"}, code="not_your_counter")

    def require_free(self):
        if self.current_ticket_id:
            raise Conflict(
                f"Loket {self.number} masih memanggil/melayani tiket; selesaikan, tandai tidak hadir, atau alihkan.",
                f"Counter {self.number} still has a ticket; complete, no-show or transfer it first.",
                {"counter": "busy"}, code="counter_busy")

    def require_current(self):
        if self.current_ticket_id is None:
            raise Conflict(f"Loket {self.number} tidak sedang memanggil tiket.",
                           f"Counter {self.number} has no current ticket.", {"counter": "no current ticket"},
                           code="no_current_ticket")
        return self.current_ticket_id

    def take(self, ticket: "Ticket"):
        self.current_ticket_id = ticket.id

    def release(self):
        self.current_ticket_id = None


# --- estimated wait ------------------------------------------------------------

RECENT_SERVICES_FOR_ESTIMATE = 20
TRUSTED_HISTORY = 5  # completions needed before history alone sets the pace
PLAUSIBLE_SERVICE_S = (30, 7200)


def mean_service_time(recent_durations_s, default_s: int) -> float:
    """The service's pace: the mean of its last completed service times (call →
    done), each held within 30 s … 2 h (a "complete" pressed right after the call
    is a slip, not a 2-second service). Until there are five, the configured
    default fills the missing ones, so the first quick or slow citizen of the day
    does not swing every estimate."""
    low, high = PLAUSIBLE_SERVICE_S
    samples = [min(max(d, low), high) for d in recent_durations_s if d is not None and d >= 0]
    missing = max(0, TRUSTED_HISTORY - len(samples))
    return (sum(samples) + default_s * missing) / (len(samples) + missing)


def estimate_wait_s(ahead: int, mean_service_s: float, open_counters: int) -> int:
    """Seconds until a ticket with ``ahead`` tickets before it is called.

    ``ahead × mean service time ÷ counters open for the service``, rounded up to
    whole seconds. With no counter open the estimate assumes one will open.
    """
    return int(ceil(ahead * mean_service_s / max(1, open_counters)))


# Why a waiting ticket (or a ticket taken now) has no estimate: the reason's code and
# its message in both languages, as the answers carry it.
NO_COUNTER_OPEN = {"code": "no_counter_open", "id": "Menunggu loket dibuka",
                   "en": "Waiting for a counter to open"}


def wait_estimate(ahead: int, mean_service_s: float, open_counters: int):
    """``(estimated_wait_s, reason)``: with no counter open for the service nobody
    can say when the ticket is called (tickets are taken before the counters open in
    the morning), so the estimate is None and the reason says why; otherwise the
    estimate and None."""
    if open_counters <= 0:
        return None, dict(NO_COUNTER_OPEN)
    return estimate_wait_s(ahead, mean_service_s, open_counters), None
