#!/usr/bin/env bash
# bench/intake/run.sh — durable intake benchmark: `cirs serve` next to the machine's ceiling (bench/baseline.c).
#
#   bench/intake/run.sh [PATH/TO/cirs]        (`make bench` runs it with $(B)/cirs)
#
# 1. builds what it needs (cirs with `make B=$B all` unless a binary is given; bench/baseline.c with cc),
# 2. generates BENCH_N varied reports (gen_reports.py) and a demo database with one API token per demo operator,
# 3. posts a sample of the reports once with curl: each must answer 201 with the grade the generator expects,
# 4. for the ceiling, then the service: warm-up, then wrk -t BENCH_THREADS -c BENCH_CONNS -d BENCH_DURATION with
#    intake.lua (the same bodies for both), then stops the server and counts the rows it holds,
# 5. prints target, acknowledged (2xx) reports/s, p50, p99, non-2xx, socket errors, and the service/ceiling ratio
#    against the goal of issue 3 (>= 50 % of the ceiling with p99 <= 20 ms); then, for each server, its CPU time and
#    disk writes (/proc/PID/stat, /proc/PID/io write_bytes) per acknowledged request and the hypervisor's steal
#    during its run (/proc/stat): on a shared virtual machine, CPU per request varies less than requests per second.
# Exit status: 0 when the run completed (goal met or not; BENCH_STRICT=1 makes a missed goal exit 3), 1 when
# something broke: a sample report refused, a server that did not start, or FEWER rows on disk than 2xx answers.
#
# The databases live in a temporary directory under $B (the repo's file system, never tmpfs: fsync must be real).
# Knobs (environment): B (build dir, default build), BENCH_DURATION (20 s), BENCH_WARMUP (5 s), BENCH_CONNS (64),
# BENCH_THREADS (2 wrk threads), BENCH_WORKERS (cirs serve --workers, default 32 = the service default),
# BENCH_BASE_THREADS (ceiling pool threads, default nproc), BENCH_N (2000 reports), BENCH_SEED, BENCH_KEEP=1 (keep
# the work directory: databases, server logs, wrk output), BENCH_STRICT=1, BENCH_PERF=1 (profile the service's measured
# run with perf record into the work directory; implies BENCH_KEEP; BENCH_PERF_ARGS replaces '--call-graph dwarf,32768'),
# BENCH_DB: sqlite (default), pg, or both (the service on each, one row each, next to the same ceiling). pg runs a
# throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh, data directory under $B next to the work directory: a real disk,
# fsync on, synchronous_commit on) unless BENCH_PG_URL names one (postgresql://USER@HOST:PORT; a database is created).
set -euo pipefail

GIVEN=""
if [ $# -ge 1 ]; then GIVEN=$(realpath "$1"); fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
B=${B:-build}
DURATION=${BENCH_DURATION:-20}
WARMUP=${BENCH_WARMUP:-5}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_THREADS:-2}
WORKERS=${BENCH_WORKERS:-32}
BASE_THREADS=${BENCH_BASE_THREADS:-$(nproc)}
N=${BENCH_N:-2000}
SEED=${BENCH_SEED:-20251101}
USERS=(reporter reporter-bj reporter-jc reporter-sh reporter-bank reporter-mwr)
T0=$(date +%s)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

# --- tools and binaries ----------------------------------------------------------------------------------------------
for tool in wrk curl sqlite3 /usr/bin/python3 pkg-config cc; do
  if ! command -v "$tool" >/dev/null; then bench/install-deps.sh; break; fi
done
if [ -n "$GIVEN" ]; then
  CIRS=$GIVEN
else
  make --no-print-directory B="$B" all >&2
  CIRS=$B/cirs
fi
[ -x "$CIRS" ] || die "no cirs binary at $CIRS"
BASELINE=$B/bench/baseline
if [ ! -x "$BASELINE" ] || [ bench/baseline.c -nt "$BASELINE" ]; then
  mkdir -p "$B/bench"
  # shellcheck disable=SC2046
  cc -O2 -g -std=c17 -D_DEFAULT_SOURCE -Wall -Wextra -o "$BASELINE" bench/baseline.c \
    $(pkg-config --cflags --libs libmicrohttpd sqlite3) -lpthread
fi

