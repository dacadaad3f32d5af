"""The supervisor page's part in issue 6: closing or taking over a counter someone
else holds (here an officer who has been deactivated), and registering a kiosk,
whose key is shown once."""
import pytest

from tests.e2e.browser_support import DESKTOP, Api, browser, hall, pages, wait_until  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def sign_in(page, username):
    page.fill("#username", username)
    page.fill("#password", "ptsp-demo")
    page.click("#login-submit")


def test_supervisor_closes_a_deactivated_officers_counter_and_registers_a_kiosk(hall, pages):
    """Broke: nobody could close a counter held by a deactivated officer, and kiosks
    could not be registered. Checks: from the live tab the admin closes such a counter;
    from the kiosks tab registers a kiosk and is shown its URL with the key, which then
    issues tickets as a registered kiosk; the list does not show the key again."""
    api = Api(hall.base_url)
    api.ready_counter(5, "petugas5", ["COMPLAINT"])  # open, idle (other tests use counter 5 too)
    assert api.call("PUT", "/api/admin/officers/petugas5", "admin", json={"active": False}).status_code == 200
    try:
        page = pages(DESKTOP)
        page.goto(hall.base_url + "/admin")
        sign_in(page, "admin")
        page.click("[data-tab='live']")
        close = "#live-counters tr[data-counter='5'] [data-act='close']"
        page.wait_for_selector(close)
        page.click(close)
        page.click("dialog[open] .modal-actions .btn:not(.secondary)")
        wait_until(lambda: not api.call("GET", "/api/counters/5", "admin").json()["open"], message="counter 5 closed")

        page.click("[data-tab='kiosks']")
        page.click("#add-kiosk")
        page.fill("dialog[open] input[name='name']", "annex")
        page.click("dialog[open] button[type='submit']")
        page.wait_for_selector("#kiosk-url")
        url = page.input_value("#kiosk-url")
        assert url.startswith(hall.base_url + "/kiosk#key=")
        key = url.split("#key=")[1]
        page.click("dialog[open] .modal-actions .btn")
        page.wait_for_selector("#kiosks-table tr[data-kiosk='annex']")
        assert key not in page.content()
        issued = api.call("POST", "/api/tickets", json={"service": "SIM"}, headers={"X-Kiosk-Key": key})
        assert issued.status_code == 201
        assert page.js_errors == []
    finally:
        api.call("PUT", "/api/admin/officers/petugas5", "admin", json={"active": True})
        api.tokens.pop("petugas5", None)  # its session ended with the deactivation
