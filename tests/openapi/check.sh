#!/usr/bin/env bash
# Starts `cirs serve` on a fresh demo database, fetches its OpenAPI document and validates it with Redocly CLI
# (installed from npm into tests/openapi/node_modules by `npm ci`; used only here, never served).
# Usage: tests/openapi/check.sh [path/to/cirs]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../../build/cirs}"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
if [ ! -x "$here/node_modules/.bin/redocly" ]; then
  echo "openapi: installing @redocly/cli from npm (tests/openapi/package-lock.json)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
"$bin" init --demo --db "$work/o.db" >/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --db "$work/o.db" --listen "127.0.0.1:$port" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/api/v1/openapi.json" -o "$work/openapi.json" 2>/dev/null && break
  sleep 0.1
done
[ -s "$work/openapi.json" ] || { echo "openapi: the server did not answer"; cat "$work/serve.log"; exit 1; }
"$here/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" --format stylish "$work/openapi.json"
echo "openapi: $(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(v) for v in d["paths"].values()), "operations,", len(d["components"]["schemas"]), "schemas valid")' "$work/openapi.json")"
