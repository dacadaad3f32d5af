"""An application keeps its type as it was when it started (``kind``): steps, fees
and required documents a supervisor changes later apply to applications started
afterwards, never to one in progress.

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
    ALTER TABLE documents.applications ADD COLUMN kind jsonb;
    UPDATE documents.applications a SET kind = jsonb_build_object(
        'code', t.code, 'name', t.name, 'name_en', t.name_en, 'fee', t.fee, 'steps', t.steps,
        'required_documents', t.required_documents, 'validity_months', t.validity_months,
        'document_prefix', t.document_prefix, 'online', t.online,
        'renewal_grace_days', t.renewal_grace_days, 'minimum_age', t.minimum_age)
    FROM documents.application_types t WHERE t.site_code = a.site_code AND t.code = a.type_code;
    ALTER TABLE documents.applications ALTER COLUMN kind SET NOT NULL;
    ALTER TABLE documents.application_types ADD COLUMN updated_at timestamptz,
                                            ADD COLUMN updated_by text;
    """)


def downgrade():
    op.execute("""
    ALTER TABLE documents.applications DROP COLUMN kind;
    ALTER TABLE documents.application_types DROP COLUMN updated_at, DROP COLUMN updated_by;
    """)
