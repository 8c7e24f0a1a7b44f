#!/usr/bin/env bash
# Installs the Debian packages the benchmarks in bench/ need (wrk, curl, the sqlite3 CLI, python3, and what
# bench/baseline.c compiles with). Same pattern as scripts/install-deps.sh: asks apt only for what is missing.
set -euo pipefail

want=(wrk curl sqlite3 python3 build-essential pkg-config libmicrohttpd-dev libsqlite3-dev)

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bench/install-deps: all ${#want[@]} packages present"
  exit 0
fi

echo "bench/install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when an install fails without it (fresh machines have none).
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
