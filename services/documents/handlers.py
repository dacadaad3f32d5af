"""The documents service's use cases: plain functions of a unit of work (and, where
a step needs a ticket, the queue service's client). No nameko here.

A hall step's ticket comes from the queue service (``issue_for_step``) with a
request id made of the application, the step and the visit, so a retried use case
or a redelivered event gets the same ticket, never a second one.
"""
import base64
import dataclasses
import hashlib
import hmac
import logging
import uuid

from shared.contracts.changes import Change
from shared.contracts.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from services.documents.commands import NewApplication, OutcomeDetails, TypeSettings
from services.documents.domain import (
    ONLINE_REGISTRATION_LAPSES_AFTER, OPEN_STATUSES, Application, RequiredDocument, StepDef, check_applicant, check_renewal, document_number,
    revise_type,
)
from services.documents.repository import new_tracking_code, type_of
from services.documents.storage import MAX_UPLOAD_BYTES, sniff

log = logging.getLogger(__name__)

ACTOR = "documents"


def unknown_type(code):
    return InvalidInput(f"Jenis permohonan {code} tidak dikenal.", f"Unknown application type {code}.",
                        {"type": "unknown application type"})


def not_an_application_ticket():
    return NotFound("Tiket ini bukan bagian dari permohonan.", "This ticket belongs to no application.",
                    {"ticket_id": "no application"})


# --- types -----------------------------------------------------------------------------

def type_view(kind, language="id"):
    return {
        "code": kind.code, "name": kind.name, "name_en": kind.name_en, "fee": kind.fee, "online": kind.online,
        "validity_months": kind.validity_months,
        "steps": [{"code": s.code, "name": s.name, "name_en": s.name_en, "service": s.service, "hall": s.hall}
                  for s in kind.steps],
        "required_documents": [{"code": d.code, "name": d.name, "name_en": d.name_en, "required": d.required}
                               for d in kind.required_documents],
    }


def list_types(uow):
    return [type_view(kind) for kind in uow.types.all()]


def type_settings_view(row):
    """What a supervisor edits: the type with every step's settings and its last change."""
    kind = type_of(row)
    view = type_view(kind)
    view["steps"] = [dataclasses.asdict(step) for step in kind.steps]
    view["updated_at"] = row["updated_at"].isoformat() if row.get("updated_at") else None
    view["updated_by"] = row.get("updated_by")
    return view


def admin_types(uow):
    return [type_settings_view(row) for row in uow.types.all_rows()]


def update_type(uow, queue, code, cmd: TypeSettings):
    """A supervisor changes a type's fee, steps and required documents at their site.
    Applications started afterwards walk the new steps; one in progress keeps the type
    it started with (its own copy). Journaled with the supervisor."""
    if not uow.types.lock(code):
        raise NotFound(f"Jenis permohonan {code} tidak dikenal.", f"Unknown application type {code}.",
                       {"code": "unknown application type"})
    kind = uow.types.get(code)
    services = {s["code"] for s in queue.admin_services(uow.site_code) if s.get("active", True)}
    revised = revise_type(kind, cmd.fee, tuple(StepDef(**s.model_dump()) for s in cmd.steps),
                          tuple(RequiredDocument(**d.model_dump()) for d in cmd.required_documents), services)
    uow.types.update(revised, uow.now, uow.actor)
    uow.record(Change("type_updated", journal_data={
        "type": code, "fee": {"from": kind.fee, "to": revised.fee},
        "steps": [f"{s.code}@{s.service}+{s.retake_days}d" for s in revised.steps],
        "required_documents": [d.code for d in revised.required_documents]}))
    return type_settings_view(uow.types.get_row(code))


# --- creating and checking in ---------------------------------------------------------------

def check_new_application(uow, cmd: NewApplication):
    """Everything that can refuse the request, before anything is written or issued."""
    kind = uow.types.get(cmd.type.upper())
    if kind is None:
        raise unknown_type(cmd.type)
    today = uow.now.astimezone(_zone(uow)).date()
    check_applicant(kind, cmd.applicant.nik, cmd.applicant.birth_date, today)
    check_renewal(kind, cmd.previous_valid_until, today)
    return kind


