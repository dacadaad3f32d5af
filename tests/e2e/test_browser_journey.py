"""A citizen's ticket through the hall, in a real browser: kiosk -> status page ->
counter console -> display board and status page, live."""
import re
import time

import pytest

from tests.e2e.browser_support import (  # noqa: F401 - fixtures
    DESKTOP, DISPLAY, KIOSK_PORTRAIT, PHONE, Api, browser, hall, pages, wait_until)

pytestmark = pytest.mark.browser

COUNTER, OFFICER, SERVICE = 6, "petugas6", "COMPLAINT"


def sign_in(page, username):
    page.fill("#username", username)
    page.fill("#password", "ptsp-demo")
    page.click("#login-submit")


def test_ticket_from_kiosk_to_counter_shows_live_on_display_and_status_page(hall, pages):
    api = Api(hall.base_url)
    base = hall.base_url
    api.ready_counter(COUNTER, OFFICER, [SERVICE])

    display = pages(DISPLAY)
    display.goto(base + "/display")
    display.wait_for_selector(".panel[data-counter='%d']" % COUNTER)

    # the kiosk: choose the service, a priority, take a number
    kiosk = pages(KIOSK_PORTRAIT)
    kiosk.goto(base + "/kiosk?print=none")
    kiosk.click(".tile[data-service='%s']" % SERVICE)
    kiosk.click(".prio[data-priority='elderly']")
    kiosk.click("#take")
    kiosk.wait_for_selector("#screen-ticket:not([hidden])")
    number = kiosk.text_content("#t-number")
    ticket = kiosk.evaluate("window.__kiosk.issued[0]")
    assert ticket["number"] == number and number.startswith("E-")
    assert kiosk.text_content("#t-ahead") == "0"
    # the QR (track_url with the ticket's key) is fetched with the key in a header and
    # shown as a data: URL, so the key is in no URL the server sees (issue 6)
    kiosk.wait_for_function("document.querySelector('#t-qr').src.startsWith('data:image/svg+xml')")
    assert "Lansia" in kiosk.text_content("#t-prio")

    # the citizen's phone, from the QR code
    assert ticket["track_url"] == base + "/t/" + ticket["id"] + "#k=" + ticket["access_key"]
    phone = pages(PHONE)
    phone.goto(ticket["track_url"])
    phone.wait_for_selector("#ticket:not([hidden])")
    assert phone.text_content("#number") == number
    assert phone.text_content("#status-text") == "Menunggu"
    assert phone.text_content("#ahead") == "0"

    # the officer calls it with the keyboard shortcut
    console = pages(DESKTOP)
    console.goto(base + "/counter")
    sign_in(console, OFFICER)
    console.wait_for_selector("#view-console:not([hidden])")
    console.wait_for_function("!document.querySelector('[data-action=\"call-next\"]').disabled")
    pressed = time.monotonic()
    console.keyboard.press("n")

    display.wait_for_function(
        "n => document.querySelector('#hero-number').textContent === n && "
        "document.querySelector('.panel[data-counter=\"%d\"] .panel-number').textContent === n" % COUNTER,
        arg=number, timeout=2000)
    shown_on_display = time.monotonic() - pressed
    phone.wait_for_function("document.querySelector('#status-text').textContent === 'Dipanggil'", timeout=2000)
    shown_on_phone = time.monotonic() - pressed
    assert shown_on_display <= 2.0 and shown_on_phone <= 2.0, (shown_on_display, shown_on_phone)
    assert phone.text_content("#callout-counter") == "Loket %d" % COUNTER
    console.wait_for_function("n => document.querySelector('#cur-number').textContent === n", arg=number)
    assert console.get_attribute("#current", "data-status") == "called"

    # the console survives a reload: still signed in, still at its counter
    console.reload()
    console.wait_for_function("n => document.querySelector('#cur-number').textContent === n", arg=number)
    assert console.is_visible("#view-console")

    # start and complete, with the buttons this time
    console.wait_for_function("!document.querySelector('[data-action=\"start\"]').disabled")
    console.click("[data-action='start']")
    phone.wait_for_function("document.querySelector('#status-text').textContent === 'Sedang dilayani'", timeout=2000)
    console.wait_for_function("!document.querySelector('[data-action=\"complete\"]').disabled")
    console.click("[data-action='complete']")
    phone.wait_for_function("document.querySelector('#status-text').textContent === 'Selesai'", timeout=2000)
    assert phone.is_hidden("#cancel")
    # the holder (the page has the key from track_url) is asked for the survey once done
    phone.wait_for_selector("#survey-slot #survey-form", state="visible", timeout=2000)
    assert api.call("GET", "/api/tickets/" + ticket["id"]).json()["status"] == "done"

    # the status page shows nothing about anyone else
    body = phone.inner_text("body")  # as shown: one line per element
    other = api.issue(SERVICE)
    phone.reload()
    phone.wait_for_selector("#ticket:not([hidden])")
    assert other["number"] not in phone.text_content("body")
    # no officer's account name (the survey's own wording says "petugas", the officer in general)
    assert not re.search(r"petugas\d", body), body
    for page in (display, kiosk, phone, console):
        assert page.js_errors == []


