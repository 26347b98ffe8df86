// Compute mode and count-only mode make the same call sequence: identical
// per-tensor counts, peaks and transfer traces.
#include <catch2/catch.hpp>

#include <tuple>
#include <vector>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/hbm_tensor.hpp"

using namespace iolab::sim;

namespace {
struct Trace : TransferObserver {
  std::vector<std::tuple<count_t, Direction, std::string, std::int64_t, std::int64_t, std::int64_t, std::int64_t>> ev;
  void on_transfer(const TransferEvent& e) override {
    ev.emplace_back(e.step, e.direction, e.tensor->name(), e.row0, e.rows, e.col0, e.cols);
  }
};
}  // namespace

TEST_CASE("compute and count-only modes give identical counts and traces", "[modes]") {
  int compared = 0;
  for (const auto& info : algorithms())
    for (auto tiling : {Tiling::fit, Tiling::paper})
      for (std::int64_t N : {1, 9, 40, 77})
        for (std::int64_t d : {2, 16})
          for (count_t M : {200ull, 700ull, 5000ull}) {
            AttentionProblem p;
            p.algo = info.name;
            p.N = N;
            p.d = d;
            p.M = M;
            p.tiling = tiling;
            const Plan plan = info.plan(p);
            Trace tc, tn;
            SimOptions c{Mode::compute, 3, &tc}, n{Mode::count_only, 3, &tn};
            const auto rc = simulate_plan(plan, c);
            const auto rn = simulate_plan(plan, n);
            INFO(info.name << " N=" << N << " d=" << d << " M=" << M);
            REQUIRE(rc.tensors.size() == rn.tensors.size());
            for (std::size_t i = 0; i < rc.tensors.size(); ++i) {
              CHECK(rc.tensors[i].reads_elems == rn.tensors[i].reads_elems);
              CHECK(rc.tensors[i].writes_elems == rn.tensors[i].writes_elems);
            }
            CHECK(rc.peak_sram_elems == rn.peak_sram_elems);
            CHECK(rc.transfers == rn.transfers);
            CHECK(tc.ev == tn.ev);
            CHECK_FALSE(rn.error.has_value());
            ++compared;
          }
  CHECK(compared == static_cast<int>(algorithms().size()) * 2 * 4 * 2 * 3);
}

TEST_CASE("compute and count-only modes agree for backward passes and causal masks", "[modes][backward]") {
  int compared = 0;
  for (const auto& info : algorithms())
    for (Pass pass : {Pass::fwd, Pass::bwd, Pass::fwdbwd})
      for (bool causal : {false, true})
        for (std::int64_t N : {1, 9, 40})
          for (count_t M : {300ull, 3000ull}) {
            if (has_backward(pass) && !info.run_backward) continue;  // flash_dtile is forward only
            AttentionProblem p;
            p.algo = info.name;
            p.N = N;
            p.d = 4;
            p.M = M;
            p.pass = pass;
            p.causal = causal;
            const Plan plan = info.plan(p);
            Trace tc, tn;
            SimOptions c{Mode::compute, 5, &tc}, n{Mode::count_only, 5, &tn};
            const auto rc = simulate_plan(plan, c);
            const auto rn = simulate_plan(plan, n);
            INFO(info.name << " pass=" << name_of(pass) << " causal=" << causal << " N=" << N << " M=" << M);
            REQUIRE(rc.tensors.size() == rn.tensors.size());
            for (std::size_t i = 0; i < rc.tensors.size(); ++i) {
              CHECK(rc.tensors[i].name == rn.tensors[i].name);
              CHECK(rc.tensors[i].reads_elems == rn.tensors[i].reads_elems);
              CHECK(rc.tensors[i].writes_elems == rn.tensors[i].writes_elems);
            }
            CHECK(rc.peak_sram_elems == rn.peak_sram_elems);
            CHECK(tc.ev == tn.ev);
            CHECK(rc.error.has_value());
            CHECK_FALSE(rn.error.has_value());
            ++compared;
          }
  // every algorithm forward (2 masks x 3 N x 2 M), three of them backward too
  CHECK(compared >= 4 * 2 * 3 * 2 + 3 * 2 * 2 * 3 * 2);
}