# --- work directory on a real disk -----------------------------------------------------------------------------------
mkdir -p "$B"
WORK=$(mktemp -d "$ROOT/$B/bench-intake.XXXXXX")
PIDS=()
# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${PGDIR:-}" ]; then scripts/pg-test-cluster.sh stop "$PGDIR" || true; fi
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ -n "${BENCH_PERF:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
FSTYPE=$(df --output=fstype "$WORK" | tail -1)
case "$FSTYPE" in
  tmpfs | ramfs) die "$WORK is on $FSTYPE: fsync would cost nothing; point B= at a directory on a disk" ;;
esac
FSYNC=$(dd if=/dev/zero of="$WORK/fsync-probe" bs=4k count=1000 oflag=dsync 2>&1 | tail -1 \
  | awk '{for (i = 1; i <= NF; i++) if ($i == "s,") printf "%.0f", 1000 / $(i - 1)}')
rm -f "$WORK/fsync-probe"
say "work dir $WORK ($FSTYPE; /tmp is $(df --output=fstype /tmp | tail -1))"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # PORT PID LOG
  for _ in $(seq 1 100); do
    if curl -fs -o /dev/null "http://127.0.0.1:$1/healthz"; then return 0; fi
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "server exited at start"; }
    sleep 0.1
  done
  die "server on port $1 did not answer /healthz"
}
stop() { # PID: SIGTERM, wait for the graceful exit
  kill -TERM "$1"
  wait "$1" || true
  local keep=()
  for p in "${PIDS[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

# --- reports, database, tokens ---------------------------------------------------------------------------------------
/usr/bin/python3 bench/intake/gen_reports.py --rules rules/cn-2025.json --out "$WORK" --n "$N" --seed "$SEED"
BACKENDS=()
case "${BENCH_DB:-sqlite}" in
  sqlite) BACKENDS=(sqlite) ;;
  pg | postgresql) BACKENDS=(pg) ;;
  both) BACKENDS=(sqlite pg) ;;
  *) die "BENCH_DB must be sqlite, pg or both" ;;
esac
PGDIR=""
if [[ " ${BACKENDS[*]} " == *" pg "* ]]; then
  PGURL=${BENCH_PG_URL:-}
  if [ -z "$PGURL" ]; then
    out=$(scripts/pg-test-cluster.sh start "" "$ROOT/$B") || die "could not start a PostgreSQL cluster"
    PGDIR=$(echo "$out" | sed -n 1p)
    PGURL=$(echo "$out" | sed -n 2p)
    say "PostgreSQL test cluster $PGURL (data in $PGDIR)"
  fi
  PGDB="cirs_bench_$$"
  psql -X -q -v ON_ERROR_STOP=1 -d "$PGURL/postgres" -c "CREATE DATABASE $PGDB" || die "CREATE DATABASE $PGDB failed"
fi
db_of() { if [ "$1" = pg ]; then echo "$PGURL/$PGDB"; else echo "$WORK/service.db"; fi; } # BACKEND
count_rows() { # DB TABLE
  case "$1" in postgres*) psql -X -A -t -q -d "$1" -c "SELECT count(*) FROM $2" ;; *) sqlite3 "$1" "SELECT count(*) FROM $2" ;; esac
}
TOKENS=""
declare -A TOK
new_db() { # BACKEND: the demo database and one token per demo operator
  local db
  db=$(db_of "$1")
  "$CIRS" init --demo --db "$db" >/dev/null 2>&1 || die "cirs init --demo --db $db failed"
  TOKENS=""
  for u in "${USERS[@]}"; do
    TOK[$u]=$("$CIRS" token create --db "$db" --user "$u" 2>/dev/null) || die "cirs token create --user $u failed"
    TOKENS+="$u=${TOK[$u]},"
  done
}

run_wrk() { # URL SECONDS OUTFILE
  BENCH_BODIES="$WORK/bodies.tsv" BENCH_TOKENS="$TOKENS" \
    wrk -t "$THREADS" -c "$CONNS" -d "${2}s" --timeout 10s -s bench/intake/intake.lua "$1" >"$3" 2>&1 \
    || { cat "$3" >&2; die "wrk failed"; }
  grep -q '^RESULT ' "$3" || { cat "$3" >&2; die "wrk printed no RESULT line"; }
}
# The row count once the warm-up's last requests (still in the server when wrk stops) have committed.
settled() { # DB TABLE
  local a b
  a=$(count_rows "$1" "$2")
  while sleep 0.3; b=$(count_rows "$1" "$2"); [ "$a" != "$b" ]; do a=$b; done
  echo "$b"
}
field() { sed -n "s/^RESULT.* $2=\([^ ]*\).*/\1/p" "$1"; } # FILE NAME

