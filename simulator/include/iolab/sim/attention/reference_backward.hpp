#pragma once
// float64 references, independent of the simulator, for what the forward pass
// saves (with an optional causal mask) and for the gradients of the backward
// pass. Row-major; S = scale Q K^T with S_xy = -inf for y > x when causal.
//   m_x = max_y S_xy, l_x = sum_y exp(S_xy - m_x), L_x = m_x + log l_x,
//   P = exp(S - L), O = P V;
//   dV = P^T dO, dP = dO V^T, D_x = sum_y P_xy dP_xy, dS = P o (dP - D),
//   dQ = scale dS K, dK = scale dS^T Q.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace iolab::sim {

struct ReferenceForward {
  std::vector<double> O;        ///< N x d
  std::vector<double> l, m, L;  ///< N each
  std::vector<double> P;        ///< N x N, only when asked for
};

ReferenceForward reference_forward(std::span<const double> Q, std::span<const double> K, std::span<const double> V,
                                   std::int64_t N, std::int64_t d, double scale, bool causal, bool with_P);

/// O = softmax(S restricted to allowed(x, y)) V: keys not allowed get -inf
/// (block-sparse masks). Every query must allow some key.
std::vector<double> reference_attention_masked(std::span<const double> Q, std::span<const double> K,
                                               std::span<const double> V, std::int64_t N, std::int64_t d, double scale,
                                               const std::function<bool(std::int64_t, std::int64_t)>& allowed);

/// Decoding: rows queries (q x d) against N keys and values, all keys visible.
std::vector<double> reference_decode(std::span<const double> Q, std::span<const double> K, std::span<const double> V,
                                     std::int64_t rows, std::int64_t N, std::int64_t d, double scale);

struct ReferenceGradients {
  std::vector<double> dQ, dK, dV;  ///< N x d each
};

ReferenceGradients reference_backward(std::span<const double> Q, std::span<const double> K,
                                      std::span<const double> V, std::span<const double> dO, std::int64_t N,
                                      std::int64_t d, double scale, bool causal);

}  // namespace iolab::sim
