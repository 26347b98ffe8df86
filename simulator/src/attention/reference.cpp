#include "iolab/sim/attention/reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace iolab::sim {

std::vector<double> reference_attention(std::span<const double> Q, std::span<const double> K,
                                        std::span<const double> V, std::int64_t N, std::int64_t d, double scale) {
  const auto nd = static_cast<std::size_t>(N * d);
  if (Q.size() != nd || K.size() != nd || V.size() != nd)
    throw std::invalid_argument("reference_attention: Q, K, V must be N x d");
  std::vector<double> O(nd, 0.0), s(static_cast<std::size_t>(N));
  for (std::int64_t i = 0; i < N; ++i) {
    double mx = -std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j < N; ++j) {
      double dot = 0.0;
      for (std::int64_t x = 0; x < d; ++x) dot += Q[i * d + x] * K[j * d + x];
      s[j] = scale * dot;
      mx = std::max(mx, s[j]);
    }
    double sum = 0.0;
    for (std::int64_t j = 0; j < N; ++j) sum += (s[j] = std::exp(s[j] - mx));
    for (std::int64_t j = 0; j < N; ++j) {
      const double p = s[j] / sum;
      for (std::int64_t x = 0; x < d; ++x) O[i * d + x] += p * V[j * d + x];
    }
  }
  return O;
}

ErrorStats compare(std::span<const double> out, std::span<const double> ref) {
  if (out.size() != ref.size()) throw std::invalid_argument("compare: sizes differ");
  double num = 0.0, den = 0.0, mx = 0.0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double e = out[i] - ref[i];
    if (std::isnan(out[i])) return {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
    num += e * e;
    den += ref[i] * ref[i];
    mx = std::max(mx, std::abs(e));
  }
  return {den > 0 ? std::sqrt(num / den) : std::sqrt(num), mx};
}

}  // namespace iolab::sim
