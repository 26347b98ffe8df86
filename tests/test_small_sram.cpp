// Small SRAM (M < d^2): flash_dtile computes attention exactly, its closed
// form equals the simulation, and it beats FlashAttention exactly in the
// regime where the bound report says it should.
#include <catch2/catch.hpp>

#include <cmath>

#include "iolab/analysis/bounds.hpp"
#include "iolab/analysis/closed_form.hpp"
#include "iolab/analysis/evaluation.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab;
using namespace iolab::sim;

namespace {

Plan make(const std::string& algo, std::int64_t N, std::int64_t d, count_t M, bool causal = false) {
  AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.M = M;
  p.causal = causal;
  return algorithm(algo).plan(p);
}

}  // namespace

TEST_CASE("flash_dtile computes attention exactly, with and without a causal mask", "[small-sram][compute]") {
  int checked = 0;
  for (bool causal : {false, true})
    for (std::int64_t N : {1, 5, 31, 64})
      for (std::int64_t d : {1, 7, 32})
        for (count_t M : {9ull, 40ull, 200ull, 3000ull}) {
          const Plan plan = make("flash_dtile", N, d, M, causal);
          SimOptions o;
          o.mode = Mode::compute;
          const auto r = simulate_plan(plan, o);
          INFO("N=" << N << " d=" << d << " M=" << M << " B=" << plan.br << " Bd=" << plan.bd);
          CHECK(r.error->rel_frobenius <= 1e-12);
          CHECK(r.peak_sram_elems == plan.working_set);
          CHECK(r.peak_sram_elems <= M);
          ++checked;
        }
  CHECK(checked == 2 * 4 * 3 * 4);
}

TEST_CASE("flash_dtile's closed form equals the simulation, ragged sizes and small M included", "[small-sram][closed-form]") {
  int tested = 0, ragged = 0, small = 0;
  for (bool causal : {false, true})
    for (std::int64_t N : {1, 2, 13, 97, 300, 1021})
      for (std::int64_t d : {1, 16, 64, 128})
        for (count_t M : {9ull, 50ull, 257ull, 1000ull, 4099ull, 20000ull, 70000ull}) {
          const Plan plan = make("flash_dtile", N, d, M, causal);
          const double blocks = std::pow(std::ceil(static_cast<double>(N) / plan.br), 2) *
                                std::ceil(static_cast<double>(d) / plan.bd);
          if (blocks > 2e4) continue;
          const auto e = analysis::evaluate(plan);
          INFO("causal=" << causal << " N=" << N << " d=" << d << " M=" << M << " B=" << plan.br);
          REQUIRE(e.closed.tensors.size() == e.sim.tensors.size());
          for (std::size_t i = 0; i < e.sim.tensors.size(); ++i) {
            INFO(e.sim.tensors[i].name);
            CHECK(e.closed.tensors[i].reads == e.sim.tensors[i].reads_elems);
            CHECK(e.closed.tensors[i].writes == e.sim.tensors[i].writes_elems);
          }
          CHECK(e.closed_form_matches);
          ++tested;
          if (N % plan.br || d % plan.bd) ++ragged;
          if (analysis::small_sram(plan)) ++small;
        }
  CHECK(tested >= 200);
  CHECK(ragged >= 50);
  CHECK(small >= 50);
}

TEST_CASE("the bound report names the regime and uses the matching formula", "[small-sram][bounds]") {
  const Plan a = make("flash1", 1024, 128, 4096);  // 4096 < 128^2
  const auto ba = analysis::bound_for(a, 1);
  CHECK(ba.regime == "M < d^2");
  CHECK(ba.formula == "N^2*d^2/M");
  CHECK(ba.lower_formula == "N^2*d/sqrt(M)");
  CHECK(ba.lower_value == Approx(1024.0 * 1024 * 128 / 64));
  const Plan b = make("flash1", 1024, 128, 16384);  // = d^2
  const auto bb = analysis::bound_for(b, 1);
  CHECK(bb.regime == "M >= d^2");
  CHECK(bb.lower_formula == "N^2*d^2/M");
  CHECK(analysis::bound_for(make("standard", 1024, 128, 4096), 1).formula == "N*d + N^2*d/sqrt(M)");
  CHECK(analysis::bound_for(make("standard", 1024, 128, 65536), 1).formula == "N*d + N^2");
  CHECK(analysis::bound_for(make("flash_dtile", 1024, 128, 4096), 1).formula == "N^2*d/sqrt(M)");
}

TEST_CASE("flash_dtile beats FlashAttention when M < d^2 and loses when M >> d^2", "[small-sram]") {
  const std::int64_t N = 2048, d = 128;
  for (count_t M : {1024ull, 2048ull, 4096ull}) {  // M < d^2 = 16384
    const auto t = analysis::closed_form(make("flash_dtile", N, d, M)).total();
    for (const char* f : {"flash1", "flash2"}) {
      INFO(f << " M=" << M);
      CHECK(t < analysis::closed_form(make(f, N, d, M)).total());
    }
  }
  for (count_t M : {262144ull, 1048576ull}) {  // M >= 16 d^2
    const auto t = analysis::closed_form(make("flash_dtile", N, d, M)).total();
    CHECK(t > analysis::closed_form(make("flash2", N, d, M)).total());
  }
  // Theta(N^2 d / sqrt(M)): quadrupling M halves the traffic (up to rounding of B).
  const auto t1 = static_cast<double>(analysis::closed_form(make("flash_dtile", 4096, 256, 4000)).total());
  const auto t4 = static_cast<double>(analysis::closed_form(make("flash_dtile", 4096, 256, 16000)).total());
  CHECK(t1 / t4 == Approx(2.0).epsilon(0.1));
  CHECK_THROWS_AS(make("flash_dtile", 10, 4, 8), CapacityError);
  AttentionProblem p;
  p.algo = "flash_dtile";
  p.N = 10;
  p.d = 4;
  p.M = 100;
  p.pass = Pass::bwd;
  CHECK_THROWS_WITH(plan_flash_dtile(p), Catch::Contains("no backward"));
}
