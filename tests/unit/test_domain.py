"""The queue's rules on their own: numbering, hours and quotas, calling order, the
ticket's life and the wait estimate."""
from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace

import pytest

from shared.contracts.errors import Conflict
from services.queue.domain import (
    ServiceRules, Ticket, call_order_key, estimate_wait_s, format_number, local_date, mean_service_time,
    wait_estimate,
    order_for_calling,
)

UTC = timezone.utc
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta, a Tuesday


# --- numbering -------------------------------------------------------------------

@pytest.mark.parametrize("seq, number", [(1, "C-001"), (7, "C-007"), (42, "C-042"), (999, "C-999"),
                                         (1000, "C-1000")])
def test_numbers_are_prefix_and_three_digits(seq, number):
    assert format_number("C", seq) == number


def test_local_day_is_the_sites_own():
    # 15:30 UTC is 22:30 in Jakarta, 23:30 in Makassar and 00:30 next day in Jayapura.
    moment = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    assert local_date(moment, "Asia/Jakarta").isoformat() == "2026-11-24"
    assert local_date(moment, "Asia/Makassar").isoformat() == "2026-11-24"
    assert local_date(moment, "Asia/Jayapura").isoformat() == "2026-11-25"


# --- opening hours and quota ----------------------------------------------------------

def rules(**overrides):
    base = dict(code="SKCK", prefix="B", name="SKCK", name_en="Police clearance")
    base.update(overrides)
    return ServiceRules(**base)


def test_open_around_the_clock_by_default():
    assert rules().closed_reason(T0, "Asia/Jakarta") is None
    assert rules().closed_reason(T0 + timedelta(hours=14), "Asia/Jakarta") is None


def test_outside_opening_hours_says_when_it_opens_in_both_languages():
    service = rules(opens_at=time(8), closes_at=time(14))
    assert service.closed_reason(T0, "Asia/Jakarta") is None  # 09:00 WIB
    closed = service.closed_reason(T0 + timedelta(hours=6), "Asia/Jakarta")  # 15:00 WIB
    assert closed.error_code == "service_closed"
    assert "08.00–14.00" in closed.message_id and "08.00–14.00" in closed.message_en
    assert closed.fields == {"service": "outside_opening_hours"}


def test_opening_hours_are_read_in_the_sites_time_zone():
    service = rules(opens_at=time(8), closes_at=time(14))
    # 02:00 UTC is 09:00 in Jakarta but 11:00 in Jayapura; 06:30 UTC is 15:30 in Jayapura.
    assert service.closed_reason(T0, "Asia/Jayapura") is None
    assert service.closed_reason(T0.replace(hour=6, minute=30), "Asia/Jayapura") is not None
    assert service.closed_reason(T0.replace(hour=6, minute=30), "Asia/Jakarta") is None


def test_closed_days_and_inactive_services():
    weekdays_only = rules(open_days=(1, 2, 3, 4, 5))
    sunday = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    assert weekdays_only.closed_reason(T0, "Asia/Jakarta") is None
    assert "Minggu" in weekdays_only.closed_reason(sunday, "Asia/Jakarta").message_id
    assert rules(active=False).closed_reason(T0, "Asia/Jakarta").fields == {"service": "inactive"}


def test_quota():
    assert rules().quota_reached(10_000) is None
    limited = rules(daily_quota=50)
    assert limited.quota_reached(49) is None
    reached = limited.quota_reached(50)
    assert reached.error_code == "quota_reached" and "50" in reached.message_en


# --- calling order ---------------------------------------------------------------------

def waiting(name, priority, minutes_ago):
    return SimpleNamespace(name=name, priority=priority, queued_at=T0 - timedelta(minutes=minutes_ago))


def names(tickets, head_start_s=900):
    return [t.name for t in order_for_calling(tickets, head_start_s)]


def test_regular_tickets_are_called_first_come_first_served():
    assert names([waiting("b", "regular", 5), waiting("a", "regular", 9), waiting("c", "regular", 1)]) == \
        ["a", "b", "c"]


@pytest.mark.parametrize("priority", ["elderly", "disabled", "pregnant"])
def test_priority_classes_go_before_recent_regular_tickets(priority):
    order = names([waiting("regular", "regular", 10), waiting("priority", priority, 1)])
    assert order == ["priority", "regular"]


def test_regular_tickets_are_not_starved():
    # A regular ticket that has waited longer than the head start (15 min) is
    # called before a priority ticket that just arrived, however many arrive.
    tickets = [waiting("long-waiting", "regular", 20)] + [waiting(f"p{i}", "elderly", 0) for i in range(5)]
    assert names(tickets)[0] == "long-waiting"


def test_priority_tickets_among_themselves_keep_their_arrival_order():
    assert names([waiting("late", "pregnant", 1), waiting("early", "disabled", 3)]) == ["early", "late"]


