"""Redis for nameko services: one client (with its own connection pool) per
service process."""
import redis
from nameko.extensions import DependencyProvider


def make_client(url, name=None):
    """``name`` is the connection name (CLIENT SETNAME): ``CLIENT LIST`` then shows
    whose connections they are."""
    return redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2,
        health_check_interval=30, retry_on_timeout=True, client_name=name,
    )


def client_name(config, service_name):
    """The connection name of a service's Redis clients: ``<namespace>.<service>``."""
    return f"{config.get('REDIS_NAMESPACE') or 'ptsp'}.{service_name}"


def display_key(namespace, site_code):
    """Where a site's display state lives (written by queue, read by the gateway).
    ``namespace`` (REDIS_NAMESPACE) keeps installations sharing a Redis apart."""
    return f"{namespace}:display:{site_code}"


def display_channel(client, namespace, site_code):
    """The pub/sub channel of a site's display changes. Redis channels are shared by
    all databases of a server, so the database number is part of the name too."""
    return f"{namespace}:db{client.connection_pool.connection_kwargs.get('db', 0)}:display:{site_code}"


class Redis(DependencyProvider):
    def setup(self):
        self.client = make_client(self.container.config["REDIS_URL"],
                                  client_name(self.container.config, self.container.service_name))

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.client
