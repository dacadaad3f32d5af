"""Seed the demo site's application types: ``python -m services.documents.seed``.

Copies the default types (services/documents/catalog.py) into the documents schema
for the demo site; running it again resets them to the defaults. Production seeds
nothing.
"""
import sys

import psycopg
from psycopg.rows import dict_row

from shared.infrastructure.config import load_settings
from services.documents import catalog
from services.documents.repository import upsert_site, upsert_type

DEMO_SITE = ("polres-demo", "Asia/Jakarta")


def seed_site(cur, code, timezone, types=catalog.DEFAULT_TYPES):
    upsert_site(cur, code, timezone)
    for order, kind in enumerate(types):
        upsert_type(cur, code, kind, sort_order=order)


def main():
    settings = load_settings()
    if settings.production:
        print("PTSP_MODE=production: nothing seeded")
        return 0
    with psycopg.connect(settings.DATABASE_URL, row_factory=dict_row) as conn:
        with conn.cursor() as cur:
            seed_site(cur, *DEMO_SITE)
    print(f"demo site {DEMO_SITE[0]}: application types {', '.join(t.code for t in catalog.DEFAULT_TYPES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
