#!/usr/bin/env bash
# Installs every Debian package CIRS needs to build, run and test.
# Idempotent: asks apt only for what is missing. Run as root (or with sudo available).
#   scripts/install-deps.sh          build + run + test packages
#   scripts/install-deps.sh --build  only what `make` needs
set -euo pipefail

BUILD_PKGS=(build-essential pkg-config libjansson-dev libsqlite3-dev libsodium-dev libmicrohttpd-dev libinih-dev libpq-dev libcurl4-openssl-dev libgmime-3.0-dev libcairo2-dev libpango1.0-dev fonts-noto-cjk)
TEST_PKGS=(libcmocka-dev sqlite3 python3 python3-pytest python3-requests python3-aiosmtpd postgresql curl nodejs npm poppler-utils chromium)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" != "--build" ]; then want+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  # Node.js and npm count as present when their commands are (e.g. a NodeSource build bundles npm).
  case "$p" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when an install fails without it (fresh machines have none).
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
