// attention_bench_backward: times the flash2 backward (pass "bwd") and
// flash2 forward + backward (pass "fwdbwd") with CUDA events.
//
// Shapes as attention_bench: H = 16, B = 16384 / N, N in {512, ..., 16384},
// d in {64, 128}, causal and not; inputs uniform in [-2, 2) rounded; O and the
// LSE come from one flash2 forward before timing.  Each measurement: warm-up,
// then many repetitions each bracketed by its own event pair; the median is
// reported.  FLOPs: backward 2.5 x the forward's 4*B*H*N^2*d, forward +
// backward 3.5 x (halved when causal).  Kernel names in the CSV:
//   flash2      backward in the atomic dQ mode (default), fwdbwd = flash2 forward + that
//   flash2_det  backward in the deterministic mode (--deterministic 1; pass bwd only)
//
//   attention_bench_backward --csv FILE [--gpu NAME] [--driver VER] [--date DATE] [--dtype fp16|bf16]
//                            [--target-ms MS] [--n-min N] [--n-max N] [--d 64|128] [--causal 0|1] [--deterministic 0|1] [--passes bwd,fwdbwd]
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "../checks/cuda_check.hpp"
#include "../checks/host_half.hpp"
#include "bench_options.hpp"
#include "event_timing.hpp"
#include "iolab/kernels/attention.hpp"
#include "iolab/kernels/attention_backward.hpp"

using namespace iolab::kernels;
using iolab::kernels::bench::time_launches;

int main(int argc, char** argv) {
  bench::Options opt;
  opt.csv = "bench_backward.csv";
  std::string passes = "bwd,fwdbwd";
  bool with_det = false;
  if (int rc = bench::parse_options("attention_bench_backward", argc, argv, opt,
                                    [&](const std::string& k, const std::string& v) {
                                      if (k == "--deterministic") with_det = v == "1";
                                      else if (k == "--passes") passes = v;
                                      else return false;
                                      return true;
                                    }))
    return rc;
  if (int rc = bench::open_device(opt)) return rc;
  const DType dtype = opt.dtype;
  const bool do_bwd = passes.find("bwd") != std::string::npos &&
                      (passes.find("bwd") == 0 || passes.find(",bwd") != std::string::npos);
  const bool do_fwdbwd = passes.find("fwdbwd") != std::string::npos;

  constexpr int H = bench::kHeads, total = bench::kTokens;
  const std::size_t max_elems = static_cast<std::size_t>(total) * H * 128;
  std::vector<std::uint16_t> host(max_elems);
  void *q, *k, *v, *o, *dout, *dq, *dk, *dv;
  for (void** p : {&q, &k, &v, &o, &dout, &dq, &dk, &dv}) CUDA_OK(cudaMalloc(p, max_elems * 2));
  std::uint64_t state = 0x2545F4914F6CDD1Dull;
  for (void* dst : {q, k, v, dout}) {
    host::fill_uniform(host, dtype, state);
    CUDA_OK(cudaMemcpy(dst, host.data(), max_elems * 2, cudaMemcpyHostToDevice));
  }
  float* lse;
  CUDA_OK(cudaMalloc(&lse, static_cast<std::size_t>(total) * H * 4));
  AttentionBackwardParams wsq;
  wsq.batch = 1; wsq.heads = H; wsq.n = total; wsq.d = 128;
  const std::size_t ws_bytes = workspace_size_backward(wsq);  // B*N = 16384 for every shape
  void* ws;
  CUDA_OK(cudaMalloc(&ws, ws_bytes));
  std::printf("attention_bench_backward: %s, %s, workspace %.2f GB\n", opt.gpu.c_str(), dtype_name(dtype), ws_bytes / 1e9);

  bench::ResultWriter out(opt);
  if (!out.open()) return 1;
  for (const bench::Shape& sh : bench::shapes(opt)) {
    AttentionParams f;
    f.q = q; f.k = k; f.v = v; f.o = o; f.lse = lse;
    f.batch = sh.batch; f.heads = sh.heads; f.n = sh.n; f.d = sh.d; f.dtype = dtype; f.causal = sh.causal;
    AttentionBackwardParams b;
    b.q = q; b.k = k; b.v = v; b.o = o; b.dout = dout; b.lse = lse;
    b.dq = dq; b.dk = dk; b.dv = dv; b.workspace = ws; b.workspace_bytes = ws_bytes;
    b.batch = sh.batch; b.heads = sh.heads; b.n = sh.n; b.d = sh.d; b.dtype = dtype; b.causal = sh.causal;
    const Status fst = attention_forward(KernelKind::flash2, f);  // O and LSE for the backward
    if (!fst.ok) {
      std::fprintf(stderr, "flash2 forward failed: %s\n", fst.message.c_str());
      return 1;
    }
    for (bool det : {false, true}) {
      if (det && !with_det) continue;
      b.deterministic = det;
      const char* name = det ? "flash2_det" : "flash2";
      if (do_bwd)
        out.row(name, "bwd", sh, 2.5 * sh.forward_flops(),
                time_launches([&] { return attention_backward(b); }, opt.target_ms));
      if (do_fwdbwd && !det)  // the deterministic mode is timed for the backward alone
        out.row(name, "fwdbwd", sh, 3.5 * sh.forward_flops(), time_launches([&] {
                  const Status s = attention_forward(KernelKind::flash2, f);
                  return s.ok ? attention_backward(b) : s;
                }, opt.target_ms));
    }
  }
  for (void* p : {q, k, v, o, dout, dq, dk, dv, ws}) cudaFree(p);
  cudaFree(lse);
  release_cached_resources();
  return 0;
}
