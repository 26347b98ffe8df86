// Warp-level building blocks shared by flash1 and flash2 (sm_80+):
// mma.sync m16n8k16 (fp16/bf16 in, fp32 accumulate), ldmatrix, cp.async, and
// a swizzled shared-memory layout for [rows x D] tiles.
//
// Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k16"), with
// g = lane / 4 and t = lane % 4:
//   A (16x16, row-major), 4 x 32-bit registers of 2 elements each:
//     a0: (g,   2t..2t+1)   a1: (g+8, 2t..2t+1)
//     a2: (g,   2t+8..+9)   a3: (g+8, 2t+8..+9)
//   B (16x8, k x n), 2 registers:  b0: (k = 2t..2t+1, n = g)  b1: (k = 2t+8..+9, n = g)
//   C (16x8 fp32), 4 floats:       c0,c1: (g, 2t..2t+1)        c2,c3: (g+8, 2t..2t+1)
// ldmatrix.x4 loads four 8x8 16-bit matrices; lanes 8m..8m+7 give the row
// addresses of matrix m, and register m of every lane receives (row g,
// cols 2t..2t+1) of matrix m (with .trans: (rows 2t..2t+1, col g)).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

namespace iolab::kernels::detail {

template <typename T>
struct MmaType;
template <>
struct MmaType<__half> {
  __device__ static inline uint32_t pack(float lo, float hi) {
    __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&h);
  }
  __device__ static inline float2 unpack(uint32_t x) {
    return __half22float2(*reinterpret_cast<__half2*>(&x));
  }
};
template <>
struct MmaType<__nv_bfloat16> {
  __device__ static inline uint32_t pack(float lo, float hi) {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&h);
  }
  __device__ static inline float2 unpack(uint32_t x) {
    return __bfloat1622float2(*reinterpret_cast<__nv_bfloat162*>(&x));
  }
};

// c += a * b for one m16n8k16 tile.
template <typename T>
__device__ inline void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);

template <>
__device__ inline void mma_16816<__half>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

template <>
__device__ inline void mma_16816<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// %globaltimer (ns since an arbitrary origin, the same on every SM) and the SM this thread runs on.
__device__ inline unsigned long long global_timer_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__device__ inline unsigned sm_id() {
  unsigned s;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(s));
  return s;
}

// AttentionParams::cta_trace: this thread block's three words (start ns, end ns, SM), written by thread 0.
__device__ inline unsigned long long* cta_trace_slot(unsigned long long* trace) {
  return trace + 3 * (blockIdx.x + static_cast<uint64_t>(gridDim.x) * (blockIdx.y + gridDim.y * blockIdx.z));
}
__device__ inline void cta_trace_start(unsigned long long* trace) {
  unsigned long long* t = cta_trace_slot(trace);
  t[0] = global_timer_ns();
  t[2] = sm_id();
}
__device__ inline void cta_trace_end(unsigned long long* trace) { cta_trace_slot(trace)[1] = global_timer_ns(); }

__device__ inline uint32_t smem_u32(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

__device__ inline void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

__device__ inline void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// 16-byte asynchronous copy global -> shared; src_bytes < 16 zero-fills the
// rest (src_bytes == 0: nothing is read, the 16 bytes become zero).
__device__ inline void cp_async_16(uint32_t smem_addr, const void* gmem, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr), "l"(gmem), "r"(src_bytes));
}
__device__ inline void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ inline void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// Swizzled [rows x D] tile of 16-bit elements: the 16-byte chunk c of row r is
// stored at chunk position c ^ (r % 8).  Rows are D*2 = 128 or 256 bytes, so
// the 8 row addresses of one ldmatrix matrix (same logical chunk, 8
// consecutive rows) fall in 8 distinct bank groups: no bank conflicts.
template <int D>
__device__ inline int swz(int row, int col) {  // element offset; col multiple of 8 for chunk accesses
  return row * D + ((((col >> 3) ^ (row & 7))) << 3) + (col & 7);
}

