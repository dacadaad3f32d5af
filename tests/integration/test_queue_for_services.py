"""What the queue offers other services over RPC, on the real servers: a ticket
issued on a citizen's behalf for the next step of a journey (documents), and a
ticket holder's contact at send time (notify). Both are journaled with the asking
service as the actor."""
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.queue.service import QueueService


@pytest.fixture
def queue_rpc(container_factory, service_config):
    container_factory(QueueService, service_config).start()
    with ClusterRpcProxy(service_config) as rpc:
        yield rpc.queue


def journal(database_url, site):
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            """SELECT j.actor, j.action, j.data FROM queue.journal j JOIN queue.sites s ON s.id = j.site_id
               WHERE s.code = %s ORDER BY j.id""", (site,)).fetchall()


def test_a_step_ticket_keeps_the_citizens_place_and_a_retry_gets_the_same(queue_rpc, site, database_url):
    """Broke: advancing to the next step put the citizen at the back of the queue, or
    a retried request made a second ticket. Checks: the step ticket is queued at the
    citizen's first time (called before a kiosk ticket taken earlier today), the same
    request_id gives the same ticket, and the journal names the documents service."""
    kiosk = queue_rpc.issue_ticket(site, {"service": "SKCK"})
    first_time = datetime.now(timezone.utc) - timedelta(minutes=30)
    request = {"service": "SKCK", "priority": "elderly", "queued_at": first_time.isoformat(),
               "request_id": "application-1:document_check"}
    step = queue_rpc.issue_for_step(site, request, "documents")
    again = queue_rpc.issue_for_step(site, request, "documents")
    assert again["id"] == step["id"] and step["priority"] == "elderly" and step["status"] == "waiting"
    assert step["position"] == 1 and queue_rpc.get_ticket(site, kiosk["id"])["position"] == 2
    queue_rpc.open_counter(site, 1, {"services": ["SKCK"]}, "petugas1")
    assert queue_rpc.call_next(site, 1, "petugas1")["id"] == step["id"]
    issued = [(actor, data) for actor, action, data in journal(database_url, site) if action == "issue"]
    assert [actor for actor, _ in issued] == ["kiosk", "documents"]
    assert issued[1][1]["issued_by"] == "documents"


def test_notify_reads_a_holders_contact_and_the_read_is_journaled(queue_rpc, site, database_url):
    """Broke: no way for notify to reach a citizen without events carrying personal
    data, or reads nobody can audit. Checks: the contact comes back with the
    language and the holder's access key; a ticket without contact gives none (nor a
    key); each read is journaled by actor, without the contact in the journal."""
    with_contact = queue_rpc.issue_ticket(site, {"service": "SIM", "language": "en",
                                                 "contact": {"email": "warga@example.id", "phone": "0812 3456 7890"}})
    without = queue_rpc.issue_ticket(site, {"service": "SIM"})
    contact = queue_rpc.ticket_contact(site, with_contact["id"], "notify")
    assert contact.pop("access_key") == with_contact["access_key"]    # the holder's link in the message
    assert contact == {"email": "warga@example.id", "phone": "+6281234567890", "language": "en"}
    assert queue_rpc.ticket_contact(site, without["id"], "notify") == {"email": None, "phone": None, "language": "id"}
    reads = [(actor, data) for actor, action, data in journal(database_url, site) if action == "read_contact"]
    assert [actor for actor, _ in reads] == ["notify", "notify"]
    assert "warga" not in str(journal(database_url, site))
    assert with_contact["access_key"] not in str(journal(database_url, site))
