"""Creating and changing a site's catalog: services, counters, officers.
Used by the seed command, the supervisor's API and the tests."""

from services.queue.passwords import hash_password


def upsert_site(cur, code, name, timezone, running_text=""):
    cur.execute(
        """INSERT INTO queue.sites (code, name, timezone, running_text) VALUES (%s, %s, %s, %s)
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, timezone = EXCLUDED.timezone
           RETURNING id""", (code, name, timezone, running_text))
    return cur.fetchone()["id"]


def upsert_service(cur, site_id, code, prefix, name, name_en, daily_quota=None, opens_at=None,
                   closes_at=None, open_days=(1, 2, 3, 4, 5, 6, 7), target_wait_s=1800,
                   default_service_s=300, active=True, sort_order=0):
    cur.execute(
        """INSERT INTO queue.services (site_id, code, prefix, name, name_en, daily_quota, opens_at, closes_at,
               open_days, target_wait_s, default_service_s, active, sort_order)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (site_id, code) DO UPDATE SET prefix = EXCLUDED.prefix, name = EXCLUDED.name,
               name_en = EXCLUDED.name_en, daily_quota = EXCLUDED.daily_quota, opens_at = EXCLUDED.opens_at,
               closes_at = EXCLUDED.closes_at, open_days = EXCLUDED.open_days,
               target_wait_s = EXCLUDED.target_wait_s, default_service_s = EXCLUDED.default_service_s,
               active = EXCLUDED.active, sort_order = EXCLUDED.sort_order""",
        (site_id, code, prefix, name, name_en, daily_quota, opens_at, closes_at, list(open_days),
         target_wait_s, default_service_s, active, sort_order))


def upsert_counter(cur, site_id, number, name, services):
    cur.execute(
        """INSERT INTO queue.counters (site_id, number, name, services) VALUES (%s, %s, %s, %s)
           ON CONFLICT (site_id, number) DO UPDATE SET name = EXCLUDED.name, services = EXCLUDED.services""",
        (site_id, number, name, list(services)))


def upsert_officer(cur, site_id, username, role, password, full_name=""):
    cur.execute(
        """INSERT INTO queue.officers (site_id, username, full_name, role, password_hash)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (site_id, username) DO UPDATE SET role = EXCLUDED.role,
               full_name = EXCLUDED.full_name, password_hash = EXCLUDED.password_hash, active = true""",
        (site_id, username, full_name, role, hash_password(password)))


def upsert_kiosk(cur, site_id, name, key, created_by="seed"):
    """Register (or re-key) a kiosk; only the key's hash is kept."""
    from services.queue.access import digest

    cur.execute(
        """INSERT INTO queue.kiosks (site_id, name, key_hash, created_by, created_at)
           VALUES (%s, %s, %s, %s, now())
           ON CONFLICT (site_id, name) DO UPDATE SET key_hash = EXCLUDED.key_hash, revoked_at = NULL""",
        (site_id, name, digest(key), created_by))
