"""The unit of work: one PostgreSQL transaction of one service, for one site.

A use case sees repositories (``uow.tickets``, ``uow.counters`` …), never a cursor.
The domain objects it loads record what happened to them (``changes``); when a
repository writes one, the unit of work journals each change and writes its event
to the service's outbox in the same transaction; the use case's end commits. After the commit it
runs the hooks the service declared (the display projection, metrics): a failing
hook is logged, never undoes the commit.

A command carries its caller's deadline (shared/infrastructure/rpc.py); the transaction refuses
to commit after it (shared/infrastructure/postgres.py), so a command its caller gave up on is
never carried out later.

``UnitOfWorkProvider`` is the service's PostgreSQL resource: it owns the pool and
hands each worker a factory of units of work. Services subclass nothing here but
declare, in their ``dependencies.py``, which repositories a unit of work opens and
which dependencies are told after a commit.
"""
import contextlib
import logging
from datetime import datetime, timezone
from typing import Callable

from shared.contracts.changes import Change
from shared.contracts.events import Event
from shared.infrastructure.outbox import OutboxRelay, add_event
from shared.infrastructure.postgres import Database

log = logging.getLogger(__name__)


def utcnow():
    return datetime.now(timezone.utc)


class UnitOfWork:
    """One transaction. ``repositories(cur, uow)`` builds the service's repositories;
    ``journal(uow, change)`` writes one journal line (or nothing, for services
    without a journal). Use as a context manager: a clean exit commits."""

    def __init__(self, cursor, schema, repositories, site_code, now, actor, rules=None,
                 journal=None, after_commit=(), outbox=None):
        self.cur = cursor
        self._outbox = outbox or (lambda event: add_event(cursor, schema, event))
        self.schema = schema
        self.site_code = site_code
        self.now = now
        self.actor = actor
        self.rules = rules
        self.events: list[Event] = []
        self._journal = journal
        self._after_commit = list(after_commit)
        self._seen = []
        self.factory = None  # the UnitOfWorkFactory that made it, for after-commit hooks
        self.repos = repositories(cursor, self)
        self.site = self.repos.site() if hasattr(self.repos, "site") else None

    def __getattr__(self, name):
        # uow.tickets, uow.counters … are the repositories'.
        repos = self.__dict__.get("repos")
        if repos is not None and hasattr(repos, name):
            return getattr(repos, name)
        raise AttributeError(name)

    # --- what use cases call ----------------------------------------------------------

    def track(self, aggregate):
        """Repositories call this for every aggregate they hand out or add, so the
        changes it records are collected at commit."""
        if not any(seen is aggregate for seen in self._seen):
            self._seen.append(aggregate)
        return aggregate

    def record(self, change: Change):
        """A change that belongs to no aggregate (catalog edits)."""
        self._flush_one(change)

    def emit(self, event_class, **fields) -> Event:
        event = event_class(site=self.site_code, occurred_at=self.now, **fields)
        self._outbox(event)
        self.events.append(event)
        return event

    # --- commit -------------------------------------------------------------------------

    def flush(self, aggregate):
        """Journal and queue the changes ``aggregate`` recorded; repositories call it
        when they write the aggregate, so the journal follows the order of writes."""
        changes, aggregate.changes = aggregate.changes, []
        for change in changes:
            self._flush_one(change)

    def collect(self):
        """Before commit: a change recorded but never written means a use case forgot
        to save an aggregate; refuse to commit half of it."""
        unsaved = [a for a in self._seen if a.changes]
        if unsaved:
            raise RuntimeError(f"unsaved changes of {len(unsaved)} aggregate(s): "
                               + ", ".join(c.action for a in unsaved for c in a.changes))

    def _flush_one(self, change: Change):
        if self._journal is not None:
            self._journal(self, change)
        if change.event_class is not None:
            self.emit(change.event_class, **change.fields)

    def run_after_commit(self):
        for hook in self._after_commit:
            try:
                hook(self)
            except Exception as exc:  # noqa: BLE001 - the commit stands; hooks repair later
                log.warning("after-commit hook %s failed: %s", getattr(hook, "__qualname__", hook),
                            type(exc).__name__)


class UnitOfWorkProvider(Database):
    """The service's PostgreSQL resource. ``get_dependency`` gives a worker
    ``uow(site, actor=…)``, a context manager yielding a UnitOfWork.

    ``repositories``: a callable (cursor, uow) → object with the repositories as
    attributes (and optionally ``site()``); ``journal``: a callable (uow, change);
    ``after_commit``: names of the service's other dependencies whose
    ``after_commit(uow)`` runs after a commit that raised events; ``rules``: a
    callable (config dict) → the service's rules object; ``publishes_events``: run
    the outbox relay of ``schema`` in this process.
    """

    def __init__(self, schema, repositories, journal=None, after_commit=(), rules=None, publishes_events=False,
                 max_size=None):
        super().__init__(max_size=max_size)
        if publishes_events:
            # The relay that takes the outbox's committed events to RabbitMQ.
            self.outbox_relay = OutboxRelay(schema)
        self.schema = schema
        self.repositories = repositories
        self.journal = journal
        self.after_commit_names = tuple(after_commit)
        self.make_rules = rules

    def setup(self):
        super().setup()
        self.rules = self.make_rules(self.container.config) if self.make_rules else None

    def get_dependency(self, worker_ctx):
        database = super().get_dependency(worker_ctx)
        service = worker_ctx.service
        # Looked up at commit time: nameko injects dependencies in no set order.
        hooks = [_hook(service, name) for name in self.after_commit_names]
        return UnitOfWorkFactory(database, self.schema, self.repositories, self.journal, hooks, self.rules)


def _hook(service, name):
    def after_commit(uow):
        getattr(service, name).after_commit(uow)
    after_commit.__qualname__ = f"{name}.after_commit"
    return after_commit


class UnitOfWorkFactory:
    """What a worker holds: ``with self.uow(site, actor="kiosk") as uow: …``."""

    def __init__(self, database, schema, repositories, journal=None, after_commit=(), rules=None,
                 clock: Callable[[], datetime] = utcnow):
        self.database = database
        self.schema = schema
        self.repositories = repositories
        self.journal = journal
        self.after_commit = list(after_commit)
        self.rules = rules
        self.clock = clock

    @contextlib.contextmanager
    def __call__(self, site_code, actor="system"):
        with self.database.transaction() as cur:
            uow = UnitOfWork(cur, self.schema, self.repositories, site_code, self.clock(), actor, rules=self.rules,
                             journal=self.journal, after_commit=self.after_commit)
            uow.factory = self
            yield uow
            uow.collect()
        if uow.events:
            uow.run_after_commit()

    @contextlib.contextmanager
    def read(self, site_code):
        """A transaction that changes nothing: views and read models."""
        with self.database.transaction() as cur:
            uow = UnitOfWork(cur, self.schema, self.repositories, site_code, self.clock(), "system",
                             rules=self.rules)
            uow.factory = self
            yield uow

    @contextlib.contextmanager
    def cursor(self):
        """A plain transaction for read models that span every site (housekeeping)."""
        with self.database.transaction() as cur:
            yield cur
