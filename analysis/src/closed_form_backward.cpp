// Closed forms of the backward passes (Algorithm 3, Algorithm 4, the
// FlashAttention-2 backward) and of every forward pass under a causal mask.
// Derivations: proofs/closed-forms-backward.md and proofs/closed-forms-masks.md.
#include <algorithm>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/sim/attention/tiled_gemm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
namespace {

using sim::ceil_div;
using sim::checked_add;
using sim::checked_mul;
using sim::DType;

count_t u(std::int64_t x) { return static_cast<count_t>(x); }

/// Counts of one tiled GEMM C (m x n) = op(A) (m x k) op(B) (k x n) with the
/// schedule of masked_gemm.hpp: per row block i of size m_i starting at i0,
/// with k range K_i and column range n_i (J_i = ceil(n_i / tn) column blocks):
///   A: m_i K_i if tk >= k (panel resident) else m_i K_i J_i;  B: n_i K_i;  C: m_i n_i.
///   none:    K_i = k,                n_i = n
///   c_lower: K_i = k,                n_i = min(n, i0 + m_i)
///   a_lower: K_i = min(k, i0 + m_i), n_i = n
///   a_upper: K_i = k - min(i0, k),   n_i = n
enum class Mask { none, c_lower, a_lower, a_upper };
struct GemmCount {
  count_t a = 0, b = 0, c = 0;
};

GemmCount gemm_count(std::int64_t m, std::int64_t n, std::int64_t k, const sim::GemmTiles& t, Mask mask) {
  GemmCount g;
  const bool resident = t.tk >= k;
  for (std::int64_t i0 = 0; i0 < m; i0 += t.tm) {
    const std::int64_t mi = std::min(t.tm, m - i0);
    std::int64_t Ki = k, ni = n;
    if (mask == Mask::c_lower) ni = std::min(n, i0 + mi);
    if (mask == Mask::a_lower) Ki = std::min(k, i0 + mi);
    if (mask == Mask::a_upper) Ki = k - std::min(i0, k);
    const count_t a_once = checked_mul(u(mi), u(Ki), "GEMM reads");
    g.a = checked_add(g.a, resident ? a_once : checked_mul(a_once, u(ceil_div(ni, t.tn)), "GEMM reads"), "GEMM reads");
    g.b = checked_add(g.b, checked_mul(u(ni), u(Ki), "GEMM reads"), "GEMM reads");
    g.c = checked_add(g.c, checked_mul(u(mi), u(ni), "GEMM writes"), "GEMM writes");
  }
  return g;
}

/// Elements a row-blocked pass over an N x N matrix touches: blocks of `rows`
/// rows (one row with `passes` = 2), each covering columns [0, w_i) with
/// w_i = min(N, i0 + r_i) under a causal mask (row x alone: x + 1), else N.
count_t rowwise_elems(std::int64_t N, std::int64_t rows, int passes, bool causal) {
  if (!causal) return checked_mul(u(N), u(N), "N^2");
  if (passes == 2) return checked_mul(u(N), u(N) + 1, "N(N+1)") / 2;  // sum_x (x + 1)
  count_t s = 0;
  for (std::int64_t i0 = 0; i0 < N; i0 += rows) {
    const std::int64_t ri = std::min(rows, N - i0);
    s = checked_add(s, checked_mul(u(ri), u(std::min(N, i0 + ri)), "row pass"), "row pass");
  }
  return s;
}

struct Builder {
  ClosedForm cf;
  void add(const std::string& name, DType dt, count_t r, count_t w) {
    for (auto& t : cf.tensors)
      if (t.name == name) {
        t.reads = checked_add(t.reads, r, "reads of " + name);
        t.writes = checked_add(t.writes, w, "writes of " + name);
        return;
      }
    cf.tensors.push_back({name, dt, r, w});
  }
  ClosedForm done() {
    sum_totals(cf);
    return cf;
  }
};

}  // namespace

