"""Who to tell, asked of the owner at send time: the ``lookup`` of
:mod:`services.notify.delivery`, made from the worker's RPC proxies.

A ticket's contact is the queue's (``queue.ticket_contact``, journaled there with
"notify" as the reader); its estimated wait is the queue's ticket view. The link a
message carries is the plain status page ``<PTSP_PUBLIC_URL>/t/<ticket id>``: it
shows the status but cannot cancel, because the holder's access key is the
citizen's secret and never reaches notify.

An application's contact will be the documents service's; until that service is
wired (``applicant_contact``), a lookup for one fails like an unreachable owner, so
its messages wait, retried and then dead-lettered (re-sendable), instead of being
dropped.
"""
from typing import Mapping, Optional

ACTOR = "notify"


class OwnerNotWired(Exception):
    """No service is wired to answer for this kind of subject yet."""


class Owners:
    """``Owners(queue_rpc, public_url)(subject, subject_id, site)`` -> the contact or None."""

    def __init__(self, queue_rpc, public_url: str, documents_rpc=None):
        self.queue_rpc, self.documents_rpc = queue_rpc, documents_rpc
        self.public_url = public_url.rstrip("/")

    def __call__(self, subject: str, subject_id, site: str) -> Optional[Mapping]:
        if subject == "ticket":
            return self.ticket(site, str(subject_id))
        if subject == "application" and self.documents_rpc is not None:
            # The documents service's RPC, once it exists: {email, phone, language,
            # track_url} of the applicant (its tracking page, no secret in it).
            return self.documents_rpc.applicant_contact(site, str(subject_id), ACTOR)
        raise OwnerNotWired(subject)

    def ticket(self, site: str, ticket_id: str) -> Optional[Mapping]:
        contact = self.queue_rpc.ticket_contact(site, ticket_id, ACTOR)
        if not contact or not (contact.get("email") or contact.get("phone")):
            return contact      # nothing will be sent: no need to ask for more
        wait = self.queue_rpc.get_ticket(site, ticket_id).get("estimated_wait_s")
        return {**contact, "track_url": f"{self.public_url}/t/{ticket_id}", "estimated_wait_s": wait}
