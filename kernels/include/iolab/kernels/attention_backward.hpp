// iolab/kernels/attention_backward.hpp -- host API of the FlashAttention-2
// backward kernel (flash2_bwd).
//
// Given the forward inputs Q, K, V, the forward output O, its gradient dO and
// the forward log-sum-exp LSE, computes dQ, dK, dV of
//   O = softmax(scale * Q K^T [+ causal mask]) V.
//
// Layout (as attention.hpp):
//   q, k, v, o, dout, dq, dk, dv : [batch, heads, N, d] row-major contiguous,
//                                  fp16 or bf16 (all the same dtype), 16-byte aligned.
//   lse   : [batch, heads, N] fp32, 4-byte aligned, natural log, exactly what
//           the forward kernels write: lse[i] = log(sum_{j allowed} exp(scale * q_i . k_j)).
//   causal: query i attends keys j <= i.
//   scale : softmax scale; 0 selects 1/sqrt(d) (must match the forward).
//   workspace: device memory of at least workspace_size_backward() bytes,
//           16-byte aligned.  Layout: Delta = rowsum(dO * O) (fp32, batch*heads*N,
//           region aligned to 256 bytes), then, unless deterministic, the fp32
//           dQ accumulator (batch*heads*N*d).  Contents on entry do not matter.
//   deterministic: false -> dQ is accumulated with fp32 atomics by the K/V-block
//           kernel (fast path; the summation order, and so the last bits of dQ,
//           may vary from run to run).  true -> no atomics: a separate kernel,
//           one thread block per Q block, walks the K/V blocks in a fixed order;
//           dQ, dK and dV are bit-identical over repeated runs.
//
// validate_backward() and workspace_size_backward() make no CUDA call (library
// iolab_kernels_validate).  attention_backward() validates first and launches
// nothing when validation fails.
#pragma once

#include <cstddef>
#include <cstdint>

#include "iolab/kernels/attention.hpp"
#include "iolab/kernels/tiling.hpp"

namespace iolab::kernels {

struct AttentionBackwardParams {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  const void* o = nullptr;
  const void* dout = nullptr;  // dO
  const float* lse = nullptr;  // required
  void* dq = nullptr;
  void* dk = nullptr;
  void* dv = nullptr;
  void* workspace = nullptr;
  std::size_t workspace_bytes = 0;
  std::int64_t batch = 0;
  std::int64_t heads = 0;
  std::int64_t n = 0;
  std::int64_t d = 0;
  DType dtype = DType::f16;
  bool causal = false;
  float scale = 0.0f;  // 0: 1/sqrt(d)
  bool deterministic = false;
  void* stream = nullptr;  // cudaStream_t; nullptr = legacy default stream
};

// Bytes of workspace for these shapes and this mode (0 when the shape is invalid).
std::size_t workspace_size_backward(const AttentionBackwardParams& p);

// Every check that can be made without touching the GPU: pointers (null,
// 16-byte alignment of the nine tensors, 4-byte alignment of lse), shapes
// (N >= 1, batch/heads in [1, 65535], d in {64, 128}, batch*heads*N*d within
// int32), dtype, scale (finite, >= 0), workspace (present, aligned, large
// enough).  Returns an error status with a message, or success.
Status validate_backward(const AttentionBackwardParams& p);

// The scale the kernels use (p.scale, or 1/sqrt(d) when p.scale == 0).
float effective_scale_backward(const AttentionBackwardParams& p);

// Validates, then enqueues the backward kernels on p.stream: Delta (and, in
// the atomic mode, zeroing of the dQ accumulator), the K/V-block kernel (dK,
// dV, and atomic dQ), then either the dQ conversion or the deterministic dQ
// kernel.  Returns an error (and launches nothing) when validation fails or the
// device is older than sm_80; returns an error when a launch reports one.
// Defined in the CUDA library iolab_kernels.
Status attention_backward(const AttentionBackwardParams& p);

}  // namespace iolab::kernels
