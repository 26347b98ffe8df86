#pragma once
// What a user asks for (AttentionProblem) and what an algorithm decides to do
// about it (Plan). A plan fixes every block size, so the simulator's run and
// the closed forms in analysis/ are functions of the same plan.
#include <cstdint>
#include <optional>
#include <string>

#include "iolab/sim/checked.hpp"
#include "iolab/sim/dtype.hpp"

namespace iolab::sim {

/// How block sizes are chosen.
///  fit:   the largest blocks whose whole working set fits in M (enforced).
///  paper: the paper's formulas literally (B = ceil(M/4d)); the working set may
///         exceed M slightly and is reported beside M instead of refused.
enum class Tiling { fit, paper };

std::string_view name_of(Tiling t);
Tiling parse_tiling(std::string_view s);  ///< "fit" or "paper"; InputError otherwise

struct AttentionProblem {
  std::string algo = "flash1";
  std::int64_t N = 0;            ///< sequence length (rows of Q, K, V)
  std::int64_t d = 0;            ///< head dimension
  count_t M = 0;                 ///< SRAM capacity in elements
  DType dtype = DType::fp16;     ///< element type of Q, K, V, O (and S, P)
  Tiling tiling = Tiling::fit;
  std::optional<std::int64_t> br, bc;  ///< explicit block sizes (fit tiling only)
};

/// Everything the simulation and the closed forms need. For flash algorithms
/// br/bc are the row-block sizes of Q and of K/V. For `standard` they are the
/// row and column sizes of the S tile of the first GEMM (gemm_tile capped by N).
struct Plan {
  std::string algo;
  std::int64_t N = 0, d = 0;
  count_t M = 0;
  DType dtype = DType::fp16;
  Tiling tiling = Tiling::fit;
  bool explicit_blocks = false;
  bool enforce_capacity = true;  ///< false for the paper tiling
  std::int64_t br = 0, bc = 0;
  count_t working_set = 0;       ///< planned peak SRAM use, elements
  double scale = 0.0;            ///< softmax scale, 1/sqrt(d)
  // standard only
  std::int64_t gemm_tile = 0;      ///< square GEMM tile t = floor(sqrt(M/3))
  std::int64_t softmax_rows = 0;   ///< rows of S per softmax block
  std::int64_t softmax_chunk = 0;  ///< columns per softmax chunk (N when a row fits)
  int softmax_passes = 0;          ///< 1 when a row of S fits in SRAM, else 2
};

/// Validates the parts of a problem every algorithm shares (N, d, M > 0).
void validate_common(const AttentionProblem& p);

}  // namespace iolab::sim
