"""The whole system started as a user starts it: the commands of deploy/Procfile
(what `make up` runs), after migrations and the demo seed, against their own
database, Redis database and RabbitMQ vhost so a running demo is left alone.
Used by the end-to-end tests and the benchmarks."""
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from shared.testing.database import drop_database, recreate_database

REPO = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("E2E_POSTGRES", "postgresql://ptsp:ptsp@127.0.0.1:5432")
RABBIT_API = os.environ.get("RABBIT_API", "http://127.0.0.1:15672/api")
DEMO_PASSWORD = "ptsp-demo"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


RABBIT_AUTH = ("guest", "guest")


def drop_vhost(name):
    requests.delete(f"{RABBIT_API}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10)


def fresh_vhost(name):
    auth = RABBIT_AUTH
    drop_vhost(name)
    requests.put(f"{RABBIT_API}/vhosts/{name}", auth=auth, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{name}/guest", auth=auth, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()


class System:
    """One running system. ``name`` keeps its database (``ptsp_<name>_<pid>``), its
    Redis database and its vhost apart from every other system and run."""

    def __init__(self, name="e2e", redis_db=14, extra_env=None):
        run = f"{name}_{os.getpid()}"
        self.database_url = f"{POSTGRES}/ptsp_{run}"
        self.redis_url = f"redis://127.0.0.1:6379/{redis_db}"
        self.vhost = f"ptsp-{run}".replace("_", "-")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # The run's own installation secret (never a shared one), so the demo kiosk's
        # key is known here: benchmarks and tests issue as that registered kiosk.
        self.secret = secrets.token_urlsafe(32)
        from services.queue.seed import demo_kiosk_key

        self.kiosk_key = demo_kiosk_key(self.secret)
        self.kiosk_url = f"{self.base_url}/kiosk#key={self.kiosk_key}"
        self.env = dict(
            os.environ,
            DATABASE_URL=self.database_url, REDIS_URL=self.redis_url, REDIS_NAMESPACE=f"ptsp-{run}",
            AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:5672/{self.vhost}",
            WEB_SERVER_ADDRESS=f"127.0.0.1:{self.port}", PTSP_PUBLIC_URL=self.base_url,
            PTSP_MODE="development", PTSP_DEMO_PASSWORD=DEMO_PASSWORD,
            PTSP_SECRET=self.secret, PTSP_SECRET_FILE="",
            # Tests and benchmarks issue many tickets from 127.0.0.1 without the kiosk
            # key too; the limit has tests of its own (tests/integration/test_security.py).
            TICKET_RATE_LIMIT="100000",
            QUEUE_METRICS_PORT=str(free_port()), GATEWAY_METRICS_PORT=str(free_port()),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
            **(extra_env or {}),
        )
        self.processes = {}
        self.logs = REPO / "var" / name
        self.logs.mkdir(parents=True, exist_ok=True)

    @property
    def metrics_urls(self):
        return {"queue": f"http://127.0.0.1:{self.env['QUEUE_METRICS_PORT']}/metrics",
                "gateway": f"http://127.0.0.1:{self.env['GATEWAY_METRICS_PORT']}/metrics"}

    def prepare(self):
        import redis

        recreate_database(self.database_url)
        subprocess.run([sys.executable, "-m", "services.queue.seed"], cwd=REPO, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        redis.Redis.from_url(self.redis_url).flushdb()
        fresh_vhost(self.vhost)

    def start(self, name):
        """Start one Procfile process the way `make up` does (through honcho)."""
        log = open(self.logs / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "honcho", "-f", "deploy/Procfile", "start", name],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, name):
        process = self.processes.pop(name, None)
        if process is None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def wait_until_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base_url}/api/services", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the system did not come up; see {self.logs}")

    def restart_gateway(self):
        self.stop("gateway")
        self.start("gateway")
        self.wait_until_ready()

    def shutdown(self):
        for name in list(self.processes):
            self.stop(name)
        drop_database(self.database_url)
        drop_vhost(self.vhost)


@contextlib.contextmanager
def running_system(**options):
    """Prepare a system, start every process, and take it all down afterwards."""
    running = System(**options)
    running.prepare()
    try:
        running.start("queue")
        running.start("gateway")
        running.wait_until_ready()
        yield running
    finally:
        running.shutdown()
