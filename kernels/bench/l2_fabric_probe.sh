#!/usr/bin/env bash
# L2 partition probe: per forward call, how many L2 sectors an SM's requests find in its near L2
# partition, and how many travel over the fabric between the two partitions (Hopper's
# lts__t_sectors_srcunit_ltcfabric), with hits and misses. Evidence for the GPU model's L2 (issue 4:
# which data the two partitions duplicate).  Run on the GPU machine from the repository root:
#
#   bash kernels/bench/l2_fabric_probe.sh      # the five configurations below
#
# Writes $OUT/<kernel>_B<b>_H<h>_N<n>_d<d>.csv (ncu --page raw, one row per launch; sector counts are
# 32-byte sectors) and $OUT/metrics_all.txt (ncu --query-metrics of this GPU); prints a summary.
# Same ncu settings as measure_traffic.sh: caches flushed before each launch, clocks as found.
set -uo pipefail
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/lib:${LD_LIBRARY_PATH:-}
OUT=${OUT:-$PWD/out-l2-probe}
BUILD=${BUILD:-build-kernels-device}
mkdir -p "$OUT"
if [[ ! -x "$BUILD/kernels/attention_measure" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DIOLAB_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$BUILD" -j "$(nproc)" --target attention_measure >/dev/null || { echo "build failed"; exit 1; }
fi
ncu --query-metrics >"$OUT/metrics_all.txt" 2>&1
M="gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,l1tex__m_xbar2l1tex_read_bytes.sum"
for m in lts__t_sectors_srcunit_ltcfabric lts__t_sectors_srcunit_ltcfabric_lookup_hit \
         lts__t_sectors_srcunit_ltcfabric_lookup_miss lts__t_sectors_srcunit_tex_lookup_hit \
         lts__t_sectors_srcunit_tex_lookup_miss lts__t_sectors_srcunit_tex_op_read_lookup_hit \
         lts__t_sectors_srcunit_tex_op_read_lookup_miss lts__t_sectors_lookup_hit lts__t_sectors_lookup_miss; do
  grep -qE "^$m\b" "$OUT/metrics_all.txt" && M="$M,$m.sum"
done
echo "metrics: $M"
probe() {  # kernel batch heads N d
  local f="$OUT/${1}_B${2}_H${3}_N${4}_d${5}.csv"
  ncu --csv --page raw --print-units base --cache-control all --clock-control none --metrics "$M" \
    "$BUILD/kernels/attention_measure" --kernel "$1" --batch "$2" --heads "$3" --N "$4" --d "$5" 2>/dev/null |
    grep -v '^==' >"$f"
  python3 - "$f" <<'PY'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
hdr, data = rows[0], rows[2:]
tot = {}
for r in data:
    for h, v in zip(hdr, r):
        if h.endswith(".sum") and (h.startswith("lts__") or h.startswith("dram__") or h.startswith("l1tex__m")):
            tot[h] = tot.get(h, 0) + float(v.replace(",", "") or 0)
mb = lambda h: tot.get(h, 0) * (32 if h.startswith("lts__t_sectors") else 1) / 1e6
print(f"{sys.argv[1].rsplit('/', 1)[-1]:32s} SM<-L2 {mb('l1tex__m_xbar2l1tex_read_bytes.sum'):9.1f} MB | fabric "
      f"{mb('lts__t_sectors_srcunit_ltcfabric.sum'):8.1f} MB (hit {mb('lts__t_sectors_srcunit_ltcfabric_lookup_hit.sum'):8.1f})"
      f" | DRAM r/w {mb('dram__bytes_read.sum'):8.1f}/{mb('dram__bytes_write.sum'):8.1f} MB")
PY
}
probe flash1 4 16 4096 128
probe flash1 8 16 2048 64
probe flash1 1 8 4096 128
probe flash2 4 16 4096 128
probe standard 2 16 8192 64
