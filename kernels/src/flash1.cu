// flash1: the loop order of Algorithm 1 of the FlashAttention paper, as a
// readable teaching kernel.
//
// One thread block (4 warps) per (batch, head) runs the paper's double loop:
//
//   line 2:  O = 0, l = 0, m = -inf in HBM               (fp32 workspace tensors)
//   line 5:  for j over K/V blocks (B_c = 64 rows):
//   line 6:    load K_j, V_j into shared memory
//   line 7:    for i over Q blocks (B_r = 64 rows; warp w owns rows 16w..16w+15):
//   line 8:      load Q_i, O_i, l_i, m_i from HBM
//   line 9:      S_ij = scale * Q_i K_j^T                 (tensor cores, in registers)
//   line 10:     m~ = rowmax(S_ij), P~ = exp(S_ij - m~), l~ = rowsum(P~)
//   line 11:     m_new = max(m_i, m~), l_new = e^(m_i - m_new) l_i + e^(m~ - m_new) l~
//   line 12:     O_i = diag(l_new)^-1 (diag(l_i) e^(m_i - m_new) O_i + e^(m~ - m_new) P~ V_j)  -> HBM
//   line 13:     l_i = l_new, m_i = m_new                                                    -> HBM
//   line 16: return O                                      (converted to fp16/bf16, plus LSE = m + log l)
//
// So the HBM traffic is the paper's: K and V read once, Q, O, l and m read
// and O, l and m written once per (i, j) step.  O, l and m are kept in fp32
// (a workspace, see tiling.hpp) so that repeated rounding does not add error.
// m is stored in the units of S (scaled scores).  Lines 10-12 are computed in
// the algebraically equal form P = exp(S - m_new) (no separate m~ rescale).
//
// Causal: for block j, Q blocks whose rows are all above the diagonal
// (i*B_r + B_r - 1 < j*B_c) would be fully masked, so the inner loop starts at
// the first Q block that reaches the diagonal; blocks on the diagonal and the
// ragged last blocks are masked element by element.
#include <cuda_runtime.h>

#include "device_common.cuh"
#include "launchers.hpp"

