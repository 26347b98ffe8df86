#pragma once
// Least-squares fit of log(y) = slope * log(x) + log(c): the exponent and the
// constant a sweep shows. Needs at least two distinct positive x values.
#include <span>

namespace iolab::analysis {

struct PowerFit {
  double slope = 0.0;     ///< exponent
  double constant = 0.0;  ///< c in y ~ c x^slope
  double r2 = 0.0;        ///< coefficient of determination in log space
};

/// Throws std::invalid_argument for fewer than two distinct positive points.
PowerFit fit_power_law(std::span<const double> x, std::span<const double> y);

}  // namespace iolab::analysis
