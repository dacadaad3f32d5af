"""The fault tier: the whole system as `make up` starts it (supervisord, the
programs of deploy/supervisord.conf) on private PostgreSQL, Redis and RabbitMQ
servers of its own, which the tests stop, restart and break. The machine's shared
servers are never touched."""
import pytest

from tests.support.system import System
from tests.faults.servers import PrivateServers
from tests.faults.traffic import EventLog


@pytest.fixture(scope="session")
def servers():
    private = PrivateServers()
    try:
        private.start()
        yield private
    finally:
        private.close()


@pytest.fixture(scope="session")
def hall(servers):
    system = System(name="faults", postgres=servers.postgres, redis_url=servers.redis_url,
                    amqp_uri=servers.amqp_uri)
    system.prepare()
    try:
        system.start_all()
        system.wait_until_ready()
        yield system
    finally:
        system.shutdown()


@pytest.fixture(scope="session")
def event_log(hall, servers):
    return EventLog(servers.amqp_uri)
