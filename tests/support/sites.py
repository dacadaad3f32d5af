import uuid

from psycopg.rows import dict_row

TEST_PASSWORD = "test-password"

STANDARD_SERVICES = [
    # code, prefix, name, name_en
    ("SIM", "A", "SIM", "Driving licence"),
    ("SKCK", "B", "SKCK", "Police clearance"),
    ("LOST_ITEM", "C", "Surat Kehilangan", "Lost-item letter"),
]


def make_site(conn, timezone="Asia/Jakarta", services=None, counters=None, officers=6, code=None,
              service_options=None):
    """A site of its own for one test, open around the clock unless
    ``service_options`` (per service code) says otherwise. Returns its code."""
    from services.documents.seed import seed_site
    from services.queue import catalog

    code = code or f"t-{uuid.uuid4().hex[:10]}"
    services = services or STANDARD_SERVICES
    service_options = service_options or {}
    codes = [s[0] for s in services]
    counters = counters if counters is not None else [(n, f"Loket {n}", codes) for n in range(1, 7)]
    with conn.cursor(row_factory=dict_row) as cur:
        site_id = catalog.upsert_site(cur, code, f"Test {code}", timezone)
        for order, (service_code, prefix, name, name_en) in enumerate(services):
            catalog.upsert_service(cur, site_id, service_code, prefix, name, name_en, sort_order=order,
                                   **service_options.get(service_code, {}))
        for number, name, allowed in counters:
            catalog.upsert_counter(cur, site_id, number, name, allowed)
        for n in range(1, officers + 1):
            catalog.upsert_officer(cur, site_id, f"petugas{n}", "officer", TEST_PASSWORD)
        catalog.upsert_officer(cur, site_id, "admin", "admin", TEST_PASSWORD)
        # The documents service's application types for the site (its own schema).
        seed_site(cur, code, timezone)
    conn.commit()
    return code
