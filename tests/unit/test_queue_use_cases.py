"""The queue's use cases on the in-memory unit of work: every counter action, issue
with quota and hours, transfer and cancel — what each changes, journals and
publishes, and that a refusal leaves nothing behind."""
from datetime import datetime, timedelta, timezone

import pytest

from shared.contracts.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from services.queue import handlers
from services.queue.commands import CompleteTicket, IssueForStep, IssueTicket, OpenCounter, TransferTicket
from tests.unit.memory_queue import MemoryStore, hours, service_row

UTC = timezone.utc
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta, a Tuesday


@pytest.fixture
def store():
    return MemoryStore()


def issue(store, service="SKCK", priority="regular", at=T0, key=None, **extra):
    with store.unit_of_work("kiosk", at) as uow:
        ticket_id, _ = handlers.issue_ticket(uow, IssueTicket(service=service, priority=priority, **extra), key)
    return store.tickets[ticket_id]


def act(store, action, counter=1, officer="petugas1", at=T0, *args):
    with store.unit_of_work(officer, at) as uow:
        return getattr(handlers, action)(uow, counter, officer, *args)


def open_counter(store, counter=1, officer="petugas1", services=("SIM", "SKCK")):
    with store.unit_of_work(officer, T0) as uow:
        handlers.open_counter(uow, counter, OpenCounter(services=list(services)), officer)


def key_of(store, ticket):
    from services.queue.access import ticket_access_key
    return ticket_access_key(store.rules.secret, store.row(ticket.id))


def kinds(store):
    return [event.event_type for event in store.outbox]


# --- issue ------------------------------------------------------------------------------

def test_issue_numbers_per_service_journals_and_publishes(store):
    first, second, other = issue(store), issue(store), issue(store, "SIM")
    assert (first.number, second.number, other.number) == ("B-001", "B-002", "A-001")
    assert kinds(store) == ["ticket_issued"] * 3
    assert [line["action"] for line in store.journal] == ["issue"] * 3
    assert store.journal[0]["actor"] == "kiosk" and store.outbox[0].site == "test-site"


def test_an_idempotency_key_gives_the_same_ticket_and_another_body_is_refused(store):
    first = issue(store, key="k1")
    assert issue(store, key="k1").id == first.id and len(store.tickets) == 1
    with pytest.raises(Conflict) as reused:
        issue(store, "SIM", key="k1")
    assert reused.value.error_code == "idempotency_key_reused"
    assert len(store.outbox) == 1


def test_issue_outside_opening_hours_or_over_quota_is_refused_and_gives_the_number_back():
    store = MemoryStore(services=[service_row("SKCK", "B", daily_quota=2, **hours((8, 0), (14, 0)))])
    with pytest.raises(Conflict) as closed:
        issue(store, at=T0 + timedelta(hours=7))  # 16:00 in Jakarta
    assert closed.value.error_code == "service_closed"
    issue(store), issue(store)
    with pytest.raises(Conflict) as full:
        issue(store)
    assert full.value.error_code == "quota_reached"
    assert [t.number for t in store.tickets.values()] == ["B-001", "B-002"]
    assert store.numbers == {("SKCK", T0.date()): 2} and len(store.outbox) == 2


def test_an_unknown_service_names_the_field(store):
    with pytest.raises(InvalidInput) as refused:
        issue(store, "PASPOR")
    assert refused.value.fields == {"service": "unknown service PASPOR"}
    assert store.tickets == {} and store.outbox == []


def test_a_step_ticket_keeps_the_citizens_place_and_names_the_issuing_service(store):
    early = issue(store, at=T0)
    later = issue(store, at=T0 + timedelta(minutes=10))
    with store.unit_of_work("documents", T0 + timedelta(minutes=20)) as uow:
        step_id, created = handlers.issue_for_step(uow, IssueForStep(service="SKCK", queued_at=T0 - timedelta(
            minutes=5), request_id="app-1:document_check"))
    with store.unit_of_work("documents", T0 + timedelta(minutes=21)) as uow:
        again, created_again = handlers.issue_for_step(uow, IssueForStep(service="SKCK", request_id="app-1:document_check"))
    assert created and not created_again and again == step_id
    open_counter(store)
    assert act(store, "call_next", at=T0 + timedelta(minutes=30)) == step_id  # queued before both
    assert store.journal[2]["actor"] == "documents" and store.journal[2]["data"]["issued_by"] == "documents"
    assert {early.status, later.status} == {"waiting"}


