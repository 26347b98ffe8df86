#pragma once
// The Theta bounds of each algorithm and the ratio count / bound, which
// exposes the constant hidden in the Theta. Every bound names its regime:
// M >= d^2 (the "large SRAM" regime of Theorem 2) or M < d^2 (small SRAM,
// where a head dimension no longer fits beside a block of d rows).
//   standard, rabe_staats: N d + N^2            (M >= d^2; Theorem 2 / Theorem 5)
//                    N d + N^2 d / sqrt(M)      (M <  d^2: its GEMM tiles are below d)
//   flash1, flash2:  N^2 d^2 / M                (both regimes; Theorem 2 / Theorem 5)
//                    N d + N^2 d^2 s / M        (block-sparse, s = nonzero-block fraction; Proposition 4)
//   flash_dtile:     N^2 d / sqrt(M)            (both regimes; proofs/small-sram.md)
//   decode, flash_decoding: N d                 (one query row per head; lower bound N d too)
// The same forms hold for the backward pass and for fwd+bwd (a constant
// factor), and under a causal mask (about half). Beside the algorithm's own
// bound, `lower` is the regime's lower bound for exact attention (Saha and
// Ye 2024): N^2 d^2 / M when M >= d^2, N^2 d / sqrt(M) when M < d^2.
#include <string>

#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/checked.hpp"

namespace iolab::analysis {

struct Bound {
  std::string formula;  ///< e.g. "N^2*d^2/M"
  double value = 0.0;   ///< in elements
  double ratio = 0.0;   ///< count / value
  std::string regime;   ///< "M >= d^2" or "M < d^2"
  std::string lower_formula;  ///< the regime's lower bound for exact attention
  double lower_value = 0.0;
  double lower_ratio = 0.0;   ///< count / lower_value
};

/// True when M < d^2 (the small-SRAM regime).
bool small_sram(const sim::Plan& plan);

Bound bound_for(const sim::Plan& plan, sim::count_t hbm_elems);

}  // namespace iolab::analysis
