"""The gateway's resources beyond the shared ones: health checks of the servers
it depends on, and its HTTP metrics."""
import eventlet
import psycopg
from kombu import Connection
from nameko.extensions import DependencyProvider
from prometheus_client import Counter

from shared.infrastructure.redis_store import client_name, make_client


class HealthChecks(DependencyProvider):
    """Checks PostgreSQL, Redis and RabbitMQ directly (each within two seconds),
    so /healthz tells which one is down."""

    def setup(self):
        config = self.container.config
        self.database_url = config["DATABASE_URL"]
        self.amqp_uri = config["AMQP_URI"]
        self.redis = make_client(config["REDIS_URL"], client_name(config, self.container.service_name) + ".health")

    def stop(self):
        self.redis.close()

    def get_dependency(self, worker_ctx):
        return self

    def run(self):
        checks = {}
        for name, check in (("postgres", self._postgres), ("redis", self._redis), ("rabbitmq", self._rabbitmq)):
            try:
                with eventlet.Timeout(2):
                    check()
                checks[name] = "ok"
            except BaseException as exc:  # noqa: BLE001 - eventlet.Timeout is a BaseException
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                checks[name] = "down"
        return checks

    def _postgres(self):
        with psycopg.connect(self.database_url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")

    def _redis(self):
        self.redis.ping()

    def _rabbitmq(self):
        with Connection(self.amqp_uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)


class GatewayMetrics:
    def __init__(self, registry):
        self.responses = Counter("ptsp_http_responses_total", "HTTP answers by route and status",
                                 ["route", "status"], registry=registry)
