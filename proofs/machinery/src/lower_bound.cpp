#include "iolab/proofs/lower_bound.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "iolab/sim/errors.hpp"

namespace iolab::proofs {

std::vector<double> symmetric_eigenvalues(std::vector<double> a, std::size_t n) {
  if (n == 0) return {};
  auto A = [&](std::size_t i, std::size_t j) -> double& { return a[i * n + j]; };
  // Householder reduction to tridiagonal form (eigenvalues only).
  std::vector<double> v(n), p(n);
  for (std::size_t k = 0; k + 2 < n; ++k) {
    const std::size_t m = n - k - 1;  // length of the column below the diagonal
    double norm = 0.0;
    for (std::size_t i = 0; i < m; ++i) norm += A(k + 1 + i, k) * A(k + 1 + i, k);
    norm = std::sqrt(norm);
    if (norm == 0.0) continue;
    const double alpha = A(k + 1, k) > 0 ? -norm : norm;
    for (std::size_t i = 0; i < m; ++i) v[i] = A(k + 1 + i, k);
    v[0] -= alpha;
    double vn = 0.0;
    for (std::size_t i = 0; i < m; ++i) vn += v[i] * v[i];
    vn = std::sqrt(vn);
    if (vn == 0.0) continue;
    for (std::size_t i = 0; i < m; ++i) v[i] /= vn;
    // p = S v, K = v.p, q = p - K v; S -= 2 v q^T + 2 q v^T
    double K = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      double s = 0.0;
      const double* row = &A(k + 1 + i, k + 1);
      for (std::size_t j = 0; j < m; ++j) s += row[j] * v[j];
      p[i] = s;
      K += v[i] * s;
    }
    for (std::size_t i = 0; i < m; ++i) p[i] -= K * v[i];
    for (std::size_t i = 0; i < m; ++i) {
      double* row = &A(k + 1 + i, k + 1);
      const double vi = v[i], qi = p[i];
      for (std::size_t j = 0; j < m; ++j) row[j] -= 2.0 * (vi * p[j] + qi * v[j]);
    }
    A(k + 1, k) = A(k, k + 1) = alpha;
    for (std::size_t i = 1; i < m; ++i) A(k + 1 + i, k) = A(k, k + 1 + i) = 0.0;
  }
  std::vector<double> d(n), e2(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) d[i] = A(i, i);
  for (std::size_t i = 0; i + 1 < n; ++i) e2[i] = A(i + 1, i) * A(i + 1, i);
  // Gershgorin interval.
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
  for (std::size_t i = 0; i < n; ++i) {
    const double r = (i > 0 ? std::sqrt(e2[i - 1]) : 0.0) + (i + 1 < n ? std::sqrt(e2[i]) : 0.0);
    lo = std::min(lo, d[i] - r);
    hi = std::max(hi, d[i] + r);
  }
  const double scale = std::max({1.0, std::abs(lo), std::abs(hi)});
  lo -= 1e-9 * scale;
  hi += 1e-9 * scale;
  // Sturm count: number of eigenvalues < x.
  auto below = [&](double x) {
    std::size_t c = 0;
    double q = d[0] - x;
    const double tiny = 1e-300;
    if (q < 0) ++c;
    for (std::size_t i = 1; i < n; ++i) {
      if (std::abs(q) < tiny) q = q < 0 ? -tiny : tiny;
      q = d[i] - x - e2[i - 1] / q;
      if (q < 0) ++c;
    }
    return c;
  };
  std::vector<double> ev(n);
  for (std::size_t k = 0; k < n; ++k) {  // k-th smallest: the least x with below(x) > k
    double a0 = lo, b0 = hi;
    for (int it = 0; it < 200 && b0 - a0 > 1e-13 * scale; ++it) {
      const double mid = 0.5 * (a0 + b0);
      if (below(mid) > k)
        b0 = mid;
      else
        a0 = mid;
    }
    ev[k] = 0.5 * (a0 + b0);
  }
  return ev;
}

std::vector<double> noninput_laplacian_spectrum(const Cdag& g) {
  std::vector<std::int64_t> idx(g.size(), -1);
  std::size_t n = 0;
  for (Vertex v = 0; v < g.size(); ++v)
    if (!g.is_input(v)) idx[v] = static_cast<std::int64_t>(n++);
  if (n > 1500)
    throw sim::InputError("the spectral bound is limited to 1500 non-input vertices; '" + g.title() + "' has " +
                          std::to_string(n));
  std::vector<double> L(n * n, 0.0);
  std::set<std::pair<std::size_t, std::size_t>> seen;
  for (Vertex v = 0; v < g.size(); ++v) {
    if (idx[v] < 0) continue;
    for (Vertex w : g.succs(v)) {
      if (idx[w] < 0) continue;
      auto a = static_cast<std::size_t>(idx[v]), b = static_cast<std::size_t>(idx[w]);
      if (a == b || !seen.insert({std::min(a, b), std::max(a, b)}).second) continue;
      L[a * n + a] += 1;
      L[b * n + b] += 1;
      L[a * n + b] -= 1;
      L[b * n + a] -= 1;
    }
  }
  return symmetric_eigenvalues(std::move(L), n);
}

BoundReport lower_bound(const Cdag& g, std::size_t M, Game game) {
  BoundReport r;
  std::size_t delta = 0, n = 0;
  for (Vertex v = 0; v < g.size(); ++v) {
    if (g.is_input(v)) {
      if (!g.is_output(v)) ++r.inputs_used;
      continue;
    }
    ++n;
    if (g.is_output(v)) ++r.outputs;
    std::set<Vertex> s;
    for (Vertex w : g.succs(v))
      if (!g.is_input(w)) s.insert(w);
    delta = std::max(delta, s.size());
  }
  r.trivial = r.inputs_used + r.outputs;
  r.best = r.trivial;
  r.which = "trivial";
  r.spectral_applies = game == Game::one_shot;
  r.spectral_raw = -std::numeric_limits<double>::infinity();
  if (n == 0 || delta == 0) return r;
  const std::vector<double> lam = noninput_laplacian_spectrum(g);
  std::vector<double> pref(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) pref[i + 1] = pref[i] + std::max(0.0, lam[i]);
  const double base = static_cast<double>(r.trivial), dM = static_cast<double>(M), dd = static_cast<double>(delta);
  for (std::size_t k = 1; k <= n; ++k) {
    const std::size_t p = (n + k - 1) / k;
    const std::size_t rem = n - (p - 1) * k;
    const double cut2 = static_cast<double>(k) * pref[p - 1] + static_cast<double>(rem) * std::max(0.0, lam[p - 1]);
    const double val = base + cut2 / dd - static_cast<double>(2 * p - 1) * dM;
    if (val > r.spectral_raw) {
      r.spectral_raw = val;
      r.spectral_k = static_cast<std::int64_t>(k);
    }
  }
  const double tol = 1e-7 * (1.0 + std::abs(r.spectral_raw));
  const double c = std::ceil(r.spectral_raw - tol);
  r.spectral = c > 0 ? static_cast<std::uint64_t>(c) : 0;
  if (r.spectral_applies && r.spectral > r.best) {
    r.best = r.spectral;
    r.which = "spectral";
  }
  return r;
}

}  // namespace iolab::proofs
