from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from shared.infrastructure.migrate import upgrade


def _admin(url):
    parts = urlsplit(url)
    return parts.path.lstrip("/"), urlunsplit(parts._replace(path="/postgres"))


def drop_database(url):
    name, admin_url = _admin(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def recreate_database(url):
    """Drop and create the database named in ``url``, then apply all migrations."""
    name, admin_url = _admin(url)
    drop_database(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    upgrade(url)
