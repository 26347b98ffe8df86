// The exact solver: hand-derived optima, agreement with brute force on random
// DAGs, and every returned move sequence is legal and costs what it claims.
#include <catch2/catch.hpp>

#include <random>

#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/pebbling.hpp"
#include "iolab/proofs/solver.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab::proofs;

namespace {

std::uint64_t optimum(const Cdag& g, std::size_t M, Game game) {
  const SolveResult r = solve(g, M, game);
  REQUIRE(r.solved);
  const CheckResult c = check(g, M, game, r.moves);
  INFO(c.error);
  REQUIRE(c.ok);
  REQUIRE(c.io() == r.min_io);
  return r.min_io;
}

/// A random DAG on n vertices: vertex v picks each earlier vertex as a
/// predecessor with probability p, keeping at most max_in of them.
Cdag random_dag(std::mt19937_64& rng, int n, double p, int max_in) {
  Cdag g("random");
  std::bernoulli_distribution pick(p);
  for (int v = 0; v < n; ++v) {
    std::vector<Vertex> ps;
    for (int u = v - 1; u >= 0 && static_cast<int>(ps.size()) < max_in; --u)
      if (pick(rng)) ps.push_back(static_cast<Vertex>(u));
    g.add("v" + std::to_string(v), ps.empty() ? NodeKind::input : NodeKind::op, ps);
  }
  return g;
}

}  // namespace

TEST_CASE("hand optimum: a chain costs one load and one store", "[solver]") {
  // load v0, then compute v1..v7 sliding two red pebbles, store v7.
  for (std::size_t M : {2u, 3u, 5u}) {
    CHECK(optimum(chain(8), M, Game::hong_kung) == 2);
    CHECK(optimum(chain(8), M, Game::one_shot) == 2);
  }
}

TEST_CASE("hand optimum: a diamond costs 2", "[solver]") {
  // load a, compute b, compute c, delete a, compute d, store d.
  CHECK(optimum(diamond(), 3, Game::hong_kung) == 2);
  CHECK(optimum(diamond(), 3, Game::one_shot) == 2);
}

TEST_CASE("hand optima: binary reduction tree of 8 leaves", "[solver]") {
  // 8 loads + 1 store always. A subtree of height h needs h + 2 red pebbles
  // without spills (h >= 1), so M = 5 spills nothing: 9.
  CHECK(optimum(reduction_tree(8), 5, Game::hong_kung) == 9);
  // M = 4: the two height-2 subtrees each need 4; the first result must be
  // spilled (store + load) while the second is computed: 9 + 2 = 11.
  CHECK(optimum(reduction_tree(8), 4, Game::hong_kung) == 11);
  CHECK(optimum(reduction_tree(8), 4, Game::one_shot) == 11);
  // M = 3: a pair of siblings cannot be held while the second is computed, so
  // each of the 3 sibling pairs below the root costs a spill (or 2 reloads of
  // leaves): 9 + 3 * 2 = 15.
  CHECK(optimum(reduction_tree(8), 3, Game::hong_kung) == 15);
}

TEST_CASE("hand optima: 2x2 matrix product", "[solver]") {
  // 8 loads + 4 stores is a lower bound; with 7 red pebbles the order c00,
  // c01, c10, c11 keeps each input until its second use (peak 7): 12.
  CHECK(optimum(matmul(2), 7, Game::hong_kung) == 12);
  CHECK(optimum(matmul(2), 7, Game::one_shot) == 12);
  CHECK(optimum(matmul(2), 6, Game::hong_kung) > 12);
}

TEST_CASE("recomputation can beat storing", "[solver]") {
  // x = f(a) is needed at the start and at the end of a chain that itself needs
  // 3 pebbles (c_i = f(c_{i-1}, b)). With M = 3, x cannot stay red: reloading a
  // and recomputing x costs 1, a store and a load of x cost 2.
  Cdag g("recompute");
  const Vertex a = g.add("a", NodeKind::input, {});
  const Vertex b = g.add("b", NodeKind::input, {});
  const Vertex x = g.add("x", NodeKind::op, {a});
  Vertex c = g.add("c0", NodeKind::op, {x, b});
  for (int i = 1; i <= 3; ++i) c = g.add("c" + std::to_string(i), NodeKind::op, {c, b});
  g.add("out", NodeKind::op, {c, x});
  const auto hk = optimum(g, 3, Game::hong_kung), os = optimum(g, 3, Game::one_shot);
  CHECK(hk + 1 == os);
  CHECK(brute_force(g, 3, Game::hong_kung) == hk);
  CHECK(brute_force(g, 3, Game::one_shot) == os);
}

TEST_CASE("exact solver agrees with brute force on random small DAGs", "[solver][random]") {
  std::mt19937_64 rng(20240611);
  int compared = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 3 + trial % 6;  // 3..8 vertices
    const int max_in = 1 + trial % 3;
    const Cdag g = random_dag(rng, n, 0.5, max_in);
    const std::size_t base = g.max_in_degree() + 1;
    for (std::size_t M = base; M <= base + 1; ++M)
      for (Game game : {Game::hong_kung, Game::one_shot}) {
        INFO("trial " << trial << " M " << M << " " << name_of(game) << "\n" << to_dot(g));
        const auto bf = brute_force(g, M, game);
        REQUIRE(bf.has_value());
        CHECK(optimum(g, M, game) == *bf);
        ++compared;
      }
  }
  CHECK(compared == 240);
}

TEST_CASE("solver refuses what it cannot do", "[solver]") {
  CHECK_THROWS_AS(solve(diamond(), 2, Game::hong_kung), iolab::sim::InputError);  // M < in-degree + 1
  CHECK_THROWS_AS(solve(chain(65), 3, Game::hong_kung), iolab::sim::InputError);  // > 64 vertices
  SolveOptions tiny;
  tiny.max_states = 10;
  const auto r = solve(matmul(2), 3, Game::hong_kung, tiny);
  CHECK_FALSE(r.solved);
  CHECK_FALSE(r.gave_up_reason.empty());
}

TEST_CASE("attention instances: exact optima of the scalar CDAGs", "[solver][attention]") {
  // Enough pebbles: each of the 6 inputs loaded once, each of the 2 outputs stored once.
  CHECK(optimum(attention_textbook(2, 1), 6, Game::hong_kung) == 8);
  CHECK(optimum(attention_online(2, 1), 8, Game::one_shot) == 8);
  // Fewer pebbles force reloads and spills.
  CHECK(optimum(attention_textbook(2, 1), 4, Game::one_shot) == 12);
  CHECK(optimum(attention_online(2, 1), 5, Game::one_shot) == 12);
}
