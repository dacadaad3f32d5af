"""Notify consumes queue events through the consumer kit: its processed_events table.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

# shared.infrastructure.consumer.PROCESSED_EVENTS_DDL as of this revision, copied so a
# later change to the kit cannot rewrite history.
PROCESSED_EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.processed_events (
    handler text NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, event_id)
);
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(PROCESSED_EVENTS_DDL.format(schema="notify"))


def downgrade():
    op.execute("DROP TABLE notify.processed_events")
