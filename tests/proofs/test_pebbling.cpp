// The move checker: legal sequences are counted, every broken rule is caught.
#include <catch2/catch.hpp>

#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/pebbling.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab::proofs;

namespace {
std::vector<Move> moves(const Cdag& g, const char* text) { return parse_moves(g, text); }
}  // namespace

TEST_CASE("checker accepts and counts a legal diamond game", "[pebbling]") {
  const Cdag g = diamond();
  const auto mv = moves(g, "load a\ncompute b\ncompute c\ndelete a\ncompute d\nstore d\n");
  const auto r = check(g, 3, Game::one_shot, mv);
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(r.loads == 1);
  CHECK(r.stores == 1);
  CHECK(r.io() == 2);
  CHECK(r.computes == 3);
  CHECK(r.deletes == 1);
  CHECK(r.peak_red == 3);
  CHECK(format_moves(g, mv) == "load a\ncompute b\ncompute c\ndelete a\ncompute d\nstore d\n");
  CHECK(parse_moves(g, moves_csv(g, mv)) == mv);  // CSV round trip
}

TEST_CASE("checker rejects illegal sequences", "[pebbling]") {
  const Cdag g = diamond();
  auto err = [&](const char* text, std::size_t M, Game game = Game::hong_kung) {
    const auto r = check(g, M, game, moves(g, text));
    CHECK_FALSE(r.ok);
    return r.error;
  };
  // compute without red inputs
  CHECK_THAT(err("load a\ncompute b\ndelete a\ncompute c\n", 3), Catch::Contains("predecessor a carries no red"));
  // more than M red pebbles
  CHECK_THAT(err("load a\ncompute b\ncompute c\ncompute d\nstore d\n", 3), Catch::Contains("exceed M = 3"));
  // an output never stored
  CHECK_THAT(err("load a\ncompute b\ncompute c\ndelete a\ncompute d\n", 3), Catch::Contains("output d never stored"));
  // load without a blue pebble
  CHECK_THAT(err("load b\n", 3), Catch::Contains("no blue pebble"));
  // inputs cannot be computed
  CHECK_THAT(err("compute a\n", 3), Catch::Contains("inputs cannot be computed"));
  // store / delete without red
  CHECK_THAT(err("store a\n", 3), Catch::Contains("no red pebble"));
  CHECK_THAT(err("delete a\n", 3), Catch::Contains("no red pebble"));
  // double placement
  CHECK_THAT(err("load a\nload a\n", 3), Catch::Contains("already carries a red"));
  // recomputation is refused only in the one-shot game
  const char* recompute = "load a\ncompute b\ndelete b\ncompute b\ncompute c\ndelete a\ncompute d\nstore d\n";
  CHECK(check(g, 3, Game::hong_kung, moves(g, recompute)).ok);
  CHECK_THAT(err(recompute, 3, Game::one_shot), Catch::Contains("recomputation"));
  // the failing move is reported
  const auto r = check(g, 3, Game::hong_kung, moves(g, "load a\ncompute d\n"));
  CHECK(r.failed_at == 1);
}

TEST_CASE("M must allow every compute", "[pebbling]") {
  CHECK_THROWS_AS(require_playable(diamond(), 2), iolab::sim::InputError);
  CHECK_NOTHROW(require_playable(diamond(), 3));
  CHECK_NOTHROW(require_playable(chain(5), 2));
}

TEST_CASE("move parser rejects unknown ops and names", "[pebbling]") {
  const Cdag g = diamond();
  CHECK_THROWS_AS(parse_moves(g, "fly a\n"), iolab::sim::InputError);
  CHECK_THROWS_AS(parse_moves(g, "load zz\n"), iolab::sim::InputError);
  CHECK(parse_moves(g, "# comment\n\nload a # trailing\n").size() == 1);
}
