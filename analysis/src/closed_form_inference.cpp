// Closed forms of one decoding step (decode) and of Flash-Decoding.
// Derivation: proofs/closed-forms-inference.md.
#include "iolab/analysis/closed_form.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
namespace {

using sim::checked_add;
using sim::checked_mul;

count_t u(std::int64_t x) { return static_cast<count_t>(x); }

}  // namespace

ClosedForm closed_form_decode(std::int64_t N, std::int64_t d, std::int64_t g, sim::DType dt) {
  const count_t Nd = checked_mul(u(N), u(d), "N*d"), gd = checked_mul(u(g), u(d), "g*d");
  ClosedForm cf;
  cf.tensors = {{"Q", dt, gd, 0}, {"K", dt, Nd, 0}, {"V", dt, Nd, 0}, {"O", dt, 0, gd}, {"L", sim::DType::fp32, 0, u(g)}};
  sum_totals(cf);
  return cf;
}

ClosedForm closed_form_flash_decoding(std::int64_t N, std::int64_t d, std::int64_t g, std::int64_t S, sim::DType dt) {
  const count_t Nd = checked_mul(u(N), u(d), "N*d"), gd = checked_mul(u(g), u(d), "g*d");
  const count_t Sgd = checked_mul(u(S), gd, "S*g*d"), Sg = checked_mul(u(S), u(g), "S*g");
  ClosedForm cf;
  cf.tensors = {
      {"Q", dt, Sgd, 0},
      {"K", dt, Nd, 0},
      {"V", dt, Nd, 0},
      {"O_split", sim::DType::fp32, Sgd, Sgd},
      {"LSE_split", sim::DType::fp32, Sg, Sg},
      {"O", dt, 0, gd},
      {"L", sim::DType::fp32, 0, u(g)},
  };
  sum_totals(cf);
  return cf;
}

}  // namespace iolab::analysis
