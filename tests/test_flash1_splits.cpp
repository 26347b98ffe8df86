// flash1 with its Q blocks split over S thread blocks (--splits S, the CUDA
// kernel's schedule): the simulated per-tensor counts equal the closed form
// over many configurations (ragged N, causal or not, S from 1 to T_r), S = 1
// is the paper's schedule, the splits compute exact attention, and bad values
// are refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/analysis/evaluation.hpp"
#include "iolab/kernels/tiling.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/gpu/gpu_model.hpp"

using namespace iolab;
using namespace iolab::sim;

namespace {

AttentionProblem problem(std::int64_t N, std::int64_t d, std::int64_t br, std::int64_t bc, bool causal,
                         std::int64_t splits) {
  AttentionProblem p;
  p.algo = "flash1";
  p.N = N;
  p.d = d;
  p.M = 1 << 22;
  p.br = br;
  p.bc = bc;
  p.causal = causal;
  p.splits = splits;
  p.dtype = (N + splits) % 2 ? DType::fp16 : DType::bf16;
  return p;
}

count_t reads_of(const analysis::ClosedForm& cf, const std::string& name) {
  for (const auto& t : cf.tensors)
    if (t.name == name) return t.reads;
  FAIL("no tensor " << name);
  return 0;
}

}  // namespace

TEST_CASE("flash1 with S splits: simulation equals the closed form", "[flash1][splits][closed-form]") {
  int tested = 0, ragged = 0, causal_split = 0, partial_round = 0;
  for (std::int64_t N : {1, 2, 7, 64, 100, 129, 257, 500, 1000, 1031}) {
    for (std::int64_t d : {1, 8, 64}) {
      for (auto [br, bc] : {std::pair<std::int64_t, std::int64_t>{16, 16}, {16, 32}, {32, 16}, {7, 12}, {64, 128}}) {
        for (bool causal : {false, true}) {
          const std::int64_t t_r = ceil_div(N, std::min(br, N));
          std::set<std::int64_t> splits{1, 2, 3, 5, t_r / 2, t_r - 1, t_r};
          for (std::int64_t S : splits) {
            if (S < 1 || S > t_r) continue;
            const Plan plan = plan_flash1(problem(N, d, br, bc, causal, S));
            REQUIRE(plan.splits == S);
            const auto e = analysis::evaluate(plan);
            INFO("N=" << N << " d=" << d << " Br=" << plan.br << " Bc=" << plan.bc << " causal=" << causal
                      << " S=" << S);
            REQUIRE(e.closed.tensors.size() == e.sim.tensors.size());
            for (std::size_t i = 0; i < e.closed.tensors.size(); ++i) {
              INFO("tensor " << e.sim.tensors[i].name);
              CHECK(e.closed.tensors[i].name == e.sim.tensors[i].name);
              CHECK(e.closed.tensors[i].reads == e.sim.tensors[i].reads_elems);
              CHECK(e.closed.tensors[i].writes == e.sim.tensors[i].writes_elems);
            }
            CHECK(e.closed.bytes == e.sim.hbm_bytes);
            CHECK(e.closed_form_matches);
            CHECK(e.sim.peak_sram_elems == plan.working_set);  // one split's SRAM, as with S = 1
            ++tested;
            if (N % plan.br || N % plan.bc) ++ragged;
            if (causal && S > 1) ++causal_split;
            if (t_r % S) ++partial_round;
          }
        }
      }
    }
  }
  CHECK(tested >= 500);
  CHECK(ragged >= 200);
  CHECK(causal_split >= 200);
  CHECK(partial_round >= 100);
}

