#!/usr/bin/env bash
# Black-box tests for `cirs assess`.
#
#   tests/assess/run.sh [BINARY]        (default: build/cirs of this repository)
#
# Every tests/assess/cases/*.json file is one case:
#   name        one line saying what the case proves
#   args        optional extra CLI arguments placed before the input file;
#               "{root}" inside an argument is replaced by the repository root
#   input       the assess input (an object), or
#   input_text  raw text sent as the input (for invalid JSON)
#   pad_bytes   optional: append this many spaces to the input text (size limits)
#   stdin       optional: true → input is piped on standard input and "-" is passed
#   exit        expected exit code
#   expect      partial expectation of the JSON printed on standard output
# Matching: objects match when every expected key matches (extra keys allowed);
# scalars must be equal (numbers compared numerically, booleans are not numbers);
# arrays must have the same length and match element-wise in order, except the
# top-level "obligations" array, compared as a multiset (same length, each
# expected obligation matched by a distinct actual one).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-$ROOT/build/cirs}"
case "$BIN" in
  /*) ;;
  */*) BIN="$(cd "$(dirname "$BIN")" 2>/dev/null && pwd)/$(basename "$BIN")" ;;
  *) BIN="$(command -v "$BIN" || echo "$BIN")" ;;
esac
if [ ! -x "$BIN" ]; then
  echo "run.sh: binary not found or not executable: $BIN" >&2
  exit 2
fi

exec /usr/bin/python3 - "$BIN" "$HERE/cases" "$ROOT" <<'PY'
import json, os, subprocess, sys, tempfile

BIN, CASES, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]


def show(v):
    s = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return s if len(s) <= 300 else s[:297] + "..."


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def match(exp, got, path):
    """Return None when got matches exp, else a description of the first difference."""
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            return "%s: expected object %s got %s" % (path, show(exp), show(got))
        for k, v in exp.items():
            p = "%s.%s" % (path, k) if path else k
            if k not in got:
                return "%s: expected %s got <missing>" % (p, show(v))
            d = match(v, got[k], p)
            if d:
                return d
        return None
    if isinstance(exp, list):
        if not isinstance(got, list):
            return "%s: expected array %s got %s" % (path, show(exp), show(got))
        if len(exp) != len(got):
            return "%s: expected %d elements got %d: %s" % (path, len(exp), len(got), show(got))
        for i, (e, g) in enumerate(zip(exp, got)):
            d = match(e, g, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if is_num(exp) and is_num(got):
        if exp == got:
            return None
        return "%s: expected %s got %s" % (path, show(exp), show(got))
    if type(exp) is type(got) and exp == got:
        return None
    if exp is None and got is None:
        return None
    return "%s: expected %s got %s" % (path, show(exp), show(got))


def match_multiset(exp, got, path):
    if not isinstance(got, list):
        return "%s: expected array got %s" % (path, show(got))
    # bipartite matching (exp element -> distinct got element)
    cand = [[j for j, g in enumerate(got) if match(e, g, "") is None] for e in exp]
    owner = {}

    def assign(i, seen):
        for j in cand[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or assign(owner[j], seen):
                owner[j] = i
                return True
        return False

    unmatched = [i for i in range(len(exp)) if not assign(i, set())]
    if unmatched:
        i = unmatched[0]
        e = exp[i]
        key = {k: e.get(k) for k in ("regime", "route", "kind") if k in e}
        near = [g for g in got if isinstance(g, dict) and all(g.get(k) == v for k, v in key.items())]
        if near:
            where = path + "{%s}" % "/".join(str(v) for v in key.values())
            diffs = [match(e, g, where) for g in near]
            if any(d is None for d in diffs):
                return "%s: expected obligation %s more times than it occurs (actual count %d)" % (
                    path, show(key), sum(1 for d in diffs if d is None))
            return "%s: expected obligation %s; closest actual differs at %s" % (path, show(key), diffs[0])
        return "%s: expected obligation %s got none like it (actual: %s)" % (
            path, show(e), show([{k: g.get(k) for k in ("regime", "route", "kind")} for g in got if isinstance(g, dict)]))
    if len(exp) != len(got):
        used = set(owner.keys())
        extra = [{k: g.get(k) for k in ("regime", "route", "kind", "to")} for j, g in enumerate(got)
                 if j not in used and isinstance(g, dict)]
        return "%s: expected %d obligations got %d; unexpected: %s" % (path, len(exp), len(got), show(extra))
    return None


def check(case, fname):
    args = [a.replace("{root}", ROOT) for a in case.get("args", [])]
    if "input_text" in case:
        text = case["input_text"]
    else:
        text = json.dumps(case["input"], ensure_ascii=False, indent=1)
    text += " " * int(case.get("pad_bytes", 0))
    data = text.encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="cirs-assess-") as tmp:
        if case.get("stdin"):
            cmd = [BIN, "assess"] + args + ["-"]
            stdin = data
        else:
            f = os.path.join(tmp, "input.json")
            with open(f, "wb") as fh:
                fh.write(data)
            cmd = [BIN, "assess"] + args + [f]
            stdin = b""
        try:
            r = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=20, cwd=tmp)
        except subprocess.TimeoutExpired:
            return "timed out after 20 s"
    out = r.stdout.decode("utf-8", "replace")
    try:
        got = json.loads(out)
    except ValueError:
        return "stdout is not JSON (exit %d): %s" % (r.returncode, out[:200].replace("\n", " "))
    if r.returncode != case["exit"]:
        hint = ""
        if isinstance(got, dict) and "error" in got:
            hint = " (error %s)" % show(got["error"])
        return "exit: expected %s got %s%s" % (case["exit"], r.returncode, hint)
    exp = case.get("expect", {})
    if isinstance(exp, dict) and "obligations" in exp:
        rest = {k: v for k, v in exp.items() if k != "obligations"}
        d = match(rest, got, "")
        if d:
            return d
        if not isinstance(got, dict) or "obligations" not in got:
            return "obligations: expected %s got <missing>" % show(exp["obligations"])
        return match_multiset(exp["obligations"], got["obligations"], "obligations")
    return match(exp, got, "")


files = sorted(f for f in os.listdir(CASES) if f.endswith(".json"))
passed = failed = 0
for f in files:
    name = f[:-5]
    try:
        with open(os.path.join(CASES, f), encoding="utf-8") as fh:
            case = json.load(fh)
        diff = check(case, f)
    except Exception as ex:  # a broken case file is a failure, not a crash
        diff = "bad case file: %s" % ex
    if diff:
        failed += 1
        print("FAIL %s: %s" % (name, diff))
    else:
        passed += 1
        print("ok %s" % name)
print("assess black-box: %d cases, %d passed, %d failed" % (passed + failed, passed, failed))
sys.exit(1 if failed or not files else 0)
PY
