"""Invariant 1: a ticket number is issued once per service per site per local day,
starting at 001, whatever the concurrency, the replicas or the restarts."""
from collections import defaultdict
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from nameko.standalone.rpc import ClusterRpcProxy

from services.queue import handlers, views
from services.queue.commands import IssueTicket
from services.queue.service import QueueService

SERVICES = ("SIM", "SKCK", "LOST_ITEM")


def test_200_concurrent_issues_on_two_replicas_are_unique_and_gap_free(container_factory, service_config, site):
    replicas = [container_factory(QueueService, service_config) for _ in range(2)]
    for replica in replicas:
        replica.start()

    with ClusterRpcProxy(service_config) as rpc:
        pending = [rpc.queue.issue_ticket.call_async(site, {"service": SERVICES[i % 3]}) for i in range(200)]
        tickets = [reply.result() for reply in pending]

    numbers = defaultdict(list)
    for ticket in tickets:
        numbers[ticket["service"]].append(ticket["number"])
    prefixes = {"SIM": "A", "SKCK": "B", "LOST_ITEM": "C"}
    for service, issued in numbers.items():
        expected = [f"{prefixes[service]}-{n:03d}" for n in range(1, len(issued) + 1)]
        assert sorted(issued) == expected, service
    assert sum(len(v) for v in numbers.values()) == 200
    assert len({t["id"] for t in tickets}) == 200


def test_numbering_continues_across_a_restart(container_factory, service_config, site):
    first = container_factory(QueueService, service_config)
    first.start()
    with ClusterRpcProxy(service_config) as rpc:
        before = [rpc.queue.issue_ticket(site, {"service": "SKCK"})["number"] for _ in range(3)]
    first.kill()

    second = container_factory(QueueService, service_config)
    second.start()
    with ClusterRpcProxy(service_config) as rpc:
        after = rpc.queue.issue_ticket(site, {"service": "SKCK"})["number"]
    assert before == ["B-001", "B-002", "B-003"] and after == "B-004"


def issue_at(unit_of_work, site, moment, service="SKCK"):
    uow = unit_of_work(clock=lambda: moment)
    with uow(site, actor="kiosk") as unit:
        ticket_id, _ = handlers.issue_ticket(unit, IssueTicket(service=service))
        return views.ticket_view(unit, ticket_id)["number"]


def test_day_rollover_in_jayapura_restarts_at_001(make_site, unit_of_work):
    site = make_site(timezone="Asia/Jayapura")
    wit = ZoneInfo("Asia/Jayapura")
    evening = datetime(2026, 11, 24, 23, 58, tzinfo=wit)
    just_after_midnight = datetime(2026, 11, 25, 0, 1, tzinfo=wit)

    assert [issue_at(unit_of_work, site, evening) for _ in range(2)] == ["B-001", "B-002"]
    # 00:01 WIT is still 22:01 the day before in Jakarta: the site's own zone decides.
    assert just_after_midnight.astimezone(ZoneInfo("Asia/Jakarta")).day == 24
    assert issue_at(unit_of_work, site, just_after_midnight.astimezone(timezone.utc)) == "B-001"
    assert issue_at(unit_of_work, site, just_after_midnight) == "B-002"


def test_each_service_and_each_site_count_on_their_own(make_site, unit_of_work):
    moment = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
    site_a, site_b = make_site(), make_site()
    assert issue_at(unit_of_work, site_a, moment, "SIM") == "A-001"
    assert issue_at(unit_of_work, site_a, moment, "SKCK") == "B-001"
    assert issue_at(unit_of_work, site_b, moment, "SIM") == "A-001"
    assert issue_at(unit_of_work, site_a, moment, "SIM") == "A-002"


def test_tickets_left_waiting_at_the_end_of_the_day_are_closed(make_site, unit_of_work):
    site = make_site(timezone="Asia/Makassar")
    wita = ZoneInfo("Asia/Makassar")
    yesterday = datetime(2026, 11, 24, 16, 30, tzinfo=wita)
    today = datetime(2026, 11, 25, 7, 30, tzinfo=wita)
    with unit_of_work(clock=lambda: yesterday)(site, "kiosk") as unit:
        old_ticket, _ = handlers.issue_ticket(unit, IssueTicket(service="SIM"))
    with unit_of_work(clock=lambda: today)(site, "kiosk") as unit:
        new_ticket, _ = handlers.issue_ticket(unit, IssueTicket(service="SIM"))

    with unit_of_work(clock=lambda: today)(site, "system") as unit:
        handlers.close_previous_days(unit)
        assert [e.event_type for e in unit.events] == ["ticket_cancelled"]
        assert views.ticket_view(unit, old_ticket)["status"] == "cancelled"
        assert views.ticket_view(unit, new_ticket)["position"] == 1
        handlers.close_previous_days(unit)  # nothing left to close
        assert len(unit.events) == 1
