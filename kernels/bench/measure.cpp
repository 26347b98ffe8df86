// attention_measure: runs ONE forward configuration, for hardware-counter
// measurement (issue 4). Two modes:
//
//   attention_measure --kernel flash2 --batch B --heads H --N n --d 64 [--dtype fp16|bf16] [--causal 0|1]
//       runs one forward call on fresh random inputs (nothing else is launched
//       on the GPU except the input upload), so that `ncu` sees exactly the
//       launches of one forward pass (standard: GEMM, softmax, GEMM).
//   ... --trace FILE   (flash1, flash2, flash2_hopper)
//       runs one warm-up, writes 256 MiB (evicting the L2), then one forward call
//       that records each thread block's timeline (AttentionParams::cta_trace)
//       and writes it to FILE as CSV: block (linear index), block_x, head, batch,
//       sm, start_ns, end_ns (times from the earliest start). FILE is written
//       whole or not at all.
//   ... --time REPS
//       runs one warm-up, then REPS forward calls, each preceded by a write
//       of 256 MiB (evicting the L2) outside the timed region, each timed with
//       its own CUDA event pair; prints "median_ms=<x>".
// Exit status: 0 ok, 1 CUDA/kernel error, 2 bad arguments, 77 no GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../checks/cuda_check.hpp"
#include "../checks/host_half.hpp"
#include "iolab/kernels/attention.hpp"
#include "iolab/kernels/tiling.hpp"

using namespace iolab::kernels;

