// Rabe and Staats's chunked attention: exact, closed form equal to the
// simulation, and the point of having it: its HBM footprint is chunk-sized
// while its HBM traffic stays that of standard attention.
#include <catch2/catch.hpp>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/analysis/evaluation.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab;
using namespace iolab::sim;

namespace {

Plan make(const std::string& algo, std::int64_t N, std::int64_t d, count_t M, std::int64_t cq = 0, std::int64_t ck = 0,
          bool causal = false) {
  AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.M = M;
  p.query_chunk = cq;
  p.key_chunk = ck;
  p.causal = causal;
  return algorithm(algo).plan(p);
}

count_t footprint(const SimResult& r) {
  count_t s = 0;
  for (const auto& t : r.tensors)
    if (t.name != "Q" && t.name != "K" && t.name != "V") s += static_cast<count_t>(t.rows) * t.cols;
  return s;
}

}  // namespace

TEST_CASE("rabe_staats computes attention exactly with any chunks", "[chunked][compute]") {
  int checked = 0;
  for (bool causal : {false, true})
    for (std::int64_t N : {1, 10, 77})
      for (std::int64_t cq : {0, 1, 16, 30})
        for (std::int64_t ck : {0, 3, 32})
          for (count_t M : {200ull, 3000ull}) {
            const Plan plan = make("rabe_staats", N, 8, M, cq, ck, causal);
            SimOptions o;
            o.mode = Mode::compute;
            const auto r = simulate_plan(plan, o);
            INFO("N=" << N << " Cq=" << plan.query_chunk << " Ck=" << plan.key_chunk << " M=" << M << " causal=" << causal);
            CHECK(r.error->rel_frobenius <= 1e-12);
            CHECK(r.peak_sram_elems == plan.working_set);
            CHECK(r.peak_sram_elems <= M);
            ++checked;
          }
  CHECK(checked == 2 * 3 * 4 * 3 * 2);
}

TEST_CASE("rabe_staats's closed form equals the simulation", "[chunked][closed-form]") {
  int tested = 0;
  for (bool causal : {false, true})
    for (std::int64_t N : {1, 13, 100, 257, 1000})
      for (std::int64_t d : {1, 16, 64})
        for (std::int64_t cq : {0, 7, 64})
          for (std::int64_t ck : {0, 50, 256})
            for (count_t M : {300ull, 5000ull, 40000ull}) {
              Plan plan;
              try {
                plan = make("rabe_staats", N, d, M, cq, ck, causal);
              } catch (const CapacityError&) {
                continue;
              }
              const double t = static_cast<double>(plan.gemm_tile);
              if (static_cast<double>(N) * N / (t * t) * std::max(1.0, d / t) > 2e5) continue;
              const auto e = analysis::evaluate(plan);
              INFO("N=" << N << " d=" << d << " Cq=" << plan.query_chunk << " Ck=" << plan.key_chunk << " M=" << M);
              REQUIRE(e.closed.tensors.size() == e.sim.tensors.size());
              for (std::size_t i = 0; i < e.sim.tensors.size(); ++i) {
                INFO(e.sim.tensors[i].name);
                CHECK(e.closed.tensors[i].reads == e.sim.tensors[i].reads_elems);
                CHECK(e.closed.tensors[i].writes == e.sim.tensors[i].writes_elems);
              }
              CHECK(e.closed_form_matches);
              ++tested;
            }
  CHECK(tested >= 300);
}

TEST_CASE("saving memory footprint is not saving HBM traffic", "[chunked]") {
  const std::int64_t N = 8192, d = 64;
  const count_t M = 49152;  // 96 KiB of fp16
  const auto rs = simulate_plan(make("rabe_staats", N, d, M));
  const auto st = simulate_plan(make("standard", N, d, M));
  const auto f2 = simulate_plan(make("flash2", N, d, M));
  const auto traffic = [](const SimResult& r) { return static_cast<double>(r.reads_elems + r.writes_elems); };
  INFO("footprint rs=" << footprint(rs) << " standard=" << footprint(st) << " flash2=" << footprint(f2));
  INFO("traffic rs=" << traffic(rs) << " standard=" << traffic(st) << " flash2=" << traffic(f2));
  CHECK(footprint(rs) * 10 < footprint(st));  // chunk-sized, not N x N
  CHECK(traffic(rs) > 0.5 * traffic(st));      // ... but the traffic of standard attention
  CHECK(traffic(rs) > 5 * traffic(f2));        // and far above FlashAttention's
  CHECK_THROWS_WITH(make("rabe_staats", 100, 16, 60, 0, 80), Catch::Contains("--key-chunk"));
}
