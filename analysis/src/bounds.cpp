#include "iolab/analysis/bounds.hpp"

#include "iolab/sim/errors.hpp"

namespace iolab::analysis {

Bound bound_for(const sim::Plan& plan, sim::count_t hbm_elems) {
  const double N = static_cast<double>(plan.N), d = static_cast<double>(plan.d), M = static_cast<double>(plan.M);
  Bound b;
  if (plan.algo == "standard") {
    b.formula = "N*d + N^2";
    b.value = N * d + N * N;
  } else if (plan.algo == "flash1" || plan.algo == "flash2") {
    b.formula = "N^2*d^2/M";
    b.value = N * N * d * d / M;
  } else {
    throw sim::InputError("no bound for algorithm '" + plan.algo + "'");
  }
  b.ratio = static_cast<double>(hbm_elems) / b.value;
  return b;
}

}  // namespace iolab::analysis
