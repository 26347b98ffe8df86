// One decoding step with a KV cache: the new token's query rows (one per query
// head of a K/V group: 1 for multi-head attention, g for grouped-query, H for
// multi-query) attend to the N cached keys and values of their shared K/V
// head. The query block stays on chip; K/V blocks of B_c rows stream past it
// once (FlashAttention-2's inner loop with a single Q block):
//   load Q (g x d); O = 0, l = 0, m = -inf on chip
//   for each K/V block j: load K_j, V_j; online softmax update of O, l, m
//   O = diag(l)^-1 O; L = m + log l; store O (g x d) and L (g, fp32)
// K and V are read once per group however many query heads share them, so
// grouping divides the KV-cache traffic of a layer by g. The query is the
// last position, so a causal mask hides none of the cached keys.
#include <algorithm>
#include <cmath>
#include <limits>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {

count_t decode_working_set(std::int64_t g, std::int64_t bc, std::int64_t d) {
  const auto r = static_cast<count_t>(g), c = static_cast<count_t>(bc), dd = static_cast<count_t>(d);
  return 2 * r * dd + 2 * c * dd + r * c + 2 * r;
}

std::int64_t choose_decode_block(const AttentionProblem& p, std::int64_t rows, Plan& plan) {
  const std::int64_t g = p.groups, d = p.d;
  if (p.br) throw InputError("--br does not apply to decoding (the query block is the " + std::to_string(g) + " query row(s))");
  if (p.bc) {
    plan.explicit_blocks = true;
    const std::int64_t bc = std::min(*p.bc, rows);
    if (decode_working_set(g, bc, d) > p.M)
      throw CapacityError("block size B_c = " + std::to_string(bc) + " needs a working set of " +
                          std::to_string(decode_working_set(g, bc, d)) + " elements, more than M = " +
                          std::to_string(p.M) + " elements");
    return bc;
  }
  if (p.tiling == Tiling::paper) {
    plan.enforce_capacity = false;
    return static_cast<std::int64_t>(std::min<count_t>((p.M + 4 * static_cast<count_t>(d) - 1) / (4 * static_cast<count_t>(d)),
                                                       static_cast<count_t>(rows)));
  }
  if (decode_working_set(g, 1, d) > p.M)
    throw CapacityError("M = " + std::to_string(p.M) + " elements is too small for " + plan.algo + " with " +
                        std::to_string(g) + " query row(s): even B_c = 1 needs " +
                        std::to_string(decode_working_set(g, 1, d)) + " elements");
  std::int64_t lo = 1, hi = rows;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (decode_working_set(g, mid, d) <= p.M)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

Plan plan_decode(const AttentionProblem& p) {
  validate_common(p);
  refuse_mask(p, "decode");
  if (has_backward(p.pass)) throw InputError("decode is an inference step and has no backward pass (use --pass fwd)");
  Plan plan = start_plan(p, "decode");
  plan.groups = p.groups;
  plan.q_rows = p.groups;
  plan.br = p.groups;
  plan.bc = choose_decode_block(p, p.N, plan);
  plan.working_set = decode_working_set(p.groups, plan.bc, p.d);
  plan.fwd_working_set = plan.working_set;
  return plan;
}

void decode_range(Machine& m, const Plan& plan, HbmTensor& K, HbmTensor& V, std::int64_t k0, std::int64_t k1,
                  SramTile& Q_t, SramTile& O_t, SramTile& K_j, SramTile& V_j, SramTile& S_j, SramTile& m_t,
                  SramTile& l_t) {
  const std::int64_t g = plan.q_rows, d = plan.d, bc = plan.bc;
  const bool compute = m.computes();
  O_t.set_extent(g, d);
  m_t.set_extent(g, 1);
  l_t.set_extent(g, 1);
  O_t.fill(0.0);
  m_t.fill(-std::numeric_limits<double>::infinity());
  l_t.fill(0.0);
  for (std::int64_t j0 = k0; j0 < k1; j0 += bc) {
    const std::int64_t cj = std::min(bc, k1 - j0);
    m.load(K_j, K.rows_view(j0, cj));
    m.load(V_j, V.rows_view(j0, cj));
    if (!compute) continue;
    S_j.set_extent(g, cj);
    for (std::int64_t r = 0; r < g; ++r) {
      double m_new = m_t(r, 0);
      for (std::int64_t c = 0; c < cj; ++c) {
        double s = 0.0;
        for (std::int64_t x = 0; x < d; ++x) s += Q_t(r, x) * K_j(c, x);
        S_j(r, c) = plan.scale * s;
        m_new = std::max(m_new, S_j(r, c));
      }
      double sum = 0.0;
      for (std::int64_t c = 0; c < cj; ++c) sum += (S_j(r, c) = std::exp(S_j(r, c) - m_new));
      const double alpha = std::exp(m_t(r, 0) - m_new);
      l_t(r, 0) = alpha * l_t(r, 0) + sum;
      for (std::int64_t x = 0; x < d; ++x) {
        double pv = 0.0;
        for (std::int64_t c = 0; c < cj; ++c) pv += S_j(r, c) * V_j(c, x);
        O_t(r, x) = alpha * O_t(r, x) + pv;
      }
      m_t(r, 0) = m_new;
    }
  }
  if (compute)
    for (std::int64_t r = 0; r < g; ++r) {
      for (std::int64_t x = 0; x < d; ++x) O_t(r, x) /= l_t(r, 0);
      m_t(r, 0) += std::log(l_t(r, 0));  // m_t now holds the log-sum-exp
    }
}

HbmTensor& run_decode(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V) {
  const std::int64_t g = plan.q_rows, d = plan.d, bc = plan.bc;
  auto& O = m.hbm_tensor("O", g, d, plan.dtype);
  auto& L = m.hbm_tensor("L", g, 1, DType::fp32);
  auto Q_t = m.sram_tile("Q", g, d);
  auto O_t = m.sram_tile("O", g, d);
  auto K_j = m.sram_tile("K_j", bc, d);
  auto V_j = m.sram_tile("V_j", bc, d);
  auto S_j = m.sram_tile("S_j", g, bc);
  auto m_t = m.sram_tile("m", g, 1);
  auto l_t = m.sram_tile("l", g, 1);
  m.load(Q_t, Q.rows_view(0, g));
  decode_range(m, plan, K, V, 0, plan.N, Q_t, O_t, K_j, V_j, S_j, m_t, l_t);
  m.store(O.rows_view(0, g), O_t);
  m.store(L.rows_view(0, g), m_t);
  return O;
}

}  // namespace iolab::sim
