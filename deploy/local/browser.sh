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

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "browser.sh: need root (or sudo) to install: ${need[*]}" >&2; exit 1
  fi
fi

echo "browser.sh: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  $SUDO apt-get update -q
fi
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
echo "browser.sh: done"
