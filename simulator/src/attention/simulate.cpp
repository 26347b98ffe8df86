#include "iolab/sim/attention/simulate.hpp"

#include <random>

#include "iolab/sim/attention/algorithm.hpp"

namespace iolab::sim {

SimResult simulate(const AttentionProblem& problem, const SimOptions& options) {
  return simulate_plan(algorithm(problem.algo).plan(problem), options);
}

SimResult simulate_plan(const Plan& plan, const SimOptions& options) {
  const AlgorithmInfo& algo = algorithm(plan.algo);
  Machine m({plan.M, options.mode, plan.enforce_capacity});
  if (options.observer) m.set_observer(options.observer);
  auto& Q = m.hbm_tensor("Q", plan.N, plan.d, plan.dtype);
  auto& K = m.hbm_tensor("K", plan.N, plan.d, plan.dtype);
  auto& V = m.hbm_tensor("V", plan.N, plan.d, plan.dtype);
  if (m.computes()) {
    std::mt19937_64 rng(options.seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (auto* t : {&Q, &K, &V})
      for (double& x : t->values()) x = u(rng);
  }
  HbmTensor& O = algo.run(m, plan, Q, K, V);

  SimResult r;
  r.plan = plan;
  for (const auto& t : m.tensors())
    r.tensors.push_back({t.name(), t.dtype(), t.rows(), t.cols(), t.reads_elems(), t.writes_elems(),
                         t.reads_bytes(), t.writes_bytes()});
  r.reads_elems = m.hbm_reads_elems();
  r.writes_elems = m.hbm_writes_elems();
  r.hbm_bytes = m.hbm_bytes();
  r.transfers = m.transfers();
  r.peak_sram_elems = m.sram().peak_elems();
  if (m.computes()) {
    const auto ref = reference_attention(Q.values(), K.values(), V.values(), plan.N, plan.d, plan.scale);
    r.error = compare(O.values(), ref);
  }
  return r;
}

}  // namespace iolab::sim
