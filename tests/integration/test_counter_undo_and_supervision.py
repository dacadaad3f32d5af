"""The officer's undo, the supervisor's free and retire, the services' one colour
and the transfers on the display state: through the gateway on the real servers,
and the undo window on PostgreSQL's journal with a settable clock."""
from datetime import datetime, timedelta, timezone

import pytest
import requests

from shared.contracts.errors import Conflict
from services.queue import display, handlers, views
from services.queue.commands import CompleteTicket, IssueTicket, OpenCounter, TransferTicket
from tests.integration.test_gateway_http import login, post

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def get(base, path, headers=None):
    answer = requests.get(f"{base}{path}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_undo_over_http_brings_the_ticket_back_once(gateway):
    officer = login(gateway, "petugas1")
    issued = post(gateway, "/api/tickets", {"service": "SIM"}).json()
    assert post(gateway, "/api/counters/1/open", {"services": ["SIM"]}, officer).status_code == 200
    assert post(gateway, "/api/counters/1/call-next", None, officer).json()["id"] == issued["id"]
    assert post(gateway, "/api/counters/1/no-show", None, officer).json()["status"] == "no_show"
    offer = get(gateway, "/api/counters/1", officer)["undo"]
    assert (offer["action"], offer["number"]) == ("no_show", issued["number"])

    other = login(gateway, "petugas2")
    assert post(gateway, "/api/counters/1/undo", None, other).status_code == 403
    assert post(gateway, "/api/counters/1/undo", None).status_code == 401

    undone = post(gateway, "/api/counters/1/undo", None, officer)
    assert undone.status_code == 200, undone.text
    assert (undone.json()["id"], undone.json()["status"], undone.json()["counter"]) == (issued["id"], "called", 1)
    detail = get(gateway, "/api/counters/1", officer)
    assert detail["current"]["id"] == issued["id"] and detail["undo"] is None
    board = get(gateway, "/api/display")
    assert [c["number"] for c in board["counters"] if c["counter"] == 1] == [issued["number"]]

    again = post(gateway, "/api/counters/1/undo", None, officer)
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_undo"
    assert again.json()["error"]["fields"] == {"counter": "nothing to undo"}


def test_the_undo_window_on_the_journal(site, unit_of_work):
    def uow_at(seconds):
        return unit_of_work(clock=lambda: T0 + timedelta(seconds=seconds))

    with uow_at(0)(site, "kiosk") as unit:
        ticket_id, _ = handlers.issue_ticket(unit, IssueTicket(service="SKCK"))
    with uow_at(1)(site, "petugas3") as unit:
        handlers.open_counter(unit, 3, OpenCounter(services=["SKCK"]), "petugas3")
        handlers.call_next(unit, 3, "petugas3")
        handlers.transfer(unit, 3, "petugas3", TransferTicket(service="SIM"))
    with uow_at(2)(site) as unit:
        state = display.build_state(unit)
        assert views.counter(unit, 3)["undo"]["action"] == "transfer"
    assert [(c["counter"], c["number"]) for c in state["counters"]] == [(3, None)]   # the counter is free
    assert [(t["service"], t["from"]) for t in state["transfers"]] == [("SIM", "SKCK")]

    with pytest.raises(Conflict) as late, uow_at(11.5)(site, "petugas3") as unit:
        handlers.undo(unit, 3, "petugas3")
    assert late.value.error_code == "undo_expired"
    with uow_at(11)(site, "petugas3") as unit:
        assert handlers.undo(unit, 3, "petugas3") == ticket_id
    with uow_at(12)(site) as unit:
        restored = views.ticket_view(unit, ticket_id)
        state = display.build_state(unit)
    assert (restored["status"], restored["transferred_to"]) == ("called", None)
    assert state["transfers"] == []
    with uow_at(13)(site, "petugas3") as unit:
        handlers.complete(unit, 3, "petugas3", CompleteTicket())
    with uow_at(13)(site) as unit:
        assert views.counter(unit, 3)["undo"]["action"] == "complete"
    with uow_at(30)(site) as unit:
        assert views.counter(unit, 3)["undo"] is None     # the offer ends with the window


def test_a_supervisor_frees_and_retires_counters(gateway):
    officer, supervisor = login(gateway, "petugas2"), login(gateway, "admin")
    issued = post(gateway, "/api/tickets", {"service": "SKCK"}).json()
    post(gateway, "/api/counters/2/open", {"services": ["SKCK"]}, officer)
    assert post(gateway, "/api/counters/2/call-next", None, officer).json()["id"] == issued["id"]

    assert post(gateway, "/api/admin/counters/2/free", None, officer).status_code == 403
    assert post(gateway, "/api/admin/counters/2/retire", None, officer).status_code == 403
    busy = post(gateway, "/api/admin/counters/2/retire", None, supervisor)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "counter_open"

    freed = post(gateway, "/api/admin/counters/2/free", None, supervisor)
    assert freed.status_code == 200, freed.text
    assert (freed.json()["open"], freed.json()["current"]) == (False, None)
    ticket = get(gateway, f"/api/tickets/{issued['id']}")
    assert (ticket["status"], ticket["position"], ticket["counter"]) == ("waiting", 1, None)
    # the officer's console sees its counter closed
    assert get(gateway, "/api/counters/2", officer)["open"] is False

    retired = post(gateway, "/api/admin/counters/2/retire", None, supervisor)
    assert retired.status_code == 200 and retired.json()["retired"] is True
    assert [c["retired"] for c in get(gateway, "/api/counters", officer) if c["counter"] == 2] == [True]
    assert [c["retired"] for c in get(gateway, "/api/admin/counters", supervisor) if c["counter"] == 2] == [True]
    refused = post(gateway, "/api/counters/2/open", {"services": ["SKCK"]}, officer)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "counter_retired"
    back = post(gateway, "/api/admin/counters/2/reinstate", None, supervisor)
    assert back.status_code == 200 and back.json()["retired"] is False
    assert post(gateway, "/api/counters/2/open", {"services": ["SKCK"]}, officer).status_code == 200


def test_each_service_has_one_colour_everywhere(gateway):
    supervisor = login(gateway, "admin")
    # hiding a service repaints no other one
    assert requests.put(f"{gateway}/api/admin/services/SIM", json={"active": False},
                        headers=supervisor).status_code == 200
    admin = {s["code"]: s["colour"] for s in get(gateway, "/api/admin/services", supervisor)}
    kiosk = {s["code"]: s["colour"] for s in get(gateway, "/api/services")}
    board = {s["code"]: s["colour"] for s in get(gateway, "/api/display")["services"]}
    assert admin == {"SIM": 0, "SKCK": 1, "LOST_ITEM": 2}
    assert kiosk == board == {"SKCK": 1, "LOST_ITEM": 2}
