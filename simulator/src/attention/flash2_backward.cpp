// FlashAttention-2 backward order (Dao 2023, Algorithm 2):
//   D = rowsum(dO o O): for each Q block i, load O_i, dO_i, write D_i (fp32)
//   dQ = 0 initialised in HBM (counted as writes)
//   for each K/V block j (outer): load K_j, V_j; dK_j = 0, dV_j = 0 on chip
//     for each Q block i (inner): load Q_i, dO_i, dQ_i, L_i, D_i
//       S = scale Q_i K_j^T; P = exp(S - L_i)        (L = m + log l, one fp32 per row)
//       dV_j += P^T dO_i; dP = dO_i V_j^T; dS = P o (dP - D_i)
//       write dQ_i <- dQ_i + scale dS K_j;  dK_j += scale dS^T Q_i
//     write dK_j, dV_j
// Against Algorithm 4 it reads the log-sum-exp L instead of l and m and the
// precomputed D instead of O in the inner loop: O is read once, not T_c times.
// Causal: inner iterations whose block lies entirely above the diagonal are
// skipped; in crossing blocks P_xy = 0 for key y > query x.
#include <algorithm>
#include <cmath>

#include "iolab/sim/attention/algorithm.hpp"

namespace iolab::sim {

count_t flash2_backward_working_set(std::int64_t br, std::int64_t bc, std::int64_t d) {
  const auto r = static_cast<count_t>(br), c = static_cast<count_t>(bc), dd = static_cast<count_t>(d);
  return 4 * c * dd + 3 * r * dd + 2 * r * c + 2 * r;
}

Gradients run_flash2_backward(Machine& m, const Plan& plan, const BackwardIO& io) {
  const std::int64_t N = plan.N, d = plan.d, br = plan.bwd_br, bc = plan.bwd_bc;
  HbmTensor &Q = *io.Q, &K = *io.K, &V = *io.V, &O = *io.O, &dO = *io.dO, &L = *io.L;
  auto& D = m.hbm_tensor("D", N, 1, DType::fp32);
  auto& dQ = m.hbm_tensor("dQ", N, d, plan.dtype);
  auto& dK = m.hbm_tensor("dK", N, d, plan.dtype);
  auto& dV = m.hbm_tensor("dV", N, d, plan.dtype);
  const bool compute = m.computes();
  const double tau = plan.scale;

  {  // pre-pass: D = rowsum(dO o O)
    auto O_i = m.sram_tile("O_i", br, d);
    auto dO_i = m.sram_tile("dO_i", br, d);
    auto D_i = m.sram_tile("D_i", br, 1);
    for (std::int64_t i0 = 0; i0 < N; i0 += br) {
      const std::int64_t ri = std::min(br, N - i0);
      m.load(O_i, O.rows_view(i0, ri));
      m.load(dO_i, dO.rows_view(i0, ri));
      D_i.set_extent(ri, 1);
      if (compute)
        for (std::int64_t r = 0; r < ri; ++r) {
          double s = 0.0;
          for (std::int64_t x = 0; x < d; ++x) s += dO_i(r, x) * O_i(r, x);
          D_i(r, 0) = s;
        }
      m.store(D.rows_view(i0, ri), D_i);
    }
  }

  auto K_j = m.sram_tile("K_j", bc, d);
  auto V_j = m.sram_tile("V_j", bc, d);
  auto dK_j = m.sram_tile("dK_j", bc, d);
  auto dV_j = m.sram_tile("dV_j", bc, d);
  auto Q_i = m.sram_tile("Q_i", br, d);
  auto dO_i = m.sram_tile("dO_i", br, d);
  auto dQ_i = m.sram_tile("dQ_i", br, d);
  auto P_ij = m.sram_tile("P_ij", br, bc);
  auto dS_ij = m.sram_tile("dS_ij", br, bc);
  auto L_i = m.sram_tile("L_i", br, 1);
  auto D_i = m.sram_tile("D_i", br, 1);

  for (std::int64_t i0 = 0; i0 < N; i0 += br) {  // dQ = 0 in HBM
    const std::int64_t ri = std::min(br, N - i0);
    dQ_i.set_extent(ri, d);
    dQ_i.fill(0.0);
    m.store(dQ.rows_view(i0, ri), dQ_i);
  }

  for (std::int64_t j0 = 0; j0 < N; j0 += bc) {
    const std::int64_t cj = std::min(bc, N - j0);
    m.load(K_j, K.rows_view(j0, cj));
    m.load(V_j, V.rows_view(j0, cj));
    dK_j.set_extent(cj, d);
    dV_j.set_extent(cj, d);
    dK_j.fill(0.0);
    dV_j.fill(0.0);
    for (std::int64_t i0 = 0; i0 < N; i0 += br) {
      const std::int64_t ri = std::min(br, N - i0);
      if (plan.causal && block_above_diagonal(i0, ri, j0)) continue;
      m.load(Q_i, Q.rows_view(i0, ri));
      m.load(dO_i, dO.rows_view(i0, ri));
      m.load(dQ_i, dQ.rows_view(i0, ri));
      m.load(L_i, L.rows_view(i0, ri));
      m.load(D_i, D.rows_view(i0, ri));
      if (compute) {
        P_ij.set_extent(ri, cj);
        dS_ij.set_extent(ri, cj);
        for (std::int64_t r = 0; r < ri; ++r)
          for (std::int64_t c = 0; c < cj; ++c) {
            if (plan.causal && j0 + c > i0 + r) {
              P_ij(r, c) = 0.0;
              dS_ij(r, c) = 0.0;
              continue;
            }
            double s = 0.0, dp = 0.0;
            for (std::int64_t x = 0; x < d; ++x) {
              s += Q_i(r, x) * K_j(c, x);
              dp += dO_i(r, x) * V_j(c, x);
            }
            const double p = std::exp(tau * s - L_i(r, 0));
            P_ij(r, c) = p;
            dS_ij(r, c) = p * (dp - D_i(r, 0));
          }
        for (std::int64_t c = 0; c < cj; ++c)
          for (std::int64_t x = 0; x < d; ++x) {
            double dv = 0.0, dk = 0.0;
            for (std::int64_t r = 0; r < ri; ++r) {
              dv += P_ij(r, c) * dO_i(r, x);
              dk += dS_ij(r, c) * Q_i(r, x);
            }
            dV_j(c, x) += dv;
            dK_j(c, x) += tau * dk;
          }
        for (std::int64_t r = 0; r < ri; ++r)
          for (std::int64_t x = 0; x < d; ++x) {
            double dq = 0.0;
            for (std::int64_t c = 0; c < cj; ++c) dq += dS_ij(r, c) * K_j(c, x);
            dQ_i(r, x) += tau * dq;
          }
      }
      m.store(dQ.rows_view(i0, ri), dQ_i);
    }
    m.store(dK.rows_view(j0, cj), dK_j);
    m.store(dV.rows_view(j0, cj), dV_j);
  }
  return {&dQ, &dK, &dV};
}

}  // namespace iolab::sim
