#!/usr/bin/env bash
# L2 capacity probe (issue 4): DRAM bytes of l2_capacity_probe (l2_capacity_probe.cu) over a sweep of
# working-set sizes, per mode, under ncu with the caches flushed before each launch and clocks as found
# (the settings of measure_traffic.sh). Run on the GPU machine from the repository root:
#
#   bash kernels/bench/l2_capacity_probe.sh     # MIB="8 16 ...", MODES=private,rotate,write,shared to choose
#
# Writes $OUT/l2_probe.csv (one row per launch; bytes, not sectors), $OUT/smid.txt (the SM of each thread
# block, from the first launch) and $OUT/probe.log; prints a summary per mode. MODES=mixed (alone or with the
# others) runs, per size, private read-modify-write with MIXED_PASSES passes (default 16) without and with a
# stream of STREAM_KIB KiB per group of GROUP blocks per pass (defaults 128 and 16: flash1 at d = 128 reads a
# 128 KiB K/V block per head and step, 16 splits a head) into $OUT/l2_probe_mixed.csv (the columns of
# l2_probe.csv plus stream_kib, group, stream_bytes). MODES=fill runs, per size W, write mode alone and after
# each block (groups of FILL_GROUP, default 1) has read a slice of each of FILL_KIB KiB (default "64 128 192 256
# 320 384": 8 to 50 MiB of clean data read once with 132 SMs) into $OUT/l2_probe_fill.csv (the same columns).
set -uo pipefail
OUT=${OUT:-$PWD/out-l2-capacity}
source "$(dirname "$0")/bench_env.sh"
MIB=${MIB:-"8 16 20 24 28 32 36 40 48 56 64 96"}
PASSES=${PASSES:-4}
SHARED_PASSES=${SHARED_PASSES:-2}  # shared mode: each pass reads W on every SM
MODES=${MODES:-private,rotate,write,shared}
want() { [[ ",$MODES," == *",$1,"* ]]; }
MIXED_PASSES=${MIXED_PASSES:-16}
STREAM_KIB=${STREAM_KIB:-128}
GROUP=${GROUP:-16}
FILL_KIB=${FILL_KIB:-"64 128 192 256 320 384"}
FILL_GROUP=${FILL_GROUP:-1}
bench_setup probe.log
bench_build l2_capacity_probe
BIN="$BUILD/kernels/l2_capacity_probe"
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)
DATE=$(date -u +%Y-%m-%d)
echo "== l2_capacity_probe.sh on $GPU, driver $DRIVER, $DATE; sizes (MiB): $MIB; passes: $PASSES" \
  "$(want mixed && echo "(mixed mode: $MIXED_PASSES passes, a stream of $STREAM_KIB KiB per group of $GROUP blocks)")"
