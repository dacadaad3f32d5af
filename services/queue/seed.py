"""Seed the demo site for development: ``python -m services.queue.seed``.

A Polres with the five PTSP services and six counters, open around the clock with
no daily quota (so a demo works at any hour), and the accounts ``admin`` and
``petugas1`` … ``petugas6`` whose password is PTSP_DEMO_PASSWORD, and a registered
kiosk ``demo`` whose key is derived from the installation's secret (so it stays the
same across restarts and is known to nobody outside the installation); the kiosk URL
with its key is printed. Running it again resets the demo catalog and passwords;
tickets are kept. Production seeds nothing.
"""
import base64
import hashlib
import hmac
import sys

import psycopg
from psycopg.rows import dict_row

from shared.infrastructure.config import load_settings
from services.queue import catalog

DEMO_SITE = ("polres-demo", "Polres Demo — PTSP", "Asia/Jakarta")
DEMO_SERVICES = [
    # code, prefix, name (id), name (en), target wait, default service time
    ("SIM", "A", "SIM (Surat Izin Mengemudi)", "Driving licence (SIM)", 1800, 420),
    ("SKCK", "B", "SKCK", "Police clearance certificate (SKCK)", 1800, 300),
    ("LOST_ITEM", "C", "Surat Keterangan Kehilangan", "Lost-item letter", 1200, 240),
    ("CROWD_PERMIT", "D", "Izin Keramaian", "Crowd permit", 2400, 600),
    ("COMPLAINT", "E", "Pengaduan Masyarakat", "Public complaint", 1800, 600),
]
DEMO_COUNTERS = [
    (1, "Loket 1 — SIM", ["SIM"]),
    (2, "Loket 2 — SIM", ["SIM"]),
    (3, "Loket 3 — SKCK", ["SKCK"]),
    (4, "Loket 4 — SKCK", ["SKCK", "LOST_ITEM"]),
    (5, "Loket 5 — Umum", ["LOST_ITEM", "CROWD_PERMIT", "COMPLAINT"]),
    (6, "Loket 6 — Semua layanan", ["SIM", "SKCK", "LOST_ITEM", "CROWD_PERMIT", "COMPLAINT"]),
]
RUNNING_TEXT = ("Selamat datang di PTSP Polres. Layanan tidak dipungut biaya selain PNBP resmi. "
                "Welcome to the police one-stop service office.")


DEMO_KIOSK = "demo"


def demo_kiosk_key(secret, site=DEMO_SITE[0]):
    mac = hmac.new(secret.encode(), f"demo-kiosk:{site}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def seed_demo(cur, password, kiosk_key=None):
    site_id = catalog.upsert_site(cur, *DEMO_SITE, running_text=RUNNING_TEXT)
    for order, (code, prefix, name, name_en, target, default) in enumerate(DEMO_SERVICES):
        catalog.upsert_service(cur, site_id, code, prefix, name, name_en, target_wait_s=target,
                               default_service_s=default, sort_order=order)
    for number, name, services in DEMO_COUNTERS:
        catalog.upsert_counter(cur, site_id, number, name, services)
    catalog.upsert_officer(cur, site_id, "admin", "admin", password, "Administrator")
    for n in range(1, 7):
        catalog.upsert_officer(cur, site_id, f"petugas{n}", "officer", password, f"Petugas {n}")
    if kiosk_key:
        catalog.upsert_kiosk(cur, site_id, DEMO_KIOSK, kiosk_key)
    return site_id


def main():
    settings = load_settings()
    if settings.production:
        print("PTSP_MODE=production: nothing seeded")
        return 0
    with psycopg.connect(settings.DATABASE_URL, row_factory=dict_row) as conn:
        with conn.cursor() as cur:
            kiosk_key = demo_kiosk_key(settings.PTSP_SECRET)
            seed_demo(cur, settings.PTSP_DEMO_PASSWORD, kiosk_key)
    print(f"demo site {DEMO_SITE[0]} seeded: services {', '.join(s[0] for s in DEMO_SERVICES)}; "
          f"counters 1-6; accounts admin, petugas1-petugas6; kiosk {DEMO_KIOSK}")
    # deploy/local/up.sh shows this line; the key exempts the kiosk from the per-address limit.
    print(f"kiosk url: {settings.PTSP_PUBLIC_URL.rstrip('/')}/kiosk#key={kiosk_key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
