"""What the pages load besides the JSON API: the pages themselves, static files,
announcement audio, ticket QR codes and ESC/POS printing — and a kiosk that prints on
its own thermal printer."""
import io
import wave
import xml.etree.ElementTree as ET

import pytest
import requests

from tests.e2e.browser_support import (  # noqa: F401 - fixtures
    KIOSK_PORTRAIT, PRINTER_KIOSK, Api, browser, hall, pages)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/kiosk", "/counter", "/display", "/admin", "/reports", "/t/abc-123"])
def test_pages_are_served_with_a_strict_policy(hall, path):
    res = requests.get(hall.base_url + path, timeout=10)
    assert res.status_code == 200
    assert res.headers["Content-Type"].startswith("text/html")
    csp = res.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert res.headers["Referrer-Policy"] == "no-referrer"
    assert '<html lang="id"' in res.text
    english = requests.get(hall.base_url + path + "?lang=en", timeout=10)
    assert '<html lang="en"' in english.text


def test_reports_page_ships_its_charting_library(hall):
    text = requests.get(hall.base_url + "/reports", timeout=10).text
    assert "<h1" in text and 'id="period-form"' in text
    library = requests.get(hall.base_url + "/static/vendor/uplot/uPlot.esm.js", timeout=10)
    assert library.status_code == 200 and library.headers["Content-Type"].startswith("text/javascript")
    assert "export { uPlot as default }" in library.text
    assert requests.get(hall.base_url + "/static/vendor/uplot/uPlot.min.css", timeout=10).status_code == 200
    english = requests.get(hall.base_url + "/reports?lang=en", timeout=10).text
    assert "Reports" in english and "Download CSV" in english


def test_static_files_and_no_way_out(hall):
    base = hall.base_url
    js = requests.get(base + "/static/js/common.js", timeout=10)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    again = requests.get(base + "/static/js/common.js", headers={"If-None-Match": js.headers["ETag"]}, timeout=10)
    assert again.status_code == 304
    assert requests.get(base + "/static/fonts/NotoSans-Bold.woff2", timeout=10).headers["Content-Type"] == "font/woff2"
    for bad in ["/static/../pages.py", "/static/%2e%2e/pages.py", "/static/..%2fpages.py", "/static/nope.js"]:
        assert requests.get(base + bad, timeout=10).status_code == 404, bad


def test_speech_audio_from_espeak_ng(hall):
    text = "Nomor antrian B nol nol tujuh, silakan ke loket tiga."
    res = requests.get(hall.base_url + "/api/speech", params={"text": text}, timeout=30)
    assert res.status_code == 200 and res.headers["Content-Type"] == "audio/wav"
    audio = wave.open(io.BytesIO(res.content))
    assert 2 < audio.getnframes() / audio.getframerate() < 12
    bad = requests.get(hall.base_url + "/api/speech", params={"text": "<script>"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["error"]["fields"]["text"]
    assert requests.get(hall.base_url + "/api/speech", params={"text": "x", "voice": "xx"}, timeout=10).status_code == 422


def test_ticket_qr_code_points_to_the_status_page(hall):
    ticket = Api(hall.base_url).issue("LOST_ITEM")
    res = requests.get(hall.base_url + "/api/tickets/%s/qr.svg" % ticket["id"], timeout=10)
    assert res.status_code == 200 and res.headers["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(res.content)
    assert root.tag.endswith("svg")
    assert ticket["track_url"] == hall.base_url + "/t/" + ticket["id"] + "#k=" + ticket["access_key"]
    # with the holder's key (sent as a header, never in the URL) the QR is the holder's: not cached
    keyed = requests.get(hall.base_url + "/api/tickets/%s/qr.svg" % ticket["id"], timeout=10,
                         headers={"X-Ticket-Key": ticket["access_key"]})
    assert keyed.status_code == 200 and keyed.content != res.content
    assert "no-store" in keyed.headers["Cache-Control"]


def test_escpos_printing_endpoint(hall):
    api = Api(hall.base_url)
    ticket = api.issue("LOST_ITEM")
    url = hall.base_url + "/api/tickets/%s/print" % ticket["id"]
    ok = requests.post(url, json={"kiosk": PRINTER_KIOSK, "language": "en"}, timeout=20)
    assert ok.status_code == 200 and ok.json() == {"printed": True, "kiosk": PRINTER_KIOSK, "paper": 58}
    none = requests.post(url, json={"kiosk": "no-such-kiosk"}, timeout=10)
    assert none.status_code == 404 and none.json()["error"]["code"] == "no_printer"
    bad = requests.post(url, json={"kiosk": "x y"}, headers={"Accept-Language": "en"}, timeout=10)
    assert bad.status_code == 422 and "kiosk" in bad.json()["error"]["fields"]
    missing = requests.post(hall.base_url + "/api/tickets/00000000-0000-0000-0000-000000000000/print",
                            json={"kiosk": PRINTER_KIOSK}, timeout=10)
    assert missing.status_code == 404


def test_kiosk_with_a_thermal_printer_prints_through_the_server(hall, pages):
    kiosk = pages(KIOSK_PORTRAIT)
    printed = []
    kiosk.on("response", lambda r: printed.append(r.status) if r.url.endswith("/print") else None)
    kiosk.goto(hall.base_url + "/kiosk?kiosk=" + PRINTER_KIOSK)
    assert kiosk.evaluate("window.__kiosk.mode") == "server"
    kiosk.click(".tile[data-service='SKCK']")
    kiosk.click("#take")
    kiosk.wait_for_selector("#screen-ticket:not([hidden])")
    kiosk.wait_for_function("document.querySelector('#t-print').textContent === 'Tiket sudah dicetak'")
    assert printed == [200]
    assert kiosk.evaluate("window.__kiosk.printed")[0]["via"] == "escpos"
    assert kiosk.js_errors == []


def test_kiosk_without_printer_uses_the_browser_print(hall, pages):
    kiosk = pages(KIOSK_PORTRAIT)
    # stand in for the print dialog (a kiosk runs chromium with --kiosk-printing)
    kiosk.add_init_script("window.print = function () { window.__printCalls = (window.__printCalls || 0) + 1; };")
    kiosk.goto(hall.base_url + "/kiosk?paper=58")
    assert kiosk.evaluate("window.__kiosk.mode") == "browser"
    kiosk.click(".tile[data-service='SKCK']")
    kiosk.click("#take")
    kiosk.wait_for_selector("#screen-ticket:not([hidden])")
    kiosk.wait_for_function("window.__printCalls === 1")
    assert kiosk.evaluate("window.__kiosk.printed")[0] == {
        "id": kiosk.evaluate("window.__kiosk.issued[0].id"), "via": "browser", "paper": 58}
    assert kiosk.evaluate("[...document.styleSheets].some(s => s.href && s.href.includes('receipt-58.css'))")
    assert kiosk.js_errors == []
