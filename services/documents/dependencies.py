"""The documents service's resources: its store (the unit of work over the documents
schema) and its metrics."""
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge

from shared.infrastructure.config import REPO_ROOT

from shared.contracts import events
from shared.infrastructure.unit_of_work import UnitOfWork, UnitOfWorkProvider, utcnow
from services.documents.repository import DocumentsRepositories, journal_change
from services.documents.storage import store_from

SCHEMA = "documents"


class DocumentsMetrics:
    """Labels are site, type and step codes only — never anything about an applicant."""

    def __init__(self, registry):
        self.submitted = Counter("ptsp_applications_submitted_total", "Applications started",
                                 ["site", "type"], registry=registry)
        self.steps = Counter("ptsp_application_steps_total", "Steps given an outcome",
                             ["site", "type", "step", "outcome"], registry=registry)
        self.ready = Counter("ptsp_applications_ready_total", "Documents issued", ["site", "type"],
                             registry=registry)
        # The same outbox figures as the queue's (the alert rules cover every service).
        self.outbox_pending = Gauge("ptsp_outbox_pending", "Events committed but not yet published",
                                    registry=registry)
        self.outbox_oldest = Gauge("ptsp_outbox_oldest_age_seconds",
                                   "Age of the oldest event not yet published (0 when none)", registry=registry)

    def set_outbox(self, pending, oldest_age_s):
        self.outbox_pending.set(pending)
        self.outbox_oldest.set(oldest_age_s)

    def after_commit(self, uow):
        for event in uow.events:
            if isinstance(event, events.ApplicationSubmitted):
                self.submitted.labels(event.site, event.type).inc()
            elif isinstance(event, events.ApplicationStepCompleted):
                self.steps.labels(event.site, event.type, event.step, event.outcome).inc()
            elif isinstance(event, events.ApplicationReady):
                self.ready.labels(event.site, event.type).inc()


class DocumentsStore(UnitOfWorkProvider):
    """The documents schema: journaled units of work, metrics told after each commit,
    the outbox relay publishing the application events."""

    def __init__(self):
        # publishes_events: the outbox relay runs as the store's sub-extension (a bare
        # OutboxRelay on the service class is never started by nameko).
        super().__init__(SCHEMA, DocumentsRepositories, journal=journal_change, after_commit=("metrics",),
                         publishes_events=True)


def unit_of_work_on(tx, site_code, actor):
    """A unit of work on the consumer kit's transaction (the kit commits it together
    with the processed event's id)."""
    return UnitOfWork(tx, SCHEMA, DocumentsRepositories, site_code, utcnow(), actor, journal=journal_change)


class UploadStorage(DependencyProvider):
    """The uploads' store (services/documents/storage.py): a local directory by default
    (``UPLOAD_DIR``, default var/uploads in the repository), or an S3-compatible store
    with ``UPLOAD_STORE=s3`` for a cluster."""

    def setup(self):
        self.store = store_from(self.container.config, REPO_ROOT / "var" / "uploads")

    def get_dependency(self, worker_ctx):
        return self.store
