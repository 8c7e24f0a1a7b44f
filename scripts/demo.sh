#!/usr/bin/env bash
# `make run`: creates the demo database (once), files a sample report, shows what to try and starts the service.
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

LISTEN=${CIRS_LISTEN:-127.0.0.1:8080}
cat <<TXT

CIRS 服务启动于 / service on: http://$LISTEN   (Ctrl-C 停止 / to stop)
演示账号 / demo logins (password cirs-demo):
  reporter (国网山西省电力公司, 运营者报告人)   opadmin (运营者管理员)   officer (山西省网信办)   authadmin
  national (国家网络安全应急办公室)   duty (值班员)   auditor (审计)   admin (系统管理员)
  reporter-bj, reporter-jc, reporter-sh, reporter-bank, reporter-mwr (其他运营者)

试一试 / Try (in another terminal):
  curl -s -c /tmp/cirs.cookies -H 'Content-Type: application/json' \
       -d '{"username":"national","password":"cirs-demo"}' http://$LISTEN/api/v1/session
  curl -s -b /tmp/cirs.cookies http://$LISTEN/api/v1/incidents
  curl -s http://$LISTEN/api/v1/openapi.json
  $BIN assess docs/examples/assess-ransomware.json
  $BIN incident list --db $DB
  $BIN obligation list --db $DB --overdue
  $BIN audit verify --db $DB
  $BIN --help

TXT
exec "$BIN" serve --db "$DB" --listen "$LISTEN"
