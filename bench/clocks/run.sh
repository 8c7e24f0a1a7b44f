#!/usr/bin/env bash
# bench/clocks/run.sh — the deadline scheduler under a national-scale backlog (issue 4, acceptance 5).
#
#   bench/clocks/run.sh [PATH/TO/cirs]        (`make bench-clocks` runs it with $(B)/cirs)
#
# 1. creates a demo database and loads CLOCKS_N pending obligations (default 1 000 000) straight into it with SQL:
#    CLOCKS_BURST of them (default 10 000) due within the same second, CLOCKS_LEAD seconds after the server starts;
#    the others due over the next 1..30 days (each with a one-day window, so a 50 % reminder is scheduled too);
# 2. starts `cirs serve` and measures its start-up: from exec to the first 200 of /healthz, and the scheduler's own
#    load time (log line "scheduler started");
# 3. reads its memory (VmRSS, VmHWM from /proc) once loaded;
# 4. waits for the burst to fire, then reports the firing lag (from the due instant to the committed overdue
#    transition): p50/p99/max per firing, from the scheduler's batch log lines (each batch's commit time minus
#    each deadline's due instant, recomputed here from the database), and the /metrics histogram;
# 5. checks that every burst obligation is overdue exactly once (one obligation.overdue event each) and that
#    none of the later ones fired.
# Knobs (environment): B (build dir, default build), CLOCKS_N, CLOCKS_BURST, CLOCKS_LEAD (s, default 30),
# CLOCKS_KEEP=1 (keep the work directory), CLOCKS_WRAP (a command prefix for the server, e.g. "perf record -g -o F --";
# memory figures are then the wrapper's). The database lives under $B (the repo's file system, never tmpfs).
set -euo pipefail

