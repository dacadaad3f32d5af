# eventlet must patch the standard library before anything imports sockets.
import eventlet

eventlet.monkey_patch()

import shared  # noqa: E402,F401 - sets psycopg's green wait function before psycopg loads

import os  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402

import psycopg  # noqa: E402
import pytest  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402

# Tests use their own database (one per run, so two runs on a machine don't meet)
# and their own Redis database, never a running demo's.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL",
                                   f"postgresql://ptsp:ptsp@127.0.0.1:5432/ptsp_test_{os.getpid()}")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_REDIS_NAMESPACE = f"ptsp-test-{os.getpid()}"
# The installation secret of this test run (never a fixed, public one).
TEST_SECRET = secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def database_url():
    from tests.support.database import drop_database, recreate_database

    recreate_database(TEST_DATABASE_URL)
    yield TEST_DATABASE_URL
    drop_database(TEST_DATABASE_URL)


@pytest.fixture(scope="session")
def db_pool(database_url):
    from shared.infrastructure.postgres import make_pool

    pool = make_pool(database_url, max_size=20, name="tests")
    pool.open(wait=True)
    yield pool
    pool.close()  # before the database is dropped


@pytest.fixture
def db(db_pool):
    from shared.infrastructure.postgres import Postgres

    return Postgres(db_pool)


@pytest.fixture
def redis_namespace():
    return TEST_REDIS_NAMESPACE


@pytest.fixture
def redis_client(redis_namespace):
    """The test Redis database, cleared of this run's keys (another run's are left)."""
    from shared.infrastructure.redis_store import make_client

    client = make_client(TEST_REDIS_URL)
    for key in client.scan_iter(f"{redis_namespace}:*"):
        client.delete(key)
    yield client
    client.close()


@pytest.fixture
def make_site(database_url):
    from tests.support.sites import make_site as make

    def factory(**options):
        with psycopg.connect(database_url, row_factory=dict_row) as conn:
            return make(conn, **options)

    return factory


@pytest.fixture
def site(make_site):
    return make_site()


@pytest.fixture
def settings(database_url):
    from shared.infrastructure.config import Settings

    return Settings(AMQP_URI="pyamqp://guest:guest@127.0.0.1:5672/", DATABASE_URL=database_url,
                    REDIS_URL=TEST_REDIS_URL, REDIS_NAMESPACE=TEST_REDIS_NAMESPACE, PTSP_SECRET=TEST_SECRET)


@pytest.fixture
def unit_of_work(db, redis_client, settings):
    """The queue's units of work on the real servers, with a settable clock:
    ``with unit_of_work(clock=…)(site, actor) as uow: …``."""
    from services.queue.dependencies import Projection, QueueMetrics
    from services.queue.display import DisplayStore
    from services.queue.handlers import QueueRules
    from services.queue.repository import QueueRepositories, journal_change
    from shared.infrastructure.unit_of_work import UnitOfWorkFactory, utcnow

    def factory(clock=None, **kwargs):
        configured = settings.model_copy(update=kwargs)
        metrics = QueueMetrics(CollectorRegistry())
        projection = Projection(DisplayStore(redis_client, configured.REDIS_NAMESPACE))
        return UnitOfWorkFactory(
            db, "queue", QueueRepositories, journal_change, [projection.after_commit, metrics.after_commit],
            QueueRules(configured.PRIORITY_HEAD_START_S, configured.MAX_RECALLS), clock=clock or utcnow)

    return factory


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def container_factory(rabbit_config, container_factory):
    """nameko's factory, set up after (so torn down before) the test's vhost."""
    return container_factory


@pytest.fixture
def runner_factory(rabbit_config, runner_factory):
    return runner_factory


@pytest.fixture
def service_config(rabbit_config, database_url, site, tmp_path):
    """nameko config for services under test: a RabbitMQ vhost of the test's own
    (nameko's rabbit_config), the test database, and the test's site."""
    config = dict(rabbit_config)
    config.update({
        "DATABASE_URL": database_url, "REDIS_URL": TEST_REDIS_URL, "REDIS_NAMESPACE": TEST_REDIS_NAMESPACE,
        "PTSP_SITE": site,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}", "METRICS_PORT": 0,
        "PTSP_PUBLIC_URL": "http://ptsp.test", "PRIORITY_HEAD_START_S": 900, "MAX_RECALLS": 3,
        "PTSP_SECRET": TEST_SECRET, "max_workers": 20,
        "UPLOAD_DIR": str(tmp_path / "uploads"),  # the documents service's uploads
        # Tests issue many tickets from 127.0.0.1; the limit itself has tests of its own.
        "TICKET_RATE_LIMIT": 1000,
        "TRACKING_LOOKUP_LIMIT": 100000,  # likewise: tests poll applications by tracking code
    })
    return config


@pytest.fixture
def gateway(runner_factory, service_config, redis_client):
    """The queue, documents and gateway services running on the real servers; yields
    the gateway's base URL."""
    from services.documents.service import DocumentsService
    from services.gateway.service import GatewayService
    from services.queue.service import QueueService

    runner = runner_factory(service_config, QueueService, DocumentsService, GatewayService)
    runner.start()
    return f"http://{service_config['WEB_SERVER_ADDRESS']}"
