// Backward passes and causal masks: gradients against the float64 reference,
// closed forms against the simulator, Algorithm 4's structural promises.
#include <catch2/catch.hpp>

#include <map>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/analysis/evaluation.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab;
using namespace iolab::sim;

namespace {

count_t smallest_bwd_M(const std::string& algo, std::int64_t d) {
  if (algo == "standard") return 3;
  if (algo == "flash1") return flash1_backward_working_set(1, 1, d);
  return flash2_backward_working_set(1, 1, d);
}

Plan make(const std::string& algo, std::int64_t N, std::int64_t d, count_t M, Pass pass, bool causal,
          Tiling tiling = Tiling::fit, DType dt = DType::fp16) {
  AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.M = M;
  p.pass = pass;
  p.causal = causal;
  p.tiling = tiling;
  p.dtype = dt;
  return algorithm(algo).plan(p);
}

std::map<std::string, std::pair<count_t, count_t>> per_tensor(const SimResult& r) {
  std::map<std::string, std::pair<count_t, count_t>> m;
  for (const auto& t : r.tensors) m[t.name] = {t.reads_elems, t.writes_elems};
  return m;
}

}  // namespace

TEST_CASE("backward passes compute dQ, dK, dV within 1e-10 of the float64 reference", "[backward][compute]") {
  int checked = 0;
  std::uint64_t seed = 100;
  for (const char* algo : {"standard", "flash1", "flash2"})
    for (bool causal : {false, true})
      for (Pass pass : {Pass::bwd, Pass::fwdbwd})
        for (std::int64_t N : {1, 2, 7, 33, 70})
          for (std::int64_t d : {1, 5, 16}) {
            const count_t lo = smallest_bwd_M(algo, d);
            for (count_t M : {lo, lo + 11, 4 * lo + 3 * static_cast<count_t>(N * d)}) {
              const Plan plan = make(algo, N, d, M, pass, causal);
              SimOptions o;
              o.mode = Mode::compute;
              o.seed = ++seed;
              const auto r = simulate_plan(plan, o);
              INFO(algo << " pass=" << name_of(pass) << " causal=" << causal << " N=" << N << " d=" << d
                        << " M=" << M << " Br=" << plan.bwd_br << " Bc=" << plan.bwd_bc);
              REQUIRE(r.errors.size() == (pass == Pass::fwdbwd ? 4u : 3u));
              for (const auto& e : r.errors) {
                INFO(e.tensor);
                CHECK(e.stats.rel_frobenius <= 1e-10);
              }
              ++checked;
            }
          }
  CHECK(checked == 3 * 2 * 2 * 5 * 3 * 3);
}

TEST_CASE("causal forward passes compute masked attention exactly", "[masks][compute]") {
  int checked = 0;
  for (const char* algo : {"standard", "flash1", "flash2"})
    for (auto tiling : {Tiling::fit, Tiling::paper})
      for (std::int64_t N : {1, 3, 17, 64, 101})
        for (std::int64_t d : {1, 8})
          for (count_t M : {60ull, 300ull, 5000ull}) {
            Plan plan;
            try {
              plan = make(algo, N, d, M, Pass::fwd, true, tiling);
            } catch (const CapacityError&) {
              continue;
            }
            SimOptions o;
            o.mode = Mode::compute;
            const auto r = simulate_plan(plan, o);
            INFO(algo << " N=" << N << " d=" << d << " M=" << M);
            CHECK(r.error->rel_frobenius <= 1e-12);
            ++checked;
          }
  CHECK(checked > 150);
}

TEST_CASE("backward and causal closed forms equal the simulated counts", "[backward][masks][closed-form]") {
  int tested = 0, ragged = 0, smallest = 0;
  for (const char* algo : {"standard", "flash1", "flash2"})
    for (Pass pass : {Pass::fwd, Pass::bwd, Pass::fwdbwd})
      for (bool causal : {false, true})
        for (auto tiling : {Tiling::fit, Tiling::paper}) {
          if (std::string(algo) == "standard" && tiling == Tiling::paper) continue;
          if (pass == Pass::fwd && !causal) continue;  // test_closed_forms.cpp covers it
          for (std::int64_t N : {1, 2, 13, 97, 257, 1000})
            for (std::int64_t d : {1, 16, 64}) {
              const count_t lo = tiling == Tiling::paper ? 1 : smallest_bwd_M(algo, d);
              std::vector<count_t> Ms{lo};
              for (count_t M = lo * 3 + 7; M < static_cast<count_t>(N * d); M = M * 4 + 3) Ms.push_back(M);
              Ms.push_back(std::max<count_t>(lo, N * d + 5));
              for (count_t M : Ms) {
                const Plan plan = make(algo, N, d, M, pass, causal, tiling, (N + d) % 2 ? DType::bf16 : DType::fp32);
                // keep the run short: skip plans with very many small blocks
                const double blocks = std::string(algo) == "standard"
                                          ? static_cast<double>(N) * N / (static_cast<double>(plan.gemm_tile) + 1)
                                          : static_cast<double>(N) * N / (static_cast<double>(plan.br) * plan.bc);
                if (blocks > 1.2e4) continue;
                const auto e = analysis::evaluate(plan);
                INFO(algo << " pass=" << name_of(pass) << " causal=" << causal << " tiling=" << name_of(tiling)
                          << " N=" << N << " d=" << d << " M=" << M);
                REQUIRE(e.closed.tensors.size() == e.sim.tensors.size());
                for (std::size_t i = 0; i < e.sim.tensors.size(); ++i) {
                  INFO("tensor " << e.sim.tensors[i].name);
                  CHECK(e.closed.tensors[i].name == e.sim.tensors[i].name);
                  CHECK(e.closed.tensors[i].dtype == e.sim.tensors[i].dtype);
                  CHECK(e.closed.tensors[i].reads == e.sim.tensors[i].reads_elems);
                  CHECK(e.closed.tensors[i].writes == e.sim.tensors[i].writes_elems);
                }
                CHECK(e.closed_form_matches);
                CHECK(e.sim.peak_sram_elems == plan.working_set);
                if (plan.enforce_capacity) CHECK(e.sim.peak_sram_elems <= M);
                ++tested;
                if (M == lo) ++smallest;
                if (plan.bwd_br && (N % plan.bwd_br || N % plan.bwd_bc)) ++ragged;
              }
            }
        }
  CHECK(tested >= 400);
  CHECK(ragged >= 50);
  CHECK(smallest >= 50);
}

