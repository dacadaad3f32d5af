"""Queue service entrypoints: translate RPC calls into handler calls, nothing more."""
import logging

from nameko.timer import timer

from shared.config import SettingsProvider
from shared.errors import Unavailable
from shared.metrics import Metrics
from shared.outbox import OutboxRelay
from shared.postgres import Database
from shared.redis_store import Redis
from shared.rpc import rpc
from services.queue import admin, display, handlers
from services.queue import repository as repo
from services.queue.commands import (
    CompleteTicket, CounterSettings, IssueTicket, NewCounter, NewOfficer, NewService, OfficerSettings, OpenCounter,
    RunningText, ServiceSettings, TransferTicket, parse,
)
from services.queue.dependencies import QueueMetrics, UnitOfWork

log = logging.getLogger(__name__)



class QueueService:
    name = "queue"

    db = Database()
    redis = Redis()
    metrics = Metrics(QueueMetrics)
    settings = SettingsProvider()
    outbox_relay = OutboxRelay("queue")

    @property
    def uow(self):
        return UnitOfWork(self.db, self.redis, self.metrics, self.settings)

    # --- anyone -------------------------------------------------------------

    @rpc
    def health(self):
        return {"postgres": "ok" if self.db.ping() else "down"}

    @rpc
    def site_info(self, site):
        with self.uow(site) as (_cur, ctx):
            return {key: ctx.site[key] for key in ("code", "name", "timezone", "running_text")}

    @rpc
    def list_services(self, site):
        with self.uow(site) as (cur, ctx):
            return handlers.list_services(cur, ctx)

    @rpc
    def get_ticket(self, site, ticket_id):
        with self.uow(site) as (cur, ctx):
            return handlers.ticket_view(cur, ctx, ticket_id)

    @rpc
    def display_state(self, site):
        """The display state rebuilt from PostgreSQL (and stored in Redis)."""
        state = self.uow.refresh_display(site)
        if state is None:  # Redis is down: still answer from the record
            with self.uow(site) as (cur, ctx):
                state = display.build_state(cur, ctx)
        return state

    # --- kiosk and citizen ------------------------------------------------------

    @rpc
    def issue_ticket(self, site, request, idempotency_key=None):
        command = parse(IssueTicket, request)
        with self.uow(site, actor="kiosk") as (cur, ctx):
            ticket_id, _created = handlers.issue_ticket(cur, ctx, command, idempotency_key)
        return self.get_ticket(site, ticket_id)

    @rpc
    def cancel_ticket(self, site, ticket_id):
        with self.uow(site, actor="citizen") as (cur, ctx):
            handlers.cancel_ticket(cur, ctx, ticket_id)
        return self.get_ticket(site, ticket_id)

    # --- officers -------------------------------------------------------------

    @rpc
    def authenticate(self, site, username, password):
        with self.uow(site) as (cur, ctx):
            return handlers.authenticate(cur, ctx, username, password)

    @rpc
    def list_counters(self, site):
        with self.uow(site) as (cur, ctx):
            return [handlers.counter_view(cur, ctx, row) for row in repo.counter_rows(cur, ctx.site_id)]

    @rpc
    def counter_detail(self, site, counter):
        with self.uow(site) as (cur, ctx):
            return handlers.counter_view(cur, ctx, repo.counter_row(cur, ctx.site_id, counter), with_queues=True)

    @rpc
    def open_counter(self, site, counter, request, officer):
        command = parse(OpenCounter, request)
        with self.uow(site, actor=officer) as (cur, ctx):
            handlers.open_counter(cur, ctx, counter, command, officer)
        return self.counter_detail(site, counter)

    @rpc
    def close_counter(self, site, counter, officer):
        with self.uow(site, actor=officer) as (cur, ctx):
            handlers.close_counter(cur, ctx, counter, officer)
        return self.counter_detail(site, counter)

    @rpc
    def call_next(self, site, counter, officer):
        with self.uow(site, actor=officer) as (cur, ctx):
            ticket_id = handlers.call_next(cur, ctx, counter, officer)
        return None if ticket_id is None else self.get_ticket(site, ticket_id)

    @rpc
    def recall(self, site, counter, officer):
        return self._act(handlers.recall, site, counter, officer)

    @rpc
    def start(self, site, counter, officer):
        return self._act(handlers.start, site, counter, officer)

    @rpc
    def no_show(self, site, counter, officer):
        return self._act(handlers.no_show, site, counter, officer)

    @rpc
    def complete(self, site, counter, officer, request=None):
        return self._act(handlers.complete, site, counter, officer, parse(CompleteTicket, request))

    @rpc
    def transfer(self, site, counter, officer, request):
        return self._act(handlers.transfer, site, counter, officer, parse(TransferTicket, request))

    def _act(self, handler, site, counter, officer, *args):
        with self.uow(site, actor=officer) as (cur, ctx):
            ticket_id = handler(cur, ctx, counter, officer, *args)
        return self.get_ticket(site, ticket_id)

    # --- the supervisor's catalog -------------------------------------------------

    @rpc
    def admin_services(self, site):
        with self.uow(site) as (cur, ctx):
            return admin.list_services(cur, ctx)

    @rpc
    def create_service(self, site, request, actor):
        return self._change_catalog(admin.create_service, site, parse(NewService, request), actor)

    @rpc
    def update_service(self, site, code, request, actor):
        return self._change_catalog(admin.update_service, site, code, parse(ServiceSettings, request), actor)

    @rpc
    def admin_counters(self, site):
        with self.uow(site) as (cur, ctx):
            return [admin.counter_admin_view(row) for row in repo.counter_rows(cur, ctx.site_id)]

    @rpc
    def create_counter(self, site, request, actor):
        return self._change_catalog(admin.create_counter, site, parse(NewCounter, request), actor)

    @rpc
    def update_counter(self, site, counter, request, actor):
        return self._change_catalog(admin.update_counter, site, counter, parse(CounterSettings, request), actor)

    @rpc
    def admin_officers(self, site):
        with self.uow(site) as (cur, ctx):
            return admin.list_officers(cur, ctx)

    @rpc
    def create_officer(self, site, request, actor, actor_role):
        return self._change_catalog(admin.create_officer, site, parse(NewOfficer, request), actor, actor_role)

    @rpc
    def update_officer(self, site, username, request, actor, actor_role):
        return self._change_catalog(admin.update_officer, site, username, parse(OfficerSettings, request), actor,
                                    actor_role)

    @rpc
    def set_running_text(self, site, request, actor):
        return self._change_catalog(admin.set_running_text, site, parse(RunningText, request), actor)

    def _change_catalog(self, handler, site, *args):
        with self.uow(site, actor="supervisor") as (cur, ctx):
            result = handler(cur, ctx, *args)  # the handler journals the acting officer
        self.uow.refresh_display(site)  # names, running text and the version shown on the boards
        return result

    # --- housekeeping -----------------------------------------------------------

    @timer(interval=5, expected_exceptions=Unavailable)  # PostgreSQL down: try again in 5 s
    def reconcile_displays(self):
        """Close yesterday's leftovers, put back a display state Redis lost (flush,
        restart) or missed (a process died between commit and refresh), and roll
        the boards over at local midnight."""
        with self.db.transaction() as cur:
            cur.execute(
                """SELECT s.code, COALESCE((SELECT j.id FROM queue.journal j WHERE j.site_id = s.id
                                            ORDER BY j.id DESC LIMIT 1), 0) AS version
                   FROM queue.sites s""")
            sites = cur.fetchall()
            cur.execute("SELECT count(*) AS n FROM queue.outbox WHERE published_at IS NULL")
            self.metrics.outbox_pending.set(cur.fetchone()["n"])
        store = display.DisplayStore(self.redis, self.settings.REDIS_NAMESPACE)
        for site in sites:
            with self.uow(site["code"], actor="system") as (cur, ctx):
                handlers.close_previous_days(cur, ctx)
                today = ctx.today.isoformat()
            if ctx.events:
                continue  # the unit of work has just refreshed the boards
            try:
                current = store.load(site["code"])
            except Exception as exc:  # noqa: BLE001
                log.warning("display reconcile: redis unavailable: %s", type(exc).__name__)
                return
            if current is None or current["version"] != site["version"] or current["day"] != today:
                self.uow.refresh_display(site["code"])
