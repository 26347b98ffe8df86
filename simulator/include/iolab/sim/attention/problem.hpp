#pragma once
// What a user asks for (AttentionProblem) and what an algorithm decides to do
// about it (Plan). A plan fixes every block size, so the simulator's run and
// the closed forms in analysis/ are functions of the same plan.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "iolab/sim/checked.hpp"
#include "iolab/sim/dtype.hpp"

namespace iolab::sim {

struct BlockMask;  // block_mask.hpp

/// How block sizes are chosen.
///  fit:   the largest blocks whose whole working set fits in M (enforced).
///  paper: the paper's formulas literally (B = ceil(M/4d)); the working set may
///         exceed M slightly and is reported beside M instead of refused.
enum class Tiling { fit, paper };

std::string_view name_of(Tiling t);
Tiling parse_tiling(std::string_view s);  ///< "fit" or "paper"; InputError otherwise

/// Which pass is simulated.
///  fwd:    the forward pass (Q, K, V in HBM; O and the saved statistics written).
///  bwd:    the backward pass alone: Q, K, V, dO and what the forward saved (O, l, m /
///          O, L / P) are placed in HBM as inputs, uncounted, as Q, K, V are.
///  fwdbwd: the forward pass, then the backward pass on the same machine, reading
///          what the forward wrote.
enum class Pass { fwd, bwd, fwdbwd };
std::string_view name_of(Pass p);
Pass parse_pass(std::string_view s);  ///< "fwd", "bwd" or "fwdbwd"; InputError otherwise
inline bool has_forward(Pass p) { return p != Pass::bwd; }
inline bool has_backward(Pass p) { return p != Pass::fwd; }

struct AttentionProblem {
  std::string algo = "flash1";
  std::int64_t N = 0;            ///< sequence length (rows of Q, K, V)
  std::int64_t d = 0;            ///< head dimension
  count_t M = 0;                 ///< SRAM capacity in elements
  DType dtype = DType::fp16;     ///< element type of Q, K, V, O (and S, P)
  Tiling tiling = Tiling::fit;
  std::optional<std::int64_t> br, bc;  ///< explicit block sizes (fit tiling only)
  Pass pass = Pass::fwd;
  bool causal = false;           ///< mask S_xy = -inf for key y > query x
  /// Block-sparsity pattern (block_mask.hpp) for block-sparse FlashAttention
  /// (Algorithm 5); empty: dense. flash1 and flash2, forward pass only.
  std::string mask;
  /// Decoding (decode, flash_decoding): query heads sharing one K/V head
  /// (1: multi-head; H: multi-query; else grouped-query). The step's Q has
  /// `groups` rows, one per query head of the group, against N cached keys.
  std::int64_t groups = 1;
  /// flash_decoding: number of splits of the KV length (0: automatic).
  /// flash1: number of thread blocks the Q blocks are split over, in the CUDA
  /// kernel's snake order (0 or 1: the paper's single schedule; at most
  /// T_r = ceil(N/B_r); dense forward only).
  std::int64_t splits = 0;
  /// rabe_staats: query and key chunk sizes (0: the paper's 1024 and 4096).
  std::int64_t query_chunk = 0, key_chunk = 0;
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
  // passes and masks
  Pass pass = Pass::fwd;
  bool causal = false;
  /// Blocks of the backward pass (flash algorithms; 0 when the pass has no
  /// backward). With pass = fwdbwd br/bc are the forward's blocks; with
  /// pass = bwd they equal bwd_br/bwd_bc (no forward is simulated).
  std::int64_t bwd_br = 0, bwd_bc = 0;
  count_t fwd_working_set = 0;     ///< planned peak of the forward phase (0 if not run)
  count_t bwd_working_set = 0;     ///< planned peak of the backward phase (0 if not run)
  // standard backward: rows of P and dP per block of the dS stage
  std::int64_t dsoftmax_rows = 0;  ///< rows per block (1 with two passes)
  std::int64_t dsoftmax_chunk = 0; ///< columns per chunk (N when rows fit)
  int dsoftmax_passes = 0;         ///< 1 when a row of P and of dP fit, else 2
  // flash_dtile (small SRAM): columns of the head dimension per chunk
  std::int64_t bd = 0;
  // decoding: rows of Q (query heads of one K/V group; 0 means N), splits of
  // the KV length and splits reduced per chunk (flash_decoding).
  // flash1: splits = number of Q-block splits (1: the paper's schedule).
  std::int64_t q_rows = 0;
  std::int64_t groups = 1;
  std::int64_t splits = 0, split_rows = 0, reduce_chunk = 0;
  // rabe_staats: chunk sizes, rows per block of its summary stage and of its
  // combine stage (its GEMMs use gemm_tile)
  std::int64_t query_chunk = 0, key_chunk = 0, summary_rows = 0, combine_rows = 0;
  /// Block-sparse runs: the mask over the forward's B_r x B_c blocks (null: dense).
  std::shared_ptr<const BlockMask> block_mask;
};

/// Validates the parts of a problem every algorithm shares (N, d, M > 0).
void validate_common(const AttentionProblem& p);

/// A plan for `algo` with the fields every algorithm copies from the problem
/// (N, d, M, dtype, tiling, pass, causal) and the softmax scale 1/sqrt(d).
Plan start_plan(const AttentionProblem& p, std::string algo);
/// InputError when a block mask is asked of an algorithm that has none.
void refuse_mask(const AttentionProblem& p, std::string_view algo);

}  // namespace iolab::sim
