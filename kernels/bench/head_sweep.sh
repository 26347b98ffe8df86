#!/usr/bin/env bash
# DRAM bytes of traced and untraced launches against the number of heads at one long N (issue 4: flash2
# re-reads K/V at d = 128, N = 65536, 4 heads far more than one pass per wave; the traced launches check that
# a timeline does not change the traffic). Run on the GPU machine from the repository root:
#
#   bash kernels/bench/head_sweep.sh     # KERNEL=flash2 D=128 N=65536 HEADS="1 2 3 4 6 8" to choose
#
# KERNEL: flash2 (default), flash1 or flash2_hopper (the kernels with a timeline instantiation).
# Per head count: one ncu profile of one forward launch (caches flushed, clocks as found: the settings of
# measure_traffic.sh) and one of the traced launch of attention_measure --trace (the timeline instantiation,
# whose loops are the same code). Writes $OUT/head_sweep[_<kernel>].csv (gpu, d, N, heads, traced 0/1,
# DRAM bytes read and written, SM<->L2 bytes read, duration; no suffix for flash2) and the timelines
# $OUT/trace_[<kernel>_]d<d>_N<N>_H<heads>_c0.csv (the names cta_trace.sh gives them).
# (Called flash2_head_sweep.sh, for flash2 only, until 2026-11-22.)
set -uo pipefail
OUT=${OUT:-$PWD/out-head-sweep}
source "$(dirname "$0")/bench_env.sh"
KERNEL=${KERNEL:-flash2}
D=${D:-128}
N=${N:-65536}
HEADS=${HEADS:-"1 2 3 4 6 8"}
bench_setup head_sweep.log
bench_build attention_measure
BIN="$BUILD/kernels/attention_measure"
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
echo "== head_sweep.sh ($KERNEL) on $GPU, $(date -u +%Y-%m-%d); d = $D, N = $N, heads: $HEADS"
M="gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,l1tex__m_xbar2l1tex_read_bytes.sum"
CSV="$OUT/head_sweep$([[ $KERNEL == flash2 ]] || echo "_$KERNEL").csv"
[[ -s "$CSV" ]] || echo "gpu,d,N,heads,traced,dram_read_bytes,dram_write_bytes,sm_l2_read_bytes,duration_ns" >"$CSV"
TMPD=$(mktemp -d)
fails=0
profile() {  # heads traced(0/1): one ncu row appended to $CSV
  local h=$1 traced=$2 args=(--kernel "$KERNEL" --d "$D" --N "$N" --heads "$1") skip=() vals
  if ((traced)); then
    args+=(--trace "$(trace_file "$KERNEL" "$D" "$N" "$h" 0)")
    skip=(--kernel-name "regex:${KERNEL}_fwd" --launch-skip 1 --launch-count 1)  # the warm-up launch first
  fi
  if ! ncu --csv --page raw --print-units base --cache-control all --clock-control none --metrics "$M" "${skip[@]}" \
      --log-file "$TMPD/ncu.log" "$BIN" "${args[@]}" >"$TMPD/out.txt" 2>&1; then
    echo "FAILED: ncu, $h heads, traced $traced"; fails=$((fails + 1)); return
  fi
  if ! vals=$(python3 kernels/bench/ncu_raw.py "$TMPD/ncu.log" dram__bytes_read.sum dram__bytes_write.sum \
      l1tex__m_xbar2l1tex_read_bytes.sum gpu__time_duration.sum); then
    echo "FAILED to parse: $h heads, traced $traced"; fails=$((fails + 1)); return
  fi
  echo "\"$GPU\",$D,$N,$h,$traced,$vals" | tee -a "$CSV"
}
for h in $HEADS; do
  profile "$h" 0
  profile "$h" 1
done
rm -rf "$TMPD"
echo "== done, $fails failure(s)"
exit $((fails > 0))
