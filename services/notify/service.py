"""Notify service entrypoints: queue and documents events in, messages out; nothing more.

Each event the citizen should hear about is handled through the consumer kit
(``@consume``: its transaction records the event id, so a redelivery does nothing):
the handler records the messages the event gives on a unit of work over that
transaction, and they are sent once it has committed (``self.notify.after_commit``).
What could not be sent then (the process died, the owner or the mail server was
away) is sent by the sweep. ``ticket_recalled`` and ``ticket_started`` are not
consumed: a recall repeats a call the citizen was already told of, and neither moves
anyone in the line; nor are ``application_step_completed`` (advanced, failed or ready
follows it) and ``application_collected`` (the citizen is at the counter).
"""
import uuid
from datetime import timedelta

from nameko.timer import timer

from shared.contracts import events as ev
from shared.contracts.errors import InvalidInput, NotFound, Unavailable
from shared.infrastructure.consumer import consume
from shared.infrastructure.metrics import Metrics
from shared.infrastructure.rpc import RpcProxy, rpc
from services.notify import delivery, handlers
from services.notify.contacts import Owners
from services.notify.dependencies import ACTOR, Notify, NotifyStore, unit_of_work_on
from services.notify.metrics import NotifyMetrics

CONTACT_TIMEOUT_S = 5     # the owners' contact RPCs: well under a delivery's 60 s lease
SWEEP_INTERVAL_S = 5
PRUNE_INTERVAL_S = 3600
RETRIES = 8   # the kit's retries of a handler that fails (database trouble): 1 s … 128 s


class NotifyService:
    name = "notify"

    store = NotifyStore()
    metrics = Metrics(NotifyMetrics)
    notify = Notify()
    queue = RpcProxy("queue", timeout=CONTACT_TIMEOUT_S)
    documents = RpcProxy("documents", timeout=CONTACT_TIMEOUT_S)

    # --- queue events -------------------------------------------------------------

    @consume(ev.TicketIssued, retries=RETRIES)
    def on_ticket_issued(self, event, tx):
        self._record_ticket(event, tx)

    @consume(ev.TicketCalled, retries=RETRIES)
    def on_ticket_called(self, event, tx):
        self._record_ticket(event, tx)

    @consume(ev.TicketCancelled, retries=RETRIES)
    def on_ticket_cancelled(self, event, tx):
        self._record_ticket(event, tx)

    @consume(ev.TicketNoShow, retries=RETRIES)
    def on_ticket_no_show(self, event, tx):
        self._record_ticket(event, tx)

    @consume(ev.TicketCompleted, retries=RETRIES)
    def on_ticket_completed(self, event, tx):
        self._record_ticket(event, tx)

    @consume(ev.TicketTransferred, retries=RETRIES)
    def on_ticket_transferred(self, event, tx):
        self._record_ticket(event, tx)

    # --- documents events -----------------------------------------------------------

    @consume(ev.ApplicationSubmitted, retries=RETRIES)
    def on_application_submitted(self, event, tx):
        self._record_application(event, tx)

    @consume(ev.ApplicationAdvanced, retries=RETRIES)
    def on_application_advanced(self, event, tx):
        self._record_application(event, tx)

    @consume(ev.ApplicationFailed, retries=RETRIES)
    def on_application_failed(self, event, tx):
        self._record_application(event, tx)

    @consume(ev.ApplicationReady, retries=RETRIES)
    def on_application_ready(self, event, tx):
        self._record_application(event, tx)

    @consume(ev.ApplicationMissed, retries=RETRIES)
    def on_application_missed(self, event, tx):
        self._record_application(event, tx)

    @consume(ev.ApplicationCancelled, retries=RETRIES)
    def on_application_cancelled(self, event, tx):
        self._record_application(event, tx)

    def _record_ticket(self, event, tx):
        uow = unit_of_work_on(tx, event.site)
        self._send_after_commit(handlers.record_queue_event(uow, event, self.notify.turn_near,
                                                            self.notify.head_start_s))

    def _record_application(self, event, tx):
        self._send_after_commit(handlers.record_application_event(unit_of_work_on(tx, event.site), event))

    def _send_after_commit(self, ids):
        if ids:
            self.notify.after_commit(lambda: delivery.dispatch(self._outlet(), self.store, ids))

    # --- the sweep -----------------------------------------------------------------

    @timer(interval=SWEEP_INTERVAL_S, expected_exceptions=Unavailable)
    def sweep(self):
        """Messages not sent after their commit, and retries that are due."""
        delivery.run_due(self._outlet(), self.store)

    @timer(interval=PRUNE_INTERVAL_S, expected_exceptions=Unavailable)
    def prune(self):
        """The waiting-line projection keeps two days."""
        with self.store(None, ACTOR) as uow:
            uow.waiting.prune(delivery.utcnow() - timedelta(days=2))

    # --- for a supervisor (through the gateway) ---------------------------------------------

    @rpc
    def dead_letters(self, site):
        """The site's dead deliveries and messages, newest first, masked recipients only."""
        return delivery.dead_letter_views(self.store, site)

    @rpc
    def resend(self, site, delivery_id):
        """Send a dead delivery (or message) of the site again; the next sweep sends it."""
        try:
            dead_id = uuid.UUID(str(delivery_id))
        except ValueError:
            raise InvalidInput("Nomor pesan tidak sah.", "Not a message id.", {"id": "not a uuid"}) from None
        if not delivery.resend(self.store, dead_id, site):
            raise NotFound("Tidak ada pesan gagal dengan nomor itu.", "No dead letter with that id.",
                           {"id": "not a dead letter of this site"})
        return {"id": str(dead_id), "status": "pending"}

    def _outlet(self):
        owners = Owners(self.queue, self.notify.settings.PTSP_PUBLIC_URL, self.documents)
        return self.notify.outlet(owners, self.metrics)
