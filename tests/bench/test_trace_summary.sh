#!/usr/bin/env bash
# kernels/bench/trace_summary.py on the committed thread-block timelines: its line for each timeline equals
# the line cta_trace.sh printed on the GPU when it wrote that timeline (the committed trace*.log files), and
# bad files get a one-line error and exit 1.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
SUM="$PY $ROOT/kernels/bench/trace_summary.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
expect() {  # description expected actual
  if [[ "$2" == "$3" ]]; then :; else echo "FAIL: $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
}
# Each "ok trace=<path>/<name>.csv blocks=<n>" line of a log is followed by the summary printed on the GPU.
# Some configurations were traced again in later runs whose logs were not kept (the committed file is the
# latest), so a timeline must reproduce one of the lines logged for its name, or, if none, at least their
# block and SM counts (which do not change between runs); most must reproduce a logged line exactly.
declare -A logged
for log in "$ROOT"/analysis/measurements/cta_trace_*/*/trace*.log; do
  dir=$(dirname "$log")
  while IFS= read -r line; do
    if [[ $line =~ ^ok\ trace=.*/([^/]+\.csv)\ blocks= ]]; then
      IFS= read -r want || want=""
      logged["$dir/${BASH_REMATCH[1]}"]+="$want"$'\n'
    fi
  done <"$log"
done
checked=0 exact=0
for f in "${!logged[@]}"; do
  [[ -f "$f" ]] || continue  # a timeline the log names but the folder does not keep
  got=$($SUM "$f")
  checked=$((checked + 1))
  if grep -qxF -- "$got" <<<"${logged[$f]}"; then
    exact=$((exact + 1))
  else
    expect "$f: blocks and SMs" "$(head -1 <<<"${logged[$f]}" | sed 's/, launch.*//')" "${got%%, launch*}"
  fi
done
(( exact >= 28 )) || { echo "FAIL: only $exact of $checked committed timelines reproduce a logged line"; fails=$((fails + 1)); }
(( checked >= 20 )) || { echo "FAIL: only $checked committed timelines checked"; fails=$((fails + 1)); }

printf 'block,sm,start_ns,end_ns\n0,1,10,5\n' >"$T/backwards.csv"
printf 'block,sm,start_ns\n0,1,10\n' >"$T/nocol.csv"
printf 'block,sm,start_ns,end_ns\n' >"$T/empty.csv"
printf 'block,sm,start_ns,end_ns\n0,1,x,5\n' >"$T/text.csv"
for bad in backwards nocol empty text missing; do
  out=$($SUM "$T/$bad.csv" 2>&1); rc=$?
  expect "$bad: exit 1" 1 "$rc"
  expect "$bad: one line naming the file" 1 "$(grep -c "^trace_summary.py: $T/$bad.csv: " <<<"$out")"
done
printf 'block,sm,start_ns,end_ns\n0,3,0,2000\n1,3,2000,5000\n2,7,0,4000\n' >"$T/three.csv"
expect "hand-made timeline" "   3 blocks on 2 SMs, launch 0.005 ms, block duration median 3.0 us, min 2.0, max 4.0" "$($SUM "$T/three.csv")"
echo "trace_summary: $checked committed timelines checked, $exact reproduce a logged line exactly, $fails failure(s)"
exit $((fails > 0))
