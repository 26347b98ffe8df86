// Rabe and Staats, "Self-attention Does Not Need O(n^2) Memory" (2021), as its
// JAX implementation schedules it: an outer scan over query chunks (C_q rows,
// default 1024) and, inside, a map over key chunks (C_k keys, default 4096).
// Each (query chunk, key chunk) pair is summarised independently and the
// summaries of a query chunk are combined at the end:
//   for each query chunk q:
//     for each key chunk k:
//       1. S_chunk = scale Q_q K_k^T              (tiled GEMM, S_chunk in HBM)
//       2. m_k = rowmax S_chunk, P_chunk = exp(S_chunk - m_k), w_k = rowsum P_chunk
//          (row blocks; S_chunk read, P_chunk written, m_k and w_k stored as summaries)
//       3. V_sum[k] = P_chunk V_k                 (tiled GEMM, the chunk's exp_values)
//     4. combine: L = max_k m_k;  O_q = sum_k e^(m_k - L) V_sum[k] / sum_k e^(m_k - L) w_k
//        (row blocks, folding the key chunks online), O_q stored
// The intermediates are chunk-sized: S_chunk and P_chunk hold C_q x C_k
// elements and the summaries T_k C_q (d + 2), against the N x N of standard
// attention: the memory footprint no longer grows as N^2. But every element
// of S and P still goes to HBM and back (now one chunk at a time), so the HBM
// traffic stays Theta(N^2 + N d (N/C_q + N/C_k)): saving memory is not saving
// traffic. Default chunks: C_q = min(1024, N), C_k = min(4096, N, M - 2).
// GEMM tiles are t x t x t with t = floor(sqrt(M/3)); stage 2 takes
// r = floor(M / (C_k + 2)) rows of a chunk (a row of a key chunk must fit),
// stage 4 takes r' = floor(M / (2d + 4)) rows.
// Causal: key chunks entirely after a query chunk are skipped (no summary),
// keys after the query are masked inside the chunks that cross the diagonal.
// The max, sums and summaries m_k, w_k are fp32 HBM tensors; V_sum (the
// chunks' exp_values) has the problem's dtype.
#include <algorithm>
#include <cmath>
#include <limits>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/masked_gemm.hpp"
#include "iolab/sim/attention/tiled_gemm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {

Plan plan_rabe_staats(const AttentionProblem& p) {
  validate_common(p);
  refuse_mask(p, "rabe_staats");
  if (p.br || p.bc) throw InputError("--br/--bc do not apply to rabe_staats; use --query-chunk and --key-chunk");
  if (has_backward(p.pass)) throw InputError("rabe_staats is simulated for the forward pass only (use --pass fwd)");
  Plan plan = start_plan(p, "rabe_staats");
  plan.query_chunk = std::min<std::int64_t>(p.query_chunk ? p.query_chunk : 1024, p.N);
  // The default key chunk is also capped so that a row of it (and its max and
  // sum) fits in SRAM; an explicit --key-chunk is taken as given.
  plan.key_chunk = std::min<std::int64_t>(p.key_chunk ? p.key_chunk : 4096, p.N);
  if (!p.key_chunk && p.M >= 3)
    plan.key_chunk = std::min<std::int64_t>(plan.key_chunk, static_cast<std::int64_t>(std::min<count_t>(p.M - 2, 4096)));
  plan.gemm_tile = square_tile_for(p.M);
  if (plan.gemm_tile < 1)
    throw CapacityError("M = " + std::to_string(p.M) + " elements is too small for rabe_staats: its GEMM tiles need 3");
  const auto ck = static_cast<count_t>(plan.key_chunk), dd = static_cast<count_t>(p.d);
  if (p.M < ck + 2)
    throw CapacityError("M = " + std::to_string(p.M) + " elements is too small for rabe_staats with key chunks of " +
                        std::to_string(plan.key_chunk) + ": a row of a chunk and its max and sum need " +
                        std::to_string(ck + 2) + " (use a smaller --key-chunk)");
  if (p.M < 2 * dd + 4)
    throw CapacityError("M = " + std::to_string(p.M) + " elements is too small for rabe_staats's combine stage: " +
                        std::to_string(2 * dd + 4) + " needed");
  plan.summary_rows = static_cast<std::int64_t>(std::min<count_t>(p.M / (ck + 2), static_cast<count_t>(plan.query_chunk)));
  plan.combine_rows = static_cast<std::int64_t>(std::min<count_t>(p.M / (2 * dd + 4), static_cast<count_t>(plan.query_chunk)));
  plan.br = plan.query_chunk;
  plan.bc = plan.key_chunk;
  const std::int64_t cq = plan.query_chunk, t = plan.gemm_tile;
  const count_t g1 = gemm_tiles(cq, plan.key_chunk, p.d, t).working_set();
  const count_t g3 = gemm_tiles(cq, p.d, plan.key_chunk, t).working_set();
  const count_t s2 = static_cast<count_t>(plan.summary_rows) * (ck + 2);
  const count_t s4 = static_cast<count_t>(plan.combine_rows) * (2 * dd + 4);
  plan.working_set = std::max({g1, g3, s2, s4});
  plan.fwd_working_set = plan.working_set;
  return plan;
}

