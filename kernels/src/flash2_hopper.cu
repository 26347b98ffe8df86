// flash2_hopper: the FlashAttention-2 loop order with Hopper's own instructions.
//
// Same schedule as flash2 (one thread block per (Q block, head, batch), K/V
// blocks streamed through shared memory, O in registers, O and the
// log-sum-exp written once), with:
//   * TMA bulk tensor copies (cp.async.bulk.tensor) into 128-byte-swizzled
//     shared memory, completing on mbarriers;
//   * warp specialisation: one producer warp issues every copy; two consumer
//     warpgroups (4 warps each, 64 Q rows each) compute;
//   * warpgroup MMA: S = Q K^T with wgmma m64n{B_c}k16 (A = Q and B = K from
//     shared memory), O += P V with wgmma m64n64k16 (A = P from registers,
//     B = V from shared memory, N-major);
//   * a K/V ring of kv_stages buffers: the producer refills a stage as soon as
//     both warpgroups have released it (an "empty" mbarrier per stage), K and
//     V of a stage have their own "full" mbarriers so that S = Q K^T starts
//     before V has landed;
//   * O staged through the warpgroup's Q rows in shared memory and written by
//     one TMA store per panel (rows past N are clipped by the copy engine).
// The two warpgroups never wait for each other, so one's softmax overlaps the
// other's matrix products.
//
// Tile sizes: kernels/include/iolab/kernels/tiling.hpp (flash2_hopper_*).
// Causal: as flash2 (blocks above the diagonal never loaded, heaviest Q
// blocks first).  Ragged N: TMA zero-fills rows past N; those keys are masked.
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <mutex>
#include <string>

#include "device_common.cuh"
#include "launchers.hpp"
#include "sm90_primitives.cuh"