declare -A S_BEFORE S_AFTER AUDIT CPU IO STEAL
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # PID: user + system CPU time in clock ticks
io_bytes() { awk '$1 == "write_bytes:" {print $2}' "/proc/$1/io"; } # PID: bytes it sent to the disk (write_bytes)
steal_ticks() { awk '$1 == "cpu" {print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; } # "steal all" ticks
steal_pct() { # "STEAL0 ALL0" "STEAL1 ALL1": the share of CPU time the hypervisor gave to other guests meanwhile
  awk -v a="$1" -v b="$2" 'BEGIN{split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0)}'
}
per_req() { # TICKS BYTES REQUESTS: "CPU µs and disk KiB per request"
  awk -v t="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" \
    'BEGIN{if (n > 0) printf "%.0f µs CPU and %.1f KiB written to disk per acknowledged request", 1e6 * t / hz / n, b / 1024 / n; else print "-"}'
}

# --- the ceiling ---------------------------------------------------------------------------------------------------
BPORT=$(free_port)
"$BASELINE" --db "$WORK/baseline.db" --listen "127.0.0.1:$BPORT" --threads "$BASE_THREADS" 2>"$WORK/baseline.log" &
PIDS+=($!)
BPID=$!
wait_up "$BPORT" "$BPID" "$WORK/baseline.log"
say "ceiling: warm-up ${WARMUP}s, then ${DURATION}s at $CONNS connections"
run_wrk "http://127.0.0.1:$BPORT/api/v1/incidents" "$WARMUP" "$WORK/wrk-baseline-warmup.txt"
B_BEFORE=$(settled "$WORK/baseline.db" reports)
BCPU0=$(cpu_ticks "$BPID")
BST0=$(steal_ticks)
BIO0=$(io_bytes "$BPID")
run_wrk "http://127.0.0.1:$BPORT/api/v1/incidents" "$DURATION" "$WORK/wrk-baseline.txt"
BCPU=$(($(cpu_ticks "$BPID") - BCPU0))
BSTEAL=$(steal_pct "$BST0" "$(steal_ticks)")
BIO=$(($(io_bytes "$BPID") - BIO0))
stop "$BPID"
B_AFTER=$(sqlite3 "$WORK/baseline.db" "SELECT count(*) FROM reports")

# --- the service, on each backend ------------------------------------------------------------------------------------
run_service() { # BACKEND: wrk output in $WORK/wrk-service-BACKEND.txt, metrics, log
local be=$1 db
db=$(db_of "$be")
new_db "$be"
SPORT=$(free_port)
"$CIRS" serve --db "$db" --listen "127.0.0.1:$SPORT" --workers "$WORKERS" 2>"$WORK/service-$be.log" &
PIDS+=($!)
SPID=$!
wait_up "$SPORT" "$SPID" "$WORK/service-$be.log"
# The sample: every grade, every family, every operator, tiers, ransom, smallest and largest body, a few at random.
checked=0
while IFS=$'\t' read -r line user grade bytes why; do
  body=$(sed -n "${line}p" "$WORK/bodies.tsv" | cut -f2-)
  code=$(printf '%s' "$body" | curl -s -o "$WORK/sample-answer.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer ${TOK[$user]}" -H 'Content-Type: application/json' -H 'Accept-Language: en' \
    --data-binary @- "http://127.0.0.1:$SPORT/api/v1/incidents")
  got=$(grep -o '"grade":"[^"]*"' "$WORK/sample-answer.json" | head -1 | cut -d'"' -f4 || true)
  if [ "$code" != 201 ] || [ "$got" != "$grade" ]; then
    printf 'report %s (%s, %s B, %s): expected 201 %s, got %s %s\n  body: %s\n  answer: %s\n' "$line" "$user" "$bytes" \
      "$why" "$grade" "$code" "$got" "$body" "$(head -c 600 "$WORK/sample-answer.json")" >&2
    die "a generated report was not accepted as expected: fix bench/intake/gen_reports.py (or the service)"
  fi
  checked=$((checked + 1))
done <"$WORK/sample.tsv"
say "sample: $checked generated reports posted with curl, each 201 with the expected grade"
say "service ($be): warm-up ${WARMUP}s, then ${DURATION}s at $CONNS connections (--workers $WORKERS)"
run_wrk "http://127.0.0.1:$SPORT/api/v1/incidents" "$WARMUP" "$WORK/wrk-service-warmup-$be.txt"
S_BEFORE[$be]=$(settled "$db" incidents)
curl -fs --max-time 5 "http://127.0.0.1:$SPORT/metrics" >"$WORK/metrics-before-$be.txt" || true
CPU0=$(cpu_ticks "$SPID")
ST0=$(steal_ticks)
IO0=$(io_bytes "$SPID")
PERFPID=""
if [ -n "${BENCH_PERF:-}" ]; then # a CPU profile of the service during the measured run: perf report -i $WORK/perf-$be.data
  perf record -F 499 ${BENCH_PERF_ARGS:---call-graph dwarf,32768} -p "$SPID" -o "$WORK/perf-$be.data" -- sleep "$DURATION" \
    >"$WORK/perf-$be.log" 2>&1 &
  PERFPID=$!
fi
run_wrk "http://127.0.0.1:$SPORT/api/v1/incidents" "$DURATION" "$WORK/wrk-service-$be.txt"
[ -z "$PERFPID" ] || wait "$PERFPID" || say "perf record failed: $(tail -2 "$WORK/perf-$be.log")"
CPU[$be]=$(($(cpu_ticks "$SPID") - CPU0))
IO[$be]=$(($(io_bytes "$SPID") - IO0))
STEAL[$be]=$(steal_pct "$ST0" "$(steal_ticks)")
curl -fs --max-time 5 "http://127.0.0.1:$SPORT/metrics" >"$WORK/metrics-after-$be.txt" || true
stop "$SPID"
S_AFTER[$be]=$(count_rows "$db" incidents)
if "$CIRS" audit verify --db "$db" >"$WORK/audit-$be.txt" 2>&1; then AUDIT[$be]=passed; else AUDIT[$be]="FAILED ($(head -c 200 "$WORK/audit-$be.txt"))"; fi
}
metric() { awk -v m="$2" '$1 == m {print $2}' "$1"; } # FILE NAME (empty when the service has no such metric)
for be in "${BACKENDS[@]}"; do run_service "$be"; done

# --- report ----------------------------------------------------------------------------------------------------------
printf '\nCIRS intake benchmark  %s\n' "$(date '+%Y-%m-%d %H:%M %Z')"
printf 'cirs: %s (built %s; tree %s)\n' "$CIRS" "$(date -r "$CIRS" '+%Y-%m-%d %H:%M')" \
  "$(git describe --always --dirty 2>/dev/null || echo '?')"
printf 'machine: %s cores (%s), %s, %s; databases on %s (%s synchronous 4 KiB writes/s, dd oflag=dsync)\n' "$(nproc)" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(uname -sr)" \
  "$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release)" "$FSTYPE" "$FSYNC"
