// flash2_bwd deterministic dQ: one thread block per (Q block of B_r = 64
// queries, head, batch), no atomics.  Warp w owns queries 16w..16w+15; their
// Q and dO fragments stay in registers (d = 64) or are re-read from shared
// memory (d = 128, to keep the register budget).  K/V blocks of 64 keys
// stream through a double-buffered cp.async ring in increasing order, so every
// dQ element is summed in the same order on every run:
//   S = Q K_j^T, P = exp2(S*scale*log2e - LSE*log2e), dP = dO V_j^T,
//   dS = P * (dP - Delta), dQ += dS K_j   (fp32 registers),
// and dQ = scale * acc is written once, staged through shared memory for
// 16-byte stores.  Causal: K/V blocks above the diagonal are skipped; Q
// blocks are scheduled heaviest-first.
#include <cuda_runtime.h>

#include <string>

#include "flash2_bwd_common.cuh"
#include "launchers_backward.hpp"

namespace iolab::kernels::detail {
namespace {

template <typename T, int D>
__global__ void __launch_bounds__(32 * flash2_bwd_dq_warps(D), 2)
    flash2_bwd_dq_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                         const T* __restrict__ dout, const float* __restrict__ lse, const float* __restrict__ delta,
                         T* __restrict__ dq, int n, int heads, float scale, float scale_log2, bool causal) {
  constexpr int BR = flash2_bwd_dq_block_rows(D);
  constexpr int BC = flash2_bwd_dq_block_cols(D);
  constexpr int THREADS = 32 * flash2_bwd_dq_warps(D);
  static_assert(flash2_bwd_dq_kv_stages(D) == 2, "the loop below is written for a double buffer");

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* q_s = reinterpret_cast<T*>(smem_raw);  // [BR x D]
  T* do_s = q_s + BR * D;                   // [BR x D]
  T* kv_s = do_s + BR * D;                  // stage s: K at kv_s + s*2*BC*D, V right after
  float* lse_s = reinterpret_cast<float*>(kv_s + 4 * BC * D);
  float* dl_s = lse_s + BR;

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const int qb = causal ? static_cast<int>(gridDim.x) - 1 - static_cast<int>(blockIdx.x) : blockIdx.x;
  const int64_t bh = static_cast<int64_t>(blockIdx.z) * heads + blockIdx.y;
  const T* qg = q + bh * n * D;
  const T* kg = k + bh * n * D;
  const T* vg = v + bh * n * D;
  const T* dog = dout + bh * n * D;

  const int q0 = qb * BR;
  const int warp_row0 = q0 + warp * 16;
  const int last_row = min(q0 + BR, n);
  const int n_kv = causal ? (last_row + BC - 1) / BC : (n + BC - 1) / BC;

  load_tile_async<BR, D, THREADS>(q_s, qg, q0, n, tid);
  load_tile_async<BR, D, THREADS>(do_s, dog, q0, n, tid);
  load_rows_f32_async<BR>(lse_s, lse + bh * n, q0, n, tid);
  load_rows_f32_async<BR>(dl_s, delta + bh * n, q0, n, tid);
  load_tile_async<BC, D, THREADS>(kv_s, kg, 0, n, tid);
  load_tile_async<BC, D, THREADS>(kv_s + BC * D, vg, 0, n, tid);
  cp_async_commit();

  constexpr bool kFragsInRegisters = D == 64;
  uint32_t qf[kFragsInRegisters ? D / 16 : 1][4], dof[kFragsInRegisters ? D / 16 : 1][4];
  float acc[D / 8][4];
#pragma unroll
  for (int nd = 0; nd < D / 8; ++nd) acc[nd][0] = acc[nd][1] = acc[nd][2] = acc[nd][3] = 0.0f;
  float l2[2], dl[2];

  for (int j = 0; j < n_kv; ++j) {
    if (j + 1 < n_kv) {
      T* next = kv_s + ((j + 1) & 1) * 2 * BC * D;
      load_tile_async<BC, D, THREADS>(next, kg, (j + 1) * BC, n, tid);
      load_tile_async<BC, D, THREADS>(next + BC * D, vg, (j + 1) * BC, n, tid);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();

    if (j == 0) {
      if constexpr (kFragsInRegisters) {
        load_a_fragments<D>(qf, q_s, warp * 16, lane);
        load_a_fragments<D>(dof, do_s, warp * 16, lane);
      }
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        l2[r] = lse_s[warp * 16 + g + 8 * r] * kBwdLog2e;
        dl[r] = dl_s[warp * 16 + g + 8 * r];
      }
    }
    const T* k_s = kv_s + (j & 1) * 2 * BC * D;
    const T* v_s = k_s + BC * D;
    const int kv0 = j * BC;

    float p[BC / 8][4];
    if constexpr (kFragsInRegisters) {
      qk_tile<BC, D, T>(p, qf, k_s, lane);
    } else {
      gemm_abt_smem<BC, D, T>(p, q_s, warp * 16, k_s, lane);
    }
    if (kv0 + BC > n || (causal && kv0 + BC - 1 > warp_row0)) apply_mask<BC>(p, warp_row0, kv0, n, causal, lane);
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) p[nt][e] = exp2f(fmaf(p[nt][e], scale_log2, -l2[e >> 1]));

    float ds[BC / 8][4];
    if constexpr (kFragsInRegisters) {
      qk_tile<BC, D, T>(ds, dof, v_s, lane);
    } else {
      gemm_abt_smem<BC, D, T>(ds, do_s, warp * 16, v_s, lane);
    }
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) ds[nt][e] = p[nt][e] * (ds[nt][e] - dl[e >> 1]);

