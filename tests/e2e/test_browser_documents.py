"""The counter console's outcome buttons for an application's step, in a real
browser, with the documents service of the whole system behind it."""
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.browser_support import DESKTOP, PHONE, Api, browser, hall, pages  # noqa: F401 - fixtures
from tests.support.documents import applicant

pytestmark = pytest.mark.browser

COUNTER, OFFICER = 3, "petugas3"
SIM_COUNTER, SIM_OFFICER = 2, "petugas2"  # the demo's "Loket 2 — SIM"


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


def test_the_console_fails_a_theory_test_with_its_reason_and_the_status_page_gives_the_retake_date(hall, pages):
    """Broke (unguarded): only "passed" and "incomplete" were driven through the
    console. Checks: a SIM A applicant at the theory test (the earlier steps passed
    over the API); the officer starts the ticket, completes it, picks "Tidak lulus"
    and types the reason; the application is failed with that reason and a retake
    date 14 days after today in the site's zone (the theory test's setting); the
    applicant's page shows the reason and the earliest retake date; no script errors."""
    api = Api(hall.base_url)
    api.ready_counter(SIM_COUNTER, SIM_OFFICER, ["SIM"])
    created = requests.post(hall.base_url + "/api/applications",
                            json={"type": "SIM_A_NEW", "applicant": applicant(32)}, timeout=10)
    assert created.status_code == 201, created.text
    code = created.json()["tracking_code"]
    for step in ("registration", "health_check", "psychology_test"):
        called = api.call("POST", "/api/counters/%d/call-next" % SIM_COUNTER, SIM_OFFICER)
        assert called.status_code == 200, called.text
        done = api.call("POST", "/api/counters/%d/complete" % SIM_COUNTER, SIM_OFFICER, json={"outcome": "passed"})
        assert done.status_code == 200, (step, done.text)
        wait(lambda: api.call("GET", "/api/applications/" + code).json()["step"] != step)
    view = wait(lambda: (v := api.call("GET", "/api/applications/" + code).json())["step"] == "theory_test"
                and v["ticket"] and v)

    console = pages(DESKTOP)
    console.goto(hall.base_url + "/counter")
    console.fill("#username", SIM_OFFICER)
    console.fill("#password", "ptsp-demo")
    console.click("#login-submit")
    console.wait_for_selector("#view-console:not([hidden])")
    console.wait_for_function("!document.querySelector('[data-action=\"call-next\"]').disabled")
    console.click("[data-action='call-next']")
    console.wait_for_function("document.querySelector('#cur-app-step') && "
                              "document.querySelector('#cur-app-step').textContent.includes('Ujian teori')")
    assert console.text_content("#cur-number") == view["ticket"]["number"]
    console.wait_for_function("!document.querySelector('[data-action=\"start\"]').disabled")
    console.click("[data-action='start']")
    console.wait_for_function("!document.querySelector('[data-action=\"complete\"]').disabled")
    console.click("[data-action='complete']")
    console.click("dialog .btn:has-text('Tidak lulus')")
    console.fill("#outcome-note", "Nilai ujian teori di bawah batas lulus")
    console.click("dialog .btn.ok")

    failed = wait(lambda: (v := api.call("GET", "/api/applications/" + code).json())["status"] == "failed" and v)
    last = failed["history"][-1]
    assert last["step"] == "theory_test" and last["outcome"] == "failed", last
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    assert last["retake_after"][:10] == (today + timedelta(days=14)).isoformat(), last

    phone = pages(PHONE)
    phone.goto(hall.base_url + "/a/" + code)
    phone.wait_for_function("document.querySelector('#main') && "
                            "document.querySelector('#main').dataset.status === 'failed'", timeout=12000)
    shown = phone.text_content("#a-last")
    assert "Nilai ujian teori di bawah batas lulus" in shown and "Ujian ulang paling cepat" in shown, shown
    assert str((today + timedelta(days=14)).year) in shown, shown
    assert console.js_errors == [] and phone.js_errors == []
