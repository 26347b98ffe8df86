// Block-sparse FlashAttention (Algorithm 5): every pattern computes the
// block-masked attention exactly, the closed forms equal the simulation, and
// the traffic follows Proposition 4's Theta(N d + N^2 d^2 s / M).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "iolab/analysis/bounds.hpp"
#include "iolab/analysis/closed_form.hpp"
#include "iolab/analysis/evaluation.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab;
using namespace iolab::sim;

namespace {

Plan make(const std::string& algo, std::int64_t N, std::int64_t d, count_t M, const std::string& mask,
          Tiling tiling = Tiling::fit) {
  AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.M = M;
  p.mask = mask;
  p.tiling = tiling;
  return algorithm(algo).plan(p);
}

std::string grid_file() {
  const auto path = std::filesystem::temp_directory_path() / "iolab_test_mask.txt";
  std::ofstream(path) << "# a 4 x 4 token grid\n1 0 0 1\n1 1 0 0\n0 1 1 0\n0 0 1 1\n";
  return path.string();
}

}  // namespace

TEST_CASE("block-sparse patterns compute the block-masked attention exactly", "[blocksparse][compute]") {
  const std::string file = "file:" + grid_file();
  int checked = 0;
  for (const char* algo : {"flash1", "flash2"})
    for (const std::string mask : std::vector<std::string>{"causal", "local:5", "strided:4", "butterfly", "random:0.3:7", file})
      for (std::int64_t N : {1, 13, 64, 99})
        for (count_t M : {150ull, 600ull}) {
          const Plan plan = make(algo, N, 8, M, mask);
          SimOptions o;
          o.mode = Mode::compute;
          const auto r = simulate_plan(plan, o);
          INFO(algo << " mask=" << mask << " N=" << N << " M=" << M << " Br=" << plan.br << " Bc=" << plan.bc);
          CHECK(r.error->rel_frobenius <= 1e-12);
          ++checked;
        }
  CHECK(checked == 2 * 6 * 4 * 2);
}

TEST_CASE("block-sparse closed forms equal the simulation", "[blocksparse][closed-form]") {
  int tested = 0, sparse = 0;
  for (const char* algo : {"flash1", "flash2"})
    for (auto tiling : {Tiling::fit, Tiling::paper})
      for (const std::string mask : {"causal", "local:100", "strided:64", "butterfly", "random:0.1:3", "random:0.6"})
        for (std::int64_t N : {7, 257, 1000, 2039})
          for (std::int64_t d : {16, 64})
            for (count_t M : {600ull, 4000ull, 30000ull}) {
              Plan plan;
              try {
                plan = make(algo, N, d, M, mask, tiling);
              } catch (const CapacityError&) {
                continue;
              }
              if (static_cast<double>(N) * N / (static_cast<double>(plan.br) * plan.bc) > 3e4) continue;
              const auto e = analysis::evaluate(plan);
              INFO(algo << " mask=" << mask << " N=" << N << " d=" << d << " M=" << M);
              REQUIRE(e.closed.tensors.size() == e.sim.tensors.size());
              for (std::size_t i = 0; i < e.sim.tensors.size(); ++i) {
                CHECK(e.closed.tensors[i].reads == e.sim.tensors[i].reads_elems);
                CHECK(e.closed.tensors[i].writes == e.sim.tensors[i].writes_elems);
              }
              CHECK(e.closed_form_matches);
              ++tested;
              if (plan.block_mask->fraction() < 0.5) ++sparse;
            }
  CHECK(tested >= 250);
  CHECK(sparse >= 50);
}

