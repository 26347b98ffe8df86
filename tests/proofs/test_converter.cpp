// Simulator schedules converted into pebbling moves.
#include <catch2/catch.hpp>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/proofs/schedule_converter.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab::proofs;

TEST_CASE("flash1 (B_r = B_c = 1) converts to a legal one-shot game on the online CDAG", "[converter]") {
  for (int N = 1; N <= 3; ++N)
    for (int d = 1; d <= 2; ++d) {
      INFO("N=" << N << " d=" << d);
      const Cdag g = attention_online(N, d);
      const ConvertedSchedule s = convert_schedule(g, "flash1", N, d);
      REQUIRE(s.check.ok);
      CHECK(s.game == Game::one_shot);
      CHECK(s.elided_loads == 0);
      // Every element the simulator moves is a move of the game, except the
      // constants of Algorithm 1 line 2 (O = 0, l = 0, m = -inf: written once
      // and read in the first step): 2 (N d + 2 N) elements.
      const auto cf = iolab::analysis::closed_form_flash1(N, d, 1, 1, iolab::sim::DType::fp32);
      CHECK(s.sim_transfer_elems == cf.total());
      CHECK(s.constant_elems == static_cast<std::uint64_t>(2 * (N * d + 2 * N)));
      CHECK(s.check.io() == cf.total() - s.constant_elems);
      // Illegal one pebble below its peak.
      CHECK_FALSE(check(g, s.peak_red - 1, Game::one_shot, s.moves).ok);
    }
  // The table of proofs/pebbling.md.
  const ConvertedSchedule s = convert_schedule(attention_online(2, 1), "flash1", 2, 1);
  CHECK(s.check.io() == 26);
  CHECK(s.peak_red == 12);
}

TEST_CASE("standard converts to a legal one-shot game on the textbook CDAG", "[converter]") {
  for (int N = 1; N <= 3; ++N)
    for (int d = 1; d <= 2; ++d) {
      INFO("N=" << N << " d=" << d);
      const Cdag g = attention_textbook(N, d);
      const ConvertedSchedule s = convert_schedule(g, "standard", N, d);
      REQUIRE(s.check.ok);
      CHECK(s.game == Game::one_shot);
      CHECK(s.constant_elems == 0);
      const auto cf = iolab::analysis::closed_form_standard(N, d, s.sim_M_elems, iolab::sim::DType::fp32);
      CHECK(s.elided_loads == 0);
      CHECK(s.check.io() == cf.total());
      CHECK(s.sim_transfer_elems == cf.total());
    }
}

TEST_CASE("conversion refuses what it cannot express", "[converter]") {
  using iolab::sim::InputError;
  CHECK_THROWS_AS(cdag_for_schedule("flash2", 2, 1), InputError);
  // standard with GEMM tiles smaller than the matrices accumulates partial sums
  // across loads, which the textbook CDAG's summation order does not follow.
  CHECK_THROWS_AS(convert_schedule(attention_textbook(4, 1), "standard", 4, 1, 12), InputError);
  // flash1's schedule does not live on the textbook CDAG.
  CHECK_THROWS_AS(convert_schedule(attention_textbook(2, 1), "flash1", 2, 1), InputError);
}
