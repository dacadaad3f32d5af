"""The officer's undo (complete, no-show, transfer within 10 s) and the supervisor's
hand on counters (free a counter left with a called ticket, retire a counter), on
the in-memory unit of work: what each changes, journals and publishes, and that a
refusal leaves nothing behind."""
from datetime import timedelta

import pytest

from shared.contracts.errors import Conflict, Forbidden
from services.queue import handlers
from services.queue.commands import CompleteTicket, OpenCounter, TransferTicket
from tests.unit.memory_queue import MemoryStore
from tests.unit.test_queue_use_cases import T0, act, issue, kinds, open_counter


@pytest.fixture
def store():
    return MemoryStore()


def called(store, service="SKCK", counter=1, officer="petugas1"):
    ticket = issue(store, service)
    act(store, "call_next", counter, officer)
    return ticket


def undo(store, at, counter=1, officer="petugas1"):
    with store.unit_of_work(officer, at) as uow:
        return handlers.undo(uow, counter, officer)


def refused(store, at, code, counter=1, officer="petugas1"):
    before = (len(store.journal), len(store.outbox))
    with pytest.raises(Conflict) as error:
        undo(store, at, counter, officer)
    assert error.value.error_code == code
    assert (len(store.journal), len(store.outbox)) == before   # nothing half-written


def test_undo_a_complete_of_a_ticket_never_started_brings_it_back_called(store):
    open_counter(store)
    ticket = called(store)
    act(store, "complete", 1, "petugas1", T0, CompleteTicket())
    assert ticket.status == "done" and store.counters[1].current_ticket_id is None

    undo(store, T0 + timedelta(seconds=9))
    assert (ticket.status, ticket.counter, ticket.finished_at, ticket.started_at) == ("called", 1, None, None)
    assert store.counters[1].current_ticket_id == ticket.id
    assert kinds(store)[-1] == "ticket_restored"
    event = store.outbox[-1]
    assert (event.ticket_id, event.counter, event.undone, event.status) == (ticket.id, 1, "complete", "called")
    assert store.journal[-1]["action"] == "restore" and store.journal[-1]["data"] == {"undone": "complete"}
    # once undone, there is nothing more to undo
    refused(store, T0 + timedelta(seconds=9), "nothing_to_undo")


def test_undo_a_complete_of_a_ticket_being_served_keeps_its_start(store):
    open_counter(store)
    ticket = called(store)
    act(store, "start", 1, "petugas1", T0 + timedelta(seconds=5))
    act(store, "complete", 1, "petugas1", T0 + timedelta(seconds=60), CompleteTicket())
    undo(store, T0 + timedelta(seconds=65))
    assert (ticket.status, ticket.started_at) == ("serving", T0 + timedelta(seconds=5))


def test_undo_a_no_show(store):
    open_counter(store)
    ticket = called(store)
    act(store, "no_show")
    undo(store, T0 + timedelta(seconds=3))
    assert (ticket.status, store.counters[1].current_ticket_id) == ("called", ticket.id)
    assert store.outbox[-1].undone == "no_show"


def test_undo_a_transfer_cancels_the_ticket_it_made(store):
    open_counter(store)
    ticket = called(store)
    act(store, "transfer", 1, "petugas1", T0, TransferTicket(service="SIM"))
    moved = store.tickets[ticket.transferred_to]
    assert moved.status == "waiting"

    undo(store, T0 + timedelta(seconds=10))
    assert (ticket.status, ticket.transferred_to, store.counters[1].current_ticket_id) == ("called", None, ticket.id)
    assert moved.status == "cancelled"
    assert kinds(store)[-2:] == ["ticket_cancelled", "ticket_restored"]
    assert store.outbox[-2].ticket_id == moved.id
    assert [line["action"] for line in store.journal[-2:]] == ["cancel", "restore"]
    assert store.journal[-2]["data"] == {"reason": "undo"}


def test_undo_is_refused_after_the_window(store):
    open_counter(store)
    called(store)
    act(store, "no_show")
    refused(store, T0 + timedelta(seconds=10.5), "undo_expired")


def test_undo_is_refused_when_something_happened_since(store):
    open_counter(store)
    first = called(store)
    act(store, "complete", 1, "petugas1", T0, CompleteTicket())
    called(store)            # the counter called the next citizen
    refused(store, T0 + timedelta(seconds=2), "nothing_to_undo")
    assert store.tickets[first.id].status == "done"


def test_undo_of_a_transfer_is_refused_once_the_new_service_called_it(store):
    open_counter(store)
    open_counter(store, 2, "petugas2", ("SIM",))
    ticket = called(store)
    act(store, "transfer", 1, "petugas1", T0, TransferTicket(service="SIM"))
    act(store, "call_next", 2, "petugas2")
    refused(store, T0 + timedelta(seconds=2), "undo_not_possible")
    assert store.tickets[ticket.id].status == "transferred"


