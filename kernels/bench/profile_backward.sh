#!/usr/bin/env bash
# Nsight Compute profile of the backward's main kernel (flash2_bwd_kv_kernel, atomic dQ) on one
# benchmark shape, for "where the time goes".  Run on the GPU machine from the repository root:
#
#   bash kernels/bench/profile_backward.sh                  # d = 128, N = 16384, B = 1, H = 16, fp16
#   D=64 N=4096 CAUSAL=1 bash kernels/bench/profile_backward.sh
#
# Writes under $OUT (default ./out-profile): <tag>.ncu-rep (open with ncu-ui), <tag>_details.txt
# (ncu --page details: speed of light, memory workload, warp stall reasons, ...), <tag>_raw.csv
# (every metric), and prints the headline lines.  The kernel's 4th launch is profiled (after the
# benchmark's warm-up), with ncu's defaults: caches flushed, clocks locked to base.
set -euo pipefail
OUT=${OUT:-$PWD/out-profile}
BUILD=${BUILD:-build-kernels-device}
D=${D:-128}
N=${N:-16384}
CAUSAL=${CAUSAL:-0}
DTYPE=${DTYPE:-fp16}
mkdir -p "$OUT"
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
tag=bwd_kv_$(echo "$gpu" | tr -c 'A-Za-z0-9\n' '_' | tr -s '_')_d${D}_N${N}_causal${CAUSAL}_${DTYPE}
if [[ ! -x "$BUILD/kernels/attention_bench_backward" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DIOLAB_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j "$(nproc)" --target attention_bench_backward >/dev/null
fi
skip=3  # the 4th launch: after the benchmark's warm-up
echo "== profile_backward.sh on $gpu: d=$D N=$N causal=$CAUSAL $DTYPE (launch-skip $skip)"
ncu --set full -k regex:flash2_bwd_kv_kernel --launch-skip "$skip" -c 1 -f -o "$OUT/$tag" \
  "$BUILD/kernels/attention_bench_backward" --csv /dev/null --dtype "$DTYPE" --d "$D" --n-min "$N" --n-max "$N" \
  --causal "$CAUSAL" --target-ms 1 --passes bwd --deterministic 0 >"$OUT/${tag}_bench.txt" 2>&1
ncu --import "$OUT/$tag.ncu-rep" --page details >"$OUT/${tag}_details.txt"
ncu --import "$OUT/$tag.ncu-rep" --page raw --csv >"$OUT/${tag}_raw.csv"
grep -E "Duration|Compute \(SM\) Throughput|Memory Throughput|DRAM Throughput|L1/TEX Hit Rate|L2 Hit Rate|Registers Per|Achieved Occupancy|Warp Cycles Per Issued|Issue Slots Busy|Executed Ipc Active" \
  "$OUT/${tag}_details.txt" | sed 's/^ *//' | head -30
