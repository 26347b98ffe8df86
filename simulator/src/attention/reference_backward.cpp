#include "iolab/sim/attention/reference_backward.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace iolab::sim {
namespace {

/// Row x of P = softmax(S) into p (length N); returns m_x and l_x.
std::pair<double, double> p_row(std::span<const double> Q, std::span<const double> K, std::int64_t N, std::int64_t d,
                                double scale, bool causal, std::int64_t x, std::vector<double>& p) {
  const std::int64_t valid = causal ? x + 1 : N;
  double mx = -std::numeric_limits<double>::infinity();
  for (std::int64_t y = 0; y < valid; ++y) {
    double s = 0.0;
    for (std::int64_t c = 0; c < d; ++c) s += Q[x * d + c] * K[y * d + c];
    p[y] = scale * s;
    mx = std::max(mx, p[y]);
  }
  double sum = 0.0;
  for (std::int64_t y = 0; y < valid; ++y) sum += (p[y] = std::exp(p[y] - mx));
  for (std::int64_t y = 0; y < valid; ++y) p[y] /= sum;
  for (std::int64_t y = valid; y < N; ++y) p[y] = 0.0;
  return {mx, sum};
}

void check(std::size_t n, std::initializer_list<std::span<const double>> xs) {
  for (auto x : xs)
    if (x.size() != n) throw std::invalid_argument("reference: operands must be N x d");
}

}  // namespace

ReferenceForward reference_forward(std::span<const double> Q, std::span<const double> K, std::span<const double> V,
                                   std::int64_t N, std::int64_t d, double scale, bool causal, bool with_P) {
  const auto nd = static_cast<std::size_t>(N * d);
  check(nd, {Q, K, V});
  ReferenceForward r;
  r.O.assign(nd, 0.0);
  r.l.resize(static_cast<std::size_t>(N));
  r.m.resize(static_cast<std::size_t>(N));
  r.L.resize(static_cast<std::size_t>(N));
  if (with_P) r.P.assign(static_cast<std::size_t>(N) * static_cast<std::size_t>(N), 0.0);
  std::vector<double> p(static_cast<std::size_t>(N));
  for (std::int64_t x = 0; x < N; ++x) {
    const auto [mx, sum] = p_row(Q, K, N, d, scale, causal, x, p);
    r.m[x] = mx;
    r.l[x] = sum;
    r.L[x] = mx + std::log(sum);
    for (std::int64_t y = 0; y < N; ++y) {
      if (with_P) r.P[static_cast<std::size_t>(x * N + y)] = p[y];
      for (std::int64_t c = 0; c < d; ++c) r.O[x * d + c] += p[y] * V[y * d + c];
    }
  }
  return r;
}

std::vector<double> reference_attention_masked(std::span<const double> Q, std::span<const double> K,
                                               std::span<const double> V, std::int64_t N, std::int64_t d, double scale,
                                               const std::function<bool(std::int64_t, std::int64_t)>& allowed) {
  const auto nd = static_cast<std::size_t>(N * d);
  check(nd, {Q, K, V});
  std::vector<double> O(nd, 0.0), s(static_cast<std::size_t>(N));
  for (std::int64_t x = 0; x < N; ++x) {
    double mx = -std::numeric_limits<double>::infinity();
    for (std::int64_t y = 0; y < N; ++y) {
      if (!allowed(x, y)) continue;
      double dot = 0.0;
      for (std::int64_t c = 0; c < d; ++c) dot += Q[x * d + c] * K[y * d + c];
      s[y] = scale * dot;
      mx = std::max(mx, s[y]);
    }
    if (mx == -std::numeric_limits<double>::infinity()) throw std::invalid_argument("reference: a query allows no key");
    double sum = 0.0;
    for (std::int64_t y = 0; y < N; ++y)
      if (allowed(x, y)) sum += (s[y] = std::exp(s[y] - mx));
    for (std::int64_t y = 0; y < N; ++y)
      if (allowed(x, y))
        for (std::int64_t c = 0; c < d; ++c) O[x * d + c] += s[y] / sum * V[y * d + c];
  }
  return O;
}

std::vector<double> reference_decode(std::span<const double> Q, std::span<const double> K, std::span<const double> V,
                                     std::int64_t rows, std::int64_t N, std::int64_t d, double scale) {
  if (Q.size() != static_cast<std::size_t>(rows * d)) throw std::invalid_argument("reference_decode: Q must be rows x d");
  check(static_cast<std::size_t>(N * d), {K, V});
  std::vector<double> O(static_cast<std::size_t>(rows * d), 0.0), s(static_cast<std::size_t>(N));
  for (std::int64_t x = 0; x < rows; ++x) {
    double mx = -std::numeric_limits<double>::infinity();
    for (std::int64_t y = 0; y < N; ++y) {
      double dot = 0.0;
      for (std::int64_t c = 0; c < d; ++c) dot += Q[x * d + c] * K[y * d + c];
      s[y] = scale * dot;
      mx = std::max(mx, s[y]);
    }
    double sum = 0.0;
    for (std::int64_t y = 0; y < N; ++y) sum += (s[y] = std::exp(s[y] - mx));
    for (std::int64_t y = 0; y < N; ++y)
      for (std::int64_t c = 0; c < d; ++c) O[x * d + c] += s[y] / sum * V[y * d + c];
  }
  return O;
}

ReferenceGradients reference_backward(std::span<const double> Q, std::span<const double> K,
                                      std::span<const double> V, std::span<const double> dO, std::int64_t N,
                                      std::int64_t d, double scale, bool causal) {
  const auto nd = static_cast<std::size_t>(N * d);
  check(nd, {Q, K, V, dO});
  ReferenceGradients g;
  g.dQ.assign(nd, 0.0);
  g.dK.assign(nd, 0.0);
  g.dV.assign(nd, 0.0);
  std::vector<double> p(static_cast<std::size_t>(N)), dp(static_cast<std::size_t>(N));
  for (std::int64_t x = 0; x < N; ++x) {
    p_row(Q, K, N, d, scale, causal, x, p);
    double D = 0.0;
    for (std::int64_t y = 0; y < N; ++y) {
      double s = 0.0;
      for (std::int64_t c = 0; c < d; ++c) s += dO[x * d + c] * V[y * d + c];
      dp[y] = s;
      D += p[y] * s;
    }
    for (std::int64_t y = 0; y < N; ++y) {
      const double ds = p[y] * (dp[y] - D);
      for (std::int64_t c = 0; c < d; ++c) {
        g.dV[y * d + c] += p[y] * dO[x * d + c];
        g.dQ[x * d + c] += scale * ds * K[y * d + c];
        g.dK[y * d + c] += scale * ds * Q[x * d + c];
      }
    }
  }
  return g;
}

}  // namespace iolab::sim