TEST_CASE("Algorithm 4: K, V read once, dK, dV written once, T_c passes over Q, O, dO, l, m, dQ", "[backward]") {
  for (std::int64_t N : {100, 257, 1024}) {
    const Plan plan = make("flash1", N, 32, 20000, Pass::bwd, false);
    const auto c = per_tensor(simulate_plan(plan));
    const count_t Nd = static_cast<count_t>(N) * 32;
    const auto Tc = static_cast<count_t>(ceil_div(N, plan.bwd_bc));
    INFO("N=" << N << " Bc=" << plan.bwd_bc);
    CHECK(Tc > 1);
    CHECK(c.at("K") == std::pair<count_t, count_t>{Nd, 0});
    CHECK(c.at("V") == std::pair<count_t, count_t>{Nd, 0});
    CHECK(c.at("dK") == std::pair<count_t, count_t>{0, Nd});
    CHECK(c.at("dV") == std::pair<count_t, count_t>{0, Nd});
    for (const char* t : {"Q", "O", "dO"}) CHECK(c.at(t) == std::pair<count_t, count_t>{Tc * Nd, 0});
    for (const char* t : {"l", "m"}) CHECK(c.at(t) == std::pair<count_t, count_t>{Tc * N, 0});
    CHECK(c.at("dQ") == std::pair<count_t, count_t>{Tc * Nd, (Tc + 1) * Nd});
    // FlashAttention-2's backward reads O once (for D) instead of T_c times.
    const Plan p2 = make("flash2", N, 32, 20000, Pass::bwd, false);
    const auto c2 = per_tensor(simulate_plan(p2));
    CHECK(c2.at("O") == std::pair<count_t, count_t>{Nd, 0});
    CHECK(c2.count("l") == 0);
    CHECK(c2.at("L").first == static_cast<count_t>(ceil_div(N, p2.bwd_bc)) * N);
  }
}

TEST_CASE("causal masks skip blocks above the diagonal: about half the traffic", "[masks]") {
  for (const char* algo : {"flash1", "flash2", "standard"}) {
    const Plan full = make(algo, 4096, 64, 49152, Pass::fwd, false);
    const Plan causal = make(algo, 4096, 64, 49152, Pass::fwd, true);
    const auto a = analysis::closed_form(full).total(), b = analysis::closed_form(causal).total();
    INFO(algo << " full=" << a << " causal=" << b);
    CHECK(b < a);
    CHECK(static_cast<double>(b) / static_cast<double>(a) > 0.45);
    CHECK(static_cast<double>(b) / static_cast<double>(a) < 0.65);
  }
  // A single block: nothing to skip, the counts equal the unmasked ones.
  const Plan one = make("flash2", 10, 4, 100000, Pass::fwd, true);
  const Plan none = make("flash2", 10, 4, 100000, Pass::fwd, false);
  CHECK(analysis::closed_form(one).total() == analysis::closed_form(none).total());
}

TEST_CASE("pass parsing and plans for every pass", "[backward]") {
  CHECK(parse_pass("fwd") == Pass::fwd);
  CHECK(parse_pass("bwd") == Pass::bwd);
  CHECK(parse_pass("fwdbwd") == Pass::fwdbwd);
  CHECK_THROWS_WITH(parse_pass("both"), Catch::Contains("'both'"));
  const Plan fb = make("flash1", 1000, 64, 49152, Pass::fwdbwd, false);
  CHECK(fb.br > 0);
  CHECK(fb.bwd_bc > 0);
  CHECK(fb.bwd_bc < fb.bc);  // the backward's working set is larger, its blocks smaller
  CHECK(fb.working_set == std::max(fb.fwd_working_set, fb.bwd_working_set));
  CHECK(fb.working_set <= 49152);
  // Too small for the backward even though the forward fits.
  AttentionProblem p;
  p.algo = "flash1";
  p.N = 100;
  p.d = 64;
  p.M = flash1_working_set(1, 1, 64);
  CHECK_NOTHROW(plan_flash1(p));
  p.pass = Pass::bwd;
  CHECK_THROWS_AS(plan_flash1(p), CapacityError);
}
