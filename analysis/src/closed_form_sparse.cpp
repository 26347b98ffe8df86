// Closed forms of block-sparse FlashAttention (Algorithm 5, and flash2 with a
// block mask). Derivation: proofs/closed-forms-masks.md.
#include <algorithm>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
namespace {

using sim::checked_add;
using sim::checked_mul;

count_t u(std::int64_t x) { return static_cast<count_t>(x); }

}  // namespace

ClosedForm closed_form_blocksparse(const sim::Plan& p) {
  if (!p.block_mask) throw std::logic_error("closed_form_blocksparse without a block mask");
  const sim::BlockMask& mk = *p.block_mask;
  const std::int64_t N = p.N, d = p.d;
  // Z_r = sum over nonzero blocks (i, j) of r_i (query rows), Z_c = ... of c_j (key rows).
  count_t Zr = 0, Zc = 0;
  for (std::int64_t i = 0; i < mk.rows; ++i)
    for (std::int64_t j = 0; j < mk.cols; ++j)
      if (mk.at(i, j)) {
        Zr = checked_add(Zr, u(std::min(p.br, N - i * p.br)), "rows of nonzero blocks");
        Zc = checked_add(Zc, u(std::min(p.bc, N - j * p.bc)), "columns of nonzero blocks");
      }
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  ClosedForm cf;
  if (p.algo == "flash1") {
    const count_t q = checked_mul(u(d), Zr, "d*Z_r");
    cf.tensors = {
        {"Q", p.dtype, q, 0},
        {"K", p.dtype, Nd, 0},
        {"V", p.dtype, Nd, 0},
        {"O", p.dtype, q, checked_add(Nd, q, "O writes")},
        {"l", sim::DType::fp32, Zr, checked_add(u(N), Zr, "l writes")},
        {"m", sim::DType::fp32, Zr, checked_add(u(N), Zr, "m writes")},
    };
  } else if (p.algo == "flash2") {
    const count_t kv = checked_mul(u(d), Zc, "d*Z_c");
    cf.tensors = {
        {"Q", p.dtype, Nd, 0}, {"K", p.dtype, kv, 0}, {"V", p.dtype, kv, 0},
        {"O", p.dtype, 0, Nd}, {"L", sim::DType::fp32, 0, u(N)},
    };
  } else {
    throw sim::InputError("no block-sparse closed form for '" + p.algo + "'");
  }
  sum_totals(cf);
  return cf;
}

}  // namespace iolab::analysis
