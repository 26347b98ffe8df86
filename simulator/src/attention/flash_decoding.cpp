// Flash-Decoding (Dao, Haziza, Massa, Sizov 2023): one decoding step with the
// KV length split into S chunks processed independently (in parallel on a
// GPU), then a reduction over the chunks' log-sum-exp values.
//   split phase, for each chunk s of ceil(N/S) cached keys:
//     load Q (g x d); stream the chunk's K/V blocks as in `decode`;
//     store the chunk's normalised output O_split[s] (g x d) and its
//     log-sum-exp LSE_split[s] (g), both fp32 (partial accumulators)
//   reduction, over chunks of R splits at a time:
//     load LSE_split and O_split of R splits; m = max LSE, then
//     O = sum_s exp(LSE_s - L) O_s with L = log sum_s exp(LSE_s)
//     (rescaled online across chunks of R); store O (g x d) and L (g, fp32)
// Against `decode` it reads Q S times and writes and reads back the S partial
// results: 2 S g (d + 1) extra elements, the price of S-way parallelism over
// the KV length.
#include <algorithm>
#include <cmath>
#include <limits>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {

// decode.cpp
count_t decode_working_set(std::int64_t g, std::int64_t bc, std::int64_t d);
std::int64_t choose_decode_block(const AttentionProblem& p, std::int64_t rows, Plan& plan);
void decode_range(Machine& m, const Plan& plan, HbmTensor& K, HbmTensor& V, std::int64_t k0, std::int64_t k1,
                  SramTile& Q_t, SramTile& O_t, SramTile& K_j, SramTile& V_j, SramTile& S_j, SramTile& m_t,
                  SramTile& l_t);

count_t flash_decoding_reduce_working_set(std::int64_t g, std::int64_t chunk, std::int64_t d) {
  const auto r = static_cast<count_t>(g), c = static_cast<count_t>(chunk), dd = static_cast<count_t>(d);
  return c * r * dd + c * r + r * dd + 2 * r;
}

Plan plan_flash_decoding(const AttentionProblem& p) {
  validate_common(p);
  refuse_mask(p, "flash_decoding");
  if (has_backward(p.pass))
    throw InputError("flash_decoding is an inference step and has no backward pass (use --pass fwd)");
  Plan plan = start_plan(p, "flash_decoding");
  plan.groups = p.groups;
  plan.q_rows = p.groups;
  plan.br = p.groups;
  // Default: splits of about sqrt(N) keys, which balances the split phase's
  // length against the number of partial results to reduce.
  const std::int64_t want = p.splits > 0 ? std::min(p.splits, p.N)
                                         : std::max<std::int64_t>(1, static_cast<std::int64_t>(std::sqrt(static_cast<double>(p.N))));
  plan.split_rows = ceil_div(p.N, want);
  plan.splits = ceil_div(p.N, plan.split_rows);  // no empty split
  plan.bc = choose_decode_block(p, plan.split_rows, plan);
  const count_t split_ws = decode_working_set(p.groups, plan.bc, p.d);
  const auto per_split = static_cast<count_t>(p.groups) * static_cast<count_t>(p.d + 1);
  const count_t fixed = static_cast<count_t>(p.groups) * static_cast<count_t>(p.d + 2);
  if (plan.enforce_capacity) {
    if (fixed + per_split > p.M)
      throw CapacityError("M = " + std::to_string(p.M) + " elements is too small for the flash_decoding reduction: one split needs " +
                          std::to_string(fixed + per_split) + " elements");
    plan.reduce_chunk = static_cast<std::int64_t>(std::min<count_t>((p.M - fixed) / per_split, static_cast<count_t>(plan.splits)));
  } else {  // the paper tiling does not enforce M: the same rule, at least one split
    plan.reduce_chunk = static_cast<std::int64_t>(
        std::clamp<count_t>(p.M > fixed ? (p.M - fixed) / per_split : 1, 1, static_cast<count_t>(plan.splits)));
  }
  plan.working_set = std::max(split_ws, flash_decoding_reduce_working_set(p.groups, plan.reduce_chunk, p.d));
  plan.fwd_working_set = plan.working_set;
  return plan;
}

