"""Queue schema: catalog, tickets, daily numbering, journal, idempotency, outbox.

Revision ID: 0001
Revises:
"""
from alembic import op

from shared.infrastructure.outbox import OUTBOX_DDL

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    CREATE TABLE queue.sites (
        id serial PRIMARY KEY,
        code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{2,40}$'),
        name text NOT NULL,
        timezone text NOT NULL CHECK (timezone IN ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura')),
        running_text text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE queue.services (
        site_id int NOT NULL REFERENCES queue.sites(id),
        code text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,29}$'),
        prefix text NOT NULL CHECK (prefix ~ '^[A-Z]{1,2}$'),
        name text NOT NULL,
        name_en text NOT NULL,
        daily_quota int CHECK (daily_quota > 0),
        opens_at time,
        closes_at time,
        open_days int[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}',
        target_wait_s int NOT NULL DEFAULT 1800 CHECK (target_wait_s > 0),
        default_service_s int NOT NULL DEFAULT 300 CHECK (default_service_s > 0),
        active boolean NOT NULL DEFAULT true,
        sort_order int NOT NULL DEFAULT 0,
        PRIMARY KEY (site_id, code),
        UNIQUE (site_id, prefix),
        CHECK ((opens_at IS NULL) = (closes_at IS NULL))
    );

    CREATE TABLE queue.officers (
        id serial PRIMARY KEY,
        site_id int NOT NULL REFERENCES queue.sites(id),
        username text NOT NULL CHECK (username ~ '^[a-z0-9_.-]{2,40}$'),
        full_name text NOT NULL DEFAULT '',
        role text NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
        password_hash text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        UNIQUE (site_id, username)
    );

    CREATE TABLE queue.tickets (
        id uuid PRIMARY KEY,
        site_id int NOT NULL REFERENCES queue.sites(id),
        service_code text NOT NULL,
        local_date date NOT NULL,
        seq int NOT NULL CHECK (seq > 0),
        number text NOT NULL,
        priority text NOT NULL CHECK (priority IN ('regular', 'elderly', 'disabled', 'pregnant')),
        status text NOT NULL CHECK (status IN
            ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled', 'transferred')),
        language text NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
        contact_email text,
        contact_phone text,
        issued_at timestamptz NOT NULL,
        queued_at timestamptz NOT NULL,
        called_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        counter int,
        recall_count int NOT NULL DEFAULT 0,
        outcome text CHECK (outcome IN ('passed', 'failed', 'incomplete')),
        transferred_from uuid REFERENCES queue.tickets(id),
        transferred_to uuid REFERENCES queue.tickets(id),
        FOREIGN KEY (site_id, service_code) REFERENCES queue.services(site_id, code)
    );
    -- Invariant 1: a number is issued once per service per site per local day.
    -- A transferred ticket keeps the number the citizen holds, so only issued
    -- tickets (not transfers) take part.
    CREATE UNIQUE INDEX tickets_number_once ON queue.tickets (site_id, service_code, local_date, seq)
        WHERE transferred_from IS NULL;
    CREATE INDEX tickets_waiting ON queue.tickets (site_id, service_code, queued_at)
        WHERE status = 'waiting';
    CREATE INDEX tickets_day ON queue.tickets (site_id, local_date, service_code);
    CREATE INDEX tickets_finished ON queue.tickets (site_id, service_code, finished_at DESC)
        WHERE status = 'done';

    CREATE TABLE queue.daily_numbers (
        site_id int NOT NULL REFERENCES queue.sites(id),
        service_code text NOT NULL,
        local_date date NOT NULL,
        last_seq int NOT NULL,
        PRIMARY KEY (site_id, service_code, local_date)
    );

    CREATE TABLE queue.counters (
        site_id int NOT NULL REFERENCES queue.sites(id),
        number int NOT NULL CHECK (number BETWEEN 1 AND 999),
        name text NOT NULL,
        services text[] NOT NULL,
        open_services text[],
        opened_by text,
        opened_at timestamptz,
        current_ticket_id uuid REFERENCES queue.tickets(id),
        PRIMARY KEY (site_id, number)
    );

    CREATE TABLE queue.idempotency_keys (
        site_id int NOT NULL REFERENCES queue.sites(id),
        key text NOT NULL,
        request_hash text NOT NULL,
        ticket_id uuid NOT NULL REFERENCES queue.tickets(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, key)
    );

    -- Every state change, with who and when. Its id orders the display's versions.
    CREATE TABLE queue.journal (
        id bigserial PRIMARY KEY,
        site_id int NOT NULL REFERENCES queue.sites(id),
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        ticket_id uuid REFERENCES queue.tickets(id),
        counter int,
        data jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX journal_site ON queue.journal (site_id, id DESC);
    CREATE INDEX journal_calls ON queue.journal (site_id, id DESC) WHERE action IN ('call', 'recall');
    """)
    op.execute(OUTBOX_DDL.format(schema="queue"))


def downgrade():
    for table in ("outbox", "journal", "idempotency_keys", "counters", "daily_numbers",
                  "tickets", "officers", "services", "sites"):
        op.execute(f"DROP TABLE IF EXISTS queue.{table} CASCADE")
