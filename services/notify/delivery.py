"""Sending, as plain functions of an :class:`Outlet` (everything sending needs) and
the notify store (a factory of units of work, ``store(site, actor)``; each step is a
short transaction of its own, never held across a hand-off).

A recorded message is *planned*: its citizen's contact is asked of the owning
service (the ``lookup``), and one delivery row is made for each configured channel
the contact has an address for (unique per message, channel and recipient hash, so
planning twice makes nothing twice). A citizen without contact gets nothing.

A delivery is *attempted*: taken with a lease (so two workers never send it
together), rendered, rate-limited per recipient, handed to its channel. A
transient failure is tried again after an exponential backoff, up to
``max_attempts``; a permanent one, or the last try, makes it dead: listed for a
supervisor with its reason (never the address) and re-sendable. Each delivery
stands alone, so one channel down neither stops the others nor loses anything.

Sending is at-least-once at the channel: a process that dies after the hand-off
but before recording it sends that one message again after the lease.
"""
import logging
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Optional, Sequence

import eventlet

from services.notify import domain
from services.notify.channels import DeliveryFailure, Meta
from services.notify.domain import Contact, Message
from services.notify.masking import mask, recipient_hash
from services.notify.rendering import Renderer

log = logging.getLogger(__name__)

ACTOR = "notify"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_s: float = 5.0
    max_s: float = 600.0
    lease_s: float = 60.0     # longer than any channel's timeout

    def delay(self, attempts: int) -> timedelta:
        """After the n-th failed attempt: base, 2·base, 4·base, … capped."""
        return timedelta(seconds=min(self.max_s, self.base_s * 2 ** max(0, attempts - 1)))


# lookup(subject, subject_id, site) -> the owner's answer: {"email", "phone", "language",
# "track_url", "estimated_wait_s"} or None. Raises when the owner cannot be asked.
Lookup = Callable[[str, object, str], Optional[Mapping]]


@dataclass
class Outlet:
    channels: Mapping[str, object]          # name -> channel (channels.py)
    lookup: Lookup
    secret: str                             # keys the recipient hash
    renderer: Renderer = field(default_factory=Renderer)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limit_per_hour: int = 20
    metrics: Optional[object] = None        # NotifyMetrics
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, settings, channels, lookup, metrics=None, clock=utcnow) -> "Outlet":
        return cls(channels=channels, lookup=lookup, secret=settings.PTSP_SECRET,
                   renderer=Renderer(settings.NOTIFY_SITE_NAME),
                   policy=RetryPolicy(settings.NOTIFY_MAX_ATTEMPTS, settings.NOTIFY_RETRY_BASE_S,
                                      settings.NOTIFY_RETRY_MAX_S),
                   rate_limit_per_hour=settings.NOTIFY_RATE_LIMIT_PER_HOUR, metrics=metrics, clock=clock)


# --- the entry points ---------------------------------------------------------------------------

def dispatch(outlet: Outlet, store, message_ids: Sequence) -> dict:
    """Right after the event's transaction committed: plan and attempt these
    messages now. Whatever fails here stays recorded for :func:`run_due`."""
    if not message_ids:
        return {"planned": 0, "attempted": 0, "sent": 0}
    with store(None, ACTOR) as uow:
        messages = uow.messages.claim(outlet.clock(), outlet.policy.lease_s, len(message_ids), message_ids)
    contacts = {message["id"]: plan(outlet, store, message) for message in messages}
    return {"planned": len(messages), **_drain_channels(outlet, store, 100, contacts, list(message_ids))}


def run_due(outlet: Outlet, store, limit: int = 100) -> dict:
    """The periodic sweep (a nameko timer): messages not yet planned (the process died,
    the owner could not be asked) and deliveries due for a retry."""
    with store(None, ACTOR) as uow:
        messages = uow.messages.claim(outlet.clock(), outlet.policy.lease_s, limit)
    contacts = {message["id"]: plan(outlet, store, message) for message in messages}
    result = {"planned": len(messages), **_drain_channels(outlet, store, limit, contacts, None)}
    if outlet.metrics:
        with store(None, ACTOR) as uow:
            outlet.metrics.set_dead_letters(uow.dead_letters.count())
    return result


