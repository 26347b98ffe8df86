#!/usr/bin/env bash
# Behaviour of `iolab pebble` and `iolab bound`: results, files, and one-line
# errors with exit status 2 for bad input.
set -u
IOLAB="$1"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

expect_error() {  # expect_error "what" args...
  local what="$1"; shift
  "$IOLAB" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ $rc -ne 2 ]; then bad "$what: exit $rc, want 2"; return; fi
  if [ "$(wc -l <"$T/err")" -ne 1 ]; then bad "$what: stderr is not one line: $(cat "$T/err")"; return; fi
  ok "$what: $(cat "$T/err")"
}

json_field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

# Built-in families and known optima.
"$IOLAB" pebble --dag tree:8 --M 4 --json >"$T/tree.json" || bad "tree:8 run"
[ "$(json_field "$T/tree.json" min_io)" = 11 ] && ok "tree:8 M=4 min_io 11" || bad "tree:8 min_io"
for f in loads stores moves; do json_field "$T/tree.json" $f >/dev/null || bad "json field $f"; done
"$IOLAB" pebble --dag attention:N=2,d=1 --M 6 --json >"$T/att.json" || bad "attention run"
[ "$(json_field "$T/att.json" min_io)" = 8 ] && ok "attention:N=2,d=1 M=6 min_io 8" || bad "attention min_io"
"$IOLAB" pebble --dag chain:8 --M 2 >/dev/null || bad "chain:8"
"$IOLAB" pebble --dag matmul:2 --M 7 --no-recompute --json >"$T/mm.json" || bad "matmul"
[ "$(json_field "$T/mm.json" min_io)" = 12 ] && [ "$(json_field "$T/mm.json" game)" = one-shot ] && ok "matmul:2 one-shot 12" || bad "matmul one-shot"

# DOT in, DOT and CSV out.
cat >"$T/g.dot" <<'DOT'
digraph G { a -> b; a -> c; b -> d; c -> d; }
DOT
"$IOLAB" pebble --dag-file "$T/g.dot" --M 3 --json --dot "$T/out.dot" --csv "$T/moves.csv" >"$T/g.json" || bad "dag-file run"
[ "$(json_field "$T/g.json" min_io)" = 2 ] && ok "diamond from DOT min_io 2" || bad "diamond from DOT"
grep -q digraph "$T/out.dot" && ok "DOT written" || bad "DOT not written"
head -1 "$T/moves.csv" | grep -q "^step,op,node,red,io$" && ok "CSV written" || bad "CSV header"
# The written moves are accepted by the checker, and the written DOT reads back.
"$IOLAB" pebble --dag-file "$T/out.dot" --M 3 --check "$T/moves.csv" >/dev/null && ok "check accepts solver moves" || bad "check rejects solver moves"
printf 'load a\ncompute d\n' >"$T/badmoves"
expect_error "illegal moves" pebble --dag-file "$T/g.dot" --M 3 --check "$T/badmoves"

# Schedules and the bound table.
"$IOLAB" bound --dag attention-online:N=2,d=1 --schedule flash1 --exact --no-recompute --json >"$T/b.json" || bad "bound run"
python3 - "$T/b.json" <<'PY' && ok "bound: lower <= optimum <= schedule" || bad "bound ordering"
import json, sys
j = json.load(open(sys.argv[1]))
r = j["rows"][0]
assert r["lower_bound"] <= r["optimum"] <= r["schedule_io"], r
assert j["schedule"]["io"] == 26 and j["schedule"]["peak_red"] == 12, j["schedule"]
PY
"$IOLAB" bound --dag attention:N=2,d=1 --M 4:6:+1 --exact --csv "$T/b.csv" >/dev/null || bad "bound csv run"
[ "$(wc -l <"$T/b.csv")" -eq 4 ] && ok "bound CSV rows" || bad "bound CSV rows"
"$IOLAB" pebble --dag attention-online:N=2,d=1 --M 12 --schedule flash1 --no-recompute >/dev/null && ok "pebble --schedule" || bad "pebble --schedule"

# Bad input: one line, exit 2.
printf 'digraph G { a -> ; }' >"$T/malformed.dot"
printf 'digraph G { a -> b; b -> c; c -> a; }' >"$T/cycle.dot"
expect_error "malformed DOT" pebble --dag-file "$T/malformed.dot" --M 3
expect_error "cycle" pebble --dag-file "$T/cycle.dot" --M 3
expect_error "missing file" pebble --dag-file "$T/nope.dot" --M 3
expect_error "M below in-degree + 1" pebble --dag diamond --M 2
expect_error "unknown family" pebble --dag nosuch:3 --M 3
expect_error "bad family size" pebble --dag chain:0 --M 3
expect_error "both dag options" pebble --dag diamond --dag-file "$T/g.dot" --M 3
expect_error "too large for the solver" pebble --dag chain:80 --M 3
expect_error "schedule on wrong DAG" bound --dag attention:N=2,d=1 --schedule flash1
expect_error "bound without M" bound --dag diamond
expect_error "bound M too small" bound --dag diamond --M 2
exit $fail