// Copies rows [row0, row0 + ROWS) of a [n x D] global matrix into a swizzled
// shared tile with cp.async; rows >= n are zero-filled (never read).
template <int ROWS, int D, int THREADS, typename T>
__device__ inline void load_tile_async(T* smem, const T* gmem, int row0, int n, int tid) {
  constexpr int kChunksPerRow = D / 8;
  constexpr int kChunks = ROWS * kChunksPerRow;
  static_assert(kChunks % THREADS == 0, "tile chunks must divide evenly among threads");
#pragma unroll
  for (int it = 0; it < kChunks / THREADS; ++it) {
    const int idx = tid + it * THREADS;
    const int r = idx / kChunksPerRow;
    const int c = (idx % kChunksPerRow) * 8;
    const int grow = row0 + r;
    const bool valid = grow < n;
    const T* src = gmem + static_cast<int64_t>(valid ? grow : 0) * D + c;
    cp_async_16(smem_u32(smem + swz<D>(r, c)), src, valid ? 16 : 0);
  }
}

// Loads the A fragments of a warp's 16 rows (starting at tile row r0) of a
// swizzled [rows x D] tile: qf[kk] covers columns 16kk .. 16kk+15.
template <int D, typename T>
__device__ inline void load_a_fragments(uint32_t (&qf)[D / 16][4], const T* smem, int r0, int lane) {
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    const int row = r0 + (lane & 7) + ((lane >> 3) & 1) * 8;
    const int col = kk * 16 + (lane >> 4) * 8;
    ldmatrix_x4(qf[kk], smem_u32(smem + swz<D>(row, col)));
  }
}

// s[nt] (16 x 8 fp32 tiles, nt < BC/8) = Q_warp (16 x D, fragments qf) * K_tile^T,
// K_tile a swizzled [BC x D] shared tile.
template <int BC, int D, typename T>
__device__ inline void qk_tile(float (&s)[BC / 8][4], const uint32_t (&qf)[D / 16][4], const T* k_smem, int lane) {
#pragma unroll
  for (int nt = 0; nt < BC / 8; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
    for (int np = 0; np < BC / 16; ++np) {
      // matrices: (keys 16np..+7, d 16kk..+7), (keys 16np..+7, d +8), (keys +8, d 16kk), (keys +8, d +8)
      const int row = np * 16 + (lane & 7) + (lane >> 4) * 8;
      const int col = kk * 16 + ((lane >> 3) & 1) * 8;
      uint32_t b[4];
      ldmatrix_x4(b, smem_u32(k_smem + swz<D>(row, col)));
      mma_16816<T>(s[2 * np], qf[kk], b[0], b[1]);
      mma_16816<T>(s[2 * np + 1], qf[kk], b[2], b[3]);
    }
  }
}

// acc[nd] (16 x 8 fp32 tiles, nd < D/8) += P (16 x BC, in registers as the
// fp32 score tiles p) * V_tile, V_tile a swizzled [BC x D] shared tile.
template <int BC, int D, typename T>
__device__ inline void pv_tile(float (&acc)[D / 8][4], const float (&p)[BC / 8][4], const T* v_smem, int lane) {
#pragma unroll
  for (int kk = 0; kk < BC / 16; ++kk) {
    uint32_t a[4];
    a[0] = MmaType<T>::pack(p[2 * kk][0], p[2 * kk][1]);
    a[1] = MmaType<T>::pack(p[2 * kk][2], p[2 * kk][3]);
    a[2] = MmaType<T>::pack(p[2 * kk + 1][0], p[2 * kk + 1][1]);
    a[3] = MmaType<T>::pack(p[2 * kk + 1][2], p[2 * kk + 1][3]);
#pragma unroll
    for (int np = 0; np < D / 16; ++np) {
      // transposed matrices: (keys 16kk..+7, d 16np..+7), (keys +8, d 16np), (keys 16kk, d +8), (keys +8, d +8)
      const int row = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      const int col = np * 16 + (lane >> 4) * 8;
      uint32_t b[4];
      ldmatrix_x4_trans(b, smem_u32(v_smem + swz<D>(row, col)));
      mma_16816<T>(acc[2 * np], a, b[0], b[1]);
      mma_16816<T>(acc[2 * np + 1], a, b[2], b[3]);
    }
  }
}

// Sets scores of masked positions to -inf: key columns >= n, and with
// causal, key > query.  Rows/cols follow the C fragment layout.
template <int BC>
__device__ inline void apply_mask(float (&s)[BC / 8][4], int q_row0, int kv0, int n, bool causal, int lane) {
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int row = q_row0 + g + (e >> 1) * 8;
      const int col = kv0 + nt * 8 + 2 * t + (e & 1);
      if (col >= n || (causal && col > row)) s[nt][e] = -INFINITY;
    }
  }
}

// Max over the 4 lanes of a quad (the lanes that share a row).
__device__ inline float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

}  // namespace iolab::kernels::detail
