// Algorithm 3 of the paper (standard attention backward). It reads the P the
// forward pass stored in HBM (P is stored, not recomputed), and materialises
// dP and dS in HBM:
//   1. dV = P^T dO                      (tiled GEMM, P read transposed)
//   2. dP = dO V^T                      (tiled GEMM, dP written)
//   3. dS = P o (dP - D), D_x = sum_y P_xy dP_xy   (row blocks; P, dP read, dS written)
//   4. dQ = scale dS K                  (tiled GEMM)
//   5. dK = scale dS^T Q                (tiled GEMM, dS read transposed)
// GEMM tiles are t x t x t with t = floor(sqrt(M/3)) capped by the extents, as
// in the forward pass (masked_gemm.hpp gives the schedule and its exact
// counts). Stage 3 takes r = floor(M / (2N + 1)) whole rows of P and of dP at
// a time (and their D); when not even one pair of rows fits it makes two
// passes per row over chunks of w = floor((M - 1) / 2) columns of P and dP:
// pass 1 accumulates D, pass 2 reads both again and writes dS.
// Causal: dP is only computed on and below the diagonal, stage 3 touches the
// columns [0, min(N, i0 + r)) of a row block, and the GEMMs skip the k range
// where P^T, dS or dS^T is zero.
#include <algorithm>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/masked_gemm.hpp"
#include "iolab/sim/attention/tiled_gemm.hpp"

namespace iolab::sim {
namespace {

void dsoftmax_stage(Machine& m, const Plan& plan, HbmTensor& P, HbmTensor& dP, HbmTensor& dS) {
  const std::int64_t N = plan.N;
  const bool compute = m.computes();
  if (plan.dsoftmax_passes == 1) {
    const std::int64_t r = plan.dsoftmax_rows;
    auto P_rows = m.sram_tile("P_rows", r, N);
    auto dP_rows = m.sram_tile("dP_rows", r, N);  // becomes dS
    auto D_rows = m.sram_tile("D_rows", r, 1);
    for (std::int64_t i0 = 0; i0 < N; i0 += r) {
      const std::int64_t ri = std::min(r, N - i0);
      const std::int64_t w = plan.causal ? std::min(N, i0 + ri) : N;
      m.load(P_rows, P.view(i0, ri, 0, w));
      m.load(dP_rows, dP.view(i0, ri, 0, w));
      if (compute) {
        D_rows.set_extent(ri, 1);
        for (std::int64_t a = 0; a < ri; ++a) {
          const std::int64_t valid = plan.causal ? i0 + a + 1 : N;
          double D = 0.0;
          for (std::int64_t c = 0; c < valid; ++c) D += P_rows(a, c) * dP_rows(a, c);
          D_rows(a, 0) = D;
          for (std::int64_t c = 0; c < valid; ++c) dP_rows(a, c) = P_rows(a, c) * (dP_rows(a, c) - D);
          for (std::int64_t c = valid; c < w; ++c) dP_rows(a, c) = 0.0;
        }
      }
      m.store(dS.view(i0, ri, 0, w), dP_rows);
    }
    return;
  }
  const std::int64_t w = plan.dsoftmax_chunk;
  auto P_chunk = m.sram_tile("P_chunk", 1, w);
  auto dP_chunk = m.sram_tile("dP_chunk", 1, w);  // becomes dS
  auto D_row = m.sram_tile("D_row", 1, 1);
  for (std::int64_t i = 0; i < N; ++i) {
    const std::int64_t cols = plan.causal ? i + 1 : N;
    double D = 0.0;
    for (std::int64_t c0 = 0; c0 < cols; c0 += w) {  // pass 1: D = sum P dP
      const std::int64_t wc = std::min(w, cols - c0);
      m.load(P_chunk, P.view(i, 1, c0, wc));
      m.load(dP_chunk, dP.view(i, 1, c0, wc));
      if (compute) {
        for (std::int64_t c = 0; c < wc; ++c) D += P_chunk(0, c) * dP_chunk(0, c);
        D_row(0, 0) = D;
      }
    }
    for (std::int64_t c0 = 0; c0 < cols; c0 += w) {  // pass 2: dS = P (dP - D)
      const std::int64_t wc = std::min(w, cols - c0);
      m.load(P_chunk, P.view(i, 1, c0, wc));
      m.load(dP_chunk, dP.view(i, 1, c0, wc));
      if (compute)
        for (std::int64_t c = 0; c < wc; ++c) dP_chunk(0, c) = P_chunk(0, c) * (dP_chunk(0, c) - D);
      m.store(dS.view(i, 1, c0, wc), dP_chunk);
    }
  }
}

}  // namespace

Gradients run_standard_backward(Machine& m, const Plan& plan, const BackwardIO& io) {
  const std::int64_t N = plan.N, d = plan.d, t = plan.gemm_tile;
  HbmTensor &Q = *io.Q, &K = *io.K, &V = *io.V, &dO = *io.dO, &P = *io.P;
  auto& dV = m.hbm_tensor("dV", N, d, plan.dtype);
  auto& dP = m.hbm_tensor("dP", N, N, plan.dtype);
  auto& dS = m.hbm_tensor("dS", N, N, plan.dtype);
  auto& dQ = m.hbm_tensor("dQ", N, d, plan.dtype);
  auto& dK = m.hbm_tensor("dK", N, d, plan.dtype);
  const bool c = plan.causal;
  const GemmTiles nd = gemm_tiles(N, d, N, t), nn = gemm_tiles(N, N, d, t);
  // 1. dV = P^T dO
  masked_gemm(m, dV, {&P, true, "P_tile"}, {&dO, false, "dO_tile"}, 1.0, nd, c ? GemmMask::a_upper : GemmMask::none,
              "dV_tile");
  // 2. dP = dO V^T
  masked_gemm(m, dP, {&dO, false, "dO_tile"}, {&V, true, "V_tile"}, 1.0, nn, c ? GemmMask::c_lower : GemmMask::none,
              "dP_tile");
  // 3. dS = P o (dP - D)
  dsoftmax_stage(m, plan, P, dP, dS);
  // 4. dQ = scale dS K
  masked_gemm(m, dQ, {&dS, false, "dS_tile"}, {&K, false, "K_tile"}, plan.scale, nd,
              c ? GemmMask::a_lower : GemmMask::none, "dQ_tile");
  // 5. dK = scale dS^T Q
  masked_gemm(m, dK, {&dS, true, "dS_tile"}, {&Q, false, "Q_tile"}, plan.scale, nd,
              c ? GemmMask::a_upper : GemmMask::none, "dK_tile");
  return {&dQ, &dK, &dV};
}

}  // namespace iolab::sim
