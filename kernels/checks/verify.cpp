// attention_verify: checks every kernel against a float64 CPU reference.
//
//   attention_verify --full    N in {1, 17, 128, 1000, 4096}, d in {64, 128},
//                              (batch, heads) in {1, 3}^2, causal and not, fp16 and bf16
//   attention_verify --small   small shapes, for compute-sanitizer
//   options: --seed S (default: from std::random_device, printed), --kernel NAME
//
// For every case: fresh random inputs (normal(0, 1), rounded to the dtype); a
// float64 reference of O and LSE; a "plain unfused" fp16/bf16 computation
// (S = round(scale * QK^T) with fp32 accumulation, P = round(softmax(S)),
// O = round(PV) with fp32 accumulation) whose error against the reference sets
// the tolerance.  Each kernel runs twice on poisoned outputs (O filled with
// 0xFFFF = NaN, LSE with NaN, workspace with 0xFF); every element must be
// written and finite, both runs must agree bit for bit, and
//   err_kernel <= 2 * err_plain + 1e-3
// must hold for the relative L2 error of O, the max abs error of O and the max
// abs error of LSE.  Invalid arguments must be rejected without a launch (the
// poisoned output is checked to be untouched).
//
// Exit status: 0 all passed, 1 a failure, 77 no GPU (test reported as skipped).
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cuda_check.hpp"
#include "host_half.hpp"
#include "verify_harness.hpp"
#include "iolab/kernels/attention.hpp"

using namespace iolab::kernels;

