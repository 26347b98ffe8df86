#pragma once
// One simulation run from a problem: builds the machine, creates Q, K, V
// (random values in compute mode), runs the algorithm and gathers the counts.
// With a backward pass the harness also creates dO (random), and for
// pass = bwd the tensors the forward would have saved (values from the
// float64 reference); like Q, K, V these are placed in HBM uncounted.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/machine.hpp"
#include "iolab/sim/observer.hpp"
#include "iolab/sim/attention/reference.hpp"

namespace iolab::sim {

struct TensorTraffic {
  std::string name;
  DType dtype;
  std::int64_t rows, cols;
  count_t reads_elems, writes_elems;
  count_t reads_bytes, writes_bytes;
};

struct NamedError {
  std::string tensor;  ///< "O", "dQ", "dK", "dV"
  ErrorStats stats;
};

struct SimResult {
  Plan plan;
  std::vector<TensorTraffic> tensors;  ///< in creation order: Q, K, V, then the algorithm's
  count_t reads_elems = 0, writes_elems = 0;
  count_t hbm_bytes = 0;
  count_t transfers = 0;
  count_t peak_sram_elems = 0;
  /// compute mode: the largest relative and absolute errors over `errors`.
  std::optional<ErrorStats> error;
  /// compute mode: each output against its float64 reference: O when the
  /// forward ran, dQ, dK, dV when the backward ran.
  std::vector<NamedError> errors;
};

struct SimOptions {
  Mode mode = Mode::count_only;
  std::uint64_t seed = 1;                ///< inputs are uniform in [-1, 1) from this seed
  TransferObserver* observer = nullptr;
};

SimResult simulate(const AttentionProblem& problem, const SimOptions& options = {});
/// The same with a plan already made (sweeps plan once, run many).
SimResult simulate_plan(const Plan& plan, const SimOptions& options = {});

}  // namespace iolab::sim
