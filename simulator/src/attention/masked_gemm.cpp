#include "iolab/sim/attention/masked_gemm.hpp"

#include <algorithm>

namespace iolab::sim {

GemmRowRange gemm_row_range(GemmMask mask, std::int64_t i0, std::int64_t mi, std::int64_t n, std::int64_t k) {
  switch (mask) {
    case GemmMask::none: return {0, k, n};
    case GemmMask::c_lower: return {0, k, std::min(n, i0 + mi)};
    case GemmMask::a_lower: return {0, std::min(k, i0 + mi), n};
    case GemmMask::a_upper: return {std::min(i0, k), k, n};
  }
  return {0, k, n};
}

void masked_gemm(Machine& machine, HbmTensor& C, const GemmOperand& A, const GemmOperand& B, double alpha,
                 const GemmTiles& tiles, GemmMask mask, const std::string& c_name) {
  masked_gemm(machine, GemmOperand{&C, false, c_name}, A, B, alpha, tiles, mask, c_name);
}

namespace {
std::int64_t extent_rows(const GemmOperand& o) { return o.rows >= 0 ? o.rows : o.tensor->rows() - o.row0; }
std::int64_t extent_cols(const GemmOperand& o) { return o.cols >= 0 ? o.cols : o.tensor->cols() - o.col0; }
}  // namespace

void masked_gemm(Machine& machine, const GemmOperand& Cop, const GemmOperand& A, const GemmOperand& B, double alpha,
                 const GemmTiles& tiles, GemmMask mask, const std::string& c_name) {
  HbmTensor& a_t = *A.tensor;
  HbmTensor& b_t = *B.tensor;
  HbmTensor& C = *Cop.tensor;
  const std::int64_t m = A.transposed ? extent_cols(A) : extent_rows(A);
  const std::int64_t k = A.transposed ? extent_rows(A) : extent_cols(A);
  const std::int64_t n = B.transposed ? extent_rows(B) : extent_cols(B);
  const auto [tm, tn, tk] = tiles;
  // Tiles hold the stored layout of each operand's chunk.
  auto a = A.transposed ? machine.sram_tile(A.tile, tk, tm) : machine.sram_tile(A.tile, tm, tk);
  auto b = B.transposed ? machine.sram_tile(B.tile, tn, tk) : machine.sram_tile(B.tile, tk, tn);
  auto c = machine.sram_tile(c_name, tm, tn);
  const bool a_resident = tk >= k;
  const bool compute = machine.computes();

  auto a_view = [&](std::int64_t i0, std::int64_t mi, std::int64_t k0, std::int64_t kk) {
    return A.transposed ? a_t.view(A.row0 + k0, kk, A.col0 + i0, mi) : a_t.view(A.row0 + i0, mi, A.col0 + k0, kk);
  };
  auto b_view = [&](std::int64_t k0, std::int64_t kk, std::int64_t j0, std::int64_t nj) {
    return B.transposed ? b_t.view(B.row0 + j0, nj, B.col0 + k0, kk) : b_t.view(B.row0 + k0, kk, B.col0 + j0, nj);
  };

  for (std::int64_t i0 = 0; i0 < m; i0 += tm) {
    const std::int64_t mi = std::min(tm, m - i0);
    const auto [klo, khi, nhi] = gemm_row_range(mask, i0, mi, n, k);
    if (a_resident && khi > klo) machine.load(a, a_view(i0, mi, klo, khi - klo));
    for (std::int64_t j0 = 0; j0 < nhi; j0 += tn) {
      const std::int64_t nj = std::min(tn, nhi - j0);
      c.set_extent(mi, nj);
      c.fill(0.0);
      for (std::int64_t k0 = klo; k0 < khi; k0 += tk) {
        const std::int64_t kk = std::min(tk, khi - k0);
        if (!a_resident) machine.load(a, a_view(i0, mi, k0, kk));
        machine.load(b, b_view(k0, kk, j0, nj));
        if (!compute) continue;
        // Column x of this chunk is global k index k0 + x; in the resident
        // panel it sits at column (or row, transposed) k0 - klo + x.
        const std::int64_t aoff = a_resident ? k0 - klo : 0;
        for (std::int64_t r = 0; r < mi; ++r)
          for (std::int64_t cc = 0; cc < nj; ++cc) {
            double acc = 0.0;
            for (std::int64_t x = 0; x < kk; ++x) {
              const std::int64_t gk = k0 + x, gr = i0 + r;
              if ((mask == GemmMask::a_lower && gk > gr) || (mask == GemmMask::a_upper && gk < gr)) continue;
              const double av = A.transposed ? a(aoff + x, r) : a(r, aoff + x);
              const double bv = B.transposed ? b(cc, x) : b(x, cc);
              acc += av * bv;
            }
            c(r, cc) += acc;
          }
      }
      if (compute)
        for (std::int64_t r = 0; r < mi; ++r)
          for (std::int64_t cc = 0; cc < nj; ++cc) c(r, cc) *= alpha;
      machine.store(C.view(Cop.row0 + i0, mi, Cop.col0 + j0, nj), c);
    }
  }
}

}  // namespace iolab::sim
