#!/usr/bin/env bash
# tests/browser/run.sh [path/to/cirs] — the web UI's browser suite (make browsertest): installs playwright-core from npm
# (package-lock.json) on first use, then node --test drives Debian's /usr/bin/chromium against a real cirs serve.
# Screenshots: build/screenshots/ui-*.png.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "${1:-$here/../../build/cirs}")"
[ -x /usr/bin/chromium ] || { echo "browsertest: /usr/bin/chromium missing (scripts/install-deps.sh installs it)"; exit 1; }
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "browsertest: installing playwright-core from npm (tests/browser/package-lock.json)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$here"
CIRS_BIN="$bin" exec node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
