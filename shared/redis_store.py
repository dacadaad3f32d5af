"""Redis for nameko services: one client (with its own connection pool) per
service process."""
import redis
from nameko.extensions import DependencyProvider


def make_client(url):
    return redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2,
        health_check_interval=30, retry_on_timeout=True,
    )


class Redis(DependencyProvider):
    def setup(self):
        self.client = make_client(self.container.config["REDIS_URL"])

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.client
