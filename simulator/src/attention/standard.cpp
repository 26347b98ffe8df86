// Algorithm 0 of the paper: standard attention, with S and P in HBM.
//
//   1. S = scale * Q K^T   (tiled GEMM, S written to HBM)
//   2. P = softmax(S)      (row blocks; S read, P written)
//   3. O = P V             (tiled GEMM, O written to HBM)
//
// Every stage respects M. GEMM tiles are t x t x t with t = floor(sqrt(M/3))
// capped by the extents (see tiled_gemm.hpp). The softmax takes
// r = floor(M / (N + 2)) whole rows of S at a time (the row and its max and
// sum); when not even one row fits (N + 2 > M) it falls back to two passes per
// row over chunks of M - 2 columns: pass 1 computes the row's max and sum
// online, pass 2 reads S again and writes P. That costs one extra read of S.
//
// Causal: S tiles entirely above the diagonal are not computed or stored; the
// softmax of a block of rows [i0, i0+r) reads and writes only columns
// [0, min(N, i0+r)) (one row i: [0, i+1) in the two-pass case), masking keys
// after the query; O = P V uses only the k range [0, min(N, i0+t)) of each
// row block (see masked_gemm.hpp). The backward pass is in
// standard_backward.cpp.
#include <algorithm>
#include <cmath>
#include <limits>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/masked_gemm.hpp"
#include "iolab/sim/attention/tiled_gemm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {

Plan plan_standard(const AttentionProblem& p) {
  validate_common(p);
  refuse_mask(p, "standard");
  if (p.br || p.bc) throw InputError("--br/--bc apply to flash1 and flash2; standard chooses its GEMM tiles from M");
  Plan plan = start_plan(p, "standard");
  plan.gemm_tile = square_tile_for(p.M);
  if (plan.gemm_tile < 1)
    throw CapacityError("M = " + std::to_string(p.M) +
                        " elements is too small for standard attention: its smallest GEMM tiles (1x1x1) need 3");
  const auto rows_fit = static_cast<count_t>(p.M) / (static_cast<count_t>(p.N) + 2);
  if (rows_fit >= 1) {
    plan.softmax_rows = static_cast<std::int64_t>(std::min<count_t>(rows_fit, static_cast<count_t>(p.N)));
    plan.softmax_chunk = p.N;
    plan.softmax_passes = 1;
  } else {
    plan.softmax_rows = 1;
    plan.softmax_chunk = static_cast<std::int64_t>(std::min<count_t>(p.M - 2, static_cast<count_t>(p.N)));
    plan.softmax_passes = 2;
  }
  const GemmTiles g1 = gemm_tiles(p.N, p.N, p.d, plan.gemm_tile);
  const GemmTiles g3 = gemm_tiles(p.N, p.d, p.N, plan.gemm_tile);
  plan.br = g1.tm;
  plan.bc = g1.tn;
  const count_t softmax_ws =
      static_cast<count_t>(plan.softmax_rows) * static_cast<count_t>(plan.softmax_chunk) +
      2 * static_cast<count_t>(plan.softmax_rows);
  plan.working_set = std::max({g1.working_set(), softmax_ws, g3.working_set()});
  plan.pass = p.pass;
  plan.causal = p.causal;
  plan.fwd_working_set = has_forward(p.pass) ? plan.working_set : 0;
  if (has_backward(p.pass)) {
    // dS = P o (dP - D): r rows of P and of dP and their D when a row pair fits.
    const auto pair_rows = static_cast<count_t>(p.M) / (2 * static_cast<count_t>(p.N) + 1);
    if (pair_rows >= 1) {
      plan.dsoftmax_rows = static_cast<std::int64_t>(std::min<count_t>(pair_rows, static_cast<count_t>(p.N)));
      plan.dsoftmax_chunk = p.N;
      plan.dsoftmax_passes = 1;
    } else {
      plan.dsoftmax_rows = 1;
      plan.dsoftmax_chunk = static_cast<std::int64_t>(std::min<count_t>((p.M - 1) / 2, static_cast<count_t>(p.N)));
      plan.dsoftmax_passes = 2;
    }
    const count_t ds_ws = 2 * static_cast<count_t>(plan.dsoftmax_rows) * static_cast<count_t>(plan.dsoftmax_chunk) +
                          static_cast<count_t>(plan.dsoftmax_rows);
    // dV = P^T dO and dQ, dK have the shape of O = P V; dP = dO V^T that of S = Q K^T.
    plan.bwd_working_set = std::max({g1.working_set(), g3.working_set(), ds_ws});
  }
  plan.working_set = std::max(plan.fwd_working_set, plan.bwd_working_set);
  return plan;
}

