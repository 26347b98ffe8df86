// attention_verify_backward: checks the flash2 backward (both modes) against a
// float64 CPU reference of dQ, dK and dV.
//
//   attention_verify_backward --full    N in {1, 17, 128, 1000}, d in {64, 128}, (batch, heads) in {1, 3}^2,
//                                       causal and not, fp16 and bf16; plus N = 2048 (batch = heads = 1)
//   attention_verify_backward --small   small shapes, for compute-sanitizer
//   options: --seed S (default: from std::random_device, printed)
//
// For every case: fresh random Q, K, V, dO (normal(0, 1), rounded to the
// dtype); the forward O and LSE computed in float64 and rounded (O to the
// dtype, LSE to fp32), as the kernel's inputs; a float64 reference of dQ, dK,
// dV (exact gradients for the rounded Q, K, V, dO); and a "plain unfused"
// fp16/bf16 backward (S = round(scale QK^T), P = round(softmax(S)),
// dV = round(P^T dO), dP = round(dO V^T), dS = round(P (dP - rowsum(P dP))),
// dQ = round(scale dS K), dK = round(scale dS^T Q), fp32 accumulation) whose
// error against the reference sets the tolerance:
//   err_kernel <= 2 * err_plain + 1e-3
// for the relative L2 error and the max abs error of each of dQ, dK, dV.
// Each mode runs on poisoned outputs (dQ, dK, dV = 0xFFFF = NaN, workspace
// 0xFF): every element must be written and finite.  Deterministic mode runs
// three times and dQ, dK, dV must be bit-identical; the atomic mode runs twice
// and dK, dV (written without atomics) must be bit-identical.  Invalid
// arguments must be rejected without a launch (poisoned outputs untouched).
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
#include "iolab/kernels/attention_backward.hpp"

using namespace iolab::kernels;