printf 'load: wrk -t%s -c%s -d%ss (after %ss warm-up), %s reports of %s B median cycled, POST /api/v1/incidents\n\n' \
  "$THREADS" "$CONNS" "$DURATION" "$WARMUP" "$N" \
  "$(cut -f2- "$WORK/bodies.tsv" | LC_ALL=C awk '{print length($0)}' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')"
printf '%-34s %14s %9s %9s %9s %8s %8s\n' target "ack reports/s" "p50 ms" "p99 ms" "max ms" non-2xx errors
row() { # LABEL FILE
  local e
  e=$(($(field "$2" err_connect) + $(field "$2" err_read) + $(field "$2" err_write) + $(field "$2" err_timeout)))
  printf '%-34s %14s %9s %9s %9s %8s %8s\n' "$1" "$(field "$2" ack_per_s)" "$(field "$2" p50_ms)" "$(field "$2" p99_ms)" \
    "$(field "$2" max_ms)" "$(field "$2" non2xx)" "$e"
}
row "ceiling (bench/baseline.c)" "$WORK/wrk-baseline.txt"
for be in "${BACKENDS[@]}"; do
  label="cirs serve --workers $WORKERS"
  if [ "${#BACKENDS[@]}" -gt 1 ] || [ "$be" != sqlite ]; then label+=" ($be)"; fi
  row "$label" "$WORK/wrk-service-$be.txt"
done

