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

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "prometheus.sh: need root (or sudo) to install: ${need[*]}" >&2; exit 1
  fi
fi

echo "prometheus.sh: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  $SUDO apt-get update -q
fi
# No recommends: node-exporter is not needed.
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
echo "prometheus.sh: done"
