#!/usr/bin/env bash
# README command 2: set up, build, and run every test:
#   1. the sanitizer build (AddressSanitizer + UBSan) of the simulator, analysis
#      and CLI tests (no CUDA, no benchmarks);
#   2. the Release build with everything, CUDA kernels included when nvcc is
#      present (GPU checks report as skipped without a GPU), and its full CTest
#      run, which ends with CTest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs="$(nproc)"

echo "== sanitizer build (ASan + UBSan) =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOLAB_SANITIZE=ON \
      -DIOLAB_WITH_CUDA=OFF -DIOLAB_BENCHMARKS=OFF >/dev/null
cmake --build build-asan --parallel "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --parallel "$jobs" --timeout 600 > build-asan/ctest.log 2>&1 \
  || { cat build-asan/ctest.log; echo "sanitizer tests failed" >&2; exit 1; }
tail -n 3 build-asan/ctest.log

echo "== release build and all tests =="
bash scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$jobs" --timeout 900
