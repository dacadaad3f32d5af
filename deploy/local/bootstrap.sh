#!/usr/bin/env bash
# Create .venv and install requirements-dev.txt pinned by constraints.txt.
# Idempotent: pip runs only when a requirements file or constraints.txt changed
# since the last successful install (a stamp file inside .venv records their hash).
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PTSP_ROOT"

PYTHON="${PTSP_PYTHON:-python3}"
STAMP="$VENV/.ptsp-requirements.sha256"

venv_works() { [[ -x "$PY" ]] && "$PY" -c 'import sys' >/dev/null 2>&1; }

make_venv() {
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 && venv_works
}

if ! venv_works; then
    if ! have "$PYTHON"; then
        apt_install python3 python3-venv
        PYTHON=python3
    fi
    version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if [[ "$version" != "3.11" ]]; then
        warn "$PYTHON is Python $version; the pinned set (nameko 2.14, eventlet 0.33) is tested on 3.11 (set PTSP_PYTHON=python3.11 to choose another)"
    fi
    log "creating .venv with $PYTHON ($version)"
    if ! make_venv; then
        # Debian splits venv/ensurepip out of the interpreter package.
        log "'$PYTHON -m venv' is unavailable; installing Debian's python3-venv"
        apt_install python3-venv
        make_venv || die "could not create .venv with '$PYTHON -m venv'"
    fi
fi

want="$(cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -d' ' -f1)"
have_hash="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$want" != "$have_hash" ]]; then
    log "installing requirements-dev.txt into .venv (pinned by constraints.txt)"
    "$PY" -m pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt
    echo "$want" >"$STAMP"
else
    log ".venv is up to date"
fi
