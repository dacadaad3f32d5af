"""Satisfaction survey (SKM, PermenPAN-RB 14/2017): one response per completed ticket;
an index for the reports' per-ticket journal look-up.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    -- One response per ticket (the primary key keeps it once-only under concurrency).
    -- The service and local date are the ticket's, so reports need no join to group.
    CREATE TABLE queue.surveys (
        ticket_id uuid PRIMARY KEY REFERENCES queue.tickets(id),
        site_id int NOT NULL REFERENCES queue.sites(id),
        service_code text NOT NULL,
        local_date date NOT NULL,
        u1 smallint NOT NULL CHECK (u1 BETWEEN 1 AND 4),
        u2 smallint NOT NULL CHECK (u2 BETWEEN 1 AND 4),
        u3 smallint NOT NULL CHECK (u3 BETWEEN 1 AND 4),
        u4 smallint NOT NULL CHECK (u4 BETWEEN 1 AND 4),
        u5 smallint NOT NULL CHECK (u5 BETWEEN 1 AND 4),
        u6 smallint NOT NULL CHECK (u6 BETWEEN 1 AND 4),
        u7 smallint NOT NULL CHECK (u7 BETWEEN 1 AND 4),
        u8 smallint NOT NULL CHECK (u8 BETWEEN 1 AND 4),
        u9 smallint NOT NULL CHECK (u9 BETWEEN 1 AND 4),
        comment text CHECK (char_length(comment) <= 1000),
        language text NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
        submitted_at timestamptz NOT NULL
    );
    CREATE INDEX surveys_period ON queue.surveys (site_id, local_date, service_code);
    -- The report looks up each ticket's last counter action (its officer).
    CREATE INDEX journal_ticket ON queue.journal (ticket_id, id DESC) WHERE ticket_id IS NOT NULL;
    """)


def downgrade():
    op.execute("DROP INDEX IF EXISTS queue.journal_ticket")
    op.execute("DROP TABLE IF EXISTS queue.surveys")
