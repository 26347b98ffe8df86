#include "iolab/analysis/closed_form.hpp"

#include <algorithm>

#include "iolab/sim/attention/tiled_gemm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
namespace {

using sim::ceil_div;
using sim::checked_add;
using sim::checked_mul;
using sim::checked_mul3;
using sim::DType;

count_t u(std::int64_t x) { return static_cast<count_t>(x); }

}  // namespace

void sum_totals(ClosedForm& cf) {
  for (const auto& t : cf.tensors) {
    cf.reads = checked_add(cf.reads, t.reads, "HBM reads");
    cf.writes = checked_add(cf.writes, t.writes, "HBM writes");
    const count_t b = checked_mul(checked_add(t.reads, t.writes, "HBM accesses"), sim::bytes_of(t.dtype), "HBM bytes");
    cf.bytes = checked_add(cf.bytes, b, "HBM bytes");
  }
  checked_add(cf.reads, cf.writes, "HBM accesses");
}

ClosedForm closed_form_flash1(std::int64_t N, std::int64_t d, std::int64_t /*Br*/, std::int64_t Bc, DType dt) {
  const count_t Tc = u(ceil_div(N, Bc));
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  const count_t pass = checked_mul(Tc, Nd, "T_c*N*d");
  const count_t stats_r = checked_mul(Tc, u(N), "T_c*N");
  const count_t stats_w = checked_mul(Tc + 1, u(N), "(T_c+1)*N");
  ClosedForm cf;
  cf.tensors = {
      {"Q", dt, pass, 0},
      {"K", dt, Nd, 0},
      {"V", dt, Nd, 0},
      {"O", dt, pass, checked_mul(Tc + 1, Nd, "(T_c+1)*N*d")},
      {"l", DType::fp32, stats_r, stats_w},
      {"m", DType::fp32, stats_r, stats_w},
  };
  sum_totals(cf);
  return cf;
}

ClosedForm closed_form_flash2(std::int64_t N, std::int64_t d, std::int64_t Br, std::int64_t /*Bc*/, DType dt) {
  const count_t Tr = u(ceil_div(N, Br));
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  const count_t pass = checked_mul(Tr, Nd, "T_r*N*d");
  ClosedForm cf;
  cf.tensors = {
      {"Q", dt, Nd, 0},
      {"K", dt, pass, 0},
      {"V", dt, pass, 0},
      {"O", dt, 0, Nd},
      {"L", DType::fp32, 0, u(N)},
  };
  sum_totals(cf);
  return cf;
}

ClosedForm closed_form_standard(std::int64_t N, std::int64_t d, count_t M, DType dt) {
  const std::int64_t t = sim::square_tile_for(M);
  if (t < 1) throw sim::CapacityError("M = " + std::to_string(M) + " elements is too small for standard attention");
  const count_t Nd = checked_mul(u(N), u(d), "N*d");
  const count_t NN = checked_mul(u(N), u(N), "N^2");
  const count_t row_blocks = u(ceil_div(N, std::min<std::int64_t>(N, t)));  // ceil(N / min(N, t))
  const count_t d_blocks = u(ceil_div(d, std::min<std::int64_t>(d, t)));    // ceil(d / min(d, t))
  const count_t q_reads = t >= d ? Nd : checked_mul(Nd, row_blocks, "Q reads");
  const count_t k_reads = checked_mul(Nd, row_blocks, "K reads");
  const bool row_fits = M / (u(N) + 2) >= 1;
  const count_t s_reads = row_fits ? NN : checked_mul(2, NN, "S reads");
  const count_t p_reads = t >= N ? NN : checked_mul(NN, d_blocks, "P reads");
  const count_t v_reads = checked_mul(Nd, row_blocks, "V reads");
  ClosedForm cf;
  cf.tensors = {
      {"Q", dt, q_reads, 0}, {"K", dt, k_reads, 0}, {"V", dt, v_reads, 0},
      {"S", dt, s_reads, NN}, {"P", dt, p_reads, NN}, {"O", dt, 0, Nd},
  };
  sum_totals(cf);
  return cf;
}

namespace {

ClosedForm forward_of(const sim::Plan& plan) {
  if (plan.block_mask) return closed_form_blocksparse(plan);
  if (plan.algo == "flash1")
    return closed_form_flash1_fwd(plan.N, plan.d, plan.br, plan.bc, plan.dtype, plan.causal, plan.splits);
  if (plan.algo == "flash2") return closed_form_flash2_fwd(plan.N, plan.d, plan.br, plan.bc, plan.dtype, plan.causal);
  if (plan.algo == "standard")
    return plan.causal ? closed_form_standard_fwd(plan) : closed_form_standard(plan.N, plan.d, plan.M, plan.dtype);
  if (plan.algo == "rabe_staats") return closed_form_rabe_staats(plan);
  if (plan.algo == "decode") return closed_form_decode(plan.N, plan.d, plan.groups, plan.dtype);
  if (plan.algo == "flash_decoding")
    return closed_form_flash_decoding(plan.N, plan.d, plan.groups, plan.splits, plan.dtype);
  if (plan.algo == "flash_dtile") return closed_form_flash_dtile(plan.N, plan.d, plan.br, plan.dtype, plan.causal);
  throw sim::InputError("no closed form for algorithm '" + plan.algo + "'");
}

ClosedForm backward_of(const sim::Plan& plan) {
  const auto br = plan.bwd_br, bc = plan.bwd_bc;
  if (plan.algo == "flash1") return closed_form_flash1_bwd(plan.N, plan.d, br, bc, plan.dtype, plan.causal);
  if (plan.algo == "flash2") return closed_form_flash2_bwd(plan.N, plan.d, br, bc, plan.dtype, plan.causal);
  if (plan.algo == "standard") return closed_form_standard_bwd(plan);
  throw sim::InputError("no closed form for the backward pass of '" + plan.algo + "'");
}

/// Adds the backward's per-tensor counts to the forward's, in the simulator's
/// creation order: Q, K, V, dO, the forward's tensors, the backward's new ones.
ClosedForm merge(const ClosedForm& fwd, const ClosedForm& bwd) {
  ClosedForm cf;
  cf.tensors.assign(fwd.tensors.begin(), fwd.tensors.begin() + 3);
  for (const auto& t : bwd.tensors)
    if (t.name == "dO") cf.tensors.push_back({t.name, t.dtype, 0, 0});
  cf.tensors.insert(cf.tensors.end(), fwd.tensors.begin() + 3, fwd.tensors.end());
  for (const auto& t : bwd.tensors) {
    auto it = std::find_if(cf.tensors.begin(), cf.tensors.end(), [&](const TensorCount& x) { return x.name == t.name; });
    if (it == cf.tensors.end()) {
      cf.tensors.push_back(t);
    } else {
      it->reads = checked_add(it->reads, t.reads, "reads of " + t.name);
      it->writes = checked_add(it->writes, t.writes, "writes of " + t.name);
    }
  }
  sum_totals(cf);
  return cf;
}

}  // namespace

ClosedForm closed_form(const sim::Plan& plan) {
  switch (plan.pass) {
    case sim::Pass::fwd: return forward_of(plan);
    case sim::Pass::bwd: return backward_of(plan);
    case sim::Pass::fwdbwd: return merge(forward_of(plan), backward_of(plan));
  }
  throw std::logic_error("unknown pass");
}

}  // namespace iolab::analysis