namespace {

using checks::parallel_for;
using Case = checks::VerifyCase;

checks::Tally g_tally;

struct Reference {
  std::vector<double> o, lse;    // float64 reference
  std::vector<float> o_plain;    // plain unfused fp16/bf16 computation (values already rounded)
  std::vector<float> lse_plain;
};

// q, k, v: dequantised inputs (exact values of the fp16/bf16 elements).
Reference reference(const Case& c, const std::vector<float>& q, const std::vector<float>& k,
                    const std::vector<float>& v, float scale) {
  const int n = c.n, d = c.d;
  const std::int64_t bh_count = std::int64_t{c.batch} * c.heads;
  Reference r;
  r.o.assign(static_cast<std::size_t>(bh_count) * n * d, 0.0);
  r.lse.assign(static_cast<std::size_t>(bh_count) * n, 0.0);
  r.o_plain.assign(r.o.size(), 0.0f);
  r.lse_plain.assign(r.lse.size(), 0.0f);

  // K transposed per head ([d][n]) so that the score loop is a vectorisable axpy.
  std::vector<double> kt_d(static_cast<std::size_t>(bh_count) * d * n);
  std::vector<float> kt_f(kt_d.size());
  for (std::int64_t bh = 0; bh < bh_count; ++bh)
    for (int j = 0; j < n; ++j)
      for (int x = 0; x < d; ++x) {
        const float val = k[(bh * n + j) * d + x];
        kt_d[(bh * d + x) * n + j] = val;
        kt_f[(bh * d + x) * n + j] = val;
      }

  parallel_for(bh_count * n, [&](std::int64_t row_id) {
    const std::int64_t bh = row_id / n;
    const int i = static_cast<int>(row_id % n);
    const int limit = c.causal ? i + 1 : n;
    const float* qi = &q[(bh * n + i) * d];
    std::vector<double> s(limit, 0.0);
    std::vector<float> sf(limit, 0.0f);
    for (int x = 0; x < d; ++x) {
      const double qd = qi[x];
      const float qf = qi[x];
      const double* kd = &kt_d[(bh * d + x) * n];
      const float* kf = &kt_f[(bh * d + x) * n];
      for (int j = 0; j < limit; ++j) {
        s[j] += qd * kd[j];
        sf[j] += qf * kf[j];
      }
    }
    // float64 reference.
    double mx = -INFINITY;
    for (int j = 0; j < limit; ++j) {
      s[j] *= static_cast<double>(scale);
      mx = std::max(mx, s[j]);
    }
    double sum = 0.0;
    for (int j = 0; j < limit; ++j) {
      s[j] = std::exp(s[j] - mx);
      sum += s[j];
    }
    double* o = &r.o[(bh * n + i) * d];
    for (int j = 0; j < limit; ++j) {
      const double pj = s[j] / sum;
      const float* vj = &v[(bh * n + j) * d];
      for (int x = 0; x < d; ++x) o[x] += pj * vj[x];
    }
    r.lse[bh * n + i] = mx + std::log(sum);

    // Plain unfused computation in the input dtype.
    float mf = -INFINITY;
    for (int j = 0; j < limit; ++j) {
      sf[j] = host::round_to(scale * sf[j], c.dtype);
      mf = std::max(mf, sf[j]);
    }
    float sumf = 0.0f;
    for (int j = 0; j < limit; ++j) {
      sf[j] = std::exp(sf[j] - mf);
      sumf += sf[j];
    }
    std::vector<float> of(d, 0.0f);
    for (int j = 0; j < limit; ++j) {
      const float pj = host::round_to(sf[j] / sumf, c.dtype);
      const float* vj = &v[(bh * n + j) * d];
      for (int x = 0; x < d; ++x) of[x] += pj * vj[x];
    }
    for (int x = 0; x < d; ++x) r.o_plain[(bh * n + i) * d + x] = host::round_to(of[x], c.dtype);
    r.lse_plain[bh * n + i] = mf + std::log(sumf);
  });
  return r;
}

struct Errors {
  double rel_l2 = 0, max_abs = 0, lse_max_abs = 0;
};

template <typename OutT, typename LseT>
Errors errors(const std::vector<OutT>& out, const std::vector<LseT>& lse, const Reference& r) {
  double num = 0, den = 0, mx = 0, lmx = 0;
  for (std::size_t e = 0; e < r.o.size(); ++e) {
    const double diff = static_cast<double>(out[e]) - r.o[e];
    num += diff * diff;
    den += r.o[e] * r.o[e];
    mx = std::max(mx, std::fabs(diff));
  }
  for (std::size_t e = 0; e < r.lse.size(); ++e) lmx = std::max(lmx, std::fabs(static_cast<double>(lse[e]) - r.lse[e]));
  Errors er;
  er.rel_l2 = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  er.max_abs = mx;
  er.lse_max_abs = lmx;
  return er;
}

void fail(const std::string& msg) { g_tally.fail(msg); }

struct DeviceBuffers {
  void *q = nullptr, *k = nullptr, *v = nullptr, *o = nullptr, *ws = nullptr;
  float* lse = nullptr;
  std::size_t elems = 0, rows = 0, ws_bytes = 0;
  ~DeviceBuffers() {
    cudaFree(q); cudaFree(k); cudaFree(v); cudaFree(o); cudaFree(ws); cudaFree(lse);
  }
};

// Runs kernel `kind` on poisoned outputs; returns false (after reporting) on any API failure.
bool run_poisoned(KernelKind kind, const Case& c, DeviceBuffers& b, std::vector<std::uint16_t>& o_bits,
                  std::vector<float>& lse_out) {
  CUDA_OK(cudaMemset(b.o, 0xFF, b.elems * 2));
  CUDA_OK(cudaMemset(b.lse, 0xFF, b.rows * 4));
  if (b.ws_bytes) CUDA_OK(cudaMemset(b.ws, 0xFF, b.ws_bytes));
  AttentionParams p;
  p.q = b.q; p.k = b.k; p.v = b.v; p.o = b.o; p.lse = b.lse;
  p.workspace = b.ws; p.workspace_bytes = b.ws_bytes;
  p.batch = c.batch; p.heads = c.heads; p.n = c.n; p.d = c.d;
  p.dtype = c.dtype; p.causal = c.causal;
  const Status st = attention_forward(kind, p);
  if (!st.ok) {
    fail(std::string(kernel_name(kind)) + ": attention_forward returned an error: " + st.message);
    return false;
  }
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  o_bits.resize(b.elems);
  lse_out.resize(b.rows);
  CUDA_OK(cudaMemcpy(o_bits.data(), b.o, b.elems * 2, cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(lse_out.data(), b.lse, b.rows * 4, cudaMemcpyDeviceToHost));
  return true;
}

void run_case(const Case& c, const std::vector<KernelKind>& kernels, std::mt19937_64& rng) {
  const std::size_t elems = static_cast<std::size_t>(c.batch) * c.heads * c.n * c.d;
  const std::size_t rows = static_cast<std::size_t>(c.batch) * c.heads * c.n;
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<std::uint16_t> qb(elems), kb(elems), vb(elems);
  std::vector<float> qf(elems), kf(elems), vf(elems);
  for (std::size_t e = 0; e < elems; ++e) {
    qb[e] = host::to_bits(dist(rng), c.dtype); qf[e] = host::from_bits(qb[e], c.dtype);
    kb[e] = host::to_bits(dist(rng), c.dtype); kf[e] = host::from_bits(kb[e], c.dtype);
    vb[e] = host::to_bits(dist(rng), c.dtype); vf[e] = host::from_bits(vb[e], c.dtype);
  }
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.d)));
  const Reference ref = reference(c, qf, kf, vf, scale);
  const Errors plain = errors(ref.o_plain, ref.lse_plain, ref);

  DeviceBuffers b;
  b.elems = elems;
  b.rows = rows;
  AttentionParams shape;
  shape.batch = c.batch; shape.heads = c.heads; shape.n = c.n; shape.d = c.d;
  for (KernelKind k : kernels) b.ws_bytes = std::max(b.ws_bytes, workspace_size(k, shape));
  CUDA_OK(cudaMalloc(&b.q, elems * 2));
  CUDA_OK(cudaMalloc(&b.k, elems * 2));
  CUDA_OK(cudaMalloc(&b.v, elems * 2));
  CUDA_OK(cudaMalloc(&b.o, elems * 2));
  CUDA_OK(cudaMalloc(&b.lse, rows * 4));
  if (b.ws_bytes) CUDA_OK(cudaMalloc(&b.ws, b.ws_bytes));
  CUDA_OK(cudaMemcpy(b.q, qb.data(), elems * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b.k, kb.data(), elems * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b.v, vb.data(), elems * 2, cudaMemcpyHostToDevice));

  for (KernelKind kind : kernels) {
    char tag[160];
    std::snprintf(tag, sizeof tag, "%-8s %-4s B=%d H=%d N=%-5d d=%-3d causal=%d", kernel_name(kind),
                  dtype_name(c.dtype), c.batch, c.heads, c.n, c.d, c.causal ? 1 : 0);
    std::vector<std::uint16_t> o1, o2;
    std::vector<float> l1, l2;
    if (!run_poisoned(kind, c, b, o1, l1)) continue;
    if (!run_poisoned(kind, c, b, o2, l2)) continue;
    std::size_t unwritten = 0;
    std::vector<float> out(elems);
    for (std::size_t e = 0; e < elems; ++e) {
      out[e] = host::from_bits(o1[e], c.dtype);
      if (!std::isfinite(out[e])) ++unwritten;
    }
    for (std::size_t e = 0; e < rows; ++e)
      if (!std::isfinite(l1[e])) ++unwritten;
    const bool same = std::memcmp(o1.data(), o2.data(), elems * 2) == 0 &&
                      std::memcmp(l1.data(), l2.data(), rows * 4) == 0;
    const Errors er = errors(out, l1, ref);
    const double tol_rel = 2 * plain.rel_l2 + 1e-3;
    const double tol_abs = 2 * plain.max_abs + 1e-3;
    const double tol_lse = 2 * plain.lse_max_abs + 1e-3;
    const bool pass = unwritten == 0 && same && er.rel_l2 <= tol_rel && er.max_abs <= tol_abs &&
                      er.lse_max_abs <= tol_lse;
    std::printf(
        "%s %s | rel_l2 %.3e (plain %.3e, tol %.3e) max_abs %.3e (plain %.3e, tol %.3e) lse_max_abs %.3e "
        "(plain %.3e) | nonfinite/unwritten %zu | rerun %s\n",
        pass ? "PASS" : "FAIL", tag, er.rel_l2, plain.rel_l2, tol_rel, er.max_abs, plain.max_abs, tol_abs,
        er.lse_max_abs, plain.lse_max_abs, unwritten, same ? "bit-identical" : "DIFFERS");
    g_tally.record(pass);
  }
  std::fflush(stdout);
}

