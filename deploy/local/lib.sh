# Shared helpers for deploy/local/*.sh. Source it; do not run it.
# shellcheck shell=bash

# Repository root, whatever directory the caller started in.
PTSP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PTSP_ROOT
VENV="$PTSP_ROOT/.venv"
# shellcheck disable=SC2034  # used by the scripts that source this file
PY="$VENV/bin/python"

# A .env file at the repository root: its variables are exported here, so `make up`
# (supervisord and the services), migrations, seeding and tests all see the same values.
if [[ -f "$PTSP_ROOT/.env" ]]; then
    set -a
    # shellcheck disable=SC1091
    . "$PTSP_ROOT/.env"
    set +a
fi

# Seconds to wait for one server to answer after starting it.
PTSP_WAIT_S="${PTSP_WAIT_S:-90}"

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    _c_on=$'\033[1;36m' _c_warn=$'\033[1;33m' _c_err=$'\033[1;31m' _c_off=$'\033[0m'
else
    _c_on='' _c_warn='' _c_err='' _c_off=''
fi

log()  { printf '%s==>%s %s\n' "$_c_on" "$_c_off" "$*" >&2; }
warn() { printf '%swarning:%s %s\n' "$_c_warn" "$_c_off" "$*" >&2; }
die()  { printf '%serror:%s %s\n' "$_c_err" "$_c_off" "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif have sudo; then
        sudo "$@"
    else
        die "need root for: $* (run as root or install sudo)"
    fi
}

# Install Debian packages, running `apt-get update` at most once per script run.
_apt_updated=0
apt_install() {
    have apt-get || die "cannot install $* : apt-get not found (this script supports Debian/Ubuntu; install them by hand)"
    if [[ "$_apt_updated" -eq 0 ]]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        _apt_updated=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# True when a TCP port accepts connections (bash's /dev/tcp, no extra tools needed).
tcp_open() {
    local host="$1" port="$2"
    timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# wait_for NAME CHECK-COMMAND...: retry CHECK every second for up to PTSP_WAIT_S seconds.
wait_for() {
    local name="$1"; shift
    local waited=0
    until "$@"; do
        if (( waited >= PTSP_WAIT_S )); then
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    if (( waited > 0 )); then
        log "$name answers (after ${waited}s)"
    fi
}

# True when systemd runs this machine (then `service` is redirected to systemctl).
systemd_running() { [[ -d /run/systemd/system ]]; }
