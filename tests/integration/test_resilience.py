"""Invariant 4 from the outside: with Redis gone, tickets are still issued and
called (PostgreSQL is the record), the boards are served from the record, and
/healthz says which server is down."""
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
