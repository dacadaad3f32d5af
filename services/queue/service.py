"""Queue service entrypoints: translate RPC calls into use cases, nothing more."""
import logging

from nameko.timer import timer

from shared.infrastructure.config import SettingsProvider
from shared.contracts.errors import Unavailable
from shared.infrastructure.metrics import Metrics
from shared.infrastructure.rpc import rpc
from services.queue import access, admin, display, handlers, monitoring, reports, views
from services.queue import repository as repo
from services.queue.commands import (
    CompleteTicket, CounterSettings, IssueForStep, IssueTicket, NewCounter, NewKiosk, NewOfficer, NewService,
    OfficerSettings, OpenCounter, ReportPeriod, RunningText, ServiceSettings, SubmitSurvey, TransferTicket, parse,
)
from services.queue.dependencies import DisplayProjection, QueueMetrics, QueueStore

log = logging.getLogger(__name__)


class QueueService:
    name = "queue"

    uow = QueueStore()
    display = DisplayProjection()
    metrics = Metrics(QueueMetrics)
    settings = SettingsProvider()

    # --- anyone -------------------------------------------------------------

    @rpc
    def health(self):
        with self.uow.cursor() as cur:
            return {"postgres": "ok" if repo.ping(cur) else "down"}

    @rpc
    def site_info(self, site):
        with self.uow.read(site) as uow:
            return {key: uow.site[key] for key in ("code", "name", "timezone", "running_text")}

    @rpc
    def list_services(self, site):
        with self.uow.read(site) as uow:
            return views.list_services(uow)

    @rpc
    def get_ticket(self, site, ticket_id):
        with self.uow.read(site) as uow:
            return views.ticket_view(uow, ticket_id)

    @rpc
    def display_state(self, site):
        """The display state rebuilt from PostgreSQL (and stored in Redis)."""
        state = self.display.refresh(self.uow, site)
        if state is None:  # Redis is down: still answer from the record
            with self.uow.read(site) as uow:
                state = display.build_state(uow)
        return state

    # --- kiosk and citizen ------------------------------------------------------

    @rpc
    def issue_ticket(self, site, request, idempotency_key=None, kiosk_key=None):
        """The new (or, for a retried ``idempotency_key``, the same) ticket with its
        ``access_key``. ``kiosk_key``, when given, must be a registered kiosk's (401)."""
        command = parse(IssueTicket, request)
        with self.uow(site, actor="kiosk") as uow:
            if kiosk_key is not None:
                uow.actor = "kiosk:" + access.kiosk_by_key(uow, kiosk_key)["name"]
            ticket_id, _created = handlers.issue_ticket(uow, command, idempotency_key)
        with self.uow.read(site) as uow:
            return views.ticket_view(uow, ticket_id, with_access_key=True)

    @rpc
    def cancel_ticket(self, site, ticket_id, access_key=None):
        with self.uow(site, actor="citizen") as uow:
            handlers.cancel_ticket(uow, ticket_id, access_key)
        return self.get_ticket(site, ticket_id)

    @rpc
    def submit_survey(self, site, ticket_id, access_key, request, language="id"):
        """The holder's satisfaction survey of a completed ticket, once (SKM);
        ``language``: the one the citizen answered in (kept with the answer)."""
        command = parse(SubmitSurvey, request)
        if language not in ("id", "en"):
            language = "id"
        with self.uow(site, actor="citizen") as uow:
            handlers.submit_survey(uow, ticket_id, access_key, command, language)
        return {"ticket_id": str(ticket_id), "submitted": True}

    # --- the supervisor's reports ---------------------------------------------------

    @rpc
    def report_summary(self, site, request=None):
        """The report over ``{"from", "to"}`` (the site's local days; services/queue/reports.py)."""
        command = parse(ReportPeriod, request)
        with self.uow.read(site) as uow:
            date_from, date_to = handlers.report_period(uow, command)
            return reports.summary(uow, date_from, date_to)

    # --- other services -------------------------------------------------------------

    @rpc
    def issue_for_step(self, site, request, actor):
        """A ticket issued by another service (``actor``, e.g. "documents") on the
        citizen's behalf; journaled with that service as actor."""
        command = parse(IssueForStep, request)
        with self.uow(site, actor=actor) as uow:
            ticket_id, _created = handlers.issue_for_step(uow, command)
        return self.get_ticket(site, ticket_id)

    @rpc
    def cancel_step_ticket(self, site, ticket_id, actor):
        """Withdraw a ticket that ``actor`` (e.g. "documents") issued for a step, when
        its application is cancelled; journaled with that service as actor. None when
        the ticket had already finished."""
        with self.uow(site, actor=actor) as uow:
            cancelled = handlers.cancel_step_ticket(uow, ticket_id)
        return None if cancelled is None else self.get_ticket(site, ticket_id)

    @rpc
    def ticket_contact(self, site, ticket_id, actor):
        """The holder's contact and language, for the notify service at send time.
        Every read is journaled with the asking service as actor."""
        with self.uow(site, actor=actor) as uow:
            return handlers.ticket_contact(uow, ticket_id)

    # --- officers and sessions ----------------------------------------------------

    @rpc
    def login(self, site, username, password, client_address=None):
        """Check the password (off the event loop) under the lockout, and open a
        session: ``{"username", "role", "full_name", "session", "expires_at"}``; the
        session secret goes into the token and is stored only as a hash."""
        return access.login(self.uow, site, self.settings, username, password, client_address)

    @rpc
    def session_officer(self, site, session):
        """``{"username", "role"}`` of a live session; 401 when it ended or never was."""
        with self.uow.read(site) as uow:
            return access.session_officer(uow, session)

    @rpc
    def logout(self, site, session):
        with self.uow(site) as uow:
            return {"ended": access.end_session(uow, session)}

    @rpc
    def list_counters(self, site):
        with self.uow.read(site) as uow:
            return views.counters(uow)

    @rpc
    def counter_detail(self, site, counter):
        with self.uow.read(site) as uow:
            return views.counter(uow, counter)

    @rpc
    def open_counter(self, site, counter, request, officer):
        command = parse(OpenCounter, request)
        with self.uow(site, actor=officer) as uow:
            handlers.open_counter(uow, counter, command, officer)
        return self.counter_detail(site, counter)

    @rpc
    def close_counter(self, site, counter, officer, role="officer"):
        with self.uow(site, actor=officer) as uow:
            handlers.close_counter(uow, counter, officer, role)
        return self.counter_detail(site, counter)

    @rpc
    def take_over_counter(self, site, counter, actor, role):
        with self.uow(site, actor=actor) as uow:
            handlers.take_over_counter(uow, counter, actor, role)
        return self.counter_detail(site, counter)

    @rpc
    def call_next(self, site, counter, officer):
        with self.uow(site, actor=officer) as uow:
            ticket_id = handlers.call_next(uow, counter, officer)
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

    @rpc
    def undo(self, site, counter, officer):
        return self._act(handlers.undo, site, counter, officer)

    @rpc
    def free_counter(self, site, counter, actor, role):
        with self.uow(site, actor=actor) as uow:
            handlers.free_counter(uow, counter, actor, role)
        return self.counter_detail(site, counter)

    @rpc
    def retire_counter(self, site, counter, actor, role, retired=True):
        with self.uow(site, actor=actor) as uow:
            handlers.retire_counter(uow, counter, actor, role, retired)
        return self.counter_detail(site, counter)

    def _act(self, handler, site, counter, officer, *args):
        with self.uow(site, actor=officer) as uow:
            ticket_id = handler(uow, counter, officer, *args)
        return self.get_ticket(site, ticket_id)

    # --- the supervisor's catalog -------------------------------------------------

    @rpc
    def admin_services(self, site):
        with self.uow.read(site) as uow:
            return admin.list_services(uow)

    @rpc
    def create_service(self, site, request, actor):
        return self._change_catalog(admin.create_service, site, actor, parse(NewService, request))

    @rpc
    def update_service(self, site, code, request, actor):
        return self._change_catalog(admin.update_service, site, actor, code, parse(ServiceSettings, request))

    @rpc
    def admin_counters(self, site):
        with self.uow.read(site) as uow:
            return [admin.counter_admin_view(row) for row in uow.counters.rows()]

    @rpc
    def create_counter(self, site, request, actor):
        return self._change_catalog(admin.create_counter, site, actor, parse(NewCounter, request))

    @rpc
    def update_counter(self, site, counter, request, actor):
        return self._change_catalog(admin.update_counter, site, actor, counter, parse(CounterSettings, request))

    @rpc
    def admin_officers(self, site):
        with self.uow.read(site) as uow:
            return admin.list_officers(uow)

    @rpc
    def create_officer(self, site, request, actor, actor_role):
        return self._change_catalog(admin.create_officer, site, actor, parse(NewOfficer, request), actor_role)

    @rpc
    def update_officer(self, site, username, request, actor, actor_role):
        return self._change_catalog(admin.update_officer, site, actor, username, parse(OfficerSettings, request),
                                    actor_role)

    @rpc
    def admin_kiosks(self, site):
        with self.uow.read(site) as uow:
            return access.list_kiosks(uow)

    @rpc
    def register_kiosk(self, site, request, actor):
        """A new kiosk with its ``key``: the only time the key is shown."""
        command = parse(NewKiosk, request)
        with self.uow(site, actor=actor) as uow:
            return access.register_kiosk(uow, command.name)

    @rpc
    def revoke_kiosk(self, site, kiosk_id, actor):
        with self.uow(site, actor=actor) as uow:
            return access.revoke_kiosk(uow, kiosk_id)

    @rpc
    def set_running_text(self, site, request, actor):
        return self._change_catalog(admin.set_running_text, site, actor, parse(RunningText, request))

    def _change_catalog(self, handler, site, actor, *args):
        with self.uow(site, actor=actor) as uow:
            result = handler(uow, *args)
        self.display.refresh(self.uow, site)  # names, running text and the version shown on the boards
        return result

    # --- housekeeping -----------------------------------------------------------

    @timer(interval=5, expected_exceptions=Unavailable)  # PostgreSQL down: try again in 5 s
    def reconcile_displays(self):
        """Close yesterday's leftovers, put back a display state Redis lost (flush,
        restart) or missed (a process died between commit and refresh), and roll
        the boards over at local midnight."""
        with self.uow.cursor() as cur:
            sites = repo.all_sites(cur)
            monitoring.sample(cur, self.metrics)  # outbox lag, targets, oldest waits
        for site in sites:
            with self.uow(site["code"], actor="system") as uow:
                handlers.close_previous_days(uow)
                day = handlers.today(uow).isoformat()
            if uow.events:
                continue  # the unit of work has just refreshed the boards
            try:
                current = self.display.load(site["code"])
            except Exception as exc:  # noqa: BLE001
                log.warning("display reconcile: redis unavailable: %s", type(exc).__name__)
                return
            if current is None or current["version"] != site["version"] or current["day"] != day:
                state = self.display.refresh(self.uow, site["code"])
                if state is not None:
                    self.metrics.set_queue_lengths(state)
                    self.metrics.display_current(site["code"])
            else:
                self.metrics.display_current(site["code"])  # the boards show the current state
