"""The whole system started as a user starts it: the commands of deploy/Procfile
(what `make up` runs), after migrations and the demo seed, against their own
database, Redis database and RabbitMQ vhost so a running demo is left alone.
Used by the end-to-end tests and the benchmarks."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from shared.testing.database import drop_database, recreate_database

REPO = Path(__file__).resolve().parents[2]
# One database and vhost per run, so two runs on one machine don't meet.
E2E_DATABASE_URL = os.environ.get("E2E_DATABASE_URL", f"postgresql://ptsp:ptsp@127.0.0.1:5432/ptsp_e2e_{os.getpid()}")
E2E_REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/14")
RABBIT_API = os.environ.get("RABBIT_API", "http://127.0.0.1:15672/api")
E2E_VHOST = f"ptsp-e2e-{os.getpid()}"
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
    def __init__(self):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            DATABASE_URL=E2E_DATABASE_URL, REDIS_URL=E2E_REDIS_URL,
            AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:5672/{E2E_VHOST}",
            WEB_SERVER_ADDRESS=f"127.0.0.1:{self.port}", PTSP_PUBLIC_URL=self.base_url,
            PTSP_MODE="development", PTSP_DEMO_PASSWORD=DEMO_PASSWORD,
            QUEUE_METRICS_PORT=str(free_port()), GATEWAY_METRICS_PORT=str(free_port()),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
        )
        self.processes = {}
        self.logs = REPO / "var" / "e2e"
        self.logs.mkdir(parents=True, exist_ok=True)

    @property
    def metrics_urls(self):
        return {"queue": f"http://127.0.0.1:{self.env['QUEUE_METRICS_PORT']}/metrics",
                "gateway": f"http://127.0.0.1:{self.env['GATEWAY_METRICS_PORT']}/metrics"}

    def prepare(self):
        recreate_database(E2E_DATABASE_URL)
        subprocess.run([sys.executable, "-m", "services.queue.seed"], cwd=REPO, env=self.env, check=True)
        import redis

        redis.Redis.from_url(E2E_REDIS_URL).flushdb()
        fresh_vhost(E2E_VHOST)

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
        drop_database(E2E_DATABASE_URL)
        drop_vhost(E2E_VHOST)
