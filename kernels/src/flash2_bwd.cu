// flash2_bwd: FlashAttention-2 backward.
//
// Notation (one (batch, head)): S = Q K^T, P = exp(scale*S - LSE) (rows),
// O = P V.  Given dO:
//   dV = P^T dO,   dP = dO V^T,   Delta_i = rowsum(dO_i * O_i) = rowsum(P_i * dP_i),
//   dS = P * (dP - Delta),   dQ = scale * dS K,   dK = scale * dS^T Q.
//
// Kernels, in launch order:
//  1. flash2_bwd_preprocess: Delta (fp32) and, in the atomic mode, zeroes the
//     fp32 dQ accumulator.
//  2. flash2_bwd_kv_kernel: one thread block per (K/V block j of B_c = 128
//     keys, head, batch), 8 warps; warp w owns keys 16w .. 16w+15 of the
//     block.  K_j and V_j are loaded once into shared memory; Q_i, dO_i, LSE_i
//     and Delta_i blocks of B_r queries (64 at d = 64, 32 at d = 128) stream
//     through a double-buffered cp.async ring.  The warp works in the
//     transposed orientation (keys x queries) so that the dK and dV rows it
//     accumulates are its own:
//       S^T = K_w Q_i^T, P^T = exp2(S^T*scale*log2e - LSE*log2e) (recomputed,
//       never stored), dV_w += P^T dO_i, dP^T = V_w dO_i^T,
//       dS^T = P^T * (dP^T - Delta), dK_w += dS^T Q_i,
//     all on tensor cores (mma.sync m16n8k16, fp32 accumulation; P^T and dS^T
//     (the latter from the fp32 P^T) are rounded to the input dtype once and
//     kept as packed mma A fragments).
//     dK (times scale) and dV are written once at the end.  Atomic mode: dS^T
//     goes to shared memory (double-buffered, so that each Q block step needs
//     a single block barrier, which also publishes the next Q block) and,
//     after that barrier, the warps split
//     dQ_i += dS K_j (B_r x d) into 16-row x (d / (8 / (B_r/16)))-column
//     pieces (A = dS through ldmatrix.trans of dS^T) and add them to the fp32
//     accumulator with atomics (float2 reductions on sm_90).
//     Causal: only Q blocks with a query >= the block's first key are visited;
//     only tiles that cross the diagonal or the ragged end of N are masked;
//     block j = blockIdx.x, so the heaviest blocks start first.
//  3. flash2_bwd_convert_dq (atomic mode): dQ = scale * accumulator, in the
//     input dtype.  Deterministic mode: flash2_bwd_dq.cu instead.
#include <cuda_runtime.h>

#include <string>

#include "flash2_bwd_common.cuh"
#include "launchers_backward.hpp"