TEST_CASE("flash1 splits change only the K and V reads", "[flash1][splits]") {
  for (bool causal : {false, true}) {
    const auto one = analysis::closed_form_flash1_fwd(1000, 64, 16, 32, DType::fp16, causal, 1);
    const auto five = analysis::closed_form_flash1_fwd(1000, 64, 16, 32, DType::fp16, causal, 5);
    for (std::size_t i = 0; i < one.tensors.size(); ++i) {
      INFO(one.tensors[i].name << " causal=" << causal);
      CHECK(one.tensors[i].writes == five.tensors[i].writes);
      if (one.tensors[i].name != "K" && one.tensors[i].name != "V") CHECK(one.tensors[i].reads == five.tensors[i].reads);
    }
    CHECK(reads_of(one, "K") == 1000 * 64);  // S = 1: the paper's N d
  }
  // Unmasked: K read S times.  N = 1000, B_r = 16: T_r = 63.
  CHECK(reads_of(analysis::closed_form_flash1_fwd(1000, 64, 16, 32, DType::fp16, false, 5), "K") == 5 * 1000 * 64);
  // Causal, T_r = 63, S = 5, p = 3: last Q blocks [63-3-5, 63-6-1] = 55..56 and
  // [60, 62] (57, 58, 59 are round-11 blocks of the splits 2, 1, 0 that also
  // have a round-12 block).  Block i reaches key row
  // C_i = min(N, 32 ceil(min(N, 16 i + 16) / 32)): 896, 928, 992, 992, 1000.
  CHECK(reads_of(analysis::closed_form_flash1_fwd(1000, 64, 16, 32, DType::fp16, true, 5), "K") ==
        (896 + 928 + 992 + 992 + 1000) * 64);
  // The splits' last blocks, straight from the kernel's assignment.
  std::set<std::int64_t> last;
  for (std::int64_t s = 0; s < 5; ++s)
    last.insert(kernels::flash1_q_block(s, 5, kernels::flash1_split_q_blocks(s, 5, 63) - 1));
  CHECK(last == std::set<std::int64_t>{55, 56, 60, 61, 62});
}

TEST_CASE("flash1 splits: every Q block belongs to exactly one split, causal work is balanced",
          "[flash1][splits]") {
  for (std::int64_t t_r : {1, 2, 3, 8, 31, 64, 256}) {
    for (std::int64_t S = 1; S <= t_r; S = S * 2 + 1) {
      std::vector<int> owner(static_cast<std::size_t>(t_r), 0);
      std::int64_t min_work = INT64_MAX, max_work = 0;
      for (std::int64_t s = 0; s < S; ++s) {
        const std::int64_t n = kernels::flash1_split_q_blocks(s, S, t_r);
        CHECK(n >= 1);
        std::int64_t work = 0, prev = -1;
        for (std::int64_t r = 0; r < n; ++r) {
          const std::int64_t i = kernels::flash1_q_block(s, S, r);
          REQUIRE(i < t_r);
          CHECK(i > prev);  // increasing, as the causal loop needs
          prev = i;
          ++owner[static_cast<std::size_t>(i)];
          work += i + 1;  // causal: block i meets about i + 1 K/V blocks of its size
        }
        min_work = std::min(min_work, work);
        max_work = std::max(max_work, work);
      }
      for (int o : owner) CHECK(o == 1);
      // Pairs of rounds give every split the same work; the unpaired last
      // (partial) round adds at most one block of at most t_r.
      INFO("T_r=" << t_r << " S=" << S);
      CHECK(max_work - min_work <= 2 * t_r);
    }
  }
}

TEST_CASE("flash1 with splits computes exact attention", "[flash1][splits][compute]") {
  int checked = 0;
  for (std::int64_t N : {5, 33, 101}) {
    for (bool causal : {false, true}) {
      for (std::int64_t S : {1, 2, 3, 7}) {
        if (S > ceil_div(N, 4)) continue;  // T_r = ceil(N / 4) Q blocks
        const Plan plan = plan_flash1(problem(N, 16, 4, 8, causal, S));
        SimOptions opts;
        opts.mode = Mode::compute;
        opts.seed = static_cast<std::uint64_t>(N * 10 + S);
        const auto r = simulate_plan(plan, opts);
        INFO("N=" << N << " causal=" << causal << " S=" << S);
        REQUIRE(r.error.has_value());
        CHECK(r.error->rel_frobenius <= 1e-12);
        CHECK(r.error->max_abs <= 1e-12);
        ++checked;
      }
    }
  }
  CHECK(checked == 20);
}

