#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, listening on 127.0.0.1 only,
# trust authentication for the superuser "cirs" (nothing else can reach it), stopped and deleted afterwards.
#   scripts/pg-test-cluster.sh start [PORT [PARENT]]   prints the directory (line 1) and the base URL (line 2);
#                                                      PORT "" = a free one; PARENT = where (default /tmp)
#   scripts/pg-test-cluster.sh stop DIR
# initdb and the server refuse to run as root: as root they run as the `postgres` system user (created by the
# Debian package) through runuser; otherwise as the calling user.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "pg-test-cluster: PostgreSQL is not installed (scripts/install-deps.sh)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
  port=${2:-$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  dir=$(mktemp -d "${3:-/tmp}/cirs-pg.XXXXXX")
  # The server runs as `postgres` when we are root: it must be able to reach the directory.
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
    echo "pg-test-cluster: the postgres user cannot reach $(dirname "$dir")" >&2; rmdir "$dir"; exit 1
  fi
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  as_owner "$bindir/initdb" -D "$dir/data" -U cirs --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # Enough connections for several servers with their worker pools; the socket stays in the directory.
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=128MB" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "$dir"
  echo "postgresql://cirs@127.0.0.1:$port"
  ;;
stop)
  dir=${2:?usage: pg-test-cluster.sh stop DIR}
  case "$(basename "$dir")" in cirs-pg.*) ;; *) echo "pg-test-cluster: not a test cluster: $dir" >&2; exit 1 ;; esac
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start [PORT] | stop DIR" >&2
  exit 2
  ;;
esac
