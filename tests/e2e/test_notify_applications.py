"""Notify and the documents service on the system as `make up` starts it, with both
channels: an application's journey over HTTP makes the documents service publish its
events, notify asks documents for the applicant's contact and words over RPC at send
time, and each message arrives at the development SMTP sink ([program:smtp-sink], a
real SMTP server) and at a real SMS gateway in this test that verifies the HMAC
signature independently (docs/notify-webhook.md).

A system of this module's own: its channels differ from the shared one's."""
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
import requests

from tests.support.documents import applicant
from tests.support.system import DEMO_PASSWORD, running_system

TIMEOUT_S = 30
WEBHOOK_SECRET = "e2e-webhook-secret-" + "w" * 24


class Gateway:
    """An SMS gateway: refuses a request whose signature or timestamp does not verify
    (its own HMAC code), keeps the accepted ones."""

    def __init__(self):
        self.received, self.refused = [], 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                timestamp = self.headers.get("X-PTSP-Timestamp", "")
                expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
                if fresh and hmac.compare_digest(expected, self.headers.get("X-PTSP-Signature", "")):
                    gateway.received.append(json.loads(body))
                    self.send_response(200)
                else:
                    gateway.refused += 1
                    self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def to(self, phone):
        return [r for r in self.received if r["to"] == phone]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def gateway():
    gateway = Gateway()
    yield gateway
    gateway.close()


