"""The satisfaction index (IKM, PermenPAN-RB 14/2017): its arithmetic and every
grade boundary, the survey use case on the in-memory unit of work."""
from datetime import timedelta
from decimal import Decimal

import pytest

from shared.contracts.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from services.queue import handlers
from services.queue.commands import SubmitSurvey, parse
from services.queue.satisfaction import ELEMENTS, grade_of, index_of
from tests.unit.test_queue_use_cases import T0, act, issue, key_of, open_counter
from tests.unit.memory_queue import MemoryStore


def answer(*scores):
    return dict(zip(ELEMENTS, scores))


def test_index_is_the_mean_of_the_element_scores_times_25():
    assert index_of([answer(*[4] * 9)]).index == Decimal("100.00")
    assert index_of([answer(*[1] * 9)]).index == Decimal("25.00")
    # one response 4,4,4,4,3,3,3,3,3: mean 31/9 = 3.444…, × 25 = 86.111… → 86.11, grade B
    single = index_of([answer(4, 4, 4, 4, 3, 3, 3, 3, 3)])
    assert (single.index, single.grade, single.responses) == (Decimal("86.11"), "B", 1)
    # two responses: element means 3.5 (u1) and 2.5 (the others, 3 and 2) → (3.5 + 8 × 2.5) / 9 × 25
    pair = index_of([answer(4, 3, 3, 3, 3, 3, 3, 3, 3), answer(3, 2, 2, 2, 2, 2, 2, 2, 2)])
    assert pair.elements["u1"] == Decimal("3.50") and pair.elements["u9"] == Decimal("2.50")
    assert pair.index == (Decimal("23.5") / 9 * 25).quantize(Decimal("0.01")) == Decimal("65.28")
    assert pair.grade == "C"


def test_no_response_has_no_index():
    empty = index_of([])
    assert (empty.index, empty.grade, empty.responses, empty.elements) == (None, None, 0, {})
    assert empty.as_dict() == {"index": None, "grade": None, "responses": 0, "elements": {}}


def responses_with_total(total, count):
    """``count`` responses whose 9 × count scores add up to ``total``."""
    scores = [1] * (9 * count)
    extra = total - len(scores)
    for i in range(len(scores)):
        add = min(3, extra)
        scores[i] += add
        extra -= add
    assert extra == 0 and sum(scores) == total
    return [dict(zip(ELEMENTS, scores[n * 9:(n + 1) * 9])) for n in range(count)]


def test_rounding_is_half_up_to_two_places():
    # 8 responses, total 81 of 72 scores: 81 × 25 / 72 = 28.125 exactly → 28.13 (not 28.12)
    assert index_of(responses_with_total(81, 8)).index == Decimal("28.13")
    # 2 responses, total 53 of 18 scores: 53 × 25 / 18 = 73.6111… → 73.61, C
    two = index_of(responses_with_total(53, 2))
    assert (two.index, two.grade) == (Decimal("73.61"), "C")


def test_an_index_is_graded_on_its_reported_value():
    # 5,000 responses (45,000 scores): a total of 158,949 gives exactly 88.305 → 88.31 → A;
    # 158,948 gives 88.3044… → 88.30 → B.
    high, low = index_of(responses_with_total(158_949, 5000)), index_of(responses_with_total(158_948, 5000))
    assert (high.index, high.grade) == (Decimal("88.31"), "A")
    assert (low.index, low.grade) == (Decimal("88.30"), "B")
    # 76.605 → 76.61 → B: total × 25 / 45,000 = 76.605 → total 137,889
    assert index_of(responses_with_total(137_889, 5000)).grade == "B"
    # 64.995 → 65.00 → C: total 116,991
    assert (index_of(responses_with_total(116_991, 5000)).index, index_of(responses_with_total(116_991, 5000)).grade) \
        == (Decimal("65.00"), "C")


