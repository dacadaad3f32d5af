"""Counters against the real servers: invariant 2 (a waiting ticket is claimed by
exactly one counter), the calling order, recalls, transfers and ownership."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.contracts.errors import Conflict, Forbidden
from services.queue import handlers, views
from services.queue.commands import CompleteTicket, IssueTicket, OpenCounter, TransferTicket
from services.queue.domain import order_for_calling
from services.queue.service import QueueService

SERVICES = ["SIM", "SKCK", "LOST_ITEM"]


@pytest.fixture
def queue_rpc(container_factory, service_config):
    container_factory(QueueService, service_config).start()
    with ClusterRpcProxy(service_config) as rpc:
        yield rpc.queue


def test_ten_counters_calling_at_once_claim_every_ticket_exactly_once(make_site, container_factory,
                                                                       service_config):
    site = make_site(counters=[(n, f"Loket {n}", SERVICES) for n in range(1, 11)], officers=10)
    service_config["PTSP_SITE"] = site
    container_factory(QueueService, service_config).start()
    with ClusterRpcProxy(service_config) as rpc:
        issued = [rpc.queue.issue_ticket.call_async(site, {"service": SERVICES[i % 3]}) for i in range(120)]
        issued_ids = {reply.result()["id"] for reply in issued}
        for n in range(1, 11):
            rpc.queue.open_counter(site, n, {"services": SERVICES}, f"petugas{n}")

    claimed = []

    def serve_until_empty(counter):
        with ClusterRpcProxy(service_config) as rpc:
            while True:
                ticket = rpc.queue.call_next(site, counter, f"petugas{counter}")
                if ticket is None:
                    return
                claimed.append((counter, ticket["id"]))
                rpc.queue.complete(site, counter, f"petugas{counter}", {})

    pool = eventlet.GreenPool(10)
    list(pool.imap(serve_until_empty, range(1, 11)))

    ids = [ticket_id for _counter, ticket_id in claimed]
    assert len(ids) == len(set(ids)) == 120
    assert set(ids) == issued_ids
    assert len({counter for counter, _ in claimed}) > 1  # the work really was shared


def at(minute):
    return datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc) + timedelta(minutes=minute)


def test_calling_order_in_postgresql_matches_the_domain_rule(site, unit_of_work):
    # Regular and priority tickets spread over an hour, across two services.
    arrivals = [(0, "regular", "SIM"), (3, "elderly", "SKCK"), (5, "regular", "SKCK"), (18, "regular", "SIM"),
                (20, "pregnant", "SIM"), (21, "disabled", "SKCK"), (40, "regular", "SKCK"), (41, "elderly", "SIM"),
                (42, "regular", "SIM"), (55, "disabled", "SIM")]
    issued = []
    for minute, priority, service in arrivals:
        with unit_of_work(clock=lambda m=minute: at(m))(site, "kiosk") as unit:
            ticket_id, _ = handlers.issue_ticket(unit, IssueTicket(service=service, priority=priority))
        issued.append(SimpleNamespace(id=ticket_id, priority=priority, queued_at=at(minute)))

    uow = unit_of_work(clock=lambda: at(60))
    with uow(site, "petugas1") as unit:
        handlers.open_counter(unit, 1, OpenCounter(services=["SIM", "SKCK"]), "petugas1")
    called = []
    for _ in arrivals:
        with uow(site, "petugas1") as unit:
            called.append(handlers.call_next(unit, 1, "petugas1"))
            handlers.complete(unit, 1, "petugas1", CompleteTicket())
    assert called == [t.id for t in order_for_calling(issued, head_start_s=900)]


def test_positions_follow_the_calling_order(site, unit_of_work):
    uow = unit_of_work(clock=lambda: at(30))
    tickets = []
    for minute, priority in [(0, "regular"), (10, "regular"), (20, "elderly")]:
        with unit_of_work(clock=lambda m=minute: at(m))(site, "kiosk") as unit:
            tickets.append(handlers.issue_ticket(unit, IssueTicket(service="SKCK", priority=priority))[0])
    with uow(site) as unit:
        positions = [views.ticket_view(unit, t)["position"] for t in tickets]
    # The elderly ticket (minute 20, counted as minute 5) goes before the minute-10 regular one.
    assert positions == [1, 3, 2]


def test_recall_then_automatic_no_show(queue_rpc, site):
    ticket = queue_rpc.issue_ticket(site, {"service": "SKCK"})
    queue_rpc.open_counter(site, 2, {"services": ["SKCK"]}, "petugas2")
    queue_rpc.call_next(site, 2, "petugas2")
    recalls = [queue_rpc.recall(site, 2, "petugas2") for _ in range(4)]  # MAX_RECALLS is 3
    assert [r["status"] for r in recalls] == ["called", "called", "called", "no_show"]
    assert recalls[-1]["id"] == ticket["id"]
    assert queue_rpc.counter_detail(site, 2)["current"] is None


def test_transfer_keeps_the_number_and_the_original_place(site, unit_of_work):
    with unit_of_work(clock=lambda: at(0))(site, "kiosk") as unit:
        first, _ = handlers.issue_ticket(unit, IssueTicket(service="SKCK"))
    with unit_of_work(clock=lambda: at(5))(site, "kiosk") as unit:
        later_sim, _ = handlers.issue_ticket(unit, IssueTicket(service="SIM"))
    uow = unit_of_work(clock=lambda: at(10))
    with uow(site, "petugas3") as unit:
        handlers.open_counter(unit, 3, OpenCounter(services=["SKCK"]), "petugas3")
        handlers.call_next(unit, 3, "petugas3")
        moved = handlers.transfer(unit, 3, "petugas3", TransferTicket(service="SIM"))
    with uow(site) as unit:
        old, new = views.ticket_view(unit, first), views.ticket_view(unit, moved)
        later = views.ticket_view(unit, later_sim)
    assert old["status"] == "transferred" and old["transferred_to"] == new["id"]
    assert (new["number"], new["service"], new["status"]) == ("B-001", "SIM", "waiting")
    assert new["issued_at"] == old["issued_at"]
    assert (new["position"], later["position"]) == (1, 2)


def test_an_officer_acts_only_on_a_counter_they_opened(queue_rpc, site):
    queue_rpc.issue_ticket(site, {"service": "SIM"})
    with pytest.raises(Forbidden) as not_open:
        queue_rpc.call_next(site, 1, "petugas1")
    assert not_open.value.error_code == "counter_closed"
    queue_rpc.open_counter(site, 1, {"services": ["SIM"]}, "petugas1")
    with pytest.raises(Forbidden) as taken:
        queue_rpc.open_counter(site, 1, {"services": ["SIM"]}, "petugas2")
    assert taken.value.fields == {"counter": "open by another officer"}
    with pytest.raises(Forbidden):
        queue_rpc.call_next(site, 1, "petugas2")
    assert queue_rpc.call_next(site, 1, "petugas1")["status"] == "called"


def test_a_busy_counter_cannot_call_again_or_close(queue_rpc, site):
    queue_rpc.issue_ticket(site, {"service": "SIM"})
    queue_rpc.issue_ticket(site, {"service": "SIM"})
    queue_rpc.open_counter(site, 1, {"services": ["SIM"]}, "petugas1")
    queue_rpc.call_next(site, 1, "petugas1")
    for action in (queue_rpc.call_next, queue_rpc.close_counter):
        with pytest.raises(Conflict) as busy:
            action(site, 1, "petugas1")
        assert busy.value.error_code == "counter_busy"


def test_every_change_is_journaled_with_who_and_when(queue_rpc, site, db):
    ticket = queue_rpc.issue_ticket(site, {"service": "SKCK"})
    queue_rpc.open_counter(site, 3, {"services": ["SKCK"]}, "petugas3")
    queue_rpc.call_next(site, 3, "petugas3")
    queue_rpc.start(site, 3, "petugas3")
    queue_rpc.complete(site, 3, "petugas3", {"note": "berkas lengkap"})
    queue_rpc.close_counter(site, 3, "petugas3")
    with db.transaction() as cur:
        cur.execute("""SELECT j.actor, j.action, j.at FROM queue.journal j JOIN queue.sites s ON s.id = j.site_id
                       WHERE s.code = %s ORDER BY j.id""", (site,))
        rows = cur.fetchall()
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("kiosk", "issue"), ("petugas3", "open_counter"), ("petugas3", "call"), ("petugas3", "start"),
        ("petugas3", "complete"), ("petugas3", "close_counter")]
    assert all(r["at"] is not None for r in rows)
    assert queue_rpc.get_ticket(site, ticket["id"])["status"] == "done"


def test_citizen_cancel_frees_the_counter(queue_rpc, site):
    ticket = queue_rpc.issue_ticket(site, {"service": "SIM"})
    queue_rpc.open_counter(site, 1, {"services": ["SIM"]}, "petugas1")
    queue_rpc.call_next(site, 1, "petugas1")
    # The holder's access key is asked for (contract of issue 6).
    assert queue_rpc.cancel_ticket(site, ticket["id"], ticket["access_key"])["status"] == "cancelled"
    assert queue_rpc.counter_detail(site, 1)["current"] is None
    with pytest.raises(Conflict):
        queue_rpc.cancel_ticket(site, ticket["id"], ticket["access_key"])
