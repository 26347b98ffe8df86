#pragma once
// The Theta bounds of Theorem 2 and the ratio count / bound, which exposes the
// constant hidden in the Theta.
//   standard:       N d + N^2
//   flash1, flash2: N^2 d^2 / M
#include <string>

#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/checked.hpp"

namespace iolab::analysis {

struct Bound {
  std::string formula;  ///< e.g. "N^2*d^2/M"
  double value = 0.0;   ///< in elements
  double ratio = 0.0;   ///< count / value
};

Bound bound_for(const sim::Plan& plan, sim::count_t hbm_elems);

}  // namespace iolab::analysis
