// Algorithm 1 of the paper (FlashAttention forward), literally:
//   line 2:  O = 0, l = 0, m = -inf initialised in HBM (counted as writes)
//   line 5:  for each K/V block j (outer)
//   line 6:    load K_j, V_j
//   line 7:    for each Q block i (inner)
//   line 8:      load Q_i, O_i, l_i, m_i
//   line 9-11:   S_ij = scale Q_i K_j^T, m~ = rowmax, P~ = exp(S - m~), l~ = rowsum,
//                m_new = max(m_i, m~), l_new = e^(m_i-m_new) l_i + e^(m~-m_new) l~
//   line 12:     write O_i = diag(l_new)^-1 (diag(l_i) e^(m_i-m_new) O_i + e^(m~-m_new) P~ V_j)
//   line 13:     write l_i = l_new, m_i = m_new
// The statistics l and m are fp32 HBM tensors whatever the input dtype.
// Block-sparse (Algorithm 5): the same, with inner iterations of zero blocks
// of the mask skipped (line 8: "if M_ij != 0"); K_j, V_j are still loaded.
// Causal: inner iterations whose block (i, j) lies entirely above the diagonal
// are skipped (Q_i, O_i, l_i, m_i not loaded, nothing stored); in blocks that
// cross it, S_xy = -inf for key y > query x.
// Splits (plan.splits = S >= 1; 1 is the paper's schedule): the Q blocks are
// divided among S thread blocks in the CUDA kernel's "snake" order
// (iolab/kernels/tiling.hpp: flash1_q_block, flash1_split_q_blocks).  The
// splits run one after another here, each with the whole SRAM (each models one
// thread block): split s initialises its own rows of O, l, m (line 2), then
// runs the loop over K/V blocks j with the inner loop over ITS Q blocks only.
// So K and V are read once per split; under a causal mask a split stops (as
// the kernel does) after the last K/V block that its last Q block reaches.
#include <algorithm>
#include <cmath>
#include <limits>

#include "flash_blocks.hpp"
#include "iolab/kernels/tiling.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {

count_t flash1_working_set(std::int64_t br, std::int64_t bc, std::int64_t d) {
  const auto r = static_cast<count_t>(br), c = static_cast<count_t>(bc), dd = static_cast<count_t>(d);
  return 2 * c * dd + 2 * r * dd + r * c + 4 * r;
}

Plan plan_flash1(const AttentionProblem& p) {
  validate_common(p);
  Plan plan = start_plan(p, "flash1");
  detail::choose_flash_blocks(p, plan, &flash1_working_set, /*large_is_bc=*/true);
  detail::plan_passes(p, plan, &flash1_backward_working_set);
  plan.splits = p.splits > 0 ? p.splits : 1;
  if (plan.splits > 1) {
    const std::string S = std::to_string(plan.splits);
    if (!p.mask.empty())
      throw InputError("--splits " + S + " applies to dense flash1 (causal or not), not to a block-sparse --mask");
    if (!has_forward(p.pass))
      throw InputError("--splits " + S + " splits the forward pass of flash1; --pass bwd has no forward");
    const std::int64_t t_r = ceil_div(p.N, plan.br);
    if (plan.splits > t_r)
      throw InputError("--splits " + S + " exceeds the T_r = ceil(N/B_r) = " + std::to_string(t_r) +
                       " Q blocks of flash1 (B_r = " + std::to_string(plan.br) + "); every split needs one");
  }
  return plan;
}

