#pragma once
// Exact closed forms of the HBM traffic of each algorithm, per tensor, in
// elements (bytes follow from each tensor's dtype). The derivations are in
// proofs/closed-forms.md; tests/test_closed_forms.cpp asserts equality with
// the simulator over hundreds of configurations. All arithmetic is checked:
// a configuration whose counts overflow 64 bits throws OverflowError.
#include <cstdint>
#include <string>
#include <vector>

#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/checked.hpp"
#include "iolab/sim/dtype.hpp"

namespace iolab::analysis {

using sim::count_t;

struct TensorCount {
  std::string name;
  sim::DType dtype;
  count_t reads = 0, writes = 0;  ///< elements
};

struct ClosedForm {
  std::vector<TensorCount> tensors;  ///< same order as the simulator creates them
  count_t reads = 0, writes = 0;     ///< elements, summed over tensors
  count_t bytes = 0;                 ///< bytes read + written
  count_t total() const { return reads + writes; }
};

/// flash1 (Algorithm 1), with T_c = ceil(N / B_c):
///   Q: T_c N d reads; K, V: N d reads; O: T_c N d reads, (T_c + 1) N d writes;
///   l, m (fp32): T_c N reads, (T_c + 1) N writes each.
ClosedForm closed_form_flash1(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, sim::DType dt);

/// flash2, with T_r = ceil(N / B_r): Q: N d reads; K, V: T_r N d reads each;
/// O: N d writes; L (fp32): N writes.
ClosedForm closed_form_flash2(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t Bc, sim::DType dt);

/// standard (Algorithm 0) with GEMM tile t = floor(sqrt(M/3)):
///   Q: N d if min(d,t) = d else N d ceil(N/min(N,t));  K: N d ceil(N/min(N,t))
///   S: N^2 writes, N^2 reads (one pass, when N + 2 <= M) or 2 N^2 reads (two passes)
///   P: N^2 writes; N^2 reads if min(N,t) = N else N^2 ceil(d/min(d,t))
///   V: N d ceil(N/min(N,t)) reads;  O: N d writes.
ClosedForm closed_form_standard(std::int64_t N, std::int64_t d, count_t M, sim::DType dt);

/// Dispatches on plan.algo using the plan's N, d, M, B_r, B_c.
ClosedForm closed_form(const sim::Plan& plan);

}  // namespace iolab::analysis
