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

from shared.errors import Conflict

PRIORITIES = ("regular", "elderly", "disabled", "pregnant")
PRIORITY_CLASSES = frozenset({"elderly", "disabled", "pregnant"})
STATUSES = ("waiting", "called", "serving", "done", "no_show", "cancelled", "transferred")
ACTIVE_AT_COUNTER = frozenset({"called", "serving"})
FINAL = frozenset({"done", "no_show", "cancelled", "transferred"})
SITE_TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
OUTCOMES = ("passed", "failed", "incomplete")

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
             "transfer": "dialihkan", "cancel": "dibatalkan"}
ACTION_EN = {"call": "called", "recall": "recalled", "start": "started",
             "no_show": "marked as no-show", "complete": "completed",
             "transfer": "transferred", "cancel": "cancelled"}

ALLOWED_FROM = {
    "call": {"waiting"},
    "recall": {"called"},
    "start": {"called"},
    "no_show": {"called"},
    "complete": {"called", "serving"},
    "transfer": {"called", "serving"},
    "cancel": {"waiting", "called"},
}


@dataclass
class Ticket:
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
    changes: list = field(default_factory=list, repr=False)

    def _require(self, action):
        if self.status not in ALLOWED_FROM[action]:
            raise invalid_transition(self.number, self.status, action)

    def call(self, counter: int, now: datetime):
        self._require("call")
        self.status, self.counter, self.called_at = "called", counter, now

    def recall(self, now: datetime, max_recalls: int) -> str:
        """Announce again; after ``max_recalls`` recalls the citizen is a no-show.
        Returns what happened: "recall" or "no_show"."""
        self._require("recall")
        if self.recall_count >= max_recalls:
            self.mark_no_show(now)
            return "no_show"
        self.recall_count += 1
        return "recall"

    def start(self, now: datetime):
        self._require("start")
        self.status, self.started_at = "serving", now

    def mark_no_show(self, now: datetime):
        self._require("no_show")
        self.status, self.finished_at = "no_show", now

    def complete(self, now: datetime, outcome: Optional[str] = None):
        self._require("complete")
        if self.started_at is None:  # served without pressing "start"
            self.started_at = self.called_at
        self.status, self.finished_at, self.outcome = "done", now, outcome

    def transfer_out(self, now: datetime):
        self._require("transfer")
        self.status, self.finished_at = "transferred", now

    def cancel(self, now: datetime):
        self._require("cancel")
        self.status, self.finished_at = "cancelled", now

    @property
    def wait_s(self) -> Optional[float]:
        return (self.called_at - self.queued_at).total_seconds() if self.called_at else None

    @property
    def service_time_s(self) -> Optional[float]:
        if self.finished_at and self.started_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


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
