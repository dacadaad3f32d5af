"""Properties of the queue's rules, checked by hypothesis over many generated cases
(the example-based tests are in test_domain.py)."""
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts.enums import PRIORITIES
from services.queue.domain import (
    ALLOWED_FROM, FINAL, PRIORITY_CLASSES, STATUSES, Ticket, estimate_wait_s, format_number,
    mean_service_time, order_for_calling,
)
from shared.contracts.errors import Conflict

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)

waiting_tickets = st.lists(
    st.builds(lambda i, priority, offset: SimpleNamespace(name=i, priority=priority,
                                                          queued_at=T0 + timedelta(seconds=offset)),
              st.integers(), st.sampled_from(PRIORITIES), st.integers(0, 4 * 3600)),
    max_size=40,
).map(lambda tickets: [SimpleNamespace(**{**vars(t), "name": n}) for n, t in enumerate(tickets)])
head_starts = st.integers(0, 3600)


@given(waiting_tickets, head_starts)
def test_nobody_is_overtaken_by_a_ticket_queued_more_than_the_head_start_later(tickets, head_start):
    """A ticket (regular or not) is never called after one that joined the queue more
    than the head start after it: regular tickets wait at most the head start longer
    than first-come-first-served would make them."""
    order = order_for_calling(tickets, head_start)
    for i, earlier_called in enumerate(order):
        for later_called in order[i + 1:]:
            assert earlier_called.queued_at <= later_called.queued_at + timedelta(seconds=head_start)


@given(waiting_tickets, head_starts)
def test_calling_order_is_first_come_first_served_within_a_class(tickets, head_start):
    """Checks: among regular tickets, and among priority tickets, the earlier arrival
    is always called first (the head start only moves classes relative to each other)."""
    order = order_for_calling(tickets, head_start)
    for group in (lambda t: t.priority == "regular", lambda t: t.priority in PRIORITY_CLASSES):
        times = [t.queued_at for t in order if group(t)]
        assert times == sorted(times)


@given(waiting_tickets, head_starts)
def test_a_priority_ticket_goes_ahead_of_every_regular_ticket_queued_within_the_head_start(tickets, head_start):
    """Checks the other half of the rule: the head start is really given."""
    order = order_for_calling(tickets, head_start)
    position = {t.name: i for i, t in enumerate(order)}
    for p in (t for t in tickets if t.priority in PRIORITY_CLASSES):
        for r in (t for t in tickets if t.priority == "regular"):
            if p.queued_at - timedelta(seconds=head_start) < r.queued_at:
                assert position[p.name] < position[r.name]


@given(st.from_regex(r"\A[A-Z]{1,2}\Z"), st.integers(1, 99_999))
def test_numbers_have_the_prefix_at_least_three_digits_and_give_back_their_sequence(prefix, seq):
    """Checks: every number is PREFIX-NNN (more digits past 999), never ambiguous."""
    number = format_number(prefix, seq)
    match = re.fullmatch(r"([A-Z]{1,2})-(\d{3,})", number)
    assert match and match.group(1) == prefix and int(match.group(2)) == seq
    assert len(match.group(2)) == max(3, len(str(seq)))


@given(st.integers(1, 998))
def test_numbers_below_a_thousand_sort_like_their_sequence(seq):
    """Checks: zero padding keeps the day's first 999 numbers in order as text."""
    assert format_number("B", seq) < format_number("B", seq + 1)


ACTIONS = ("call", "recall", "start", "no_show", "complete", "transfer", "cancel")


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(1, 600)), max_size=25), st.integers(0, 4))
def test_no_sequence_of_actions_reaches_an_invalid_state(actions, max_recalls):
    """Whatever officers and citizens press, in any order: an action either happens
    as the state machine allows or is refused with a Conflict that changes nothing,
    and the ticket's fields always fit its status."""
    ticket = Ticket(id=1, number="A-001", service_code="SIM", priority="regular", status="waiting",
                    issued_at=T0, queued_at=T0)
    now = T0
    for action, step_s in actions:
        now += timedelta(seconds=step_s)
        before = dict(vars(ticket))
        run = {"call": lambda: ticket.call(3, now), "recall": lambda: ticket.recall(now, max_recalls),
               "start": lambda: ticket.start(now), "no_show": lambda: ticket.mark_no_show(now),
               "complete": lambda: ticket.complete(now, "passed"), "transfer": lambda: ticket.transfer_to("SKCK", now, 2),
               "cancel": lambda: ticket.cancel(now)}[action]
        try:
            run()
        except Conflict as refused:
            assert refused.error_code == "invalid_transition"
            assert before["status"] not in ALLOWED_FROM[action]
            assert vars(ticket) == before
            continue
        assert before["status"] in ALLOWED_FROM[action]
        assert before["status"] not in FINAL
        check_fields_fit_status(ticket, max_recalls)


def check_fields_fit_status(ticket, max_recalls):
    assert ticket.status in STATUSES
    assert 0 <= ticket.recall_count <= max_recalls
    if ticket.status in ("called", "serving", "done", "no_show"):
        assert ticket.counter == 3 and ticket.called_at >= ticket.queued_at
    if ticket.status == "serving":
        assert ticket.started_at >= ticket.called_at and ticket.finished_at is None
    if ticket.status in FINAL:
        assert ticket.finished_at is not None
    if ticket.status == "done":
        assert ticket.called_at <= ticket.started_at <= ticket.finished_at and ticket.service_time_s >= 0
    if ticket.status == "waiting":
        assert ticket.called_at is None and ticket.finished_at is None


@given(st.integers(0, 500), st.floats(30, 7200), st.integers(0, 20), st.integers(0, 20))
def test_the_wait_estimate_grows_with_the_queue_and_shrinks_with_open_counters(ahead, mean, counters, more):
    """Checks: the estimate is monotone in queue length, pace and open counters, and
    zero for the next in line."""
    estimate = estimate_wait_s(ahead, mean, counters)
    assert estimate >= 0
    assert estimate_wait_s(ahead + more, mean, counters) >= estimate
    assert estimate_wait_s(ahead, mean, counters + more) <= estimate
    assert estimate_wait_s(ahead, mean + more, counters) >= estimate
    if ahead == 0:
        assert estimate == 0


@given(st.lists(st.one_of(st.none(), st.floats(0, 10 ** 6)), max_size=30), st.integers(30, 7200),
       st.floats(7200, 10 ** 6))
def test_the_service_pace_stays_within_plausible_bounds_and_follows_the_samples(samples, default, slow):
    """Checks: whatever the history (slips, forgotten counters), the pace stays within
    30 s … 2 h and moves in the direction of each new sample."""
    pace = mean_service_time(samples, default)
    assert 30 <= pace <= 7200
    # One more slowest sample never makes the pace quicker, one quickest never slower.
    assert mean_service_time(samples + [slow], default) >= pace - 1e-6
    assert mean_service_time(samples + [0], default) <= pace + 1e-6
