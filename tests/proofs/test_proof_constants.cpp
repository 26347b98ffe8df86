// The explicit constants that the Markdown proofs state, checked against the
// closed forms of analysis/ (which tests/test_closed_forms.cpp checks against
// the simulator). Each TEST_CASE names the proof file and the claim.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/lower_bound.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/attention/problem.hpp"

namespace an = iolab::analysis;
namespace sim = iolab::sim;
using sim::count_t;

namespace {

sim::Plan plan_of(const char* algo, std::int64_t N, std::int64_t d, count_t M, sim::Pass pass = sim::Pass::fwd,
                  std::string mask = {}) {
  sim::AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.M = M;
  p.pass = pass;
  p.mask = std::move(mask);
  return sim::algorithm(algo).plan(p);
}

/// M from lo to hi (inclusive) in roughly geometric steps, always hitting both ends.
std::vector<count_t> m_range(count_t lo, count_t hi) {
  std::vector<count_t> r;
  for (double m = static_cast<double>(lo); m < static_cast<double>(hi); m *= 1.37) r.push_back(static_cast<count_t>(m));
  r.push_back(hi);
  return r;
}

const std::vector<std::int64_t> kNs{64, 100, 256, 1000, 4096};
const std::vector<std::int64_t> kDs{1, 2, 3, 8, 16, 64};

}  // namespace

TEST_CASE("theorem2-forward.md: standard moves between 4(N^2+Nd) and 7(N^2+Nd) when M >= 3d^2", "[constants]") {
  int n = 0;
  for (auto N : kNs)
    for (auto d : kDs)
      for (count_t M : m_range(3 * d * d, 3 * N * N + 3 * d * d)) {
        const auto cf = an::closed_form(plan_of("standard", N, d, M));
        const double base = static_cast<double>(N * N + N * d);
        INFO("N=" << N << " d=" << d << " M=" << M);
        CHECK(cf.total() >= 4 * base);
        CHECK(cf.total() <= 7 * base);
        if (M >= static_cast<count_t>(3 * std::max(N, d) * std::max(N, d))) CHECK(cf.total() == 4 * base);
        ++n;
      }
  CHECK(n > 300);
}

TEST_CASE("theorem2-forward.md: flash1 moves (3T_c+3)Nd + (4T_c+2)N and 9 <= count/(N^2 d^2/M) <= 54", "[constants]") {
  int n = 0;
  for (auto N : kNs)
    for (auto d : kDs) {
      const count_t lo = 5 * d * d + 14 * d, hi = N * d;
      if (lo > hi) continue;
      for (count_t M : m_range(lo, hi)) {
        const auto plan = plan_of("flash1", N, d, M);
        const auto cf = an::closed_form(plan);
        const count_t Tc = (N + plan.bc - 1) / plan.bc;
        CHECK(cf.total() == (3 * Tc + 3) * N * d + (4 * Tc + 2) * N);
        CHECK(plan.bc >= d);
        CHECK(3 * plan.bc * d <= M);              // so T_c >= 3Nd/M
        CHECK(6 * d * plan.bc > M);               // so T_c < 6Nd/M + 1
        const double r = static_cast<double>(cf.total()) / (double(N) * N * d * d / double(M));
        INFO("N=" << N << " d=" << d << " M=" << M << " ratio " << r);
        CHECK(r >= 9.0);
        CHECK(r <= 54.0);
        ++n;
      }
    }
  CHECK(n > 100);
}

TEST_CASE("theorem2-forward.md: flash2 moves 2Nd + 2T_r Nd + N and 6 <= count/(N^2 d^2/M) <= 25", "[constants]") {
  int n = 0;
  for (auto N : kNs)
    for (auto d : kDs) {
      const count_t lo = 5 * d * d + 14 * d, hi = N * d;
      if (lo > hi) continue;
      for (count_t M : m_range(lo, hi)) {
        const auto plan = plan_of("flash2", N, d, M);
        const auto cf = an::closed_form(plan);
        const count_t Tr = (N + plan.br - 1) / plan.br;
        CHECK(cf.total() == 2 * N * d + 2 * Tr * N * d + N);
        const double r = static_cast<double>(cf.total()) / (double(N) * N * d * d / double(M));
        INFO("N=" << N << " d=" << d << " M=" << M << " ratio " << r);
        CHECK(r >= 6.0);
        CHECK(r <= 25.0);
        ++n;
      }
    }
  CHECK(n > 100);
}

