"""Apply every service's migrations: ``python -m shared.infrastructure.migrate [service ...]``.

Each service owns one PostgreSQL schema and keeps its own Alembic history in
``services/<service>/migrations`` (version table inside that schema), so services
migrate independently.
"""
import argparse
import sys

from alembic import command
from alembic.config import Config

from shared.infrastructure.config import REPO_ROOT, load_settings



def services_with_schema():
    """Every service that keeps a migration history (``services/<name>/migrations``),
    queue first: the others' schemas may refer to what it defines."""
    found = sorted(path.parent.parent.name for path in (REPO_ROOT / "services").glob("*/migrations/env.py"))
    return sorted(found, key=lambda name: name != "queue")


def alembic_config(service, database_url):
    config = Config()
    config.set_main_option("script_location", str(REPO_ROOT / "services" / service / "migrations"))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url))
    config.attributes["schema"] = service
    return config


def sqlalchemy_url(database_url):
    # The same psycopg 3 driver the services use.
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return database_url


def upgrade(database_url, services=None, revision="head"):
    for service in services or services_with_schema():
        command.upgrade(alembic_config(service, database_url), revision)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("services", nargs="*", default=None)
    parser.add_argument("--database-url", help="defaults to DATABASE_URL from config.yml")
    args = parser.parse_args(argv)
    url = args.database_url or load_settings().DATABASE_URL
    services = args.services or services_with_schema()
    upgrade(url, services)
    print("migrations applied:", ", ".join(services))
    return 0


if __name__ == "__main__":
    sys.exit(main())
