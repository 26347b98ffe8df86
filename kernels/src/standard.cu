// standard: Algorithm 0, the fair unfused baseline.  Three stages, S and P
// materialised in HBM in the input dtype (fp32 accumulation inside cuBLAS):
//   1. S = scale * Q K^T          cublasGemmStridedBatchedEx, one GEMM per (batch, head)
//   2. P = softmax(S) row-wise    row_softmax_kernel (causal mask applied here), also writes LSE
//   3. O = P V                    cublasGemmStridedBatchedEx
// cuBLAS is column-major; a row-major [r x c] matrix is a column-major
// [c x r] one, so S^T = K Q^T and O^T = V^T P^T are what we ask cuBLAS for.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <mutex>
#include <string>

#include "device_common.cuh"
#include "launchers.hpp"

namespace iolab::kernels::detail {
namespace {

constexpr int kThreads = standard_softmax_threads();

// Combine two (max, sum of exp(x - max)) pairs.
__device__ inline void combine(float& m, float& l, float m2, float l2) {
  const float mn = fmaxf(m, m2);
  if (mn == -INFINITY) return;  // both empty
  l = l * __expf(m - mn) + l2 * __expf(m2 - mn);
  m = mn;
}

// One block per row of S (batch*heads*N rows).  Pass 1: per-thread online
// (max, sum); block reduction.  Pass 2: write P (zeros where masked) and LSE.
// VEC: N % 8 == 0, so each thread moves 8 elements (16 bytes) at a time.
template <typename T, bool VEC>
__global__ void __launch_bounds__(kThreads) row_softmax_kernel(const T* __restrict__ s, T* __restrict__ p,
                                                                float* __restrict__ lse, int n, bool causal) {
  const int64_t row = blockIdx.x;
  const int qi = static_cast<int>(row % n);
  const int limit = causal ? qi + 1 : n;  // columns [0, limit) are allowed
  const T* srow = s + row * n;
  T* prow = p + row * n;
  const int tid = threadIdx.x;

  float m = -INFINITY, l = 0.0f;
  if constexpr (VEC) {
    for (int c0 = tid * 8; c0 < limit; c0 += kThreads * 8) {
      const uint4 raw = *reinterpret_cast<const uint4*>(srow + c0);
      const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
      float x[8];
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float2 f = MmaType<T>::unpack(w[e]);
        x[2 * e] = c0 + 2 * e < limit ? f.x : -INFINITY;
        x[2 * e + 1] = c0 + 2 * e + 1 < limit ? f.y : -INFINITY;
      }
      float bm = x[0];
#pragma unroll
      for (int e = 1; e < 8; ++e) bm = fmaxf(bm, x[e]);
      float bl = 0.0f;
#pragma unroll
      for (int e = 0; e < 8; ++e) bl += __expf(x[e] - bm);
      combine(m, l, bm, bl);
    }
  } else {
    for (int c = tid; c < limit; c += kThreads) {
      const float x = static_cast<float>(srow[c]);
      combine(m, l, x, 1.0f);
    }
  }

  // Block reduction of (m, l).
  __shared__ float sm[kThreads / 32], sl[kThreads / 32];
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, off);
    const float l2 = __shfl_xor_sync(0xffffffffu, l, off);
    combine(m, l, m2, l2);
  }
  if ((tid & 31) == 0) {
    sm[tid >> 5] = m;
    sl[tid >> 5] = l;
  }
  __syncthreads();
  m = sm[0];
  l = sl[0];
#pragma unroll
  for (int w = 1; w < kThreads / 32; ++w) combine(m, l, sm[w], sl[w]);
  const float inv = 1.0f / l;  // limit >= 1, so l >= 1

  if (lse != nullptr && tid == 0) lse[row] = m + logf(l);

  if constexpr (VEC) {
    for (int c0 = tid * 8; c0 < n; c0 += kThreads * 8) {
      uint32_t w[4] = {0u, 0u, 0u, 0u};
      if (c0 < limit) {
        const uint4 raw = *reinterpret_cast<const uint4*>(srow + c0);
        const uint32_t in[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const float2 f = MmaType<T>::unpack(in[e]);
          const float a = c0 + 2 * e < limit ? __expf(f.x - m) * inv : 0.0f;
          const float b = c0 + 2 * e + 1 < limit ? __expf(f.y - m) * inv : 0.0f;
          w[e] = MmaType<T>::pack(a, b);
        }
      } else {
        const uint32_t zero = MmaType<T>::pack(0.0f, 0.0f);
        w[0] = w[1] = w[2] = w[3] = zero;
      }
      *reinterpret_cast<uint4*>(prow + c0) = make_uint4(w[0], w[1], w[2], w[3]);
    }
  } else {
    for (int c = tid; c < n; c += kThreads) {
      const float y = c < limit ? __expf(static_cast<float>(srow[c]) - m) * inv : 0.0f;
      prow[c] = static_cast<T>(y);
    }
  }
}