# --- counters ---------------------------------------------------------------------------------

def test_open_call_recall_start_complete_close(store):
    ticket = issue(store)
    open_counter(store)
    assert act(store, "call_next") == ticket.id
    assert (ticket.status, ticket.counter, store.counters[1].current_ticket_id) == ("called", 1, ticket.id)
    act(store, "recall")
    assert ticket.recall_count == 1
    act(store, "start", 1, "petugas1", T0 + timedelta(minutes=1))
    act(store, "complete", 1, "petugas1", T0 + timedelta(minutes=6), CompleteTicket(outcome="passed", note="ok"))
    assert (ticket.status, ticket.outcome, ticket.service_time_s) == ("done", "passed", 300.0)
    assert store.counters[1].current_ticket_id is None
    with store.unit_of_work("petugas1", T0) as uow:
        handlers.close_counter(uow, 1, "petugas1")
    assert not store.counters[1].is_open
    assert kinds(store) == ["ticket_issued", "counter_opened", "ticket_called", "ticket_recalled", "ticket_started",
                            "ticket_completed", "counter_closed"]
    assert [line["action"] for line in store.journal] == ["issue", "open_counter", "call", "recall", "start",
                                                          "complete", "close_counter"]
    assert store.journal[5]["data"] == {"outcome": "passed", "note": "ok", "from": "serving"}
    assert all(line["actor"] == "petugas1" for line in store.journal[1:])


def test_call_next_with_nobody_waiting_changes_nothing(store):
    open_counter(store)
    assert act(store, "call_next") is None
    assert kinds(store) == ["counter_opened"]


def test_only_the_officer_who_opened_a_counter_acts_at_it(store):
    issue(store)
    open_counter(store)
    with pytest.raises(Forbidden) as taken:
        open_counter(store, officer="petugas2")
    assert taken.value.error_code == "counter_taken"
    with pytest.raises(Forbidden) as not_yours:
        act(store, "call_next", 1, "petugas2")
    assert not_yours.value.error_code == "not_your_counter"
    with pytest.raises(Forbidden) as closed:
        act(store, "call_next", 2, "petugas2")
    assert closed.value.error_code == "counter_closed"
    assert kinds(store) == ["ticket_issued", "counter_opened"]


def test_a_counter_opens_only_for_services_it_may_serve():
    store = MemoryStore(counters=[(1, ["SIM"])])
    with pytest.raises(InvalidInput) as refused:
        open_counter(store, services=("SKCK",))
    assert refused.value.fields == {"services": "counter 1 does not serve SKCK"}
    with pytest.raises(InvalidInput):
        open_counter(store, services=("PASPOR",))
    assert not store.counters[1].is_open and store.outbox == []


def test_a_busy_counter_neither_calls_nor_closes(store):
    issue(store), issue(store)
    open_counter(store)
    act(store, "call_next")
    with pytest.raises(Conflict):
        act(store, "call_next")
    with pytest.raises(Conflict):
        with store.unit_of_work("petugas1", T0) as uow:
            handlers.close_counter(uow, 1, "petugas1")
    assert kinds(store).count("ticket_called") == 1


def test_priority_tickets_go_first_within_the_head_start(store):
    regular = issue(store, at=T0)
    elderly = issue(store, priority="elderly", at=T0 + timedelta(minutes=10))
    open_counter(store)
    assert act(store, "call_next", at=T0 + timedelta(minutes=11)) == elderly.id
    act(store, "complete", 1, "petugas1", T0 + timedelta(minutes=12), CompleteTicket())
    assert act(store, "call_next", at=T0 + timedelta(minutes=13)) == regular.id


def test_the_recall_past_the_limit_is_a_no_show(store):
    ticket = issue(store)
    open_counter(store)
    act(store, "call_next")
    for _ in range(3):
        act(store, "recall")
    act(store, "recall")
    assert (ticket.status, ticket.recall_count, store.counters[1].current_ticket_id) == ("no_show", 3, None)
    assert store.outbox[-1].event_type == "ticket_no_show" and store.outbox[-1].reason == "recalls"
    assert store.journal[-1]["data"] == {"reason": "recalls", "recalls": 3}


