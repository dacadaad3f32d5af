"""The whole system started as a user starts it: the programs of
deploy/supervisord.conf under supervisord (what `make up` runs), after migrations
and the demo seed, against their own database, Redis database and RabbitMQ vhost so
a running demo is left alone. Used by the end-to-end tests, the fault tests (on
private servers) and the benchmarks."""
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.database import drop_database, recreate_database

REPO = Path(__file__).resolve().parents[2]
SUPERVISORD_CONF = REPO / "deploy" / "supervisord.conf"
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
    Redis database and its vhost apart from every other system and run.

    ``postgres``, ``redis_url`` and ``amqp_uri`` point it at other servers (the fault
    tests' private ones); with ``amqp_uri`` given no vhost is made."""

    def __init__(self, name="e2e", redis_db=14, extra_env=None, postgres=None, redis_url=None, amqp_uri=None):
        run = f"{name}_{os.getpid()}"
        self.database_url = f"{postgres or POSTGRES}/ptsp_{run}"
        self.redis_url = redis_url or f"redis://127.0.0.1:6379/{redis_db}"
        self.vhost = None if amqp_uri else f"ptsp-{run}".replace("_", "-")
        amqp_uri = amqp_uri or f"pyamqp://guest:guest@127.0.0.1:5672/{self.vhost}"
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
            AMQP_URI=amqp_uri,
            WEB_SERVER_ADDRESS=f"127.0.0.1:{self.port}", PTSP_PUBLIC_URL=self.base_url,
            PTSP_MODE="development", PTSP_DEMO_PASSWORD=DEMO_PASSWORD,
            PTSP_SECRET=self.secret, PTSP_SECRET_FILE="",
            # Tests and benchmarks issue many tickets from 127.0.0.1 without the kiosk
            # key too; the limit has tests of its own (tests/integration/test_security.py).
            TICKET_RATE_LIMIT="100000",
            TRACKING_LOOKUP_LIMIT="100000",
            QUEUE_METRICS_PORT=str(free_port()), GATEWAY_METRICS_PORT=str(free_port()),
            NOTIFY_METRICS_PORT=str(free_port()),
            DOCUMENTS_METRICS_PORT=str(free_port()),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
            **(extra_env or {}),
        )
        self.supervisor = None
        self.logs = REPO / "var" / name
        self.logs.mkdir(parents=True, exist_ok=True)
        # supervisord's socket, pid file and log; a short path (a unix socket's is limited).
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"ptsp-{name}-"))
        self.env.update(PTSP_ROOT=str(REPO), PTSP_RUN_DIR=str(self.run_dir))
        # The development SMTP sink ([program:smtp-sink]) on a port of this run's own,
        # keeping the run's e-mail in its own directory, where notify sends it.
        self.mail_dir = self.run_dir / "mail"
        sink_port = str(free_port())
        self.env.update(PTSP_MAIL_SINK="true", NOTIFY_SINK_HOST="127.0.0.1", NOTIFY_SINK_PORT=sink_port,
                        NOTIFY_SINK_DIR=str(self.mail_dir), NOTIFY_SMTP_HOST="127.0.0.1",
                        NOTIFY_SMTP_PORT=sink_port, NOTIFY_CHANNELS="email")
        self.env.update(extra_env or {})

    @property
    def metrics_urls(self):
        return {"queue": f"http://127.0.0.1:{self.env['QUEUE_METRICS_PORT']}/metrics",
                "gateway": f"http://127.0.0.1:{self.env['GATEWAY_METRICS_PORT']}/metrics",
                "notify": f"http://127.0.0.1:{self.env['NOTIFY_METRICS_PORT']}/metrics",
                "documents": f"http://127.0.0.1:{self.env['DOCUMENTS_METRICS_PORT']}/metrics"}

    def mail(self):
        """The messages the sink has kept so far (``email.message.EmailMessage``s)."""
        import email
        import email.policy

        if not self.mail_dir.is_dir():
            return []
        return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(self.mail_dir.glob("*.eml"))]

    def prepare(self):
        import redis

        recreate_database(self.database_url)
        subprocess.run([sys.executable, "-m", "services.queue.seed"], cwd=REPO, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "services.documents.seed"], cwd=REPO, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        redis.Redis.from_url(self.redis_url).flushdb()
        if self.vhost:
            fresh_vhost(self.vhost)

    def start_all(self):
        """Start supervisord with every program of deploy/supervisord.conf, as `make up`
        does; the output of all of them goes to ``<logs>/system.log``."""
        log = open(self.logs / "system.log", "ab")
        self.supervisor = subprocess.Popen(
            [str(Path(sys.executable).parent / "supervisord"), "--configuration", str(SUPERVISORD_CONF)],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_for(lambda: all(state == "RUNNING" for state in self.states().values()), 60,
                      "supervisord did not start every program")

    def ctl(self, *args, check=True):
        """Run supervisorctl against this system's supervisord."""
        result = subprocess.run(
            [str(Path(sys.executable).parent / "supervisorctl"), "--configuration", str(SUPERVISORD_CONF), *args],
            cwd=REPO, env=self.env, capture_output=True, text=True, timeout=60)
        if check and result.returncode not in (0, 3):  # 3: a program is not RUNNING (status)
            raise RuntimeError(f"supervisorctl {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def states(self):
        """``{program: state}`` as supervisord reports it (RUNNING, STARTING, BACKOFF…)."""
        try:
            out = self.ctl("status", check=False)
        except subprocess.TimeoutExpired:
            return {}
        return {line.split()[0]: line.split()[1] for line in out.splitlines() if len(line.split()) >= 2}

    def pid(self, name):
        """The process id of a running program (0 when it is not running)."""
        out = self.ctl("pid", name, check=False).strip()
        return int(out) if out.isdigit() else 0

    def start(self, name):
        """Start one program again after ``stop``."""
        self.ctl("start", name)

    def stop(self, name):
        """Stop one program (supervisord leaves it stopped until ``start``)."""
        if self.supervisor is not None:
            self.ctl("stop", name)

    @staticmethod
    def wait_for(condition, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise RuntimeError(what)

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
        if self.supervisor is not None:
            # What Ctrl-C does under `make up`: supervisord stops every program.
            self.supervisor.send_signal(signal.SIGINT)
            try:
                self.supervisor.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.supervisor.pid, signal.SIGKILL)
                self.supervisor.wait()
            self.supervisor = None
        shutil.rmtree(self.run_dir, ignore_errors=True)
        drop_database(self.database_url)
        if self.vhost:
            drop_vhost(self.vhost)


@contextlib.contextmanager
def running_system(**options):
    """Prepare a system, start every process, and take it all down afterwards."""
    running = System(**options)
    running.prepare()
    try:
        running.start_all()
        running.wait_until_ready()
        yield running
    finally:
        running.shutdown()