HbmTensor& run_flash_decoding(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V) {
  const std::int64_t g = plan.q_rows, d = plan.d, S = plan.splits, rows = plan.split_rows;
  auto& O_split = m.hbm_tensor("O_split", S * g, d, DType::fp32);
  auto& LSE_split = m.hbm_tensor("LSE_split", S * g, 1, DType::fp32);
  auto& O = m.hbm_tensor("O", g, d, plan.dtype);
  auto& L = m.hbm_tensor("L", g, 1, DType::fp32);
  const bool compute = m.computes();
  {  // split phase
    auto Q_t = m.sram_tile("Q", g, d);
    auto O_t = m.sram_tile("O_s", g, d);
    auto K_j = m.sram_tile("K_j", plan.bc, d);
    auto V_j = m.sram_tile("V_j", plan.bc, d);
    auto S_j = m.sram_tile("S_j", g, plan.bc);
    auto m_t = m.sram_tile("m_s", g, 1);
    auto l_t = m.sram_tile("l_s", g, 1);
    for (std::int64_t s = 0; s < S; ++s) {
      m.load(Q_t, Q.rows_view(0, g));
      decode_range(m, plan, K, V, s * rows, std::min(plan.N, (s + 1) * rows), Q_t, O_t, K_j, V_j, S_j, m_t, l_t);
      m.store(O_split.rows_view(s * g, g), O_t);
      m.store(LSE_split.rows_view(s * g, g), m_t);
    }
  }
  // reduction over the splits' log-sum-exp values
  const std::int64_t R = plan.reduce_chunk;
  auto O_c = m.sram_tile("O_split_c", R * g, d);
  auto LSE_c = m.sram_tile("LSE_split_c", R * g, 1);
  auto acc = m.sram_tile("O", g, d);
  auto mx = m.sram_tile("m", g, 1);  // running max of LSE; holds L at the end
  auto sum = m.sram_tile("l", g, 1);
  acc.set_extent(g, d);
  mx.set_extent(g, 1);
  sum.set_extent(g, 1);
  acc.fill(0.0);
  mx.fill(-std::numeric_limits<double>::infinity());
  sum.fill(0.0);
  for (std::int64_t s0 = 0; s0 < S; s0 += R) {
    const std::int64_t rs = std::min(R, S - s0);
    m.load(LSE_c, LSE_split.rows_view(s0 * g, rs * g));
    m.load(O_c, O_split.rows_view(s0 * g, rs * g));
    if (!compute) continue;
    for (std::int64_t h = 0; h < g; ++h) {
      double m_new = mx(h, 0);
      for (std::int64_t s = 0; s < rs; ++s) m_new = std::max(m_new, LSE_c(s * g + h, 0));
      const double alpha = std::exp(mx(h, 0) - m_new);
      sum(h, 0) *= alpha;
      for (std::int64_t x = 0; x < d; ++x) acc(h, x) *= alpha;
      for (std::int64_t s = 0; s < rs; ++s) {
        const double w = std::exp(LSE_c(s * g + h, 0) - m_new);
        sum(h, 0) += w;
        for (std::int64_t x = 0; x < d; ++x) acc(h, x) += w * O_c(s * g + h, x);
      }
      mx(h, 0) = m_new;
    }
  }
  if (compute)
    for (std::int64_t h = 0; h < g; ++h) {
      for (std::int64_t x = 0; x < d; ++x) acc(h, x) /= sum(h, 0);
      mx(h, 0) += std::log(sum(h, 0));
    }
  m.store(O.rows_view(0, g), acc);
  m.store(L.rows_view(0, g), mx);
  return O;
}

}  // namespace iolab::sim
