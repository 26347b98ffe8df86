// Closed form of flash_dtile (small SRAM). Derivation: proofs/small-sram.md.
#include <algorithm>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
namespace {

using sim::ceil_div;
using sim::checked_add;
using sim::checked_mul;

count_t u(std::int64_t x) { return static_cast<count_t>(x); }

}  // namespace

ClosedForm closed_form_flash_dtile(std::int64_t N, std::int64_t d, std::int64_t B, sim::DType dt, bool causal) {
  // J_i: K/V blocks Q block i visits; C_i = min(N, B J_i): their rows.
  count_t rows_times_J = 0, cols = 0;
  const std::int64_t T = ceil_div(N, B);
  if (!causal) {
    rows_times_J = checked_mul(u(N), u(T), "N*T");
    cols = checked_mul(u(T), u(N), "T*N");
  } else {
    for (std::int64_t i = 0; i < T; ++i) {
      const std::int64_t ri = std::min(B, N - i * B);
      const std::int64_t J = ceil_div(i * B + ri, B);
      rows_times_J = checked_add(rows_times_J, checked_mul(u(ri), u(J), "r_i*J_i"), "sum r_i J_i");
      cols = checked_add(cols, u(std::min(N, B * J)), "sum C_i");
    }
  }
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  const count_t q = checked_mul(u(d), rows_times_J, "Q reads");
  ClosedForm cf;
  cf.tensors = {
      {"Q", dt, q, 0},
      {"K", dt, checked_mul(u(d), cols, "K reads"), 0},
      {"V", dt, checked_mul(u(d), cols, "V reads"), 0},
      {"O", dt, q - Nd, q},
      {"L", sim::DType::fp32, 0, u(N)},
  };
  sum_totals(cf);
  return cf;
}

}  // namespace iolab::analysis
