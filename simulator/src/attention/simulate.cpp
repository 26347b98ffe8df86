#include "iolab/sim/attention/simulate.hpp"

#include <algorithm>
#include <random>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/attention/reference_backward.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {
namespace {

HbmTensor* find_tensor(Machine& m, std::string_view name) {
  for (const auto& t : m.tensors())
    if (t.name() == name) return const_cast<HbmTensor*>(&t);
  return nullptr;
}

void bind_saved(BackwardIO& io, std::string_view name, HbmTensor* t) {
  if (name == "O") io.O = t;
  else if (name == "l") io.l = t;
  else if (name == "m") io.m = t;
  else if (name == "L") io.L = t;
  else if (name == "P") io.P = t;
  else throw std::logic_error("unknown saved tensor '" + std::string(name) + "'");
}

std::vector<std::string_view> saved_names(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    out.push_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

SimResult simulate(const AttentionProblem& problem, const SimOptions& options) {
  return simulate_plan(algorithm(problem.algo).plan(problem), options);
}

SimResult simulate_plan(const Plan& plan, const SimOptions& options) {
  const AlgorithmInfo& algo = algorithm(plan.algo);
  const bool fwd = has_forward(plan.pass), bwd = has_backward(plan.pass);
  if (bwd && !algo.run_backward)
    throw InputError("algorithm '" + plan.algo + "' has no backward pass (use --pass fwd)");
  Machine m({plan.M, options.mode, plan.enforce_capacity});
  if (options.observer) m.set_observer(options.observer);
  const std::int64_t q_rows = plan.q_rows > 0 ? plan.q_rows : plan.N;  // decoding: one row per query head
  auto& Q = m.hbm_tensor("Q", q_rows, plan.d, plan.dtype);
  auto& K = m.hbm_tensor("K", plan.N, plan.d, plan.dtype);
  auto& V = m.hbm_tensor("V", plan.N, plan.d, plan.dtype);
  HbmTensor* dO = bwd ? &m.hbm_tensor("dO", plan.N, plan.d, plan.dtype) : nullptr;
  std::mt19937_64 rng(options.seed);
  if (m.computes()) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (auto* t : {&Q, &K, &V})
      for (double& x : t->values()) x = u(rng);
    if (dO)
      for (double& x : dO->values()) x = u(rng);
  }

  HbmTensor* O = fwd ? &algo.run(m, plan, Q, K, V) : nullptr;
  Gradients grads;
  if (bwd) {
    BackwardIO io{&Q, &K, &V, dO};
    const auto names = saved_names(algo.saved);
    if (fwd) {
      for (auto name : names) {
        HbmTensor* t = find_tensor(m, name);
        if (!t) throw std::logic_error("forward of '" + plan.algo + "' did not create '" + std::string(name) + "'");
        bind_saved(io, name, t);
      }
    } else {
      std::optional<ReferenceForward> ref;
      if (m.computes())
        ref = reference_forward(Q.values(), K.values(), V.values(), plan.N, plan.d, plan.scale, plan.causal,
                                algo.saved.find('P') != std::string_view::npos);
      for (auto name : names) {
        HbmTensor* t = nullptr;
        if (name == "O") t = &m.hbm_tensor("O", plan.N, plan.d, plan.dtype);
        else if (name == "P") t = &m.hbm_tensor("P", plan.N, plan.N, plan.dtype);
        else t = &m.hbm_tensor(std::string(name), plan.N, 1, DType::fp32);
        if (ref) {
          const auto& src = name == "O" ? ref->O : name == "P" ? ref->P : name == "l" ? ref->l
                          : name == "m" ? ref->m : ref->L;
          std::copy(src.begin(), src.end(), t->values().begin());
        }
        bind_saved(io, name, t);
      }
    }
    grads = algo.run_backward(m, plan, io);
  }

  SimResult r;
  r.plan = plan;
  for (const auto& t : m.tensors())
    r.tensors.push_back({t.name(), t.dtype(), t.rows(), t.cols(), t.reads_elems(), t.writes_elems(),
                         t.reads_bytes(), t.writes_bytes()});
  r.reads_elems = m.hbm_reads_elems();
  r.writes_elems = m.hbm_writes_elems();
  r.hbm_bytes = m.hbm_bytes();
  r.transfers = m.transfers();
  r.peak_sram_elems = m.sram().peak_elems();
  if (m.computes()) {
    if (O && plan.q_rows > 0) {  // decoding: the query is the last position, every cached key is visible
      const auto ref = reference_decode(Q.values(), K.values(), V.values(), q_rows, plan.N, plan.d, plan.scale);
      r.errors.push_back({"O", compare(O->values(), ref)});
    } else if (O && plan.block_mask) {
      const BlockMask& bm = *plan.block_mask;
      const auto ref = reference_attention_masked(Q.values(), K.values(), V.values(), plan.N, plan.d, plan.scale,
                                                  [&](std::int64_t x, std::int64_t y) {
                                                    return bm.at(x / plan.br, y / plan.bc);
                                                  });
      r.errors.push_back({"O", compare(O->values(), ref)});
    } else if (O) {
      const auto ref = plan.causal
                           ? reference_forward(Q.values(), K.values(), V.values(), plan.N, plan.d, plan.scale, true,
                                               false)
                                 .O
                           : reference_attention(Q.values(), K.values(), V.values(), plan.N, plan.d, plan.scale);
      r.errors.push_back({"O", compare(O->values(), ref)});
    }
    if (bwd) {
      const auto g = reference_backward(Q.values(), K.values(), V.values(), dO->values(), plan.N, plan.d, plan.scale,
                                        plan.causal);
      r.errors.push_back({"dQ", compare(grads.dQ->values(), g.dQ)});
      r.errors.push_back({"dK", compare(grads.dK->values(), g.dK)});
      r.errors.push_back({"dV", compare(grads.dV->values(), g.dV)});
    }
    for (const auto& e : r.errors) {
      if (!r.error) r.error = e.stats;
      r.error->rel_frobenius = std::max(r.error->rel_frobenius, e.stats.rel_frobenius);
      r.error->max_abs = std::max(r.error->max_abs, e.stats.max_abs);
    }
  }
  return r;
}

}  // namespace iolab::sim
