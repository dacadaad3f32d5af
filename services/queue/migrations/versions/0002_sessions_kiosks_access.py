"""Server-side officer sessions, login throttling, registered kiosks, and the root
of a ticket's access key (kept across transfers).

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
    -- A token names one of these; only the SHA-256 of the token's session secret is kept.
    CREATE TABLE queue.sessions (
        id bigserial PRIMARY KEY,
        site_id int NOT NULL REFERENCES queue.sites(id),
        officer_id int NOT NULL REFERENCES queue.officers(id),
        secret_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        ended_at timestamptz,
        ended_reason text
    );
    CREATE INDEX sessions_live ON queue.sessions (officer_id) WHERE ended_at IS NULL;

    -- Wrong-password counters per account ('account', username) and per client
    -- address ('address', SHA-256 of the address), with the backoff lock.
    CREATE TABLE queue.login_throttle (
        site_id int NOT NULL REFERENCES queue.sites(id),
        kind text NOT NULL CHECK (kind IN ('account', 'address')),
        key text NOT NULL,
        failures int NOT NULL DEFAULT 0,
        lock_level int NOT NULL DEFAULT 0,
        locked_until timestamptz,
        last_attempt_at timestamptz,
        PRIMARY KEY (site_id, kind, key)
    );

    -- Kiosks registered by a supervisor: exempt from the per-address ticket limit.
    CREATE TABLE queue.kiosks (
        id serial PRIMARY KEY,
        site_id int NOT NULL REFERENCES queue.sites(id),
        name text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz,
        UNIQUE (site_id, name)
    );

    -- The ticket whose id the access key is derived from: the one the citizen was
    -- issued. NULL means the ticket itself; a transferred ticket points to the root.
    ALTER TABLE queue.tickets ADD COLUMN access_root uuid REFERENCES queue.tickets(id);
    """)


def downgrade():
    op.execute("""
    ALTER TABLE queue.tickets DROP COLUMN IF EXISTS access_root;
    DROP TABLE IF EXISTS queue.kiosks;
    DROP TABLE IF EXISTS queue.login_throttle;
    DROP TABLE IF EXISTS queue.sessions;
    """)
