"""Invariant 4 from the outside: with Redis gone, tickets are still issued and
called (PostgreSQL is the record), the boards are served from the record, and
/healthz says which server is down. Invariant 8 from the inside: a late worker does
not commit, and a reply that cannot be sent does not kill the service. (Servers
stopped and restarted under traffic: tests/faults/.)"""
import time

import pytest
import requests

from tests.integration.test_gateway_http import login, post


def start_with_redis_down(runner_factory, service_config):
    from services.gateway.service import GatewayService
    from services.queue.service import QueueService

    service_config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    runner_factory(service_config, QueueService, GatewayService).start()
    return f"http://{service_config['WEB_SERVER_ADDRESS']}"


def test_the_hall_keeps_working_without_redis(runner_factory, service_config):
    base = start_with_redis_down(runner_factory, service_config)
    ticket = post(base, "/api/tickets", {"service": "SIM"})
    assert ticket.status_code == 201 and ticket.json()["number"] == "A-001"
    officer = login(base)
    post(base, "/api/counters/1/open", {"services": ["SIM"]}, officer)
    assert post(base, "/api/counters/1/call-next", headers=officer).json()["id"] == ticket.json()["id"]
    board = requests.get(f"{base}/api/display")
    assert board.status_code == 200
    assert board.json()["counters"][0]["number"] == "A-001"


def test_health_names_the_server_that_is_down(runner_factory, service_config):
    base = start_with_redis_down(runner_factory, service_config)
    health = requests.get(f"{base}/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "degraded",
                             "checks": {"postgres": "ok", "redis": "down", "rabbitmq": "ok"}}


def test_a_worker_past_its_callers_deadline_does_not_commit(db_pool, site):
    """Broke: a worker that picked a command up after its caller's deadline (the
    caller has answered 503). Checked: its writing transaction is rolled back with
    Unavailable, nothing is stored; a read-only transaction still answers."""
    from shared.contracts.errors import Unavailable
    from shared.infrastructure.postgres import Postgres

    late = Postgres(db_pool, deadline=time.time() - 1)
    with pytest.raises(Unavailable):
        with late.transaction() as cur:
            cur.execute("UPDATE queue.sites SET running_text = 'late' WHERE code = %s", (site,))
    with late.transaction() as cur:
        cur.execute("SELECT running_text FROM queue.sites WHERE code = %s", (site,))
        assert cur.fetchone()["running_text"] != "late"


def test_a_reply_that_cannot_be_sent_does_not_kill_the_service(container_factory, service_config, site,
                                                               monkeypatch):
    """Broke: publishing an RPC reply fails (as when the broker goes away between
    the request and the reply). Checked: the failure is logged and the reply dropped;
    the service's container stays up and answers the next call."""
    from kombu.exceptions import OperationalError
    from nameko.exceptions import RpcTimeout
    from nameko.standalone.rpc import ClusterRpcProxy

    import shared.infrastructure.rpc
    from services.queue.service import QueueService

    send_response = shared.infrastructure.rpc.Responder.send_response
    failures = []

    def failing_once(self, result, exc_info):
        if not failures:
            failures.append(1)
            raise OperationalError("[Errno 111] Connection refused")
        return send_response(self, result, exc_info)

    monkeypatch.setattr(shared.infrastructure.rpc.Responder, "send_response", failing_once)
    container = container_factory(QueueService, service_config)
    container.start()
    with ClusterRpcProxy(service_config, timeout=3) as rpc:
        with pytest.raises(RpcTimeout):
            rpc.queue.list_services(site)
        assert rpc.queue.list_services(site)
    assert failures and not container._died.ready()
