// flash1: the loop order of Algorithm 1 of the FlashAttention paper, as a
// readable teaching kernel.
//
// The Q blocks of each (batch, head) are split over S thread blocks (grid
// (S, heads, batch), S = flash1_splits(batch*heads, N, d, SMs) and the
// "snake" assignment of Q blocks to splits, both in tiling.hpp).  Thread
// block s (8 warps at d = 128, 4 at d = 64) runs the paper's double loop over
// its Q blocks:
//
//   line 2:  O = 0, l = 0, m = -inf in HBM for its rows  (fp32 workspace tensors)
//   line 5:  for j over ALL K/V blocks (B_c = 256 rows):
//   line 6:    load K_j, V_j into shared memory
//   line 7:    for i over ITS Q blocks (B_r = 128 / 64 rows; warp w owns rows 16w..16w+15):
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
// Registers: one inner step covers its 256 keys in two passes of 128
// (flash1_pass_cols): lines 9-12 run for the first 128 columns of S_ij, then
// again for the next 128 with the running max, sum and O_i in registers (the
// online softmax of lines 10-12 applied to two halves of the block gives the
// same result as applied to the whole).  O_i, l_i, m_i are still read and
// written once per (i, j) step, so the fp32 O round trip costs half as many
// bytes per FLOP as with 128-key blocks, with the registers of a 128-key step.
//
// Overlap: while step i computes, cp.async already copies the next step's Q
// block into the second Q buffer, and the O_i, l_i, m_i loads of step i are
// issued before S_ij is computed so that their latency hides behind the mma
// work.  In the last inner step of block j, each pass of K_j, V_j is replaced
// by the same pass of K_j+1, V_j+1 as soon as every warp is done with it, so
// the next block's load overlaps the second pass and the O_i write-back.
// Each warp reads and writes only its own 16 rows of Q, O, l and m, so apart
// from the K/V hand-over the warps synchronise only among their own lanes.
//
// Causal: for block j, Q blocks whose rows are all above the diagonal
// (i*B_r + B_r - 1 < j*B_c) would be fully masked, so the inner loop starts at
// the first of its Q blocks that reaches the diagonal (the snake order keeps
// each split's blocks increasing, and a thread block stops once none of its
// blocks reaches K/V block j); a warp skips the compute of a pass whose keys
// all lie after its rows (its O_i, l_i, m_i are still read and written), and
// passes on the diagonal and the ragged last blocks are masked element by
// element.
#include <cuda_runtime.h>

#include "device_common.cuh"
#include "launchers.hpp"

