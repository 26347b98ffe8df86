#include "iolab/analysis/sweep.hpp"

#include <algorithm>
#include <optional>
#include <range/v3/view/cartesian_product.hpp>

#include "iolab/analysis/parallel.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
namespace {

std::string describe(const sim::AttentionProblem& p) {
  return "algo=" + p.algo + " tiling=" + std::string(sim::name_of(p.tiling)) +
         " pass=" + std::string(sim::name_of(p.pass)) + (p.causal ? " causal" : "") +
         (p.mask.empty() ? "" : " mask=" + p.mask) + " N=" + std::to_string(p.N) +
         " d=" + std::to_string(p.d) + " M=" + std::to_string(p.M);
}

}  // namespace

std::vector<sim::AttentionProblem> expand_grid(const SweepSpec& spec) {
  for (const auto& a : spec.algos) sim::algorithm(a);  // unknown names fail before any work
  std::vector<sim::AttentionProblem> problems;
  for (auto [algo, tiling, pass, N, d, M] :
       ranges::views::cartesian_product(spec.algos, spec.tilings, spec.passes, spec.Ns, spec.ds, spec.Ms)) {
    if (sim::single_tiling(algo) && tiling != spec.tilings.front()) continue;  // one tiling only
    sim::AttentionProblem p;
    p.algo = algo;
    p.tiling = sim::single_tiling(algo) ? sim::Tiling::fit : tiling;
    p.N = N;
    p.d = d;
    p.M = M;
    p.dtype = spec.dtype;
    p.pass = pass;
    p.causal = spec.causal;
    p.mask = spec.mask;
    if (sim::is_decoding(algo)) p.groups = spec.groups;
    if (algo == "flash_decoding") p.splits = spec.splits;
    problems.push_back(p);
  }
  return problems;
}

SweepOutcome run_sweep(const SweepSpec& spec) {
  const auto problems = expand_grid(spec);
  std::vector<std::optional<SweepRow>> rows(problems.size());
  std::vector<std::optional<Skipped>> skipped(problems.size());
  parallel_for(problems.size(), spec.threads, [&](std::size_t i) {
    try {
      const auto plan = sim::algorithm(problems[i].algo).plan(problems[i]);
      rows[i] = SweepRow{evaluate(plan)};
    } catch (const sim::InputError& e) {
      skipped[i] = Skipped{describe(problems[i]), e.what()};
    }
  });

  SweepOutcome out;
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (rows[i]) out.rows.push_back(std::move(*rows[i]));
    if (skipped[i]) out.skipped.push_back(std::move(*skipped[i]));
  }
  return out;
}

}  // namespace iolab::analysis
