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
