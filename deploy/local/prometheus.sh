#!/usr/bin/env bash
# Installs what the operations tests need, when missing: Debian's prometheus
# (prometheus + promtool) and prometheus-alertmanager (amtool checks the route).
# The tests start their own Prometheus on a free port with temporary storage; the
# packages' own daemons are not used. Idempotent. Needs root or sudo for apt.
set -euo pipefail

need=()
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)

if [ ${#need[@]} -eq 0 ]; then
  echo "prometheus.sh: prometheus, promtool and amtool already installed"
  exit 0
fi

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
log "prometheus.sh: installing ${need[*]}"
apt_install "${need[@]}"
