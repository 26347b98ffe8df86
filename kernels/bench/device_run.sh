#!/usr/bin/env bash
# One script for the GPU machine, run from the repository root:
#
#   bash kernels/bench/device_run.sh            # all stages
#   STAGES="build verify" bash kernels/bench/device_run.sh
#
# Stages: build (CMake + Ninja, KERNELS_ONLY, ptxas report), verify (CPU
# validation tests, ctest, attention_verify --full, attention_verify_backward
# --full), sanitize (memcheck, racecheck, synccheck, initcheck on
# attention_verify --small and attention_verify_backward --small), bench
# (attention_bench forward, attention_bench_backward bwd and fwdbwd, PyTorch
# SDPA flash/cuDNN fwd, bwd and fwdbwd on the same shapes, merged CSV and one
# Markdown table per pass, gemm_peak's cuBLAS ceiling for the fraction-of-peak
# lines), sass (HGMMA/HMMA/MUFU/LDL/STL counts per kernel from cuobjdump).
# Everything goes under $OUT (default ./out-kernels):
#   run.log  build.log  verify.txt  verify_backward.txt  sanitize.txt  bench.csv  table.md
#   gemm_peak.csv  sass_summary.txt
# The table is printed last.
set -uo pipefail

OUT=${OUT:-$PWD/out-kernels}
mkdir -p "$OUT"
STAGES=${STAGES:-"build verify sanitize bench sass"}
BUILD=${BUILD:-build-kernels-device}
JOBS=${JOBS:-$(nproc)}
TMPD=$(mktemp -d)
exec > >(tee -a "$OUT/run.log") 2>&1

has() { [[ " $STAGES " == *" $1 "* ]]; }
overall=0
note_fail() { echo "!! $*"; overall=1; }

DATE=$(date -u +%Y-%m-%d)
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
echo "== device_run.sh $(date -u '+%Y-%m-%dT%H:%M:%SZ') stages: $STAGES"
echo "== GPU: ${GPU:-none}  driver: ${DRIVER:-none}"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.limit --format=csv 2>/dev/null
nvcc --version 2>/dev/null | tail -2
cmake --version | head -1
git log -1 --format='== commit %H %s' 2>/dev/null || true

# BUILD may name a build made on another machine with the same nvcc and carried
# here (then leave "build" out of STAGES; the ptxas report is in its build.log).
if has build; then
  echo "== build"
  SECONDS=0
  if cmake -S . -B "$BUILD" -G Ninja -DIOLAB_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
       -DIOLAB_KERNELS_PTXAS_VERBOSE=ON >"$OUT/build.log" 2>&1 &&
     cmake --build "$BUILD" -j "$JOBS" >>"$OUT/build.log" 2>&1; then
    echo "build ok (${SECONDS}s)"
    # Resource report of the main kernels for sm_90a.
    awk '/Compiling entry function/ && /sm_90a/ { match($0, /(flash[12]_fwd_kernel|flash2_hopper_fwd_kernel|flash2_bwd_kv_kernel|flash2_bwd_dq_kernel|row_softmax_kernel)I[^E]*E/);
           name = substr($0, RSTART, RLENGTH); want = 1; next }
         want && /spill/ { spill = $0 }
         want && /Used/ { sub(/^ptxas info *: */, ""); sub(/^ */, "", spill); print "  " name ": " $0 " | " spill; want = 0 }' \
      "$OUT/build.log" || true
  else
    note_fail "build failed"; tail -40 "$OUT/build.log"; exit 1
  fi
fi

