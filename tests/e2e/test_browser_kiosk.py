"""The kiosk never freezes: it says so when the server is gone, recovers by itself, and
a number taken while the gateway restarts is issued once when it is back."""
import pytest

from tests.e2e.browser_support import (  # noqa: F401 - fixtures
    KIOSK_LANDSCAPE, KIOSK_PORTRAIT, Api, browser, hall, pages, wait_until)

pytestmark = pytest.mark.browser


def restart_with_gap(hall, during):
    """Stop the gateway, run ``during()`` while it is down, start it again."""
    if hasattr(hall, "stop") and hasattr(hall, "start"):
        hall.stop("gateway")
        try:
            during()
        finally:
            hall.start("gateway")
            hall.wait_until_ready()
    else:
        during()
        hall.restart_gateway()


def test_kiosk_survives_the_gateway_restarting(hall, pages):
    api = Api(hall.base_url)
    kiosk = pages(KIOSK_LANDSCAPE)
    kiosk.goto(hall.base_url + "/kiosk?print=none")
    kiosk.click(".tile[data-service='SKCK']")
    kiosk.wait_for_selector("#screen-details:not([hidden])")

    def while_down():
        # a citizen presses "take" while the gateway is down: the kiosk says the
        # connection is lost and keeps retrying with the same Idempotency-Key
        kiosk.click("#take")
        kiosk.wait_for_selector("#screen-issuing:not([hidden])")
        kiosk.wait_for_function("document.querySelector('#issuing-retry').textContent.includes('Mencoba lagi')",
                                timeout=15000)
        assert kiosk.is_visible("#offline")
        clock = kiosk.text_content("#clock")
        assert clock and clock != "--:--"          # the screen is alive, not frozen

    restart_with_gap(hall, while_down)

    kiosk.wait_for_selector("#screen-ticket:not([hidden])", timeout=30000)
    issued = kiosk.evaluate("window.__kiosk.issued")
    assert len(issued) == 1
    ticket = api.call("GET", "/api/tickets/" + issued[0]["id"]).json()
    assert ticket["number"] == kiosk.text_content("#t-number") and ticket["status"] == "waiting"
    kiosk.wait_for_selector("#offline", state="hidden", timeout=15000)

    # and from the start screen the next citizen carries on
    kiosk.click("#done")
    kiosk.wait_for_selector("#screen-start:not([hidden])")
    assert kiosk.is_enabled(".tile[data-service='SKCK']")
    assert kiosk.js_errors == []


def test_kiosk_tells_a_full_quota_and_returns_to_start(hall, pages):
    api = Api(hall.base_url)
    code = "CROWD_PERMIT"
    before = api.call("GET", "/api/admin/services", "admin").json()
    original = next(s for s in before if s["code"] == code)
    issued_today = int(api.issue(code)["number"][-3:])   # numbers run from 001 each day, gap-free
    res = api.call("PUT", "/api/admin/services/" + code, "admin", json={"daily_quota": issued_today})
    assert res.status_code == 200, res.text
    try:
        kiosk = pages(KIOSK_PORTRAIT)
        kiosk.goto(hall.base_url + "/kiosk?print=none")
        kiosk.wait_for_selector(".tile[data-service='%s']" % code)
        kiosk.click(".tile[data-service='%s']" % code)
        if kiosk.is_visible("#screen-details"):
            kiosk.click("#take")
        kiosk.wait_for_selector("#screen-error:not([hidden])")
        title = kiosk.text_content("#err-title")
        assert title in ("Kuota hari ini sudah habis", "Layanan sedang tutup"), title
        assert kiosk.text_content("#err-text").strip()
        assert "Kembali ke awal dalam" in kiosk.text_content("#err-countdown")
        kiosk.click("#err-back")
        kiosk.wait_for_selector("#screen-start:not([hidden])")
        assert kiosk.js_errors == []
    finally:
        api.call("PUT", "/api/admin/services/" + code, "admin", json={"daily_quota": original["daily_quota"]})


def test_kiosk_in_english_returns_to_indonesian(hall, pages):
    kiosk = pages(KIOSK_PORTRAIT)
    kiosk.goto(hall.base_url + "/kiosk?print=none")
    kiosk.wait_for_selector(".tile")
    kiosk.click("#lang")
    assert kiosk.text_content("#start-title") == "Please choose a service"
    kiosk.click(".tile[data-service='SIM']")
    assert kiosk.text_content("#take") == "Get my number"
    kiosk.click("#back")
    kiosk.wait_for_selector("#screen-start:not([hidden])")
    assert kiosk.text_content("#start-title") == "Silakan pilih layanan"
    assert kiosk.js_errors == []


def test_a_registered_kiosk_keeps_its_key_out_of_the_address_bar(hall, pages):
    """Checks (issue 6): opened once as /kiosk#key=<key> (what `make up` prints), the
    kiosk keeps the key in localStorage, takes it out of the address bar, and sends it
    with every ticket as X-Kiosk-Key, also after a reload."""
    kiosk = pages(KIOSK_PORTRAIT)
    sent = []
    kiosk.on("request", lambda r: sent.append(r.headers.get("x-kiosk-key"))
             if r.method == "POST" and r.url.endswith("/api/tickets") else None)
    kiosk.goto(hall.kiosk_url.replace("/kiosk#", "/kiosk?print=none#"))
    assert kiosk.evaluate("location.hash") == "" and kiosk.evaluate("window.__kiosk.registered")
    kiosk.reload()
    assert kiosk.evaluate("window.__kiosk.registered")
    kiosk.click(".tile[data-service='SKCK']")
    kiosk.click("#take")
    kiosk.wait_for_selector("#screen-ticket:not([hidden])")
    assert sent == [hall.kiosk_key]
    assert kiosk.js_errors == []
