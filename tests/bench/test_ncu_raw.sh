#!/usr/bin/env bash
# kernels/bench/ncu_raw.py, ncu_aggregate.py and fabric_sums.py on ncu reports: a committed H100 report (one flash2 launch,
# analysis/measurements/l2_fabric_probe_2026-11-21) and generated ones; values, errors, exit codes.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
RAW="$PY $ROOT/kernels/bench/ncu_raw.py"
AGG="$PY $ROOT/kernels/bench/ncu_aggregate.py"
REPORT=$ROOT/analysis/measurements/l2_fabric_probe_2026-11-21/h100/flash2_B4_H16_N4096_d128.csv
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
expect() {  # description expected actual
  if [[ "$2" == "$3" ]]; then echo "ok: $1"; else echo "FAIL: $1: expected [$2], got [$3]"; fails=$((fails + 1)); fi
}
# The committed report: its README's table gives 201 MB read, 61 MB written, 205 MB over the fabric.
expect "one launch, scaled and optional metrics" "201383680,60998400,204600768,-1" \
  "$($RAW "$REPORT" dram__bytes_read.sum dram__bytes_write.sum 'lts__t_sectors_srcunit_ltcfabric.sum*32' 'no__such.sum?')"
out=$($RAW "$REPORT" no__such.sum 2>&1); rc=$?
expect "missing metric: exit 1" 1 "$rc"
expect "missing metric: one line naming it" "$REPORT: metric no__such.sum missing from the report" "$out"

# A generated report of two launches, program output and ncu messages around the CSV.
M="dram__bytes_read.sum dram__bytes_write.sum lts__t_sectors_srcunit_tex_op_read.sum lts__t_sectors_srcunit_tex_op_write.sum
lts__t_bytes.sum l1tex__m_xbar2l1tex_read_bytes.sum l1tex__m_l1tex2xbar_write_bytes.sum lrc__xbar2gpc_sectors_op_read.sum
lrc__lrc2xbar_sectors_op_read.sum gpu__time_duration.sum"
{
  echo "ok output of the profiled program"
  echo "==PROF== Connected to process 1"
  printf '"ID","Kernel Name"'; for m in $M; do printf ',"%s"' "$m"; done; echo
  printf '"","",'; for m in $M; do printf '"byte",'; done | sed 's/,$//'; echo
  i=0
  for k in gemm softmax; do
    printf '"%d","%s"' $i "$k"; for m in $M; do printf ',"1,%03d"' $((i + 1)); done; echo; i=$((i + 1))
  done
  echo "==PROF== Disconnected from process 1"
} >"$T/two.csv"
out=$($RAW "$T/two.csv" dram__bytes_read.sum 2>&1); rc=$?
expect "two launches: exit 1" 1 "$rc"
expect "two launches: one line" "$T/two.csv: expected one launch, found 2" "$out"
$AGG "$T/two.csv" "$T/launches.csv" "$T/summary.csv" 0.5 gpu=G driver=1 date=2026-11-22 kernel=standard pass=fwd \
  dtype=fp16 d=64 N=512 batch=1 heads=1 causal=false >/dev/null; rc=$?
expect "ncu_aggregate: exit 0" 0 "$rc"
expect "ncu_aggregate: one row per launch" 3 "$(wc -l <"$T/launches.csv")"
# dram read 1001 + 1002 bytes; lts__t_sectors_srcunit_tex_op_read in sectors: (1001 + 1002) x 32.
expect "ncu_aggregate: summed and scaled" "2003,64096" \
  "$($PY -c "import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(r['dram_read_bytes']+','+r['l2_read_bytes_from_sm'])" "$T/summary.csv")"
echo "no CSV here" >"$T/empty.log"
out=$($RAW "$T/empty.log" dram__bytes_read.sum 2>&1); rc=$?
expect "no report: exit 1 and one line" "1 $T/empty.log: no ncu CSV header (profiling failed?)" "$rc $out"
# fabric_sums.py: the committed fabric_bytes.csv (read by the GPU model's test) is what it gives on the committed
# reports; the flash2 row's fabric bytes are the single launch's above; a bad file name is refused.
FAB="$PY $ROOT/kernels/bench/fabric_sums.py"
FD=$ROOT/analysis/measurements/l2_fabric_probe_2026-11-21
expect "fabric_sums: the committed fabric_bytes.csv" "$(cat "$FD/fabric_bytes.csv")" "$($FAB "$FD"/h100/*.csv "$FD"/h200/*.csv)"
expect "fabric_sums: flash2's launch" "204600768" "$($FAB "$REPORT" | awk -F, 'NR == 2 { print $8 }')"
cp "$REPORT" "$T/flash2.csv"
out=$($FAB "$T/flash2.csv" 2>&1); rc=$?
expect "fabric_sums: a file name without the configuration" "1 $T/flash2.csv: not <kernel>_B<b>_H<h>_N<n>_d<d>.csv" "$rc $out"
((fails == 0)) && echo "all ncu report checks passed"
exit $((fails > 0))
