"""Every page at the size it is used at, with its Content-Security-Policy in force: no
script error, no CSP violation, nothing wider than the screen. With
PTSP_SCREENSHOTS=1 the pictures are written to docs/screenshots/ (the README shows
them); otherwise to a temporary directory.

    PTSP_SCREENSHOTS=1 make test ARGS="tests/e2e/test_browser_screenshots.py"
"""
import os
from pathlib import Path

import pytest

from tests.e2e.browser_support import (  # noqa: F401 - fixtures
    DISPLAY, KIOSK_LANDSCAPE, KIOSK_PORTRAIT, PHONE, ROOT, Api, browser, hall, pages, wait_until)

pytestmark = pytest.mark.browser

OFFICE = (1440, 900)    # counter console and supervisor page on an office monitor


@pytest.fixture
def shots(tmp_path):
    target = ROOT / "docs" / "screenshots" if os.environ.get("PTSP_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    return target


def busy_hall(api):
    """Some citizens waiting and four counters at work, as in a morning at the station."""
    plan = [(1, "petugas1", ["SIM"]), (3, "petugas3", ["SKCK"]), (4, "petugas4", ["SKCK", "LOST_ITEM"]),
            (5, "petugas5", ["LOST_ITEM", "CROWD_PERMIT"])]
    for counter, officer, services in plan:
        api.ready_counter(counter, officer, services)
    for service, priority in [("SIM", "regular"), ("SKCK", "elderly"), ("SKCK", "regular"), ("LOST_ITEM", "regular"),
                              ("CROWD_PERMIT", "regular"), ("SIM", "regular"), ("SIM", "pregnant"),
                              ("SKCK", "regular"), ("SKCK", "regular"), ("LOST_ITEM", "disabled"),
                              ("SIM", "regular"), ("SKCK", "regular"), ("COMPLAINT", "regular"), ("SIM", "regular")]:
        api.issue(service, priority)
    for counter, officer, _ in plan:
        res = api.call("POST", "/api/counters/%d/call-next" % counter, officer)
        assert res.status_code == 200, res.text
    api.call("POST", "/api/counters/3/start", "petugas3")


def open_page(browser, size, url, watch):
    page = browser.page(size, enforce_csp=True)
    page.csp_violations = []
    page.on("console", lambda m: page.csp_violations.append(m.text)
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text else None)
    page.goto(url)
    watch.append(page)
    return page


def snap(page, path, full_page=False):
    page.wait_for_timeout(400)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "%s is %spx wider than the screen" % (path.name, overflow)
    page.screenshot(path=str(path), animations="disabled", full_page=full_page)


def until(page, expression, timeout=10):
    """wait_for_function evaluates strings, which these pages' CSP forbids: poll instead."""
    wait_until(lambda: page.evaluate(expression), timeout=timeout, message=expression)


def sign_in(page, username):
    page.fill("#username", username)
    page.fill("#password", "ptsp-demo")
    page.click("#login-submit")


def test_every_page_at_its_size(hall, browser, shots):
    api = Api(hall.base_url)
    base = hall.base_url
    busy_hall(api)
    opened = []
    try:
        # kiosk, portrait and landscape: start, details, ticket
        for name, size in (("portrait", KIOSK_PORTRAIT), ("landscape", KIOSK_LANDSCAPE)):
            kiosk = open_page(browser, size, base + "/kiosk?print=none", opened)
            kiosk.wait_for_selector(".tile .badge")
            snap(kiosk, shots / ("kiosk-%s-start.png" % name))
            kiosk.click(".tile[data-service='SKCK']")
            kiosk.click(".prio[data-priority='elderly']")
            if name == "portrait":
                kiosk.click(".ctab[data-kind='phone']")
                for key in "081234567890":
                    kiosk.click(".osk button[data-key='%s']" % key)
            snap(kiosk, shots / ("kiosk-%s-details.png" % name))
            kiosk.click("#take")
            kiosk.wait_for_selector("#screen-ticket:not([hidden])")
            until(kiosk, "document.querySelector('#t-qr').complete")
            snap(kiosk, shots / ("kiosk-%s-ticket.png" % name))

        # the printed ticket (browser printing), 80 mm and 58 mm
        for paper in (80, 58):
            width = int(paper / 25.4 * 96)
            receipt = open_page(browser, (width, 700), base + "/kiosk?print=none&paper=%d" % paper, opened)
            receipt.wait_for_selector(".tile")
            receipt.click(".tile[data-service='SIM']")
            receipt.click("#take")
            receipt.wait_for_selector("#screen-ticket:not([hidden])")
            receipt.evaluate("document.querySelector('#r-qr').src = document.querySelector('#t-qr').src")
            until(receipt, "document.querySelector('#r-qr').complete")
            receipt.emulate_media(media="print")
            receipt.wait_for_timeout(300)
            receipt.screenshot(path=str(shots / ("receipt-%dmm.png" % paper)), full_page=True)

        # the display board
        board = open_page(browser, DISPLAY, base + "/display?mute=1", opened)
        board.wait_for_selector(".panel .panel-number:not(.idle)")
        snap(board, shots / "display.png")

        # the citizen's phone: waiting, and called
        waiting = api.issue("SIM")
        phone = open_page(browser, PHONE, waiting["track_url"], opened)
        phone.wait_for_selector("#ticket:not([hidden])")
        snap(phone, shots / "status-waiting.png")
        called = api.call("GET", "/api/counters/4", "petugas4").json()["current"]
        phone2 = open_page(browser, PHONE, base + "/t/" + called["id"], opened)
        phone2.wait_for_selector("#callout:not([hidden])")
        snap(phone2, shots / "status-called.png")

        # the counter console
        console = open_page(browser, OFFICE, base + "/counter", opened)
        console.wait_for_selector("#view-login:not([hidden])")
        snap(console, shots / "counter-login.png")
        sign_in(console, "petugas3")
        console.wait_for_selector("#cur-body:not([hidden])")
        console.wait_for_timeout(1200)
        snap(console, shots / "counter-console.png")
        api.release_counter(2, "petugas2")
        setup = open_page(browser, OFFICE, base + "/counter", opened)
        sign_in(setup, "petugas2")
        setup.wait_for_selector(".counter-opt")
        setup.click(".counter-opt[data-counter='2']")
        snap(setup, shots / "counter-open.png")

        # the supervisor page
        admin = open_page(browser, OFFICE, base + "/admin", opened)
        sign_in(admin, "admin")
        admin.wait_for_selector("#live-counters tbody tr")
        admin.wait_for_timeout(800)
        snap(admin, shots / "admin-today.png")
        admin.click("[data-tab='services']")
        admin.wait_for_selector("#services-table tbody tr")
        snap(admin, shots / "admin-services.png")
        admin.click("#services-table tr[data-service='SKCK'] .btn")
        admin.wait_for_selector("dialog[open]")
        snap(admin, shots / "admin-service-edit.png")
        admin.keyboard.press("Escape")
        admin.click("[data-tab='officers']")
        admin.wait_for_selector("#officers-table tbody tr")
        snap(admin, shots / "admin-officers.png")

        reports = open_page(browser, OFFICE, base + "/reports", opened)
        reports.wait_for_selector("#view-login:not([hidden])")
        sign_in(reports, "admin")
        reports.wait_for_selector("#report:not([hidden]) #hours-chart canvas")
        snap(reports, shots / "reports.png", full_page=True)

        for page in opened:
            assert page.js_errors == [], (page.url, page.js_errors)
            assert page.csp_violations == [], (page.url, page.csp_violations)
    finally:
        browser.close_contexts()
    names = sorted(p.name for p in Path(shots).glob("*.png"))
    assert len(names) >= 19, names
