# PTSP queue: developer commands. The work is done by the scripts in deploy/local/;
# each one is idempotent and quick when there is nothing to do.
#   make up      start everything in the foreground (logs to the terminal)
#   make test    run the test suite (extra pytest arguments: make test ARGS="tests/unit -x")

SHELL := bash
.DEFAULT_GOAL := help
LOCAL := deploy/local
ARGS ?=

.PHONY: help up test bench bootstrap servers migrate seed lock clean

help: ## show this help
	@echo "PTSP queue — make targets:"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'
	@echo "Pass pytest arguments with ARGS, e.g. make test ARGS=\"tests/unit -x\"."

up: ## start everything in the foreground: servers, migrations, demo seed, services
	@$(LOCAL)/up.sh

test: ## run the tests (installs .venv and servers when missing; no services started)
	@$(LOCAL)/test.sh $(ARGS)

bench: ## run the benchmarks in benchmarks/
	@$(LOCAL)/bench.sh $(ARGS)

bootstrap: ## create .venv and install requirements-dev.txt pinned by constraints.txt
	@$(LOCAL)/bootstrap.sh

servers: ## install/start PostgreSQL, Redis, RabbitMQ; create the ptsp role and database
	@$(LOCAL)/servers.sh

migrate: bootstrap servers ## apply database migrations
	@$(LOCAL)/migrate.sh

seed: migrate ## seed the demo site and accounts (development mode only)
	@$(LOCAL)/seed.sh

lock: ## regenerate constraints.txt from requirements-dev.txt
	@$(LOCAL)/lock.sh

clean: ## remove .venv and var/ (the servers and their data are left alone)
	rm -rf .venv var .pytest_cache
