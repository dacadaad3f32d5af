"""Real-browser support for the e2e tests: Debian's chromium driven by Playwright's
Python package (``executable_path``; no browser download), and — until
tests/e2e/conftest.py provides the ``system`` fixture — a local stand-in that starts
migrations, the demo seed, the queue service and the gateway on test ports, as a user
would start them.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PTSP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # a display board in the hall runs with this flag too: it must speak without a click
    "--autoplay-policy=no-user-gesture-required",
    "--disable-dev-shm-usage",
]
PAGE_SIZES = {
    "kiosk_portrait": (1080, 1920),
    "kiosk_landscape": (1920, 1080),
    "display": (1920, 1080),
    "counter": (1600, 1000),
    "admin": (1600, 1000),
    "status": (412, 915),    # a phone
    "reports": (1600, 1000),
}


def chromium_missing_reason():
    if not Path(CHROMIUM).exists():
        return "chromium not installed at %s (deploy/local/browser.sh installs it)" % CHROMIUM
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


class Browser:
    """One headless chromium with a fresh profile; ``page(size)`` opens an isolated
    context (its own storage), as a separate device in the hall would be."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        self.playwright = self._manager.start()
        self._downloads = tempfile.mkdtemp(prefix="ptsp-browser-")
        # launch() gives chromium a new temporary user-data dir each time
        self.browser = self.playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            downloads_path=self._downloads)
        self.contexts = []

    def page(self, size=(1280, 800), base_url=None, locale="id-ID", timezone_id="Asia/Jakarta"):
        width, height = size
        context = self.browser.new_context(
            viewport={"width": width, "height": height}, base_url=base_url,
            locale=locale, timezone_id=timezone_id, device_scale_factor=1)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10000)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    def close(self):
        for context in self.contexts:
            try:
                context.close()
            except Exception:
                pass
        try:
            self.browser.close()
        finally:
            self._stop_driver()
            shutil.rmtree(self._downloads, ignore_errors=True)

    def _stop_driver(self):
        # With eventlet's monkey patching (tests/conftest.py), Playwright's stop()
        # waits forever for its driver's exit (asyncio's child watcher never fires).
        # End the driver process ourselves there; it only serves this browser.
        try:
            import eventlet.patcher
            patched = eventlet.patcher.is_monkey_patched("socket")
        except ImportError:
            patched = False
        if not patched:
            self._manager.__exit__(None, None, None)
            return
        proc = getattr(getattr(getattr(self._manager, "_connection", None), "_transport", None), "_proc", None)
        if proc is not None and proc.returncode is None:
            try:
                os.kill(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=60, ok=(200,)):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            res = requests.get(url, timeout=3)
            if res.status_code in ok:
                return res
            last = res.status_code
        except requests.RequestException as exc:
            last = exc.__class__.__name__
        time.sleep(0.3)
    raise RuntimeError("%s not ready after %ss (last: %s)" % (url, timeout, last))


class LocalSystem:
    """Migrations + demo seed + queue + gateway on their own database, Redis database,
    RabbitMQ vhost and HTTP port, each process started with ``nameko run`` as
    deploy/Procfile does. A stand-in for tests/e2e/conftest.py's ``system``."""

    def __init__(self, name="ptsp_e2e_pages", redis_db=13, port=None):
        self.port = port or free_port()
        self.base_url = "http://127.0.0.1:%d" % self.port
        self.name = name
        self.logs = ROOT / "var" / "e2e-logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ)
        self.env.update({
            "DATABASE_URL": "postgresql://ptsp:ptsp@127.0.0.1:5432/%s" % name,
            "REDIS_URL": "redis://127.0.0.1:6379/%d" % redis_db,
            "AMQP_URI": "pyamqp://guest:guest@127.0.0.1:5672/%s" % name,
            "WEB_SERVER_ADDRESS": "127.0.0.1:%d" % self.port,
            "PTSP_PUBLIC_URL": self.base_url,
            "METRICS_PORT": "0",
            "PTSP_MODE": "development",
            "PYTHONUNBUFFERED": "1",
        })
        self.procs = {}
        self.nameko = str(Path(sys.executable).with_name("nameko"))

    def _run(self, *args):
        subprocess.run(list(args), cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)

    def start(self):
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", self.name], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", self.name, "guest",
                        ".*", ".*", ".*"], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        self._run(sys.executable, "-c",
                  "import os; from shared.testing.database import recreate_database; "
                  "recreate_database(os.environ['DATABASE_URL'])")
        import redis
        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        self._run(sys.executable, "-m", "services.queue.seed")
        self._spawn("queue", "services.queue.service:QueueService")
        self._spawn("gateway", "services.gateway.service:GatewayService")
        wait_http(self.base_url + "/api/services", timeout=90)
        return self

    def _spawn(self, name, target):
        log = open(self.logs / ("%s-%s.log" % (self.name, name)), "ab")
        self.procs[name] = subprocess.Popen(
            [self.nameko, "run", "--config", "config.yml", target], cwd=ROOT,
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _stop(self, name):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def stop_gateway(self):
        self._stop("gateway")

    def start_gateway(self):
        self._spawn("gateway", "services.gateway.service:GatewayService")
        wait_http(self.base_url + "/api/services", timeout=60)

    def restart_gateway(self):
        self.stop_gateway()
        self.start_gateway()

    def stop(self):
        for name in list(self.procs):
            self._stop(name)


# -- API helpers for tests ---------------------------------------------------------

class Api:
    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        self.s = requests.Session()

    def login(self, username, password="ptsp-demo"):
        res = self.s.post(self.base + "/api/auth/login",
                          json={"username": username, "password": password}, timeout=10)
        res.raise_for_status()
        return res.json()["token"]

    def call(self, method, path, token=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        return self.s.request(method, self.base + path, headers=headers, timeout=10, **kw)