// Invalid arguments: error status with a message, no launch (poisoned output untouched).
void check_rejections(const std::vector<KernelKind>& kernels) {
  const int n = 64, d = 64;
  const std::size_t elems = static_cast<std::size_t>(n) * d;
  DeviceBuffers b;
  b.elems = elems;
  b.rows = n;
  CUDA_OK(cudaMalloc(&b.q, elems * 2 + 64));
  CUDA_OK(cudaMalloc(&b.k, elems * 2));
  CUDA_OK(cudaMalloc(&b.v, elems * 2));
  CUDA_OK(cudaMalloc(&b.o, elems * 2));
  CUDA_OK(cudaMalloc(&b.lse, n * 4 + 16));
  CUDA_OK(cudaMemset(b.q, 0x3C, elems * 2 + 64));
  CUDA_OK(cudaMemset(b.k, 0x3C, elems * 2));
  CUDA_OK(cudaMemset(b.v, 0x3C, elems * 2));
  std::vector<std::uint16_t> poison(elems, 0xABCD), back(elems);

  struct Bad {
    const char* what;
    void (*mutate)(AttentionParams&);
  };
  const Bad bads[] = {
      {"N = 0", [](AttentionParams& p) { p.n = 0; }},
      {"d = 96", [](AttentionParams& p) { p.d = 96; }},
      {"d = 256", [](AttentionParams& p) { p.d = 256; }},
      {"null q", [](AttentionParams& p) { p.q = nullptr; }},
      {"null o", [](AttentionParams& p) { p.o = nullptr; }},
      {"misaligned q", [](AttentionParams& p) { p.q = static_cast<const char*>(p.q) + 2; }},
      {"misaligned lse", [](AttentionParams& p) { p.lse = reinterpret_cast<float*>(reinterpret_cast<char*>(p.lse) + 2); }},
      {"dtype 5", [](AttentionParams& p) { p.dtype = static_cast<DType>(5); }},
      {"int32 overflow (batch 4096, heads 4096)", [](AttentionParams& p) { p.batch = 4096; p.heads = 4096; }},
      {"no workspace", [](AttentionParams& p) { p.workspace = nullptr; p.workspace_bytes = 0; }},
  };
  for (KernelKind kind : kernels) {
    AttentionParams shape;
    shape.batch = 1; shape.heads = 1; shape.n = n; shape.d = d;
    const std::size_t ws = workspace_size(kind, shape);
    void* wsp = nullptr;
    if (ws) CUDA_OK(cudaMalloc(&wsp, ws));
    for (const Bad& bad : bads) {
      if (std::strcmp(bad.what, "no workspace") == 0 && ws == 0) continue;
      CUDA_OK(cudaMemcpy(b.o, poison.data(), elems * 2, cudaMemcpyHostToDevice));
      AttentionParams p = shape;
      p.q = b.q; p.k = b.k; p.v = b.v; p.o = b.o; p.lse = b.lse;
      p.workspace = wsp; p.workspace_bytes = ws;
      bad.mutate(p);
      const Status st = attention_forward(kind, p);
      CUDA_OK(cudaDeviceSynchronize());
      CUDA_OK(cudaMemcpy(back.data(), b.o, elems * 2, cudaMemcpyDeviceToHost));
      const bool untouched = back == poison;
      const bool ok = !st.ok && !st.message.empty() && untouched;
      std::printf("%s %-8s rejects %-40s -> \"%s\"%s\n", ok ? "PASS" : "FAIL", kernel_name(kind), bad.what,
                  st.message.c_str(), untouched ? "" : " (OUTPUT WAS MODIFIED)");
      g_tally.record(ok);
    }
    cudaFree(wsp);
  }
}

}  // namespace

