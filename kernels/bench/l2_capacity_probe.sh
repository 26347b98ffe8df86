#!/usr/bin/env bash
# L2 capacity probe (issue 4): DRAM bytes of l2_capacity_probe (l2_capacity_probe.cu) over a sweep of
# working-set sizes, per mode, under ncu with the caches flushed before each launch and clocks as found
# (the settings of measure_traffic.sh). Run on the GPU machine from the repository root:
#
#   bash kernels/bench/l2_capacity_probe.sh     # MIB="8 16 ...", MODES=private,rotate,write,shared to choose
#
# Writes $OUT/l2_probe.csv (one row per launch; bytes, not sectors), $OUT/smid.txt (the SM of each thread
# block, from the first launch) and $OUT/probe.log; prints a summary per mode.
set -uo pipefail
OUT=${OUT:-$PWD/out-l2-capacity}
source "$(dirname "$0")/bench_env.sh"
MIB=${MIB:-"8 16 20 24 28 32 36 40 48 56 64 96"}
PASSES=${PASSES:-4}
SHARED_PASSES=${SHARED_PASSES:-2}  # shared mode: each pass reads W on every SM
MODES=${MODES:-private,rotate,write,shared}
bench_setup probe.log
bench_build l2_capacity_probe
BIN="$BUILD/kernels/l2_capacity_probe"
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)
DATE=$(date -u +%Y-%m-%d)
echo "== l2_capacity_probe.sh on $GPU, driver $DRIVER, $DATE; sizes (MiB): $MIB; passes: $PASSES"
M="gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,l1tex__m_xbar2l1tex_read_bytes.sum,l1tex__m_l1tex2xbar_write_bytes.sum"
ncu --query-metrics 2>/dev/null | grep -qE "^lts__t_sectors_srcunit_ltcfabric\b" && M="$M,lts__t_sectors_srcunit_ltcfabric.sum"
CSV="$OUT/l2_probe.csv"
echo "gpu,driver,date,mode,rmw,mib,bytes,passes,sms,dram_read_bytes,dram_write_bytes,sm_l2_read_bytes,sm_l2_write_bytes,fabric_bytes,duration_ns" >"$CSV"
TMPD=$(mktemp -d)
fails=0
run() {  # mode rmw mib passes
  local log="$TMPD/out.txt" ok vals
  if ! ncu --csv --page raw --print-units base --cache-control all --clock-control none --metrics "$M" \
      --log-file "$TMPD/ncu.log" "$BIN" --mode "$1" --mib "$3" --passes "$4" --rmw "$2" >"$log" 2>&1; then
    echo "FAILED: $*"; tail -3 "$log"; fails=$((fails + 1)); return
  fi
  [[ -s "$OUT/smid.txt" ]] || grep '^smid=' "$log" >"$OUT/smid.txt"
  ok=$(grep -m1 '^ok ' "$log")  # "ok sms=S chunk_bytes=C bytes=B passes=P"
  if ! vals=$(python3 kernels/bench/ncu_raw.py "$TMPD/ncu.log" dram__bytes_read.sum dram__bytes_write.sum \
      l1tex__m_xbar2l1tex_read_bytes.sum l1tex__m_l1tex2xbar_write_bytes.sum \
      "lts__t_sectors_srcunit_ltcfabric.sum*32?" gpu__time_duration.sum) || [[ -z $ok ]]; then
    echo "FAILED to parse: $*"; fails=$((fails + 1)); return
  fi
  local bytes=${ok#* bytes=} sms=${ok#ok sms=}
  echo "\"$GPU\",$DRIVER,$DATE,$1,$2,$3,${bytes%% *},$4,${sms%% *},$vals" >>"$CSV"
}
want() { [[ ",$MODES," == *",$1,"* ]]; }
for mib in $MIB; do
  want private && run private 0 "$mib" "$PASSES" && run private 1 "$mib" "$PASSES"
  want rotate && run rotate 0 "$mib" "$PASSES" && run rotate 1 "$mib" "$PASSES"
  want write && run write 0 "$mib" 1
  want shared && run shared 0 "$mib" "$SHARED_PASSES"
done
rm -rf "$TMPD"
python3 - "$CSV" <<'PY'
import csv, sys
print(f"{'mode':8} {'rmw':>3} {'MiB':>4} {'DRAM read/W':>12} {'re-read/use':>12} {'DRAM write/W':>12} {'fabric/SM':>9}")
for r in csv.DictReader(open(sys.argv[1])):
    W, P = float(r["bytes"]), int(r["passes"])
    rd, wr = float(r["dram_read_bytes"]), float(r["dram_write_bytes"])
    sm = float(r["sm_l2_read_bytes"]) + float(r["sm_l2_write_bytes"])
    walks = P * (int(r["sms"]) if r["mode"] == "shared" else 1)  # reads of each line
    reread = (rd - W) / (W * (walks - 1)) if walks > 1 else float("nan")
    fab = float(r["fabric_bytes"]) / sm if sm > 0 and float(r["fabric_bytes"]) >= 0 else float("nan")
    print(f"{r['mode']:8} {r['rmw']:>3} {r['mib']:>4} {rd / W:12.3f} {reread:12.3f} {wr / W:12.3f} {fab:9.3f}")
PY
echo "== done, $fails failed"
[[ $fails -eq 0 ]]
