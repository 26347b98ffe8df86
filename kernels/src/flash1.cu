// flash1: the loop order of Algorithm 1 of the FlashAttention paper, as a
// readable teaching kernel.
//
// The Q blocks of each (batch, head) are split over S thread blocks (grid
// (S, heads, batch), S = flash1_splits(batch*heads, N, d, SMs) and the
// "snake" assignment of Q blocks to splits, both in tiling.hpp).  Thread
// block s of 4 warps runs the paper's double loop over its Q blocks:
//
//   line 2:  O = 0, l = 0, m = -inf in HBM for its rows  (fp32 workspace tensors)
//   line 5:  for j over ALL K/V blocks (B_c = 128 rows):
//   line 6:    load K_j, V_j into shared memory
//   line 7:    for i over ITS Q blocks (B_r = 64 rows; warp w owns rows 16w..16w+15):
//   line 8:      load Q_i, O_i, l_i, m_i from HBM
//   line 9:      S_ij = scale * Q_i K_j^T                 (tensor cores, in registers)
//   line 10:     m~ = rowmax(S_ij), P~ = exp(S_ij - m~), l~ = rowsum(P~)
//   line 11:     m_new = max(m_i, m~), l_new = e^(m_i - m_new) l_i + e^(m~ - m_new) l~
//   line 12:     O_i = diag(l_new)^-1 (diag(l_i) e^(m_i - m_new) O_i + e^(m~ - m_new) P~ V_j)  -> HBM
//   line 13:     l_i = l_new, m_i = m_new                                                    -> HBM
//   line 16: return O                                      (converted to fp16/bf16, plus LSE = m + log l)
//
// So the HBM traffic is the paper's with S splits: K and V read S times, Q,
// O, l and m read and O, l and m written once per (i, j) step.  O, l and m
// are kept in fp32 (a workspace, see tiling.hpp) so that repeated rounding
// does not add error.  m is stored in the units of S (scaled scores).  Lines
// 10-12 are computed in the algebraically equal form P = exp(S - m_new).
//
// Overlap: while step i computes, cp.async already copies the next Q block
// into the second Q buffer, and the O_i, l_i, m_i loads of step i are issued
// before S_ij is computed so that their latency hides behind the mma work.
// Each warp reads and writes only its own 16 rows of Q, O, l and m, so within
// a K/V block the warps synchronise only among their own lanes.
//
// Causal: for block j, Q blocks whose rows are all above the diagonal
// (i*B_r + B_r - 1 < j*B_c) would be fully masked, so the inner loop starts at
// the first of its Q blocks that reaches the diagonal (the snake order keeps
// each split's blocks increasing, and a thread block stops once none of its
// blocks reaches K/V block j); blocks on the diagonal and the ragged last
// blocks are masked element by element.
#include <cuda_runtime.h>

#include "device_common.cuh"
#include "launchers.hpp"

namespace iolab::kernels::detail {
namespace {

template <typename T, int D>
__global__ void __launch_bounds__(32 * flash1_warps(D), 2)
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
  T* q_s = v_s + BC * D;                    // 2 x [BR x D], warp w uses rows 16w..16w+15 of each

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const int split = blockIdx.x, splits = gridDim.x;
  const int64_t bh = static_cast<int64_t>(blockIdx.z) * gridDim.y + blockIdx.y;
  const T* qg = q + bh * n * D;
  const T* kg = k + bh * n * D;
  const T* vg = v + bh * n * D;
  float* O = o_hbm + bh * n * D;
  float* L = l_hbm + bh * n;
  float* M = m_hbm + bh * n;

  const int t_r = (n + BR - 1) / BR;
  const int t_c = (n + BC - 1) / BC;
  const int my_blocks = static_cast<int>(flash1_split_q_blocks(split, splits, t_r));
  auto q_block = [&](int round) { return static_cast<int>(flash1_q_block(split, splits, round)); };

  // Line 2: initialise this split's rows of O, l, m in HBM.
  for (int r = 0; r < my_blocks; ++r) {
    const int row0 = q_block(r) * BR, rows = min(BR, n - row0);
    float* Ob = O + static_cast<int64_t>(row0) * D;
    for (int idx = tid; idx < rows * D / 4; idx += THREADS)
      reinterpret_cast<float4*>(Ob)[idx] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (int idx = tid; idx < rows; idx += THREADS) {
      L[row0 + idx] = 0.0f;
      M[row0 + idx] = -INFINITY;
    }
  }

