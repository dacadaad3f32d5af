"""Queue service entrypoints: translate RPC calls into handler calls, nothing more."""
import logging

from nameko.rpc import rpc as nameko_rpc
from nameko.timer import timer

import shared.rpc_errors  # noqa: F401 - errors cross RPC as themselves
from shared.config import SettingsProvider
from shared.errors import PtspError, TooManyRequests
from shared.metrics import Metrics
from shared.outbox import OutboxRelay
from shared.postgres import Database
from shared.redis_store import Redis
from services.queue import access, admin, display, handlers, passwords
from services.queue import repository as repo
from services.queue.commands import (
    CompleteTicket, CounterSettings, IssueTicket, NewCounter, NewKiosk, NewOfficer, NewService, OfficerSettings,
    OpenCounter, RunningText, ServiceSettings, TransferTicket, parse,
)
from services.queue.dependencies import QueueMetrics, UnitOfWork

log = logging.getLogger(__name__)

# Refusals (bad input, closed service, wrong counter…) are answers, not failures:
# nameko logs them as expected instead of as errors.
rpc = nameko_rpc(expected_exceptions=PtspError)


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
    def issue_ticket(self, site, request, idempotency_key=None, kiosk_key=None):
        """The new (or, for a retried ``idempotency_key``, the same) ticket with its
        ``access_key``. ``kiosk_key``, when given, must be a registered kiosk's (401)."""
        command = parse(IssueTicket, request)
        with self.uow(site, actor="kiosk") as (cur, ctx):
            if kiosk_key is not None:
                ctx.actor = "kiosk:" + access.kiosk_by_key(cur, ctx, kiosk_key)["name"]
            ticket_id, _created = handlers.issue_ticket(cur, ctx, command, idempotency_key)
            view = handlers.ticket_view(cur, ctx, ticket_id)
            view["access_key"] = access.ticket_access_key(ctx.secret, repo.ticket_row(cur, ctx.site_id, ticket_id))
        return view

    @rpc
    def cancel_ticket(self, site, ticket_id, access_key=None):
        with self.uow(site, actor="citizen") as (cur, ctx):
            handlers.cancel_ticket(cur, ctx, ticket_id, access_key)
        return self.get_ticket(site, ticket_id)

    # --- officers and sessions ----------------------------------------------------

    @rpc
    def login(self, site, username, password, client_address=None):
        """Check the password (off the event loop) under the lockout, and open a
        session: ``{"username", "role", "full_name", "session", "expires_at"}``; the
        session secret goes into the token and is stored only as a hash."""
        username = (username or "").strip().lower()
        if passwords.busy():  # before counting: a refusal for load is nobody's failure
            raise TooManyRequests("Server sedang sibuk memeriksa kata sandi. Coba lagi sebentar lagi.",
                                  "The server is busy checking passwords. Try again in a moment.",
                                  {"password": "server busy; try again in 1 s"}, code="login_busy", retry_after=1)
        policy = access.LoginPolicy(self.settings.LOGIN_MAX_FAILURES, self.settings.LOGIN_ADDRESS_MAX_FAILURES,
                                    self.settings.LOGIN_LOCK_S, self.settings.LOGIN_LOCK_MAX_S)
        with self.uow(site) as (cur, ctx):
            refused = access.admit_login(cur, ctx, policy, username, client_address)  # counted, committed
            officer = repo.officer_by_username(cur, ctx.site_id, username)
        if refused:
            raise refused
        ok = passwords.verify_password(officer["password_hash"] if officer else passwords.UNKNOWN_USER_HASH,
                                       password or "")
        if not (ok and officer["active"]):
            raise handlers.wrong_login()
        with self.uow(site) as (cur, ctx):
            # The account as it is now, locked against a concurrent change: a password
            # changed or an account deactivated while we checked gets no session.
            current = repo.officer_by_username(cur, ctx.site_id, username, lock=True)
            if current is None or current["password_hash"] != officer["password_hash"] or not current["active"]:
                raise handlers.wrong_login()
            access.login_succeeded(cur, ctx, username, client_address)
            secret, expires = access.open_session(cur, ctx, current["id"], self.settings.TOKEN_TTL_S)
        return {"username": current["username"], "role": current["role"], "full_name": current["full_name"],
                "session": secret, "expires_at": expires.isoformat()}

    @rpc
    def session_officer(self, site, session):
        """``{"username", "role"}`` of a live session; 401 when it ended or never was."""
        with self.uow(site) as (cur, ctx):
            return access.session_officer(cur, ctx, session)

    @rpc
    def logout(self, site, session):
        with self.uow(site) as (cur, ctx):
            return {"ended": access.end_session(cur, ctx, session)}

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
    def close_counter(self, site, counter, officer, role="officer"):
        with self.uow(site, actor=officer) as (cur, ctx):
            handlers.close_counter(cur, ctx, counter, officer, role)
        return self.counter_detail(site, counter)

    @rpc
    def take_over_counter(self, site, counter, actor, role):
        with self.uow(site, actor=actor) as (cur, ctx):
            handlers.take_over_counter(cur, ctx, counter, actor, role)
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
    def admin_kiosks(self, site):
        with self.uow(site) as (cur, ctx):
            return access.list_kiosks(cur, ctx)

    @rpc
    def register_kiosk(self, site, request, actor):
        """A new kiosk with its ``key``: the only time the key is shown."""
        command = parse(NewKiosk, request)
        with self.uow(site, actor=actor) as (cur, ctx):
            return access.register_kiosk(cur, ctx, command.name, actor)

    @rpc
    def revoke_kiosk(self, site, kiosk_id, actor):
        with self.uow(site, actor=actor) as (cur, ctx):
            return access.revoke_kiosk(cur, ctx, kiosk_id, actor)

    @rpc
    def set_running_text(self, site, request, actor):
        return self._change_catalog(admin.set_running_text, site, parse(RunningText, request), actor)

    def _change_catalog(self, handler, site, *args):
        with self.uow(site, actor="supervisor") as (cur, ctx):
            result = handler(cur, ctx, *args)  # the handler journals the acting officer
        self.uow.refresh_display(site)  # names, running text and the version shown on the boards
        return result

    # --- housekeeping -----------------------------------------------------------

    @timer(interval=5)
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
