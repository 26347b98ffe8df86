// flash2: FlashAttention-2 loop order.
//
// One thread block per (Q block of B_r = 64 rows, head, batch).  Each of the 4
// warps owns 16 rows of the Q block; their Q fragments stay in registers for
// the whole kernel.  K/V blocks of B_c = 64 rows stream through a
// double-buffered, swizzled shared-memory ring filled with cp.async while the
// previous block is being used.  S = Q K^T and O += P V run on tensor cores
// (mma.sync m16n8k16, fragments loaded with ldmatrix / ldmatrix.trans); the
// online softmax keeps m and l per row in registers (in the log2 domain), O is
// an fp32 register accumulator, and O and the log-sum-exp are written once at
// the end (O staged through shared memory for 16-byte coalesced stores).
//
// Causal: K/V blocks entirely above the diagonal are never loaded; only blocks
// that straddle the diagonal (or the ragged end of N) pay for the mask.  Q
// blocks are scheduled heaviest-first so that the tail of the grid is short.
#include <cuda_runtime.h>

#include "device_common.cuh"
#include "launchers.hpp"

namespace iolab::kernels::detail {
namespace {

template <typename T, int D>
constexpr int flash2_min_blocks() {
  return D == 64 ? 4 : 2;
}

// kTrace: the instantiation that writes AttentionParams::cta_trace. The timeline is a separate
// instantiation, written only before the first and after the last instruction of the block's work, so that
// the K/V loop is the same code with and without it: a timestamp taken inside the loop (an earlier version)
// changed the loop's instruction schedule, the blocks' pacing and, at d = 128, N = 65536, 4 heads, the DRAM
// bytes read by a fifth at the same runtime (analysis/measurements/cta_trace_2026-11-22/README.md).
template <typename T, int D, bool kTrace>
__global__ void __launch_bounds__(32 * flash2_warps(D), flash2_min_blocks<T, D>())
    flash2_fwd_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ o,
                      float* __restrict__ lse, int n, int heads, float scale_log2, bool causal,
                      unsigned long long* __restrict__ trace) {
  constexpr int BR = flash2_block_rows(D);
  constexpr int BC = flash2_block_cols(D);
  constexpr int THREADS = 32 * flash2_warps(D);
  static_assert(flash2_kv_stages(D) == 2, "the loop below is written for a double buffer");

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* q_s = reinterpret_cast<T*>(smem_raw);  // [BR x D]
  T* kv_s = q_s + BR * D;                   // stage s: K at kv_s + s*2*BC*D, V right after it

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const int qb = causal ? static_cast<int>(gridDim.x) - 1 - static_cast<int>(blockIdx.x) : blockIdx.x;
  const int64_t bh = static_cast<int64_t>(blockIdx.z) * heads + blockIdx.y;
  const T* qg = q + bh * n * D;
  const T* kg = k + bh * n * D;
  const T* vg = v + bh * n * D;
  T* og = o + bh * n * D;

  const int q0 = qb * BR;
  const int warp_row0 = q0 + warp * 16;
  const int last_row = min(q0 + BR, n);  // exclusive
  const int n_kv = causal ? (last_row + BC - 1) / BC : (n + BC - 1) / BC;

  // Timeline (kTrace, AttentionParams::cta_trace): start time and SM here, end time after the last store.
  if constexpr (kTrace) {
    if (tid == 0) cta_trace_start(trace);
  }

  // Prologue: Q block and K/V block 0 in one cp.async group.
  load_tile_async<BR, D, THREADS>(q_s, qg, q0, n, tid);
  load_tile_async<BC, D, THREADS>(kv_s, kg, 0, n, tid);
  load_tile_async<BC, D, THREADS>(kv_s + BC * D, vg, 0, n, tid);
  cp_async_commit();

  float acc[D / 8][4];
#pragma unroll
  for (int nd = 0; nd < D / 8; ++nd) acc[nd][0] = acc[nd][1] = acc[nd][2] = acc[nd][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY};  // running max of scale*log2(e)*s, rows g and g+8
  float l[2] = {0.0f, 0.0f};            // this thread's partial row sums (quad-reduced at the end)
  uint32_t qf[D / 16][4];

  for (int j = 0; j < n_kv; ++j) {
    // Prefetch block j+1 into the other stage (an empty group on the last step
    // keeps the wait count uniform).
    if (j + 1 < n_kv) {
      T* next = kv_s + ((j + 1) & 1) * 2 * BC * D;
      load_tile_async<BC, D, THREADS>(next, kg, (j + 1) * BC, n, tid);
      load_tile_async<BC, D, THREADS>(next + BC * D, vg, (j + 1) * BC, n, tid);
    }
    cp_async_commit();
    cp_async_wait<1>();  // everything but the prefetch just issued has landed
    __syncthreads();

    if (j == 0) load_a_fragments<D>(qf, q_s, warp * 16, lane);
    const T* k_s = kv_s + (j & 1) * 2 * BC * D;
    const T* v_s = k_s + BC * D;
    const int kv0 = j * BC;

    float s[BC / 8][4];
    qk_tile<BC, D, T>(s, qf, k_s, lane);
    if (kv0 + BC > n || (causal && kv0 + BC - 1 > warp_row0)) apply_mask<BC>(s, warp_row0, kv0, n, causal, lane);

    // Online softmax, rows g (r = 0) and g + 8 (r = 1).
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = -INFINITY;
#pragma unroll
      for (int nt = 0; nt < BC / 8; ++nt) mx = fmaxf(mx, fmaxf(s[nt][2 * r], s[nt][2 * r + 1]));
      mx = quad_max(mx) * scale_log2;
      const float m_new = fmaxf(m[r], mx);
      const float base = m_new == -INFINITY ? 0.0f : m_new;  // fully masked row so far: keep exp2 finite
      const float alpha = exp2f(m[r] - base);
      m[r] = m_new;
      float rowsum = 0.0f;
#pragma unroll
      for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
        for (int e = 2 * r; e < 2 * r + 2; ++e) {
          const float p = exp2f(fmaf(s[nt][e], scale_log2, -base));
          s[nt][e] = p;
          rowsum += p;
        }
      }
      l[r] = l[r] * alpha + rowsum;
#pragma unroll
      for (int nd = 0; nd < D / 8; ++nd) {
        acc[nd][2 * r] *= alpha;
        acc[nd][2 * r + 1] *= alpha;
      }
    }

