"""The gateway: the only HTTP edge. It authenticates, validates and translates;
the rules live in the services it calls."""
import base64
import json
import logging
import re
import uuid
from contextlib import contextmanager

from nameko.exceptions import UnknownService
from werkzeug.wrappers import Response

from shared.infrastructure.config import SettingsProvider
from shared.contracts.errors import Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized, Unavailable
from shared.infrastructure.metrics import Metrics
from shared.infrastructure.redis_store import Redis, display_key
from shared.infrastructure.rpc import RpcProxy
from services.gateway import schemas
from services.gateway.auth import issue_token, officer_of, token_claims
from services.gateway.limits import count_tracking_miss, ticket_allowance, tracking_misses_wait
from services.gateway.dependencies import GatewayMetrics, HealthChecks
from services.gateway.display_hub import CLOSED, DisplayHub
from services.gateway.openapi import openapi_document
from services.gateway.report_csv import report_csv
from services.gateway.pages import PageRoutes
from services.gateway.web import OFFICERS, SUPERVISORS, json_response, language_of, route

RPC_TIMEOUT_S = 8
# The documents service's check of an outcome: short, as a plain pass goes ahead without it.
OUTCOME_CHECK_TIMEOUT_S = 2
UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # the documents service checks the same limit
# The documents service's part of a report: without it the rest of the report still answers.
REPORT_DOCUMENTS_TIMEOUT_S = 3
REPORT_QUERY = {"from": (False, "first day, YYYY-MM-DD in the site's time zone (default: today, or `to`)"),
                "to": (False, "last day, included, YYYY-MM-DD (default: `from`); at most 366 days in all")}

log = logging.getLogger(__name__)

SSE_KEEPALIVE_S = 15
LOOKUP_LIMITED = "too many unknown tracking codes from this address (Retry-After)"
OFFICER_ERRORS = {401: "no or invalid token", 403: "counter not opened by this officer",
                  404: "no such counter", 409: "not possible in the ticket's or counter's state"}