namespace {

using checks::parallel_for;
using Case = checks::VerifyCase;

checks::Tally g_tally;

// Inputs (dequantised values of the dtype elements) and everything computed from them on the CPU.
struct Problem {
  Case c;
  float scale = 0;
  std::vector<float> q, k, v, dout;          // inputs, [bh, n, d]
  std::vector<float> o_in, lse_in;           // forward O (rounded to the dtype) and LSE (fp32), kernel inputs
  std::vector<double> dq, dk, dv;            // float64 reference gradients
  std::vector<float> dq_p, dk_p, dv_p;       // plain unfused fp16/bf16 gradients (rounded)
};

void compute_reference(Problem& pr) {
  const Case& c = pr.c;
  const int n = c.n, d = c.d;
  const std::int64_t bhn = std::int64_t{c.batch} * c.heads;
  const std::size_t elems = static_cast<std::size_t>(bhn) * n * d, rows = static_cast<std::size_t>(bhn) * n;
  const double sc = pr.scale;
  pr.o_in.assign(elems, 0.f);
  pr.lse_in.assign(rows, 0.f);
  pr.dq.assign(elems, 0.0);
  pr.dk.assign(elems, 0.0);
  pr.dv.assign(elems, 0.0);
  pr.dq_p.assign(elems, 0.f);
  pr.dk_p.assign(elems, 0.f);
  pr.dv_p.assign(elems, 0.f);
  std::vector<double> lse(rows), delta(rows);
  std::vector<float> m_p(rows), sum_p(rows), delta_p(rows);
  auto row = [&](const std::vector<float>& x, std::int64_t bh, int i) { return &x[(bh * n + i) * d]; };
  auto rnd = [&](float x) { return host::round_to(x, c.dtype); };

  // Pass 1, per query row i: LSE, O, Delta, dQ (float64); row max, sum, Delta, dQ (plain).
  parallel_for(bhn * n, [&](std::int64_t id) {
    const std::int64_t bh = id / n;
    const int i = static_cast<int>(id % n);
    const int lim = c.causal ? i + 1 : n;
    const float *qi = row(pr.q, bh, i), *doi = row(pr.dout, bh, i);
    std::vector<double> s(lim), dp(lim);
    std::vector<float> sf(lim), dpf(lim);
    for (int j = 0; j < lim; ++j) {
      const float *kj = row(pr.k, bh, j), *vj = row(pr.v, bh, j);
      double a = 0, b = 0;
      float af = 0, bf = 0;
      for (int x = 0; x < d; ++x) {
        a += double(qi[x]) * kj[x];
        b += double(doi[x]) * vj[x];
        af += qi[x] * kj[x];
        bf += doi[x] * vj[x];
      }
      s[j] = sc * a;
      dp[j] = b;
      sf[j] = rnd(pr.scale * af);
      dpf[j] = rnd(bf);
    }
    double mx = -INFINITY;
    float mf = -INFINITY;
    for (int j = 0; j < lim; ++j) {
      mx = std::max(mx, s[j]);
      mf = std::max(mf, sf[j]);
    }
    double sum = 0;
    float sumf = 0;
    for (int j = 0; j < lim; ++j) {
      sum += std::exp(s[j] - mx);
      sumf += std::exp(sf[j] - mf);
    }
    const double l = mx + std::log(sum);
    lse[id] = l;
    pr.lse_in[id] = static_cast<float>(l);
    m_p[id] = mf;
    sum_p[id] = sumf;
    std::vector<double> o(d, 0.0);
    double dl = 0;
    float dlf = 0;
    std::vector<float> pf(lim);
    for (int j = 0; j < lim; ++j) {
      const double p = std::exp(s[j] - l);
      const float* vj = row(pr.v, bh, j);
      for (int x = 0; x < d; ++x) o[x] += p * vj[x];
      dl += p * dp[j];
      pf[j] = rnd(std::exp(sf[j] - mf) / sumf);
      dlf += pf[j] * dpf[j];
    }
    delta[id] = dl;
    delta_p[id] = dlf;
    for (int x = 0; x < d; ++x) pr.o_in[id * d + x] = rnd(static_cast<float>(o[x]));
    std::vector<double> g(d, 0.0);
    std::vector<float> gf(d, 0.f);
    for (int j = 0; j < lim; ++j) {
      const double ds = std::exp(s[j] - l) * (dp[j] - dl);
      const float dsf = rnd(pf[j] * (dpf[j] - dlf));
      const float* kj = row(pr.k, bh, j);
      for (int x = 0; x < d; ++x) {
        g[x] += ds * kj[x];
        gf[x] += dsf * kj[x];
      }
    }
    for (int x = 0; x < d; ++x) {
      pr.dq[id * d + x] = sc * g[x];
      pr.dq_p[id * d + x] = rnd(pr.scale * gf[x]);
    }
  });

  // Pass 2, per key row j: dK, dV (float64 and plain).
  parallel_for(bhn * n, [&](std::int64_t id) {
    const std::int64_t bh = id / n;
    const int j = static_cast<int>(id % n);
    const float *kj = row(pr.k, bh, j), *vj = row(pr.v, bh, j);
    std::vector<double> gk(d, 0.0), gv(d, 0.0);
    std::vector<float> gkf(d, 0.f), gvf(d, 0.f);
    for (int i = c.causal ? j : 0; i < n; ++i) {
      const std::int64_t ri = bh * n + i;
      const float *qi = row(pr.q, bh, i), *doi = row(pr.dout, bh, i);
      double a = 0, b = 0;
      float af = 0, bf = 0;
      for (int x = 0; x < d; ++x) {
        a += double(qi[x]) * kj[x];
        b += double(doi[x]) * vj[x];
        af += qi[x] * kj[x];
        bf += doi[x] * vj[x];
      }
      const double p = std::exp(sc * a - lse[ri]);
      const double ds = p * (b - delta[ri]);
      const float pf = rnd(std::exp(rnd(pr.scale * af) - m_p[ri]) / sum_p[ri]);
      const float dsf = rnd(pf * (rnd(bf) - delta_p[ri]));
      for (int x = 0; x < d; ++x) {
        gk[x] += ds * qi[x];
        gv[x] += p * doi[x];
        gkf[x] += dsf * qi[x];
        gvf[x] += pf * doi[x];
      }
    }
    for (int x = 0; x < d; ++x) {
      pr.dk[id * d + x] = sc * gk[x];
      pr.dv[id * d + x] = gv[x];
      pr.dk_p[id * d + x] = rnd(pr.scale * gkf[x]);
      pr.dv_p[id * d + x] = rnd(gvf[x]);
    }
  });
}

struct Err {
  double rel_l2 = 0, max_abs = 0;
};

template <typename V>
Err error_of(const V& out, const std::vector<double>& ref) {
  double num = 0, den = 0, mx = 0;
  for (std::size_t e = 0; e < ref.size(); ++e) {
    const double diff = static_cast<double>(out[e]) - ref[e];
    num += diff * diff;
    den += ref[e] * ref[e];
    mx = std::max(mx, std::fabs(diff));
  }
  return Err{den > 0 ? std::sqrt(num / den) : std::sqrt(num), mx};
}

struct Device {
  void *q = nullptr, *k = nullptr, *v = nullptr, *o = nullptr, *dout = nullptr;
  void *dq = nullptr, *dk = nullptr, *dv = nullptr, *ws = nullptr;
  float* lse = nullptr;
  std::size_t elems = 0, rows = 0, ws_bytes = 0;
  ~Device() {
    for (void* p : {q, k, v, o, dout, dq, dk, dv, ws}) cudaFree(p);
    cudaFree(lse);
  }
};

struct Grads {
  std::vector<std::uint16_t> dq, dk, dv;
};

bool run_poisoned(const Case& c, Device& b, bool deterministic, Grads& g, std::string& error) {
  CUDA_OK(cudaMemset(b.dq, 0xFF, b.elems * 2));
  CUDA_OK(cudaMemset(b.dk, 0xFF, b.elems * 2));
  CUDA_OK(cudaMemset(b.dv, 0xFF, b.elems * 2));
  CUDA_OK(cudaMemset(b.ws, 0xFF, b.ws_bytes));
  AttentionBackwardParams p;
  p.q = b.q; p.k = b.k; p.v = b.v; p.o = b.o; p.dout = b.dout; p.lse = b.lse;
  p.dq = b.dq; p.dk = b.dk; p.dv = b.dv;
  p.workspace = b.ws; p.workspace_bytes = b.ws_bytes;
  p.batch = c.batch; p.heads = c.heads; p.n = c.n; p.d = c.d;
  p.dtype = c.dtype; p.causal = c.causal; p.deterministic = deterministic;
  const Status st = attention_backward(p);
  if (!st.ok) {
    error = st.message;
    return false;
  }
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  g.dq.resize(b.elems);
  g.dk.resize(b.elems);
  g.dv.resize(b.elems);
  CUDA_OK(cudaMemcpy(g.dq.data(), b.dq, b.elems * 2, cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(g.dk.data(), b.dk, b.elems * 2, cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(g.dv.data(), b.dv, b.elems * 2, cudaMemcpyDeviceToHost));
  return true;
}

void run_case(const Case& c, std::mt19937_64& rng) {
  Problem pr;
  pr.c = c;
  pr.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.d)));
  const std::size_t elems = static_cast<std::size_t>(c.batch) * c.heads * c.n * c.d;
  const std::size_t rows = static_cast<std::size_t>(c.batch) * c.heads * c.n;
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<std::uint16_t> qb(elems), kb(elems), vb(elems), dob(elems), ob(elems);
  pr.q.resize(elems); pr.k.resize(elems); pr.v.resize(elems); pr.dout.resize(elems);
  for (std::size_t e = 0; e < elems; ++e) {
    qb[e] = host::to_bits(dist(rng), c.dtype);  pr.q[e] = host::from_bits(qb[e], c.dtype);
    kb[e] = host::to_bits(dist(rng), c.dtype);  pr.k[e] = host::from_bits(kb[e], c.dtype);
    vb[e] = host::to_bits(dist(rng), c.dtype);  pr.v[e] = host::from_bits(vb[e], c.dtype);
    dob[e] = host::to_bits(dist(rng), c.dtype); pr.dout[e] = host::from_bits(dob[e], c.dtype);
  }
  compute_reference(pr);
  for (std::size_t e = 0; e < elems; ++e) ob[e] = host::to_bits(pr.o_in[e], c.dtype);
  const Err plain[3] = {error_of(pr.dq_p, pr.dq), error_of(pr.dk_p, pr.dk), error_of(pr.dv_p, pr.dv)};