def _drain_channels(outlet: Outlet, store, limit: int, contacts: dict, message_ids) -> dict:
    """Each channel in a greenthread of its own, so a mail server that hangs until its
    timeout does not hold back the SMS. Within a channel, deliveries are taken one at
    a time: a lease starts when its attempt does, so a long queue behind a slow server
    never outlives its leases (which would let another worker send the same twice)."""
    pool = eventlet.GreenPool(max(1, len(outlet.channels)))
    threads = [pool.spawn(_drain, outlet, store, channel, limit, contacts, message_ids) for channel in outlet.channels]
    results = [outcome for thread in threads for outcome in thread.wait()]
    return {"attempted": len(results), "sent": results.count("sent")}


def _drain(outlet: Outlet, store, channel: str, limit: int, contacts: dict, message_ids) -> list[str]:
    outcomes = []
    while len(outcomes) < limit:
        with store(None, ACTOR) as uow:
            claimed = uow.deliveries.claim(outlet.clock(), outlet.policy.lease_s, 1, message_ids, channel)
        if not claimed:
            break
        delivery = claimed[0]
        outcomes.append(attempt(outlet, store, delivery, contacts.get(delivery["message_id"])))
    return outcomes


def resend(store, dead_id, site: Optional[str] = None) -> bool:
    """A supervisor's "send again" for a dead delivery or message; the next sweep sends it."""
    with store(None, ACTOR) as uow:
        return uow.dead_letters.resend(dead_id, site)


def dead_letters(store, site: Optional[str] = None, limit: int = 200) -> list[dict]:
    with store(None, ACTOR) as uow:
        return uow.dead_letters.newest(site, limit)


def dead_letter_views(store, site: str, limit: int = 200) -> list[dict]:
    """The dead letters as a supervisor sees them (JSON; masked recipients only)."""
    return [{"id": str(row["id"]), "what": row["what"], "channel": row["channel"],
             "recipient": row["recipient_masked"], "kind": row["kind"], "site": row["site"],
             "attempts": row["attempts"], "reason": row["last_error"],
             "event_at": row["event_at"].isoformat(), "dead_at": row["updated_at"].isoformat()}
            for row in dead_letters(store, site, limit)]


# --- the steps --------------------------------------------------------------------------------

def ask_contact(outlet: Outlet, subject: str, subject_id, site: str) -> Optional[Contact]:
    return Contact.from_rpc(outlet.lookup(subject, subject_id, site))


def plan(outlet: Outlet, store, message: dict) -> Optional[Contact]:
    """Make the deliveries of one claimed message; returns the contact (for the
    attempts that follow at once) or None."""
    try:
        contact = ask_contact(outlet, message["subject"], message["subject_id"], message["site"])
    except Exception as exc:  # noqa: BLE001 - the owner being unreachable is a transient failure
        error = f"contact lookup: {type(exc).__name__}"
        with store(None, ACTOR) as uow:
            if message["attempts"] >= outlet.policy.max_attempts:
                uow.messages.set_status(message["id"], "dead", error)
            else:
                uow.messages.set_status(message["id"], "pending", error,
                                 outlet.clock() + outlet.policy.delay(message["attempts"]))
        log.warning("notify %s %s: %s", message["kind"], message["id"], error)
        return None
    found = domain.addresses(contact, list(outlet.channels))
    with store(None, ACTOR) as uow:
        for channel, address in found:
            uow.deliveries.add(message, channel, recipient_hash(outlet.secret, address), mask(address))
        uow.messages.set_status(message["id"], "planned" if found else "no_contact")
    return contact