def create_application(uow, queue, cmd: NewApplication, kind):
    """The application, its applicant, and for a hall visit the first step's ticket."""
    application_id = uuid.uuid4()
    facts = cmd.facts.model_dump(mode="json", exclude_defaults=True)
    application = Application.start(application_id, kind, uow.site["timezone"], uow.now,
                                    in_hall=cmd.in_hall and not kind.online, facts=facts)
    applicant_id = uuid.uuid4()
    a = cmd.applicant
    uow.applicants.add(applicant_id, a.nik, a.name, a.birth_date, a.email, a.phone, cmd.language)
    tracking_code = new_tracking_code()
    while uow.applications.tracking_code_taken(tracking_code):  # 59 bits: practically never
        tracking_code = new_tracking_code()
    uow.applications.add(application, applicant_id, tracking_code, cmd.priority)
    ticket = None
    if application.status == "in_progress":
        ticket = issue_step_ticket(uow, queue, application, cmd.language)
    return application, ticket


def check_in(uow, queue, tracking_code, language="id"):
    """An online registration arrives in the hall: the next step's ticket."""
    application = uow.applications.by_tracking_code(tracking_code, lock=True)
    application.check_in(uow.now)
    uow.applications.save(application)
    return application, issue_step_ticket(uow, queue, application, language)


def issue_step_ticket(uow, queue, application, language="id"):
    """The ticket for the application's current step (None for a step served without
    the citizen). The citizen keeps their first place in the hall's queues."""
    step = application.current_step
    if step is None or not step.hall:
        return None
    visit = uow.step_tickets.visits(application.id, step.code) + 1
    request = {"service": step.service, "priority": application.meta["priority"], "language": language,
               "request_id": f"documents:{application.id}:{step.code}:{visit}"}
    first = application.meta.get("first_queued_at")
    if first is not None:
        request["queued_at"] = first.isoformat()
    ticket = queue.issue_for_step(uow.site_code, request, ACTOR)
    uow.step_tickets.link(ticket["id"], application.id, step.code)
    if first is None:
        application.meta["first_queued_at"] = _parse_time(ticket.get("issued_at"))
        uow.applications.save(application)
    uow.record(Change("ticket_linked", fields={"application_id": application.id},
                      journal_data={"ticket_id": str(ticket["id"]), "step": step.code}))
    return ticket


# --- outcomes --------------------------------------------------------------------------------

def prepare_outcome(uow, ticket_id, details: OutcomeDetails, officer):
    """The officer's outcome details for the application behind ``ticket_id``, checked
    against its current step before the queue completes the ticket (a refusal leaves
    the ticket at the counter), kept until ticket_completed arrives."""
    link = uow.step_tickets.get(ticket_id, lock=True)
    if link is None:
        return {"application": False}
    application = uow.applications.get(link["application_id"], lock=True)
    if link["state"] != "open" or application.step != link["step"]:
        raise Conflict("Langkah ini sudah dinilai.", "This step already has its outcome.",
                       {"ticket_id": "step already completed"}, code="invalid_transition")
    # A dry run on a copy: the domain says whether the outcome can be taken.
    trial = Application(application.id, application.kind, application.timezone, application.status,
                        application.step, application.created_at, dict(application.facts), list(application.history))
    trial.record_outcome(details.outcome, uow.now, officer, details.note, details.missing, details.payment_reference,
                         number_for=lambda: "-")
    _check_missing_codes(application.kind, details)
    uow.step_tickets.set_details(ticket_id, {**details.model_dump(mode="json"), "officer": officer})
    return {"application": True, "application_id": str(application.id), "step": link["step"]}


def _check_missing_codes(kind, details):
    known = {doc.code for doc in kind.required_documents}
    unknown = [code for code in details.missing if code not in known]
    if unknown:
        raise InvalidInput("Kode berkas tidak dikenal: " + ", ".join(unknown) + ".",
                           "Unknown document codes: " + ", ".join(unknown) + ".",
                           {"missing": "one of " + ", ".join(sorted(known))})


