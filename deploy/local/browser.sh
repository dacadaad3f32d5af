#!/usr/bin/env bash
# Installs what the browser tests and the server-side speech need, when missing:
# Debian's chromium (driven by Playwright's Python package through executable_path,
# so no browser download), espeak-ng (announcements rendered on the server) and
# fonts (DejaVu + Noto, so pages and screenshots render the same everywhere).
# Idempotent: does nothing when everything is there. Needs root or sudo for apt.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/noto ] || [ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-core)
fc-list >/dev/null 2>&1 || need+=(fontconfig)

if [ ${#need[@]} -eq 0 ]; then
  echo "browser.sh: chromium, espeak-ng and fonts already installed"
  exit 0
fi

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
log "browser.sh: installing ${need[*]}"
apt_install "${need[@]}"
