"""How services run: configuration, the dependency providers for PostgreSQL
(unit of work), Redis and metrics, RPC that survives its broker, the outbox and
its relay, the event consumer kit and its dead-letter tool, migrations."""