def ticket_completed(uow, queue, event):
    """The queue completed a ticket. For a ticket of an application's open step: the
    outcome moves the application on (and the citizen into the next step's queue).
    Anything else — not ours, already handled, a step the application has left, no
    outcome given — changes nothing (journaled where it is ours)."""
    link = uow.step_tickets.get(event.ticket_id, lock=True)
    if link is None:
        return None
    application = uow.applications.get(link["application_id"], lock=True)
    if link["state"] != "open" or application.step != link["step"] or application.status not in (
            "in_progress", "submitted", "ready"):
        return None
    if event.outcome is None:
        uow.record(Change("completed_without_outcome", fields={"application_id": application.id},
                          journal_data={"ticket_id": str(event.ticket_id), "step": link["step"]}))
        uow.step_tickets.set_state(event.ticket_id, "stale")
        return None
    details = link["outcome_details"] or {}
    if details.get("outcome") != event.outcome:
        details = {}
    # Entered without details (the documents service was away): the record says so.
    note = details.get("note") or ("(alasan tidak dicatat)" if event.outcome == "failed" else None)
    missing = details.get("missing") or (("unspecified",) if event.outcome == "incomplete" else ())
    local_day = application.local_day(uow.now)

    def number_for():
        seq = uow.numbers.take_next(application.kind.document_prefix, local_day.year)
        return document_number(application.kind, seq, local_day, uow.site_code)

    try:
        next_step = application.record_outcome(
            event.outcome, uow.now, officer=details.get("officer") or f"loket {event.counter}", note=note,
            missing=missing, payment_reference=details.get("payment_reference"), number_for=number_for)
    except InvalidInput as refusal:
        # Completed while this service was away, without what the step needs (a payment
        # reference): the step is not passed; the citizen is called to it again.
        application.changes.clear()
        uow.step_tickets.set_state(event.ticket_id, "stale")
        uow.record(Change("outcome_refused", fields={"application_id": application.id},
                          journal_data={"ticket_id": str(event.ticket_id), "step": link["step"],
                                        "fields": sorted(refusal.fields)}))
        return issue_step_ticket(uow, queue, application)
    uow.step_tickets.set_state(event.ticket_id, "done")
    uow.applications.save(application)
    if next_step is not None:
        return issue_step_ticket(uow, queue, application)
    return None


def review(uow, tracking_code, details: OutcomeDetails, officer):
    """An officer's review of a step served without the citizen (an online report or
    permit): issued (passed), returned with the reason (failed) or incomplete. The
    citizen then collects at the hall or downloads; no ticket is issued for them."""
    application = uow.applications.by_tracking_code(tracking_code, lock=True)
    step = application.current_step
    if step is None or step.hall:
        raise Conflict("Langkah ini dilayani di loket.", "This step is served at a counter.",
                       {"step": application.step or "none"}, code="invalid_transition")
    _check_missing_codes(application.kind, details)
    local_day = application.local_day(uow.now)

    def number_for():
        seq = uow.numbers.take_next(application.kind.document_prefix, local_day.year)
        return document_number(application.kind, seq, local_day, uow.site_code)

    application.record_outcome(details.outcome, uow.now, officer, details.note, details.missing,
                               details.payment_reference, number_for=number_for)
    uow.applications.save(application)
    return application


# --- views ----------------------------------------------------------------------------------

def application_view(uow, queue, application):
    """What the applicant sees: their own application and nothing about anyone else."""
    kind = application.kind
    done = {}
    for record in application.history:
        done.setdefault(record.step, record.outcome if record.outcome != "passed" else "passed")
        if record.outcome == "passed":
            done[record.step] = "passed"
    steps = []
    for step in kind.steps:
        if step.code == application.step:
            state = "current"
        elif done.get(step.code) == "passed":
            state = "passed"
        elif application._skips(step, uow.now):
            state = "skipped"
        else:
            state = "pending"
        steps.append({"code": step.code, "name": step.name, "name_en": step.name_en, "service": step.service,
                      "hall": step.hall, "state": state})
    history = [{"step": r.step, "outcome": r.outcome, "at": r.at.isoformat(), "note": r.note,
                "retake_after": r.retake_after.isoformat() if r.retake_after else None, "missing": list(r.missing)}
               for r in application.history]
    ticket = None
    link = uow.step_tickets.current(application.id)
    if link is not None and application.step == link["step"]:
        ticket = queue.get_ticket(uow.site_code, str(link["ticket_id"]))
    return {
        "id": str(application.id), "tracking_code": application.meta["tracking_code"], "type": kind.code,
        "type_name": kind.name, "type_name_en": kind.name_en, "fee": kind.fee, "status": application.status,
        "step": application.step, "steps": steps, "history": history,
        "document_number": application.document_number,
        "valid_until": application.valid_until.isoformat() if application.valid_until else None,
        "ticket": ticket, "uploads": upload_views(uow, application),
        # For the applicant's journey view: what the missing codes name, and until when
        # an online registration can check in.
        "required_documents": [{"code": d.code, "name": d.name, "name_en": d.name_en, "required": d.required}
                               for d in kind.required_documents],
        "created_at": application.created_at.isoformat(),
        "check_in_before": ((application.created_at + ONLINE_REGISTRATION_LAPSES_AFTER).isoformat()
                            if application.status == "registered" else None),
    }


