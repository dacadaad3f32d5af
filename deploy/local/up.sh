#!/usr/bin/env bash
# `make up`: start the whole system in the foreground, logs to the terminal.
# With a Docker engine (and PTSP_USE_DOCKER not 0): docker compose up --build.
# Otherwise: bootstrap .venv, make sure PostgreSQL/Redis/RabbitMQ run, migrate,
# seed the demo site (development only), then run the processes of
# deploy/supervisord.conf under supervisord (restarted when they exit; Ctrl-C stops all).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
. "$here/lib.sh"
cd "$PTSP_ROOT"

if [[ "${PTSP_USE_DOCKER:-1}" != "0" ]] && have docker && timeout 20 docker info >/dev/null 2>&1; then
    if docker compose version >/dev/null 2>&1; then
        log "Docker engine found: docker compose up --build (PTSP_USE_DOCKER=0 runs locally instead)"
        exec docker compose up --build
    elif have docker-compose; then
        log "Docker engine found: docker-compose up --build (PTSP_USE_DOCKER=0 runs locally instead)"
        exec docker-compose up --build
    fi
    warn "a Docker engine answers but neither 'docker compose' nor 'docker-compose' is installed; running locally"
fi

"$here/bootstrap.sh"
"$here/servers.sh"
# Debian's chromium, espeak-ng and fonts (browser tests, spoken announcements).
if [[ -x "$here/browser.sh" ]]; then "$here/browser.sh"; fi
"$here/migrate.sh"
# The seed's last line is the demo kiosk's URL with its key (development only).
seed_output="$("$here/seed.sh")"
printf '%s\n' "$seed_output" >&2
kiosk_url="$(sed -n 's/^kiosk url: //p' <<<"$seed_output")"

base="${PTSP_PUBLIC_URL:-http://127.0.0.1:8000}"
base="${base%/}"
{
    echo
    echo "PTSP queue is starting (Ctrl-C stops it)"
    echo
    echo "  gateway    $base"
    for page in kiosk counter display admin reports; do
        printf '  %-10s %s/%s\n' "$page" "$base" "$page"
    done
    echo "  API        $base/api/openapi.json"
    echo "  health     $base/healthz"
    # One metrics line per supervised process, so a new process shows up here by itself:
    # "[program:NAME]" then "command=... METRICS_PORT=${VAR:-default} ..." -> VAR or its default.
    awk 'match($0, /^\[program:[A-Za-z0-9_-]+\]/) { name = substr($0, 10, RLENGTH - 10) }
         match($0, /METRICS_PORT=\$\{[A-Z0-9_]+:-[0-9]+\}/) {
             split(substr($0, RSTART + 15, RLENGTH - 16), part, ":-"); print name, part[1], part[2] }' \
        deploy/supervisord.conf |
        while read -r name var default; do
            printf '  metrics    http://127.0.0.1:%s/metrics (%s)\n' "${!var:-$default}" "$name"
        done
    if [[ "${PTSP_MODE:-development}" != "production" ]]; then
        # The development SMTP sink ([program:smtp-sink]): notify's e-mail lands here.
        printf '  mail sink  smtp://%s:%s -> %s/ (one .eml file per message)\n' \
            "${NOTIFY_SINK_HOST:-127.0.0.1}" "${NOTIFY_SINK_PORT:-1025}" "${NOTIFY_SINK_DIR:-var/mail}"
        echo
        echo "  demo accounts: admin, petugas1 ... petugas6"
        echo "  password:      ${PTSP_DEMO_PASSWORD:-ptsp-demo}  (PTSP_DEMO_PASSWORD)"
        if [[ -n "$kiosk_url" ]]; then
            echo "  demo kiosk:    $kiosk_url"
            echo "                 (open it once on the kiosk: the key is kept there and exempts it"
            echo "                 from the per-address ticket limit)"
        fi
    fi
    echo
} >&2

# supervisord's socket, pid file and own log (its output and the processes' go to the terminal).
PTSP_RUN_DIR="${PTSP_RUN_DIR:-$PTSP_ROOT/var/run}"
mkdir -p "$PTSP_RUN_DIR"
# The SMTP sink runs in development only (deploy/supervisord.conf, [program:smtp-sink]).
if [[ "${PTSP_MODE:-development}" == "production" ]]; then PTSP_MAIL_SINK=false; else PTSP_MAIL_SINK=true; fi
export PATH="$VENV/bin:$PATH" PYTHONUNBUFFERED=1 PTSP_RUN_DIR PTSP_MAIL_SINK
exec "$VENV/bin/supervisord" --configuration deploy/supervisord.conf
