"""An application whose citizen missed the call (``missed``: waits for a new check-in
at the same step), and step tickets that moved on without an outcome: transferred
to another service (the new ticket keeps the step), missed, or withdrawn when the
application was cancelled. An index for the sweep of lapsed online registrations.

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
    ALTER TABLE documents.applications DROP CONSTRAINT applications_status_check;
    ALTER TABLE documents.applications ADD CONSTRAINT applications_status_check
        CHECK (status IN ('registered', 'submitted', 'in_progress', 'missed', 'failed', 'incomplete', 'returned',
                          'ready', 'collected', 'cancelled', 'expired'));
    ALTER TABLE documents.step_tickets DROP CONSTRAINT step_tickets_state_check;
    ALTER TABLE documents.step_tickets ADD CONSTRAINT step_tickets_state_check
        CHECK (state IN ('open', 'done', 'stale', 'transferred', 'no_show', 'withdrawn'));
    CREATE INDEX applications_registered ON documents.applications (created_at) WHERE status = 'registered';
    """)


def downgrade():
    op.execute("""
    DROP INDEX IF EXISTS documents.applications_registered;
    UPDATE documents.step_tickets SET state = 'stale' WHERE state IN ('transferred', 'no_show', 'withdrawn');
    ALTER TABLE documents.step_tickets DROP CONSTRAINT step_tickets_state_check;
    ALTER TABLE documents.step_tickets ADD CONSTRAINT step_tickets_state_check
        CHECK (state IN ('open', 'done', 'stale'));
    UPDATE documents.applications SET status = 'in_progress' WHERE status = 'missed';
    ALTER TABLE documents.applications DROP CONSTRAINT applications_status_check;
    ALTER TABLE documents.applications ADD CONSTRAINT applications_status_check
        CHECK (status IN ('registered', 'submitted', 'in_progress', 'failed', 'incomplete', 'returned',
                          'ready', 'collected', 'cancelled', 'expired'));
    """)
