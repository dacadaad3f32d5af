"""The display board announces every call once, in order, chime first, then speech:
the browser's id-ID voice where there is one, otherwise espeak-ng audio from the server
(headless chromium has no voices, so that is the path exercised here)."""
import time

import pytest

from services.gateway.speech import announcement_text
from tests.e2e.browser_support import DISPLAY, Api, browser, hall, pages, wait_until  # noqa: F401

pytestmark = pytest.mark.browser


def finished(page, count):
    entries = page.evaluate("window.__announcements")
    return entries if len(entries) >= count and all(e.get("finished_at") for e in entries) else None


def test_two_quick_calls_give_two_announcements_in_order(hall, pages):
    api = Api(hall.base_url)
    for counter, officer in ((1, "petugas1"), (2, "petugas2")):
        api.ready_counter(counter, officer, ["SIM"])

    board = pages(DISPLAY)
    speech_requests, speech_responses = [], []
    board.on("request", lambda r: speech_requests.append(r.url) if "/api/speech" in r.url or "chime.wav" in r.url else None)
    board.on("response", lambda r: speech_responses.append((r.status, r.headers.get("content-type")))
             if "/api/speech" in r.url else None)
    board.goto(hall.base_url + "/display")
    board.wait_for_function("document.body.dataset.conn === 'live'")
    time.sleep(0.5)
    assert board.evaluate("window.__announcements") == []     # nothing old on a fresh board

    api.issue("SIM"), api.issue("SIM")
    first = api.call("POST", "/api/counters/1/call-next", "petugas1").json()
    second = api.call("POST", "/api/counters/2/call-next", "petugas2").json()

    entries = wait_until(lambda: finished(board, 2), timeout=40, message="two announcements")
    assert [(e["number"], e["counter"]) for e in entries] == [(first["number"], 1), (second["number"], 2)]
    assert entries[0]["call_id"] < entries[1]["call_id"]
    assert entries[1]["started_at"] >= entries[0]["finished_at"]      # one after the other, no cut-off
    # the second call waits behind the first: the short sentence, no second chime (issue 11);
    # the first is short too only when both reached the board together
    assert entries[1]["short"] is True
    assert [e["text"] for e in entries] == [announcement_text(first["number"], 1, short=entries[0]["short"]),
                                            announcement_text(second["number"], 2, short=True)]
    if entries[0]["short"]:
        assert entries[0]["text"].startswith("A nol nol") and entries[0]["text"].endswith(", loket satu.")
    else:
        assert entries[0]["text"].startswith("Nomor antrian A nol nol")
        assert entries[0]["text"].endswith("silakan ke loket satu.")

    speech = board.evaluate("window.__speech")
    if speech["voices"]:
        # a browser with voices: speech synthesis was asked for the Indonesian text
        assert [e["via"] for e in entries] == ["speech-synthesis"] * 2
        assert speech["synth"] == [e["text"] for e in entries]
    else:
        # no voices: each call was fetched as espeak-ng audio from the server, after the chime
        assert [e["via"] for e in entries] == ["server-audio"] * 2
        assert speech["server"] == [e["text"] for e in entries]
        spoken = [u for u in speech_requests if "/api/speech" in u]
        assert len(spoken) == 2 and speech_responses == [(200, "audio/wav")] * 2
        assert speech_requests.index(spoken[0]) > 0 and "chime.wav" in speech_requests[0]
    assert entries[0]["chime"] and entries[1]["chime"] is None      # one chime for the run

    # the board shows both, the latest large
    assert board.text_content("#hero-number") == second["number"]
    assert board.text_content(".panel[data-counter='1'] .panel-number") == first["number"]
    recent = board.eval_on_selector_all("#recent li > span:first-child", "els => els.map(e => e.firstChild.textContent)")
    assert recent[:2] == [second["number"], first["number"]]

    # a reload announces nothing again
    board.reload()
    board.wait_for_function("document.body.dataset.conn === 'live'")
    time.sleep(2)
    assert board.evaluate("window.__announcements") == []

    # a recall is announced as such
    api.call("POST", "/api/counters/1/recall", "petugas1")
    entries = wait_until(lambda: finished(board, 1), timeout=30, message="the recall")
    assert entries[0]["kind"] == "recall" and entries[0]["text"].startswith("Panggilan ulang.")
    assert board.js_errors == []


def test_muted_board_still_shows_each_call_once(hall, pages):
    api = Api(hall.base_url)
    api.ready_counter(4, "petugas4", ["LOST_ITEM"])
    board = pages(DISPLAY)
    board.goto(hall.base_url + "/display")
    board.wait_for_function("document.body.dataset.conn === 'live'")
    board.click("#mute")
    assert board.get_attribute("#mute", "aria-pressed") == "true"
    api.issue("LOST_ITEM")
    called = api.call("POST", "/api/counters/4/call-next", "petugas4").json()
    entries = wait_until(lambda: finished(board, 1), timeout=15, message="a muted announcement")
    assert entries[0]["via"] == "muted" and entries[0]["number"] == called["number"]
    assert board.evaluate("window.__speech.server") == []
    assert board.js_errors == []


def test_announcement_wording_is_the_same_in_browser_and_server(hall, pages):
    page = pages((800, 600))
    page.goto(hall.base_url + "/display?mute=1")
    cases = [("B-007", 3, "call", False), ("C-120", 12, "recall", False), ("A-001", 6, "call", False),
             ("E-999", 21, "call", False), ("D-010", 100, "recall", False), ("B-007", 3, "call", True),
             ("C-120", 12, "recall", True)]
    got = page.evaluate(
        """async (cases) => {
            const m = await import('/static/js/speech.js');
            return cases.map(([n, c, k, s]) => m.announcementText(n, c, k, "id", s));
        }""", cases)
    assert got == [announcement_text(n, c, k, short=s) for n, c, k, s in cases]
    assert got[0] == "Nomor antrian B nol nol tujuh, silakan ke loket tiga."
    assert got[5:] == ["B nol nol tujuh, loket tiga.", "Ulang, C satu dua nol, loket dua belas."]
