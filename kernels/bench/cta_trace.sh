#!/usr/bin/env bash
# Thread-block timelines of flash2, flash1 or flash2_hopper (issue 4: how thread blocks pace each other, which decides how
# much of the K/V they share the L2 still holds). Run on the GPU machine from the repository root:
#
#   bash kernels/bench/cta_trace.sh        # CONFIGS="d:N:heads:causal[:batch] ...", KERNEL=flash1|flash2_hopper
#
# Builds attention_measure (kernels only) unless present, checks flash2 against the float64 reference
# (attention_verify --small) and the traced launch under compute-sanitizer memcheck, then writes one
# timeline per configuration, $OUT/trace_[<kernel>_]d<d>_N<N>[_B<batch>]_H<heads>_c<causal>.csv
# (attention_measure --trace: per thread block its SM and its start and end times), and $OUT/trace.log.
set -uo pipefail
OUT=${OUT:-$PWD/out-cta-trace}
source "$(dirname "$0")/bench_env.sh"
KERNEL=${KERNEL:-flash2}
CONFIGS=${CONFIGS:-"128:65536:4:0 128:65536:1:0 64:65536:4:0 64:65536:1:0 128:32768:2:0 128:16384:4:0 64:16384:16:0 128:65536:4:1"}
bench_setup trace.log
bench_build attention_measure attention_verify
BIN="$BUILD/kernels/attention_measure"
echo "== cta_trace.sh ($KERNEL) on $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1), $(date -u +%Y-%m-%d)"
fails=0
"$BUILD/kernels/attention_verify" --small >"$OUT/verify.txt" 2>&1 || { echo "FAILED: attention_verify --small"; fails=$((fails + 1)); }
tail -1 "$OUT/verify.txt"
compute-sanitizer --tool memcheck --error-exitcode 9 "$BIN" --kernel "$KERNEL" --heads 3 --N 1000 --d 128 --causal 1 \
  --trace "$OUT/sanitize_trace.csv" >"$OUT/sanitize.txt" 2>&1 || { echo "FAILED: memcheck of a traced launch"; fails=$((fails + 1)); }
tail -1 "$OUT/sanitize.txt"
for c in $CONFIGS; do
  IFS=: read -r d n h causal b <<<"$c"
  b=${b:-1}
  f=$(trace_file "$KERNEL" "$d" "$n" "$h" "$causal" "$b")
  if "$BIN" --kernel "$KERNEL" --d "$d" --N "$n" --heads "$h" --batch "$b" --causal "$causal" --trace "$f"; then
    python3 "$(dirname "$0")/trace_summary.py" "$f"
  else
    echo "FAILED: $c"; fails=$((fails + 1))
  fi
done
echo "== done, $fails failure(s)"
exit $((fails > 0))
