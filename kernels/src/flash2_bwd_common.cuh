// Device helpers of the backward kernels (flash2_bwd.cu, flash2_bwd_dq.cu),
// on top of the warp-level building blocks of device_common.cuh.
#pragma once

#include "device_common.cuh"

namespace iolab::kernels::detail {

constexpr float kBwdLog2e = 1.4426950408889634f;

// 4-byte asynchronous copy global -> shared; src_bytes == 0 writes a zero.
__device__ inline void cp_async_4(uint32_t smem_addr, const void* gmem, int src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(smem_addr), "l"(gmem), "r"(src_bytes));
}

// Copies vec[row0 .. row0 + ROWS) (fp32, rows >= n read as 0) into smem with
// cp.async; threads tid < ROWS take one element each.
template <int ROWS>
__device__ inline void load_rows_f32_async(float* smem, const float* gmem, int row0, int n, int tid) {
  if (tid < ROWS) {
    const int r = row0 + tid;
    const bool valid = r < n;
    cp_async_4(smem_u32(smem + tid), gmem + (valid ? r : 0), valid ? 4 : 0);
  }
}

// s[nt] (16 x 8 fp32 tiles, nt < NB/8) = A_warp * B_tile^T, where A_warp is
// the 16 rows starting at a_row0 of the swizzled [* x D] shared tile a_smem
// (fragments loaded per 16-column step, so only 4 registers of A are live)
// and B_tile a swizzled [NB x D] shared tile.
template <int NB, int D, typename T>
__device__ inline void gemm_abt_smem(float (&s)[NB / 8][4], const T* a_smem, int a_row0, const T* b_smem, int lane) {
#pragma unroll
  for (int nt = 0; nt < NB / 8; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    uint32_t a[4];
    {
      const int row = a_row0 + (lane & 7) + ((lane >> 3) & 1) * 8;
      const int col = kk * 16 + (lane >> 4) * 8;
      ldmatrix_x4(a, smem_u32(a_smem + swz<D>(row, col)));
    }
#pragma unroll
    for (int np = 0; np < NB / 16; ++np) {
      const int row = np * 16 + (lane & 7) + (lane >> 4) * 8;
      const int col = kk * 16 + ((lane >> 3) & 1) * 8;
      uint32_t b[4];
      ldmatrix_x4(b, smem_u32(b_smem + swz<D>(row, col)));
      mma_16816<T>(s[2 * np], a, b[0], b[1]);
      mma_16816<T>(s[2 * np + 1], a, b[2], b[3]);
    }
  }
}

// Packs 16 x NB fp32 C-fragment tiles (nt < NB/8) into mma A fragments of the
// input dtype: a[kk] covers columns 16kk .. 16kk+15.  Element (nt, e) of the C
// layout sits in half (e & 1) of a[nt / 2][(nt & 1) * 2 + (e >> 1)].
template <int NB, typename T>
__device__ inline void pack_a_fragments(uint32_t (&a)[NB / 16][4], const float (&c)[NB / 8][4]) {
#pragma unroll
  for (int kk = 0; kk < NB / 16; ++kk) {
    a[kk][0] = MmaType<T>::pack(c[2 * kk][0], c[2 * kk][1]);
    a[kk][1] = MmaType<T>::pack(c[2 * kk][2], c[2 * kk][3]);
    a[kk][2] = MmaType<T>::pack(c[2 * kk + 1][0], c[2 * kk + 1][1]);
    a[kk][3] = MmaType<T>::pack(c[2 * kk + 1][2], c[2 * kk + 1][3]);
  }
}

// acc[nd] (16 x 8 fp32 tiles, nd < D/8) += A (16 x NB, packed fragments a)
// * B_tile, B_tile a swizzled [NB x D] shared tile read as the k x n operand
// (ldmatrix.trans), as pv_tile does for P V.
template <int NB, int D, typename T>
__device__ inline void gemm_ab_packed(float (&acc)[D / 8][4], const uint32_t (&a)[NB / 16][4], const T* b_smem,
                                      int lane) {
#pragma unroll
  for (int kk = 0; kk < NB / 16; ++kk) {
#pragma unroll
    for (int np = 0; np < D / 16; ++np) {
      const int row = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      const int col = np * 16 + (lane >> 4) * 8;
      uint32_t b[4];
      ldmatrix_x4_trans(b, smem_u32(b_smem + swz<D>(row, col)));
      mma_16816<T>(acc[2 * np], a[kk], b[0], b[1]);
      mma_16816<T>(acc[2 * np + 1], a[kk], b[2], b[3]);
    }
  }
}

}  // namespace iolab::kernels::detail
