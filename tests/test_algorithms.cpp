// Every algorithm, in compute mode, computes softmax(QK^T/sqrt(d))V to within
// 1e-12 relative of the float64 reference, for many shapes including ragged
// ones and SRAM sizes at the edge of feasibility.
#include <catch2/catch.hpp>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab::sim;

namespace {

count_t smallest_feasible_M(const std::string& algo, std::int64_t d, Tiling tiling) {
  if (algo == "flash_dtile") return flash_dtile_working_set(1, 1, 1);
  if (algo == "rabe_staats") return static_cast<count_t>(2 * d + 4);
  if (tiling == Tiling::paper) return 1;
  if (algo == "standard") return 3;
  if (algo == "flash1") return flash1_working_set(1, 1, d);
  return flash2_working_set(1, 1, d);
}

}  // namespace

TEST_CASE("algorithms compute exact attention on random inputs", "[algorithms][compute]") {
  int checked = 0;
  std::uint64_t seed = 7;
  for (const auto& info : algorithms()) {
    for (auto tiling : {Tiling::fit, Tiling::paper}) {
      for (std::int64_t N : {1, 2, 5, 17, 33, 64, 101}) {
        for (std::int64_t d : {1, 3, 16, 64}) {
          const count_t lo = smallest_feasible_M(std::string(info.name), d, tiling);
          for (count_t M : {lo, lo + 7, 3 * lo, static_cast<count_t>(N * d), static_cast<count_t>(4 * N * d + 64)}) {
            AttentionProblem p;
            p.algo = info.name;
            p.N = N;
            p.d = d;
            p.M = std::max<count_t>(M, 1);
            p.tiling = tiling;
            Plan plan;
            try {
              plan = info.plan(p);
            } catch (const CapacityError&) {
              continue;  // N*d below the smallest feasible M
            }
            SimOptions opts;
            opts.mode = Mode::compute;
            opts.seed = ++seed;
            const auto r = simulate_plan(plan, opts);
            INFO(info.name << " tiling=" << name_of(tiling) << " N=" << N << " d=" << d << " M=" << p.M
                           << " Br=" << plan.br << " Bc=" << plan.bc);
            REQUIRE(r.error.has_value());
            CHECK(r.error->rel_frobenius <= 1e-12);
            CHECK(r.error->max_abs <= 1e-12);
            ++checked;
          }
        }
      }
    }
  }
  CHECK(checked > 300);
}

TEST_CASE("explicit block sizes are honoured and capacity-checked", "[algorithms]") {
  AttentionProblem p;
  p.algo = "flash1";
  p.N = 50;
  p.d = 8;
  p.M = 10'000;
  p.br = 7;
  p.bc = 9;
  const auto plan = plan_flash1(p);
  CHECK(plan.br == 7);
  CHECK(plan.bc == 9);
  CHECK(plan.explicit_blocks);
  SimOptions opts;
  opts.mode = Mode::compute;
  CHECK(simulate_plan(plan, opts).error->rel_frobenius <= 1e-12);
  p.M = flash1_working_set(7, 9, 8) - 1;
  CHECK_THROWS_AS(plan_flash1(p), CapacityError);
  p.M = 10'000;
  p.bc.reset();
  CHECK_THROWS_WITH(plan_flash1(p), Catch::Contains("together"));
  p.algo = "standard";
  p.bc = 4;
  CHECK_THROWS_AS(plan_standard(p), InputError);
}

TEST_CASE("fit tiling takes the largest block that fits; paper tiling is literal", "[algorithms]") {
  AttentionProblem p;
  p.algo = "flash1";
  p.N = 4096;
  p.d = 64;
  p.M = 49152;  // 96 KiB of fp16
  auto fit = plan_flash1(p);
  CHECK(fit.br == std::min<std::int64_t>(fit.bc, 64));
  CHECK(flash1_working_set(fit.br, fit.bc, 64) <= p.M);
  CHECK(flash1_working_set(std::min<std::int64_t>(fit.bc + 1, 64), fit.bc + 1, 64) > p.M);
  p.tiling = Tiling::paper;
  auto paper = plan_flash1(p);
  CHECK(paper.bc == 192);  // ceil(49152 / 256)
  CHECK(paper.br == 64);   // min(192, d)
  CHECK_FALSE(paper.enforce_capacity);
  CHECK(paper.working_set == flash1_working_set(64, 192, 64));
}

TEST_CASE("too small an SRAM is refused with the working set named", "[algorithms]") {
  AttentionProblem p;
  p.algo = "flash1";
  p.N = 100;
  p.d = 64;
  p.M = 4 * 64 + 4;
  CHECK_THROWS_WITH(plan_flash1(p), Catch::Contains("too small") && Catch::Contains("261"));
  p.algo = "standard";
  p.M = 2;
  CHECK_THROWS_AS(plan_standard(p), CapacityError);
  p.M = 100;
  p.N = 0;
  CHECK_THROWS_WITH(plan_standard(p), Catch::Contains("N must be"));
  p.N = 5;
  p.d = -1;
  CHECK_THROWS_WITH(plan_flash2(p), Catch::Contains("d must be"));
  CHECK_THROWS_AS(algorithm("flash3"), InputError);
}
