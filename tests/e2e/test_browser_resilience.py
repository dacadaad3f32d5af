"""A dropped connection: the display board, the counter console and the status page
show that they lost the server, keep what they showed, and carry on live when the
gateway is back (SSE reconnects; polling meanwhile)."""
import time

import pytest

from tests.e2e.browser_support import (  # noqa: F401 - fixtures
    DESKTOP, DISPLAY, PHONE, Api, browser, hall, pages)

pytestmark = pytest.mark.browser


def test_pages_recover_when_the_gateway_comes_back(hall, pages):
    api = Api(hall.base_url)
    api.ready_counter(2, "petugas2", ["SIM"])
    ticket = api.issue("SIM")

    board = pages(DISPLAY)
    board.goto(hall.base_url + "/display?mute=1")
    board.wait_for_function("document.body.dataset.conn === 'live'")
    phone = pages(PHONE)
    phone.goto(ticket["track_url"])
    phone.wait_for_selector("#ticket:not([hidden])")
    console = pages(DESKTOP)
    console.goto(hall.base_url + "/counter")
    console.fill("#username", "petugas2")
    console.fill("#password", "ptsp-demo")
    console.click("#login-submit")
    console.wait_for_selector("#view-console:not([hidden])")

    hall.stop("gateway")
    try:
        board.wait_for_selector("#offline:not([hidden])", timeout=20000)
        console.wait_for_selector("#offline:not([hidden])", timeout=20000)
        phone.wait_for_function("document.querySelector('#conn').dataset.state === 'offline'", timeout=30000)
        # what they showed stays on screen
        assert phone.text_content("#number") == ticket["number"]
        assert board.is_visible(".panel[data-counter='2']")
        time.sleep(1)
    finally:
        hall.start("gateway")
        hall.wait_until_ready()

    board.wait_for_selector("#offline", state="hidden", timeout=20000)
    console.wait_for_selector("#offline", state="hidden", timeout=20000)
    board.wait_for_function("document.body.dataset.conn === 'live'", timeout=40000)

    console.wait_for_function("!document.querySelector('[data-action=\"call-next\"]').disabled", timeout=15000)
    console.click("[data-action='call-next']")
    board.wait_for_function("n => document.querySelector('.panel[data-counter=\"2\"] .panel-number').textContent === n",
                            arg=ticket["number"], timeout=5000)
    phone.wait_for_function("document.querySelector('#status-text').textContent === 'Dipanggil'", timeout=5000)
    for page in (board, phone, console):
        assert page.js_errors == []