// One cuBLAS handle per device, created on first use, destroyed by
// release_cached_resources().
std::mutex g_handle_mutex;
cublasHandle_t g_handles[64] = {};

cublasHandle_t handle_for_current_device(Status& st) {
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= 64) {
    st = Status::error("standard: cannot query the current device");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(g_handle_mutex);
  if (g_handles[dev] == nullptr) {
    if (cublasCreate(&g_handles[dev]) != CUBLAS_STATUS_SUCCESS) {
      g_handles[dev] = nullptr;
      st = Status::error("standard: cublasCreate failed");
      return nullptr;
    }
  }
  return g_handles[dev];
}

std::string cublas_error(const char* what, cublasStatus_t s) {
  return std::string("standard: ") + what + " failed: " + cublasGetStatusString(s);
}

template <typename T>
Status run(const AttentionParams& p, float scale, cudaStream_t stream, cudaDataType_t type) {
  Status st = Status::success();
  cublasHandle_t h = handle_for_current_device(st);
  if (h == nullptr) return st;
  cublasStatus_t cs = cublasSetStream(h, stream);
  if (cs != CUBLAS_STATUS_SUCCESS) return Status::error(cublas_error("cublasSetStream", cs));

  const int n = static_cast<int>(p.n), d = static_cast<int>(p.d);
  const int batch = static_cast<int>(p.batch * p.heads);
  const long long nd = static_cast<long long>(n) * d;
  const long long nn = static_cast<long long>(n) * n;
  const std::size_t bh = static_cast<std::size_t>(batch);
  T* S = static_cast<T*>(p.workspace);
  T* P = reinterpret_cast<T*>(static_cast<unsigned char*>(p.workspace) +
                              align_up(bh * static_cast<std::size_t>(nn) * sizeof(T), 256));

  const float alpha_s = scale, alpha_o = 1.0f, beta = 0.0f;
  // 1. S^T (col-major, m = keys, n = queries) = K (op T of col-major [d x N]) * Q^T (col-major [d x N]).
  cs = cublasGemmStridedBatchedEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, d, &alpha_s, p.k, type, d, nd, p.q, type, d, nd,
                                  &beta, S, type, n, nn, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  if (cs != CUBLAS_STATUS_SUCCESS) return Status::error(cublas_error("QK^T GEMM", cs));

  // 2. P = softmax(S), row-wise over keys.
  const unsigned rows = static_cast<unsigned>(bh * static_cast<std::size_t>(n));
  if (n % 8 == 0)
    row_softmax_kernel<T, true><<<rows, kThreads, 0, stream>>>(S, P, p.lse, n, p.causal);
  else
    row_softmax_kernel<T, false><<<rows, kThreads, 0, stream>>>(S, P, p.lse, n, p.causal);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return Status::error(std::string("standard: softmax launch failed: ") + cudaGetErrorString(err));

  // 3. O^T (col-major [d x N]) = V^T (col-major [d x N], op N) * P^T (col-major [N keys x N queries], op N).
  cs = cublasGemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, d, n, n, &alpha_o, p.v, type, d, nd, P, type, n, nn,
                                  &beta, p.o, type, d, nd, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  if (cs != CUBLAS_STATUS_SUCCESS) return Status::error(cublas_error("PV GEMM", cs));
  return Status::success();
}

}  // namespace

void release_cublas_handles() {
  std::lock_guard<std::mutex> lock(g_handle_mutex);
  int current = 0;
  const bool have_current = cudaGetDevice(&current) == cudaSuccess;
  for (int dev = 0; dev < 64; ++dev) {
    if (g_handles[dev] == nullptr) continue;
    cudaSetDevice(dev);  // a handle is destroyed on the device it was created on
    cublasDestroy(g_handles[dev]);
    g_handles[dev] = nullptr;
  }
  if (have_current) cudaSetDevice(current);
}

Status launch_standard(const AttentionParams& p, float scale, cudaStream_t stream) {
  if (p.dtype == DType::f16) return run<__half>(p, scale, stream, CUDA_R_16F);
  return run<__nv_bfloat16>(p, scale, stream, CUDA_R_16BF);
}

}  // namespace iolab::kernels::detail