TEST_CASE("flash1 --splits: default 1, bad values refused", "[flash1][splits]") {
  AttentionProblem p = problem(100, 16, 16, 16, false, 0);
  CHECK(plan_flash1(p).splits == 1);  // 0 = not given: the paper's schedule
  p.splits = 7;                       // T_r = ceil(100 / 16) = 7
  CHECK(plan_flash1(p).splits == 7);
  p.splits = 8;
  CHECK_THROWS_WITH(plan_flash1(p), Catch::Contains("--splits 8 exceeds the T_r"));
  p.splits = -1;
  CHECK_THROWS_AS(plan_flash1(p), InputError);
  p.splits = 2;
  p.mask = "causal";
  CHECK_THROWS_WITH(plan_flash1(p), Catch::Contains("block-sparse"));
  p.mask.clear();
  p.pass = Pass::bwd;
  CHECK_THROWS_WITH(plan_flash1(p), Catch::Contains("no forward"));
  p.pass = Pass::fwdbwd;
  CHECK_NOTHROW(plan_flash1(p));
  p.pass = Pass::fwd;
  p.algo = "flash2";
  CHECK_THROWS_WITH(plan_flash2(p), Catch::Contains("--splits applies to flash_decoding and flash1"));
}

TEST_CASE("flash1 GPU replay moves the closed form's bytes with the kernel's splits", "[flash1][splits][gpu]") {
  // The replay (kernel_replay.cpp) follows flash1.cu: B_r, B_c from tiling.hpp
  // ((64 or 128), 256), S = flash1_splits(B*H, N, d, 132).  Its SRAM <-> L2 bytes are the closed form
  // of the same schedule (O, l, m in fp32) plus the final pass (O fp32, l, m
  // read; O and LSE written).
  int tested = 0;
  for (std::int64_t N : {1, 63, 100, 512, 1000, 2049})
    for (std::int64_t d : {64, 128})
      for (bool causal : {false, true})
        for (auto [B, H] : {std::pair<std::int64_t, std::int64_t>{1, 1}, {2, 3}, {4, 16}}) {
          const std::int64_t S = kernels::flash1_splits(B * H, N, static_cast<int>(d), 132);
          REQUIRE(S >= 1);
          const auto cf = analysis::closed_form_flash1_fwd(N, d, kernels::flash1_block_rows(static_cast<int>(d)),
                                                           kernels::flash1_block_cols(static_cast<int>(d)), DType::fp16,
                                                           causal, S);
          auto at = [&](const std::string& name) {
            for (const auto& t : cf.tensors)
              if (t.name == name) return t;
            FAIL("no tensor " << name);
            return cf.tensors[0];
          };
          const std::uint64_t BH = static_cast<std::uint64_t>(B * H), n = static_cast<std::uint64_t>(N),
                              dd = static_cast<std::uint64_t>(d);
          const std::uint64_t reads = 2 * (at("Q").reads + at("K").reads + at("V").reads) +
                                      4 * (at("O").reads + at("l").reads + at("m").reads) + n * (4 * dd + 8);
          const std::uint64_t writes = 4 * (at("O").writes + at("l").writes + at("m").writes) + n * (2 * dd + 4);
          gpu::ModelOptions schedule_only;  // no L1: every transfer of the schedule crosses to the L2
          schedule_only.l1 = false;
          const auto p = gpu::predict({"flash1", B, H, N, d, causal, 2}, gpu::gpu_spec("h200"), schedule_only);
          INFO("N=" << N << " d=" << d << " causal=" << causal << " B=" << B << " H=" << H << " S=" << S);
          REQUIRE(p.launches.size() == 1);
          CHECK(p.sram_read_bytes == BH * reads);
          CHECK(p.sram_write_bytes == BH * writes);
          CHECK(p.time_s > 0);
          ++tested;
        }
  CHECK(tested == 72);
}