    // dQ_w += dS K_j (K_j read as the k x n operand, like V in the forward's P V).
    pv_tile<BC, D, T>(acc, ds, k_s, lane);
    __syncthreads();  // the next iteration's prefetch overwrites this stage
  }
  cp_async_wait<0>();

  // Epilogue: dQ = scale * acc through this warp's rows of q_s (read only
  // before the loop's last barrier), 16-byte stores of rows < n.
  T* o_s = q_s;
#pragma unroll
  for (int nd = 0; nd < D / 8; ++nd)
#pragma unroll
    for (int r = 0; r < 2; ++r)
      *reinterpret_cast<uint32_t*>(o_s + swz<D>(warp * 16 + g + 8 * r, nd * 8 + 2 * t)) =
          MmaType<T>::pack(acc[nd][2 * r] * scale, acc[nd][2 * r + 1] * scale);
  __syncwarp();
  T* dqg = dq + bh * n * D;
  constexpr int kChunksPerRow = D / 8;
#pragma unroll
  for (int idx = lane; idx < 16 * kChunksPerRow; idx += 32) {
    const int r = idx / kChunksPerRow;
    const int c = (idx % kChunksPerRow) * 8;
    const int grow = warp_row0 + r;
    if (grow < n)
      *reinterpret_cast<uint4*>(dqg + static_cast<int64_t>(grow) * D + c) =
          *reinterpret_cast<const uint4*>(o_s + swz<D>(warp * 16 + r, c));
  }
}

template <typename T, int D>
Status launch(const AttentionBackwardParams& p, float scale, cudaStream_t stream) {
  constexpr int smem = flash2_bwd_dq_smem_bytes(D);
  auto kernel = flash2_bwd_dq_kernel<T, D>;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  if (err != cudaSuccess)
    return Status::error(std::string("flash2_bwd dQ: cudaFuncSetAttribute: ") + cudaGetErrorString(err));
  const dim3 grid(static_cast<unsigned>(num_blocks(p.n, flash2_bwd_dq_block_rows(D))), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  const auto* delta = static_cast<const float*>(p.workspace);
  kernel<<<grid, 32 * flash2_bwd_dq_warps(D), smem, stream>>>(
      static_cast<const T*>(p.q), static_cast<const T*>(p.k), static_cast<const T*>(p.v),
      static_cast<const T*>(p.dout), p.lse, delta, static_cast<T*>(p.dq), static_cast<int>(p.n),
      static_cast<int>(p.heads), scale, scale * kBwdLog2e, p.causal);
  err = cudaGetLastError();
  if (err != cudaSuccess) return Status::error(std::string("flash2_bwd dQ: launch failed: ") + cudaGetErrorString(err));
  return Status::success();
}

}  // namespace

Status launch_flash2_bwd_dq(const AttentionBackwardParams& p, float scale, cudaStream_t stream) {
  if (p.dtype == DType::f16) {
    return p.d == 64 ? launch<__half, 64>(p, scale, stream) : launch<__half, 128>(p, scale, stream);
  }
  return p.d == 64 ? launch<__nv_bfloat16, 64>(p, scale, stream) : launch<__nv_bfloat16, 128>(p, scale, stream);
}

}  // namespace iolab::kernels::detail