def officer_view(uow, queue, application, officer, reason):
    """An officer's view: the applicant's name and NIK too, with the read journaled."""
    view = application_view(uow, queue, application)
    applicant = uow.applicants.get(application.meta["applicant_id"])
    view["applicant"] = {"nik": applicant["nik"], "name": applicant["name"],
                         "birth_date": applicant["birth_date"].isoformat()}
    view["required_documents"] = [{"code": d.code, "name": d.name, "name_en": d.name_en, "required": d.required}
                                  for d in application.kind.required_documents]
    step = application.current_step
    view["current_step"] = None if step is None else {
        "code": step.code, "name": step.name, "name_en": step.name_en, "records_payment": step.records_payment,
        "retake_days": step.retake_days, "issues_document": step.issues_document}
    uow.record(Change("officer_view", fields={"application_id": application.id},
                      journal_data={"officer": officer, "reason": reason}))
    return view


def application_for_ticket(uow, ticket_id):
    link = uow.step_tickets.get(ticket_id)
    if link is None:
        raise not_an_application_ticket()
    return uow.applications.get(link["application_id"])


# --- uploads ---------------------------------------------------------------------------------

def add_upload(uow, store, tracking_code, document_code, data: bytes):
    """A scan or photo for one of the type's documents: PDF, JPEG or PNG by its bytes,
    at most MAX_UPLOAD_BYTES. The file is written first, then the row: a failed
    commit leaves an unreferenced file, never a row without its file."""
    application = uow.applications.by_tracking_code(tracking_code)
    if application.status not in OPEN_STATUSES:
        raise Conflict("Permohonan sudah ditutup.", "The application is closed.", {"status": application.status},
                       code="invalid_transition")
    known = {doc.code for doc in application.kind.required_documents}
    if document_code not in known:
        raise InvalidInput("Jenis berkas tidak dikenal.", "Unknown document.",
                           {"document": "one of " + ", ".join(sorted(known))})
    if not data:
        raise InvalidInput("Berkas kosong.", "The file is empty.", {"file": "empty"})
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"Berkas lebih dari {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
                           f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
                           {"file": f"at most {MAX_UPLOAD_BYTES} bytes"})
    content_type = sniff(data)
    if content_type is None:
        raise InvalidInput("Berkas harus PDF, JPEG atau PNG.", "The file must be a PDF, JPEG or PNG.",
                           {"file": "PDF, JPEG or PNG only (by content)"})
    upload_id, key = uuid.uuid4(), uuid.uuid4().hex
    store.put(key, data)
    uow.uploads.add(upload_id, application.id, document_code, content_type, len(data),
                    hashlib.sha256(data).hexdigest(), key, uow.actor, uow.now)
    uow.record(Change("upload", fields={"application_id": application.id},
                      journal_data={"upload_id": str(upload_id), "document": document_code,
                                    "content_type": content_type, "size": len(data)}))
    return {"id": str(upload_id), "document_code": document_code, "content_type": content_type, "size": len(data)}


def get_upload(uow, store, application, upload_id):
    row = uow.uploads.get(application.id, upload_id)
    if row is None:
        raise NotFound("Berkas tidak ditemukan.", "File not found.", {"upload_id": "unknown"})
    return {"content_type": row["content_type"], "document_code": row["document_code"],
            "content": base64.b64encode(store.get(row["storage_key"])).decode()}


