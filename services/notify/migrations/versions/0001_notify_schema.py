"""Notify schema: the waiting-line projection, messages to send, and the delivery record.

Revision ID: 0001
Revises:
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    -- The queue's waiting tickets as notify sees them (for turn-near); no contact here.
    CREATE TABLE notify.waiting (
        ticket_id uuid PRIMARY KEY,
        site text NOT NULL,
        service text NOT NULL,
        number text NOT NULL,
        priority text NOT NULL,
        queued_at timestamptz NOT NULL,
        has_contact boolean NOT NULL,
        language text,
        near_sent boolean NOT NULL DEFAULT false,
        waiting boolean NOT NULL DEFAULT true,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX waiting_line ON notify.waiting (site, service) WHERE waiting;
    CREATE INDEX waiting_age ON notify.waiting (updated_at);

    -- One fact for one citizen, recorded in the same transaction as the event that
    -- caused it, so a crash between the event and the sending loses nothing.
    CREATE TABLE notify.messages (
        id uuid PRIMARY KEY,
        event_id uuid NOT NULL,
        kind text NOT NULL,
        site text NOT NULL,
        subject text NOT NULL CHECK (subject IN ('ticket', 'application')),
        subject_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        facts jsonb NOT NULL DEFAULT '{}',
        language text,
        status text NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'planned', 'no_contact', 'dead')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX messages_due ON notify.messages (next_attempt_at) WHERE status = 'pending';

    -- The delivery record: one row per (message, channel, recipient). The recipient is
    -- kept only as a keyed hash and a masked form; last_error never holds the address.
    CREATE TABLE notify.deliveries (
        id uuid PRIMARY KEY,
        message_id uuid NOT NULL REFERENCES notify.messages(id),
        event_id uuid NOT NULL,
        channel text NOT NULL,
        recipient_hash text NOT NULL,
        recipient_masked text NOT NULL,
        kind text NOT NULL,
        site text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
        attempts int NOT NULL DEFAULT 0,
        last_error text,
        event_at timestamptz NOT NULL,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        UNIQUE (message_id, channel, recipient_hash)
    );
    CREATE INDEX deliveries_due ON notify.deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
    CREATE INDEX deliveries_recipient_sent ON notify.deliveries (recipient_hash, sent_at) WHERE status = 'sent';
    CREATE INDEX deliveries_dead ON notify.deliveries (site, updated_at) WHERE status = 'dead';
    """)


def downgrade():
    op.execute("DROP TABLE notify.deliveries; DROP TABLE notify.messages; DROP TABLE notify.waiting;")
