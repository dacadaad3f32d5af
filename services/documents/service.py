"""Documents service entrypoints: translate RPC calls and queue events into use
cases, nothing more."""
import base64
import logging

from nameko.timer import timer

from shared.contracts.errors import InvalidInput, Unavailable
from shared.contracts.events import TicketCancelled, TicketCompleted, TicketNoShow, TicketTransferred
from shared.infrastructure.config import SettingsProvider
from shared.infrastructure.consumer import consume
from shared.infrastructure.metrics import Metrics
from shared.infrastructure.rpc import RpcProxy, rpc
from services.documents import handlers, reports
from services.documents import repository as repo
from services.documents.commands import NewApplication, OutcomeDetails, ReportDays, TypeSettings, parse
from services.documents.dependencies import DocumentsMetrics, DocumentsStore, UploadStorage, unit_of_work_on

log = logging.getLogger(__name__)

RPC_TIMEOUT_S = 8
# How often lapsed online registrations (three days without check-in) are closed.
EXPIRY_SWEEP_S = 300


class DocumentsService:
    name = "documents"

    uow = DocumentsStore()
    metrics = Metrics(DocumentsMetrics)
    queue = RpcProxy("queue", timeout=RPC_TIMEOUT_S)
    storage = UploadStorage()
    settings = SettingsProvider()   # the installation's secret: the applicants' keys

    @rpc
    def health(self):
        with self.uow.cursor() as cur:
            return {"postgres": "ok" if repo.ping(cur) else "down"}

    # --- citizens ---------------------------------------------------------------------

    @rpc
    def list_types(self, site):
        with self.uow.read(site) as uow:
            return handlers.list_types(uow)

    @rpc
    def create_application(self, site, request, actor):
        """``request``: NewApplication. Refused (422 naming the field) before anything
        is written or a ticket issued."""
        command = parse(NewApplication, request)
        with self.uow.read(site) as uow:
            kind = handlers.check_new_application(uow, command)
        with self.uow(site, actor=actor) as uow:
            application, _ticket = handlers.create_application(uow, self.queue, command, kind)
            tracking_code = application.meta["tracking_code"]
        view = self.get_application(site, tracking_code)
        # The holder's proof, given once: cancel needs it (X-Application-Key).
        view["access_key"] = handlers.application_access_key(self.settings.PTSP_SECRET, application.id)
        return view

    @rpc
    def get_application(self, site, tracking_code):
        with self.uow.read(site) as uow:
            return handlers.application_view(uow, self.queue, uow.applications.by_tracking_code(tracking_code))

    @rpc
    def check_in(self, site, tracking_code, actor="kiosk"):
        """The kiosk's check-in: an online registration, a citizen back after a missed
        call, or a new visit after failed/incomplete; each with the step's ticket."""
        with self.uow(site, actor=actor) as uow:
            handlers.expire_if_lapsed(uow, tracking_code)
        with self.uow(site, actor=actor) as uow:
            handlers.come_back(uow, self.queue, tracking_code)
        return self.get_application(site, tracking_code)

    @rpc
    def resume(self, site, tracking_code, actor="citizen"):
        with self.uow(site, actor=actor) as uow:
            handlers.resume(uow, self.queue, tracking_code)
        return self.get_application(site, tracking_code)

    @rpc
    def cancel_application(self, site, tracking_code, access_key=None, officer=None):
        """By the applicant with the application's key, or by ``officer`` (the gateway
        checked their session)."""
        with self.uow(site, actor=officer or "citizen") as uow:
            handlers.cancel_application(uow, self.queue, tracking_code, self.settings.PTSP_SECRET, access_key,
                                        officer)
        return self.get_application(site, tracking_code)

    @rpc
    def get_letter(self, site, tracking_code, officer=None):
        """The issued letter (PDF, base64) for the applicant with the tracking code or
        an officer (the gateway checked their session)."""
        with self.uow(site, actor=officer or "citizen") as uow:
            application = uow.applications.by_tracking_code(tracking_code, lock=True)
            return handlers.letter(uow, application, by_officer=officer)

    @rpc
    def add_upload(self, site, tracking_code, document_code, content, actor="citizen"):
        """``content``: the file's bytes, base64 (RPC bodies are JSON)."""
        try:
            data = base64.b64decode(content, validate=True)
        except (ValueError, TypeError):
            raise InvalidInput("Berkas tidak valid.", "Invalid file.", {"file": "not base64"}) from None
        with self.uow(site, actor=actor) as uow:
            return handlers.add_upload(uow, self.storage, tracking_code, document_code, data)

    @rpc
    def get_upload(self, site, tracking_code, upload_id):
        """For the applicant (with the tracking code) and officers (the gateway checks)."""
        with self.uow.read(site) as uow:
            application = uow.applications.by_tracking_code(tracking_code)
            return handlers.get_upload(uow, self.storage, application, upload_id)

    # --- officers -------------------------------------------------------------------------

    @rpc
    def prepare_outcome(self, site, ticket_id, request, officer):
        """Before the queue completes ``ticket_id``: the outcome's details, checked
        against the application's step. ``{"application": false}`` for a ticket of
        no application."""
        details = parse(OutcomeDetails, request)
        with self.uow(site, actor=officer) as uow:
            return handlers.prepare_outcome(uow, ticket_id, details, officer)

    @rpc
    def review(self, site, tracking_code, request, officer):
        details = parse(OutcomeDetails, request)
        with self.uow(site, actor=officer) as uow:
            application = handlers.review(uow, tracking_code, details, officer)
            return handlers.officer_view(uow, self.queue, application, officer, "review")

    @rpc
    def application_for_ticket(self, site, ticket_id, officer):
        """The application behind the ticket at an officer's counter (journaled)."""
        with self.uow(site, actor=officer) as uow:
            application = handlers.application_for_ticket(uow, ticket_id)
            return handlers.officer_view(uow, self.queue, application, officer, "ticket")

    @rpc
    def search(self, site, tracking_code, officer):
        """An officer's search by tracking code: audited in the journal."""
        with self.uow(site, actor=officer) as uow:
            application = uow.applications.by_tracking_code(tracking_code)
            return handlers.officer_view(uow, self.queue, application, officer, "search")

    # --- supervisors ----------------------------------------------------------------------

    @rpc
    def admin_types(self, site):
        with self.uow.read(site) as uow:
            return handlers.admin_types(uow)

    @rpc
    def update_type(self, site, code, request, actor):
        """``request``: TypeSettings. Refused (422 naming the field) before anything is written."""
        command = parse(TypeSettings, request)
        with self.uow(site, actor=actor) as uow:
            return handlers.update_type(uow, self.queue, code, command)

    # --- other services ---------------------------------------------------------------------

    @rpc
    def report_applications(self, site, date_from, date_to):
        """Applications started on the site's local days ``date_from`` … ``date_to``
        (ISO dates, as the queue's report resolved them), per type: steps with their
        outcomes and pass rates, documents ready, days to ready."""
        period = parse(ReportDays, {"date_from": date_from, "date_to": date_to})
        with self.uow.read(site) as uow:
            return reports.summary(uow, period.date_from, period.date_to)

    @rpc
    def applicant_contact(self, site, application_id, actor):
        with self.uow(site, actor=actor) as uow:
            return handlers.applicant_contact(uow, application_id)

    @timer(interval=5, expected_exceptions=Unavailable)  # PostgreSQL down: try again in 5 s
    def sample_outbox(self):
        with self.uow.cursor() as cur:
            self.metrics.set_outbox(*repo.outbox_backlog(cur))

    @timer(interval=EXPIRY_SWEEP_S, expected_exceptions=Unavailable)
    def expire_lapsed_registrations(self):
        """Online registrations past three days without check-in become expired, on
        every site of this schema (idempotent: a second sweep finds nothing)."""
        with self.uow.cursor() as cur:
            sites = repo.site_codes(cur)
        expired = 0
        for site in sites:
            with self.uow(site, actor=handlers.ACTOR) as uow:
                expired += handlers.expire_lapsed(uow)
        if expired:
            log.info("expired %d lapsed online registration(s)", expired)
        return expired

    @consume(TicketTransferred, retries=8)
    def on_ticket_transferred(self, event, tx):
        uow = unit_of_work_on(tx, event.site, handlers.ACTOR)
        handlers.ticket_transferred(uow, event)
        uow.collect()

    @consume(TicketNoShow, retries=8)
    def on_ticket_no_show(self, event, tx):
        uow = unit_of_work_on(tx, event.site, handlers.ACTOR)
        handlers.ticket_no_show(uow, event)
        uow.collect()

    @consume(TicketCancelled, retries=8)
    def on_ticket_cancelled(self, event, tx):
        uow = unit_of_work_on(tx, event.site, handlers.ACTOR)
        handlers.ticket_cancelled(uow, event)
        uow.collect()

    @consume(TicketCompleted, retries=8)
    def on_ticket_completed(self, event, tx):
        uow = unit_of_work_on(tx, event.site, handlers.ACTOR)
        handlers.ticket_completed(uow, self.queue, event)
        uow.collect()
        # The kit commits after this returns; the metrics are a best effort.
        if uow.events:
            self.metrics.after_commit(uow)