namespace iolab::kernels::detail {
namespace {

template <int D>
struct HopperTile {
  static constexpr int BR = flash2_hopper_block_rows(D);
  static constexpr int BC = flash2_hopper_block_cols(D);
  static constexpr int STAGES = flash2_hopper_kv_stages(D);
  static constexpr int WGS = flash2_hopper_consumer_warpgroups(D);
  static constexpr int THREADS = flash2_hopper_threads(D);
  static constexpr int PANELS = D / 64;
  static constexpr int Q_BYTES = BR * D * 2;
  static constexpr int KV_BYTES = BC * D * 2;  // one K or one V block
  static constexpr int BAR_OFFSET = Q_BYTES + STAGES * 2 * KV_BYTES;
  static_assert(BC == 64 || BC == 128, "S = Q K^T is one m64n64 or m64n128 wgmma per k-step");
  static_assert(BR == 64 * WGS, "one warpgroup per 64 Q rows");
  static_assert(flash2_hopper_smem_bytes(D) >= BAR_OFFSET + 8 * (3 * STAGES + 1) + 1024, "shared memory budget");
};

// kTrace: the instantiation that writes AttentionParams::cta_trace, a separate one as in flash2 (the K/V
// loop is the same code with and without it): the start time and SM before the barriers are set up, the end
// time after the last O store (each consumer warpgroup stores its own rows and takes the later time with an
// atomic maximum; the producer warp, done when its last copy is issued, records nothing).
template <typename T, int D, bool kTrace>
__global__ void __launch_bounds__(flash2_hopper_threads(D), flash2_hopper_ctas_per_sm(D))
    flash2_hopper_fwd_kernel(const __grid_constant__ CUtensorMap tm_q, const __grid_constant__ CUtensorMap tm_k,
                             const __grid_constant__ CUtensorMap tm_v, const __grid_constant__ CUtensorMap tm_o,
                             float* __restrict__ lse, int n, int heads, float scale_log2, int causal,
                             unsigned long long* __restrict__ trace) {
#ifdef IOLAB_SM90A
  using C = HopperTile<D>;
  using namespace sm90;
  extern __shared__ unsigned char smem_raw[];
  // TMA with 128-byte swizzle wants 1024-byte aligned tiles.
  unsigned char* smem = reinterpret_cast<unsigned char*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  unsigned char* q_s = smem;                                        // [BR x D], panelled
  auto k_s = [&](int s) { return smem + C::Q_BYTES + s * 2 * C::KV_BYTES; };
  auto v_s = [&](int s) { return smem + C::Q_BYTES + s * 2 * C::KV_BYTES + C::KV_BYTES; };
  uint64_t* bars = reinterpret_cast<uint64_t*>(smem + C::BAR_OFFSET);
  uint64_t* full_k = bars;                  // [STAGES]
  uint64_t* full_v = bars + C::STAGES;      // [STAGES]
  uint64_t* empty = bars + 2 * C::STAGES;   // [STAGES]
  uint64_t* q_full = bars + 3 * C::STAGES;  // [1]

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int qb = causal ? static_cast<int>(gridDim.x) - 1 - static_cast<int>(blockIdx.x) : blockIdx.x;
  const int bh = static_cast<int>(blockIdx.z) * heads + static_cast<int>(blockIdx.y);
  const int q0 = qb * C::BR;
  const int q_end = min(q0 + C::BR, n);
  const int n_kv = causal ? (q_end + C::BC - 1) / C::BC : (n + C::BC - 1) / C::BC;

  if constexpr (kTrace) {
    if (tid == 0) cta_trace_start(trace);
  }
  if (tid == 0) {
    for (int s = 0; s < C::STAGES; ++s) {
      mbar_init(&full_k[s], 1);
      mbar_init(&full_v[s], 1);
      mbar_init(&empty[s], 4 * C::WGS);  // one arrival per consumer warp
    }
    mbar_init(q_full, 1);
    mbar_init_fence();
  }
  __syncthreads();

  if (warp == 4 * C::WGS) {
    // ---- producer warp: every copy is issued by its lane 0 ----
    if (lane == 0) {
      mbar_arrive_expect_tx(q_full, C::Q_BYTES);
#pragma unroll
      for (int p = 0; p < C::PANELS; ++p) tma_load_3d(q_s + p * C::BR * 128, &tm_q, q_full, 64 * p, q0, bh);
      for (int j = 0; j < n_kv; ++j) {
        const int s = j % C::STAGES;
        if (j >= C::STAGES) mbar_wait(&empty[s], ((j / C::STAGES) - 1) & 1);
        mbar_arrive_expect_tx(&full_k[s], C::KV_BYTES);
#pragma unroll
        for (int p = 0; p < C::PANELS; ++p) tma_load_3d(k_s(s) + p * C::BC * 128, &tm_k, &full_k[s], 64 * p, j * C::BC, bh);
        mbar_arrive_expect_tx(&full_v[s], C::KV_BYTES);
#pragma unroll
        for (int p = 0; p < C::PANELS; ++p) tma_load_3d(v_s(s) + p * C::BC * 128, &tm_v, &full_v[s], 64 * p, j * C::BC, bh);
      }
    }
    return;
  }

  // ---- consumer warpgroups ----
  const int wg = warp >> 2, wwarp = warp & 3;
  const int g = lane >> 2, t = lane & 3;
  const int wg_row0 = q0 + 64 * wg;             // first Q row of this warpgroup
  const int warp_row0 = wg_row0 + 16 * wwarp;   // first Q row of this warp
  const uint32_t q_base = smem_addr(q_s) + 64 * wg * 128;

  float o[C::PANELS][32];
#pragma unroll
  for (int p = 0; p < C::PANELS; ++p)
#pragma unroll
    for (int i = 0; i < 32; ++i) o[p][i] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY};  // running max of scale*log2(e)*s, rows g and g+8
  float l[2] = {0.0f, 0.0f};            // this thread's partial row sums

  mbar_wait(q_full, 0);

  for (int j = 0; j < n_kv; ++j) {
    const int s = j % C::STAGES;
    const uint32_t parity = (j / C::STAGES) & 1;
    const int kv0 = j * C::BC;

    // S = Q K^T (64 x 128 per warpgroup), fp32 in registers.
    float sc[C::BC / 2];
    mbar_wait(&full_k[s], parity);
    const uint32_t k_base = smem_addr(k_s(s));
    fence_registers(sc);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const int p = kk >> 2;
      const uint32_t koff = (kk & 3) * 32;
      const uint64_t da = make_desc(q_base + p * C::BR * 128 + koff, 16, 1024);
      const uint64_t db = make_desc(k_base + p * C::BC * 128 + koff, 16, 1024);
      wgmma_ss_m64k16<T, C::BC>(sc, da, db, kk > 0 ? 1 : 0);
    }
    wgmma_commit();
    wgmma_wait<0>();
    fence_registers(sc);

