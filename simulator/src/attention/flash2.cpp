// FlashAttention-2 loop order (Dao 2023, Algorithm 1):
//   for each Q block i (outer): load Q_i; O_i = 0, l_i = 0, m_i = -inf on chip
//     for each K/V block j (inner): load K_j, V_j
//       S = scale Q_i K_j^T; m_new = max(m_i, rowmax S); P = exp(S - m_new)
//       l_i = e^(m_i - m_new) l_i + rowsum P; O_i = diag(e^(m_i - m_new)) O_i + P V_j
//     O_i = diag(l_i)^-1 O_i; L_i = m_i + log l_i; write O_i and L_i once
// L (the log-sum-exp kept for the backward pass) is an fp32 HBM tensor.
// Causal: for Q block i only the K/V blocks j with j0 <= i0 + ri - 1 are
// loaded (the others lie entirely above the diagonal); in blocks that cross
// it, S_xy = -inf for key y > query x. Block-sparse: zero blocks of the mask
// are skipped the same way.
#include <algorithm>
#include <cmath>
#include <limits>

#include "flash_blocks.hpp"
#include "iolab/sim/attention/algorithm.hpp"

namespace iolab::sim {

count_t flash2_working_set(std::int64_t br, std::int64_t bc, std::int64_t d) {
  const auto r = static_cast<count_t>(br), c = static_cast<count_t>(bc), dd = static_cast<count_t>(d);
  return 2 * r * dd + 2 * c * dd + r * c + 2 * r;
}

Plan plan_flash2(const AttentionProblem& p) {
  validate_common(p);
  Plan plan = start_plan(p, "flash2");
  detail::choose_flash_blocks(p, plan, &flash2_working_set, /*large_is_bc=*/false);
  detail::plan_passes(p, plan, &flash2_backward_working_set);
  return plan;
}

HbmTensor& run_flash2(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V) {
  const std::int64_t N = plan.N, d = plan.d, br = plan.br, bc = plan.bc;
  auto& O = m.hbm_tensor("O", N, d, plan.dtype);
  auto& L = m.hbm_tensor("L", N, 1, DType::fp32);

  auto Q_i = m.sram_tile("Q_i", br, d);
  auto O_i = m.sram_tile("O_i", br, d);
  auto K_j = m.sram_tile("K_j", bc, d);
  auto V_j = m.sram_tile("V_j", bc, d);
  auto S_ij = m.sram_tile("S_ij", br, bc);
  auto m_i = m.sram_tile("m_i", br, 1);  // running max; holds L_i = m_i + log l_i at the end
  auto l_i = m.sram_tile("l_i", br, 1);
  const bool compute = m.computes();
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();

  for (std::int64_t i0 = 0; i0 < N; i0 += br) {
    const std::int64_t ri = std::min(br, N - i0);
    m.load(Q_i, Q.rows_view(i0, ri));
    O_i.set_extent(ri, d);
    m_i.set_extent(ri, 1);
    l_i.set_extent(ri, 1);
    O_i.fill(0.0);
    m_i.fill(kNegInf);
    l_i.fill(0.0);
    for (std::int64_t j0 = 0; j0 < N; j0 += bc) {
      const std::int64_t cj = std::min(bc, N - j0);
      if (detail::skip_block(plan, i0, ri, j0, br, bc)) continue;  // causal, or a zero block of the mask
      m.load(K_j, K.rows_view(j0, cj));
      m.load(V_j, V.rows_view(j0, cj));
      if (compute) {
        S_ij.set_extent(ri, cj);
        for (std::int64_t r = 0; r < ri; ++r) {
          double m_new = m_i(r, 0);
          for (std::int64_t c = 0; c < cj; ++c) {
            double s = 0.0;
            for (std::int64_t x = 0; x < d; ++x) s += Q_i(r, x) * K_j(c, x);
            S_ij(r, c) = plan.causal && j0 + c > i0 + r ? kNegInf : plan.scale * s;
            m_new = std::max(m_new, S_ij(r, c));
          }
          double row_sum = 0.0;  // the row's first visited block holds an unmasked key: m_new is finite
          for (std::int64_t c = 0; c < cj; ++c) row_sum += (S_ij(r, c) = std::exp(S_ij(r, c) - m_new));
          const double alpha = std::exp(m_i(r, 0) - m_new);
          l_i(r, 0) = alpha * l_i(r, 0) + row_sum;
          for (std::int64_t x = 0; x < d; ++x) {
            double pv = 0.0;
            for (std::int64_t c = 0; c < cj; ++c) pv += S_ij(r, c) * V_j(c, x);
            O_i(r, x) = alpha * O_i(r, x) + pv;
          }
          m_i(r, 0) = m_new;
        }
      }
    }
    if (compute)
      for (std::int64_t r = 0; r < ri; ++r) {
        for (std::int64_t x = 0; x < d; ++x) O_i(r, x) /= l_i(r, 0);
        m_i(r, 0) += std::log(l_i(r, 0));
      }
    m.store(O.rows_view(i0, ri), O_i);
    m.store(L.rows_view(i0, ri), m_i);
  }
  return O;
}

}  // namespace iolab::sim
