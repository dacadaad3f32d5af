"""Real-browser support for the e2e tests: Debian's chromium (deploy/local/browser.sh
installs it) driven by Playwright's Python package through ``executable_path`` — no
browser download — plus fixtures and small API helpers the browser tests share.

The system under test, ``hall``, is started exactly as tests/e2e/conftest.py's
``system`` is (tests.support.system: migrations, demo seed, then the deploy/supervisord.conf
processes under supervisord, as `make up` runs them), but on a database, Redis database,
RabbitMQ vhost and ports of its own: the browser tests open counters and call tickets,
and must not change what the other end-to-end tests see.
"""
import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
import requests

from tests.support.system import running_system

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PTSP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # a display board in the hall runs with this flag too: it must speak without a click
    "--autoplay-policy=no-user-gesture-required",
    "--disable-dev-shm-usage",
]
DEMO_PASSWORD = os.environ.get("PTSP_DEMO_PASSWORD", "ptsp-demo")

# Each page at the size it is used at in the hall.
KIOSK_PORTRAIT = (1080, 1920)
KIOSK_LANDSCAPE = (1920, 1080)
DISPLAY = (1920, 1080)
DESKTOP = (1600, 1000)   # counter console, supervisor page
PHONE = (412, 915)       # the citizen's status page


def chromium_missing_reason():
    if not Path(CHROMIUM).exists():
        return "chromium is not installed at %s (deploy/local/browser.sh installs it)" % CHROMIUM
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def require_browser():
    """Skip without a browser on a developer's machine; fail in CI, where `make test`
    installs one (deploy/local/browser.sh), so a missing browser is never a silent pass."""
    reason = chromium_missing_reason()
    if reason is None:
        return
    if os.environ.get("CI") or os.environ.get("PTSP_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


class Browser:
    """One headless chromium; launch() gives it a fresh temporary user-data dir.
    ``page()`` opens an isolated context (own storage), as a separate device would be."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        self.playwright = self._manager.start()
        self.browser = self.playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        self.contexts = []

    def context(self, size=(1280, 800), base_url=None, enforce_csp=False):
        """``enforce_csp``: keep the pages' Content-Security-Policy in force. Off by
        default only because Playwright's wait_for_function evaluates strings, which
        the pages' CSP forbids; the screenshot test runs every page with it on."""
        width, height = size
        context = self.browser.new_context(
            viewport={"width": width, "height": height}, base_url=base_url,
            locale="id-ID", timezone_id="Asia/Jakarta", device_scale_factor=1,
            bypass_csp=not enforce_csp)
        self.contexts.append(context)
        return context

    def page(self, size=(1280, 800), base_url=None, context=None, enforce_csp=False):
        context = context or self.context(size, base_url, enforce_csp=enforce_csp)
        page = context.new_page()
        page.set_default_timeout(10000)
        watch_errors(page)
        return page

    def close_contexts(self):
        while self.contexts:
            try:
                self.contexts.pop().close()
            except Exception:
                pass

    def close(self):
        self.close_contexts()
        try:
            self.browser.close()
        finally:
            self._stop_driver()

    def _stop_driver(self):
        # Under eventlet's monkey patching (tests/conftest.py) Playwright's stop()
        # waits forever for its driver to exit: asyncio's child watcher never fires.
        # There, end the driver process (it serves only this browser) ourselves.
        try:
            import eventlet.patcher
            patched = eventlet.patcher.is_monkey_patched("socket")
        except ImportError:
            patched = False
        if not patched:
            self._manager.__exit__(None, None, None)
            return
        transport = getattr(getattr(self._manager, "_connection", None), "_transport", None)
        proc = getattr(transport, "_proc", None)
        if proc is not None and proc.returncode is None:
            try:
                os.kill(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def watch_errors(page):
    """Collect uncaught page errors; tests assert there are none."""
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    return page


PRINTER_KIOSK = "lobby"
_halls = contextlib.ExitStack()
_shared = {}


@pytest.fixture(scope="session")
def hall(request):
    """The whole system, as a user starts it, for the browser tests alone (one for
    the run, however many modules import this fixture), with a database, Redis
    database and vhost of its own; one kiosk has an ESC/POS printer (dummy:// keeps
    the bytes in memory)."""
    if "hall" not in _shared:
        _shared["hall"] = _halls.enter_context(running_system(
            name="browser", redis_db=13, extra_env={"KIOSK_PRINTERS": "%s=dummy://?paper=58" % PRINTER_KIOSK}))
        request.config.add_cleanup(_halls.close)
    return _shared["hall"]


@pytest.fixture(scope="session")
def browser(request):
    """One chromium for the whole run. Each test module imports this fixture, so it
    is kept here once rather than started per module (Playwright's sync API allows
    one instance per thread)."""
    require_browser()
    if "browser" not in _shared:
        _shared["browser"] = Browser()
        request.config.add_cleanup(_close_shared)
    return _shared["browser"]


def _close_shared():
    b = _shared.pop("browser", None)
    if b is not None:
        b.close()


@pytest.fixture
def pages(browser):
    """Open pages with ``pages(size)``; their contexts close after the test."""
    yield browser.page
    browser.close_contexts()


# -- the API, for arranging and checking -------------------------------------------------

class Api:
    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        self.tokens = {}

    def token(self, username):
        if username not in self.tokens:
            res = requests.post(self.base + "/api/auth/login",
                                json={"username": username, "password": DEMO_PASSWORD}, timeout=10)
            res.raise_for_status()
            self.tokens[username] = res.json()["token"]
        return self.tokens[username]

    def call(self, method, path, user=None, **kw):
        headers = kw.pop("headers", {})
        if user:
            headers["Authorization"] = "Bearer " + self.token(user)
        return requests.request(method, self.base + path, headers=headers, timeout=15, **kw)

    def issue(self, service, priority="regular"):
        res = self.call("POST", "/api/tickets", json={"service": service, "priority": priority})
        assert res.status_code == 201, res.text
        return res.json()

    def ready_counter(self, counter, user, services):
        """Open ``counter`` for ``services`` as ``user`` with nobody at it, and empty
        those services' queues (finishing every waiting ticket), so the next ticket
        issued there is the next one called."""
        res = self.call("POST", "/api/counters/%d/open" % counter, user, json={"services": services})
        assert res.status_code == 200, res.text
        for _ in range(200):
            current = self.call("GET", "/api/counters/%d" % counter, user).json().get("current")
            if current:
                self.call("POST", "/api/counters/%d/complete" % counter, user, json={})
            res = self.call("POST", "/api/counters/%d/call-next" % counter, user)
            if res.status_code == 204:
                return
            assert res.status_code == 200, res.text
        raise AssertionError("queue did not drain")


    def release_counter(self, counter, user):
        """Finish whatever ``counter`` holds and close it, if ``user`` has it open."""
        detail = self.call("GET", "/api/counters/%d" % counter, user).json()
        if not detail.get("open") or detail.get("opened_by") != user:
            return
        if detail.get("current"):
            self.call("POST", "/api/counters/%d/complete" % counter, user, json={})
        res = self.call("POST", "/api/counters/%d/close" % counter, user)
        assert res.status_code == 200, res.text


def wait_until(predicate, timeout=10.0, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, message))
