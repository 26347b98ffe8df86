#pragma once
// float64 reference attention: O = softmax(scale * Q K^T) V, row-major N x d,
// computed directly (max-subtracted softmax), independent of the simulator.
#include <cstdint>
#include <span>
#include <vector>

namespace iolab::sim {

std::vector<double> reference_attention(std::span<const double> Q, std::span<const double> K,
                                        std::span<const double> V, std::int64_t N, std::int64_t d, double scale);

struct ErrorStats {
  double rel_frobenius;  ///< ||out - ref||_F / ||ref||_F
  double max_abs;        ///< max |out - ref|
};
ErrorStats compare(std::span<const double> out, std::span<const double> ref);

}  // namespace iolab::sim