namespace iolab::kernels::detail {
namespace {

// cp.async.wait_group with a run-time count (at most 4 newer groups may stay
// in flight; larger counts wait for everything, which is always safe).
__device__ inline void cp_async_wait_newer(int newer) {
  switch (newer) {
    case 1: cp_async_wait<1>(); break;
    case 2: cp_async_wait<2>(); break;
    case 3: cp_async_wait<3>(); break;
    case 4: cp_async_wait<4>(); break;
    default: cp_async_wait<0>(); break;
  }
}

// kTrace: the instantiation that writes AttentionParams::cta_trace (start and SM before the work, end after
// the last store), so that the kernel run without a trace is the same code as before (as flash2's).
template <typename T, int D, bool kTrace>
__global__ void __launch_bounds__(32 * flash1_warps(D), flash1_ctas_per_sm(D))
    flash1_fwd_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ o,
                      float* __restrict__ lse, float* __restrict__ o_hbm, float* __restrict__ l_hbm,
                      float* __restrict__ m_hbm, int n, float scale, bool causal, unsigned long long* __restrict__ trace) {
  constexpr int BR = flash1_block_rows(D);
  constexpr int BC = flash1_block_cols(D);
  constexpr int PC = flash1_pass_cols(D);  // K/V rows per register pass
  constexpr int NP = BC / PC;              // passes per inner step
  constexpr int THREADS = 32 * flash1_warps(D);
  static_assert(BC % PC == 0 && NP <= 4, "a K/V block is 1 to 4 passes");
  constexpr float kLog2e = 1.4426950408889634f;
  constexpr float kLn2 = 0.69314718055994530942f;
  const float scale_log2 = scale * kLog2e;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* k_s = reinterpret_cast<T*>(smem_raw);  // [BC x D]: pass p uses rows p*PC .. p*PC+PC-1, its own swizzled tile
  T* v_s = k_s + BC * D;                    // [BC x D], same
  T* q_s = v_s + BC * D;                    // 2 x [BR x D], warp w uses rows 16w..16w+15 of each

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const int split = blockIdx.x, splits = gridDim.x;
  if constexpr (kTrace) {
    if (tid == 0) cta_trace_start(trace);
  }
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
  if (my_blocks == 0) {  // (flash1_splits gives every split a Q block; kept for safety)
    if constexpr (kTrace) {
      if (tid == 0) cta_trace_end(trace);
    }
    return;
  }
  auto q_block = [&](int round) { return static_cast<int>(flash1_q_block(split, splits, round)); };
  // First round >= r whose Q block reaches K/V block j (causal; else r).
  auto first_round = [&](int j, int r) {
    if (causal)
      while (r < my_blocks && q_block(r) * BR + BR - 1 < j * BC) ++r;
    return r;
  };
  auto load_kv_pass = [&](int j, int p) {
    load_tile_async<PC, D, THREADS>(k_s + p * PC * D, kg, j * BC + p * PC, n, tid);
    load_tile_async<PC, D, THREADS>(v_s + p * PC * D, vg, j * BC + p * PC, n, tid);
    cp_async_commit();
  };
  auto load_q_rows = [&](int stage, int q_blk) {  // this warp's 16 rows of Q block q_blk
    load_tile_async<16, D, 32>(q_s + stage * BR * D + warp * 16 * D, qg, q_blk * BR + warp * 16, n, lane);
    cp_async_commit();
  };

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

  // cp.async groups, oldest first, as every thread commits them: the Q rows of
  // the first inner step, then K_0, V_0 one group per pass.  After that each
  // inner step commits the Q rows of the NEXT inner step (at its start), and
  // the last inner step of block j commits K_j+1, V_j+1 pass by pass as soon
  // as every warp is done with that pass of K_j, V_j.
  int j = 0, r_begin = first_round(0, 0), stage = 0;
  load_q_rows(0, q_block(r_begin));
#pragma unroll
  for (int p = 0; p < NP; ++p) load_kv_pass(0, p);
  __syncthreads();  // line 2's stores are visible to every warp

  while (true) {  // line 5: K/V block j
    const int kv0 = j * BC;
    const int r_next = j + 1 < t_c ? first_round(j + 1, r_begin) : my_blocks;
    const bool has_next_j = r_next < my_blocks;  // causal: false once no Q block of this split reaches j+1

    for (int r = r_begin; r < my_blocks; ++r) {  // line 7
      const bool first = r == r_begin, last = r + 1 == my_blocks;
      const bool load_next_kv = last && has_next_j;
      const int row0 = q_block(r) * BR + warp * 16;  // this warp's first row
      const int next_q = !last ? q_block(r + 1) : has_next_j ? q_block(r_next) : -1;

      __syncwarp();  // this warp's previous step is over: its l, m stores are visible, its other Q buffer is free

      // Line 8: O_i, l_i, m_i -> registers (C-fragment layout: rows g, g+8);
      // issued first, consumed after S_ij.  acc holds O_i * pend (per row).
      float acc[D / 8][4], m_run[2], l_run[2], pend[2];
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = row0 + g + 8 * h;
        const bool valid = row < n;
        m_run[h] = (valid ? M[row] : -INFINITY) * kLog2e;  // log2 units from here on
        l_run[h] = valid ? L[row] : 0.0f;
        pend[h] = l_run[h];  // O_i was stored divided by l_i (line 12)
#pragma unroll
        for (int nd = 0; nd < D / 8; ++nd) {
          const float2 x = valid ? *reinterpret_cast<const float2*>(O + static_cast<int64_t>(row) * D + nd * 8 + 2 * t)
                                 : make_float2(0.0f, 0.0f);
          acc[nd][2 * h] = x.x;
          acc[nd][2 * h + 1] = x.y;
        }
      }
      if (next_q >= 0) load_q_rows(stage ^ 1, next_q);
      const int q_pending = next_q >= 0 ? 1 : 0;

      uint32_t qf[D / 16][4];
#pragma unroll
      for (int p = 0; p < NP; ++p) {
        if (first) {
          // K_j, V_j pass p (and, for p = 0, Q_i) complete for this thread;
          // newer groups: K/V passes p+1.., the next Q rows, K/V j+1 passes < p.
          cp_async_wait_newer(NP - 1 - p + q_pending + (load_next_kv ? p : 0));
          __syncthreads();  // ... and for every thread
        } else if (p == 0) {
          cp_async_wait_newer(q_pending);  // Q_i rows copied by this lane
          __syncwarp();                    // ... and by every lane of this warp
        }
        // Line 8: Q_i -> registers.
        if (p == 0) load_a_fragments<D>(qf, q_s + stage * BR * D + warp * 16 * D, 0, lane);

        const int kvp = kv0 + p * PC;
        // Causal: keys kvp.. all lie after this warp's last row -> P = 0, nothing to add.
        if (kvp < n && !(causal && kvp > row0 + 15)) {
          // Line 9: S_ij (this pass's PC columns) = Q_i K_j^T; scale applied below, in log2 units.
          float s[PC / 8][4];
          qk_tile<PC, D, T>(s, qf, k_s + p * PC * D, lane);
          if (kvp + PC > n || (causal && kvp + PC - 1 > row0)) apply_mask<PC>(s, row0, kvp, n, causal, lane);
          // Lines 10-11 (one pass at a time: the running max and sum absorb each pass).
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            float mt = -INFINITY;
#pragma unroll
            for (int nt = 0; nt < PC / 8; ++nt) mt = fmaxf(mt, fmaxf(s[nt][2 * h], s[nt][2 * h + 1]));
            mt = quad_max(mt) * scale_log2;  // m~
            const float m_new = fmaxf(m_run[h], mt);
            const float base = m_new == -INFINITY ? 0.0f : m_new;
            float lt = 0.0f;
#pragma unroll
            for (int nt = 0; nt < PC / 8; ++nt) {
#pragma unroll
              for (int e = 2 * h; e < 2 * h + 2; ++e) {
                s[nt][e] = exp2f(fmaf(s[nt][e], scale_log2, -base));  // e^(m~ - m_new) P~
                lt += s[nt][e];
              }
            }
            const float alpha = exp2f(m_run[h] - base);  // e^(m_old - m_new)
            l_run[h] = alpha * l_run[h] + quad_sum(lt);
            m_run[h] = m_new;
            // diag(l_i) e^(m_i - m_new) O_i: rescale the running sum.
            const float c = alpha * pend[h];
            pend[h] = 1.0f;
#pragma unroll
            for (int nd = 0; nd < D / 8; ++nd) {
              acc[nd][2 * h] *= c;
              acc[nd][2 * h + 1] *= c;
            }
          }
          // Line 12: + P~ V_j (this pass's rows of V_j).
          pv_tile<PC, D, T>(acc, s, v_s + p * PC * D, lane);
        }
        if (load_next_kv) {
          __syncthreads();  // every warp is done with pass p of K_j, V_j
          load_kv_pass(j + 1, p);
        }
      }

      // Line 12: normalise by l_new, write O_i back.  Line 13: l_i, m_i.
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = row0 + g + 8 * h;
        if (row >= n) continue;
        const float f = l_run[h] > 0.0f ? pend[h] / l_run[h] : 0.0f;
#pragma unroll
        for (int nd = 0; nd < D / 8; ++nd)
          *reinterpret_cast<float2*>(O + static_cast<int64_t>(row) * D + nd * 8 + 2 * t) =
              make_float2(acc[nd][2 * h] * f, acc[nd][2 * h + 1] * f);
        if (t == 0) {
          L[row] = l_run[h];
          M[row] = m_run[h] * kLn2;
        }
      }
      stage ^= 1;
    }
    if (!has_next_j) break;
    ++j;
    r_begin = r_next;
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
  if constexpr (kTrace) {
    if (tid == 0) cta_trace_end(trace);
  }
}

template <typename T, int D>
Status launch(const AttentionParams& p, float scale, cudaStream_t stream) {
  constexpr int smem = flash1_smem_bytes(D);
  static_assert(smem <= 227 * 1024, "flash1: shared memory exceeds the 227 KiB a thread block can have");
  auto kernel = p.cta_trace != nullptr ? flash1_fwd_kernel<T, D, true> : flash1_fwd_kernel<T, D, false>;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  if (err != cudaSuccess) return Status::error(std::string("flash1: cudaFuncSetAttribute: ") + cudaGetErrorString(err));
  int device = 0, sms = 0;
  err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (err != cudaSuccess) return Status::error(std::string("flash1: SM count: ") + cudaGetErrorString(err));
  const std::int64_t splits = forward_grid_x(KernelKind::flash1, p.batch * p.heads, p.n, D, sms);
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
      p.lse, o_hbm, l_hbm, m_hbm, static_cast<int>(p.n), scale, p.causal,
      reinterpret_cast<unsigned long long*>(p.cta_trace));
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
