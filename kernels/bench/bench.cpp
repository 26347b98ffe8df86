// attention_bench: times standard, flash1 and flash2 with CUDA events.
//
// Shapes (FlashAttention benchmark convention): H = 16, B = 16384 / N,
// N in {512, 1024, 2048, 4096, 8192, 16384}, d in {64, 128}, causal and not.
// Q, K, V are 16384*16*d elements each (32 or 64 MiB), larger than the L2.
// Each measurement: warm-up launches, then many launches each bracketed by
// its own event pair; the median is reported.  TFLOP/s = 4*B*H*N^2*d / time,
// halved when causal.  Inputs are random (uniform in [-2, 2), rounded).
//
//   attention_bench --csv FILE [--gpu NAME] [--driver VER] [--date DATE]
//                   [--kernels standard,flash1,flash2,flash2_hopper] [--dtype fp16|bf16] [--target-ms MS]
//                   [--n-min N] [--n-max N] [--d 64|128] [--causal 0|1]
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "../checks/cuda_check.hpp"
#include "../checks/host_half.hpp"
#include "bench_options.hpp"
#include "event_timing.hpp"
#include "iolab/kernels/attention.hpp"

using namespace iolab::kernels;

int main(int argc, char** argv) {
  bench::Options opt;
  opt.csv = "bench_kernels.csv";
  std::string kernels_arg = "standard,flash1,flash2,flash2_hopper";
  if (int rc = bench::parse_options("attention_bench", argc, argv, opt, [&](const std::string& k, const std::string& v) {
        if (k != "--kernels") return false;
        kernels_arg = v;
        return true;
      }))
    return rc;
  if (int rc = bench::open_device(opt)) return rc;
  const DType dtype = opt.dtype;
  std::vector<KernelKind> kernels;
  for (std::size_t pos = 0; pos <= kernels_arg.size();) {
    const std::size_t comma = std::min(kernels_arg.find(',', pos), kernels_arg.size());
    const std::string name = kernels_arg.substr(pos, comma - pos);
    KernelKind k{};
    if (!kernel_from_name(name.c_str(), k)) {
      std::fprintf(stderr, "attention_bench: unknown kernel '%s'\n", name.c_str());
      return 2;
    }
    kernels.push_back(k);
    pos = comma + 1;
  }

  constexpr int H = bench::kHeads, total = bench::kTokens;
  const std::size_t max_elems = static_cast<std::size_t>(total) * H * 128;
  // Random inputs, generated once (every shape uses B*N = 16384, so the same buffers serve all).
  std::vector<std::uint16_t> host(max_elems);
  void *q, *k, *v, *o;
  CUDA_OK(cudaMalloc(&q, max_elems * 2));
  CUDA_OK(cudaMalloc(&k, max_elems * 2));
  CUDA_OK(cudaMalloc(&v, max_elems * 2));
  CUDA_OK(cudaMalloc(&o, max_elems * 2));
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (void* dst : {q, k, v}) {
    host::fill_uniform(host, dtype, state);
    CUDA_OK(cudaMemcpy(dst, host.data(), max_elems * 2, cudaMemcpyHostToDevice));
  }
  float* lse;
  CUDA_OK(cudaMalloc(&lse, static_cast<std::size_t>(total) * H * 4));
  std::size_t ws_bytes = 0;
  for (const bench::Shape& sh : bench::shapes(opt))
    for (KernelKind kk : kernels) {
      AttentionParams s;
      s.batch = sh.batch; s.heads = sh.heads; s.n = sh.n; s.d = sh.d;
      ws_bytes = std::max(ws_bytes, workspace_size(kk, s));
    }
  void* ws = nullptr;
  if (ws_bytes) CUDA_OK(cudaMalloc(&ws, ws_bytes));
  std::printf("attention_bench: %s, %s, workspace %.2f GB\n", opt.gpu.c_str(), dtype_name(dtype), ws_bytes / 1e9);

  bench::ResultWriter out(opt);
  if (!out.open()) return 1;
  for (const bench::Shape& sh : bench::shapes(opt)) {
    AttentionParams p;
    p.q = q; p.k = k; p.v = v; p.o = o; p.lse = lse;
    p.workspace = ws; p.workspace_bytes = ws_bytes;
    p.batch = sh.batch; p.heads = sh.heads; p.n = sh.n; p.d = sh.d;
    p.dtype = dtype; p.causal = sh.causal;
    for (KernelKind kind : kernels)
      out.row(kernel_name(kind), "fwd", sh, sh.forward_flops(),
              bench::time_launches([&] { return attention_forward(kind, p); }, opt.target_ms));
  }
  cudaFree(q); cudaFree(k); cudaFree(v); cudaFree(o); cudaFree(lse); cudaFree(ws);
  release_cached_resources();
  return 0;
}
