"""Who to tell, asked of the owner at send time: the ``lookup`` of
:mod:`services.notify.delivery`, made from the worker's RPC proxies.

A ticket's contact is the queue's (``queue.ticket_contact``, journaled there with
"notify" as the reader), with the holder's access key; its estimated wait is the
queue's ticket view. The link a ticket's message carries is the status page with the
key in the fragment, ``<PTSP_PUBLIC_URL>/t/<ticket id>#k=<access key>``, exactly as
the kiosk's answer gives it (``track_url``), so the citizen can cancel from the mail
and answer the satisfaction survey there. The key is in the message only: never in
notify's tables, a log line, an error or a metric.

An application's contact is the documents service's (``documents.applicant_contact``,
journaled there), with its tracking code; the link is the applicant's status page
``<PTSP_PUBLIC_URL>/a/<tracking code>``. The words of the message (the type's and
steps' names, the next step's queue and number, the officer's reason) come from the
applicant's own view of the application (``documents.get_application``) as
``details``, with the tracking code (a missed call's message shows it for the kiosk's
check-in): notify keeps no copy of the documents catalogue.
"""
import re
from typing import Mapping, Optional

ACTOR = "notify"
_KEY = re.compile(r"[A-Za-z0-9_-]{1,200}")


class OwnerNotWired(Exception):
    """No service is wired to answer for this kind of subject."""


class Owners:
    """``Owners(queue_rpc, public_url, documents_rpc)(subject, subject_id, site)`` -> the contact or None."""

    def __init__(self, queue_rpc, public_url: str, documents_rpc=None):
        self.queue_rpc, self.documents_rpc = queue_rpc, documents_rpc
        self.public_url = public_url.rstrip("/")

    def __call__(self, subject: str, subject_id, site: str) -> Optional[Mapping]:
        if subject == "ticket":
            return self.ticket(site, str(subject_id))
        if subject == "application" and self.documents_rpc is not None:
            return self.application(site, str(subject_id))
        raise OwnerNotWired(subject)

    def ticket(self, site: str, ticket_id: str) -> Optional[Mapping]:
        contact = dict(self.queue_rpc.ticket_contact(site, ticket_id, ACTOR) or {})
        key = contact.pop("access_key", None)
        if not (contact.get("email") or contact.get("phone")):
            return contact or None     # nothing will be sent: no need to ask for more
        wait = self.queue_rpc.get_ticket(site, ticket_id).get("estimated_wait_s")
        track_url = f"{self.public_url}/t/{ticket_id}"
        if key and _KEY.fullmatch(key):
            track_url += "#k=" + key
        return {**contact, "track_url": track_url, "estimated_wait_s": wait}

    def application(self, site: str, application_id: str) -> Optional[Mapping]:
        contact = dict(self.documents_rpc.applicant_contact(site, application_id, ACTOR) or {})
        code = contact.pop("tracking_code", None)
        online = bool(contact.pop("online", False))
        documents = contact.pop("documents", None) or {}
        if not (contact.get("email") or contact.get("phone")) or not code:
            return contact or None
        view = self.documents_rpc.get_application(site, code)
        return {**contact, "track_url": f"{self.public_url}/a/{code}",
                "details": {**application_details(view, online, documents), "tracking_code": code}}


def application_details(view: Mapping, online: bool, documents: Optional[Mapping] = None) -> dict:
    """The words of an application's messages from the applicant's view of it
    (``documents.get_application``): names in both languages, the steps' queues,
    the ticket of the step the citizen is at, and the last outcome's reason."""
    last = (view.get("history") or [None])[-1] or {}
    ticket = view.get("ticket") or None
    return {
        "online": online,
        "type_name": view.get("type_name"), "type_name_en": view.get("type_name_en"),
        "steps": {step["code"]: {"name": step.get("name"), "name_en": step.get("name_en"),
                                 "service": step.get("service")} for step in view.get("steps") or ()},
        "current_step": view.get("step"),
        "ticket": None if ticket is None else {
            "number": ticket.get("number"), "service": ticket.get("service"),
            "service_name": ticket.get("service_name"), "service_name_en": ticket.get("service_name_en")},
        "last": {"step": last.get("step"), "outcome": last.get("outcome"), "note": last.get("note"),
                 "missing": [dict((documents or {}).get(code) or {"name": code, "name_en": code})
                             for code in last.get("missing") or ()]},
    }