  Device b;
  b.elems = elems;
  b.rows = rows;
  AttentionBackwardParams shape;
  shape.batch = c.batch; shape.heads = c.heads; shape.n = c.n; shape.d = c.d;
  b.ws_bytes = workspace_size_backward(shape);  // atomic mode needs the most
  for (void** p : {&b.q, &b.k, &b.v, &b.o, &b.dout, &b.dq, &b.dk, &b.dv}) CUDA_OK(cudaMalloc(p, elems * 2));
  CUDA_OK(cudaMalloc(&b.lse, rows * 4));
  CUDA_OK(cudaMalloc(&b.ws, b.ws_bytes));
  CUDA_OK(cudaMemcpy(b.q, qb.data(), elems * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b.k, kb.data(), elems * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b.v, vb.data(), elems * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b.dout, dob.data(), elems * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b.o, ob.data(), elems * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b.lse, pr.lse_in.data(), rows * 4, cudaMemcpyHostToDevice));

  for (bool det : {false, true}) {
    char tag[160];
    std::snprintf(tag, sizeof tag, "flash2_bwd %-13s %-4s B=%d H=%d N=%-5d d=%-3d causal=%d",
                  det ? "deterministic" : "atomic", dtype_name(c.dtype), c.batch, c.heads, c.n, c.d,
                  c.causal ? 1 : 0);
    const int runs = det ? 3 : 2;
    std::vector<Grads> g(runs);
    std::string error;
    bool api_ok = true;
    for (int r = 0; r < runs && api_ok; ++r) api_ok = run_poisoned(c, b, det, g[r], error);
    if (!api_ok) {
      g_tally.fail(std::string(tag) + " | attention_backward returned an error: " + error);
      continue;
    }
    bool same = true;
    for (int r = 1; r < runs; ++r) {
      same = same && g[r].dk == g[0].dk && g[r].dv == g[0].dv;
      if (det) same = same && g[r].dq == g[0].dq;
    }
    std::size_t nonfinite = 0;
    std::vector<float> out[3];
    const std::vector<std::uint16_t>* bits[3] = {&g[0].dq, &g[0].dk, &g[0].dv};
    for (int t = 0; t < 3; ++t) {
      out[t].resize(elems);
      for (std::size_t e = 0; e < elems; ++e) {
        out[t][e] = host::from_bits((*bits[t])[e], c.dtype);
        if (!std::isfinite(out[t][e])) ++nonfinite;
      }
    }
    const std::vector<double>* refs[3] = {&pr.dq, &pr.dk, &pr.dv};
    const char* names[3] = {"dQ", "dK", "dV"};
    bool pass = nonfinite == 0 && same;
    std::string detail;
    for (int t = 0; t < 3; ++t) {
      const Err er = error_of(out[t], *refs[t]);
      const double tol_rel = 2 * plain[t].rel_l2 + 1e-3, tol_abs = 2 * plain[t].max_abs + 1e-3;
      const bool ok = er.rel_l2 <= tol_rel && er.max_abs <= tol_abs;
      pass = pass && ok;
      char buf[256];
      std::snprintf(buf, sizeof buf, " | %s rel_l2 %.3e (plain %.3e) max_abs %.3e (plain %.3e)%s", names[t], er.rel_l2,
                    plain[t].rel_l2, er.max_abs, plain[t].max_abs, ok ? "" : " OUT OF TOLERANCE");
      detail += buf;
    }
    std::printf("%s %s%s | nonfinite/unwritten %zu | %d runs %s\n", pass ? "PASS" : "FAIL", tag, detail.c_str(),
                nonfinite, runs,
                same ? (det ? "dQ dK dV bit-identical" : "dK dV bit-identical") : "DIFFER");
    g_tally.record(pass);
  }
  std::fflush(stdout);
}