HbmTensor& run_rabe_staats(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V) {
  const std::int64_t N = plan.N, d = plan.d, Cq = plan.query_chunk, Ck = plan.key_chunk, t = plan.gemm_tile;
  const std::int64_t Tk = ceil_div(N, Ck);
  auto& S_chunk = m.hbm_tensor("S_chunk", Cq, Ck, plan.dtype);
  auto& P_chunk = m.hbm_tensor("P_chunk", Cq, Ck, plan.dtype);
  auto& V_sum = m.hbm_tensor("V_sum", Tk * Cq, d, plan.dtype);
  auto& m_sum = m.hbm_tensor("m_sum", Tk * Cq, 1, DType::fp32);
  auto& w_sum = m.hbm_tensor("w_sum", Tk * Cq, 1, DType::fp32);
  auto& O = m.hbm_tensor("O", N, d, plan.dtype);
  const bool compute = m.computes();

  for (std::int64_t q0 = 0; q0 < N; q0 += Cq) {
    const std::int64_t cq = std::min(Cq, N - q0);
    // causal: key chunks entirely after the query chunk's last row are skipped
    const std::int64_t visited = plan.causal ? ceil_div(q0 + cq, Ck) : Tk;
    for (std::int64_t kc = 0; kc < visited; ++kc) {
      const std::int64_t k0 = kc * Ck, ck = std::min(Ck, N - k0);
      // 1. S_chunk = scale Q_q K_k^T
      masked_gemm(m, GemmOperand{&S_chunk, false, "", 0, cq, 0, ck}, GemmOperand{&Q, false, "Q_tile", q0, cq},
                  GemmOperand{&K, true, "K_tile", k0, ck}, plan.scale, gemm_tiles(cq, ck, d, t), GemmMask::none,
                  "S_tile");
      {  // 2. the chunk's summary statistics and exp weights
        const std::int64_t r = plan.summary_rows;
        auto rows = m.sram_tile("S_rows", r, Ck);
        auto mt = m.sram_tile("m_k", r, 1);
        auto wt = m.sram_tile("w_k", r, 1);
        for (std::int64_t i0 = 0; i0 < cq; i0 += r) {
          const std::int64_t ri = std::min(r, cq - i0);
          m.load(rows, S_chunk.view(i0, ri, 0, ck));
          mt.set_extent(ri, 1);
          wt.set_extent(ri, 1);
          if (compute)
            for (std::int64_t a = 0; a < ri; ++a) {
              constexpr double kNegInf = -std::numeric_limits<double>::infinity();
              const std::int64_t x = q0 + i0 + a;  // the query's position
              double mx = kNegInf;
              for (std::int64_t c = 0; c < ck; ++c) {
                if (plan.causal && k0 + c > x) rows(a, c) = kNegInf;
                mx = std::max(mx, rows(a, c));
              }
              double sum = 0.0;  // a row with every key of the chunk masked: m = -inf, w = 0, P = 0
              for (std::int64_t c = 0; c < ck; ++c)
                sum += (rows(a, c) = rows(a, c) == kNegInf ? 0.0 : std::exp(rows(a, c) - mx));
              mt(a, 0) = mx;
              wt(a, 0) = sum;
            }
          m.store(P_chunk.view(i0, ri, 0, ck), rows);
          m.store(m_sum.rows_view(kc * Cq + i0, ri), mt);
          m.store(w_sum.rows_view(kc * Cq + i0, ri), wt);
        }
      }
      // 3. V_sum[k] = P_chunk V_k
      masked_gemm(m, GemmOperand{&V_sum, false, "", kc * Cq, cq}, GemmOperand{&P_chunk, false, "P_tile", 0, cq, 0, ck},
                  GemmOperand{&V, false, "V_tile", k0, ck}, 1.0, gemm_tiles(cq, d, ck, t), GemmMask::none, "Vsum_tile");
    }
    // 4. combine the chunk summaries
    const std::int64_t r = plan.combine_rows;
    auto acc = m.sram_tile("O_rows", r, d);
    auto vs = m.sram_tile("V_sum_rows", r, d);
    auto mk = m.sram_tile("m_k", r, 1);
    auto wk = m.sram_tile("w_k", r, 1);
    auto big = m.sram_tile("max", r, 1);
    auto tot = m.sram_tile("sum", r, 1);
    for (std::int64_t i0 = 0; i0 < cq; i0 += r) {
      const std::int64_t ri = std::min(r, cq - i0);
      acc.set_extent(ri, d);
      big.set_extent(ri, 1);
      tot.set_extent(ri, 1);
      acc.fill(0.0);
      big.fill(-std::numeric_limits<double>::infinity());
      tot.fill(0.0);
      for (std::int64_t kc = 0; kc < visited; ++kc) {
        m.load(mk, m_sum.rows_view(kc * Cq + i0, ri));
        m.load(wk, w_sum.rows_view(kc * Cq + i0, ri));
        m.load(vs, V_sum.rows_view(kc * Cq + i0, ri));
        if (!compute) continue;
        for (std::int64_t a = 0; a < ri; ++a) {
          const double mnew = std::max(big(a, 0), mk(a, 0));  // finite: key chunk 0 holds key 0
          const double old = std::exp(big(a, 0) - mnew), w = std::exp(mk(a, 0) - mnew);
          tot(a, 0) = old * tot(a, 0) + w * wk(a, 0);
          for (std::int64_t x = 0; x < d; ++x) acc(a, x) = old * acc(a, x) + w * vs(a, x);
          big(a, 0) = mnew;
        }
      }
      if (compute)
        for (std::int64_t a = 0; a < ri; ++a)
          for (std::int64_t x = 0; x < d; ++x) acc(a, x) /= tot(a, 0);
      m.store(O.view(q0 + i0, ri, 0, d), acc);
    }
  }
  return O;
}

}  // namespace iolab::sim
