#!/usr/bin/env bash
# Hardware-counter measurement of the project's kernels on the lent GPU
# (issue 4), run from the repository root through the device tool:
#
#   bash kernels/bench/measure_traffic.sh          # BUDGET_S=420 by default
#   KERNELS=flash1 bash kernels/bench/measure_traffic.sh   # only these kernels
#
# KERNELS: comma-separated subset of the kernels in the grid below (standard,
# flash1, flash2, flash2_hopper; default all); an unknown name is an error (exit 2).
# For each configuration of the grid below: a CUDA-event timing (median of 9
# launches, L2 evicted before each) and one `ncu` profile of one forward call
# with all caches flushed (--cache-control all) and clocks left alone
# (--clock-control none). Writes under $OUT:
#   measured_traffic.csv  one row per configuration (metrics summed over its launches)
#   ncu_launches.csv      one row per kernel launch
#   measure.log
# Configurations not reached within BUDGET_S seconds are listed as not run.
set -uo pipefail
OUT=${OUT:-$PWD/out-measure}
mkdir -p "$OUT"
BUILD=${BUILD:-build-kernels-device}
BUDGET_S=${BUDGET_S:-420}
KERNELS=${KERNELS:-standard,flash1,flash2,flash2_hopper}
declare -A WANT=()
for k in ${KERNELS//,/ }; do
  case "$k" in
    standard | flash1 | flash2 | flash2_hopper) WANT[$k]=1 ;;
    *) echo "measure_traffic.sh: unknown kernel '$k' in KERNELS (known: standard, flash1, flash2, flash2_hopper)" >&2; exit 2 ;;
  esac
done
if ((${#WANT[@]} == 0)); then echo "measure_traffic.sh: KERNELS names no kernel" >&2; exit 2; fi
exec > >(tee -a "$OUT/measure.log") 2>&1

GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)
DATE=$(date -u +%Y-%m-%d)
echo "== measure_traffic.sh on $GPU, driver $DRIVER, $DATE"
ncu --version | tail -1

if [[ ! -x "$BUILD/kernels/attention_measure" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DIOLAB_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
    cmake --build "$BUILD" -j "$(nproc)" --target attention_measure >>"$OUT/build.log" 2>&1 ||
    { tail -30 "$OUT/build.log"; echo "build failed"; exit 1; }
fi
BIN="$BUILD/kernels/attention_measure"
METRICS=gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sectors_srcunit_tex_op_read.sum,lts__t_sectors_srcunit_tex_op_write.sum,lts__t_bytes.sum,l1tex__m_xbar2l1tex_read_bytes.sum,l1tex__m_l1tex2xbar_write_bytes.sum,lrc__xbar2gpc_sectors_op_read.sum,lrc__lrc2xbar_sectors_op_read.sum

# kernel d N batch heads causal. Q, K and V are batch*heads*N*d*2 bytes each:
# some configurations fit the L2 together, some overflow it.
CONFIGS=()
for d in 64 128; do
  for shape in "512 4 16" "1024 1 16" "2048 8 16" "4096 1 8" "4096 4 16" "8192 2 16" "16384 1 4" "16384 1 16" \
               "32768 1 2" "65536 1 1" "65536 1 4"; do
    for causal in 0 1; do CONFIGS+=("flash2 $d $shape $causal"); done
  done
done
for d in 64 128; do
  for shape in "512 4 16" "1024 1 16" "2048 8 16" "4096 1 8" "4096 4 16" "8192 2 16" "16384 1 4"; do
    for causal in 0 1; do CONFIGS+=("standard $d $shape $causal"); done
  done
done
for d in 64 128; do
  for shape in "512 4 16" "1024 1 16" "2048 8 16" "4096 1 8" "4096 4 16"; do
    for causal in 0 1; do CONFIGS+=("flash1 $d $shape $causal"); done
  done
done
for d in 64 128; do
  for shape in "512 4 16" "2048 8 16" "4096 1 8" "8192 2 16" "16384 1 16" "65536 1 1"; do
    for causal in 0 1; do CONFIGS+=("flash2_hopper $d $shape $causal"); done
  done
done

SELECTED=()
for cfg in "${CONFIGS[@]}"; do [[ -n "${WANT[${cfg%% *}]:-}" ]] && SELECTED+=("$cfg"); done
CONFIGS=("${SELECTED[@]}")
echo "== kernels: $KERNELS (${#CONFIGS[@]} configurations)"

rm -f "$OUT/measured_traffic.csv" "$OUT/ncu_launches.csv"
TMPD=$(mktemp -d)
done_n=0; fail_n=0; skipped=()
for cfg in "${CONFIGS[@]}"; do
  read -r kernel d N B H causal <<<"$cfg"
  if (( SECONDS > BUDGET_S )); then skipped+=("$cfg"); continue; fi
  args=(--kernel "$kernel" --batch "$B" --heads "$H" --N "$N" --d "$d" --dtype fp16 --causal "$causal")
  t=$("$BIN" "${args[@]}" --time 9 2>&1 | sed -n 's/^median_ms=\([0-9.]*\).*/\1/p')
  if [[ -z "$t" ]]; then echo "!! timing failed: $cfg"; fail_n=$((fail_n + 1)); continue; fi
  raw="$TMPD/ncu.csv"
  if ! ncu --csv --page raw --print-units base --cache-control all --clock-control none --metrics "$METRICS" \
        "$BIN" "${args[@]}" >"$raw" 2>"$TMPD/ncu.err"; then
    echo "!! ncu failed: $cfg"; tail -5 "$TMPD/ncu.err"; fail_n=$((fail_n + 1)); continue
  fi
  c=$([[ $causal == 1 ]] && echo true || echo false)
  if python3 kernels/bench/ncu_aggregate.py "$raw" "$OUT/ncu_launches.csv" "$OUT/measured_traffic.csv" "$t" \
       gpu="$GPU" driver="$DRIVER" date="$DATE" kernel="$kernel" pass=fwd dtype=fp16 d="$d" N="$N" batch="$B" \
       heads="$H" causal="$c"; then
    done_n=$((done_n + 1))
  else
    fail_n=$((fail_n + 1))
  fi
done
echo "== measured $done_n configurations, $fail_n failed, ${#skipped[@]} not run (time budget ${BUDGET_S}s) in ${SECONDS}s"
for s in "${skipped[@]}"; do echo "   not run: $s"; done
