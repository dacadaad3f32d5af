"""PostgreSQL access for nameko services: one pool per service process.

Modelled on nameko-sqlalchemy's ``Database``: the pool is made in ``setup()``,
each worker gets the pool, and a worker's connection goes back to the pool when
its ``with db.transaction()`` block ends (committed, or rolled back on error).
"""
import contextlib
import logging
import time

import psycopg
import psycopg.waiting
from nameko.extensions import DependencyProvider
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from shared.contracts.errors import Unavailable
from shared.infrastructure.rpc import deadline_of

log = logging.getLogger(__name__)


def check_green_wait():
    """Fail loudly when psycopg would block the eventlet hub (see shared/__init__)."""
    if psycopg.waiting.wait is not psycopg.waiting.wait_select:
        raise RuntimeError(
            "psycopg was imported before shared set PSYCOPG_WAIT_FUNC=wait_select; "
            "queries would block every greenthread of this process"
        )


# How long a worker waits for a pooled connection (psycopg_pool's default is 30 s):
# with PostgreSQL down the caller gets 503 well within its 2 s budget instead of
# hanging. The pool is as large as the process's workers, so in normal operation
# nobody waits for a connection and this only ever times out in an outage.
GETCONN_TIMEOUT_S = 0.5
# How long the pool keeps retrying one lost connection in the background before it
# gives up; the next request that needs one starts a new attempt.
RECONNECT_TIMEOUT_S = 5.0


class Postgres:
    """What a worker sees: transactions on pooled connections with dict rows.

    PostgreSQL unreachable (or restarting) becomes ``Unavailable`` (503). A worker
    serving a request with a deadline (shared.infrastructure.rpc) refuses to commit after it: its
    caller has answered 503 and must not see the command carried out later."""

    def __init__(self, pool: ConnectionPool, deadline=None):
        self.pool = pool
        self.deadline = deadline

    @contextlib.contextmanager
    def transaction(self):
        try:
            with self.pool.connection(timeout=GETCONN_TIMEOUT_S) as conn:
                # The pool commits on a clean exit and rolls back on an exception.
                cur = conn.cursor(row_factory=dict_row)
                yield cur
                if self.deadline is not None and time.time() > self.deadline and wrote(cur):
                    log.warning("rolled back: the caller's deadline passed before the commit")
                    raise Unavailable()
        except (PoolTimeout, psycopg.OperationalError) as exc:
            log.warning("postgres unavailable: %s", type(exc).__name__)
            raise Unavailable() from None

    def ping(self):
        with self.transaction() as cur:
            cur.execute("SELECT 1 AS ok")
            return cur.fetchone()["ok"] == 1


def wrote(cur):
    """Whether the transaction changed anything (PostgreSQL assigns a transaction id
    at the first write); a late read-only transaction may still answer."""
    cur.execute("SELECT txid_current_if_assigned() IS NOT NULL AS wrote")
    return cur.fetchone()["wrote"]


def make_pool(url, min_size=1, max_size=10, name="ptsp"):
    return ConnectionPool(
        url, min_size=min_size, max_size=max_size, open=False, name=name,
        kwargs={"autocommit": False, "connect_timeout": 5, "application_name": name},
        timeout=GETCONN_TIMEOUT_S, reconnect_timeout=RECONNECT_TIMEOUT_S,
        # A connection broken by a database restart is replaced, not handed out.
        check=ConnectionPool.check_connection,
    )


class Database(DependencyProvider):
    def __init__(self, max_size=None):
        self.max_size = max_size
        self.pool = None

    def setup(self):
        check_green_wait()
        self.pool = make_pool(
            self.container.config["DATABASE_URL"],
            max_size=self.max_size or int(self.container.config.get("max_workers") or 10),
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
        return Postgres(self.pool, deadline_of(worker_ctx.context_data))
