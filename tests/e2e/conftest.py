import pytest

from shared.testing.system import System


@pytest.fixture(scope="session")
def system():
    running = System()
    running.prepare()
    running.start("queue")
    running.start("gateway")
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.shutdown()