def test_a_zero_head_start_is_plain_arrival_order():
    assert names([waiting("r", "regular", 2), waiting("p", "elderly", 1)], head_start_s=0) == ["r", "p"]


def test_call_order_key_tie_break_is_the_real_queue_time():
    earlier = call_order_key("regular", T0 - timedelta(minutes=15), 900)
    priority = call_order_key("elderly", T0, 900)
    assert earlier[0] == priority[0] and earlier < priority


# --- the ticket's life -------------------------------------------------------------------

def ticket(status="waiting"):
    return Ticket(id=1, number="B-001", service_code="SKCK", priority="regular", status=status,
                  issued_at=T0, queued_at=T0)


def test_happy_path_waiting_called_serving_done():
    t = ticket()
    t.call(3, T0 + timedelta(minutes=10))
    assert (t.status, t.counter, t.wait_s) == ("called", 3, 600)
    t.start(T0 + timedelta(minutes=11))
    t.complete(T0 + timedelta(minutes=16), "passed")
    assert (t.status, t.service_time_s, t.outcome) == ("done", 300, "passed")


def test_complete_without_start_counts_service_from_the_call():
    t = ticket()
    t.call(1, T0)
    t.complete(T0 + timedelta(minutes=4))
    assert t.service_time_s == 240


def test_recalls_then_no_show_after_the_configured_number():
    t = ticket()
    t.call(1, T0)
    assert [t.recall(T0, max_recalls=2) for _ in range(3)] == ["recall", "recall", "no_show"]
    assert t.status == "no_show" and t.recall_count == 2


@pytest.mark.parametrize("status, action", [
    ("waiting", "start"), ("waiting", "complete"), ("waiting", "recall"), ("called", "call"),
    ("serving", "recall"), ("serving", "no_show"), ("done", "cancel"), ("no_show", "call"),
    ("cancelled", "complete"), ("transferred", "start"), ("serving", "cancel"),
])
def test_impossible_transitions_are_refused(status, action):
    t = ticket(status)
    calls = {"call": lambda: t.call(1, T0), "start": lambda: t.start(T0), "complete": lambda: t.complete(T0),
             "recall": lambda: t.recall(T0, 3), "no_show": lambda: t.mark_no_show(T0),
             "cancel": lambda: t.cancel(T0)}
    with pytest.raises(Conflict) as refused:
        calls[action]()
    assert refused.value.error_code == "invalid_transition"
    assert t.status == status


def test_cancel_and_transfer():
    waiting_ticket, called_ticket = ticket(), ticket()
    waiting_ticket.cancel(T0)
    called_ticket.call(2, T0)
    moved = called_ticket.transfer_to("SIM", T0 + timedelta(minutes=1), "new-id")
    assert (waiting_ticket.status, called_ticket.status) == ("cancelled", "transferred")
    assert (moved.status, moved.service_code, moved.number) == ("waiting", "SIM", called_ticket.number)
    assert (moved.queued_at, moved.transferred_from, called_ticket.transferred_to) == (
        called_ticket.queued_at, called_ticket.id, "new-id")
    assert [c.action for c in called_ticket.changes] == ["call", "transfer"]


# --- estimated wait --------------------------------------------------------------------------

def test_estimate_before_history_uses_the_services_default():
    assert mean_service_time([], 300) == 300


def test_estimate_uses_recent_service_times_once_there_are_enough():
    assert mean_service_time([200, 400, 300, 300, 300, None], 999) == 300


def test_a_little_history_is_blended_with_the_default():
    # Two services of 200 s and 400 s, three "missing" ones at the default 300 s.
    assert mean_service_time([200, 400], 300) == 300
    assert mean_service_time([600], 300) == (600 + 4 * 300) / 5


def test_implausible_service_times_are_held_within_bounds():
    # "Complete" pressed a second after the call counts as 30 s; a counter left
    # open over lunch counts as 2 hours.
    assert mean_service_time([1, 1, 1, 1, 1], 300) == 30
    assert mean_service_time([100_000] * 5, 300) == 7200


def test_estimate_divides_by_open_counters_and_assumes_one_when_none_open():
    assert estimate_wait_s(ahead=6, mean_service_s=300, open_counters=2) == 900
    assert estimate_wait_s(ahead=6, mean_service_s=300, open_counters=0) == 1800
    assert estimate_wait_s(ahead=0, mean_service_s=300, open_counters=1) == 0


def test_no_estimate_while_no_counter_is_open_and_the_reason_says_so():
    """Issue 11: with no counter open a ticket said "you are next, < 1 minute"."""
    assert wait_estimate(ahead=0, mean_service_s=300, open_counters=0) == (
        None, {"code": "no_counter_open", "id": "Menunggu loket dibuka", "en": "Waiting for a counter to open"})
    assert wait_estimate(ahead=6, mean_service_s=300, open_counters=2) == (900, None)