    // Mask keys past N and, when causal, keys after the query.
    if (kv0 + C::BC > n || (causal && kv0 + C::BC - 1 > warp_row0)) {
#pragma unroll
      for (int i = 0; i < C::BC / 8; ++i)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int col = kv0 + 8 * i + 2 * t + (e & 1);
          const int row = warp_row0 + g + 8 * (e >> 1);
          if (col >= n || (causal && col > row)) sc[4 * i + e] = -INFINITY;
        }
    }

    // Online softmax (log2 domain), rows g (r = 0) and g + 8 (r = 1).
    uint32_t pf[C::BC / 16][4];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = -INFINITY;
#pragma unroll
      for (int i = 0; i < C::BC / 8; ++i) mx = fmaxf(mx, fmaxf(sc[4 * i + 2 * r], sc[4 * i + 2 * r + 1]));
      mx = quad_max(mx) * scale_log2;
      const float m_new = fmaxf(m[r], mx);
      const float base = m_new == -INFINITY ? 0.0f : m_new;
      const float alpha = exp2f(m[r] - base);
      m[r] = m_new;
      float rowsum = 0.0f;
#pragma unroll
      for (int i = 0; i < C::BC / 8; ++i) {
        const float p0 = exp2f(fmaf(sc[4 * i + 2 * r], scale_log2, -base));
        const float p1 = exp2f(fmaf(sc[4 * i + 2 * r + 1], scale_log2, -base));
        rowsum += p0 + p1;
        pf[i >> 1][(i & 1) * 2 + r] = MmaType<T>::pack(p0, p1);
      }
      l[r] = l[r] * alpha + rowsum;
#pragma unroll
      for (int p = 0; p < C::PANELS; ++p)
#pragma unroll
        for (int i = 0; i < 8; ++i) {
          o[p][4 * i + 2 * r] *= alpha;
          o[p][4 * i + 2 * r + 1] *= alpha;
        }
    }

    // O += P V: k-step kk covers keys 16kk..16kk+15 (rows of V), one
    // m64n64 wgmma per 64-column panel of V.
    mbar_wait(&full_v[s], parity);
    const uint32_t v_base = smem_addr(v_s(s));
#pragma unroll
    for (int p = 0; p < C::PANELS; ++p) fence_registers(o[p]);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < C::BC / 16; ++kk) {
#pragma unroll
      for (int p = 0; p < C::PANELS; ++p) {
        const uint64_t db = make_desc(v_base + p * C::BC * 128 + kk * 16 * 128, C::BC * 128, 1024);
        wgmma_rs_m64n64k16_nmajor<T>(o[p], pf[kk], db, 1);
      }
    }
    wgmma_commit();
    wgmma_wait<0>();
#pragma unroll
    for (int p = 0; p < C::PANELS; ++p) fence_registers(o[p]);

    // Both K_j and V_j of this stage are no longer read by this warp.
    __syncwarp();
    if (lane == 0) mbar_arrive(&empty[s]);
  }

  // ---- epilogue: normalise, log-sum-exp, O via this warpgroup's Q rows ----
  constexpr float kLn2 = 0.69314718055994530942f;
  float inv[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float lsum = quad_sum(l[r]);
    inv[r] = lsum > 0.0f ? 1.0f / lsum : 0.0f;
    const int row = warp_row0 + g + 8 * r;
    if (lse != nullptr && t == 0 && row < n) lse[static_cast<int64_t>(bh) * n + row] = m[r] * kLn2 + logf(lsum);
  }
#pragma unroll
  for (int p = 0; p < C::PANELS; ++p)
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const int row = 64 * wg + 16 * wwarp + g + 8 * r;  // row within the Q tile
        const int col = 64 * p + 8 * i + 2 * t;
        *reinterpret_cast<uint32_t*>(q_s + swizzled_offset(C::BR, row, col)) =
            MmaType<T>::pack(o[p][4 * i + 2 * r] * inv[r], o[p][4 * i + 2 * r + 1] * inv[r]);
      }
  fence_proxy_async_smem();
  named_barrier(1 + wg, 128);
  if (wwarp == 0 && lane == 0 && wg_row0 < n) {
#pragma unroll
    for (int p = 0; p < C::PANELS; ++p) tma_store_3d(&tm_o, q_s + p * C::BR * 128 + 64 * wg * 128, 64 * p, wg_row0, bh);
    tma_store_commit_and_wait_read();
  }
  if constexpr (kTrace) {
    if (wwarp == 0 && lane == 0) atomicMax(&cta_trace_slot(trace)[1], global_timer_ns());
  }
