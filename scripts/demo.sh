#!/usr/bin/env bash
# `make run`: creates the demo database (once), files a sample report, and shows what to try.
# Usage: scripts/demo.sh BIN DB
set -euo pipefail
BIN=${1:-build/cirs}
DB=${2:-build/demo.db}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -f "$DB" ]; then
  "$BIN" init --db "$DB" --demo
  # A sample ransomware report by the demo CII operator, discovered 20 minutes ago.
  aware=$(date -u -d '-20 min' +%Y-%m-%dT%H:%M:%SZ)
  sample=$(mktemp)
  sed -e "s/\"aware_at\": \"[^\"]*\"/\"aware_at\": \"$aware\"/" -e '/"occurred_at"/d' "$here/docs/examples/report-ransomware.json" > "$sample"
  "$BIN" report submit --db "$DB" --org shanxi-grid "$sample"
  rm -f "$sample"
else
  echo "demo database exists: $DB (delete it to start over)"
fi

cat <<TXT

CIRS 已就绪 / CIRS is ready — demo database: $DB
演示账号 / demo logins: reporter, opadmin, officer, authadmin, national, duty, auditor, admin (password: cirs-demo)
(the HTTP service and web UI arrive with the service issue; until then the CLI is the interface)

试一试 / Try:
  $BIN assess docs/examples/assess-ransomware.json
  $BIN incident list --db $DB
  $BIN incident show --db $DB 1
  $BIN obligation list --db $DB --overdue
  $BIN report submit --db $DB --org bj-yunfan docs/examples/report-ransomware.json
  $BIN audit verify --db $DB
  $BIN rules list
  $BIN --help
TXT
