"""Step tickets cancelled in the queue (by their holder, or closed with the hall's
day): the application waits at the step for a new check-in.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    ALTER TABLE documents.step_tickets DROP CONSTRAINT step_tickets_state_check;
    ALTER TABLE documents.step_tickets ADD CONSTRAINT step_tickets_state_check
        CHECK (state IN ('open', 'done', 'stale', 'transferred', 'no_show', 'withdrawn', 'cancelled'));
    """)


def downgrade():
    op.execute("""
    UPDATE documents.step_tickets SET state = 'stale' WHERE state = 'cancelled';
    ALTER TABLE documents.step_tickets DROP CONSTRAINT step_tickets_state_check;
    ALTER TABLE documents.step_tickets ADD CONSTRAINT step_tickets_state_check
        CHECK (state IN ('open', 'done', 'stale', 'transferred', 'no_show', 'withdrawn'));
    """)
