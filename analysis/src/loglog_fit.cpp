#include "iolab/analysis/loglog_fit.hpp"

#include <cmath>
#include <set>
#include <stdexcept>

namespace iolab::analysis {

PowerFit fit_power_law(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) throw std::invalid_argument("fit_power_law: x and y differ in length");
  std::set<double> distinct;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0) || !(y[i] > 0)) throw std::invalid_argument("fit_power_law: values must be positive");
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    distinct.insert(x[i]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
  }
  if (distinct.size() < 2) throw std::invalid_argument("fit_power_law: needs two distinct x values");
  const double n = static_cast<double>(x.size());
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const double intercept = (sy - slope * sx) / n;
  double ss_res = 0, ss_tot = 0;
  const double mean = sy / n;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ly = std::log(y[i]), pred = intercept + slope * std::log(x[i]);
    ss_res += (ly - pred) * (ly - pred);
    ss_tot += (ly - mean) * (ly - mean);
  }
  return {slope, std::exp(intercept), ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0};
}

}  // namespace iolab::analysis