def upload_views(uow, application):
    return [{"id": str(r["id"]), "document_code": r["document_code"], "content_type": r["content_type"],
             "size": r["size"], "at": r["created_at"].isoformat()} for r in uow.uploads.of(application.id)]


def applicant_contact(uow, application_id):
    """The applicant's contact, for notify at send time; the read is journaled."""
    application = uow.applications.get(application_id)
    applicant = uow.applicants.get(application.meta["applicant_id"])
    uow.record(Change("read_contact", fields={"application_id": application.id}))
    # With what notify's messages need besides: the tracking code (the status page's
    # link), whether the type is online, and the required documents' names (for
    # "incomplete"); the rest it reads from the applicant's view (get_application).
    return {"email": applicant["email"], "phone": applicant["phone"], "language": applicant["language"],
            "tracking_code": application.meta["tracking_code"], "online": application.kind.online,
            "documents": {d.code: {"name": d.name, "name_en": d.name_en}
                          for d in application.kind.required_documents}}


def _zone(uow):
    from zoneinfo import ZoneInfo
    return ZoneInfo(uow.site["timezone"])


def _parse_time(value):
    from datetime import datetime
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)



# --- the applicant's key, cancel, coming back ---------------------------------------------

def application_access_key(secret: str, application_id) -> str:
    """The holder's proof for an application (given once, with the tracking code, when
    it is created): an HMAC of its id under the installation's secret, 144 bits."""
    mac = hmac.new(secret.encode(), f"application-access:{application_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def check_application_key(secret, application, given):
    if not given:
        raise Unauthorized("Kunci permohonan diperlukan.", "The application's key is required.",
                           {"X-Application-Key": "missing"}, code="application_key_required")
    if not hmac.compare_digest(application_access_key(secret, application.id).encode(), str(given).encode()):
        raise Forbidden("Kunci permohonan tidak cocok.", "The application's key does not match.",
                        {"X-Application-Key": "wrong key"}, code="wrong_application_key")


def cancel_application(uow, queue, tracking_code, secret, access_key=None, officer=None):
    """The applicant (with the application's key) or an officer cancels an open
    application: its waiting step ticket is withdrawn from the queue, the application
    is closed as cancelled (journaled; application_cancelled)."""
    application = uow.applications.by_tracking_code(tracking_code, lock=True)
    if officer is None:
        check_application_key(secret, application, access_key)
    application.cancel(uow.now, reason="officer" if officer else "applicant")
    link = uow.step_tickets.current(application.id)
    if link is not None:
        uow.step_tickets.set_state(link["ticket_id"], "withdrawn")
        withdrawn = queue.cancel_step_ticket(uow.site_code, str(link["ticket_id"]), ACTOR)
        uow.record(Change("ticket_withdrawn", fields={"application_id": application.id},
                          journal_data={"ticket_id": str(link["ticket_id"]), "step": link["step"],
                                        "cancelled_in_queue": withdrawn is not None}))
    uow.applications.save(application)
    return application


def resume(uow, queue, tracking_code, language="id"):
    """Back after a failed step (from its retake date on) or with what was missing:
    a new visit, with a new ticket for the step that stopped (none for a step an
    officer reviews without the citizen: it is back in review)."""
    application = uow.applications.by_tracking_code(tracking_code, lock=True)
    application.resume(uow.now)
    uow.applications.save(application)
    return application, issue_step_ticket(uow, queue, application, language)


def expire_if_lapsed(uow, tracking_code):
    """Before a check-in: a lapsed registration is persisted as expired (its own
    transaction, so the check-in's refusal does not undo it)."""
    application = uow.applications.by_tracking_code(tracking_code, lock=True)
    if application.expire(uow.now):
        uow.applications.save(application)


def come_back(uow, queue, tracking_code, language="id"):
    """The kiosk's check-in with a tracking code, whatever brought the citizen: an
    online registration, a missed call, or a resumed visit after failed/incomplete."""
    application = uow.applications.by_tracking_code(tracking_code)
    if application.status in ("failed", "incomplete"):
        return resume(uow, queue, tracking_code, language)
    return check_in(uow, queue, tracking_code, language)


# --- lapsed online registrations --------------------------------------------------------------

def expire_lapsed(uow, limit=200):
    """Close the online registrations not checked in within three days, as expired
    (application_cancelled, reason registration_lapsed). Idempotent: an application
    already expired, checked in meanwhile or locked by a check-in is left alone."""
    expired = 0
    for application in uow.applications.lapsed_registrations(uow.now, limit):
        if application.expire(uow.now):
            uow.applications.save(application)
            expired += 1
    return expired


# --- the queue's no-show and transfer of a step's ticket ----------------------------------------

def ticket_transferred(uow, event):
    """An officer moved the ticket of an application's step to another service: the
    new ticket serves the same step (its outcome moves the application on)."""
    link = uow.step_tickets.get(event.ticket_id, lock=True)
    if link is None or link["state"] != "open":
        return None
    uow.step_tickets.set_state(event.ticket_id, "transferred")
    uow.step_tickets.link(event.new_ticket_id, link["application_id"], link["step"])
    uow.record(Change("ticket_transferred", fields={"application_id": link["application_id"]},
                      journal_data={"ticket_id": str(event.ticket_id), "new_ticket_id": str(event.new_ticket_id),
                                    "to_service": event.to_service, "step": link["step"]}))
    return event.new_ticket_id


def ticket_no_show(uow, event):
    """The citizen did not come when called for a step: the application waits at that
    step (status missed) until they check in again for a new ticket."""
    return _ticket_ended(uow, event.ticket_id, "no_show", "no_show")


def ticket_cancelled(uow, event):
    """A step's ticket cancelled in the queue by its holder, or closed by the system
    with the hall's day: like a missed call, the application waits at that step for a
    new check-in. A ticket this service withdrew itself (its application cancelled) is
    no longer open and is left alone."""
    return _ticket_ended(uow, event.ticket_id, "cancelled", "ticket_cancelled")


def _ticket_ended(uow, ticket_id, state, why):
    link = uow.step_tickets.get(ticket_id, lock=True)
    if link is None or link["state"] != "open":
        return None
    uow.step_tickets.set_state(ticket_id, state)
    application = uow.applications.get(link["application_id"], lock=True)
    if application.missed_call(uow.now, link["step"], why):
        uow.applications.save(application)
    return application


# --- the issued letter ------------------------------------------------------------------------

def letter(uow, application, by_officer=None):
    """The issued letter of an online application (lost-item report, crowd permit) as
    a PDF. The applicant's first download collects it (application_collected); an
    officer's download changes nothing but is journaled."""
    from services.documents.letters import letter_pdf

    if application.kind.online and application.status not in ("ready", "collected"):
        raise not_now_letter(application.status)
    if not application.kind.online or application.document_number is None:
        raise NotFound("Tidak ada surat untuk diunduh pada permohonan ini.",
                       "This application has no letter to download.",
                       {"tracking_code": "no issued letter"}, code="no_letter")
    issued = next((r for r in reversed(application.history) if r.outcome == "passed"
                   and r.step in {s.code for s in application.kind.steps if s.issues_document}), None)
    applicant = uow.applicants.get(application.meta["applicant_id"])
    pdf = letter_pdf(type_name=application.kind.name, type_name_en=application.kind.name_en,
                     document_number=application.document_number,
                     issued_on=application.local_day(issued.at if issued else uow.now),
                     valid_until=application.valid_until, site_code=uow.site_code, applicant_name=applicant["name"],
                     nik=applicant["nik"], tracking_code=application.meta["tracking_code"],
                     note=issued.note if issued else None, officer=issued.officer if issued else None,
                     generated_at=uow.now)
    if by_officer is not None:
        uow.record(Change("letter_read", fields={"application_id": application.id},
                          journal_data={"officer": by_officer}))
    elif application.status == "ready":
        application.collect_by_download(uow.now)
        uow.applications.save(application)
    else:
        uow.record(Change("letter_downloaded", fields={"application_id": application.id}))
    return {"content": base64.b64encode(pdf).decode(), "content_type": "application/pdf",
            "filename": f"{application.kind.document_prefix}-{application.meta['tracking_code']}.pdf"}


def not_now_letter(status):
    from services.documents.domain import not_now
    return not_now(status, "diunduh", "downloaded")