M="gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,l1tex__m_xbar2l1tex_read_bytes.sum,l1tex__m_l1tex2xbar_write_bytes.sum"
ncu --query-metrics 2>/dev/null | grep -qE "^lts__t_sectors_srcunit_ltcfabric\b" && M="$M,lts__t_sectors_srcunit_ltcfabric.sum"
CSV="$OUT/l2_probe.csv"
MIXED_CSV="$OUT/l2_probe_mixed.csv"
FILL_CSV="$OUT/l2_probe_fill.csv"
echo "gpu,driver,date,mode,rmw,mib,bytes,passes,sms,dram_read_bytes,dram_write_bytes,sm_l2_read_bytes,sm_l2_write_bytes,fabric_bytes,duration_ns" >"$CSV"
STREAM_HEADER="gpu,driver,date,mode,rmw,mib,bytes,passes,sms,dram_read_bytes,dram_write_bytes,sm_l2_read_bytes,sm_l2_write_bytes,fabric_bytes,duration_ns,stream_kib,group,stream_bytes"
want mixed && echo "$STREAM_HEADER" >"$MIXED_CSV"
want fill && echo "$STREAM_HEADER" >"$FILL_CSV"
TMPD=$(mktemp -d)
fails=0
run() {  # mode rmw mib passes [stream_kib group file]: a row of $CSV, or with stream_kib (mixed and fill series) of file
  local log="$TMPD/out.txt" ok vals extra=()
  [[ -n ${5:-} && ($1 == mixed || $1 == fill) ]] && extra=(--stream-kib "$5" --group "$6")
  if ! ncu --csv --page raw --print-units base --cache-control all --clock-control none --metrics "$M" \
      --log-file "$TMPD/ncu.log" "$BIN" --mode "$1" --mib "$3" --passes "$4" --rmw "$2" "${extra[@]}" >"$log" 2>&1; then
    echo "FAILED: $*"; tail -3 "$log"; fails=$((fails + 1)); return
  fi
  [[ -s "$OUT/smid.txt" ]] || grep '^smid=' "$log" >"$OUT/smid.txt"
  ok=$(grep -m1 '^ok ' "$log")  # "ok sms=S chunk_bytes=C bytes=B passes=P"
  if ! vals=$(python3 kernels/bench/ncu_raw.py "$TMPD/ncu.log" dram__bytes_read.sum dram__bytes_write.sum \
      l1tex__m_xbar2l1tex_read_bytes.sum l1tex__m_l1tex2xbar_write_bytes.sum \
      "lts__t_sectors_srcunit_ltcfabric.sum*32?" gpu__time_duration.sum) || [[ -z $ok ]]; then
    echo "FAILED to parse: $*"; fails=$((fails + 1)); return
  fi
  local bytes=${ok#* bytes=} sms=${ok#ok sms=} stream=${ok##* stream_bytes=}
  if [[ -n ${5:-} ]]; then
    echo "\"$GPU\",$DRIVER,$DATE,$1,$2,$3,${bytes%% *},$4,${sms%% *},$vals,$5,$6,$stream" >>"$7"
  else
    echo "\"$GPU\",$DRIVER,$DATE,$1,$2,$3,${bytes%% *},$4,${sms%% *},$vals" >>"$CSV"
  fi
}
for mib in $MIB; do
  want private && run private 0 "$mib" "$PASSES" && run private 1 "$mib" "$PASSES"
  want rotate && run rotate 0 "$mib" "$PASSES" && run rotate 1 "$mib" "$PASSES"
  want write && run write 0 "$mib" 1
  want shared && run shared 0 "$mib" "$SHARED_PASSES"
  want mixed && run private 1 "$mib" "$MIXED_PASSES" 0 "$GROUP" "$MIXED_CSV" &&
    run mixed 1 "$mib" "$MIXED_PASSES" "$STREAM_KIB" "$GROUP" "$MIXED_CSV"
  if want fill; then
    run write 0 "$mib" 1 0 "$FILL_GROUP" "$FILL_CSV"
    for f in $FILL_KIB; do run fill 0 "$mib" 1 "$f" "$FILL_GROUP" "$FILL_CSV"; done
  fi
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
if want fill; then
  python3 - "$FILL_CSV" <<'PY'
import csv, sys
print(f"{'mode':6} {'MiB':>4} {'fill MiB':>8} {'DRAM read/W':>11} {'DRAM write/W':>12}")
for r in csv.DictReader(open(sys.argv[1])):
    W, S = float(r["bytes"]), float(r["stream_bytes"])
    print(f"{r['mode']:6} {r['mib']:>4} {S / 2**20:8.1f} {float(r['dram_read_bytes']) / W:11.3f} {float(r['dram_write_bytes']) / W:12.3f}")
PY
fi
if want mixed; then
  python3 - "$MIXED_CSV" <<'PY'
import csv, sys
print(f"{'mode':8} {'MiB':>4} {'stream KiB':>10} {'passes':>6} {'private re-read/W':>17} {'DRAM write/W':>12}")
for r in csv.DictReader(open(sys.argv[1])):
    W, S = float(r["bytes"]), float(r["stream_bytes"])
    rd, wr = float(r["dram_read_bytes"]), float(r["dram_write_bytes"])
    print(f"{r['mode']:8} {r['mib']:>4} {r['stream_kib']:>10} {r['passes']:>6} {(rd - W - S) / W:17.3f} {wr / W:12.3f}")
PY
fi
echo "== done, $fails failed"
[[ $fails -eq 0 ]]
