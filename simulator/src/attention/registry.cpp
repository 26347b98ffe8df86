#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {

const std::vector<AlgorithmInfo>& algorithms() {
  static const std::vector<AlgorithmInfo> kAlgorithms{
      {"standard", "Algorithm 0: S = QK^T and P = softmax(S) materialised in HBM, then O = PV", &plan_standard,
       &run_standard},
      {"flash1", "Algorithm 1 (FlashAttention): outer loop over K/V blocks, O, l, m updated in HBM",
       &plan_flash1, &run_flash1},
      {"flash2", "FlashAttention-2 order: outer loop over Q blocks, O on chip, O and L written once",
       &plan_flash2, &run_flash2},
  };
  return kAlgorithms;
}

const AlgorithmInfo& algorithm(std::string_view name) {
  std::string known;
  for (const auto& a : algorithms()) {
    if (a.name == name) return a;
    known += (known.empty() ? "" : ", ") + std::string(a.name);
  }
  throw InputError("unknown algorithm '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace iolab::sim
