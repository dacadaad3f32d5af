#!/usr/bin/env bash
# Apply all database migrations: python -m shared.infrastructure.migrate.
# --if-present: skip quietly when the project has no shared.infrastructure.migrate module yet
# (used by `make test` and `make bench`; `make up` and `make migrate` require it).
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PTSP_ROOT"

if [[ "${1:-}" == "--if-present" ]] &&
    ! "$PY" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("shared.infrastructure.migrate") is None)' 2>/dev/null; then
    warn "shared.infrastructure.migrate does not exist yet; skipping migrations"
    exit 0
fi
log "applying migrations (python -m shared.infrastructure.migrate)"
"$PY" -m shared.infrastructure.migrate