def test_no_show_frees_the_counter(store):
    ticket = issue(store)
    open_counter(store)
    act(store, "call_next")
    act(store, "no_show")
    assert (ticket.status, store.counters[1].current_ticket_id) == ("no_show", None)
    assert store.outbox[-1].reason == "officer"


def test_transfer_keeps_the_number_and_the_place(store):
    ticket = issue(store)
    open_counter(store)
    act(store, "call_next")
    moved_id = act(store, "transfer", 1, "petugas1", T0 + timedelta(minutes=3), TransferTicket(service="SIM"))
    moved = store.tickets[moved_id]
    assert (ticket.status, ticket.transferred_to) == ("transferred", moved_id)
    assert (moved.number, moved.service_code, moved.queued_at, moved.transferred_from) == (
        ticket.number, "SIM", ticket.queued_at, ticket.id)
    assert store.ticket_rows[moved_id]["seq"] == store.ticket_rows[ticket.id]["seq"]
    event = store.outbox[-1]
    assert (event.event_type, event.to_service, event.new_ticket_id, event.counter) == (
        "ticket_transferred", "SIM", moved_id, 1)


def test_transfer_to_the_same_or_an_unknown_service_is_refused(store):
    issue(store)
    open_counter(store)
    act(store, "call_next")
    for target in ("SKCK", "PASPOR"):
        with pytest.raises(InvalidInput) as refused:
            act(store, "transfer", 1, "petugas1", T0, TransferTicket(service=target))
        assert "service" in refused.value.fields
    assert len(store.tickets) == 1 and kinds(store)[-1] == "ticket_called"


def test_cancel_a_called_ticket_frees_its_counter(store):
    ticket = issue(store)
    open_counter(store)
    act(store, "call_next")
    for wrong_key in (None, "not-the-key"):
        with pytest.raises((Unauthorized, Forbidden)):
            with store.unit_of_work("citizen", T0) as uow:
                handlers.cancel_ticket(uow, ticket.id, wrong_key)
    ticket = store.tickets[ticket.id]  # the refusals rolled the store back
    assert ticket.status == "called"
    with store.unit_of_work("citizen", T0) as uow:
        handlers.cancel_ticket(uow, ticket.id, key_of(store, ticket))
    assert (ticket.status, store.counters[1].current_ticket_id) == ("cancelled", None)
    assert store.journal[-1]["counter"] == 1 and store.journal[-1]["actor"] == "citizen"
    with pytest.raises(Conflict):
        with store.unit_of_work("citizen", T0) as uow:
            handlers.cancel_ticket(uow, ticket.id, key_of(store, ticket))


def test_the_issuing_service_withdraws_a_step_ticket_without_the_holders_key(store):
    """Broke: a cancelled application's ticket stayed in the queue. Checks: the
    documents service withdraws a called step ticket (counter freed, journaled with
    the service as actor, reason withdrawn); a finished ticket is left alone (None)."""
    with store.unit_of_work("documents", T0) as uow:
        step_id, _ = handlers.issue_for_step(uow, IssueForStep(service="SKCK", request_id="app-9:registration:1"))
    open_counter(store)
    assert act(store, "call_next") == step_id
    with store.unit_of_work("documents", T0) as uow:
        assert handlers.cancel_step_ticket(uow, step_id) == step_id
    ticket = store.tickets[step_id]
    assert (ticket.status, store.counters[1].current_ticket_id) == ("cancelled", None)
    assert (store.journal[-1]["actor"], store.journal[-1]["data"]) == ("documents", {"reason": "withdrawn"})
    with store.unit_of_work("documents", T0) as uow:
        assert handlers.cancel_step_ticket(uow, step_id) is None


def test_yesterdays_waiting_tickets_are_closed_by_the_system(store):
    old = issue(store, at=T0 - timedelta(days=1))
    new = issue(store)
    with store.unit_of_work("system", T0) as uow:
        handlers.close_previous_days(uow)
    assert (old.status, new.status) == ("cancelled", "waiting")
    assert store.journal[-1]["data"] == {"reason": "day_closed"} and store.journal[-1]["actor"] == "system"


def test_a_use_case_that_forgets_to_save_commits_nothing(store):
    ticket = issue(store)
    with pytest.raises(RuntimeError):
        with store.unit_of_work("citizen", T0) as uow:
            uow.tickets.get(ticket.id).cancel(T0)  # changed, never saved
    assert store.tickets[ticket.id].status == "waiting" and kinds(store) == ["ticket_issued"]