    pv_tile<BC, D, T>(acc, s, v_s, lane);
    __syncthreads();  // the next iteration's prefetch overwrites this stage
  }
  cp_async_wait<0>();

  // Epilogue: normalise, log-sum-exp, O through this warp's rows of q_s.
  constexpr float kLn2 = 0.69314718055994530942f;
  float inv[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float lsum = quad_sum(l[r]);
    inv[r] = lsum > 0.0f ? 1.0f / lsum : 0.0f;
    const int row = warp_row0 + g + 8 * r;
    if (lse != nullptr && t == 0 && row < n) lse[bh * n + row] = m[r] * kLn2 + logf(lsum);
  }
  T* o_s = q_s;
#pragma unroll
  for (int nd = 0; nd < D / 8; ++nd) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const int row = warp * 16 + g + 8 * r;
      const int col = nd * 8 + 2 * t;
      *reinterpret_cast<uint32_t*>(o_s + swz<D>(row, col)) =
          MmaType<T>::pack(acc[nd][2 * r] * inv[r], acc[nd][2 * r + 1] * inv[r]);
    }
  }
  __syncwarp();
  constexpr int kChunksPerRow = D / 8;
#pragma unroll
  for (int idx = lane; idx < 16 * kChunksPerRow; idx += 32) {
    const int r = idx / kChunksPerRow;
    const int c = (idx % kChunksPerRow) * 8;
    const int grow = warp_row0 + r;
    if (grow < n)
      *reinterpret_cast<uint4*>(og + static_cast<int64_t>(grow) * D + c) =
          *reinterpret_cast<const uint4*>(o_s + swz<D>(warp * 16 + r, c));
  }
  if constexpr (kTrace) {
    if (tid == 0) cta_trace_end(trace);
  }
}

template <typename T, int D>
Status launch(const AttentionParams& p, float scale, cudaStream_t stream) {
  constexpr int smem = flash2_smem_bytes(D);
  auto kernel = p.cta_trace != nullptr ? flash2_fwd_kernel<T, D, true> : flash2_fwd_kernel<T, D, false>;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  if (err != cudaSuccess) return Status::error(std::string("flash2: cudaFuncSetAttribute: ") + cudaGetErrorString(err));
  const dim3 grid(static_cast<unsigned>(forward_grid_x(KernelKind::flash2, p.batch * p.heads, p.n, D, 0)),
                  static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  constexpr float kLog2e = 1.4426950408889634f;
  kernel<<<grid, 32 * flash2_warps(D), smem, stream>>>(
      static_cast<const T*>(p.q), static_cast<const T*>(p.k), static_cast<const T*>(p.v), static_cast<T*>(p.o),
      p.lse, static_cast<int>(p.n), static_cast<int>(p.heads), scale * kLog2e, p.causal,
      reinterpret_cast<unsigned long long*>(p.cta_trace));
  err = cudaGetLastError();
  if (err != cudaSuccess) return Status::error(std::string("flash2: launch failed: ") + cudaGetErrorString(err));
  return Status::success();
}

}  // namespace

Status launch_flash2(const AttentionParams& p, float scale, cudaStream_t stream) {
  if (p.dtype == DType::f16) {
    return p.d == 64 ? launch<__half, 64>(p, scale, stream) : launch<__half, 128>(p, scale, stream);
  }
  return p.d == 64 ? launch<__nv_bfloat16, 64>(p, scale, stream) : launch<__nv_bfloat16, 128>(p, scale, stream);
}

}  // namespace iolab::kernels::detail