// Invalid arguments: error status with a message, no launch (poisoned outputs untouched).
void check_rejections() {
  const int n = 64, d = 64;
  const std::size_t elems = static_cast<std::size_t>(n) * d;
  Device b;
  b.elems = elems;
  for (void** p : {&b.q, &b.k, &b.v, &b.o, &b.dout, &b.dq, &b.dk, &b.dv}) CUDA_OK(cudaMalloc(p, elems * 2 + 64));
  CUDA_OK(cudaMalloc(&b.lse, n * 4 + 16));
  for (void* p : {b.q, b.k, b.v, b.o, b.dout}) CUDA_OK(cudaMemset(p, 0x3C, elems * 2 + 64));
  CUDA_OK(cudaMemset(b.lse, 0, n * 4 + 16));
  AttentionBackwardParams shape;
  shape.batch = 1; shape.heads = 1; shape.n = n; shape.d = d;
  b.ws_bytes = workspace_size_backward(shape);
  CUDA_OK(cudaMalloc(&b.ws, b.ws_bytes));
  std::vector<std::uint16_t> poison(elems, 0xABCD), back(elems);

  struct Bad {
    const char* what;
    void (*mutate)(AttentionBackwardParams&);
  };
  const Bad bads[] = {
      {"N = 0", [](AttentionBackwardParams& p) { p.n = 0; }},
      {"d = 96", [](AttentionBackwardParams& p) { p.d = 96; }},
      {"d = 256", [](AttentionBackwardParams& p) { p.d = 256; }},
      {"null q", [](AttentionBackwardParams& p) { p.q = nullptr; }},
      {"null dout", [](AttentionBackwardParams& p) { p.dout = nullptr; }},
      {"null lse", [](AttentionBackwardParams& p) { p.lse = nullptr; }},
      {"null dq", [](AttentionBackwardParams& p) { p.dq = nullptr; }},
      {"misaligned k", [](AttentionBackwardParams& p) { p.k = static_cast<const char*>(p.k) + 2; }},
      {"misaligned dv", [](AttentionBackwardParams& p) { p.dv = static_cast<char*>(p.dv) + 8; }},
      {"misaligned lse", [](AttentionBackwardParams& p) {
         p.lse = reinterpret_cast<const float*>(reinterpret_cast<const char*>(p.lse) + 2); }},
      {"dtype 5", [](AttentionBackwardParams& p) { p.dtype = static_cast<DType>(5); }},
      {"int32 overflow (batch 4096, heads 4096)", [](AttentionBackwardParams& p) { p.batch = 4096; p.heads = 4096; }},
      {"no workspace", [](AttentionBackwardParams& p) { p.workspace = nullptr; p.workspace_bytes = 0; }},
      {"short workspace", [](AttentionBackwardParams& p) { p.workspace_bytes -= 4; }},
  };
  for (bool det : {false, true})
    for (const Bad& bad : bads) {
      for (void* p : {b.dq, b.dk, b.dv}) CUDA_OK(cudaMemcpy(p, poison.data(), elems * 2, cudaMemcpyHostToDevice));
      AttentionBackwardParams p = shape;
      p.q = b.q; p.k = b.k; p.v = b.v; p.o = b.o; p.dout = b.dout; p.lse = b.lse;
      p.dq = b.dq; p.dk = b.dk; p.dv = b.dv;
      p.deterministic = det;
      p.workspace = b.ws; p.workspace_bytes = workspace_size_backward(p);
      bad.mutate(p);
      const Status st = attention_backward(p);
      CUDA_OK(cudaDeviceSynchronize());
      bool untouched = true;
      for (void* q : {b.dq, b.dk, b.dv}) {
        CUDA_OK(cudaMemcpy(back.data(), q, elems * 2, cudaMemcpyDeviceToHost));
        untouched = untouched && back == poison;
      }
      const bool ok = !st.ok && !st.message.empty() && untouched;
      std::printf("%s flash2_bwd %-13s rejects %-40s -> \"%s\"%s\n", ok ? "PASS" : "FAIL",
                  det ? "deterministic" : "atomic", bad.what, st.message.c_str(),
                  untouched ? "" : " (OUTPUT WAS MODIFIED)");
      g_tally.record(ok);
    }
}

}  // namespace

int main(int argc, char** argv) {
  checks::VerifyArgs args;
  if (!checks::parse_verify_args(argc, argv, /*allow_kernel=*/false, args)) return 2;
  const bool full = args.full;
  const std::uint64_t seed = args.seed;
  cudaDeviceProp prop{};
  if (int rc = open_gpu_or_skip(prop)) return rc;
  std::printf("device: %s (sm_%d%d), mode %s, seed %llu\n", prop.name, prop.major, prop.minor,
              full ? "full" : "small", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);

  check_rejections();

  std::vector<Case> cases = full ? checks::full_cases({1, 17, 128, 1000}) : checks::small_cases();
  if (full)  // and one longer sequence per head dimension
    for (int d : {64, 128})
      for (bool causal : {false, true}) cases.push_back({d == 64 ? DType::f16 : DType::bf16, 1, 1, 2048, d, causal});
  for (const Case& c : cases) run_case(c, rng);

  return g_tally.finish(seed);
}
