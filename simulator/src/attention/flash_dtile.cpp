// flash_dtile: attention for a small SRAM (M < d^2), tiling the head
// dimension as a matrix product does. With M < d^2 a block of rows of Q, K, V
// or O no longer fits beside another, so FlashAttention's blocks shrink to
// B ~ M/d and it makes ~ Nd/M passes: Theta(N^2 d^2 / M) traffic. Here every
// operand is cut into tiles B x B_d (B ~ sqrt(M))
// (B_d = min(d, max(1, floor(B/8))), B the largest block whose working set
// fits) and the score block is accumulated over head-dimension chunks, so the
// traffic is Theta(N^2 d / sqrt(M)), the matrix-multiplication rate, which is
// below N^2 d^2 / M exactly when M < d^2 (proofs/small-sram.md).
//
// Schedule (B_r = B_c = B, chunks of B_d columns of the head dimension):
//   for each Q block i (outer): m_i = -inf, l_i = 0 on chip
//     for each K/V block j (inner; causal: j up to the diagonal)
//       S_ij = 0; for each chunk x: load Q_i[:, x], K_j[:, x]; S_ij += Q_i[:, x] K_j[:, x]^T
//       S_ij *= scale; m_new = max(m_i, rowmax S_ij); P = exp(S_ij - m_new)
//       l_new = e^(m_i - m_new) l_i + rowsum P
//       for each chunk x: load O_i[:, x] (not for the first j), load V_j[:, x],
//         O_i[:, x] = diag(l_new)^-1 (diag(l_i e^(m_i - m_new)) O_i[:, x] + P V_j[:, x]); store O_i[:, x]
//       m_i = m_new, l_i = l_new
//     store L_i = m_i + log l_i (fp32)
// O lives in HBM between inner iterations, normalised after every step as in
// Algorithm 1, because a B x d block of it does not fit in SRAM.
#include <algorithm>
#include <cmath>
#include <limits>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {

count_t flash_dtile_working_set(std::int64_t br, std::int64_t bc, std::int64_t bd) {
  const auto r = static_cast<count_t>(br), c = static_cast<count_t>(bc), x = static_cast<count_t>(bd);
  return r * c + 2 * r * x + 2 * c * x + 4 * r;
}

Plan plan_flash_dtile(const AttentionProblem& p) {
  validate_common(p);
  refuse_mask(p, "flash_dtile");
  if (p.br || p.bc)
    throw InputError("flash_dtile chooses square blocks B_r = B_c and the chunk B_d from M; --br/--bc do not apply");
  if (has_backward(p.pass)) throw InputError("flash_dtile has no backward pass (use --pass fwd)");
  Plan plan = start_plan(p, "flash_dtile");
  // Narrow head-dimension chunks (B_d = B/8) leave most of M to the B x B
  // score block: B ~ sqrt(M/1.5) instead of sqrt(M/5) with B_d = B, for the
  // same elements moved per block pair.
  auto chunk = [&](std::int64_t b) { return std::min(p.d, std::max<std::int64_t>(1, b / 8)); };
  auto ws = [&](std::int64_t b) { return flash_dtile_working_set(b, b, chunk(b)); };
  if (ws(1) > p.M)
    throw CapacityError("M = " + std::to_string(p.M) + " elements is too small for flash_dtile: even 1x1 tiles need " +
                        std::to_string(ws(1)) + " elements");
  std::int64_t lo = 1, hi = p.N;  // invariant: ws(lo) <= M; ws grows with b
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (ws(mid) <= p.M)
      lo = mid;
    else
      hi = mid - 1;
  }
  plan.br = plan.bc = lo;
  plan.bd = chunk(lo);
  plan.working_set = ws(lo);
  plan.fwd_working_set = plan.working_set;
  return plan;
}