HbmTensor& run_flash1(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V) {
  const std::int64_t N = plan.N, d = plan.d, br = plan.br, bc = plan.bc;
  auto& O = m.hbm_tensor("O", N, d, plan.dtype);
  auto& l = m.hbm_tensor("l", N, 1, DType::fp32);
  auto& mx = m.hbm_tensor("m", N, 1, DType::fp32);

  auto K_j = m.sram_tile("K_j", bc, d);
  auto V_j = m.sram_tile("V_j", bc, d);
  auto Q_i = m.sram_tile("Q_i", br, d);
  auto O_i = m.sram_tile("O_i", br, d);
  auto S_ij = m.sram_tile("S_ij", br, bc);
  auto l_i = m.sram_tile("l_i", br, 1);
  auto m_i = m.sram_tile("m_i", br, 1);
  auto lt = m.sram_tile("l~_ij", br, 1);
  auto mt = m.sram_tile("m~_ij", br, 1);
  const bool compute = m.computes();
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();

  const std::int64_t splits = plan.splits > 0 ? plan.splits : 1;
  const std::int64_t t_r = ceil_div(N, br);
  for (std::int64_t split = 0; split < splits; ++split) {
    const std::int64_t my_blocks = kernels::flash1_split_q_blocks(split, splits, t_r);
    auto first_row = [&](std::int64_t round) { return kernels::flash1_q_block(split, splits, round) * br; };
    const std::int64_t last_row = std::min(N, first_row(my_blocks - 1) + br) - 1;  // of this split's last Q block

    // Line 2: initialise this split's rows of O, l, m in HBM.
    for (std::int64_t r = 0; r < my_blocks; ++r) {
      const std::int64_t i0 = first_row(r);
      const std::int64_t ri = std::min(br, N - i0);
      O_i.set_extent(ri, d);
      l_i.set_extent(ri, 1);
      m_i.set_extent(ri, 1);
      O_i.fill(0.0);
      l_i.fill(0.0);
      m_i.fill(kNegInf);
      m.store(O.rows_view(i0, ri), O_i);
      m.store(l.rows_view(i0, ri), l_i);
      m.store(mx.rows_view(i0, ri), m_i);
    }

    for (std::int64_t j0 = 0; j0 < N; j0 += bc) {  // line 5
      if (plan.causal && j0 > last_row) break;     // no Q block of this split reaches K/V block j or later
      const std::int64_t cj = std::min(bc, N - j0);
      m.load(K_j, K.rows_view(j0, cj));  // line 6
      m.load(V_j, V.rows_view(j0, cj));
      for (std::int64_t r = 0; r < my_blocks; ++r) {  // line 7
        const std::int64_t i0 = first_row(r);
        const std::int64_t ri = std::min(br, N - i0);
        if (detail::skip_block(plan, i0, ri, j0, br, bc)) continue;  // causal, or Algorithm 5 line 8
        m.load(Q_i, Q.rows_view(i0, ri));  // line 8
        m.load(O_i, O.rows_view(i0, ri));
        m.load(l_i, l.rows_view(i0, ri));
        m.load(m_i, mx.rows_view(i0, ri));
        if (compute) {
          S_ij.set_extent(ri, cj);
          lt.set_extent(ri, 1);
          mt.set_extent(ri, 1);
          for (std::int64_t r = 0; r < ri; ++r) {
            double row_max = kNegInf;
            for (std::int64_t c = 0; c < cj; ++c) {  // line 9
              double s = 0.0;
              for (std::int64_t x = 0; x < d; ++x) s += Q_i(r, x) * K_j(c, x);
              S_ij(r, c) = plan.causal && j0 + c > i0 + r ? kNegInf : plan.scale * s;
              row_max = std::max(row_max, S_ij(r, c));
            }
            double row_sum = 0.0;  // line 10 (a fully masked row contributes nothing)
            for (std::int64_t c = 0; c < cj; ++c)
              row_sum += (S_ij(r, c) = S_ij(r, c) == kNegInf ? 0.0 : std::exp(S_ij(r, c) - row_max));
            mt(r, 0) = row_max;
            lt(r, 0) = row_sum;
            const double m_new = std::max(m_i(r, 0), row_max);  // line 11
            const double old_scale = std::exp(m_i(r, 0) - m_new) * l_i(r, 0);
            const double new_scale = std::exp(row_max - m_new);
            const double l_new = old_scale + new_scale * row_sum;
            for (std::int64_t x = 0; x < d; ++x) {  // line 12
              double pv = 0.0;
              for (std::int64_t c = 0; c < cj; ++c) pv += S_ij(r, c) * V_j(c, x);
              O_i(r, x) = (old_scale * O_i(r, x) + new_scale * pv) / l_new;
            }
            l_i(r, 0) = l_new;  // line 13
            m_i(r, 0) = m_new;
          }
        }
        m.store(O.rows_view(i0, ri), O_i);  // line 12
        m.store(l.rows_view(i0, ri), l_i);  // line 13
        m.store(mx.rows_view(i0, ri), m_i);
      }
    }
  }  // split
  return O;
}

}  // namespace iolab::sim
