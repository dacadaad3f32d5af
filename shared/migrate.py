"""Apply every service's migrations: ``python -m shared.migrate [service ...]``.

Each service owns one PostgreSQL schema and keeps its own Alembic history in
``services/<service>/migrations`` (version table inside that schema), so services
migrate independently.
"""
import argparse
import sys

from alembic import command
from alembic.config import Config

from shared.config import REPO_ROOT, load_settings

SERVICES_WITH_SCHEMA = ["queue", "notify"]


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
    for service in services or SERVICES_WITH_SCHEMA:
        command.upgrade(alembic_config(service, database_url), revision)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("services", nargs="*", default=SERVICES_WITH_SCHEMA)
    parser.add_argument("--database-url", help="defaults to DATABASE_URL from config.yml")
    args = parser.parse_args(argv)
    url = args.database_url or load_settings().DATABASE_URL
    upgrade(url, args.services)
    print("migrations applied:", ", ".join(args.services))
    return 0


if __name__ == "__main__":
    sys.exit(main())