def test_undo_refuses_a_recorded_application_outcome_and_other_counters(store):
    open_counter(store)
    open_counter(store, 2, "petugas2")
    called(store)
    act(store, "complete", 1, "petugas1", T0, CompleteTicket(outcome="passed"))
    refused(store, T0 + timedelta(seconds=1), "undo_not_possible")
    with pytest.raises(Forbidden):
        undo(store, T0 + timedelta(seconds=1), counter=1, officer="petugas2")
    refused(store, T0 + timedelta(seconds=1), "nothing_to_undo", counter=2, officer="petugas2")


def test_nothing_to_undo_after_a_start_or_recall(store):
    open_counter(store)
    called(store)
    refused(store, T0, "nothing_to_undo")         # the counter still has its ticket
    act(store, "recall")
    refused(store, T0, "nothing_to_undo")


# --- the supervisor ------------------------------------------------------------------------

def free(store, counter, role="supervisor", actor="spv"):
    with store.unit_of_work(actor, T0 + timedelta(minutes=5)) as uow:
        handlers.free_counter(uow, counter, actor, role)


def test_a_supervisor_frees_a_counter_left_with_a_called_ticket(store):
    open_counter(store)
    earlier = called(store)
    later = issue(store, at=T0 + timedelta(minutes=1))
    free(store, 1)
    assert (earlier.status, earlier.counter, earlier.called_at) == ("waiting", None, None)
    assert not store.counters[1].is_open and store.counters[1].current_ticket_id is None
    assert kinds(store)[-2:] == ["ticket_requeued", "counter_closed"]
    assert store.outbox[-2].counter == 1
    assert [line["actor"] for line in store.journal[-2:]] == ["spv", "spv"]
    # it keeps its place: the next call takes it before the later ticket
    open_counter(store, 2, "petugas2")
    act(store, "call_next", 2, "petugas2")
    assert store.counters[2].current_ticket_id == earlier.id != later.id


def test_freeing_is_for_supervisors_and_spares_a_ticket_being_served(store):
    open_counter(store)
    ticket = called(store)
    with pytest.raises(Forbidden):
        free(store, 1, role="officer", actor="petugas2")
    act(store, "start")
    with pytest.raises(Conflict):
        free(store, 1)
    assert store.tickets[ticket.id].status == "serving" and store.counters[1].is_open  # rolled back


def test_a_retired_counter_cannot_be_opened_until_reinstated(store):
    with store.unit_of_work("spv", T0) as uow:
        handlers.retire_counter(uow, 3, "spv", "supervisor")
    assert store.counters[3].retired and store.journal[-1]["action"] == "retire_counter"
    with pytest.raises(Conflict) as error, store.unit_of_work("petugas3", T0) as uow:
        handlers.open_counter(uow, 3, OpenCounter(services=["SIM"]), "petugas3")
    assert error.value.error_code == "counter_retired"
    with store.unit_of_work("spv", T0) as uow:
        handlers.retire_counter(uow, 3, "spv", "supervisor", retired=False)
    open_counter(store, 3, "petugas3")
    assert store.counters[3].is_open and store.journal[-2]["action"] == "reinstate_counter"


def test_an_open_counter_is_not_retired(store):
    open_counter(store)
    with pytest.raises(Conflict) as error, store.unit_of_work("spv", T0) as uow:
        handlers.retire_counter(uow, 1, "spv", "supervisor")
    assert error.value.error_code == "counter_open" and not store.counters[1].retired
    with pytest.raises(Forbidden), store.unit_of_work("petugas2", T0) as uow:
        handlers.retire_counter(uow, 2, "petugas2", "officer")


def test_undo_refuses_an_application_steps_ticket_even_after_a_transfer(store):
    """The documents service acts on a step ticket's no-show, transfer and completion:
    the queue does not undo them behind its back."""
    from services.queue.commands import IssueForStep
    open_counter(store)
    with store.unit_of_work("documents", T0) as uow:
        first, _ = handlers.issue_for_step(uow, IssueForStep(service="SKCK", request_id="app-1/registration"))
    with store.unit_of_work("documents", T0 + timedelta(minutes=1)) as uow:
        second, _ = handlers.issue_for_step(uow, IssueForStep(service="SKCK", request_id="app-2/registration"))
    act(store, "call_next")
    assert store.counters[1].current_ticket_id == first
    act(store, "no_show")
    refused(store, T0 + timedelta(seconds=1), "undo_not_possible")
    # the same for the ticket a transfer made of one
    act(store, "call_next")
    act(store, "transfer", 1, "petugas1", T0, TransferTicket(service="SIM"))
    moved = store.tickets[second].transferred_to
    open_counter(store, 2, "petugas2", ("SIM",))
    act(store, "call_next", 2, "petugas2")
    assert store.counters[2].current_ticket_id == moved
    act(store, "complete", 2, "petugas2", T0, CompleteTicket())
    refused(store, T0 + timedelta(seconds=1), "undo_not_possible", counter=2, officer="petugas2")
    assert store.tickets[moved].status == "done"
