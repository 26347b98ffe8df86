#pragma once
// A tiled matrix product with optional transposed operands and a causal
// structure, used by `standard` (forward with a causal mask, and backward).
//
// C (m x n) = alpha * op(A) * op(B): op(A) is m x k, stored m x k or, when
// transposed, k x m; op(B) is k x n, stored k x n or, when transposed, n x k.
// Tiles tm x tk of op(A), tk x tn of op(B), tm x tn of C (GemmTiles).
//
// Masks (global indices; row block i covers rows [i0, i0+mi) of C):
//   none:    every k in [0, k), every column of C in [0, n).
//   c_lower: C is only needed on and below the diagonal (m = n): row block i
//            computes columns [0, min(n, i0+mi)); tiles entirely above the
//            diagonal are neither computed nor stored (S = QK^T, dP = dO V^T).
//   a_lower: op(A) is lower triangular (A_rc = 0 for c > r): row block i uses
//            k in [0, min(k, i0+mi)) (O = PV, dQ = dS K).
//   a_upper: op(A) is upper triangular (A_rc = 0 for c < r): row block i uses
//            k in [min(i0, k), k) (dV = P^T dO, dK = dS^T Q).
// Entries of op(A) outside its triangle are treated as 0 in compute mode, so
// what HBM holds there (never written) does not matter.
//
// Schedule, for row block i with k range [klo, khi) and column range [0, nhi):
//   if tk >= k, load the A panel [i0, i0+mi) x [klo, khi) once (it stays resident)
//   for each column block j of [0, nhi): C_ij = 0; for each k chunk of
//   [klo, khi) of at most tk: [load the A chunk unless resident], load the B
//   chunk, accumulate; store C_ij.
// Exact counts for row block i (K_i = khi - klo, J_i = ceil(nhi / tn)):
//   A reads mi K_i (resident) or mi K_i J_i;  B reads nhi K_i;  C writes mi nhi.
#include <string>

#include "iolab/sim/attention/tiled_gemm.hpp"
#include "iolab/sim/machine.hpp"

namespace iolab::sim {

enum class GemmMask { none, c_lower, a_lower, a_upper };

struct GemmOperand {
  HbmTensor* tensor;
  bool transposed;
  std::string tile;  ///< SRAM tile name (unused for C)
  /// The stored rectangle used: rows [row0, row0 + rows), columns
  /// [col0, col0 + cols) of the tensor; -1: to the end (the whole tensor).
  std::int64_t row0 = 0, rows = -1, col0 = 0, cols = -1;
};

/// The k range [klo, khi) and column bound nhi of row block [i0, i0+mi).
struct GemmRowRange {
  std::int64_t klo, khi, nhi;
};
GemmRowRange gemm_row_range(GemmMask mask, std::int64_t i0, std::int64_t mi, std::int64_t n, std::int64_t k);

void masked_gemm(Machine& machine, HbmTensor& C, const GemmOperand& A, const GemmOperand& B, double alpha,
                 const GemmTiles& tiles, GemmMask mask, const std::string& c_name);
/// The same on rectangles of the tensors (C: its rectangle, never transposed;
/// its tile is named c_name).
void masked_gemm(Machine& machine, const GemmOperand& C, const GemmOperand& A, const GemmOperand& B, double alpha,
                 const GemmTiles& tiles, GemmMask mask, const std::string& c_name);

}  // namespace iolab::sim
