#pragma once
// The registry of attention algorithms written against the machine API.
//
// Contract for every algorithm:
//  * plan(problem) validates the problem and fixes block sizes; it throws
//    InputError (or CapacityError) with a one-line message when M is too small
//    or an explicit block size does not fit.
//  * run(machine, plan, Q, K, V) reads Q, K, V (N x d HBM tensors), creates its
//    own output and intermediate HBM tensors, and returns O. It moves data
//    only through machine.load/store, so every transfer is counted. In compute
//    mode O equals softmax(scale * Q K^T) V up to float64 rounding.
#include <string_view>
#include <vector>

#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/machine.hpp"

namespace iolab::sim {

struct AlgorithmInfo {
  std::string_view name;
  std::string_view summary;
  Plan (*plan)(const AttentionProblem&);
  HbmTensor& (*run)(Machine&, const Plan&, HbmTensor& Q, HbmTensor& K, HbmTensor& V);
};

const std::vector<AlgorithmInfo>& algorithms();
/// Looks an algorithm up by name; InputError listing the known names otherwise.
const AlgorithmInfo& algorithm(std::string_view name);

// One file each: standard.cpp, flash1.cpp, flash2.cpp.
Plan plan_standard(const AttentionProblem& p);
HbmTensor& run_standard(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);
Plan plan_flash1(const AttentionProblem& p);
HbmTensor& run_flash1(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);
Plan plan_flash2(const AttentionProblem& p);
HbmTensor& run_flash2(Machine& m, const Plan& plan, HbmTensor& Q, HbmTensor& K, HbmTensor& V);

/// Working sets (elements) of the flash algorithms' tiles, as functions of the
/// block sizes; the planners and the closed forms share them.
///   flash1: K_j, V_j (2 Bc d) + Q_i, O_i (2 Br d) + S_ij (Br Bc) + l_i, m_i, l~_ij, m~_ij (4 Br)
///   flash2: Q_i, O_i (2 Br d) + K_j, V_j (2 Bc d) + S_ij (Br Bc) + m_i, l_i (2 Br)
count_t flash1_working_set(std::int64_t br, std::int64_t bc, std::int64_t d);
count_t flash2_working_set(std::int64_t br, std::int64_t bc, std::int64_t d);

}  // namespace iolab::sim
