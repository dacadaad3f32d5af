#!/usr/bin/env bash
# Seed the demo site and accounts (python -m services.queue.seed) and its application
# types (python -m services.documents.seed), in development
# mode only: production (PTSP_MODE=production) seeds nothing.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PTSP_ROOT"

if [[ "${PTSP_MODE:-development}" == "production" ]]; then
    log "PTSP_MODE=production: not seeding the demo site"
    exit 0
fi
log "seeding the demo site (python -m services.queue.seed)"
"$PY" -m services.queue.seed
"$PY" -m services.documents.seed
