"""PostgreSQL access for nameko services: one pool per service process.

Modelled on nameko-sqlalchemy's ``Database``: the pool is made in ``setup()``,
each worker gets the pool, and a worker's connection goes back to the pool when
its ``with db.transaction()`` block ends (committed, or rolled back on error).
"""
import contextlib
import logging

import psycopg
import psycopg.waiting
from nameko.extensions import DependencyProvider
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)


def check_green_wait():
    """Fail loudly when psycopg would block the eventlet hub (see shared/__init__)."""
    if psycopg.waiting.wait is not psycopg.waiting.wait_select:
        raise RuntimeError(
            "psycopg was imported before shared set PSYCOPG_WAIT_FUNC=wait_select; "
            "queries would block every greenthread of this process"
        )


class Postgres:
    """What a worker sees: transactions on pooled connections with dict rows."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    @contextlib.contextmanager
    def transaction(self):
        with self.pool.connection() as conn:
            # The pool commits on a clean exit and rolls back on an exception.
            yield conn.cursor(row_factory=dict_row)

    def ping(self):
        with self.transaction() as cur:
            cur.execute("SELECT 1 AS ok")
            return cur.fetchone()["ok"] == 1


def make_pool(url, min_size=1, max_size=10, name="ptsp"):
    return ConnectionPool(
        url, min_size=min_size, max_size=max_size, open=False, name=name,
        kwargs={"autocommit": False, "connect_timeout": 5, "application_name": name},
        # A connection broken by a database restart is replaced, not handed out.
        check=ConnectionPool.check_connection,
    )


class Database(DependencyProvider):
    def __init__(self, max_size=10):
        self.max_size = max_size
        self.pool = None

    def setup(self):
        check_green_wait()
        self.pool = make_pool(
            self.container.config["DATABASE_URL"], max_size=self.max_size,
            name=self.container.service_name,
        )

    def start(self):
        self.pool.open(wait=False)

    def stop(self):
        if self.pool is not None:
            self.pool.close(timeout=5)

    def kill(self):
        if self.pool is not None:
            self.pool.close(timeout=0)

    def get_dependency(self, worker_ctx):
        return Postgres(self.pool)