namespace iolab::kernels::detail {
namespace {

template <typename T, int D>
__global__ void __launch_bounds__(32 * flash1_warps(D))
    flash1_fwd_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ o,
                      float* __restrict__ lse, float* __restrict__ o_hbm, float* __restrict__ l_hbm,
                      float* __restrict__ m_hbm, int n, float scale, bool causal) {
  constexpr int BR = flash1_block_rows(D);
  constexpr int BC = flash1_block_cols(D);
  constexpr int THREADS = 32 * flash1_warps(D);
  constexpr float kLog2e = 1.4426950408889634f;
  constexpr float kLn2 = 0.69314718055994530942f;
  const float scale_log2 = scale * kLog2e;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* k_s = reinterpret_cast<T*>(smem_raw);  // [BC x D]
  T* v_s = k_s + BC * D;                    // [BC x D]
  T* q_s = v_s + BC * D;                    // [BR x D], warp w uses rows 16w..16w+15

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const int64_t bh = blockIdx.x;
  const T* qg = q + bh * n * D;
  const T* kg = k + bh * n * D;
  const T* vg = v + bh * n * D;
  float* O = o_hbm + bh * n * D;
  float* L = l_hbm + bh * n;
  float* M = m_hbm + bh * n;

  // Line 2: initialise O, l, m in HBM.
  for (int idx = tid; idx < n * D; idx += THREADS) O[idx] = 0.0f;
  for (int idx = tid; idx < n; idx += THREADS) {
    L[idx] = 0.0f;
    M[idx] = -INFINITY;
  }
  __syncthreads();

  const int t_r = (n + BR - 1) / BR;
  const int t_c = (n + BC - 1) / BC;
  T* q_warp = q_s + warp * 16 * D;

  for (int j = 0; j < t_c; ++j) {  // line 5
    const int kv0 = j * BC;
    // Line 6: K_j, V_j -> shared memory.
    load_tile_async<BC, D, THREADS>(k_s, kg, kv0, n, tid);
    load_tile_async<BC, D, THREADS>(v_s, vg, kv0, n, tid);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();

    const int i_begin = causal ? kv0 / BR : 0;
    for (int i = i_begin; i < t_r; ++i) {  // line 7
      const int row0 = i * BR + warp * 16;  // this warp's first row
      // Line 8: Q_i (this warp's 16 rows) -> shared memory -> registers.
      __syncwarp();
      load_tile_async<16, D, 32>(q_warp, qg, row0, n, lane);
      cp_async_commit();
      cp_async_wait<0>();
      __syncwarp();
      uint32_t qf[D / 16][4];
      load_a_fragments<D>(qf, q_warp, 0, lane);

      // Line 8: O_i, l_i, m_i -> registers (C-fragment layout: rows g, g+8).
      float m_old[2], l_old[2], acc[D / 8][4];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const int row = row0 + g + 8 * r;
        const bool valid = row < n;
        m_old[r] = valid ? M[row] * kLog2e : -INFINITY;  // log2 units from here on
        l_old[r] = valid ? L[row] : 0.0f;
#pragma unroll
        for (int nd = 0; nd < D / 8; ++nd) {
          // Un-normalise: the stored O_i is divided by l_i (line 12).
          float2 x = valid ? *reinterpret_cast<const float2*>(O + static_cast<int64_t>(row) * D + nd * 8 + 2 * t)
                           : make_float2(0.0f, 0.0f);
          acc[nd][2 * r] = x.x * l_old[r];
          acc[nd][2 * r + 1] = x.y * l_old[r];
        }
      }

      // Line 9: S_ij = Q_i K_j^T (scale applied below, in log2 units).
      float s[BC / 8][4];
      qk_tile<BC, D, T>(s, qf, k_s, lane);
      if (kv0 + BC > n || (causal && kv0 + BC - 1 > row0)) apply_mask<BC>(s, row0, kv0, n, causal, lane);

      // Lines 10-11.
      float m_new[2], l_new[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        float mt = -INFINITY;
#pragma unroll
        for (int nt = 0; nt < BC / 8; ++nt) mt = fmaxf(mt, fmaxf(s[nt][2 * r], s[nt][2 * r + 1]));
        mt = quad_max(mt) * scale_log2;  // m~_ij
        m_new[r] = fmaxf(m_old[r], mt);
        const float base = m_new[r] == -INFINITY ? 0.0f : m_new[r];
        float lt = 0.0f;
#pragma unroll
        for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
          for (int e = 2 * r; e < 2 * r + 2; ++e) {
            s[nt][e] = exp2f(fmaf(s[nt][e], scale_log2, -base));  // e^(m~ - m_new) P~
            lt += s[nt][e];
          }
        }
        const float alpha = exp2f(m_old[r] - base);  // e^(m_i - m_new)
        l_new[r] = alpha * l_old[r] + quad_sum(lt);
#pragma unroll
        for (int nd = 0; nd < D / 8; ++nd) {
          acc[nd][2 * r] *= alpha;
          acc[nd][2 * r + 1] *= alpha;
        }
      }

      // Line 12: add P V_j, normalise by l_new, write O_i back.
      pv_tile<BC, D, T>(acc, s, v_s, lane);
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const int row = row0 + g + 8 * r;
        if (row >= n) continue;
        const float inv = l_new[r] > 0.0f ? 1.0f / l_new[r] : 0.0f;
#pragma unroll
        for (int nd = 0; nd < D / 8; ++nd)
          *reinterpret_cast<float2*>(O + static_cast<int64_t>(row) * D + nd * 8 + 2 * t) =
              make_float2(acc[nd][2 * r] * inv, acc[nd][2 * r + 1] * inv);
        // Line 13.
        if (t == 0) {
          L[row] = l_new[r];
          M[row] = m_new[r] * kLn2;
        }
      }
    }
    __syncthreads();  // all warps are done with K_j, V_j (and l, m are visible to the next step)
  }

  // Line 16: O (fp32) -> output dtype, LSE = m + log(l).
  for (int idx = tid; idx < n * D; idx += THREADS) o[bh * n * D + idx] = static_cast<T>(O[idx]);
  if (lse != nullptr)
    for (int idx = tid; idx < n; idx += THREADS) lse[bh * n + idx] = M[idx] + logf(L[idx]);
}

template <typename T, int D>
Status launch(const AttentionParams& p, float scale, cudaStream_t stream) {
  constexpr int smem = flash1_smem_bytes(D);
  auto kernel = flash1_fwd_kernel<T, D>;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  if (err != cudaSuccess) return Status::error(std::string("flash1: cudaFuncSetAttribute: ") + cudaGetErrorString(err));
  // Workspace: O (fp32, batch*heads*N*d), then l and m (fp32, batch*heads*N), each 256-byte aligned.
  const std::size_t bh = static_cast<std::size_t>(p.batch) * static_cast<std::size_t>(p.heads);
  const std::size_t nn = static_cast<std::size_t>(p.n);
  auto* base = static_cast<unsigned char*>(p.workspace);
  float* o_hbm = reinterpret_cast<float*>(base);
  float* l_hbm = reinterpret_cast<float*>(base + align_up(bh * nn * D * 4, 256));
  float* m_hbm = reinterpret_cast<float*>(base + align_up(bh * nn * D * 4, 256) + align_up(bh * nn * 4, 256));
  kernel<<<static_cast<unsigned>(bh), 32 * flash1_warps(D), smem, stream>>>(
      static_cast<const T*>(p.q), static_cast<const T*>(p.k), static_cast<const T*>(p.v), static_cast<T*>(p.o),
      p.lse, o_hbm, l_hbm, m_hbm, static_cast<int>(p.n), scale, p.causal);
  err = cudaGetLastError();
  if (err != cudaSuccess) return Status::error(std::string("flash1: launch failed: ") + cudaGetErrorString(err));
  return Status::success();
}

}  // namespace

Status launch_flash1(const AttentionParams& p, float scale, cudaStream_t stream) {
  if (p.dtype == DType::f16) {
    return p.d == 64 ? launch<__half, 64>(p, scale, stream) : launch<__half, 128>(p, scale, stream);
  }
  return p.d == 64 ? launch<__nv_bfloat16, 64>(p, scale, stream) : launch<__nv_bfloat16, 128>(p, scale, stream);
}

}  // namespace iolab::kernels::detail