B_OK=$(field "$WORK/wrk-baseline.txt" ok)
printf '\nceiling: %s\n' "$(grep 'stopped:' "$WORK/baseline.log" | sed 's/^baseline: stopped: //')"
printf 'ceiling: %s; steal %s %%\n' "$(per_req "$BCPU" "$BIO" "$B_OK")" "$BSTEAL"
GOAL=met
for be in "${BACKENDS[@]}"; do
  S_OK=$(field "$WORK/wrk-service-$be.txt" ok)
  RATIO=$(awk -v s="$(field "$WORK/wrk-service-$be.txt" ack_per_s)" -v b="$(field "$WORK/wrk-baseline.txt" ack_per_s)" \
    'BEGIN{printf "%.1f", (b > 0 ? 100 * s / b : 0)}')
  P99=$(field "$WORK/wrk-service-$be.txt" p99_ms)
  G=$(awk -v r="$RATIO" -v p="$P99" 'BEGIN{print (r >= 50 && p <= 20) ? "met" : "NOT met"}')
  [ "$G" = met ] || GOAL="NOT met"
  printf 'service (%s) / ceiling: %s %%   goal (>= 50 %% with p99 <= 20 ms): %s\n' "$be" "$RATIO" "$G"
  C0=$(metric "$WORK/metrics-before-$be.txt" cirs_db_commits_total)
  C1=$(metric "$WORK/metrics-after-$be.txt" cirs_db_commits_total)
  if [ -n "$C0" ] && [ -n "$C1" ]; then
    J=$(($(metric "$WORK/metrics-after-$be.txt" cirs_db_batch_size_sum) - $(metric "$WORK/metrics-before-$be.txt" cirs_db_batch_size_sum)))
    printf 'service (%s, /metrics, measured run): %s commits, %s write jobs, mean batch %s\n' "$be" $((C1 - C0)) "$J" \
      "$(awk -v j="$J" -v c=$((C1 - C0)) 'BEGIN{printf "%.1f", (c > 0 ? j / c : 0)}')"
  fi
  # CPU per report varies less than reports/s on a shared machine: compare builds by it.
  printf 'service (%s): %s (CPU %s s in the measured run%s); steal %s %%\n' "$be" "$(per_req "${CPU[$be]}" "${IO[$be]}" "$S_OK")" \
    "$(awk -v t="${CPU[$be]}" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", t / hz}')" \
    "$([ "$be" = pg ] && echo "; cirs serve only: the PostgreSQL server's own CPU and writes are not in these figures")" "${STEAL[$be]}"
  printf 'durability (%s): service %s incidents written during the run >= %s acknowledged; audit verify %s\n' \
    "$be" $((S_AFTER[$be] - S_BEFORE[$be])) "$S_OK" "${AUDIT[$be]}"
done
printf 'durability: ceiling %s rows written during the run >= %s acknowledged\n' $((B_AFTER - B_BEFORE)) "$B_OK"
for f in baseline "${BACKENDS[@]/#/service-}"; do
  codes=$(field "$WORK/wrk-$f.txt" codes)
  if [ "$codes" != "-" ]; then
    printf '%s non-2xx by status: %s; first bodies:\n' "$f" "$codes"
    grep '^ERRBODY ' "$WORK/wrk-$f.txt" | sed 's/^ERRBODY /  /'
  fi
done
for be in "${BACKENDS[@]}"; do
  SLOG=$(grep -c 'level=error' "$WORK/service-$be.log" || true)
  if [ "$SLOG" -gt 0 ]; then
    printf 'service (%s) log: %s error lines, first ones:\n' "$be" "$SLOG"
    grep 'level=error' "$WORK/service-$be.log" | head -5 | sed 's/^/  /'
  fi
done
printf 'whole run: %ss\n' $(($(date +%s) - T0))

[ $((B_AFTER - B_BEFORE)) -ge "$B_OK" ] || die "ceiling: fewer rows on disk than acknowledged"
for be in "${BACKENDS[@]}"; do
  [ $((S_AFTER[$be] - S_BEFORE[$be])) -ge "$(field "$WORK/wrk-service-$be.txt" ok)" ] || die "service ($be): fewer incidents on disk than acknowledged"
  [ "${AUDIT[$be]}" = passed ] || die "audit verify failed ($be)"
done
if [ "${BENCH_STRICT:-0}" = 1 ] && [ "$GOAL" != met ]; then exit 3; fi
exit 0
