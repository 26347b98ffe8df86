// Lower bounds: the eigenvalue routine, soundness against the exact solver,
// and lower bound <= optimum <= schedule on attention instances.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/lower_bound.hpp"
#include "iolab/proofs/schedule_converter.hpp"
#include "iolab/proofs/solver.hpp"

using namespace iolab::proofs;

TEST_CASE("symmetric eigenvalues match known spectra", "[bound][spectrum]") {
  // Path on n vertices: 2 - 2 cos(pi k / n), k = 0..n-1.
  const std::size_t n = 9;
  std::vector<double> L(n * n, 0.0);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    L[i * n + i] += 1;
    L[(i + 1) * n + i + 1] += 1;
    L[i * n + i + 1] = L[(i + 1) * n + i] = -1;
  }
  const auto ev = symmetric_eigenvalues(L, n);
  for (std::size_t k = 0; k < n; ++k) CHECK(ev[k] == Approx(2 - 2 * std::cos(M_PI * k / n)).margin(1e-9));
  // Complete graph K_5: 0 once, 5 four times.
  const std::size_t m = 5;
  std::vector<double> K(m * m, -1.0);
  for (std::size_t i = 0; i < m; ++i) K[i * m + i] = m - 1;
  const auto ek = symmetric_eigenvalues(K, m);
  CHECK(ek[0] == Approx(0).margin(1e-9));
  for (std::size_t k = 1; k < m; ++k) CHECK(ek[k] == Approx(5).margin(1e-9));
  // A dense random symmetric matrix: trace and Frobenius norm are preserved.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd;
  const std::size_t r = 30;
  std::vector<double> A(r * r);
  for (std::size_t i = 0; i < r; ++i)
    for (std::size_t j = 0; j <= i; ++j) A[i * r + j] = A[j * r + i] = nd(rng);
  double tr = 0, fro = 0;
  for (std::size_t i = 0; i < r; ++i) tr += A[i * r + i];
  for (double x : A) fro += x * x;
  const auto ea = symmetric_eigenvalues(A, r);
  double s = 0, s2 = 0;
  for (double x : ea) s += x, s2 += x * x;
  CHECK(s == Approx(tr).margin(1e-8));
  CHECK(s2 == Approx(fro).epsilon(1e-9));
  CHECK(std::is_sorted(ea.begin(), ea.end()));
}

TEST_CASE("trivial bound counts used inputs and outputs", "[bound]") {
  CHECK(lower_bound(chain(8), 2, Game::hong_kung).trivial == 2);
  CHECK(lower_bound(reduction_tree(8), 3, Game::hong_kung).trivial == 9);
  CHECK(lower_bound(matmul(2), 3, Game::hong_kung).trivial == 12);
  // Proposition 3's counting: attention reads 3Nd inputs and writes Nd outputs.
  for (int N = 1; N <= 4; ++N)
    for (int d = 1; d <= 3; ++d) {
      CHECK(lower_bound(attention_textbook(N, d), 4, Game::hong_kung).trivial == static_cast<std::uint64_t>(4 * N * d));
      CHECK(lower_bound(attention_online(N, d), 4, Game::hong_kung).trivial == static_cast<std::uint64_t>(4 * N * d));
    }
  // The spectral bound is a one-shot bound only.
  CHECK_FALSE(lower_bound(matmul(2), 3, Game::hong_kung).spectral_applies);
  CHECK(lower_bound(matmul(2), 3, Game::one_shot).spectral_applies);
}

TEST_CASE("lower bounds never exceed the exact optimum", "[bound][random]") {
  std::mt19937_64 rng(99);
  std::bernoulli_distribution pick(0.45);
  int checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    Cdag g("random");
    const int n = 6 + trial % 9;  // 6..14 vertices
    for (int v = 0; v < n; ++v) {
      std::vector<Vertex> ps;
      for (int u = v - 1; u >= 0 && ps.size() < 2; --u)
        if (pick(rng)) ps.push_back(static_cast<Vertex>(u));
      g.add("v" + std::to_string(v), ps.empty() ? NodeKind::input : NodeKind::op, ps);
    }
    for (std::size_t M = g.max_in_degree() + 1; M <= g.max_in_degree() + 2; ++M)
      for (Game game : {Game::hong_kung, Game::one_shot}) {
        const auto lb = lower_bound(g, M, game);
        const auto opt = solve(g, M, game);
        REQUIRE(opt.solved);
        INFO("trial " << trial << " M " << M << " " << name_of(game));
        CHECK(lb.best <= opt.min_io);
        if (game == Game::one_shot) CHECK(lb.spectral <= opt.min_io);
        ++checked;
      }
  }
  for (const char* spec : {"tree:8", "matmul:2", "chain:8", "diamond"})
    for (std::size_t M = 3; M <= 5; ++M) {
      const Cdag g = family_from_spec(spec);
      const auto lb = lower_bound(g, M, Game::one_shot);
      CHECK(lb.spectral <= solve(g, M, Game::one_shot).min_io);
      CHECK(lb.best <= solve(g, M, Game::hong_kung).min_io);
    }
  CHECK(checked == 160);
}

TEST_CASE("attention: lower bound <= optimum <= converted schedule", "[bound][attention]") {
  struct Case {
    const char* algo;
    int N, d;
  };
  for (const Case c : {Case{"flash1", 2, 1}, Case{"standard", 2, 1}, Case{"flash1", 1, 2}, Case{"standard", 1, 2}}) {
    const Cdag g = cdag_for_schedule(c.algo, c.N, c.d);
    const ConvertedSchedule s = convert_schedule(g, c.algo, c.N, c.d);
    REQUIRE(s.check.ok);
    for (Game game : {Game::one_shot, Game::hong_kung}) {
      const std::size_t M = s.peak_red;
      const auto lb = lower_bound(g, M, game);
      const auto opt = solve(g, M, game);
      REQUIRE(opt.solved);
      const auto sched = check(g, M, game, s.moves);
      REQUIRE(sched.ok);
      INFO(c.algo << " N=" << c.N << " d=" << c.d << " M=" << M << " " << name_of(game));
      CHECK(lb.best <= opt.min_io);
      CHECK(opt.min_io <= sched.io());
    }
  }
}