def test_citizen_cancels_from_the_status_page(hall, pages):
    """Checks: the holder cancels from the status page, whose URL fragment holds the
    ticket's key (sent as X-Ticket-Key); someone with only the ticket id gets no cancel
    button (issue 6)."""
    api = Api(hall.base_url)
    ticket = api.issue("LOST_ITEM")
    page_url, fragment = ticket["track_url"].split("#")
    stranger = pages(PHONE)
    stranger.goto(page_url + "?lang=en")
    stranger.wait_for_selector("#ticket:not([hidden])")
    assert stranger.is_hidden("#cancel")
    phone = pages(PHONE)
    phone.goto(page_url + "?lang=en#" + fragment)
    phone.wait_for_selector("#ticket:not([hidden])")
    assert phone.text_content("#status-text") == "Waiting"
    phone.click("#cancel")
    phone.click("dialog .btn.danger")
    phone.wait_for_function("document.querySelector('#status-text').textContent === 'Cancelled'")
    assert phone.is_hidden("#cancel")
    assert api.call("GET", "/api/tickets/" + ticket["id"]).json()["status"] == "cancelled"
    assert phone.js_errors == []


def test_two_tabs_on_one_counter_do_not_double_act(hall, browser, pages):
    api = Api(hall.base_url)
    api.ready_counter(5, "petugas5", ["CROWD_PERMIT"])
    first, second = api.issue("CROWD_PERMIT"), api.issue("CROWD_PERMIT")

    context = browser.context(DESKTOP)       # one officer's browser: shared storage
    tab1 = pages(context=context)
    tab1.goto(hall.base_url + "/counter")
    sign_in(tab1, "petugas5")
    tab1.wait_for_selector("#view-console:not([hidden])")
    tab2 = pages(context=context)
    tab2.goto(hall.base_url + "/counter")   # signed in already: straight to the console
    tab2.wait_for_selector("#view-console:not([hidden])")
    tab1.wait_for_selector("#other-tab:not([hidden])")
    for tab in (tab1, tab2):
        tab.wait_for_function("!document.querySelector('[data-action=\"call-next\"]').disabled")

    # both officers' tabs press "call next" at the same moment
    tab1.evaluate("document.querySelector('[data-action=\"call-next\"]').click()")
    tab2.evaluate("document.querySelector('[data-action=\"call-next\"]').click()")

    detail = wait_until(lambda: (lambda d: d if d.get("current") else None)(
        api.call("GET", "/api/counters/5", "petugas5").json()), message="a called ticket")
    time.sleep(1.5)
    assert detail["current"]["number"] == first["number"]
    assert api.call("GET", "/api/tickets/" + second["id"]).json()["status"] == "waiting"
    for tab in (tab1, tab2):
        tab.wait_for_function("n => document.querySelector('#cur-number').textContent === n", arg=first["number"])
    actions = tab1.evaluate("window.__counterActions || []") + tab2.evaluate("window.__counterActions || []")
    assert [a["status"] for a in actions if a["status"] == 200] == [200]
    assert tab1.js_errors == [] and tab2.js_errors == []
