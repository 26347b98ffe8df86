#!/usr/bin/env bash
# flash2's DRAM bytes and thread-block drift against the number of heads at one long N (issue 4: the GPU
# re-reads K/V at d = 128, N = 65536, 4 heads far more than one pass per wave). Run on the GPU machine from
# the repository root:
#
#   bash kernels/bench/flash2_head_sweep.sh     # D=128 N=65536 HEADS="1 2 3 4 6 8" to choose
#
# Per head count: one ncu profile of one forward launch (caches flushed, clocks as found: the settings of
# measure_traffic.sh) and one of the traced launch of attention_measure --trace (the timeline instantiation
# of flash2, whose K/V loop is the same code). Writes $OUT/head_sweep.csv (gpu, d, N, heads, traced 0/1,
# DRAM bytes read and written, SM<->L2 bytes, duration) and $OUT/trace_d<d>_N<N>_H<heads>_c0.csv.
set -uo pipefail
OUT=${OUT:-$PWD/out-head-sweep}
source "$(dirname "$0")/bench_env.sh"
D=${D:-128}
N=${N:-65536}
HEADS=${HEADS:-"1 2 3 4 6 8"}
bench_setup head_sweep.log
bench_build attention_measure
BIN="$BUILD/kernels/attention_measure"
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
echo "== flash2_head_sweep.sh on $GPU, $(date -u +%Y-%m-%d); d = $D, N = $N, heads: $HEADS"
M="gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,l1tex__m_xbar2l1tex_read_bytes.sum"
CSV="$OUT/head_sweep.csv"
[[ -s "$CSV" ]] || echo "gpu,d,N,heads,traced,dram_read_bytes,dram_write_bytes,sm_l2_read_bytes,duration_ns" >"$CSV"
TMPD=$(mktemp -d)
fails=0
profile() {  # heads traced(0/1): one ncu row appended to $CSV
  local h=$1 traced=$2 args=(--kernel flash2 --d "$D" --N "$N" --heads "$1") skip=()
  if ((traced)); then args+=(--trace "$OUT/trace_d${D}_N${N}_H${h}_c0.csv"); skip=(--kernel-name regex:flash2 --launch-skip 1 --launch-count 1); fi
  if ! ncu --csv --page raw --print-units base --cache-control all --clock-control none --metrics "$M" "${skip[@]}" \
      --log-file "$TMPD/ncu.log" "$BIN" "${args[@]}" >"$TMPD/out.txt" 2>&1; then
    echo "FAILED: ncu, $h heads, traced $traced"; fails=$((fails + 1)); return
  fi
  grep -v '^==' "$TMPD/ncu.log" >"$TMPD/raw.csv"
  python3 - "$TMPD/raw.csv" "$GPU" "$D" "$N" "$h" "$traced" >>"$CSV" <<'PY' || { echo "FAILED to parse: $h heads"; fails=$((fails + 1)); }
import csv, sys
raw, gpu, d, n, h, traced = sys.argv[1:7]
rows = [r for r in csv.reader(open(raw)) if len(r) > 5]
hdr, data = rows[0], rows[2:]
assert len(data) == 1, f"expected one launch, got {len(data)}"
v = {k: float(x.replace(",", "") or 0) for k, x in zip(hdr, data[0]) if k.endswith(".sum")}
print(",".join([f'"{gpu}"', d, n, h, traced] + ["%d" % v[k] for k in ("dram__bytes_read.sum", "dram__bytes_write.sum",
      "l1tex__m_xbar2l1tex_read_bytes.sum", "gpu__time_duration.sum")]))
PY
  tail -1 "$CSV"
}
for h in $HEADS; do
  profile "$h" 0
  profile "$h" 1
done
echo "== done, $fails failure(s)"
exit $((fails > 0))