def attempt(outlet: Outlet, store, delivery: dict, contact: Optional[Contact] = None) -> str:
    """Try one claimed delivery once; returns its new status."""
    channel_name, kind, site = delivery["channel"], delivery["kind"], delivery["site"]
    if contact is None:
        try:
            contact = ask_contact(outlet, delivery["subject"], delivery["subject_id"], delivery["site"])
        except Exception as exc:  # noqa: BLE001 - the owner unreachable: like a channel down
            return _failed(outlet, store, delivery, f"contact lookup: {type(exc).__name__}", transient=True)
    try:
        address = _address_for(outlet, contact, delivery)
        if address is None:
            return _dead(outlet, store, delivery, "recipient no longer on record")
        channel = outlet.channels.get(channel_name)
        if channel is None:
            return _dead(outlet, store, delivery, f"channel {channel_name} is not configured")
        now = outlet.clock()
        with store(None, ACTOR) as uow:
            recent = uow.deliveries.sent_since(delivery["recipient_hash"], now - timedelta(hours=1))
        if recent >= outlet.rate_limit_per_hour:
            return _dead(outlet, store, delivery, f"rate limited: {recent} messages in the last hour")
        message = Message(event_id=delivery["event_id"], kind=kind, site=site, subject=delivery["subject"],
                          subject_id=delivery["subject_id"], occurred_at=delivery["event_at"],
                          facts=delivery["facts"], language=delivery["language"])
        rendered = outlet.renderer.render(message, contact)
        channel.send(address, rendered, Meta(delivery_id=str(delivery["id"]), kind=kind, site=site,
                                             language=rendered.language))
    except DeliveryFailure as exc:
        return _failed(outlet, store, delivery, str(exc), transient=exc.transient)
    except Exception as exc:  # noqa: BLE001
        # A template or programming error: trying again cannot help. Type and place
        # only: the text of an unknown exception might quote the address.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.error("notify delivery %s failed: %s at %s:%d", delivery["id"], type(exc).__name__,
                  where.filename, where.lineno)
        return _dead(outlet, store, delivery, f"error: {type(exc).__name__}")
    sent_at = outlet.clock()
    with store(None, ACTOR) as uow:
        uow.deliveries.mark_sent(delivery["id"], sent_at)
    if outlet.metrics:
        outlet.metrics.record_sent(channel_name, site, kind, (sent_at - delivery["event_at"]).total_seconds())
    log.info("notify %s via %s to %s sent (attempt %d)", kind, channel_name, delivery["recipient_masked"],
             delivery["attempts"])
    return "sent"


def _address_for(outlet: Outlet, contact: Optional[Contact], delivery: dict) -> Optional[str]:
    """The contact's address on this channel, if it is still the one planned for."""
    for channel, address in domain.addresses(contact, [delivery["channel"]]):
        if recipient_hash(outlet.secret, address) == delivery["recipient_hash"]:
            return address
    return None


def _failed(outlet: Outlet, store, delivery: dict, error: str, transient: bool) -> str:
    retry = transient and delivery["attempts"] < outlet.policy.max_attempts
    with store(None, ACTOR) as uow:
        if retry:
            uow.deliveries.mark_failed(delivery["id"], error,
                             outlet.clock() + outlet.policy.delay(delivery["attempts"]))
        else:
            uow.deliveries.mark_dead(delivery["id"], error)
    if outlet.metrics:
        outlet.metrics.record_failed(delivery["channel"], delivery["site"], delivery["kind"], retry)
    log.warning("notify %s via %s to %s: %s (attempt %d, %s)", delivery["kind"], delivery["channel"],
                delivery["recipient_masked"], error, delivery["attempts"], "will retry" if retry else "dead")
    return "failed" if retry else "dead"


def _dead(outlet: Outlet, store, delivery: dict, error: str) -> str:
    return _failed(outlet, store, delivery, error, transient=False)
