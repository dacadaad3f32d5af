import pytest

from tests.support.system import running_system


@pytest.fixture(scope="session")
def system():
    """The system as `make up` starts it, for the HTTP end-to-end tests."""
    with running_system() as running:
        yield running