namespace iolab::kernels::detail {
namespace {

constexpr int kEltThreads = 256;  // threads per block of the element-wise kernels

// Delta_r = sum_x dO[r, x] * O[r, x] in fp32.  One thread per 8 consecutive
// elements; the D/8 threads of a row are consecutive lanes of one warp.
template <typename T, int D>
__global__ void __launch_bounds__(kEltThreads)
    flash2_bwd_preprocess(const T* __restrict__ o, const T* __restrict__ dout, float* __restrict__ delta,
                          float* __restrict__ dq_accum, int rows) {
  constexpr int kChunks = D / 8;
  static_assert(32 % kChunks == 0 || kChunks % 32 == 0, "row chunks must tile a warp");
  const int idx = blockIdx.x * kEltThreads + threadIdx.x;
  const int total = rows * kChunks;
  float acc = 0.0f;
  if (idx < total) {
    const uint4 a = *reinterpret_cast<const uint4*>(o + static_cast<int64_t>(idx) * 8);
    const uint4 b = *reinterpret_cast<const uint4*>(dout + static_cast<int64_t>(idx) * 8);
    const uint32_t aw[4] = {a.x, a.y, a.z, a.w}, bw[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const float2 x = MmaType<T>::unpack(aw[e]), y = MmaType<T>::unpack(bw[e]);
      acc = fmaf(x.x, y.x, acc);
      acc = fmaf(x.y, y.y, acc);
    }
    if (dq_accum != nullptr) {
      float4* z = reinterpret_cast<float4*>(dq_accum + static_cast<int64_t>(idx) * 8);
      z[0] = make_float4(0.f, 0.f, 0.f, 0.f);
      z[1] = make_float4(0.f, 0.f, 0.f, 0.f);
    }
  }
#pragma unroll
  for (int off = kChunks / 2; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
  if (idx < total && idx % kChunks == 0) delta[idx / kChunks] = acc;
}

// dq[e] = scale * dq_accum[e] in the input dtype; one thread per 8 elements.
template <typename T>
__global__ void __launch_bounds__(kEltThreads)
    flash2_bwd_convert_dq(const float* __restrict__ dq_accum, T* __restrict__ dq, int chunks, float scale) {
  const int idx = blockIdx.x * kEltThreads + threadIdx.x;
  if (idx >= chunks) return;
  const float4* src = reinterpret_cast<const float4*>(dq_accum + static_cast<int64_t>(idx) * 8);
  const float4 x = src[0], y = src[1];
  uint4 out;
  out.x = MmaType<T>::pack(x.x * scale, x.y * scale);
  out.y = MmaType<T>::pack(x.z * scale, x.w * scale);
  out.z = MmaType<T>::pack(y.x * scale, y.y * scale);
  out.w = MmaType<T>::pack(y.z * scale, y.w * scale);
  *reinterpret_cast<uint4*>(dq + static_cast<int64_t>(idx) * 8) = out;
}

__device__ inline void add_to_global(float* addr, float x, float y) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  atomicAdd(reinterpret_cast<float2*>(addr), make_float2(x, y));
#else
  atomicAdd(addr, x);
  atomicAdd(addr + 1, y);
#endif
}

template <typename T, int D, bool kAtomicDq>
__global__ void __launch_bounds__(32 * flash2_bwd_warps(D), flash2_bwd_ctas_per_sm(D))
    flash2_bwd_kv_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                         const T* __restrict__ dout, const float* __restrict__ lse, const float* __restrict__ delta,
                         float* __restrict__ dq_accum, T* __restrict__ dk, T* __restrict__ dv, int n, int heads,
                         float scale, float scale_log2, bool causal) {
  constexpr int W = flash2_bwd_warps(D);
  constexpr int BC = flash2_bwd_block_cols(D);
  constexpr int BR = flash2_bwd_block_rows(D);
  constexpr int THREADS = 32 * W;
  static_assert(flash2_bwd_q_stages(D) == 2 && flash2_bwd_ds_stages(D) == 2,
                "the loop below is written for double buffers");
  constexpr int DSL = flash2_bwd_ds_row_elems(D);  // row length of the dS^T tile (elements)
  constexpr int RG = BR / 16;                      // dQ step: row groups of 16 queries
  constexpr int NCG = W / RG;                      // dQ step: column groups of D / NCG columns
  static_assert(BC == 16 * W && RG * NCG == W && DSL == 64, "tile shapes the loop below is written for");

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* k_s = reinterpret_cast<T*>(smem_raw);  // [BC x D]
  T* v_s = k_s + BC * D;                    // [BC x D]
  T* qdo_s = v_s + BC * D;                  // stage s: Q_i at qdo_s + s*2*BR*D, dO_i right after
  T* ds_s = qdo_s + 4 * BR * D;             // stage s: dS^T [BC x DSL] at ds_s + s*BC*DSL, columns < BR used
  float* vec_s = reinterpret_cast<float*>(ds_s + 2 * BC * DSL);  // stage s: LSE at vec_s + s*2*BR, Delta after

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const int64_t bh = static_cast<int64_t>(blockIdx.z) * heads + blockIdx.y;
  const T* qg = q + bh * n * D;
  const T* kg = k + bh * n * D;
  const T* vg = v + bh * n * D;
  const T* dog = dout + bh * n * D;
  const float* lseg = lse + bh * n;
  const float* dlg = delta + bh * n;

  const int kv0 = blockIdx.x * BC;
  const int kw0 = kv0 + warp * 16;  // this warp's first key
  const int n_q = (n + BR - 1) / BR;
  const int i_begin = causal ? kv0 / BR : 0;

  auto load_q_block = [&](int i, int stage) {
    T* qs = qdo_s + stage * 2 * BR * D;
    load_tile_async<BR, D, THREADS>(qs, qg, i * BR, n, tid);
    load_tile_async<BR, D, THREADS>(qs + BR * D, dog, i * BR, n, tid);
    load_rows_f32_async<BR>(vec_s + stage * 2 * BR, lseg, i * BR, n, tid);
    load_rows_f32_async<BR>(vec_s + stage * 2 * BR + BR, dlg, i * BR, n, tid);
  };

  load_tile_async<BC, D, THREADS>(k_s, kg, kv0, n, tid);
  load_tile_async<BC, D, THREADS>(v_s, vg, kv0, n, tid);
  load_q_block(i_begin, 0);
  cp_async_commit();
  if (i_begin + 1 < n_q) load_q_block(i_begin + 1, 1);
  cp_async_commit();  // possibly empty: keeps the group count of the wait below fixed
  cp_async_wait<1>();
  __syncthreads();

  float dk_acc[D / 8][4], dv_acc[D / 8][4];
#pragma unroll
  for (int nd = 0; nd < D / 8; ++nd)
#pragma unroll
    for (int e = 0; e < 4; ++e) dk_acc[nd][e] = dv_acc[nd][e] = 0.0f;

  for (int i = i_begin; i < n_q; ++i) {
    // Invariant at the top of step i: block i is in `stage` and visible to all
    // threads; block i + 1 (if any) is in flight into stage ^ 1.
    const int stage = (i - i_begin) & 1;
    const T* q_s = qdo_s + stage * 2 * BR * D;
    const T* do_s = q_s + BR * D;
    const float* lse_s = vec_s + stage * 2 * BR;
    const float* dl_s = lse_s + BR;
    const int q0 = i * BR;

    // S^T = K_w Q_i^T (16 keys x BR queries), then P^T.
    float p[BR / 8][4];
    gemm_abt_smem<BR, D, T>(p, k_s, warp * 16, q_s, lane);
    const bool need_mask = kv0 + BC > n || (causal && kw0 + 15 > q0);
    if (need_mask) {
#pragma unroll
      for (int nt = 0; nt < BR / 8; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int key = kw0 + g + (e >> 1) * 8;
          const int query = q0 + nt * 8 + 2 * t + (e & 1);
          if (key >= n || (causal && key > query)) p[nt][e] = -INFINITY;
        }
    }
#pragma unroll
    for (int nt = 0; nt < BR / 8; ++nt) {
      const float2 l = *reinterpret_cast<const float2*>(lse_s + nt * 8 + 2 * t);
      const float l0 = l.x * kBwdLog2e, l1 = l.y * kBwdLog2e;
      p[nt][0] = exp2f(fmaf(p[nt][0], scale_log2, -l0));
      p[nt][1] = exp2f(fmaf(p[nt][1], scale_log2, -l1));
      p[nt][2] = exp2f(fmaf(p[nt][2], scale_log2, -l0));
      p[nt][3] = exp2f(fmaf(p[nt][3], scale_log2, -l1));
    }

    // dP^T = V_w dO_i^T, then dS^T = P^T * (dP^T - Delta) from the fp32 P^T,
    // rounded once to the input dtype (rounding P^T first and then the
    // product doubles the rounding error of dS: in bf16 that pushed dK's
    // largest error past twice the plain unfused one on small shapes).
    uint32_t dsa[BR / 16][4];
    {
      float dp[BR / 8][4];
      gemm_abt_smem<BR, D, T>(dp, v_s, warp * 16, do_s, lane);
#pragma unroll
      for (int nt = 0; nt < BR / 8; ++nt) {
        const float2 dl = *reinterpret_cast<const float2*>(dl_s + nt * 8 + 2 * t);
#pragma unroll
        for (int r = 0; r < 2; ++r)
          dsa[nt / 2][(nt & 1) * 2 + r] =
              MmaType<T>::pack(p[nt][2 * r] * (dp[nt][2 * r] - dl.x), p[nt][2 * r + 1] * (dp[nt][2 * r + 1] - dl.y));
      }
    }

    // P^T rounded to the input dtype, packed as mma A fragments (the A
    // operand of dV += P^T dO); dV_w += P^T dO_i.
    uint32_t pa[BR / 16][4];
    pack_a_fragments<BR, T>(pa, p);
    gemm_ab_packed<BR, D, T>(dv_acc, pa, do_s, lane);

    // dK_w += dS^T Q_i.
    gemm_ab_packed<BR, D, T>(dk_acc, dsa, q_s, lane);

    [[maybe_unused]] T* dst_s = ds_s + stage * BC * DSL;
    if constexpr (kAtomicDq) {
      // dS^T -> shared memory (rows = keys, cols = queries).  Buffer `stage`
      // was last read by step i - 2's dQ, which every warp finished before
      // step i - 1's barrier.
#pragma unroll
      for (int nt = 0; nt < BR / 8; ++nt)
#pragma unroll
        for (int r = 0; r < 2; ++r)
          *reinterpret_cast<uint32_t*>(dst_s + swz<DSL>(warp * 16 + g + 8 * r, nt * 8 + 2 * t)) =
              dsa[nt / 2][(nt & 1) * 2 + r];
    }
    // The one barrier of the step: after it, (a) no warp reads `stage`'s Q,
    // dO, LSE or Delta any more (dQ below reads only K_j and dS^T), so block
    // i + 2 may be prefetched into it; (b) dS^T of this step is visible;
    // (c) block i + 1, waited for by every thread just before, is visible.
    cp_async_wait<0>();
    __syncthreads();
    if (i + 2 < n_q) {
      load_q_block(i + 2, stage);
      cp_async_commit();
    }

    if constexpr (kAtomicDq) {
      // dQ_i (BR x D) += dS (BR x BC) K_j (BC x D): warp w takes query rows
      // 16*(w % RG) .. +15 and columns (w / RG) * D/NCG .. + D/NCG - 1, in
      // chunks of CH columns.
      const int qrow0 = (warp % RG) * 16;
      constexpr int CWG = D / NCG;
      constexpr int CH = D == 128 ? 32 : CWG;
      const int cbeg = (warp / RG) * CWG;
#pragma unroll 1
      for (int c0 = cbeg; c0 < cbeg + CWG; c0 += CH) {
        float acc[CH / 8][4];
#pragma unroll
        for (int nd = 0; nd < CH / 8; ++nd) acc[nd][0] = acc[nd][1] = acc[nd][2] = acc[nd][3] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < BC / 16; ++kk) {
          uint32_t a[4];
          {
            const int key = kk * 16 + (lane & 7) + ((lane >> 4) & 1) * 8;
            const int qc = qrow0 + ((lane >> 3) & 1) * 8;
            ldmatrix_x4_trans(a, smem_u32(dst_s + swz<DSL>(key, qc)));
          }
#pragma unroll
          for (int np = 0; np < CH / 16; ++np) {
            const int row = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
            const int col = c0 + np * 16 + (lane >> 4) * 8;
            uint32_t b[4];
            ldmatrix_x4_trans(b, smem_u32(k_s + swz<D>(row, col)));
            mma_16816<T>(acc[2 * np], a, b[0], b[1]);
            mma_16816<T>(acc[2 * np + 1], a, b[2], b[3]);
          }
        }
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const int row = q0 + qrow0 + g + 8 * r;
          if (row < n) {
            float* dst = dq_accum + (bh * n + row) * D + c0 + 2 * t;
#pragma unroll
            for (int nd = 0; nd < CH / 8; ++nd) add_to_global(dst + nd * 8, acc[nd][2 * r], acc[nd][2 * r + 1]);
          }
        }
      }
      // No barrier needed here: the next step reads block i + 1 (visible since
      // the barrier above) and writes the other dS^T buffer.
    }
  }
  cp_async_wait<0>();

  // Epilogue: dK = scale * acc, dV; rows (keys) >= n are not written.
  T* dkg = dk + bh * n * D;
  T* dvg = dv + bh * n * D;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int key = kw0 + g + 8 * r;
    if (key < n) {
#pragma unroll
      for (int nd = 0; nd < D / 8; ++nd) {
        const int64_t off = static_cast<int64_t>(key) * D + nd * 8 + 2 * t;
        *reinterpret_cast<uint32_t*>(dkg + off) =
            MmaType<T>::pack(dk_acc[nd][2 * r] * scale, dk_acc[nd][2 * r + 1] * scale);
        *reinterpret_cast<uint32_t*>(dvg + off) = MmaType<T>::pack(dv_acc[nd][2 * r], dv_acc[nd][2 * r + 1]);
      }
    }
  }
}