if has verify; then
  echo "== verify"
  SECONDS=0
  # The CPU-only validation tests and the small GPU checks, run directly (not
  # through ctest) so that a build made elsewhere and carried here also works.
  for t in kernels_validate_cpu kernels_validate_backward_cpu; do
    "$BUILD/kernels/$t" >"$TMPD/$t.txt" 2>&1 && echo "$t: passed" || { note_fail "$t failed"; tail -20 "$TMPD/$t.txt"; }
  done
  timeout 400 "$BUILD/kernels/attention_verify" --full >"$OUT/verify.txt" 2>&1
  rc=$?
  grep -E "^(FAIL|device)" "$OUT/verify.txt" | head -40
  echo "verify: rc=$rc, $(grep -c '^PASS' "$OUT/verify.txt") PASS lines, $(grep -c '^FAIL' "$OUT/verify.txt") FAIL lines (${SECONDS}s)"
  tail -1 "$OUT/verify.txt"
  # Largest errors seen per kernel (relative L2 / max abs), for the report.
  for k in standard flash1 flash2 flash2_hopper; do
    awk -v k="$k" '($1=="PASS"||$1=="FAIL") && $9=="|" { if ($2==k) { r=$11; a=$17; if (r+0>mr) mr=r+0; if (a+0>ma) ma=a+0; n++ } }
      END { if (n) printf "  %-13s cases %d  worst rel_l2 %.3e  worst max_abs %.3e\n", k, n, mr, ma }' "$OUT/verify.txt"
  done
  [[ $rc -eq 0 ]] || note_fail "attention_verify --full rc=$rc"
  SECONDS=0
  timeout 300 "$BUILD/kernels/attention_verify_backward" --full >"$OUT/verify_backward.txt" 2>&1
  rc=$?
  grep -E "^(FAIL|device)" "$OUT/verify_backward.txt" | head -40
  echo "verify_backward: rc=$rc, $(grep -c '^PASS' "$OUT/verify_backward.txt") PASS lines, $(grep -c '^FAIL' "$OUT/verify_backward.txt") FAIL lines (${SECONDS}s)"
  tail -1 "$OUT/verify_backward.txt"
  # Largest kernel error relative to its tolerance (2 * plain + 1e-3), per mode and gradient.
  python3 - "$OUT/verify_backward.txt" <<'PY' || true
import re, sys
worst = {}
for line in open(sys.argv[1]):
    if not line.startswith(("PASS flash2_bwd", "FAIL flash2_bwd")) or "rel_l2" not in line:
        continue
    mode = line.split()[2]
    for g, r, rp, a, ap in re.findall(r"(d[QKV]) rel_l2 (\S+) \(plain (\S+)\) max_abs (\S+) \(plain (\S+)\)", line):
        for kind, e, p in (("rel_l2", r, rp), ("max_abs", a, ap)):
            q = float(e) / (2 * float(p) + 1e-3)
            key = (mode, g, kind)
            worst[key] = max(worst.get(key, 0.0), q)
for (mode, g, kind), q in sorted(worst.items()):
    print(f"  {mode:13s} {g} {kind:7s} worst error / tolerance {q:.3f}")
PY
  [[ $rc -eq 0 ]] || note_fail "attention_verify_backward --full rc=$rc"
  # Regression seeds (see kernels/CMakeLists.txt: kernels_verify_backward_seed_*).
  for seed in 1279148540 601959514; do
    "$BUILD/kernels/attention_verify_backward" --small --seed "$seed" >"$TMPD/seed_$seed.txt" 2>&1 &&
      echo "verify_backward --small --seed $seed: passed" ||
      { note_fail "verify_backward --small --seed $seed failed"; grep "^FAIL" "$TMPD/seed_$seed.txt" | head; }
  done
fi

if has sanitize; then
  echo "== sanitize"
  : >"$OUT/sanitize.txt"
  for prog in attention_verify attention_verify_backward; do
    for tool in memcheck racecheck synccheck initcheck; do
      SECONDS=0
      extra=""
      [[ $tool == memcheck ]] && extra="--leak-check full"
      timeout 240 compute-sanitizer --tool "$tool" $extra --error-exitcode 86 \
        "$BUILD/kernels/$prog" --small >"$TMPD/$prog.$tool.txt" 2>&1
      rc=$?
      summary=$(grep -E "ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY" "$TMPD/$prog.$tool.txt" | tr '\n' ' ')
      checks=$(tail -1 "$TMPD/$prog.$tool.txt")
      echo "$prog $tool: rc=$rc ${summary} | ${checks} (${SECONDS}s)"
      { echo "===== $prog $tool (rc=$rc)"; cat "$TMPD/$prog.$tool.txt"; } >>"$OUT/sanitize.txt"
      [[ $rc -eq 0 ]] || { note_fail "$prog $tool rc=$rc"; grep -m 20 -E "=========" "$TMPD/$prog.$tool.txt"; }
    done
  done
fi

