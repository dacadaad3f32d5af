"""Issue 11, the citizen's side in a real browser: the kiosk's keyboard paths, its
contact entry in both orientations, the idle warning, pictograms and speech; a service
no counter serves; the status page on a zoomed phone."""
import pytest

from tests.e2e.browser_support import (  # noqa: F401 - fixtures
    KIOSK_LANDSCAPE, KIOSK_PORTRAIT, PHONE, Api, browser, hall, pages, wait_until)

pytestmark = pytest.mark.browser


def focused(page, attr):
    return page.evaluate("a => document.activeElement && document.activeElement.getAttribute(a)", attr)


def test_kiosk_keyboard_starts_on_the_first_service_and_arrows_move_the_contact_tabs(hall, pages):
    """Broke: on load the focus was on the body, three tabs from the first service; the
    contact tabs did not move with the arrow keys. Checks: after load the first service
    has the focus (Enter chooses it); on the details screen the arrow keys, Home and End
    select and focus the contact tabs, only the selected one is in the tab order, and the
    field that opens has a visible label."""
    kiosk = pages(KIOSK_PORTRAIT)
    kiosk.goto(hall.base_url + "/kiosk?print=none")
    kiosk.wait_for_selector(".tile:not([disabled])")
    first = kiosk.get_attribute(".tile:not([disabled])", "data-service")
    wait_until(lambda: focused(kiosk, "data-service") == first, message="focus on the first service")
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_selector("#screen-details:not([hidden])")

    kiosk.focus(".ctab[data-kind='none']")
    kiosk.keyboard.press("ArrowRight")
    assert focused(kiosk, "data-kind") == "phone"
    assert kiosk.get_attribute(".ctab[data-kind='phone']", "aria-selected") == "true"
    assert kiosk.is_visible("#contact-input")
    assert kiosk.text_content("label[for='contact-input']") == "Nomor HP Anda"
    kiosk.keyboard.press("ArrowRight")
    assert focused(kiosk, "data-kind") == "email"
    assert kiosk.text_content("label[for='contact-input']") == "Alamat e-mail Anda"
    kiosk.keyboard.press("ArrowRight")            # wraps round
    assert focused(kiosk, "data-kind") == "none"
    assert not kiosk.is_visible("#contact-input")
    kiosk.keyboard.press("End")
    assert focused(kiosk, "data-kind") == "email"
    kiosk.keyboard.press("ArrowLeft")
    assert focused(kiosk, "data-kind") == "phone"
    tabbable = kiosk.eval_on_selector_all(".ctab", "els => els.filter(e => e.tabIndex === 0).map(e => e.dataset.kind)")
    assert tabbable == ["phone"]
    assert kiosk.js_errors == []


def close_counters_serving(api, service):
    """Close every counter open for ``service`` (finishing its current ticket)."""
    for c in api.call("GET", "/api/counters", "admin").json():
        if c["open"] and service in (c["open_services"] or []):
            api.release_counter(c["counter"], c["opened_by"])


def test_a_service_no_counter_serves_says_so_on_kiosk_status_page_and_supervisor_page(hall, pages):
    """Broke: a service with no open counter was offered as usual and its ticket's
    status page said "you are next, < 1 minute". Checks: with every counter for the
    service closed, the kiosk tile, the details screen and the ticket say "Menunggu
    loket dibuka" (a ticket is still issued); the status page says so instead of "you
    are next"; the supervisor's live tab flags the service; once a counter opens, the
    status page shows an estimate again."""
    api = Api(hall.base_url)
    service = "CROWD_PERMIT"
    close_counters_serving(api, service)
    assert api.call("GET", "/api/counters/5", "admin").json()["open"] is False

    kiosk = pages(KIOSK_PORTRAIT)
    kiosk.goto(hall.base_url + "/kiosk?print=none")
    tile = ".tile[data-service='%s']" % service
    kiosk.wait_for_selector(tile + " .no-counter")
    assert kiosk.text_content(tile + " .no-counter") == "Menunggu loket dibuka"
    kiosk.click(tile)
    assert "Menunggu loket dibuka" in kiosk.text_content("#chosen-meta")
    kiosk.click("#take")
    kiosk.wait_for_selector("#screen-ticket:not([hidden])")
    assert kiosk.text_content("#t-wait") == "Menunggu loket dibuka"
    ticket = kiosk.evaluate("window.__kiosk.issued[0]")
    assert ticket["estimated_wait_s"] is None and ticket["estimated_wait_reason"]["code"] == "no_counter_open"

    phone = pages(PHONE)
    phone.goto(ticket["track_url"])
    phone.wait_for_selector("#ticket:not([hidden])")
    assert phone.text_content("#wait") == "Menunggu loket dibuka"
    assert phone.text_content("#callout-lead") == "Menunggu loket dibuka"
    assert "Belum ada loket" in phone.text_content("#note")
    assert "berikutnya" not in phone.text_content("#ticket").lower()
    phone.click("#lang")
    assert phone.text_content("#wait") == "Waiting for a counter to open"

    admin = pages((1600, 1000))
    admin.goto(hall.base_url + "/admin")
    admin.fill("#username", "admin")
    admin.fill("#password", "ptsp-demo")
    admin.click("#login-submit")
    admin.wait_for_selector("#live-services tr[data-service='%s'] .no-counter" % service)
    assert admin.text_content("#live-services tr[data-service='%s'] .no-counter" % service) == "Tidak ada loket buka"

    opened = api.call("POST", "/api/counters/5/open", "petugas5", json={"services": [service]})
    assert opened.status_code == 200, opened.text
    try:
        phone.wait_for_function("document.querySelector('#ticket').dataset.wait === ''", timeout=25000)
        assert phone.text_content("#wait") != "Waiting for a counter to open"
        admin.wait_for_selector("#live-services tr[data-service='%s'] .no-counter" % service, state="detached",
                                timeout=25000)
    finally:
        api.release_counter(5, "petugas5")
    assert kiosk.js_errors == [] and phone.js_errors == [] and admin.js_errors == []
