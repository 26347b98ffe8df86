#pragma once
// A tiled matrix product on the simulated machine, used by `standard`.
//
// C (m x n) = alpha * A (m x k) * B', where B' = B^T when B is stored n x k
// (b_transposed) and B' = B when B is stored k x n.
//
// Schedule (tiles tm x tk of A, tk x tn of B', tm x tn of C):
//   for each row block i of C:
//     if tk == k, load the whole row panel A_i once (it stays resident)
//     for each column block j of C:
//       C_ij = 0 in SRAM
//       for each k-chunk: [load A_i chunk unless resident], load B chunk, accumulate
//       store C_ij
// Exact reads: A: m*k if tk == k, else m*k*ceil(n/tn); B: n*k*ceil(m/tm).
// Writes: C: m*n. SRAM: tm*tk + tk*tn + tm*tn elements.
#include <cstdint>
#include <string>

#include "iolab/sim/checked.hpp"
#include "iolab/sim/machine.hpp"

namespace iolab::sim {

struct GemmTiles {
  std::int64_t tm, tn, tk;
  count_t working_set() const {
    return static_cast<count_t>(tm) * tk + static_cast<count_t>(tk) * tn + static_cast<count_t>(tm) * tn;
  }
};

/// Largest t with 3*t*t <= M (0 when M < 3).
std::int64_t square_tile_for(count_t M);

/// Tiles t x t x t capped by the matrix extents.
GemmTiles gemm_tiles(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t t);

void tiled_gemm(Machine& machine, HbmTensor& C, HbmTensor& A, HbmTensor& B, bool b_transposed, double alpha,
                const GemmTiles& tiles, const std::string& a_name, const std::string& b_name,
                const std::string& c_name);

}  // namespace iolab::sim
