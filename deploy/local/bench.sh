#!/usr/bin/env bash
# `make bench`: like `make test`, but runs the benchmarks under benchmarks/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
. "$here/lib.sh"
cd "$PTSP_ROOT"

if [[ ! -d benchmarks ]]; then
    log "no benchmarks/ directory yet: nothing to run"
    exit 0
fi

"$here/bootstrap.sh"
"$here/servers.sh"
"$here/migrate.sh" --if-present

log "python -m pytest benchmarks -p no:cacheprovider -s $*"
exec "$PY" -m pytest benchmarks -p no:cacheprovider -s "$@"
