// The closed forms of analysis/ equal the simulator's per-tensor counts
// exactly, over a wide grid: N from 1 to 4096 including primes, d in
// {1, 16, 64, 128}, M from the smallest feasible value up to N*d, both tilings.
#include <catch2/catch.hpp>

#include <cmath>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/analysis/evaluation.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/tiled_gemm.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab;
using namespace iolab::sim;

namespace {

count_t smallest_feasible_M(const std::string& algo, std::int64_t d, Tiling tiling) {
  if (algo == "flash_dtile") return flash_dtile_working_set(1, 1, 1);
  if (algo == "rabe_staats") return static_cast<count_t>(2 * d + 4);
  if (tiling == Tiling::paper && algo != "standard") return 1;
  if (algo == "standard") return 3;
  if (algo == "flash1") return flash1_working_set(1, 1, d);
  return flash2_working_set(1, 1, d);
}

/// Number of transfers the run will make (to keep the test fast).
double estimated_transfers(const Plan& p) {
  const double N = static_cast<double>(p.N), d = static_cast<double>(p.d);
  if (p.algo == "standard") {
    const double t = static_cast<double>(p.gemm_tile);
    const double blocks = std::ceil(N / std::min(N, t));
    return 2 * blocks * blocks * std::ceil(d / std::min(d, t)) + 2 * blocks * std::ceil(N / std::min(N, t)) +
           3 * N * std::ceil(N / static_cast<double>(p.softmax_chunk));
  }
  if (p.algo == "rabe_staats") {
    const double t = static_cast<double>(p.gemm_tile), blocks = std::ceil(N / t);
    return 2 * blocks * blocks * std::ceil(d / std::min(d, t)) + 4 * N * std::ceil(N / static_cast<double>(p.key_chunk));
  }
  if (p.algo == "flash_dtile")
    return (4.0 * std::ceil(d / static_cast<double>(p.bd)) + 1) * std::ceil(N / static_cast<double>(p.br)) *
           std::ceil(N / static_cast<double>(p.bc));
  return 7.0 * std::ceil(N / static_cast<double>(p.br)) * std::ceil(N / static_cast<double>(p.bc));
}

}  // namespace

TEST_CASE("closed forms equal simulated counts on >= 500 configurations", "[closed-form]") {
  int tested = 0, at_smallest_M = 0, ragged = 0;
  for (const auto& info : algorithms()) {
    const std::string algo(info.name);
    for (auto tiling : {Tiling::fit, Tiling::paper}) {
      if (single_tiling(algo) && tiling == Tiling::paper) continue;
      for (std::int64_t N : {1, 2, 3, 7, 13, 31, 64, 97, 128, 257, 509, 1000, 1024, 2039, 4093, 4096}) {
        for (std::int64_t d : {1, 16, 64, 128}) {
          const count_t lo = smallest_feasible_M(algo, d, tiling);
          const count_t hi = static_cast<count_t>(N * d);
          std::vector<count_t> Ms{lo};
          for (count_t M = lo * 2 + 1; M < hi; M = M * 3 + 5) Ms.push_back(M);
          Ms.push_back(std::max(hi, lo));
          for (count_t M : Ms) {
            AttentionProblem p;
            p.algo = algo;
            p.N = N;
            p.d = d;
            p.M = M;
            p.tiling = tiling;
            p.dtype = (N + d) % 2 ? DType::bf16 : DType::fp32;
            const Plan plan = info.plan(p);
            if (estimated_transfers(plan) > 3e5) continue;
            const auto e = analysis::evaluate(plan);
            INFO(algo << " tiling=" << name_of(tiling) << " N=" << N << " d=" << d << " M=" << M << " Br=" << plan.br
                      << " Bc=" << plan.bc);
            REQUIRE(e.closed.tensors.size() == e.sim.tensors.size());
            for (std::size_t i = 0; i < e.closed.tensors.size(); ++i) {
              INFO("tensor " << e.sim.tensors[i].name);
              CHECK(e.closed.tensors[i].name == e.sim.tensors[i].name);
              CHECK(e.closed.tensors[i].reads == e.sim.tensors[i].reads_elems);
              CHECK(e.closed.tensors[i].writes == e.sim.tensors[i].writes_elems);
            }
            CHECK(e.closed.bytes == e.sim.hbm_bytes);
            CHECK(e.closed_form_matches);
            // The planned working set is the measured peak, and fits when enforced.
            CHECK(e.sim.peak_sram_elems == plan.working_set);
            if (plan.enforce_capacity) CHECK(e.sim.peak_sram_elems <= M);
            ++tested;
            if (M == lo) ++at_smallest_M;
            if (N % plan.br || N % plan.bc) ++ragged;
          }
        }
      }
    }
  }
  CHECK(tested >= 500);
  CHECK(at_smallest_M >= 30);
  CHECK(ragged >= 100);
}

TEST_CASE("closed forms at the README's headline configuration", "[closed-form]") {
  // flash1, N = 4096, d = 64, M = 96 KiB of fp16 = 49152 elements, paper tiling:
  // B_c = ceil(49152/256) = 192, T_c = ceil(4096/192) = 22.
  const auto cf = analysis::closed_form_flash1(4096, 64, 64, 192, DType::fp16);
  const count_t Nd = 4096 * 64;
  CHECK(cf.tensors[0].reads == 22 * Nd);             // Q
  CHECK(cf.tensors[3].writes == 23 * Nd);            // O
  CHECK(cf.reads == 22 * Nd + 2 * Nd + 22 * Nd + 2 * 22 * 4096);
  CHECK(cf.writes == 23 * Nd + 2 * 23 * 4096);
  CHECK(cf.bytes == 2 * (cf.reads + cf.writes) + 2 * (2 * 22 * 4096 + 2 * 23 * 4096));
}

TEST_CASE("closed forms refuse configurations that overflow 64 bits", "[closed-form]") {
  CHECK_THROWS_AS(analysis::closed_form_standard(4'000'000'000, 128, 1 << 20, DType::fp16), OverflowError);
  CHECK_THROWS_AS(analysis::closed_form_flash1(3'000'000'000, 1 << 20, 1, 1, DType::fp16), OverflowError);
  CHECK_NOTHROW(analysis::closed_form_flash2(1 << 20, 128, 64, 64, DType::fp16));
}

TEST_CASE("standard's GEMM tile is the largest t with 3t^2 <= M", "[closed-form]") {
  for (count_t M : {3ull, 11ull, 12ull, 48ull, 49152ull, 1ull << 40}) {
    const auto t = static_cast<count_t>(square_tile_for(M));
    CHECK(3 * t * t <= M);
    CHECK(3 * (t + 1) * (t + 1) > M);
  }
  CHECK(square_tile_for(2) == 0);
}