TEST_CASE("proposition3-lower-bound.md: every schedule moves at least 4Nd; so does every pebbling", "[constants]") {
  for (auto N : kNs)
    for (auto d : kDs)
      for (count_t M : m_range(std::max<count_t>(3 * d * d, 9 * d + 20), N * d)) {
        INFO("N=" << N << " d=" << d << " M=" << M);
        for (const char* algo : {"standard", "flash1", "flash2"})
          CHECK(an::closed_form(plan_of(algo, N, d, M)).total() >= static_cast<count_t>(4 * N * d));
        // At M = Nd the flash schedules are within a constant of 4Nd.
        if (M == static_cast<count_t>(N * d) && M >= 5 * d * d + 14 * d)
          CHECK(an::closed_form(plan_of("flash1", N, d, M)).total() <= 54 * static_cast<count_t>(N * d));
      }
  for (int N = 1; N <= 3; ++N)
    for (int d = 1; d <= 3; ++d)
      CHECK(iolab::proofs::lower_bound(iolab::proofs::attention_textbook(N, d), 64, iolab::proofs::Game::hong_kung)
                .trivial == static_cast<std::uint64_t>(4 * N * d));
}

TEST_CASE("theorem5-backward.md: flash1 backward moves 5T_c Nd + 5Nd + 2T_c N and 30 <= ratio <= 96", "[constants]") {
  int n = 0;
  for (auto N : kNs)
    for (auto d : kDs) {
      const count_t lo = 10 * d * d + 18 * d, hi = N * d;
      if (lo > hi) continue;
      for (count_t M : m_range(lo, hi)) {
        const auto plan = plan_of("flash1", N, d, M, sim::Pass::bwd);
        const auto cf = an::closed_form_flash1_bwd(N, d, plan.bwd_br, plan.bwd_bc, sim::DType::fp16, false);
        const count_t Tc = (N + plan.bwd_bc - 1) / plan.bwd_bc;
        CHECK(cf.total() == 5 * Tc * N * d + 5 * N * d + 2 * Tc * N);
        CHECK(an::closed_form(plan).total() == cf.total());
        CHECK(6 * plan.bwd_bc * d <= M);
        CHECK(12 * d * plan.bwd_bc > M);
        const double r = static_cast<double>(cf.total()) / (double(N) * N * d * d / double(M));
        INFO("N=" << N << " d=" << d << " M=" << M << " ratio " << r);
        CHECK(r >= 30.0);
        CHECK(r <= 96.0);
        ++n;
      }
    }
  CHECK(n > 80);
}

TEST_CASE("theorem5-backward.md: standard backward moves at least 7N^2 + 8Nd", "[constants]") {
  for (auto N : {64, 256, 1000})
    for (auto d : {1, 8, 64})
      for (count_t M : m_range(3 * d * d + 64, 3 * N * N)) {
        const auto plan = plan_of("standard", N, d, M, sim::Pass::bwd);
        INFO("N=" << N << " d=" << d << " M=" << M);
        CHECK(an::closed_form(plan).total() >= static_cast<count_t>(7 * N * N + 8 * N * d));
      }
}

TEST_CASE("proposition4-block-sparse.md: 3Nd + 9s N^2d^2/M <= flash1 <= 12Nd + 42 s N^2d^2/M", "[constants]") {
  int n = 0;
  for (const char* mask : {"causal", "local:40", "butterfly", "random:0.2", "random:0.5:7", "strided:64"})
    for (auto N : {256, 1024, 4096})
      for (auto d : {2, 8, 16}) {
        const count_t lo = 5 * d * d + 14 * d, hi = N * d;
        for (count_t M : m_range(lo, hi)) {
          const auto plan = plan_of("flash1", N, d, M, sim::Pass::fwd, mask);
          REQUIRE(plan.block_mask);
          const double s = plan.block_mask->fraction();
          const auto cf = an::closed_form(plan);
          const double x = double(N) * N * d * d / double(M);
          INFO(mask << " N=" << N << " d=" << d << " M=" << M << " s=" << s);
          // Z_r = sum of r_i over nonzero blocks; all blocks full when B_r | N.
          if (N % plan.br == 0) {
            const count_t Zr = static_cast<count_t>(plan.block_mask->nonzero()) * plan.br;
            CHECK(cf.total() == 3 * N * d + 2 * N + (3 * d + 4) * Zr);
          }
          CHECK(static_cast<double>(cf.total()) >= 3.0 * N * d + 9.0 * s * x * (N % plan.br == 0 ? 1.0 : 0.0));
          CHECK(static_cast<double>(cf.total()) <= 12.0 * N * d + 42.0 * s * x);
          ++n;
        }
      }
  CHECK(n > 150);
}
