# Sourced by the GPU-machine scripts of kernels/bench (l2_capacity_probe.sh, cta_trace.sh,
# head_sweep.sh): CUDA's libraries on the loader path, $OUT created and the script's output also
# appended to $OUT/<log>, and a kernels-only build in $BUILD (default build-kernels-device) of the targets
# a script needs, made only when one of them is missing.
#   bench_setup LOG_NAME          after OUT is set
#   bench_build TARGET...         exits 1 with "build failed" when the build fails
#   trace_file KERNEL D N HEADS CAUSAL [BATCH]
#                                 the timeline file name cta_trace.sh and head_sweep.sh write under $OUT:
#                                 trace_[<kernel>_]d<D>_N<N>[_B<batch>]_H<heads>_c<causal>.csv (no kernel
#                                 prefix for flash2, no batch part for batch 1)
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/lib:${LD_LIBRARY_PATH:-}
BUILD=${BUILD:-build-kernels-device}

bench_setup() {
  mkdir -p "$OUT"
  exec > >(tee -a "$OUT/$1") 2>&1
}

bench_build() {
  local t missing=0
  for t in "$@"; do [[ -x "$BUILD/kernels/$t" ]] || missing=1; done
  ((missing)) || return 0
  cmake -S . -B "$BUILD" -G Ninja -DIOLAB_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$BUILD" -j "$(nproc)" --target "$@" >/dev/null || { echo "build failed"; exit 1; }
}

trace_file() {
  local kernel=$1 d=$2 n=$3 h=$4 causal=$5 b=${6:-1}
  echo "$OUT/trace_$([[ $kernel == flash2 ]] || echo "${kernel}_")d${d}_N${n}$( ((b == 1)) || echo "_B$b")_H${h}_c${causal}.csv"
}
