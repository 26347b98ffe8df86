// Closed form of Rabe and Staats's chunked attention. Derivation:
// proofs/closed-forms-inference.md (section "Rabe and Staats").
#include <algorithm>

#include "iolab/analysis/closed_form.hpp"
#include "iolab/sim/attention/tiled_gemm.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
namespace {

using sim::ceil_div;
using sim::checked_add;
using sim::checked_mul;

count_t u(std::int64_t x) { return static_cast<count_t>(x); }

/// The GEMM lemma (closed-forms-backward.md) for C (m x n) = A (m x k) B (k x n).
struct G {
  count_t a, b, c;
};
G gemm(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t t) {
  const auto tl = sim::gemm_tiles(m, n, k, t);
  const count_t mk = checked_mul(u(m), u(k), "GEMM reads");
  return {tl.tk >= k ? mk : checked_mul(mk, u(ceil_div(n, tl.tn)), "GEMM reads"),
          checked_mul(checked_mul(u(n), u(k), "GEMM reads"), u(ceil_div(m, tl.tm)), "GEMM reads"),
          checked_mul(u(m), u(n), "GEMM writes")};
}

}  // namespace

ClosedForm closed_form_rabe_staats(const sim::Plan& p) {
  const std::int64_t N = p.N, d = p.d, Cq = p.query_chunk, Ck = p.key_chunk, t = p.gemm_tile;
  const std::int64_t Tk = ceil_div(N, Ck);
  count_t q = 0, k = 0, v = 0, s_r = 0, s_w = 0, pr = 0, pw = 0, vs_r = 0, vs_w = 0, st = 0;
  // Chunk sizes take at most two values each (full and ragged), but a sum over
  // the T_q x T_k pairs is exact and short.
  for (std::int64_t q0 = 0; q0 < N; q0 += Cq) {
    const std::int64_t cq = std::min(Cq, N - q0);
    const std::int64_t visited = p.causal ? ceil_div(q0 + cq, Ck) : Tk;  // key chunks not skipped
    for (std::int64_t kc = 0; kc < visited; ++kc) {
      const std::int64_t ck = std::min(Ck, N - kc * Ck);
      const G g1 = gemm(cq, ck, d, t), g3 = gemm(cq, d, ck, t);
      q = checked_add(q, g1.a, "Q reads");
      k = checked_add(k, g1.b, "K reads");
      s_w = checked_add(s_w, g1.c, "S writes");
      s_r = checked_add(s_r, g1.c, "S reads");   // stage 2 reads the chunk once
      pw = checked_add(pw, g1.c, "P writes");    // and writes P once
      pr = checked_add(pr, g3.a, "P reads");
      v = checked_add(v, g3.b, "V reads");
      vs_w = checked_add(vs_w, g3.c, "V_sum writes");
      st = checked_add(st, u(cq), "summary writes");
    }
    vs_r = checked_add(vs_r, checked_mul(checked_mul(u(visited), u(cq), "V_sum reads"), u(d), "V_sum reads"),
                       "V_sum reads");
  }
  // m_sum, w_sum: written once per (visited chunk pair, query row) = st, and
  // read once per (query row, visited key chunk) by the combine stage = st.
  ClosedForm cf;
  cf.tensors = {
      {"Q", p.dtype, q, 0},
      {"K", p.dtype, k, 0},
      {"V", p.dtype, v, 0},
      {"S_chunk", p.dtype, s_r, s_w},
      {"P_chunk", p.dtype, pr, pw},
      {"V_sum", p.dtype, vs_r, vs_w},
      {"m_sum", sim::DType::fp32, st, st},
      {"w_sum", sim::DType::fp32, st, st},
      {"O", p.dtype, 0, checked_mul(u(N), u(d), "N*d")},
  };
  sum_totals(cf);
  return cf;
}

}  // namespace iolab::analysis
