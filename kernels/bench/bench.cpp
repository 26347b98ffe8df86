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
//                   [--n-min N] [--n-max N] [--d 64|128]
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
using iolab::kernels::bench::csv_escape;
using iolab::kernels::bench::Timing;

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
  const std::string &csv_path = opt.csv, &gpu = opt.gpu, &driver = opt.driver, &date = opt.date;
  const DType dtype = opt.dtype;
  const double target_ms = opt.target_ms;
  const int n_max = opt.n_max;
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

  const int H = 16, total = 16384;
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
    for (auto& h : host) {
      state ^= state << 13; state ^= state >> 7; state ^= state << 17;
      const float u = static_cast<float>(state >> 40) * (1.0f / 16777216.0f);  // [0, 1)
      h = host::to_bits(4.0f * u - 2.0f, dtype);
    }
    CUDA_OK(cudaMemcpy(dst, host.data(), max_elems * 2, cudaMemcpyHostToDevice));
  }
  float* lse;
  CUDA_OK(cudaMalloc(&lse, static_cast<std::size_t>(total) * H * 4));
  std::size_t ws_bytes = 0;
  for (int n = 512; n <= n_max; n *= 2)
    for (KernelKind kk : kernels) {
      AttentionParams s;
      s.batch = total / n; s.heads = H; s.n = n; s.d = 128;
      ws_bytes = std::max(ws_bytes, workspace_size(kk, s));
    }
  void* ws = nullptr;
  if (ws_bytes) CUDA_OK(cudaMalloc(&ws, ws_bytes));
  std::printf("attention_bench: %s, %s, workspace %.2f GB\n", gpu.c_str(), dtype_name(dtype), ws_bytes / 1e9);

  FILE* csv = std::fopen(csv_path.c_str(), "w");
  if (!csv) {
    std::perror(csv_path.c_str());
    return 1;
  }
  std::fprintf(csv, "gpu,date,driver,kernel,pass,dtype,d,N,batch,heads,causal,ms,tflops,min_ms,reps,status\n");
  std::printf("%-9s %-5s %4s %6s %5s %6s %10s %9s\n", "kernel", "dtype", "d", "N", "B", "causal", "ms", "TFLOP/s");
  for (int d : {64, 128})
    for (bool causal : {false, true})
      for (int n = opt.n_min; n <= n_max && opt.wants_d(d); n *= 2) {
        const int B = total / n;
        AttentionParams p;
        p.q = q; p.k = k; p.v = v; p.o = o; p.lse = lse;
        p.workspace = ws; p.workspace_bytes = ws_bytes;
        p.batch = B; p.heads = H; p.n = n; p.d = d;
        p.dtype = dtype; p.causal = causal;
        const double flops = 4.0 * B * H * double(n) * n * d * (causal ? 0.5 : 1.0);
        for (KernelKind kind : kernels) {
          const Timing t = bench::time_launches([&] { return attention_forward(kind, p); }, target_ms);
          const double tflops = t.median_ms > 0 ? flops / (t.median_ms * 1e-3) / 1e12 : 0.0;
          std::printf("%-9s %-5s %4d %6d %5d %6s %10.4f %9.1f %s\n", kernel_name(kind), dtype_name(dtype), d, n, B,
                      causal ? "true" : "false", t.median_ms, tflops, t.status == "ok" ? "" : t.status.c_str());
          std::fflush(stdout);
          std::fprintf(csv, "%s,%s,%s,%s,fwd,%s,%d,%d,%d,%d,%s,%.5f,%.2f,%.5f,%d,%s\n", csv_escape(gpu).c_str(),
                       date.c_str(), csv_escape(driver).c_str(), kernel_name(kind), dtype_name(dtype), d, n, B, H,
                       causal ? "true" : "false", t.median_ms, tflops, t.min_ms, t.reps, csv_escape(t.status).c_str());
          std::fflush(csv);
        }
      }
  std::fclose(csv);
  cudaFree(q); cudaFree(k); cudaFree(v); cudaFree(o); cudaFree(lse); cudaFree(ws);
  release_cached_resources();
  return 0;
}
