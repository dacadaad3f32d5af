from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from shared.migrate import upgrade


def recreate_database(url):
    """Drop and create the database named in ``url``, then apply all migrations."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    upgrade(url)
