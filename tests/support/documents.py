"""Helpers for the documents service's tests: the site's application types, NIKs
that pass the checks, and an officer at a counter driven over HTTP."""
import time
from datetime import date

import psycopg
import requests
from psycopg.rows import dict_row

from tests.support.sites import TEST_PASSWORD


def seed_documents(database_url, site, timezone="Asia/Jakarta"):
    from services.documents.seed import seed_site

    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        with conn.cursor() as cur:
            seed_site(cur, site, timezone)


def nik_for(birth: date, woman=False, serial=1, province="31"):
    day = birth.day + (40 if woman else 0)
    return f"{province}7405{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def applicant(serial=1, birth=date(1990, 8, 17), **extra):
    return {"nik": nik_for(birth, serial=serial), "name": f"Warga Uji {serial}", "birth_date": birth.isoformat(),
            "email": f"warga{serial}@example.id", **extra}


def wait_for(condition, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Officer:
    """An officer logged in at one counter, over HTTP."""

    def __init__(self, base, username, counter, services):
        self.base, self.counter = base, counter
        answer = requests.post(f"{base}/api/auth/login", json={"username": username, "password": TEST_PASSWORD})
        assert answer.status_code == 200, answer.text
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}
        opened = self.post("open", {"services": services})
        assert opened.status_code == 200, opened.text

    def post(self, action, body=None):
        return requests.post(f"{self.base}/api/counters/{self.counter}/{action}", json=body, headers=self.headers)

    def call_next(self):
        answer = self.post("call-next")
        assert answer.status_code in (200, 204), answer.text
        return answer.json() if answer.status_code == 200 else None

    def application(self):
        return requests.get(f"{self.base}/api/counters/{self.counter}/application", headers=self.headers)

    def complete(self, outcome=None, **details):
        body = {"outcome": outcome, **details} if outcome else None
        return self.post("complete", body)


def get_application(base, code):
    answer = requests.get(f"{base}/api/applications/{code}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def wait_for_step(base, code, step, status=None):
    """The application at ``step`` with its ticket for that step (the documents
    service handles ticket_completed asynchronously)."""
    def ready():
        view = get_application(base, code)
        if view["step"] != step or (status and view["status"] != status):
            return None
        if step is not None and view["ticket"] is None:
            return None
        return view
    return wait_for(ready, what=f"application {code} at step {step}")
