#pragma once
// Computable lower bounds on the I/O of red-blue pebbling (proofs/pebbling.md
// has the proofs).
//
// trivial_bound (both games): every input with a successor is loaded at least
// once and every output that is not an input is stored at least once:
//   Q >= I' + O'.
//
// spectral_bound (one-shot game only; the evaluation-order argument of Jain
// and Zaharia, SPAA 2020, restated and proved here with its exact constants):
// let V' be the n' non-input vertices, L the Laplacian of the undirected simple
// graph induced on V', 0 = lambda_1 <= ... <= lambda_n' its eigenvalues, and
// Delta the largest number of distinct non-input successors of a vertex. For
// every segment length k in [1, n'], with p = ceil(n'/k) and r = n' - (p-1) k,
//   Q >= I' + O' + (k (lambda_1 + ... + lambda_{p-1}) + r lambda_p) / Delta - (2p - 1) M.
// The reported bound is the maximum over k (and never below the trivial one),
// rounded up after subtracting a floating-point tolerance.
#include <cstdint>
#include <vector>

#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/pebbling.hpp"

namespace iolab::proofs {

struct BoundReport {
  std::uint64_t inputs_used = 0;    ///< I'
  std::uint64_t outputs = 0;        ///< O'
  std::uint64_t trivial = 0;        ///< I' + O'
  bool spectral_applies = false;    ///< true for the one-shot game
  double spectral_raw = 0.0;        ///< best right-hand side over k (may be below trivial)
  std::int64_t spectral_k = 0;      ///< the k attaining it
  std::uint64_t spectral = 0;       ///< ceil(spectral_raw - tol), clamped at 0
  std::uint64_t best = 0;           ///< the bound to report: max of the valid ones
  std::string which;                ///< "trivial" or "spectral"
};

/// Eigenvalues (ascending) of the Laplacian of the undirected simple graph on
/// the non-input vertices. InputError beyond 1500 non-input vertices.
std::vector<double> noninput_laplacian_spectrum(const Cdag& g);

/// The bounds above for M red pebbles in the given game.
BoundReport lower_bound(const Cdag& g, std::size_t M, Game game);

/// Eigenvalues (ascending) of a dense symmetric matrix (row-major n x n),
/// by Householder tridiagonalisation and Sturm-sequence bisection.
std::vector<double> symmetric_eigenvalues(std::vector<double> a, std::size_t n);

}  // namespace iolab::proofs