count_t flash_rows_visited(std::int64_t N, std::int64_t Br, std::int64_t Bc, bool causal) {
  const std::int64_t Tc = ceil_div(N, Bc);
  if (!causal) return checked_mul(u(Tc), u(N), "T_c*N");
  count_t s = 0;
  for (std::int64_t j = 0; j < Tc; ++j) s = checked_add(s, u(N - Br * ((j * Bc) / Br)), "rows visited");
  return s;
}

count_t flash_cols_visited(std::int64_t N, std::int64_t Br, std::int64_t Bc, bool causal) {
  const std::int64_t Tr = ceil_div(N, Br);
  if (!causal) return checked_mul(u(Tr), u(N), "T_r*N");
  count_t s = 0;
  for (std::int64_t i = 0; i < Tr; ++i) {
    const std::int64_t end = std::min(N, i * Br + Br);  // i0 + r_i
    s = checked_add(s, u(std::min(N, Bc * ceil_div(end, Bc))), "columns visited");
  }
  return s;
}

count_t flash1_split_kv_rows(std::int64_t N, std::int64_t Br, std::int64_t Bc, bool causal, std::int64_t splits) {
  const std::int64_t S = splits > 0 ? splits : 1;
  if (!causal) return checked_mul(u(S), u(N), "S*N");
  // The splits' last Q blocks: [T_r - p - S, T_r - 2p - 1] and [T_r - p, T_r - 1], p = T_r mod S
  // (proofs/closed-forms.md, flash1 with splits).
  const std::int64_t Tr = ceil_div(N, Br), p = Tr % S;
  auto cols = [&](std::int64_t i) { return u(std::min(N, Bc * ceil_div(std::min(N, i * Br + Br), Bc))); };
  count_t s = 0;
  for (std::int64_t i = Tr - p - S; i <= Tr - 2 * p - 1; ++i) s = checked_add(s, cols(i), "K/V rows");
  for (std::int64_t i = Tr - p; i <= Tr - 1; ++i) s = checked_add(s, cols(i), "K/V rows");
  return s;
}

ClosedForm closed_form_flash1_fwd(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, DType dt,
                                  bool causal, std::int64_t splits) {
  const count_t S = flash_rows_visited(N, Br, Bc, causal);
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  const count_t dS = checked_mul(u(d), S, "d*sum R_j");
  const count_t kv = checked_mul(u(d), flash1_split_kv_rows(N, Br, Bc, causal, splits), "K/V reads");
  Builder b;
  b.add("Q", dt, dS, 0);
  b.add("K", dt, kv, 0);
  b.add("V", dt, kv, 0);
  b.add("O", dt, dS, checked_add(Nd, dS, "O writes"));
  b.add("l", DType::fp32, S, checked_add(u(N), S, "l writes"));
  b.add("m", DType::fp32, S, checked_add(u(N), S, "m writes"));
  return b.done();
}

ClosedForm closed_form_flash2_fwd(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, DType dt,
                                  bool causal) {
  const count_t C = flash_cols_visited(N, Br, Bc, causal);
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  const count_t dC = checked_mul(u(d), C, "d*sum C_i");
  Builder b;
  b.add("Q", dt, Nd, 0);
  b.add("K", dt, dC, 0);
  b.add("V", dt, dC, 0);
  b.add("O", dt, 0, Nd);
  b.add("L", DType::fp32, 0, u(N));
  return b.done();
}

ClosedForm closed_form_standard_fwd(const sim::Plan& p) {
  const std::int64_t N = p.N, d = p.d, t = p.gemm_tile;
  if (t < 1) throw sim::CapacityError("M = " + std::to_string(p.M) + " elements is too small for standard attention");
  const auto g1 = gemm_count(N, N, d, sim::gemm_tiles(N, N, d, t), p.causal ? Mask::c_lower : Mask::none);
  const auto g3 = gemm_count(N, d, N, sim::gemm_tiles(N, d, N, t), p.causal ? Mask::a_lower : Mask::none);
  const count_t sm = rowwise_elems(N, p.softmax_rows, p.softmax_passes, p.causal);
  Builder b;
  b.add("Q", p.dtype, g1.a, 0);
  b.add("K", p.dtype, g1.b, 0);
  b.add("V", p.dtype, g3.b, 0);
  b.add("S", p.dtype, p.softmax_passes == 2 ? checked_mul(2, sm, "S reads") : sm, g1.c);
  b.add("P", p.dtype, g3.a, sm);
  b.add("O", p.dtype, 0, g3.c);
  return b.done();
}