#else
  (void)lse, (void)n, (void)heads, (void)scale_log2, (void)causal, (void)trace;
  __trap();  // built for sm_90a only; launch_flash2_hopper refuses other devices
#endif
}

// cuTensorMapEncodeTiled through the runtime's driver entry point (no libcuda link).
PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder(std::string& error) {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  static std::string init_error;
  static std::once_flag once;
  std::call_once(once, [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult q{};
    const cudaError_t err = cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q);
    if (err != cudaSuccess || q != cudaDriverEntryPointSuccess || p == nullptr)
      init_error = std::string("cuTensorMapEncodeTiled not available: ") + cudaGetErrorString(err);
    else
      fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  });
  error = init_error;
  return fn;
}

// 3-D map of a [batch*heads, N, d] tensor with boxes of [1, rows, 64].
bool make_map(PFN_cuTensorMapEncodeTiled_v12000 encode, CUtensorMap* map, const void* base, DType dt, int64_t bh,
              int64_t n, int d, int rows) {
  const cuuint64_t dims[3] = {static_cast<cuuint64_t>(d), static_cast<cuuint64_t>(n), static_cast<cuuint64_t>(bh)};
  const cuuint64_t strides[2] = {static_cast<cuuint64_t>(d) * 2, static_cast<cuuint64_t>(n) * d * 2};
  const cuuint32_t box[3] = {64, static_cast<cuuint32_t>(rows), 1};
  const cuuint32_t elem_strides[3] = {1, 1, 1};
  const CUresult r = encode(map, dt == DType::f16 ? CU_TENSOR_MAP_DATA_TYPE_FLOAT16 : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
                            3, const_cast<void*>(base), dims, strides, box, elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                            CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                            CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  return r == CUDA_SUCCESS;
}

template <typename T, int D>
Status launch(const AttentionParams& p, float scale, cudaStream_t stream) {
  using C = HopperTile<D>;
  std::string why;
  auto encode = tensor_map_encoder(why);
  if (encode == nullptr) return Status::error("flash2_hopper: " + why);
  const int64_t bh = p.batch * p.heads;
  CUtensorMap tq, tk, tv, to;
  if (!make_map(encode, &tq, p.q, p.dtype, bh, p.n, D, C::BR) || !make_map(encode, &tk, p.k, p.dtype, bh, p.n, D, C::BC) ||
      !make_map(encode, &tv, p.v, p.dtype, bh, p.n, D, C::BC) || !make_map(encode, &to, p.o, p.dtype, bh, p.n, D, 64))
    return Status::error("flash2_hopper: cuTensorMapEncodeTiled rejected the tensor shape");
  constexpr int smem = flash2_hopper_smem_bytes(D);
  auto kernel = p.cta_trace != nullptr ? flash2_hopper_fwd_kernel<T, D, true> : flash2_hopper_fwd_kernel<T, D, false>;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  if (err != cudaSuccess)
    return Status::error(std::string("flash2_hopper: cudaFuncSetAttribute: ") + cudaGetErrorString(err));
  const dim3 grid(static_cast<unsigned>(forward_grid_x(KernelKind::flash2_hopper, p.batch * p.heads, p.n, D, 0)),
                  static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  constexpr float kLog2e = 1.4426950408889634f;
  kernel<<<grid, C::THREADS, smem, stream>>>(tq, tk, tv, to, p.lse, static_cast<int>(p.n), static_cast<int>(p.heads),
                                             scale * kLog2e, p.causal ? 1 : 0,
                                             reinterpret_cast<unsigned long long*>(p.cta_trace));
  err = cudaGetLastError();
  if (err != cudaSuccess) return Status::error(std::string("flash2_hopper: launch failed: ") + cudaGetErrorString(err));
  return Status::success();
}

}  // namespace

Status launch_flash2_hopper(const AttentionParams& p, float scale, cudaStream_t stream) {
  if (p.dtype == DType::f16)
    return p.d == 64 ? launch<__half, 64>(p, scale, stream) : launch<__half, 128>(p, scale, stream);
  return p.d == 64 ? launch<__nv_bfloat16, 64>(p, scale, stream) : launch<__nv_bfloat16, 128>(p, scale, stream);
}

}  // namespace iolab::kernels::detail
