#pragma once
// One configuration evaluated three ways: simulated counts, the closed form,
// and the Theta bound, with a check that the first two agree exactly.
#include "iolab/analysis/bounds.hpp"
#include "iolab/analysis/closed_form.hpp"
#include "iolab/sim/attention/simulate.hpp"

namespace iolab::analysis {

struct Evaluation {
  sim::SimResult sim;
  ClosedForm closed;
  Bound bound;
  bool closed_form_matches = false;  ///< every tensor's reads and writes equal
};

/// Computes the closed form first (so overflow is refused before any run),
/// then simulates. compute mode also fills sim.error.
Evaluation evaluate(const sim::Plan& plan, sim::Mode mode = sim::Mode::count_only, std::uint64_t seed = 1);

/// True when the simulator's per-tensor counts equal the closed form's.
bool counts_match(const sim::SimResult& sim, const ClosedForm& cf);

}  // namespace iolab::analysis
