#pragma once
// The registry of attention algorithms written against the machine API.
//
// Contract for every algorithm:
//  * plan(problem) validates the problem and fixes block sizes; it throws
//    InputError (or CapacityError) with a one-line message when M is too small
//    or an explicit block size does not fit.
//  * run(machine, plan, Q, K, V) reads Q, K, V (N x d HBM tensors), creates its
//    own output and intermediate HBM tensors, and returns O. It moves data
//    only through machine.load/store, so every transfer is counted. In compute
//    mode O equals softmax(scale * Q K^T) V up to float64 rounding.
#include <string_view>
#include <vector>

#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/machine.hpp"

namespace iolab::sim {

/// What a backward pass reads: the inputs, the output gradient dO, and what
/// its forward saved (O and l, m for flash1; O and L for flash2; P for
/// standard). Pointers the algorithm does not use are null.
struct BackwardIO {
  HbmTensor* Q = nullptr;
  HbmTensor* K = nullptr;
  HbmTensor* V = nullptr;
  HbmTensor* dO = nullptr;
  HbmTensor* O = nullptr;
  HbmTensor* l = nullptr;
  HbmTensor* m = nullptr;
  HbmTensor* L = nullptr;
  HbmTensor* P = nullptr;
};

struct Gradients {
  HbmTensor* dQ = nullptr;
  HbmTensor* dK = nullptr;
  HbmTensor* dV = nullptr;
};

struct AlgorithmInfo {
  std::string_view name;
  std::string_view summary;
  Plan (*plan)(const AttentionProblem&);
  HbmTensor& (*run)(Machine&, const Plan&, HbmTensor& Q, HbmTensor& K, HbmTensor& V);
  /// Backward pass (null: the algorithm has none). It creates dQ, dK, dV and
  /// its own intermediates; the forward's saved tensors are named in `saved`.
  Gradients (*run_backward)(Machine&, const Plan&, const BackwardIO&) = nullptr;
  /// Comma-separated names of the forward's HBM tensors the backward reads
  /// ("O,l,m", "O,L", "P"); with pass = bwd the harness provides them.
  std::string_view saved = {};
};

const std::vector<AlgorithmInfo>& algorithms();
/// True for algorithms whose blocks do not depend on the tiling (standard,
/// flash_dtile): sweeps run them once, reports show their tiling as "-".
bool single_tiling(std::string_view algo);
/// Looks an algorithm up by name; InputError listing the known names otherwise.
const AlgorithmInfo& algorithm(std::string_view name);

// One file each: standard.cpp, flash1.cpp, flash2.cpp (forward), and
// standard_backward.cpp, flash1_backward.cpp, flash2_backward.cpp.
Plan plan_standard(const AttentionProblem& p);
HbmTensor& run_standard(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);
Plan plan_flash1(const AttentionProblem& p);
HbmTensor& run_flash1(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);
Plan plan_flash2(const AttentionProblem& p);
HbmTensor& run_flash2(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);

/// Small SRAM (flash_dtile.cpp): the head dimension is tiled too.
Plan plan_flash_dtile(const AttentionProblem& p);
HbmTensor& run_flash_dtile(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);

/// Inference (decode.cpp, flash_decoding.cpp): one decoding step, the query
/// block being the `groups` query heads that share a K/V head; Q is
/// groups x d, K and V are N x d.
Plan plan_decode(const AttentionProblem& p);
HbmTensor& run_decode(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);
Plan plan_flash_decoding(const AttentionProblem& p);
HbmTensor& run_flash_decoding(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);
///   decode: Q, O (2 g d) + K_j, V_j (2 Bc d) + S_j (g Bc) + m, l (2 g)
///   flash_decoding reduction: O_split, LSE_split chunks of R splits (R g (d + 1)) + O (g d) + m, l (2 g)
count_t decode_working_set(std::int64_t g, std::int64_t bc, std::int64_t d);
count_t flash_decoding_reduce_working_set(std::int64_t g, std::int64_t chunk, std::int64_t d);
/// True for inference algorithms (one query row per query head, no backward).
bool is_decoding(std::string_view algo);

/// Rabe and Staats's chunked attention (rabe_staats.cpp).
Plan plan_rabe_staats(const AttentionProblem& p);
HbmTensor& run_rabe_staats(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);

Gradients run_standard_backward(Machine& m, const Plan& plan, const BackwardIO& io);
Gradients run_flash1_backward(Machine& m, const Plan& plan, const BackwardIO& io);
Gradients run_flash2_backward(Machine& m, const Plan& plan, const BackwardIO& io);

/// Working sets (elements) of the flash algorithms' tiles, as functions of the
/// block sizes; the planners and the closed forms share them.
///   flash1: K_j, V_j (2 Bc d) + Q_i, O_i (2 Br d) + S_ij (Br Bc) + l_i, m_i, l~_ij, m~_ij (4 Br)
///   flash2: Q_i, O_i (2 Br d) + K_j, V_j (2 Bc d) + S_ij (Br Bc) + m_i, l_i (2 Br)
count_t flash1_working_set(std::int64_t br, std::int64_t bc, std::int64_t d);
count_t flash2_working_set(std::int64_t br, std::int64_t bc, std::int64_t d);
///   flash1 backward (Algorithm 4): K_j, V_j, dK~_j, dV~_j (4 Bc d) + Q_i, O_i, dO_i, dQ_i (4 Br d)
///     + S_ij/P_ij, dP_ij/dS_ij (2 Br Bc) + l_i, m_i, D_i (3 Br)
///   flash2 backward: K_j, V_j, dK_j, dV_j (4 Bc d) + Q_i, dO_i, dQ_i (3 Br d) + P_ij, dS_ij (2 Br Bc)
///     + L_i, D_i (2 Br); its D = rowsum(dO o O) pre-pass uses O_i, dO_i, D_i (2 Br d + Br), less.
///   flash_dtile: S_ij (Br Bc) + Q_ix, O_ix (2 Br Bd) + K_jx, V_jx (2 Bc Bd) + m_i, l_i, m_new, l_new (4 Br)
count_t flash_dtile_working_set(std::int64_t br, std::int64_t bc, std::int64_t bd);
count_t flash1_backward_working_set(std::int64_t br, std::int64_t bc, std::int64_t d);
count_t flash2_backward_working_set(std::int64_t br, std::int64_t bc, std::int64_t d);

/// Causal masks at block granularity. A block of query rows [r0, r0+rows) and
/// key rows [c0, c0+cols) lies entirely above the diagonal (every key after
/// every query) when c0 > r0 + rows - 1; such blocks are skipped: nothing of
/// them is loaded, computed or stored.
constexpr bool block_above_diagonal(std::int64_t r0, std::int64_t rows, std::int64_t c0) { return c0 > r0 + rows - 1; }

}  // namespace iolab::sim
