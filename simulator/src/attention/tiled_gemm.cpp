#include "iolab/sim/attention/tiled_gemm.hpp"

#include <algorithm>
#include <cmath>

namespace iolab::sim {

std::int64_t square_tile_for(count_t M) {
  auto t = static_cast<std::int64_t>(std::sqrt(static_cast<double>(M / 3)));
  while (t > 0 && 3 * static_cast<count_t>(t) * static_cast<count_t>(t) > M) --t;
  while (3 * static_cast<count_t>(t + 1) * static_cast<count_t>(t + 1) <= M) ++t;
  return t;
}

GemmTiles gemm_tiles(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t t) {
  return {std::min(m, t), std::min(n, t), std::min(k, t)};
}

void tiled_gemm(Machine& machine, HbmTensor& C, HbmTensor& A, HbmTensor& B, bool b_transposed, double alpha,
                const GemmTiles& tiles, const std::string& a_name, const std::string& b_name,
                const std::string& c_name) {
  const std::int64_t m = A.rows(), k = A.cols();
  const std::int64_t n = b_transposed ? B.rows() : B.cols();
  const auto [tm, tn, tk] = tiles;
  auto a = machine.sram_tile(a_name, tm, tk);
  auto b = b_transposed ? machine.sram_tile(b_name, tn, tk) : machine.sram_tile(b_name, tk, tn);
  auto c = machine.sram_tile(c_name, tm, tn);
  const bool a_resident = tk >= k;
  const bool compute = machine.computes();

  for (std::int64_t i0 = 0; i0 < m; i0 += tm) {
    const std::int64_t mi = std::min(tm, m - i0);
    if (a_resident) machine.load(a, A.view(i0, mi, 0, k));
    for (std::int64_t j0 = 0; j0 < n; j0 += tn) {
      const std::int64_t nj = std::min(tn, n - j0);
      c.set_extent(mi, nj);
      c.fill(0.0);
      for (std::int64_t k0 = 0; k0 < k; k0 += tk) {
        const std::int64_t kk = std::min(tk, k - k0);
        if (!a_resident) machine.load(a, A.view(i0, mi, k0, kk));
        if (b_transposed)
          machine.load(b, B.view(j0, nj, k0, kk));
        else
          machine.load(b, B.view(k0, kk, j0, nj));
        if (compute) {
          // a holds A[i0.., k0..k0+kk) at columns 0..kk (or k0.. when resident).
          const std::int64_t acol = a_resident ? k0 : 0;
          for (std::int64_t r = 0; r < mi; ++r)
            for (std::int64_t cc = 0; cc < nj; ++cc) {
              double acc = 0.0;
              for (std::int64_t x = 0; x < kk; ++x)
                acc += a(r, acol + x) * (b_transposed ? b(cc, x) : b(x, cc));
              c(r, cc) += acc;
            }
        }
      }
      if (compute)
        for (std::int64_t r = 0; r < mi; ++r)
          for (std::int64_t cc = 0; cc < nj; ++cc) c(r, cc) *= alpha;
      machine.store(C.view(i0, mi, j0, nj), c);
    }
  }
}

}  // namespace iolab::sim
