#!/usr/bin/env bash
# `make test`: bootstrap .venv, make sure the servers answer, apply migrations, then
# run pytest (configured by pytest.ini) with any arguments given. Exits with pytest's
# exit code; "no tests collected" (5) counts as a failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
. "$here/lib.sh"
cd "$PTSP_ROOT"

"$here/bootstrap.sh"
"$here/servers.sh"
# Debian's chromium, espeak-ng and fonts (browser tests, spoken announcements).
if [[ -x "$here/browser.sh" ]]; then "$here/browser.sh"; fi
# Debian's prometheus (promtool) and alertmanager (amtool): the operations tests.
if [[ -x "$here/prometheus.sh" ]]; then "$here/prometheus.sh"; fi
"$here/migrate.sh" --if-present

log "python -m pytest $*"
rc=0
"$PY" -m pytest "$@" || rc=$?
if [[ "$rc" -eq 5 ]]; then
    printf 'error: pytest collected no tests (exit 5); a run that runs nothing is a failure\n' >&2
fi
exit "$rc"
