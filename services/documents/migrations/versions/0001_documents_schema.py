"""Documents schema: application types per site, applicants (the only place their
personal data lives), applications, step history, the tickets of each step,
document numbering, journal, outbox and processed events.

Revision ID: 0001
Revises:
"""
from alembic import op

from shared.infrastructure.consumer import PROCESSED_EVENTS_DDL
from shared.infrastructure.outbox import OUTBOX_DDL

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    -- The sites this service serves (codes as the queue service names them).
    CREATE TABLE documents.sites (
        code text PRIMARY KEY CHECK (code ~ '^[a-z0-9-]{2,40}$'),
        timezone text NOT NULL CHECK (timezone IN ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'))
    );

    -- Copied from services/documents/catalog.py by the seed; a supervisor adjusts
    -- steps, fees and required documents per site.
    CREATE TABLE documents.application_types (
        site_code text NOT NULL REFERENCES documents.sites(code),
        code text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,39}$'),
        name text NOT NULL,
        name_en text NOT NULL,
        fee int NOT NULL CHECK (fee >= 0),
        steps jsonb NOT NULL,
        required_documents jsonb NOT NULL,
        validity_months int CHECK (validity_months > 0),
        document_prefix text NOT NULL,
        online boolean NOT NULL DEFAULT false,
        renewal_grace_days int,
        minimum_age int,
        active boolean NOT NULL DEFAULT true,
        sort_order int NOT NULL DEFAULT 0,
        PRIMARY KEY (site_code, code)
    );

    -- Personal data: only here, never in events, the journal or logs.
    CREATE TABLE documents.applicants (
        id uuid PRIMARY KEY,
        site_code text NOT NULL REFERENCES documents.sites(code),
        nik char(16) NOT NULL CHECK (nik ~ '^[0-9]{16}$'),
        name text NOT NULL,
        birth_date date NOT NULL,
        email text,
        phone text,
        language text NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX applicants_nik ON documents.applicants (site_code, nik);

    CREATE TABLE documents.applications (
        id uuid PRIMARY KEY,
        site_code text NOT NULL REFERENCES documents.sites(code),
        type_code text NOT NULL,
        applicant_id uuid NOT NULL REFERENCES documents.applicants(id),
        -- short, unguessable, without look-alike characters (no 0/O, 1/I/L)
        tracking_code text NOT NULL UNIQUE CHECK (tracking_code ~ '^[A-HJKMNP-Z2-9]{12}$'),
        status text NOT NULL CHECK (status IN ('registered', 'submitted', 'in_progress', 'failed',
            'incomplete', 'returned', 'ready', 'collected', 'cancelled', 'expired')),
        step text,
        facts jsonb NOT NULL DEFAULT '{}',
        priority text NOT NULL DEFAULT 'regular'
            CHECK (priority IN ('regular', 'elderly', 'disabled', 'pregnant')),
        first_queued_at timestamptz,      -- the citizen's place in the hall, kept from step to step
        document_number text UNIQUE,
        valid_until date,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        FOREIGN KEY (site_code, type_code) REFERENCES documents.application_types(site_code, code)
    );
    CREATE INDEX applications_site ON documents.applications (site_code, created_at DESC);

    CREATE TABLE documents.step_history (
        id bigserial PRIMARY KEY,
        application_id uuid NOT NULL REFERENCES documents.applications(id),
        step text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('passed', 'failed', 'incomplete')),
        at timestamptz NOT NULL,
        officer text,
        note text,
        retake_after date,
        missing text[] NOT NULL DEFAULT '{}',
        payment_reference text
    );
    CREATE INDEX step_history_application ON documents.step_history (application_id, id);

    -- The queue tickets of each step: which application and step a ticket serves.
    -- ``outcome_details``: what the officer entered before completing the ticket.
    CREATE TABLE documents.step_tickets (
        ticket_id uuid PRIMARY KEY,
        application_id uuid NOT NULL REFERENCES documents.applications(id),
        step text NOT NULL,
        state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'stale')),
        outcome_details jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX step_tickets_application ON documents.step_tickets (application_id, created_at DESC);

    -- The register's numbers: one sequence per site, document prefix and year.
    CREATE TABLE documents.document_numbers (
        site_code text NOT NULL REFERENCES documents.sites(code),
        prefix text NOT NULL,
        year int NOT NULL,
        last_seq int NOT NULL,
        PRIMARY KEY (site_code, prefix, year)
    );

    CREATE TABLE documents.journal (
        id bigserial PRIMARY KEY,
        site_code text NOT NULL,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        application_id uuid,
        data jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX journal_application ON documents.journal (application_id, id);
    """)
    op.execute(OUTBOX_DDL.format(schema="documents"))
    op.execute(PROCESSED_EVENTS_DDL.format(schema="documents"))


def downgrade():
    for table in ("processed_events", "outbox", "journal", "document_numbers", "step_tickets", "step_history",
                  "applications", "applicants", "application_types", "sites"):
        op.execute(f"DROP TABLE IF EXISTS documents.{table} CASCADE")