HbmTensor& run_flash_dtile(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V) {
  const std::int64_t N = plan.N, d = plan.d, br = plan.br, bc = plan.bc, bd = plan.bd;
  auto& O = m.hbm_tensor("O", N, d, plan.dtype);
  auto& L = m.hbm_tensor("L", N, 1, DType::fp32);

  auto S_ij = m.sram_tile("S_ij", br, bc);
  auto Q_ix = m.sram_tile("Q_ix", br, bd);
  auto K_jx = m.sram_tile("K_jx", bc, bd);
  auto V_jx = m.sram_tile("V_jx", bc, bd);
  auto O_ix = m.sram_tile("O_ix", br, bd);
  auto m_i = m.sram_tile("m_i", br, 1);
  auto l_i = m.sram_tile("l_i", br, 1);
  auto m_new = m.sram_tile("m_new", br, 1);
  auto l_new = m.sram_tile("l_new", br, 1);
  const bool compute = m.computes();
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();

  for (std::int64_t i0 = 0; i0 < N; i0 += br) {
    const std::int64_t ri = std::min(br, N - i0);
    m_i.set_extent(ri, 1);
    l_i.set_extent(ri, 1);
    m_new.set_extent(ri, 1);
    l_new.set_extent(ri, 1);
    m_i.fill(kNegInf);
    l_i.fill(0.0);
    for (std::int64_t j0 = 0; j0 < N; j0 += bc) {
      const std::int64_t cj = std::min(bc, N - j0);
      if (plan.causal && block_above_diagonal(i0, ri, j0)) break;  // so are all later j
      S_ij.set_extent(ri, cj);
      S_ij.fill(0.0);
      for (std::int64_t x0 = 0; x0 < d; x0 += bd) {  // S_ij = Q_i K_j^T, chunk by chunk
        const std::int64_t w = std::min(bd, d - x0);
        m.load(Q_ix, Q.view(i0, ri, x0, w));
        m.load(K_jx, K.view(j0, cj, x0, w));
        if (compute)
          for (std::int64_t r = 0; r < ri; ++r)
            for (std::int64_t c = 0; c < cj; ++c) {
              double s = 0.0;
              for (std::int64_t x = 0; x < w; ++x) s += Q_ix(r, x) * K_jx(c, x);
              S_ij(r, c) += s;
            }
      }
      if (compute)
        for (std::int64_t r = 0; r < ri; ++r) {
          double mx = m_i(r, 0);
          for (std::int64_t c = 0; c < cj; ++c) {
            S_ij(r, c) = plan.causal && j0 + c > i0 + r ? kNegInf : plan.scale * S_ij(r, c);
            mx = std::max(mx, S_ij(r, c));
          }
          double sum = 0.0;  // j = 0 always holds key 0, so mx is finite
          for (std::int64_t c = 0; c < cj; ++c) sum += (S_ij(r, c) = std::exp(S_ij(r, c) - mx));
          m_new(r, 0) = mx;
          l_new(r, 0) = std::exp(m_i(r, 0) - mx) * l_i(r, 0) + sum;
        }
      for (std::int64_t x0 = 0; x0 < d; x0 += bd) {  // O_i = rescaled O_i + P V_j, chunk by chunk
        const std::int64_t w = std::min(bd, d - x0);
        if (j0 > 0)
          m.load(O_ix, O.view(i0, ri, x0, w));
        else
          O_ix.set_extent(ri, w);
        m.load(V_jx, V.view(j0, cj, x0, w));
        if (compute)
          for (std::int64_t r = 0; r < ri; ++r) {
            const double keep = j0 > 0 ? l_i(r, 0) * std::exp(m_i(r, 0) - m_new(r, 0)) : 0.0;
            for (std::int64_t x = 0; x < w; ++x) {
              double pv = 0.0;
              for (std::int64_t c = 0; c < cj; ++c) pv += S_ij(r, c) * V_jx(c, x);
              O_ix(r, x) = ((j0 > 0 ? keep * O_ix(r, x) : 0.0) + pv) / l_new(r, 0);
            }
          }
        m.store(O.view(i0, ri, x0, w), O_ix);
      }
      if (compute)
        for (std::int64_t r = 0; r < ri; ++r) {
          m_i(r, 0) = m_new(r, 0);
          l_i(r, 0) = l_new(r, 0);
        }
    }
    if (compute)
      for (std::int64_t r = 0; r < ri; ++r) m_i(r, 0) += std::log(l_i(r, 0));
    m.store(L.rows_view(i0, ri), m_i);
  }
  return O;
}

}  // namespace iolab::sim
