#!/usr/bin/env bash
# bench/ui/run.sh [PATH/TO/cirs] — the web UI at national scale (issue 6, acceptance 3): 100 000 incidents (UI_PERF_N)
# loaded with SQL (gen-incidents.sh), then the browser suite's perf test times the inbox and statistics pages in
# Chromium for a provincial officer and the national office (best and worst of 3 after a warm-up; limit 1 s).
# `make bench-ui` runs it; figures in docs/PERFORMANCE.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(realpath "${1:-$ROOT/build/cirs}")
export UI_PERF_N=${UI_PERF_N:-100000}
[ -x "$BIN" ] || { echo "bench-ui: no cirs binary at $BIN"; exit 1; }
command -v sqlite3 >/dev/null || "$ROOT/scripts/install-deps.sh"
if [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then (cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error); fi
cd "$ROOT/tests/browser"
rc=0
CIRS_BIN="$BIN" node --test --test-reporter=spec perf.test.mjs > >(tee /tmp/bench-ui.$$.log) 2>&1 || rc=$?
sleep 0.2
echo "bench-ui: $(grep -c '^ui-perf' /tmp/bench-ui.$$.log) measurements (above); exit $rc"
rm -f /tmp/bench-ui.$$.log
exit $rc
