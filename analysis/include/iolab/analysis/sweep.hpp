#pragma once
// A sweep: the Cartesian product of algorithms, tilings, passes, N, d and M, each
// configuration planned, evaluated (simulated in count-only mode, closed form,
// bound) in parallel over `threads` workers. Infeasible configurations (M too
// small for an algorithm) are listed in `skipped` with their reason, never
// dropped silently. `standard` has one tiling and is run once per (N, d, M).
#include <cstdint>
#include <string>
#include <vector>

#include "iolab/analysis/evaluation.hpp"
#include "iolab/sim/attention/problem.hpp"

namespace iolab::analysis {

struct SweepSpec {
  std::vector<std::string> algos{"standard", "flash1", "flash2"};
  std::vector<sim::Tiling> tilings{sim::Tiling::fit};
  std::vector<std::int64_t> Ns;
  std::vector<std::int64_t> ds;
  std::vector<sim::count_t> Ms;  ///< elements
  sim::DType dtype = sim::DType::fp16;
  unsigned threads = 0;          ///< 0: all hardware threads
  std::vector<sim::Pass> passes{sim::Pass::fwd};
  bool causal = false;
  std::string mask;  ///< block-sparsity pattern for every configuration (empty: dense)
  std::int64_t groups = 1;  ///< decode, flash_decoding: query heads per K/V head
  std::int64_t splits = 0;  ///< flash_decoding: splits (0: automatic)
};

struct SweepRow {
  Evaluation eval;
};

struct Skipped {
  std::string config;  ///< "algo=flash1 tiling=fit N=.. d=.. M=.."
  std::string reason;
};

struct SweepOutcome {
  std::vector<SweepRow> rows;  ///< in the order of the grid
  std::vector<Skipped> skipped;
};

/// The problems of the grid, in order (standard deduplicated over tilings).
std::vector<sim::AttentionProblem> expand_grid(const SweepSpec& spec);

SweepOutcome run_sweep(const SweepSpec& spec);

}  // namespace iolab::analysis
