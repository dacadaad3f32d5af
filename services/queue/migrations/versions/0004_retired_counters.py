"""Retired counters, and the journal looked up per counter (the officer's undo).

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    ALTER TABLE queue.counters ADD COLUMN retired_at timestamptz;
    ALTER TABLE queue.counters ADD CONSTRAINT counters_retired_closed
        CHECK (retired_at IS NULL OR opened_by IS NULL);
    CREATE INDEX journal_counter ON queue.journal (site_id, counter, id DESC) WHERE counter IS NOT NULL;
    """)


def downgrade():
    op.execute("""
    DROP INDEX queue.journal_counter;
    ALTER TABLE queue.counters DROP CONSTRAINT counters_retired_closed;
    ALTER TABLE queue.counters DROP COLUMN retired_at;
    """)