namespace {

// --trace: one forward call after a warm-up and an L2 flush, its per-block timeline written to `path`.
int write_trace(KernelKind kind, AttentionParams p, const std::string& path) {
  // The launch's grid: (Q blocks, heads, batch) for flash2 and flash2_hopper, (splits, heads, batch) for flash1.
  int device = 0, sms = 0;
  CUDA_OK(cudaGetDevice(&device));
  CUDA_OK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int d = static_cast<int>(p.d);
  const std::int64_t gx = forward_grid_x(kind, p.batch * p.heads, p.n, d, sms);
  const std::int64_t blocks = gx * p.heads * p.batch;
  std::uint64_t* dev = nullptr;
  void* flush = nullptr;
  const std::size_t flush_bytes = 256ull << 20;
  CUDA_OK(cudaMalloc(&dev, static_cast<std::size_t>(blocks) * 3 * sizeof(std::uint64_t)));
  CUDA_OK(cudaMemset(dev, 0, static_cast<std::size_t>(blocks) * 3 * sizeof(std::uint64_t)));
  CUDA_OK(cudaMalloc(&flush, flush_bytes));
  Status st = attention_forward(kind, p);  // warm-up: module load
  CUDA_OK(cudaMemset(flush, 1, flush_bytes));
  p.cta_trace = dev;
  if (st.ok) st = attention_forward(kind, p);
  if (!st.ok) {
    std::fprintf(stderr, "attention_measure: %s\n", st.message.c_str());
    return 1;
  }
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<std::uint64_t> t(static_cast<std::size_t>(blocks) * 3);
  CUDA_OK(cudaMemcpy(t.data(), dev, t.size() * sizeof(std::uint64_t), cudaMemcpyDeviceToHost));
  std::uint64_t t0 = ~0ull;
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::uint64_t* r = &t[3 * b];
    if (r[0] == 0 || r[1] < r[0]) {  // the buffer starts zeroed; %globaltimer is never 0
      std::fprintf(stderr, "attention_measure: block %lld wrote no complete timeline\n", static_cast<long long>(b));
      return 1;
    }
    t0 = std::min(t0, r[0]);
  }
  const std::string tmp = path + ".partial";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "attention_measure: cannot write %s\n", tmp.c_str());
    return 1;
  }
  std::fprintf(f, "block,block_x,head,batch,sm,start_ns,end_ns\n");
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::uint64_t* r = &t[3 * b];
    std::fprintf(f, "%lld,%lld,%lld,%lld,%llu,%llu,%llu\n", static_cast<long long>(b),
                 static_cast<long long>(b % gx), static_cast<long long>(b / gx % p.heads),
                 static_cast<long long>(b / gx / p.heads), static_cast<unsigned long long>(r[2]),
                 static_cast<unsigned long long>(r[0] - t0), static_cast<unsigned long long>(r[1] - t0));
  }
  if (std::fclose(f) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    std::fprintf(stderr, "attention_measure: cannot write %s\n", path.c_str());
    return 1;
  }
  std::printf("ok trace=%s blocks=%lld\n", path.c_str(), static_cast<long long>(blocks));
  CUDA_OK(cudaFree(dev));
  CUDA_OK(cudaFree(flush));
  release_cached_resources();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kernel = "flash2", dtype_s = "fp16", trace_path;
  long long batch = 1, heads = 1, n = 0, d = 64, causal = 0, time_reps = 0;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    char* end = nullptr;
    const long long x = std::strtoll(v.c_str(), &end, 10);
    const bool num = end && *end == '\0';
    if (k == "--kernel") kernel = v;
    else if (k == "--dtype") dtype_s = v;
    else if (k == "--batch" && num) batch = x;
    else if (k == "--heads" && num) heads = x;
    else if (k == "--N" && num) n = x;
    else if (k == "--d" && num) d = x;
    else if (k == "--causal" && num) causal = x;
    else if (k == "--time" && num) time_reps = x;
    else if (k == "--trace" && !v.empty()) trace_path = v;
    else {
      std::fprintf(stderr, "attention_measure: bad option %s %s\n", k.c_str(), v.c_str());
      return 2;
    }
  }
  KernelKind kind{};
  if (!kernel_from_name(kernel.c_str(), kind)) {
    std::fprintf(stderr, "attention_measure: unknown kernel %s\n", kernel.c_str());
    return 2;
  }
  if (dtype_s != "fp16" && dtype_s != "bf16") {
    std::fprintf(stderr, "attention_measure: dtype must be fp16 or bf16\n");
    return 2;
  }
  const DType dtype = dtype_s == "bf16" ? DType::bf16 : DType::f16;
  if (!trace_path.empty() && (kind == KernelKind::standard || time_reps > 0)) {
    std::fprintf(stderr, "attention_measure: --trace needs --kernel flash1, flash2 or flash2_hopper and no --time\n");
    return 2;
  }
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("SKIPPED: no CUDA GPU available\n");
    return 77;
  }
  AttentionParams p;
  p.batch = batch; p.heads = heads; p.n = n; p.d = d; p.dtype = dtype; p.causal = causal != 0;
  const std::size_t elems = static_cast<std::size_t>(batch * heads * n * d);
  void *q = nullptr, *k = nullptr, *v = nullptr, *o = nullptr, *ws = nullptr;
  float* lse = nullptr;
  CUDA_OK(cudaMalloc(&q, elems * 2));
  CUDA_OK(cudaMalloc(&k, elems * 2));
  CUDA_OK(cudaMalloc(&v, elems * 2));
  CUDA_OK(cudaMalloc(&o, elems * 2));
  CUDA_OK(cudaMalloc(&lse, static_cast<std::size_t>(batch * heads * n) * 4));
  std::vector<std::uint16_t> host(elems);
  std::uint64_t state = 0x243F6A8885A308D3ull ^ static_cast<std::uint64_t>(n * 131 + d);
  for (void* dst : {q, k, v}) {
    host::fill_uniform(host, dtype, state);
    CUDA_OK(cudaMemcpy(dst, host.data(), elems * 2, cudaMemcpyHostToDevice));
  }
  p.q = q; p.k = k; p.v = v; p.o = o; p.lse = lse;
  p.workspace_bytes = workspace_size(kind, p);
  if (p.workspace_bytes) CUDA_OK(cudaMalloc(&ws, p.workspace_bytes));
  p.workspace = ws;
  CUDA_OK(cudaDeviceSynchronize());

  if (!trace_path.empty()) return write_trace(kind, p, trace_path);
  if (time_reps <= 0) {
    const Status st = attention_forward(kind, p);
    if (!st.ok) {
      std::fprintf(stderr, "attention_measure: %s\n", st.message.c_str());
      return 1;
    }
    CUDA_OK(cudaDeviceSynchronize());
    CUDA_OK(cudaGetLastError());
    std::printf("ok\n");
    release_cached_resources();
    return 0;
  }
  void* flush = nullptr;
  const std::size_t flush_bytes = 256ull << 20;
  CUDA_OK(cudaMalloc(&flush, flush_bytes));
  Status st = attention_forward(kind, p);  // warm-up: module load, cuBLAS handle
  if (!st.ok) {
    std::fprintf(stderr, "attention_measure: %s\n", st.message.c_str());
    return 1;
  }
  cudaEvent_t e0, e1;
  CUDA_OK(cudaEventCreate(&e0));
  CUDA_OK(cudaEventCreate(&e1));
  std::vector<float> ms;
  for (long long r = 0; r < time_reps; ++r) {
    CUDA_OK(cudaMemsetAsync(flush, static_cast<int>(r & 0xff), flush_bytes));
    CUDA_OK(cudaEventRecord(e0));
    st = attention_forward(kind, p);
    CUDA_OK(cudaEventRecord(e1));
    CUDA_OK(cudaEventSynchronize(e1));
    if (!st.ok) return 1;
    float x = 0;
    CUDA_OK(cudaEventElapsedTime(&x, e0, e1));
    ms.push_back(x);
  }
  CUDA_OK(cudaGetLastError());
  std::sort(ms.begin(), ms.end());
  const double med = ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
  std::printf("median_ms=%.6f min_ms=%.6f reps=%zu\n", med, static_cast<double>(ms.front()), ms.size());
  release_cached_resources();
  return 0;
}
