// Inference: one decoding step with a KV cache, Flash-Decoding's split over
// the KV length with a log-sum-exp reduction, and grouped-/multi-query
// attention (K/V read once per group of query heads).
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

Plan make(const std::string& algo, std::int64_t N, std::int64_t d, count_t M, std::int64_t groups = 1,
          std::int64_t splits = 0, Tiling tiling = Tiling::fit) {
  AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.M = M;
  p.groups = groups;
  p.splits = splits;
  p.tiling = tiling;
  return algorithm(algo).plan(p);
}

std::map<std::string, TensorTraffic> by_name(const SimResult& r) {
  std::map<std::string, TensorTraffic> m;
  for (const auto& t : r.tensors) m.emplace(t.name, t);
  return m;
}

}  // namespace

TEST_CASE("decode and flash_decoding compute the decoding step exactly", "[inference][compute]") {
  int checked = 0;
  for (const char* algo : {"decode", "flash_decoding"})
    for (std::int64_t N : {1, 7, 64, 333})
      for (std::int64_t g : {1, 3, 8})
        for (std::int64_t splits : {0, 1, 5, 1000})
          for (count_t M : {400ull, 5000ull}) {
            if (std::string(algo) == "decode" && splits) continue;
            const Plan plan = make(algo, N, 16, M, g, splits);
            SimOptions o;
            o.mode = Mode::compute;
            const auto r = simulate_plan(plan, o);
            INFO(algo << " N=" << N << " g=" << g << " splits=" << plan.splits << " M=" << M);
            CHECK(r.error->rel_frobenius <= 1e-12);
            CHECK(r.peak_sram_elems == plan.working_set);
            CHECK(r.peak_sram_elems <= M);
            ++checked;
          }
  CHECK(checked == 4 * 3 * 2 + 4 * 3 * 4 * 2);
}

TEST_CASE("decoding closed forms equal the simulation", "[inference][closed-form]") {
  int tested = 0;
  for (const char* algo : {"decode", "flash_decoding"})
    for (auto tiling : {Tiling::fit, Tiling::paper})
      for (std::int64_t N : {1, 2, 97, 1000, 4093, 65536})
        for (std::int64_t d : {1, 64, 128})
          for (std::int64_t g : {1, 4, 16})
            for (std::int64_t splits : {0, 3, 64})
              for (count_t M : {2000ull, 20000ull, 200000ull}) {
                if (std::string(algo) == "decode" && splits) continue;
                Plan plan;
                try {
                  plan = make(algo, N, d, M, g, splits, tiling);
                } catch (const CapacityError&) {
                  continue;
                }
                const auto e = analysis::evaluate(plan);
                INFO(algo << " N=" << N << " d=" << d << " g=" << g << " S=" << plan.splits << " M=" << M);
                REQUIRE(e.closed.tensors.size() == e.sim.tensors.size());
                for (std::size_t i = 0; i < e.sim.tensors.size(); ++i) {
                  CHECK(e.closed.tensors[i].name == e.sim.tensors[i].name);
                  CHECK(e.closed.tensors[i].dtype == e.sim.tensors[i].dtype);
                  CHECK(e.closed.tensors[i].reads == e.sim.tensors[i].reads_elems);
                  CHECK(e.closed.tensors[i].writes == e.sim.tensors[i].writes_elems);
                }
                CHECK(e.closed_form_matches);
                if (plan.enforce_capacity) CHECK(e.sim.peak_sram_elems <= M);
                ++tested;
              }
  CHECK(tested >= 300);
}

TEST_CASE("grouped-query attention reads K and V once per group", "[inference]") {
  const std::int64_t N = 8192, d = 128, H = 32;
  for (std::int64_t g : {1, 4, 8, 32}) {  // MHA, GQA, GQA, MQA
    const auto r = by_name(simulate_plan(make("decode", N, d, 100000, g)));
    INFO("g=" << g);
    CHECK(r.at("K").reads_elems == static_cast<count_t>(N * d));
    CHECK(r.at("V").reads_elems == static_cast<count_t>(N * d));
    CHECK(r.at("Q").reads_elems == static_cast<count_t>(g * d));
    // per layer: H / g groups, so K/V traffic is 2 N d H / g
    const count_t layer_kv = static_cast<count_t>(H / g) * (r.at("K").reads_elems + r.at("V").reads_elems);
    CHECK(layer_kv == static_cast<count_t>(2 * N * d * H / g));
  }
}

TEST_CASE("Flash-Decoding pays Q per split and the partial results, in fp32", "[inference]") {
  const std::int64_t N = 10000, d = 64, g = 4;
  const auto dec = analysis::closed_form(make("decode", N, d, 30000, g));
  for (std::int64_t S : {1, 16, 100}) {
    const Plan plan = make("flash_decoding", N, d, 30000, g, S);
    CHECK(plan.splits == S);
    const auto fd = analysis::closed_form(plan);
    INFO("S=" << S);
    CHECK(fd.total() == dec.total() + static_cast<count_t>((S - 1) * g * d + 2 * S * g * (d + 1)));
    const auto r = by_name(simulate_plan(plan));
    CHECK(r.at("LSE_split").dtype == DType::fp32);
    CHECK(r.at("O_split").dtype == DType::fp32);
    CHECK(r.at("L").dtype == DType::fp32);
    CHECK(r.at("LSE_split").writes_elems == static_cast<count_t>(S * g));
  }
  // splits that do not divide N: no empty split
  CHECK(make("flash_decoding", 10, 8, 5000, 1, 4).splits == 4);   // 3+3+3+1
  CHECK(make("flash_decoding", 10, 8, 5000, 1, 6).splits == 5);   // 2+2+2+2+2
  CHECK(make("flash_decoding", 10, 8, 5000, 1, 50).splits == 10);
}

TEST_CASE("decoding options are refused where they do not apply", "[inference]") {
  AttentionProblem p;
  p.algo = "flash1";
  p.N = 100;
  p.d = 16;
  p.M = 5000;
  p.groups = 4;
  CHECK_THROWS_WITH(plan_flash1(p), Catch::Contains("--groups"));
  p.groups = 1;
  p.splits = 3;
  p.algo = "flash2";  // flash1 takes --splits (Q-block splits), see test_flash1_splits.cpp
  CHECK_THROWS_WITH(plan_flash2(p), Catch::Contains("--splits"));
  p.algo = "decode";
  CHECK_THROWS_WITH(plan_decode(p), Catch::Contains("--splits"));
  p.splits = 0;
  p.pass = Pass::bwd;
  CHECK_THROWS_WITH(plan_decode(p), Catch::Contains("no backward"));
  p.pass = Pass::fwd;
  p.groups = 0;
  CHECK_THROWS_AS(plan_decode(p), InputError);
  p.groups = 64;
  p.M = 64 * 16 * 2;  // Q and O alone fill it
  CHECK_THROWS_AS(plan_decode(p), CapacityError);
}
