"""The body of every service's Alembic ``env.py``: online migrations inside the
service's own schema, with the version table kept there too."""
from alembic import context
from sqlalchemy import create_engine, pool, text


def run_migrations():
    config = context.config
    schema = config.attributes["schema"]
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.commit()
        context.configure(
            connection=connection, version_table_schema=schema, transactional_ddl=True,
        )
        with context.begin_transaction():
            # Serialise concurrent migrators (replicas starting together).
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": "migrate:" + schema})
            context.run_migrations()
    engine.dispose()
