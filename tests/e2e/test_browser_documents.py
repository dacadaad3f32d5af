"""The counter console's outcome buttons for an application's step, in a real
browser, with the documents service of the whole system behind it."""
import time

import pytest
import requests

from tests.e2e.browser_support import DESKTOP, PHONE, Api, browser, hall, pages  # noqa: F401 - fixtures
from tests.support.documents import applicant

pytestmark = pytest.mark.browser

COUNTER, OFFICER = 3, "petugas3"


def wait(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def test_the_console_records_outcomes_and_the_status_page_follows_the_journey(hall, pages):
    """Broke: the console had no way to give an application's step its outcome, and
    the applicant no page for their journey. Checks: with an SKCK application's
    registration ticket called, the console shows the type, tracking code and step;
    complete asks the outcome; "passed" moves the citizen to the document check, whose
    ticket the next call brings with its step shown; "incomplete" asks which documents
    are missing and the application records them. The applicant's page (/a/<code>,
    typed with dashes) follows: the current step and ticket, then the missing list;
    it shows no name or NIK; no script errors."""
    api = Api(hall.base_url)
    api.ready_counter(COUNTER, OFFICER, ["SKCK"])
    created = requests.post(hall.base_url + "/api/applications",
                            json={"type": "SKCK_NEW", "applicant": applicant(31)}, timeout=10)
    assert created.status_code == 201, created.text
    code = created.json()["tracking_code"]

    phone = pages(PHONE)
    phone.goto(hall.base_url + "/a/" + code[:4] + "-" + code[4:8] + "-" + code[8:])
    phone.wait_for_selector("#application:not([hidden])")
    assert phone.get_attribute("#a-steps li[data-state='current']", "data-step") == "registration"
    assert phone.text_content("#a-ticket-number") == created.json()["ticket"]["number"]

    console = pages(DESKTOP)
    console.goto(hall.base_url + "/counter")
    console.fill("#username", OFFICER)
    console.fill("#password", "ptsp-demo")
    console.click("#login-submit")
    console.wait_for_selector("#view-console:not([hidden])")
    console.wait_for_function("!document.querySelector('[data-action=\"call-next\"]').disabled")
    console.click("[data-action='call-next']")
    console.wait_for_selector("#cur-app:not([hidden])")
    assert code in console.text_content("#cur-app")
    assert "Pendaftaran" in console.text_content("#cur-app-step")

    console.wait_for_function("!document.querySelector('[data-action=\"complete\"]').disabled")
    console.click("[data-action='complete']")
    console.click("dialog .btn.ok")
    view = wait(lambda: (v := api.call("GET", "/api/applications/" + code).json())["step"] == "document_check"
                and v["ticket"] and v)

    phone.wait_for_function("document.querySelector('#main').dataset.step === 'document_check'", timeout=12000)
    assert phone.text_content("#a-ticket-number") == view["ticket"]["number"]

    console.wait_for_function("!document.querySelector('[data-action=\"call-next\"]').disabled")
    console.click("[data-action='call-next']")
    console.wait_for_function("document.querySelector('#cur-app-step') && "
                              "document.querySelector('#cur-app-step').textContent.includes('Pemeriksaan berkas')")
    assert console.text_content("#cur-number") == view["ticket"]["number"]
    console.wait_for_function("!document.querySelector('[data-action=\"complete\"]').disabled")
    console.click("[data-action='complete']")
    console.click("dialog .btn:has-text('Berkas belum lengkap')")
    console.check("#outcome-missing input[value='kk']")
    console.click("dialog .btn.ok")
    done = wait(lambda: (v := api.call("GET", "/api/applications/" + code).json())["status"] == "incomplete" and v)
    assert done["history"][-1]["missing"] == ["kk"]
    phone.wait_for_function("document.querySelector('#main').dataset.status === 'incomplete'", timeout=12000)
    assert "Kartu Keluarga" in phone.text_content("#a-last")  # the missing document by its name
    assert "Warga Uji" not in phone.text_content("body") and applicant(31)["nik"] not in phone.text_content("body")
    assert console.js_errors == [] and phone.js_errors == []
