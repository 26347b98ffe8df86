#include "iolab/analysis/evaluation.hpp"

namespace iolab::analysis {

bool counts_match(const sim::SimResult& sim, const ClosedForm& cf) {
  if (sim.tensors.size() != cf.tensors.size()) return false;
  for (std::size_t i = 0; i < cf.tensors.size(); ++i) {
    const auto& s = sim.tensors[i];
    const auto& c = cf.tensors[i];
    if (s.name != c.name || s.dtype != c.dtype || s.reads_elems != c.reads || s.writes_elems != c.writes) return false;
  }
  return sim.reads_elems == cf.reads && sim.writes_elems == cf.writes && sim.hbm_bytes == cf.bytes;
}

Evaluation evaluate(const sim::Plan& plan, sim::Mode mode, std::uint64_t seed) {
  Evaluation e;
  e.closed = closed_form(plan);  // refuses overflowing configurations before running
  sim::SimOptions opts;
  opts.mode = mode;
  opts.seed = seed;
  e.sim = sim::simulate_plan(plan, opts);
  e.bound = bound_for(plan, e.sim.reads_elems + e.sim.writes_elems);
  e.closed_form_matches = counts_match(e.sim, e.closed);
  return e;
}

}  // namespace iolab::analysis