@pytest.mark.parametrize("index, grade", [
    ("100.00", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"), ("65.00", "C"),
    ("64.99", "D"), ("25.00", "D"),
])
def test_every_grade_boundary(index, grade):
    assert grade_of(Decimal(index)) == grade


@pytest.mark.parametrize("index", ["24.99", "100.01", "0", "-1"])
def test_an_index_outside_25_to_100_has_no_grade(index):
    with pytest.raises(ValueError):
        grade_of(Decimal(index))


@pytest.mark.parametrize("ratings", [
    answer(*[4] * 8), {**answer(*[4] * 9), "u10": 4}, answer(0, 4, 4, 4, 4, 4, 4, 4, 4),
    answer(4, 4, 4, 4, 4, 4, 4, 4, 5), answer(4, 4, 4, 4, 4, 4, 4, 4, True), answer(4, 4, 4, 4, 4, 4, 4, 4, "4"),
])
def test_index_refuses_bad_ratings(ratings):
    with pytest.raises(ValueError):
        index_of([ratings])


# --- the survey use case --------------------------------------------------------------------

GOOD = {"ratings": answer(4, 4, 3, 4, 4, 3, 4, 3, 4), "comment": "Cepat dan ramah"}


def served_ticket(store):
    ticket = issue(store)
    open_counter(store)
    act(store, "call_next")
    act(store, "complete", 1, "petugas1", T0 + timedelta(minutes=5), parse_complete())
    return store.tickets[ticket.id]


def parse_complete():
    from services.queue.commands import CompleteTicket
    return CompleteTicket()


def submit(store, ticket, key, body=GOOD):
    with store.unit_of_work("citizen", T0 + timedelta(minutes=10)) as uow:
        return handlers.submit_survey(uow, ticket.id, key, parse(SubmitSurvey, body))


def test_the_holder_rates_a_completed_ticket_once():
    store = MemoryStore()
    ticket = served_ticket(store)
    submit(store, ticket, key_of(store, ticket))
    stored = store.surveys[ticket.id]
    assert (stored["u1"], stored["u9"], stored["comment"], stored["service_code"]) == (4, 4, "Cepat dan ramah", "SKCK")
    assert store.journal[-1]["action"] == "survey" and store.journal[-1]["actor"] == "citizen"
    assert "ratings" not in store.journal[-1]["data"] and "comment" not in str(store.journal[-1]["data"])
    outbox = len(store.outbox)
    with pytest.raises(Conflict) as again:
        submit(store, ticket, key_of(store, ticket), {"ratings": answer(*[1] * 9)})
    assert again.value.error_code == "survey_already_submitted" and "ticket" in again.value.fields
    assert store.surveys[ticket.id]["u1"] == 4 and len(store.outbox) == outbox


@pytest.mark.parametrize("until", ["waiting", "called", "serving", "no_show", "cancelled"])
def test_no_survey_before_completion(until):
    store = MemoryStore()
    ticket = issue(store)
    if until != "waiting" and until != "cancelled":
        open_counter(store)
        act(store, "call_next")
        if until == "serving":
            act(store, "start")
        if until == "no_show":
            act(store, "no_show")
    if until == "cancelled":
        with store.unit_of_work("citizen", T0) as uow:
            handlers.cancel_ticket(uow, ticket.id, key_of(store, ticket))
    with pytest.raises(Conflict) as refused:
        submit(store, ticket, key_of(store, ticket))
    assert refused.value.error_code == "survey_not_open" and "status" in refused.value.fields
    assert store.surveys == {}


def test_only_the_holder_rates():
    store = MemoryStore()
    ticket = served_ticket(store)
    with pytest.raises(Unauthorized):
        submit(store, ticket, None)
    with pytest.raises(Forbidden):
        submit(store, ticket, "not-the-key")
    assert store.surveys == {}


@pytest.mark.parametrize("body, field", [
    ({"ratings": answer(*[4] * 8)}, "ratings.u9"),
    ({"ratings": answer(5, 4, 4, 4, 4, 4, 4, 4, 4)}, "ratings.u1"),
    ({"ratings": answer(4, 0, 4, 4, 4, 4, 4, 4, 4)}, "ratings.u2"),
    ({"ratings": answer(4, 4, "3", 4, 4, 4, 4, 4, 4)}, "ratings.u3"),
    ({"ratings": answer(4, 4, 4, 3.5, 4, 4, 4, 4, 4)}, "ratings.u4"),
    ({"ratings": {**answer(*[4] * 9), "u10": 4}}, "ratings.u10"),
    ({"ratings": answer(*[4] * 9), "comment": "x" * 1001}, "comment"),
    ({"ratings": answer(*[4] * 9), "comment": "bad\x00"}, "comment"),
    ({}, "ratings"),
])
def test_bad_surveys_name_the_field(body, field):
    with pytest.raises(InvalidInput) as refused:
        parse(SubmitSurvey, body)
    assert field in refused.value.fields