int main(int argc, char** argv) {
  checks::VerifyArgs args;
  if (!checks::parse_verify_args(argc, argv, /*allow_kernel=*/true, args)) return 2;
  const bool full = args.full;
  const std::uint64_t seed = args.seed;
  std::vector<KernelKind> kernels(std::begin(kForwardKernels), std::end(kForwardKernels));
  if (!args.kernels.empty()) kernels = args.kernels;

  cudaDeviceProp prop{};
  if (int rc = open_gpu_or_skip(prop)) return rc;
  std::printf("device: %s (sm_%d%d), mode %s, seed %llu\n", prop.name, prop.major, prop.minor,
              full ? "full" : "small", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  if (prop.major != 9) {
    const auto hopper = std::find(kernels.begin(), kernels.end(), KernelKind::flash2_hopper);
    if (hopper != kernels.end()) {
      std::printf("SKIP flash2_hopper: needs compute capability 9.0 (this device is sm_%d%d)\n", prop.major, prop.minor);
      kernels.erase(hopper);
    }
  }

  check_rejections(kernels);

  const std::vector<Case> cases = full ? checks::full_cases({1, 17, 128, 1000, 4096}) : checks::small_cases();
  for (const Case& c : cases) run_case(c, kernels, rng);

  release_cached_resources();
  return g_tally.finish(seed);
}