if has bench; then
  echo "== bench"
  SECONDS=0
  CMD="bash kernels/bench/device_run.sh (attention_bench + attention_bench_backward + torch_sdpa_bench.py --passes fwd,bwd,fwdbwd, --dtype fp16 and bf16)"
  for dt in ${BENCH_DTYPES:-fp16 bf16}; do
    timeout 60 "$BUILD/kernels/gemm_peak" --csv "$TMPD/gemm_peak_$dt.csv" --gpu "$GPU" --date "$DATE" --dtype "$dt" ||
      note_fail "gemm_peak $dt rc=$?"
    timeout 200 "$BUILD/kernels/attention_bench" --csv "$TMPD/bench_kernels_$dt.csv" --gpu "$GPU" \
      --driver "$DRIVER" --date "$DATE" --dtype "$dt" --target-ms "${TARGET_MS:-300}" || note_fail "attention_bench $dt rc=$?"
    echo "kernels timed, $dt (${SECONDS}s)"
    timeout 200 "$BUILD/kernels/attention_bench_backward" --csv "$TMPD/bench_backward_$dt.csv" --gpu "$GPU" \
      --driver "$DRIVER" --date "$DATE" --dtype "$dt" --target-ms "${TARGET_MS:-300}" \
      --deterministic "${BENCH_DETERMINISTIC:-1}" || note_fail "attention_bench_backward $dt rc=$?"
    echo "backward timed, $dt (${SECONDS}s)"
    PYTHONUNBUFFERED=1 timeout 300 python3 kernels/bench/torch_sdpa_bench.py --csv "$TMPD/bench_torch_$dt.csv" \
      --gpu "$GPU" --driver "$DRIVER" --date "$DATE" --dtype "$dt" --target-ms "${TARGET_MS:-300}" \
      --passes "${TORCH_PASSES:-fwd,bwd,fwdbwd}" ||
      note_fail "torch bench $dt rc=$?"
    echo "torch timed, $dt (${SECONDS}s)"
  done
  cat "$TMPD"/gemm_peak_*.csv | awk 'NR == 1 || !/^gpu,/' >"$OUT/gemm_peak.csv"
  python3 kernels/bench/make_table.py --out-csv "$OUT/bench.csv" --out-md "$OUT/table.md" --command "$CMD" \
    --peak "$OUT/gemm_peak.csv" \
    "$TMPD"/bench_kernels_*.csv "$TMPD"/bench_backward_*.csv "$TMPD"/bench_torch_*.csv >/dev/null ||
    note_fail "make_table failed"
  echo "== summary: $([[ $overall -eq 0 ]] && echo 'all stages passed' || echo 'FAILURES above')"
  cat "$OUT/table.md"
fi
if has sass; then
  # Matrix instructions per kernel in the SASS of the sm_90a build (HGMMA = wgmma,
  # HMMA = mma.sync), plus local-memory traffic (LDL/STL: spills or indexed arrays).
  echo "== sass"
  # attention_bench links the forward kernels, attention_bench_backward the
  # backward ones (and the forward again: counted per program, then deduplicated).
  for prog in attention_bench attention_bench_backward; do
    cuobjdump -sass -arch sm_90a "$BUILD/kernels/$prog" 2>/dev/null | awk '
    /Function :/ { fn = $3; next }
    fn != "" { for (i = 1; i <= NF; ++i) { op = $i; sub(/\..*/, "", op); sub(/;$/, "", op)
                 if (op == "HGMMA" || op == "HMMA" || op == "LDL" || op == "STL" || op == "MUFU") cnt[fn, op]++ } }
    END { for (k in cnt) { split(k, a, SUBSEP); printf "%s %s %d\n", a[1], a[2], cnt[k] } }'
  done | { command -v c++filt >/dev/null && c++filt || cat; } |
    sed -e 's/iolab::kernels::detail:://g' -e 's/(anonymous namespace):://g' -e 's/([^)]*)//' |
    sort -u >"$OUT/sass_summary.txt" || true
  grep -E "flash|bwd|softmax" "$OUT/sass_summary.txt" | head -80
fi
echo "== done, overall=$overall"
rm -rf "$TMPD"
# PACK_LOGS=1: fold the long logs into one archive (the device tool returns at
# most 8 files); run.log, table.md, bench.csv and gemm_peak.csv stay as they are.
if [[ ${PACK_LOGS:-0} == 1 ]]; then
  (cd "$OUT" && logs=$(ls build.log verify.txt verify_backward.txt sanitize.txt sass_summary.txt 2>/dev/null) &&
    [[ -n "$logs" ]] && tar czf logs.tar.gz $logs && rm -f $logs)
fi
exit $overall