TEST_CASE("Proposition 4: traffic is Theta(N d + N^2 d^2 s / M)", "[blocksparse][bounds]") {
  // Over a wide range of s (1/64 .. 1) and M, count / (N d + N^2 d^2 s / M)
  // stays within a constant band, while count / (N^2 d^2 / M) does not.
  double lo = 1e300, hi = 0, dense_lo = 1e300, dense_hi = 0;
  for (const std::string mask : {"local:16", "local:128", "butterfly", "random:0.05:2", "random:0.25:2", "causal"})
    for (count_t M : {8192ull, 32768ull, 131072ull}) {
      const Plan plan = make("flash1", 8192, 64, M, mask);
      const double count = static_cast<double>(analysis::closed_form(plan).total());
      const auto b = analysis::bound_for(plan, analysis::closed_form(plan).total());
      INFO(mask << " M=" << M << " s=" << plan.block_mask->fraction() << " ratio=" << b.ratio);
      CHECK_THAT(b.formula, Catch::Contains("s/M"));
      lo = std::min(lo, b.ratio);
      hi = std::max(hi, b.ratio);
      const double dense = count / (8192.0 * 8192 * 64 * 64 / static_cast<double>(M));
      dense_lo = std::min(dense_lo, dense);
      dense_hi = std::max(dense_hi, dense);
    }
  CHECK(hi / lo < 4.0);
  CHECK(dense_hi / dense_lo > 20.0);
  // Fewer nonzero blocks, less traffic.
  const auto t = [](const std::string& m) { return analysis::closed_form(make("flash2", 4096, 64, 49152, m)).total(); };
  CHECK(t("local:64") < t("local:512"));
  CHECK(t("local:512") < t("causal"));
}

TEST_CASE("mask patterns: fractions, file grids and one-line errors", "[blocksparse]") {
  const auto causal = make_block_mask("causal", 1024, 64, 64);
  CHECK(causal.rows == 16);
  CHECK(causal.nonzero() == 16 * 17 / 2);
  const auto local = make_block_mask("local:64", 1024, 64, 64);
  CHECK(local.nonzero() == 16 + 2 * 15);  // the diagonal and its two neighbours (distance exactly 64 touches them)
  const auto bf = make_block_mask("butterfly", 1024, 64, 64);
  CHECK(bf.nonzero() == 16 * 5);  // j = i and i XOR j in {1, 2, 4, 8}
  const auto rnd = make_block_mask("random:0.25:9", 4096, 16, 16);
  CHECK(rnd.fraction() > 0.2);
  CHECK(rnd.fraction() < 0.3);
  CHECK(make_block_mask("random:0.25:9", 4096, 16, 16).bits == rnd.bits);
  CHECK(make_block_mask("random:0.25:10", 4096, 16, 16).bits != rnd.bits);
  const auto st = make_block_mask("strided:8", 64, 4, 4);
  CHECK(st.at(0, 15));   // key block 15 holds key 63, 63 mod 8 = 7
  CHECK_FALSE(st.at(0, 4));
  const auto fm = make_block_mask("file:" + grid_file(), 16, 4, 4);
  CHECK(fm.at(0, 3));
  CHECK_FALSE(fm.at(0, 1));
  CHECK(fm.nonzero() == 8);
  for (const char* bad : {"dense", "local", "local:0", "strided:x", "random:1.5", "random:0", "butterfly:2", "file:"}) {
    INFO(bad);
    CHECK_THROWS_AS(validate_mask_spec(bad), InputError);
  }
  CHECK_THROWS_WITH(make_block_mask("file:/no/such/mask.txt", 16, 4, 4), Catch::Contains("cannot read"));
  const auto hole = std::filesystem::temp_directory_path() / "iolab_test_hole.txt";
  std::ofstream(hole) << "10\n00\n";
  CHECK_THROWS_WITH(make_block_mask("file:" + hole.string(), 16, 4, 4), Catch::Contains("without any key block"));
  AttentionProblem p;
  p.algo = "standard";
  p.N = 10;
  p.d = 4;
  p.M = 1000;
  p.mask = "causal";
  CHECK_THROWS_WITH(plan_standard(p), Catch::Contains("--mask applies"));
  p.algo = "flash1";
  p.causal = true;
  CHECK_THROWS_WITH(plan_flash1(p), Catch::Contains("do not combine"));
  p.causal = false;
  p.pass = Pass::bwd;
  CHECK_THROWS_WITH(plan_flash1(p), Catch::Contains("forward pass only"));
}