  int r_begin = 0;                 // first round whose Q block reaches K/V block j (causal)
  for (int j = 0; j < t_c; ++j) {  // line 5
    const int kv0 = j * BC;
    if (causal)
      while (r_begin < my_blocks && q_block(r_begin) * BR + BR - 1 < kv0) ++r_begin;
    if (r_begin == my_blocks) break;  // none of this split's Q blocks sees K/V block j or later
    __syncthreads();                  // previous K/V block and Q buffers no longer in use; line 2 visible

    // Line 6: K_j, V_j -> shared memory (all threads), and this warp's rows of
    // the first Q block of the inner loop -> Q buffer 0, one cp.async group.
    load_tile_async<BC, D, THREADS>(k_s, kg, kv0, n, tid);
    load_tile_async<BC, D, THREADS>(v_s, vg, kv0, n, tid);
    load_tile_async<16, D, 32>(q_s + warp * 16 * D, qg, q_block(r_begin) * BR + warp * 16, n, lane);
    cp_async_commit();

    for (int r = r_begin; r < my_blocks; ++r) {  // line 7
      const int stage = (r - r_begin) & 1;
      const int row0 = q_block(r) * BR + warp * 16;  // this warp's first row
      T* q_warp = q_s + stage * BR * D + warp * 16 * D;

      // Line 8: O_i, l_i, m_i -> registers (C-fragment layout: rows g, g+8);
      // issued first, consumed after S_ij.
      float o_in[D / 8][4], m_old[2], l_old[2];
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = row0 + g + 8 * h;
        const bool valid = row < n;
        m_old[h] = valid ? M[row] : -INFINITY;
        l_old[h] = valid ? L[row] : 0.0f;
#pragma unroll
        for (int nd = 0; nd < D / 8; ++nd) {
          const float2 x = valid ? *reinterpret_cast<const float2*>(O + static_cast<int64_t>(row) * D + nd * 8 + 2 * t)
                                 : make_float2(0.0f, 0.0f);
          o_in[nd][2 * h] = x.x;
          o_in[nd][2 * h + 1] = x.y;
        }
      }

      // Prefetch this warp's rows of the next Q block into the other buffer.
      if (r + 1 < my_blocks) {
        __syncwarp();  // the other buffer's fragments (step r - 1) were read by every lane
        load_tile_async<16, D, 32>(q_s + (stage ^ 1) * BR * D + warp * 16 * D, qg, q_block(r + 1) * BR + warp * 16,
                                   n, lane);
        cp_async_commit();
        cp_async_wait<1>();
      } else {
        cp_async_wait<0>();
      }
      if (r == r_begin) __syncthreads();  // K_j, V_j copied by all threads
      else __syncwarp();                  // Q_i rows copied by this warp's lanes

      // Line 8: Q_i -> registers.  Line 9: S_ij = Q_i K_j^T (scale applied below, in log2 units).
      uint32_t qf[D / 16][4];
      load_a_fragments<D>(qf, q_warp, 0, lane);
      float s[BC / 8][4];
      qk_tile<BC, D, T>(s, qf, k_s, lane);
      if (kv0 + BC > n || (causal && kv0 + BC - 1 > row0)) apply_mask<BC>(s, row0, kv0, n, causal, lane);

      // Lines 10-11.
      float m_new[2], l_new[2], acc[D / 8][4];
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const float m_prev = m_old[h] * kLog2e;  // log2 units from here on
        float mt = -INFINITY;
#pragma unroll
        for (int nt = 0; nt < BC / 8; ++nt) mt = fmaxf(mt, fmaxf(s[nt][2 * h], s[nt][2 * h + 1]));
        mt = quad_max(mt) * scale_log2;  // m~_ij
        m_new[h] = fmaxf(m_prev, mt);
        const float base = m_new[h] == -INFINITY ? 0.0f : m_new[h];
        float lt = 0.0f;
#pragma unroll
        for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
          for (int e = 2 * h; e < 2 * h + 2; ++e) {
            s[nt][e] = exp2f(fmaf(s[nt][e], scale_log2, -base));  // e^(m~ - m_new) P~
            lt += s[nt][e];
          }
        }
        // Un-normalise the stored O_i (divided by l_i, line 12) and rescale:
        // diag(l_i) e^(m_i - m_new) O_i.
        const float alpha = exp2f(m_prev - base);  // e^(m_i - m_new)
        l_new[h] = alpha * l_old[h] + quad_sum(lt);
        const float c = alpha * l_old[h];
#pragma unroll
        for (int nd = 0; nd < D / 8; ++nd) {
          acc[nd][2 * h] = o_in[nd][2 * h] * c;
          acc[nd][2 * h + 1] = o_in[nd][2 * h + 1] * c;
        }
      }

