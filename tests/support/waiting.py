"""Waiting for conditions (never for fixed sleeps) and finding free ports: what
every test tier needs. ``time.sleep`` yields to other greenthreads once eventlet
has patched the standard library (tests/conftest.py does it first)."""
import json
import socket
import time


def wait_for(condition, timeout=15.0, what="condition", step=0.05):
    """Poll ``condition`` until it returns something truthy, and return that;
    AssertionError (with the last value) when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {json.dumps(last, default=str)}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port, timeout=0.5):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False