class GatewayService(PageRoutes):
    name = "gateway"

    # Fails fast with Unavailable (503) when the broker is down; a request nobody
    # answered within the timeout expires and is never carried out (shared/infrastructure/rpc.py).
    queue = RpcProxy("queue", timeout=RPC_TIMEOUT_S)
    notify = RpcProxy("notify", timeout=RPC_TIMEOUT_S)
    documents = RpcProxy("documents", timeout=RPC_TIMEOUT_S)
    redis = Redis()
    settings = SettingsProvider()
    health_checks = HealthChecks()
    metrics = Metrics(GatewayMetrics)
    display_hub = DisplayHub()

    # --- operations -------------------------------------------------------------

    @route("GET", "/healthz", "Health of the servers the system needs", tags=["operations"],
           answer=schemas.Health, extra_statuses={503: "a server is down"})
    def healthz(self, request):
        checks = self.health_checks.run()
        healthy = all(state == "ok" for state in checks.values())
        return json_response({"status": "ok" if healthy else "degraded", "checks": checks}, 200 if healthy else 503)

    @route("GET", "/api/openapi.json", "This document", tags=["operations"])
    def openapi(self, request):
        return openapi_document(self.settings.PTSP_PUBLIC_URL)

    # --- kiosk and citizens --------------------------------------------------------

    @route("GET", "/api/site", "The site this gateway serves", tags=["kiosk"], answer=schemas.SiteInfo)
    def site(self, request):
        return self.queue.site_info(self.site_code)

    @route("GET", "/api/services", "Services with queue length and estimated wait", tags=["kiosk"],
           answer=[schemas.ServiceInfo])
    def services(self, request):
        return self.queue.list_services(self.site_code)

    @route("POST", "/api/tickets", "Take a numbered ticket (body: application/json; a registered kiosk sends "
           "X-Kiosk-Key, anyone else is limited per address)", tags=["kiosk"], body=schemas.TicketRequest,
           answer=schemas.TicketView, status=201, json_only=True,
           headers={"Idempotency-Key": (False, "a retry with the same key gets the same ticket"),
                    "X-Kiosk-Key": (False, "a registered kiosk's key: no per-address limit")},
           extra_statuses={401: "X-Kiosk-Key unknown or revoked",
                           409: "service closed, quota reached, or Idempotency-Key reused with another body",
                           429: "too many tickets from this address (Retry-After)"})
    def issue_ticket(self, request, body):
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 200 and key.isprintable()):
            raise InvalidInput("Idempotency-Key tidak valid.", "Invalid Idempotency-Key.",
                               {"Idempotency-Key": "1-200 printable characters"})
        kiosk_key = request.headers.get("X-Kiosk-Key")
        if kiosk_key is None:
            self.limit_anonymous_issue(request)
        elif not (1 <= len(kiosk_key) <= 200 and kiosk_key.isprintable()):
            raise Unauthorized("Kunci kios tidak dikenal.", "Unknown kiosk key.", {"X-Kiosk-Key": "malformed"},
                               code="kiosk_unknown")
        return self.with_track_url(self.queue.issue_ticket(self.site_code, body.model_dump(), key, kiosk_key))

    @route("GET", "/api/tickets/<ticket_id>", "A ticket's status, position and estimated wait", tags=["citizen"],
           answer=schemas.TicketView, extra_statuses={404: "no such ticket"})
    def get_ticket(self, request, ticket_id):
        return self.with_track_url(self.queue.get_ticket(self.site_code, ticket_uuid(ticket_id)))

    @route("POST", "/api/tickets/<ticket_id>/cancel", "Cancel a waiting or called ticket (header X-Ticket-Key: the "
           "ticket's access_key)", tags=["citizen"], answer=schemas.TicketView,
           headers={"X-Ticket-Key": (True, "the ticket's access_key, from the issue answer or track_url's #k=")},
           extra_statuses={401: "X-Ticket-Key missing", 403: "X-Ticket-Key wrong", 404: "no such ticket",
                           409: "ticket already finished"})
    def cancel_ticket(self, request, ticket_id):
        ticket_id = ticket_uuid(ticket_id)
        return self.with_track_url(self.queue.cancel_ticket(self.site_code, ticket_id, ticket_key_of(request)))

    @route("POST", "/api/tickets/<ticket_id>/survey", "The holder's satisfaction survey (SKM, PermenPAN-RB "
           "14/2017) of a completed ticket, once: U1–U9 rated 1–4, an optional comment (header X-Ticket-Key)",
           tags=["citizen"], body=schemas.SurveyRequest, answer=schemas.SurveyAnswer, status=201, json_only=True,
           headers={"X-Ticket-Key": (True, "the ticket's access_key, from the issue answer or track_url's #k=")},
           extra_statuses={401: "X-Ticket-Key missing", 403: "X-Ticket-Key wrong", 404: "no such ticket",
                           409: "ticket not completed (survey_not_open) or already rated "
                                "(survey_already_submitted)"})
    def submit_survey(self, request, ticket_id, body):
        ticket_id = ticket_uuid(ticket_id)
        return self.queue.submit_survey(self.site_code, ticket_id, ticket_key_of(request),
                                        body.model_dump(exclude_none=True), language_of(request))

    # --- officers -------------------------------------------------------------------

    @route("POST", "/api/auth/login", "Log in as an officer", tags=["officer"], body=schemas.LoginRequest,
           answer=schemas.LoginAnswer, json_only=True,
           extra_statuses={401: "wrong username or password",
                           429: "locked after repeated wrong passwords (Retry-After)"})
    def login(self, request, body):
        session = self.queue.login(self.site_code, body.username, body.password, request.remote_addr)
        return issue_token(self.settings, session)

    @route("POST", "/api/auth/logout", "End this token's session", tags=["officer"], auth=OFFICERS,
           extra_statuses={401: "no or invalid token"})
    def logout(self, request, officer):
        claims = token_claims(request, self.settings)
        return self.queue.logout(self.site_code, claims["sid"])

    @route("GET", "/api/me", "The logged-in officer", tags=["officer"], auth=OFFICERS)
    def me(self, request, officer):
        return officer

    @route("GET", "/api/counters", "All counters of the site", tags=["officer"], auth=OFFICERS,
           answer=[schemas.CounterView])
    def counters(self, request, officer):
        return self.queue.list_counters(self.site_code)

    @route("GET", "/api/counters/<int:counter>", "A counter with its current ticket and queues", tags=["officer"],
           auth=OFFICERS, answer=schemas.CounterView, extra_statuses={404: "no such counter"})
    def counter(self, request, counter, officer):
        return self.queue.counter_detail(self.site_code, counter)

    @route("POST", "/api/counters/<int:counter>/open", "Open a counter for some services", tags=["officer"],
           auth=OFFICERS, body=schemas.OpenCounterRequest, answer=schemas.CounterView,
           extra_statuses=OFFICER_ERRORS)
    def open_counter(self, request, counter, body, officer):
        return self.queue.open_counter(self.site_code, counter, body.model_dump(), officer["username"])

    @route("POST", "/api/counters/<int:counter>/close", "Close a counter", tags=["officer"], auth=OFFICERS,
           answer=schemas.CounterView, extra_statuses=OFFICER_ERRORS)
    def close_counter(self, request, counter, officer):
        return self.queue.close_counter(self.site_code, counter, officer["username"], officer["role"])

    @route("POST", "/api/counters/<int:counter>/take-over", "A supervisor or admin takes over an open counter "
           "(e.g. one held by a deactivated officer), with its current ticket", tags=["supervisor"],
           auth=SUPERVISORS, answer=schemas.CounterView, extra_statuses=OFFICER_ERRORS)
    def take_over_counter(self, request, counter, officer):
        return self.queue.take_over_counter(self.site_code, counter, officer["username"], officer["role"])

    @route("POST", "/api/counters/<int:counter>/call-next", "Call the next ticket", tags=["officer"],
           auth=OFFICERS, answer=schemas.TicketView, extra_statuses={204: "nobody waits", **OFFICER_ERRORS})
    def call_next(self, request, counter, officer):
        ticket = self.queue.call_next(self.site_code, counter, officer["username"])
        return json_response(None, 204) if ticket is None else self.with_track_url(ticket)

    @route("POST", "/api/counters/<int:counter>/recall", "Call the current ticket again", tags=["officer"],
           auth=OFFICERS, answer=schemas.TicketView, extra_statuses=OFFICER_ERRORS)
    def recall(self, request, counter, officer):
        return self.counter_action("recall", officer, counter)

    @route("POST", "/api/counters/<int:counter>/start", "Start serving the current ticket", tags=["officer"],
           auth=OFFICERS, answer=schemas.TicketView, extra_statuses=OFFICER_ERRORS)
    def start(self, request, counter, officer):
        return self.counter_action("start", officer, counter)

    @route("POST", "/api/counters/<int:counter>/no-show", "The called citizen did not come", tags=["officer"],
           auth=OFFICERS, answer=schemas.TicketView, extra_statuses=OFFICER_ERRORS)
    def no_show(self, request, counter, officer):
        return self.counter_action("no_show", officer, counter)

    @route("POST", "/api/counters/<int:counter>/complete", "Finish the current ticket", tags=["officer"],
           auth=OFFICERS, body=schemas.CompleteRequest, answer=schemas.TicketView, extra_statuses=OFFICER_ERRORS)
    def complete(self, request, counter, body, officer):
        """For a ticket of an application's step, the documents service first checks the
        outcome against the step and keeps its details (the queue's event carries only the
        outcome, never officer text). A plain pass is completed even while the documents
        service is away: it catches up from the event."""
        if body.outcome is not None:
            current = (self.queue.counter_detail(self.site_code, counter) or {}).get("current")
            if current is not None:
                details = body.model_dump(include={"outcome", "note", "missing", "payment_reference"})
                try:
                    self.documents.with_timeout(OUTCOME_CHECK_TIMEOUT_S).prepare_outcome(
                        self.site_code, current["id"], details, officer["username"])
                except Unavailable:
                    if body.outcome != "passed" or body.missing or body.payment_reference:
                        raise
                    log.warning("documents unavailable: pass of ticket at counter %s completed without it", counter)
        return self.counter_action("complete", officer, counter, body.model_dump(include={"outcome", "note"}))

    @route("POST", "/api/counters/<int:counter>/transfer", "Move the current ticket to another service's queue",
           tags=["officer"], auth=OFFICERS, body=schemas.TransferRequest, answer=schemas.TicketView,
           extra_statuses=OFFICER_ERRORS)
    def transfer(self, request, counter, body, officer):
        return self.counter_action("transfer", officer, counter, body.model_dump())

    @route("POST", "/api/counters/<int:counter>/undo", "Undo the last complete, no-show or transfer at this "
           "counter, within 10 seconds", tags=["officer"], auth=OFFICERS, answer=schemas.TicketView,
           extra_statuses={**OFFICER_ERRORS, 409: "nothing to undo, the window has passed, or something happened "
                                                  "since"})
    def undo(self, request, counter, officer):
        return self.counter_action("undo", officer, counter)

    @route("GET", "/api/counters/<int:counter>/application", "The application behind the counter's current "
           "ticket, with the applicant (journaled)", tags=["officer"], auth=OFFICERS,
           answer=schemas.ApplicationView, extra_statuses={403: "counter not opened by this officer",
                                                           404: "no current ticket, or it belongs to no application"})
    def counter_application(self, request, counter, officer):
        detail = self.queue.counter_detail(self.site_code, counter)
        if detail.get("opened_by") != officer["username"]:
            raise Forbidden("Loket ini tidak dibuka oleh Anda.", "This counter was not opened by you.",
                            {"counter": "not yours"})
        if not detail.get("current"):
            raise NotFound("Tidak ada tiket di loket ini.", "No ticket at this counter.", {"counter": "no ticket"})
        return self.documents.application_for_ticket(self.site_code, detail["current"]["id"], officer["username"])

    # --- applications (documents service) ------------------------------------------------

    @route("GET", "/api/application-types", "The site's application types: steps, fees, required documents",
           tags=["citizen"], answer=[schemas.ApplicationTypeInfo])
    def application_types(self, request):
        return self.documents.list_types(self.site_code)

    @route("POST", "/api/applications", "Start an application (in the hall: with the first step's ticket)",
           tags=["citizen"], body=schemas.ApplicationRequest, answer=schemas.ApplicationView, status=201,
           json_only=True, extra_statuses={422: "bad NIK, birth date or type (the field is named)"})
    def create_application(self, request, body):
        # An officer at registration sends their token (journaled as the actor); a
        # citizen online is limited per address like an anonymous ticket.
        if request.headers.get("Authorization"):
            actor = officer_of(request, self.settings, self.queue)["username"]
        else:
            self.limit_anonymous_issue(request)
            actor = "citizen"
        return self.with_application_url(self.documents.create_application(
            self.site_code, body.model_dump(mode="json", exclude_none=True), actor))

    @route("GET", "/api/applications/<tracking_code>", "The applicant's own application by its tracking code",
           tags=["citizen"], answer=schemas.ApplicationView,
           extra_statuses={404: "no such application", 429: LOOKUP_LIMITED})
    def get_application(self, request, tracking_code):
        with self.looked_up(request, tracking_code) as code:
            return self.with_application_url(self.documents.get_application(self.site_code, code))

    def with_application_url(self, application):
        """``track_url``: the applicant's status page, by tracking code."""
        application["track_url"] = f"{self.settings.PTSP_PUBLIC_URL.rstrip('/')}/a/{application['tracking_code']}"
        return application

    @route("POST", "/api/applications/<tracking_code>/check-in", "Check in at the kiosk with a tracking code: an "
           "online registration, a citizen back after a missed call, or a new visit after a failed or incomplete "
           "step (from its retake date); each gets the step's ticket", tags=["kiosk"], answer=schemas.ApplicationView,
           extra_statuses={404: "no such application", 409: "nothing to check in for, lapsed, or before the retake "
                                                            "date", 429: LOOKUP_LIMITED})
    def check_in_application(self, request, tracking_code):
        with self.looked_up(request, tracking_code) as code:
            return self.documents.check_in(self.site_code, code, "kiosk")

    @route("POST", "/api/applications/<tracking_code>/uploads/<document>", "Upload a scan or photo for one of "
           "the type's documents (body: the file's bytes; PDF, JPEG or PNG by content, at most 5 MB)",
           tags=["citizen"], status=201, max_body=UPLOAD_MAX_BYTES,
           extra_statuses={404: "no such application", 409: "application closed",
                           413: "larger than 5 MB", 422: "not a PDF, JPEG or PNG, or unknown document",
                           429: LOOKUP_LIMITED})
    def add_upload(self, request, tracking_code, document):
        with self.looked_up(request, tracking_code) as code:
            data = request.get_data(cache=False)
            if not re.match(r"^[a-z][a-z0-9_]{1,39}$", document):
                raise InvalidInput("Jenis berkas tidak dikenal.", "Unknown document.", {"document": "a document code"})
            return self.documents.add_upload(self.site_code, code, document, base64.b64encode(data).decode(),
                                             "citizen")

    @route("GET", "/api/applications/<tracking_code>/uploads/<upload_id>", "An uploaded file, for the applicant "
           "with the tracking code (and officers)", tags=["citizen"],
           extra_statuses={404: "no such application or file", 429: LOOKUP_LIMITED})
    def get_upload(self, request, tracking_code, upload_id):
        try:
            upload_id = str(uuid.UUID(upload_id))
        except ValueError:
            raise NotFound("Berkas tidak ditemukan.", "File not found.", {"upload_id": "not a file id"}) from None
        with self.looked_up(request, tracking_code) as code:
            upload = self.documents.get_upload(self.site_code, code, upload_id)
        # Served as what its bytes are, never rendered inline as something else.
        return Response(base64.b64decode(upload["content"]), status=200, content_type=upload["content_type"],
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                                 "Content-Disposition": f'attachment; filename="{upload["document_code"]}"'})

    @route("POST", "/api/officer/applications/<tracking_code>/review", "Review an online application: issue it "
           "(passed) or return it with the reason (failed, incomplete)", tags=["officer"], auth=OFFICERS,
           body=schemas.ReviewRequest, answer=schemas.ApplicationView,
           extra_statuses={404: "no such application", 409: "not at a step reviewed without the citizen"})
    def review_application(self, request, tracking_code, body, officer):
        return self.documents.review(self.site_code, tracking_code_of(tracking_code), body.model_dump(),
                                     officer["username"])

    @route("GET", "/api/officer/applications/<tracking_code>", "An officer's search by tracking code, with the "
           "applicant (journaled)", tags=["officer"], auth=OFFICERS, answer=schemas.ApplicationView,
           extra_statuses={404: "no such application"})
    def search_application(self, request, tracking_code, officer):
        return self.documents.search(self.site_code, tracking_code_of(tracking_code), officer["username"])

    # --- applications: cancel, resume, the issued letter (documents service) ---------------

    @route("POST", "/api/applications/<tracking_code>/cancel", "Cancel an open application: the applicant with "
           "X-Application-Key (the access_key of the create answer), or an officer with their token; its waiting "
           "ticket is withdrawn (journaled)", tags=["citizen"], answer=schemas.ApplicationView,
           headers={"X-Application-Key": (False, "the applicant's key; not needed with an officer's token")},
           extra_statuses={401: "neither X-Application-Key nor a valid officer token", 403: "X-Application-Key wrong",
                           404: "no such application", 409: "application already closed", 429: LOOKUP_LIMITED})
    def cancel_application(self, request, tracking_code):
        key = request.headers.get("X-Application-Key")
        if key is not None and not (1 <= len(key) <= 200 and key.isprintable()):
            raise Forbidden("Kunci permohonan tidak cocok.", "The application's key does not match.",
                            {"X-Application-Key": "malformed"}, code="wrong_application_key")
        if request.headers.get("Authorization"):
            officer = officer_of(request, self.settings, self.queue)["username"]
            return self.with_application_url(self.documents.cancel_application(
                self.site_code, tracking_code_of(tracking_code), key, officer))
        with self.looked_up(request, tracking_code) as code:
            return self.with_application_url(self.documents.cancel_application(self.site_code, code, key, None))

    @route("POST", "/api/applications/<tracking_code>/resume", "Resume after a failed step (from its retake date) "
           "or an incomplete file: a new visit with a new ticket for the step that stopped (a returned online "
           "application goes back to review)", tags=["citizen"], answer=schemas.ApplicationView,
           extra_statuses={404: "no such application", 409: "not failed or incomplete, or before the retake date",
                           429: LOOKUP_LIMITED})
    def resume_application(self, request, tracking_code):
        with self.looked_up(request, tracking_code) as code:
            return self.with_application_url(self.documents.resume(self.site_code, code, "citizen"))

    @route("GET", "/api/applications/<tracking_code>/letter", "The issued letter of an online lost-item report or "
           "crowd permit (PDF), for the applicant with the tracking code; the first download collects it",
           tags=["citizen"], extra_statuses={404: "no such application, or no letter issued",
                                             409: "not issued yet", 429: LOOKUP_LIMITED})
    def application_letter(self, request, tracking_code):
        with self.looked_up(request, tracking_code) as code:
            return pdf_response(self.documents.get_letter(self.site_code, code))

    @route("GET", "/api/officer/applications/<tracking_code>/letter", "An officer's copy of the issued letter "
           "(PDF; journaled, does not collect it)", tags=["officer"], auth=OFFICERS,
           extra_statuses={404: "no such application, or no letter issued", 409: "not issued yet"})
    def officer_application_letter(self, request, tracking_code, officer):
        return pdf_response(self.documents.get_letter(self.site_code, tracking_code_of(tracking_code),
                                                      officer["username"]))

    @contextmanager
    def looked_up(self, request, tracking_code):
        """The tracking code of a public lookup. An address that has looked up
        TRACKING_LOOKUP_LIMIT codes naming no application in the window gets 429 with
        Retry-After; lookups of real codes (status pages polling) never count."""
        limit = (self.redis, self.settings.REDIS_NAMESPACE, self.site_code, request.remote_addr,
                 self.settings.TRACKING_LOOKUP_LIMIT, self.settings.TRACKING_LOOKUP_WINDOW_S)
        wait = tracking_misses_wait(*limit)
        if wait:
            raise TooManyRequests(
                f"Terlalu banyak kode pelacakan yang tidak dikenal dari perangkat ini. Coba lagi dalam {wait} detik.",
                f"Too many unknown tracking codes from this device. Try again in {wait} seconds.",
                {"address": "lookup limit reached"}, code="lookup_rate_limited", retry_after=wait)
        try:
            yield tracking_code_of(tracking_code)
        except NotFound as error:
            # No such application, or not a code at all; not "no_letter" or an unknown file.
            if error.error_code == NotFound.code and "tracking_code" in error.fields:
                count_tracking_miss(*limit)
            raise

    def counter_action(self, action, officer, counter, *args):
        ticket = getattr(self.queue, action)(self.site_code, counter, officer["username"], *args)
        return self.with_track_url(ticket)

    # --- the supervisor's catalog --------------------------------------------------

    @route("GET", "/api/admin/services", "All services, with quotas and opening hours", tags=["supervisor"],
           auth=SUPERVISORS, answer=[schemas.ServiceDefinition])
    def admin_services(self, request, officer):
        return self.queue.admin_services(self.site_code)

    @route("POST", "/api/admin/services", "Add a service", tags=["supervisor"], auth=SUPERVISORS,
           body=schemas.NewServiceIn, answer=schemas.ServiceDefinition, status=201,
           extra_statuses={409: "code or prefix already used"})
    def create_service(self, request, body, officer):
        return self.queue.create_service(self.site_code, body.model_dump(exclude_unset=True), officer["username"])

    @route("PUT", "/api/admin/services/<code>", "Change a service", tags=["supervisor"], auth=SUPERVISORS,
           body=schemas.ServiceSettingsIn, answer=schemas.ServiceDefinition,
           extra_statuses={404: "no such service", 409: "prefix already used"})
    def update_service(self, request, code, body, officer):
        return self.queue.update_service(self.site_code, code.upper(), body.model_dump(exclude_unset=True),
                                         officer["username"])

    @route("GET", "/api/admin/counters", "All counters and the services each may serve", tags=["supervisor"],
           auth=SUPERVISORS, answer=[schemas.CounterDefinition])
    def admin_counters(self, request, officer):
        return self.queue.admin_counters(self.site_code)

    @route("POST", "/api/admin/counters", "Add a counter", tags=["supervisor"], auth=SUPERVISORS,
           body=schemas.NewCounterIn, answer=schemas.CounterDefinition, status=201,
           extra_statuses={409: "counter number already used"})
    def create_counter(self, request, body, officer):
        return self.queue.create_counter(self.site_code, body.model_dump(), officer["username"])

    @route("PUT", "/api/admin/counters/<int:counter>", "Rename a counter or change its services",
           tags=["supervisor"], auth=SUPERVISORS, body=schemas.CounterSettingsIn, answer=schemas.CounterDefinition,
           extra_statuses={404: "no such counter", 409: "counter open for a service being removed"})
    def update_counter(self, request, counter, body, officer):
        return self.queue.update_counter(self.site_code, counter, body.model_dump(exclude_unset=True),
                                         officer["username"])

    @route("POST", "/api/admin/counters/<int:counter>/free", "Free a counter left behind: a ticket stuck in "
           "\"called\" there waits again at its place, and the counter closes", tags=["supervisor"],
           auth=SUPERVISORS, answer=schemas.CounterView,
           extra_statuses={404: "no such counter", 409: "a ticket is being served there, or the counter is closed"})
    def free_counter(self, request, counter, officer):
        return self.queue.free_counter(self.site_code, counter, officer["username"], officer["role"])

    @route("POST", "/api/admin/counters/<int:counter>/retire", "Take a closed counter out of use (not counted, "
           "cannot be opened)", tags=["supervisor"], auth=SUPERVISORS, answer=schemas.CounterView,
           extra_statuses={404: "no such counter", 409: "the counter is open"})
    def retire_counter(self, request, counter, officer):
        return self.queue.retire_counter(self.site_code, counter, officer["username"], officer["role"])

    @route("POST", "/api/admin/counters/<int:counter>/reinstate", "Put a retired counter back into use",
           tags=["supervisor"], auth=SUPERVISORS, answer=schemas.CounterView, extra_statuses={404: "no such counter"})
    def reinstate_counter(self, request, counter, officer):
        return self.queue.retire_counter(self.site_code, counter, officer["username"], officer["role"], False)

    @route("GET", "/api/admin/officers", "Officer accounts", tags=["supervisor"], auth=SUPERVISORS,
           answer=[schemas.OfficerAccount])
    def admin_officers(self, request, officer):
        return self.queue.admin_officers(self.site_code)

    @route("POST", "/api/admin/officers", "Add an officer account", tags=["supervisor"], auth=SUPERVISORS,
           body=schemas.NewOfficerIn, answer=schemas.OfficerAccount, status=201,
           extra_statuses={409: "username taken"})
    def create_officer(self, request, body, officer):
        return self.queue.create_officer(self.site_code, body.model_dump(exclude_unset=True), officer["username"],
                                         officer["role"])

    @route("PUT", "/api/admin/officers/<username>", "Change an account: name, role, password, active",
           tags=["supervisor"], auth=SUPERVISORS, body=schemas.OfficerSettingsIn, answer=schemas.OfficerAccount,
           extra_statuses={404: "no such officer"})
    def update_officer(self, request, username, body, officer):
        return self.queue.update_officer(self.site_code, username.lower(), body.model_dump(exclude_unset=True),
                                         officer["username"], officer["role"])

    @route("GET", "/api/admin/kiosks", "Registered kiosks (their keys are never shown again)",
           tags=["supervisor"], auth=SUPERVISORS, answer=[schemas.KioskAccount])
    def admin_kiosks(self, request, officer):
        return self.queue.admin_kiosks(self.site_code)

    @route("POST", "/api/admin/kiosks", "Register a kiosk: its key (shown only in this answer) exempts it from the "
           "per-address ticket limit", tags=["supervisor"], auth=SUPERVISORS, body=schemas.NewKioskIn,
           answer=schemas.NewKioskAnswer, status=201, extra_statuses={409: "name already registered"})
    def register_kiosk(self, request, body, officer):
        kiosk = self.queue.register_kiosk(self.site_code, body.model_dump(), officer["username"])
        kiosk["kiosk_url"] = self.settings.PTSP_PUBLIC_URL.rstrip("/") + "/kiosk#key=" + kiosk["key"]
        return kiosk

    @route("POST", "/api/admin/kiosks/<int:kiosk_id>/revoke", "Revoke a kiosk's key", tags=["supervisor"],
           auth=SUPERVISORS, answer=schemas.KioskAccount, extra_statuses={404: "no such kiosk"})
    def revoke_kiosk(self, request, kiosk_id, officer):
        return self.queue.revoke_kiosk(self.site_code, kiosk_id, officer["username"])

    @route("GET", "/api/admin/application-types", "The site's application types with every step's settings",
           tags=["supervisor"], auth=SUPERVISORS, answer=[schemas.ApplicationTypeSettings])
    def admin_application_types(self, request, officer):
        return self.documents.admin_types(self.site_code)

    @route("PUT", "/api/admin/application-types/<code>", "Change a type's fee, steps (order, queue service, retake "
           "days) and required documents; applications started afterwards follow it, one in progress keeps its "
           "steps (journaled)", tags=["supervisor"], auth=SUPERVISORS, body=schemas.ApplicationTypeSettingsIn,
           answer=schemas.ApplicationTypeSettings, json_only=True,
           extra_statuses={404: "no such application type",
                           422: "a bad field (named): unknown queue service, duplicate code, no issuing step"})
    def update_application_type(self, request, code, body, officer):
        if not re.match(r"^[A-Za-z][A-Za-z0-9_]{1,39}$", code):
            raise NotFound("Jenis permohonan tidak dikenal.", "Unknown application type.", {"code": "unknown"})
        return self.documents.update_type(self.site_code, code.upper(), body.model_dump(mode="json"),
                                          officer["username"])

    @route("PUT", "/api/admin/running-text", "The running text of the display boards", tags=["supervisor"],
           auth=SUPERVISORS, body=schemas.RunningTextIn)
    def running_text(self, request, body, officer):
        return self.queue.set_running_text(self.site_code, body.model_dump(), officer["username"])

    @route("GET", "/api/admin/notifications/dead", "Messages to citizens given up on (recipients masked)",
           tags=["supervisor"], auth=SUPERVISORS, answer=[schemas.DeadLetter])
    def dead_notifications(self, request, officer):
        return self.notify.dead_letters(self.site_code)

    @route("POST", "/api/admin/notifications/<delivery_id>/resend", "Send a dead message again (the next sweep "
           "sends it)", tags=["supervisor"], auth=SUPERVISORS, answer=schemas.ResendAnswer,
           extra_statuses={404: "no dead letter with that id"})
    def resend_notification(self, request, delivery_id, officer):
        try:
            delivery_id = str(uuid.UUID(delivery_id))
        except ValueError:
            raise NotFound("Tidak ada pesan gagal dengan nomor itu.", "No dead letter with that id.",
                           {"id": "not a message id"}) from None
        return self.notify.resend(self.site_code, delivery_id)

    # --- reports ---------------------------------------------------------------------

    @route("GET", "/api/reports/summary", "The site's report over a period of local days: per service, hour of the "
           "day, officer, counter, day and application type, with the satisfaction index (IKM)",
           tags=["supervisor"], auth=SUPERVISORS, answer=schemas.ReportSummary, query=REPORT_QUERY,
           extra_statuses={422: "from or to not a date, to before from, or more than 366 days"})
    def report_summary(self, request, officer):
        return self.report(request)

    @route("GET", "/api/reports/summary.csv", "The same report as CSV (text/csv, UTF-8; one block per table)",
           tags=["supervisor"], auth=SUPERVISORS, query=REPORT_QUERY,
           extra_statuses={422: "from or to not a date, to before from, or more than 366 days"})
    def report_summary_csv(self, request, officer):
        report = self.report(request)
        name = f"ptsp-report-{report['site']}-{report['from']}-{report['to']}.csv"
        # A byte-order mark so that spreadsheets read the Indonesian text as UTF-8.
        return Response("\ufeff" + report_csv(report), status=200, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})

    def report(self, request):
        period = {}
        for name in REPORT_QUERY:
            value = request.args.get(name)
            if value is None or value == "":
                continue
            if len(value) > 40 or not value.isprintable():
                raise InvalidInput(f"Tanggal tidak valid: {name}.", f"Invalid date: {name}.",
                                   {name: "a date, YYYY-MM-DD"})
            period[name] = value
        report = self.queue.report_summary(self.site_code, period)
        try:
            types = self.documents.with_timeout(REPORT_DOCUMENTS_TIMEOUT_S).report_applications(
                self.site_code, report["from"], report["to"])
            report["applications"] = {"available": True, "types": types}
        except (Unavailable, UnknownService, NotFound) as exc:  # away, not deployed, or not serving this site
            log.warning("documents report unavailable (%s): report without applications", type(exc).__name__)
            report["applications"] = {"available": False, "types": []}
        return report

    def authorize(self, request, roles):
        """The officer of the request's live session, if their role is in ``roles``
        (web.route calls this for every route that declares its roles)."""
        return officer_of(request, self.settings, self.queue, roles)

    def limit_anonymous_issue(self, request):
        wait = ticket_allowance(self.redis, self.settings.REDIS_NAMESPACE, self.site_code, request.remote_addr,
                                self.settings.TICKET_RATE_LIMIT, self.settings.TICKET_RATE_WINDOW_S)
        if wait:
            raise TooManyRequests(
                f"Terlalu banyak tiket dari perangkat ini. Silakan ambil tiket di kios, atau coba lagi dalam "
                f"{wait} detik.",
                f"Too many tickets from this device. Please use the kiosk, or try again in {wait} seconds.",
                {"address": "ticket limit reached"}, code="ticket_rate_limited", retry_after=wait)

    # --- display boards ----------------------------------------------------------------

    @route("GET", "/api/display", "What the display boards show", tags=["display"], answer=schemas.DisplayState,
           extra_statuses={304: "unchanged since If-None-Match"})
    def display(self, request):
        state = self.display_state()
        etag = display_etag(state)
        if etag in request.if_none_match:
            return Response(status=304, headers={"ETag": f'"{etag}"'})
        return json_response(state, headers={"ETag": f'"{etag}"', "Cache-Control": "no-cache"})

    @route("GET", "/api/display/stream", "Server-Sent Events: one message per change of the display state",
           tags=["display"])
    def display_stream(self, request):
        listener = self.display_hub.listen()
        first = self.display_state()  # after listening, so no change falls in between
        # eventlet's WSGI server buffers small chunks by default; each event must go out at once.
        request.environ["eventlet.minimum_write_chunk_size"] = 0
        response = Response(sse_messages(listener, first), mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        # Also when the body is never iterated (HEAD, a client gone before the first byte).
        response.call_on_close(lambda: self.display_hub.forget(listener))
        return response

    # --- what the pages mixin asks of the service ------------------------------------------

    def page_ticket_view(self, ticket_id):
        try:
            return self.with_track_url(self.queue.get_ticket(self.site_code, ticket_uuid(ticket_id)))
        except NotFound:
            return None

    def page_site(self):
        return self.queue.site_info(self.site_code)

    # --- helpers ------------------------------------------------------------------------

    @property
    def site_code(self):
        return self.settings.PTSP_SITE

    def display_state(self):
        try:
            body = self.redis.get(display_key(self.settings.REDIS_NAMESPACE, self.site_code))
        except Exception as exc:  # noqa: BLE001 - Redis down: ask the record
            log.warning("display read from redis failed: %s", type(exc).__name__)
            body = None
        if body:
            return json.loads(body)
        return self.queue.display_state(self.site_code)  # rebuilt from PostgreSQL

    def with_track_url(self, ticket):
        """``track_url``: the status page; with the access key in its fragment only for
        the holder (the issue answer), so the key never reaches a server log or a Referer."""
        ticket["track_url"] = self._track_url(ticket["id"], ticket.get("access_key"))
        return ticket


def display_etag(state):
    return f"{state['version']}-{state['day']}"


def ticket_key_of(request):
    """The holder's key, if sent; the queue service refuses a missing or wrong one
    once it knows the ticket exists (an unknown ticket stays a 404)."""
    key = request.headers.get("X-Ticket-Key")
    if key is not None and len(key) > 200:
        raise Unauthorized("Kunci tiket tidak valid.", "Invalid ticket key.", {"X-Ticket-Key": "malformed"},
                           code="ticket_key_required")
    return key


TRACKING_CODE = re.compile(r"^[A-HJKMNP-Z2-9]{12}$")


def pdf_response(document):
    return Response(base64.b64decode(document["content"]), status=200, content_type="application/pdf",
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                             "Content-Disposition": f'attachment; filename="{document["filename"]}"'})


def tracking_code_of(value):
    """Upper case, without the spaces and dashes a citizen may type."""
    code = re.sub(r"[\s-]", "", value or "").upper()
    if not TRACKING_CODE.match(code):
        raise NotFound("Permohonan tidak ditemukan.", "Application not found.", {"tracking_code": "not a tracking code"})
    return code


def ticket_uuid(value):
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("Tiket tidak ditemukan.", "Ticket not found.", {"id": "not a ticket id"}) from None


def sse_messages(listener, first):
    """Runs after the worker returned, in the web server's greenthread, for as long
    as the board stays connected. ``listener`` gets every state the process's one
    subscription receives (services/gateway/display_hub.py)."""
    yield "retry: 3000\n" + sse_event(first)
    last_version = (first["day"], first["version"])
    while True:
        message = listener.get(timeout=SSE_KEEPALIVE_S)
        if message is None:
            yield ": keepalive\n\n"
            continue
        if message is CLOSED:
            return
        state = json.loads(message)
        if (state["day"], state["version"]) != last_version:
            last_version = (state["day"], state["version"])
            yield sse_event(state)


def sse_event(state):
    return f"id: {display_etag(state)}\ndata: {json.dumps(state, ensure_ascii=False)}\n\n"
