"""Creating and changing a site's catalog: services, counters, officers, the
running text. The catalog's SQL, used by the seed command, the supervisor's use
cases (admin.py) and the tests' site factory."""
from psycopg import errors as pg_errors

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


def save_service_unless_prefix_taken(cur, site_id, code, **values) -> bool:
    """Upsert a service; False (and nothing changed) when its prefix is taken."""
    try:
        with cur.connection.transaction():  # a savepoint: a clash must not poison the transaction
            upsert_service(cur, site_id, code, **values)
    except pg_errors.UniqueViolation:
        return False
    return True


def set_running_text(cur, site_id, text):
    cur.execute("UPDATE queue.sites SET running_text = %s WHERE id = %s", (text, site_id))


class Catalog:
    """The catalog writes of one site, as the supervisor's use cases see them."""

    def __init__(self, cur, site_id):
        self.cur, self.site_id = cur, site_id

    def save_service(self, code, **values) -> bool:
        return save_service_unless_prefix_taken(self.cur, self.site_id, code, **values)

    def save_counter(self, number, name, services):
        upsert_counter(self.cur, self.site_id, number, name, services)

    def add_officer(self, username, role, password, full_name=""):
        upsert_officer(self.cur, self.site_id, username, role, password, full_name)

    def set_running_text(self, text):
        set_running_text(self.cur, self.site_id, text)


def upsert_kiosk(cur, site_id, name, key, created_by="seed"):
    """Register (or re-key) a kiosk; only the key's hash is kept."""
    from services.queue.access import digest

    cur.execute(
        """INSERT INTO queue.kiosks (site_id, name, key_hash, created_by, created_at)
           VALUES (%s, %s, %s, %s, now())
           ON CONFLICT (site_id, name) DO UPDATE SET key_hash = EXCLUDED.key_hash, revoked_at = NULL""",
        (site_id, name, digest(key), created_by))