GIVEN=""
if [ $# -ge 1 ]; then GIVEN=$(realpath "$1"); fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
B=${B:-build}
N=${CLOCKS_N:-1000000}
BURST=${CLOCKS_BURST:-10000}
LEAD=${CLOCKS_LEAD:-30}
T_START=$(date +%s)

say() { printf 'bench-clocks: %s\n' "$*" >&2; }
die() { printf 'bench-clocks: FAILED: %s\n' "$*" >&2; exit 1; }

for tool in curl sqlite3 /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null; then bench/install-deps.sh; break; fi
done
if [ -n "$GIVEN" ]; then CIRS=$GIVEN; else make --no-print-directory B="$B" all >&2; CIRS=$B/cirs; fi
[ -x "$CIRS" ] || die "no cirs binary at $CIRS"
[ "$BURST" -le "$N" ] || die "CLOCKS_BURST ($BURST) > CLOCKS_N ($N)"

mkdir -p "$B/bench"
WORK=$(mktemp -d "$ROOT/$B/bench/clocks.XXXXXX")
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; fi
  if [ "${CLOCKS_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
DB=$WORK/clocks.db

# --- 1. the backlog ----------------------------------------------------------------------------------------------------
say "creating $N pending obligations ($BURST due in one second) in $DB"
"$CIRS" init --db "$DB" --demo >/dev/null
NOW_MS=$(( $(date +%s) * 1000 ))
# The burst falls in the whole second that starts LEAD s from now (the load and the server's start come first).
T0=$(( (NOW_MS / 1000 + LEAD) * 1000 ))
G0=$(date +%s.%N)
sqlite3 "$DB" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO incidents(ref, organisation_id, title, category, grade, reportable, status, aware_ms, created_ms, updated_ms)
SELECT printf('BENCH-%06d', i), (SELECT id FROM organisations WHERE code = 'jc-hengtai'), '时钟压测事件 ' || i, 'DAE', '较大', 1, 'open',
       $NOW_MS, $NOW_MS, $NOW_MS FROM n;
CREATE TEMP TABLE base AS SELECT min(id) AS first FROM incidents WHERE ref LIKE 'BENCH-%';
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO obligations(incident_id, regime, route, kind, from_party, to_parties, to_authorities, max, relative_to, due_ms, hard,
                        status, source, confidence, created_ms)
SELECT (SELECT first FROM base) + (i % 1000), 'cn-2025', 'OTHER', 'initial', 'operator', '["provincial_cac"]',
       '[{"recipient":"provincial_cac","authority":"cac-140000"}]',
       CASE WHEN i <= $BURST THEN NULL ELSE 'P1D' END, 'aware_at',
       CASE WHEN i <= $BURST THEN $T0 + (i * 7919) % 1000 ELSE $NOW_MS + 86400000 + (i * 2654435761) % (29 * 86400000) END,
       1, 'pending', 'bench/clocks', 'bench', $NOW_MS
FROM n;
COMMIT;
SQL
G1=$(date +%s.%N)
say "loaded in $(/usr/bin/python3 -c "print(f'{$G1 - $G0:.1f}')") s; database $(du -m "$DB" | cut -f1) MB"
[ "$(( $(date +%s) * 1000 ))" -lt "$(( T0 - 5000 ))" ] || die "the load took too long for CLOCKS_LEAD=$LEAD; raise it"

# --- 2. start-up ------------------------------------------------------------------------------------------------------
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
S0=$(date +%s%N)
# Reminders: the 50 % step only (the burst has no window, so a "15m before" step would fire it at once at start
# and mix reminders into the burst's figures).
# shellcheck disable=SC2086
${CLOCKS_WRAP:-} "$CIRS" serve --db "$DB" --listen "127.0.0.1:$PORT" --reminders 50% 2>"$WORK/serve.log" &
PID=$!
until curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "cirs serve exited"; }
  sleep 0.02
done
S1=$(date +%s%N)
STARTUP_MS=$(( (S1 - S0) / 1000000 ))
LOAD_LINE=$(grep -m1 'scheduler started' "$WORK/serve.log" || true)
RSS=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
HWM=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
say "up in $STARTUP_MS ms; $LOAD_LINE"

# --- 3. the burst -----------------------------------------------------------------------------------------------------
WAIT_S=$(( (T0 - $(date +%s) * 1000) / 1000 + 2 ))
say "waiting ${WAIT_S} s for the burst at $(date -d @$((T0 / 1000)) +%T)"
sleep "$WAIT_S"
DEADLINE=$(( $(date +%s) + 120 ))
while :; do
  FIRED=$(curl -fsS "$URL/metrics" | awk '/^cirs_clock_overdue_total/ {print $2}')
  [ "${FIRED:-0}" -ge "$BURST" ] && break
  [ "$(date +%s)" -lt "$DEADLINE" ] || die "only ${FIRED:-0} of $BURST fired within 2 minutes"
  sleep 0.2
done
curl -fsS "$URL/metrics" >"$WORK/metrics.txt"
RSS2=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
HWM2=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""

# --- 4. figures -------------------------------------------------------------------------------------------------------
/usr/bin/python3 - "$DB" "$WORK/serve.log" "$WORK/metrics.txt" "$N" "$BURST" "$T0" "$STARTUP_MS" "$RSS" "$HWM" "$RSS2" "$HWM2" <<'PY'
import re, sqlite3, sys
db, log, metrics, n, burst, t0, startup_ms, rss, hwm, rss2, hwm2 = sys.argv[1:]
n, burst, t0 = int(n), int(burst), int(t0)
c = sqlite3.connect(db)
due = dict(c.execute("SELECT id, due_ms FROM obligations WHERE source = 'bench/clocks' AND due_ms < ?", (t0 + 1000,)))
events = c.execute("SELECT entity_id, count(*) FROM events WHERE type = 'obligation.overdue' GROUP BY entity_id").fetchall()
once = sum(1 for _, k in events if k == 1 and _ in due)
twice = sum(1 for _, k in events if k > 1)
stray = sum(1 for i, _ in events if i not in due)
status = dict(c.execute("SELECT status, count(*) FROM obligations WHERE source = 'bench/clocks' GROUP BY status"))
# The lag of each firing is its batch's commit instant minus its own due instant. The scheduler logs each batch
# (msg="deadlines fired" n=COUNT ... done_ms=COMMIT); it pops deadlines in due order (a min-heap), so the batches
# hold the burst's due instants in ascending order and each firing's lag can be rebuilt exactly.
batches = [(int(m.group(1)), int(m.group(2))) for m in re.finditer(r'deadlines fired" n=(\d+) .*?done_ms=(\d+)', open(log).read())]
# Firings happen in due order (min-heap), so the k-th firing is the k-th smallest due instant.
order = sorted(due.values())
lags, k = [], 0
for cnt, done in batches:
    for d in order[k:k + cnt]:
        lags.append(done - d)
    k += cnt
lags.sort()
def pct(p):
    return lags[min(len(lags) - 1, int(round(p / 100 * len(lags) + 0.5)) - 1)] if lags else float('nan')
hist = dict(re.findall(r'cirs_clock_firing_lag_seconds_bucket\{le="([^"]+)"\} (\d+)', open(metrics).read()))
print(f"obligations pending at start  {n:,}  (burst {burst:,} due in one second)")
print(f"start-up                      {startup_ms} ms to the first /healthz 200")
m = re.search(r'deadlines_and_reminders=(\d+) load_ms=(\d+)', open(log).read())
if m:
    print(f"scheduler load                {int(m.group(2))} ms for {int(m.group(1)):,} deadline and reminder instants")
print(f"memory after load             RSS {int(rss) / 1024:.0f} MiB (peak {int(hwm) / 1024:.0f} MiB)")
print(f"memory after the burst        RSS {int(rss2) / 1024:.0f} MiB (peak {int(hwm2) / 1024:.0f} MiB)")
print(f"burst firing lag (ms)         p50 {pct(50)}  p99 {pct(99)}  max {lags[-1] if lags else 'n/a'}  over {len(lags):,} firings in {len(batches)} batches")
print("metrics histogram (<= s)      " + "  ".join(f"{k}:{v}" for k, v in hist.items()))
print(f"overdue exactly once          {once:,} of {burst:,}; twice: {twice}; later ones fired: {stray}")
print(f"statuses                      {status}")
ok = once == burst and twice == 0 and stray == 0 and len(lags) >= burst
sys.exit(0 if ok else 1)
PY
say "done in $(( $(date +%s) - T_START )) s"
