"""Uploads: scans and photos an applicant sends with an application. The bytes live
in the storage (services/documents/storage.py) under a key of our own; this table
keeps what they are.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
    CREATE TABLE documents.uploads (
        id uuid PRIMARY KEY,
        application_id uuid NOT NULL REFERENCES documents.applications(id),
        document_code text NOT NULL CHECK (document_code ~ '^[a-z][a-z0-9_]{1,39}$'),
        content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
        size int NOT NULL CHECK (size > 0),
        sha256 text NOT NULL,
        storage_key text NOT NULL UNIQUE,
        actor text NOT NULL,
        created_at timestamptz NOT NULL
    );
    CREATE INDEX uploads_application ON documents.uploads (application_id, created_at);
    """)


def downgrade():
    op.execute("DROP TABLE IF EXISTS documents.uploads")