      // Line 12: add P V_j, normalise by l_new, write O_i back.
      pv_tile<BC, D, T>(acc, s, v_s, lane);
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = row0 + g + 8 * h;
        if (row >= n) continue;
        const float inv = l_new[h] > 0.0f ? 1.0f / l_new[h] : 0.0f;
#pragma unroll
        for (int nd = 0; nd < D / 8; ++nd)
          *reinterpret_cast<float2*>(O + static_cast<int64_t>(row) * D + nd * 8 + 2 * t) =
              make_float2(acc[nd][2 * h] * inv, acc[nd][2 * h + 1] * inv);
        // Line 13.
        if (t == 0) {
          L[row] = l_new[h];
          M[row] = m_new[h] * kLn2;
        }
      }
    }
  }
  __syncthreads();  // every warp's last O, l, m stores are visible to the whole thread block

  // Line 16: this split's rows of O (fp32) -> output dtype, LSE = m + log(l).
  for (int r = 0; r < my_blocks; ++r) {
    const int row0 = q_block(r) * BR, rows = min(BR, n - row0);
    const int64_t base = static_cast<int64_t>(row0) * D;
    for (int idx = tid; idx < rows * D / 4; idx += THREADS) {
      const float4 x = reinterpret_cast<const float4*>(O + base)[idx];
      T* dst = o + bh * n * D + base + 4 * idx;
      dst[0] = static_cast<T>(x.x);
      dst[1] = static_cast<T>(x.y);
      dst[2] = static_cast<T>(x.z);
      dst[3] = static_cast<T>(x.w);
    }
    if (lse != nullptr)
      for (int idx = tid; idx < rows; idx += THREADS) lse[bh * n + row0 + idx] = M[row0 + idx] + logf(L[row0 + idx]);
  }
}

template <typename T, int D>
Status launch(const AttentionParams& p, float scale, cudaStream_t stream) {
  constexpr int smem = flash1_smem_bytes(D);
  auto kernel = flash1_fwd_kernel<T, D>;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  if (err != cudaSuccess) return Status::error(std::string("flash1: cudaFuncSetAttribute: ") + cudaGetErrorString(err));
  int device = 0, sms = 0;
  err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (err != cudaSuccess) return Status::error(std::string("flash1: SM count: ") + cudaGetErrorString(err));
  const std::int64_t splits = flash1_splits(p.batch * p.heads, p.n, D, sms);
  if (splits < 1) return Status::error("flash1: no valid split count for this shape");
  // Workspace: O (fp32, batch*heads*N*d), then l and m (fp32, batch*heads*N), each 256-byte aligned.
  const std::size_t bh = static_cast<std::size_t>(p.batch) * static_cast<std::size_t>(p.heads);
  const std::size_t nn = static_cast<std::size_t>(p.n);
  auto* base = static_cast<unsigned char*>(p.workspace);
  float* o_hbm = reinterpret_cast<float*>(base);
  float* l_hbm = reinterpret_cast<float*>(base + align_up(bh * nn * D * 4, 256));
  float* m_hbm = reinterpret_cast<float*>(base + align_up(bh * nn * D * 4, 256) + align_up(bh * nn * 4, 256));
  const dim3 grid(static_cast<unsigned>(splits), static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, 32 * flash1_warps(D), smem, stream>>>(
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
