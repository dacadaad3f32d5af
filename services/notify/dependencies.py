"""The notify service's own resources for nameko: its settings and channels, built
once per process. The worker gets a :class:`NotifyKit`; the entrypoints make an
:class:`~services.notify.delivery.Outlet` from it with the worker's contact lookup
(the owners' RPC proxies) and metrics (docs/notify.md, "Wiring").

The kit also carries the worker's *after-commit* work: an event handler records its
messages in the consumer kit's transaction, which commits only after the handler
returns (``handle_result``); nameko calls ``worker_result`` after that, so what a
handler hands to :meth:`NotifyKit.after_commit` runs once its messages are
committed, and never when the transaction rolled back."""
import logging

from nameko.extensions import DependencyProvider

from shared.infrastructure.unit_of_work import UnitOfWork, UnitOfWorkFactory, UnitOfWorkProvider, utcnow
from services.notify.channels import build_channels
from services.notify.delivery import Outlet
from services.notify.repository import NotifyRepositories
from services.notify.settings import NotifySettings, notify_settings

SCHEMA = "notify"
ACTOR = "notify"


class NotifyStore(UnitOfWorkProvider):
    """The notify schema. Notify journals nothing and publishes no events: its units
    of work are transactions with the repositories (services/notify/repository.py).
    ``self.store(site)`` for one site's work; ``self.store(None)`` for the sweep, which
    crosses sites."""

    def __init__(self):
        super().__init__(SCHEMA, NotifyRepositories)


def store_on(database) -> UnitOfWorkFactory:
    """Units of work over any database with ``transaction()`` (the tests' pool)."""
    return UnitOfWorkFactory(database, SCHEMA, NotifyRepositories)


def unit_of_work_on(tx, site_code) -> UnitOfWork:
    """A unit of work on the consumer kit's transaction (the kit commits it together
    with the processed event's id)."""
    return UnitOfWork(tx, SCHEMA, NotifyRepositories, site_code, utcnow(), ACTOR)

log = logging.getLogger(__name__)


class NotifyKit:
    def __init__(self, settings: NotifySettings, channels: dict):
        self.settings, self.channels = settings, channels
        self.pending = []

    @property
    def turn_near(self):
        return self.settings.turn_near

    @property
    def head_start_s(self) -> int:
        return self.settings.PRIORITY_HEAD_START_S

    def outlet(self, lookup, metrics=None) -> Outlet:
        return Outlet.from_settings(self.settings, self.channels, lookup, metrics)

    def after_commit(self, work):
        """Run ``work()`` once the worker's transaction has committed."""
        self.pending.append(work)


class Notify(DependencyProvider):
    """Validated NOTIFY_* settings (a bad channel list fails the start, not the first
    send), the configured channels, and the after-commit work of each worker."""

    def setup(self):
        self.settings = notify_settings(self.container.config)
        self.channels = build_channels(self.settings)
        self.kits = {}

    def get_dependency(self, worker_ctx):
        kit = self.kits[worker_ctx] = NotifyKit(self.settings, self.channels)
        return kit

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        kit = self.kits.get(worker_ctx)
        if kit is None or exc_info is not None:
            return
        for work in kit.pending:
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - what is recorded stays for the sweep
                log.warning("notify: sending after commit failed (%s); the sweep sends it", type(exc).__name__)

    def worker_teardown(self, worker_ctx):
        self.kits.pop(worker_ctx, None)