template <typename T, int D>
Status launch(const AttentionBackwardParams& p, float scale, cudaStream_t stream) {
  const int rows = static_cast<int>(p.batch * p.heads * p.n);
  auto* delta = static_cast<float*>(p.workspace);
  float* dq_accum = p.deterministic
                        ? nullptr
                        : reinterpret_cast<float*>(static_cast<char*>(p.workspace) + align_up(std::size_t(rows) * 4, 256));
  const int chunks = rows * (D / 8);
  const int elt_blocks = (chunks + kEltThreads - 1) / kEltThreads;
  flash2_bwd_preprocess<T, D><<<elt_blocks, kEltThreads, 0, stream>>>(
      static_cast<const T*>(p.o), static_cast<const T*>(p.dout), delta, dq_accum, rows);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return Status::error(std::string("flash2_bwd: preprocess launch failed: ") + cudaGetErrorString(err));

  constexpr int smem = flash2_bwd_smem_bytes(D);
  const dim3 grid(static_cast<unsigned>(num_blocks(p.n, flash2_bwd_block_cols(D))), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  constexpr float kLog2e = 1.4426950408889634f;
  auto run_kv = [&](auto kernel) -> Status {
    cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
    if (e != cudaSuccess) return Status::error(std::string("flash2_bwd: cudaFuncSetAttribute: ") + cudaGetErrorString(e));
    kernel<<<grid, 32 * flash2_bwd_warps(D), smem, stream>>>(
        static_cast<const T*>(p.q), static_cast<const T*>(p.k), static_cast<const T*>(p.v),
        static_cast<const T*>(p.dout), p.lse, delta, dq_accum, static_cast<T*>(p.dk), static_cast<T*>(p.dv),
        static_cast<int>(p.n), static_cast<int>(p.heads), scale, scale * kLog2e, p.causal);
    e = cudaGetLastError();
    if (e != cudaSuccess) return Status::error(std::string("flash2_bwd: launch failed: ") + cudaGetErrorString(e));
    return Status::success();
  };
  Status st = p.deterministic ? run_kv(flash2_bwd_kv_kernel<T, D, false>) : run_kv(flash2_bwd_kv_kernel<T, D, true>);
  if (!st.ok) return st;

  if (p.deterministic) return launch_flash2_bwd_dq(p, scale, stream);
  flash2_bwd_convert_dq<T><<<elt_blocks, kEltThreads, 0, stream>>>(dq_accum, static_cast<T*>(p.dq), chunks, scale);
  err = cudaGetLastError();
  if (err != cudaSuccess) return Status::error(std::string("flash2_bwd: dQ conversion launch failed: ") + cudaGetErrorString(err));
  return Status::success();
}

}  // namespace

Status launch_flash2_bwd(const AttentionBackwardParams& p, float scale, cudaStream_t stream) {
  if (p.dtype == DType::f16) {
    return p.d == 64 ? launch<__half, 64>(p, scale, stream) : launch<__half, 128>(p, scale, stream);
  }
  return p.d == 64 ? launch<__nv_bfloat16, 64>(p, scale, stream) : launch<__nv_bfloat16, 128>(p, scale, stream);
}

}  // namespace iolab::kernels::detail
