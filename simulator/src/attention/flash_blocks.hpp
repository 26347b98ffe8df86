#pragma once
// Block-size choice shared by the flash algorithms (internal header).
//
// Each flash algorithm has a "streamed-over" block (B_c of K/V for flash1,
// B_r of Q for flash2): the larger it is, the fewer passes over the re-read
// tensors. The other block is min(large, d), as in the paper.
//   paper: large = ceil(M / 4d), small = min(ceil(M / 4d), d), both capped at N;
//          the capacity is not enforced, the working set is reported.
//   fit:   the largest `large` in [1, N] (small = min(large, d)) whose working
//          set fits in M; CapacityError when even 1 x 1 blocks do not fit.
//   explicit (--br/--bc): capped at N, capacity-checked.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim::detail {

using WorkingSetFn = count_t (*)(std::int64_t br, std::int64_t bc, std::int64_t d);

/// Fills plan.br, plan.bc, plan.working_set, plan.enforce_capacity.
/// large_is_bc: true for flash1 (B_c is the large block), false for flash2.
inline void choose_flash_blocks(const AttentionProblem& p, Plan& plan, WorkingSetFn ws, bool large_is_bc) {
  const std::int64_t N = p.N, d = p.d;
  auto assign = [&](std::int64_t large, std::int64_t small) {
    if (large_is_bc) {
      plan.bc = large;
      plan.br = small;
    } else {
      plan.br = large;
      plan.bc = small;
    }
    plan.working_set = ws(plan.br, plan.bc, d);
  };
  if (p.br) {
    plan.explicit_blocks = true;
    plan.br = std::min(*p.br, N);
    plan.bc = std::min(*p.bc, N);
    plan.working_set = ws(plan.br, plan.bc, d);
    if (plan.working_set > p.M)
      throw CapacityError("block sizes B_r = " + std::to_string(plan.br) + ", B_c = " + std::to_string(plan.bc) +
                          " need a working set of " + std::to_string(plan.working_set) +
                          " elements, more than M = " + std::to_string(p.M) + " elements");
    return;
  }
  if (p.tiling == Tiling::paper) {
    plan.enforce_capacity = false;
    const auto b = static_cast<std::int64_t>(
        std::min<count_t>((p.M + 4 * static_cast<count_t>(d) - 1) / (4 * static_cast<count_t>(d)),
                          static_cast<count_t>(N)));
    assign(b, std::min({b, d, N}));
    return;
  }
  auto fits = [&](std::int64_t large) {
    const std::int64_t small = std::min({large, d, N});
    return large_is_bc ? ws(small, large, d) <= p.M : ws(large, small, d) <= p.M;
  };
  if (!fits(1))
    throw CapacityError("M = " + std::to_string(p.M) + " elements is too small for " + plan.algo +
                        ": even 1x1 blocks need a working set of " + std::to_string(ws(1, 1, d)) + " elements");
  std::int64_t lo = 1, hi = N;  // invariant: fits(lo)
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  assign(lo, std::min({lo, d, N}));
}

/// Completes a flash plan for the requested pass: the forward's blocks are in
/// plan (from choose_flash_blocks); when the pass has a backward, its blocks
/// are chosen the same way from its own working set (outer loop over K/V
/// blocks, so B_c is the large block). working_set becomes the larger of the
/// phases that run.
inline void plan_passes(const AttentionProblem& p, Plan& plan, WorkingSetFn bwd_ws) {
  plan.pass = p.pass;
  plan.causal = p.causal;
  if (!p.mask.empty())
    plan.block_mask = std::make_shared<const BlockMask>(make_block_mask(p.mask, p.N, plan.br, plan.bc));
  plan.fwd_working_set = has_forward(p.pass) ? plan.working_set : 0;
  if (!has_backward(p.pass)) return;
  Plan b;
  b.algo = plan.algo + " backward";
  choose_flash_blocks(p, b, bwd_ws, /*large_is_bc=*/true);
  plan.bwd_br = b.br;
  plan.bwd_bc = b.bc;
  plan.bwd_working_set = b.working_set;
  if (p.pass == Pass::bwd) {
    plan.br = b.br;
    plan.bc = b.bc;
  }
  plan.working_set = std::max(plan.fwd_working_set, plan.bwd_working_set);
}

/// True when block (i0.., j0..) of a flash schedule is skipped: entirely
/// above the diagonal under a causal mask, or zero in the block mask.
inline bool skip_block(const Plan& plan, std::int64_t i0, std::int64_t ri, std::int64_t j0, std::int64_t br,
                       std::int64_t bc) {
  if (plan.causal && j0 > i0 + ri - 1) return true;
  return plan.block_mask && !plan.block_mask->at(i0 / br, j0 / bc);
}

}  // namespace iolab::sim::detail