@pytest.fixture(scope="module")
def system(gateway):
    env = {"NOTIFY_CHANNELS": "email,sms", "NOTIFY_SMS_WEBHOOK_URL": gateway.url,
           "NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET}
    with running_system(name="notifyapp", extra_env=env) as running:
        yield running


def wait_until(condition, what, timeout=TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def contact():
    tag = uuid.uuid4().hex[:10]
    return f"pemohon-{tag}@example.id", "+62813" + str(uuid.uuid4().int)[:8]


def mail_to(system, recipient):
    return [message for message in system.mail() if message["To"] == recipient]


def text_of(message):
    return message.get_body(("plain",)).get_content()


def one_of_kind(system, gateway, address, phone, kind):
    """The one e-mail and the one SMS of ``kind`` to this applicant (waits for both)."""
    mails = wait_until(lambda: [m for m in mail_to(system, address) if m["X-PTSP-Kind"] == kind],
                       f"the {kind} e-mail")
    texts = wait_until(lambda: [r for r in gateway.to(phone) if r["kind"] == kind], f"the {kind} SMS")
    return mails, texts


class Officer:
    def __init__(self, system, username, counter, services):
        self.base, self.counter = system.base_url, counter
        login = requests.post(f"{self.base}/api/auth/login", json={"username": username, "password": DEMO_PASSWORD},
                              timeout=15)
        assert login.status_code == 200, login.text
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}
        assert self.post("open", services=services).status_code == 200

    def post(self, action, **body):
        return requests.post(f"{self.base}/api/counters/{self.counter}/{action}", json=body or None,
                             headers=self.headers, timeout=15)

    def serve(self, ticket_id, outcome="passed", **details):
        called = self.post("call-next")
        assert called.status_code == 200 and called.json()["id"] == ticket_id, called.text
        done = self.post("complete", outcome=outcome, **details)
        assert done.status_code == 200, done.text

    def review(self, code, **details):
        answer = requests.post(f"{self.base}/api/officer/applications/{code}/review", json=details,
                               headers=self.headers, timeout=15)
        assert answer.status_code == 200, answer.text
        return answer.json()


def application(system, code):
    answer = requests.get(f"{system.base_url}/api/applications/{code}", timeout=15)
    assert answer.status_code == 200, answer.text
    return answer.json()


def start(system, kind, address, phone, language="id", in_hall=True):
    created = requests.post(f"{system.base_url}/api/applications", timeout=15, json={
        "type": kind, "language": language, "in_hall": in_hall,
        "applicant": applicant(int(uuid.uuid4().int % 9000) + 100, email=address, phone=phone)})
    assert created.status_code == 201, created.text
    return created.json()


def test_a_hall_application_tells_its_applicant_each_step_by_mail_and_sms(system, gateway):
    """Broke: documents events not consumed, the applicant's contact not asked of
    documents, a message without the next queue and number, or without the officer's
    reason. Checks: an SKCK application in the hall, applicant with e-mail and phone
    in English: received (first step named), advanced after registration naming the
    document-check queue and the citizen's new number, then incomplete listing the
    missing family card by name: each once by e-mail (with the /a/<code> status link)
    and once by SMS whose signature the gateway verified; the step tickets (no
    contact of their own) give no ticket mail; nothing went out in Indonesian."""
    address, phone = contact()
    created = start(system, "SKCK_NEW", address, phone, language="en")
    code = created["tracking_code"]

    submitted, sms = one_of_kind(system, gateway, address, phone, "application_submitted")
    assert submitted[0]["Subject"] == "Police clearance (new) application received"
    assert "First step: Registration." in text_of(submitted[0])
    assert f"{system.base_url}/a/{code}" in text_of(submitted[0])
    assert sms[0]["text"].startswith("Police clearance (new) application received.")

    officer = Officer(system, "petugas3", 3, ["SKCK"])
    officer.serve(created["ticket"]["id"])
    advanced, sms = one_of_kind(system, gateway, address, phone, "application_advanced")
    view = application(system, code)
    number = view["ticket"]["number"]
    assert advanced[0]["Subject"] == "Next step: Document check"
    assert f"your number is {number}" in text_of(advanced[0])
    assert number in sms[0]["text"]

    officer.serve(view["ticket"]["id"], "incomplete", missing=["kk"])
    failed, sms = one_of_kind(system, gateway, address, phone, "application_failed")
    assert failed[0]["Subject"] == "Police clearance (new) application: Document check not passed"
    assert "Still missing: Family card (KK), copy." in text_of(failed[0])
    assert "documents incomplete" in sms[0]["text"]
    officer.post("close")

    kinds = sorted(m["X-PTSP-Kind"] for m in mail_to(system, address))
    assert kinds == ["application_advanced", "application_failed", "application_submitted"]
    assert sorted(r["kind"] for r in gateway.to(phone)) == kinds
    assert all(r["language"] == "en" for r in gateway.to(phone)) and gateway.refused == 0
    # The step tickets have no contact: their messages are recorded as no_contact, nothing sent.
    with psycopg.connect(system.database_url) as conn:
        tickets = [row[0] for row in conn.execute(
            "SELECT ticket_id FROM documents.step_tickets s JOIN documents.applications a "
            "ON a.id = s.application_id WHERE a.tracking_code = %s", (code,))]
        assert len(tickets) == 2
        wait_until(lambda: conn.execute(
            "SELECT count(*) FROM notify.messages WHERE subject_id = ANY(%s) AND status = 'no_contact'",
            (tickets,)).fetchone()[0] >= 2, "the step tickets' messages recorded as no_contact")
        assert conn.execute("SELECT count(*) FROM notify.deliveries d JOIN notify.messages m ON m.id = d.message_id "
                            "WHERE m.subject_id = ANY(%s)", (tickets,)).fetchone()[0] == 0


def test_an_online_report_is_told_when_returned_with_the_reason_and_when_issued(system, gateway):
    """Broke: an online lost-item report's applicant left to guess its status. Checks:
    submitted (to be checked by an officer), returned with the officer's reason, and
    for a second report issued with its number and the download: each once, in
    Indonesian, by e-mail and by signed SMS."""
    address, phone = contact()
    returned = start(system, "LOST_ITEM_REPORT", address, phone, in_hall=False)
    mails, _ = one_of_kind(system, gateway, address, phone, "application_submitted")
    assert mails[0]["Subject"] == "Permohonan Laporan kehilangan diterima"
    assert "Petugas akan memeriksa berkas Anda" in text_of(mails[0])

    officer = Officer(system, "petugas5", 5, ["LOST_ITEM"])
    officer.review(returned["tracking_code"], outcome="failed", note="kronologi belum ditandatangani")
    mails, sms = one_of_kind(system, gateway, address, phone, "application_failed")
    assert mails[0]["Subject"] == "Permohonan Laporan kehilangan dikembalikan"
    assert "Alasannya: kronologi belum ditandatangani." in text_of(mails[0])
    assert "dikembalikan" in sms[0]["text"]

    issued = start(system, "LOST_ITEM_REPORT", address, phone, in_hall=False)
    document = officer.review(issued["tracking_code"], outcome="passed")["document_number"]
    mails, sms = one_of_kind(system, gateway, address, phone, "application_ready")
    assert mails[0]["Subject"] == "Laporan kehilangan Anda sudah terbit"
    assert f"nomor {document}" in text_of(mails[0]) and "mengunduhnya" in text_of(mails[0])
    assert f"{system.base_url}/a/{issued['tracking_code']}" in text_of(mails[0])
    officer.post("close")

    wait_until(lambda: len(mail_to(system, address)) >= 5, "every mail")
    kinds = sorted(m["X-PTSP-Kind"] for m in mail_to(system, address))
    # Issued is followed by "next step: collection at the hall or download".
    assert kinds == sorted(["application_submitted", "application_failed", "application_submitted",
                            "application_ready", "application_advanced"])
    wait_until(lambda: len(gateway.to(phone)) >= 5, "every SMS")
    assert sorted(r["kind"] for r in gateway.to(phone)) == kinds and gateway.refused == 0


def test_an_applicant_away_when_called_is_told_how_to_come_back(system, gateway):
    """Broke: a citizen whose step's number was called and marked no-show was told
    nothing. Checks: an SKCK application in the hall (Indonesian, e-mail and phone);
    its registration ticket called and marked no-show: one application_missed e-mail
    and one signed SMS saying they were not at the counter, to check in at the kiosk
    with the tracking code (shown) for a new number at the same step, with the
    /a/<code> link; check-in then gives a new ticket for that step."""
    address, phone = contact()
    created = start(system, "SKCK_NEW", address, phone)
    code = created["tracking_code"]
    officer = Officer(system, "petugas4", 4, ["SKCK"])
    called = officer.post("call-next")
    assert called.status_code == 200 and called.json()["id"] == created["ticket"]["id"], called.text
    assert officer.post("no-show").status_code == 200
    officer.post("close")

    mails, sms = one_of_kind(system, gateway, address, phone, "application_missed")
    assert mails[0]["Subject"] == "Permohonan SKCK baru: Anda tidak hadir saat dipanggil"
    text = text_of(mails[0])
    assert "tetapi Anda tidak berada di loket" in text
    assert f"check-in di kios dengan kode permohonan {code}" in text
    assert "nomor antrean baru untuk langkah Pendaftaran" in text
    assert f"{system.base_url}/a/{code}" in text
    assert code in sms[0]["text"] and sms[0]["language"] == "id"
    assert application(system, code)["status"] == "missed"

    back = requests.post(f"{system.base_url}/api/applications/{code}/check-in", timeout=15)
    assert back.status_code == 200, back.text
    assert back.json()["step"] == "registration" and back.json()["ticket"]["id"] != created["ticket"]["id"]
    assert len([m for m in mail_to(system, address) if m["X-PTSP-Kind"] == "application_missed"]) == 1
    assert gateway.refused == 0