namespace {

void softmax_stage(Machine& m, const Plan& plan, HbmTensor& S, HbmTensor& P) {
  const std::int64_t N = plan.N;
  const bool compute = m.computes();
  if (plan.softmax_passes == 1) {
    const std::int64_t r = plan.softmax_rows;
    auto rows = m.sram_tile("S_rows", r, N);
    auto stats = m.sram_tile("row_max_sum", r, 2);
    for (std::int64_t i0 = 0; i0 < N; i0 += r) {
      const std::int64_t ri = std::min(r, N - i0);
      const std::int64_t w = plan.causal ? std::min(N, i0 + ri) : N;
      m.load(rows, S.view(i0, ri, 0, w));
      if (compute) {
        stats.set_extent(ri, 2);
        for (std::int64_t a = 0; a < ri; ++a) {
          const std::int64_t valid = plan.causal ? i0 + a + 1 : N;  // columns [0, valid) are unmasked
          double mx = -std::numeric_limits<double>::infinity();
          for (std::int64_t c = 0; c < valid; ++c) mx = std::max(mx, rows(a, c));
          double sum = 0.0;
          for (std::int64_t c = 0; c < valid; ++c) sum += (rows(a, c) = std::exp(rows(a, c) - mx));
          stats(a, 0) = mx;
          stats(a, 1) = sum;
          for (std::int64_t c = 0; c < valid; ++c) rows(a, c) /= sum;
          for (std::int64_t c = valid; c < w; ++c) rows(a, c) = 0.0;
        }
      }
      m.store(P.view(i0, ri, 0, w), rows);
    }
    return;
  }
  // Two passes per row: a row of S does not fit in SRAM.
  const std::int64_t w = plan.softmax_chunk;
  auto chunk = m.sram_tile("S_chunk", 1, w);
  auto stats = m.sram_tile("row_max_sum", 1, 2);
  for (std::int64_t i = 0; i < N; ++i) {
    const std::int64_t cols = plan.causal ? i + 1 : N;
    double mx = -std::numeric_limits<double>::infinity(), sum = 0.0;
    for (std::int64_t c0 = 0; c0 < cols; c0 += w) {  // pass 1: online max and sum
      const std::int64_t wc = std::min(w, cols - c0);
      m.load(chunk, S.view(i, 1, c0, wc));
      if (compute) {
        double cmx = mx;
        for (std::int64_t c = 0; c < wc; ++c) cmx = std::max(cmx, chunk(0, c));
        double csum = 0.0;
        for (std::int64_t c = 0; c < wc; ++c) csum += std::exp(chunk(0, c) - cmx);
        sum = sum * std::exp(mx - cmx) + csum;
        mx = cmx;
        stats(0, 0) = mx;
        stats(0, 1) = sum;
      }
    }
    for (std::int64_t c0 = 0; c0 < cols; c0 += w) {  // pass 2: normalise and write P
      const std::int64_t wc = std::min(w, cols - c0);
      m.load(chunk, S.view(i, 1, c0, wc));
      if (compute)
        for (std::int64_t c = 0; c < wc; ++c) chunk(0, c) = std::exp(chunk(0, c) - mx) / sum;
      m.store(P.view(i, 1, c0, wc), chunk);
    }
  }
}

}  // namespace

HbmTensor& run_standard(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V) {
  const std::int64_t N = plan.N, d = plan.d;
  auto& S = m.hbm_tensor("S", N, N, plan.dtype);
  auto& P = m.hbm_tensor("P", N, N, plan.dtype);
  auto& O = m.hbm_tensor("O", N, d, plan.dtype);
  // Stage 1: S = scale * Q K^T (K stored N x d, i.e. transposed operand).
  masked_gemm(m, S, {&Q, false, "Q_tile"}, {&K, true, "K_tile"}, plan.scale, gemm_tiles(N, N, d, plan.gemm_tile),
              plan.causal ? GemmMask::c_lower : GemmMask::none, "S_tile");
  // Stage 2: P = softmax(S), row by row.
  softmax_stage(m, plan, S, P);
  // Stage 3: O = P V.
  masked_gemm(m, O, {&P, false, "P_tile"}, {&V, false, "V_tile"}, 1.0, gemm_tiles(N, d, N, plan.gemm_tile),
              plan.causal ? GemmMask::a_lower : GemmMask::none, "O_tile");
  return O;
}

}  // namespace iolab::sim
