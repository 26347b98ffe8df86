#include "iolab/analysis/bounds.hpp"

#include <cmath>

#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {

bool small_sram(const sim::Plan& plan) {
  return static_cast<double>(plan.M) < static_cast<double>(plan.d) * static_cast<double>(plan.d);
}

Bound bound_for(const sim::Plan& plan, sim::count_t hbm_elems) {
  const double N = static_cast<double>(plan.N), d = static_cast<double>(plan.d), M = static_cast<double>(plan.M);
  const bool small = small_sram(plan);
  Bound b;
  b.regime = small ? "M < d^2" : "M >= d^2";
  if (plan.algo == "standard" || plan.algo == "rabe_staats") {
    if (small) {
      b.formula = "N*d + N^2*d/sqrt(M)";
      b.value = N * d + N * N * d / std::sqrt(M);
    } else {
      b.formula = "N*d + N^2";
      b.value = N * d + N * N;
    }
  } else if ((plan.algo == "flash1" || plan.algo == "flash2") && plan.block_mask) {
    const double s = plan.block_mask->fraction();  // Proposition 4
    b.formula = "N*d + N^2*d^2*s/M (s=" + std::to_string(s).substr(0, 6) + ")";
    b.value = N * d + N * N * d * d * s / M;
  } else if (plan.algo == "flash1" || plan.algo == "flash2") {
    b.formula = "N^2*d^2/M";
    b.value = N * N * d * d / M;
  } else if (plan.algo == "decode" || plan.algo == "flash_decoding") {
    b.formula = "N*d";  // the K/V cache is read once; nothing else is of that size
    b.value = N * d;
  } else if (plan.algo == "flash_dtile") {
    b.formula = "N^2*d/sqrt(M)";
    b.value = N * N * d / std::sqrt(M);
  } else {
    throw sim::InputError("no bound for algorithm '" + plan.algo + "'");
  }
  if (plan.algo == "decode" || plan.algo == "flash_decoding") {
    b.lower_formula = "N*d";  // any exact decoding step reads every cached key and value
    b.lower_value = N * d;
  } else if (small) {
    b.lower_formula = "N^2*d/sqrt(M)";
    b.lower_value = N * N * d / std::sqrt(M);
  } else {
    b.lower_formula = "N^2*d^2/M";
    b.lower_value = N * N * d * d / M;
  }
  b.ratio = static_cast<double>(hbm_elems) / b.value;
  b.lower_ratio = static_cast<double>(hbm_elems) / b.lower_value;
  return b;
}

}  // namespace iolab::analysis