ClosedForm closed_form_flash1_bwd(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, DType dt,
                                  bool causal) {
  const count_t S = flash_rows_visited(N, Br, Bc, causal);
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  const count_t dS = checked_mul(u(d), S, "d*sum R_j");
  Builder b;
  b.add("Q", dt, dS, 0);
  b.add("K", dt, Nd, 0);
  b.add("V", dt, Nd, 0);
  b.add("dO", dt, dS, 0);
  b.add("O", dt, dS, 0);
  b.add("l", DType::fp32, S, 0);
  b.add("m", DType::fp32, S, 0);
  b.add("dQ", dt, dS, checked_add(Nd, dS, "dQ writes"));
  b.add("dK", dt, 0, Nd);
  b.add("dV", dt, 0, Nd);
  return b.done();
}

ClosedForm closed_form_flash2_bwd(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, DType dt,
                                  bool causal) {
  const count_t S = flash_rows_visited(N, Br, Bc, causal);
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  const count_t dS = checked_mul(u(d), S, "d*sum R_j");
  Builder b;
  b.add("Q", dt, dS, 0);
  b.add("K", dt, Nd, 0);
  b.add("V", dt, Nd, 0);
  b.add("dO", dt, checked_add(Nd, dS, "dO reads"), 0);
  b.add("O", dt, Nd, 0);
  b.add("L", DType::fp32, S, 0);
  b.add("D", DType::fp32, S, u(N));
  b.add("dQ", dt, dS, checked_add(Nd, dS, "dQ writes"));
  b.add("dK", dt, 0, Nd);
  b.add("dV", dt, 0, Nd);
  return b.done();
}

ClosedForm closed_form_standard_bwd(const sim::Plan& p) {
  const std::int64_t N = p.N, d = p.d, t = p.gemm_tile;
  if (t < 1) throw sim::CapacityError("M = " + std::to_string(p.M) + " elements is too small for standard attention");
  const bool c = p.causal;
  const auto nd = sim::gemm_tiles(N, d, N, t), nn = sim::gemm_tiles(N, N, d, t);
  const auto gv = gemm_count(N, d, N, nd, c ? Mask::a_upper : Mask::none);  // dV = P^T dO
  const auto gp = gemm_count(N, N, d, nn, c ? Mask::c_lower : Mask::none);  // dP = dO V^T
  const auto gq = gemm_count(N, d, N, nd, c ? Mask::a_lower : Mask::none);  // dQ = dS K
  const auto gk = gemm_count(N, d, N, nd, c ? Mask::a_upper : Mask::none);  // dK = dS^T Q
  const count_t ds = rowwise_elems(N, p.dsoftmax_rows, p.dsoftmax_passes, c);
  const count_t ds_reads = p.dsoftmax_passes == 2 ? checked_mul(2, ds, "dS stage reads") : ds;
  Builder b;
  b.add("Q", p.dtype, gk.b, 0);
  b.add("K", p.dtype, gq.b, 0);
  b.add("V", p.dtype, gp.b, 0);
  b.add("dO", p.dtype, checked_add(gv.b, gp.a, "dO reads"), 0);
  b.add("P", p.dtype, checked_add(gv.a, ds_reads, "P reads"), 0);
  b.add("dV", p.dtype, 0, gv.c);
  b.add("dP", p.dtype, ds_reads, gp.c);
  b.add("dS", p.dtype, checked_add(gq.a, gk.a, "dS reads"), ds);
  b.add("dQ", p.dtype, 0, gq.c);
  b.add("dK", p.dtype, 0, gk.c);
  return b.done();
}

}  // namespace iolab::analysis
