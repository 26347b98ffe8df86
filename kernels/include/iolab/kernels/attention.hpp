// iolab/kernels/attention.hpp -- host API of the attention forward kernels.
//
// Layout (all kernels):
//   q, k, v, o : [batch, heads, N, d] row-major contiguous, fp16 or bf16,
//                16-byte aligned (d is 64 or 128, so every row is too).
//   lse        : optional, [batch, heads, N] fp32, 4-byte aligned:
//                lse[i] = log(sum_{j allowed} exp(scale * q_i . k_j)).
//   causal     : query i attends keys j <= i (N_q == N_k, so top-left and
//                bottom-right alignment coincide).
//   scale      : softmax scale; 0 selects 1/sqrt(d).
//   workspace  : device memory of at least workspace_size() bytes,
//                16-byte aligned (only standard and flash1 need any).
//
// validate() and workspace_size() make no CUDA call: they live in the
// CUDA-free library iolab_kernels_validate.  attention_forward() validates
// first and launches nothing when validation fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "iolab/kernels/tiling.hpp"

namespace iolab::kernels {

struct AttentionParams {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* o = nullptr;
  float* lse = nullptr;  // optional
  void* workspace = nullptr;
  std::size_t workspace_bytes = 0;
  std::int64_t batch = 0;
  std::int64_t heads = 0;
  std::int64_t n = 0;
  std::int64_t d = 0;
  DType dtype = DType::f16;
  bool causal = false;
  float scale = 0.0f;      // 0: 1/sqrt(d)
  void* stream = nullptr;  // cudaStream_t; nullptr = legacy default stream
  // Optional, flash1, flash2 and flash2_hopper (validate() rejects it for standard): a device buffer of 3 x 64-bit words per
  // thread block, indexed by blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z), into which the
  // kernel writes when the block started and when it ended (%globaltimer, ns) and the SM it ran on (%smid):
  // a timeline of the launch, for how thread blocks pace each other. Written by a separate instantiation of
  // the kernel whose loops are the same code as the one run without a trace.
  std::uint64_t* cta_trace = nullptr;
};

struct Status {
  bool ok = true;
  std::string message;
  static Status success() { return Status{true, {}}; }
  static Status error(std::string m) { return Status{false, std::move(m)}; }
  explicit operator bool() const { return ok; }
};

// Bytes of workspace the kernel needs for these shapes (0 when it needs none
// or when the shape is invalid).
std::size_t workspace_size(KernelKind kind, const AttentionParams& p);

// Every check that can be made without touching the GPU: pointers (null,
// alignment), shapes (N >= 1, batch/heads >= 1 and <= 65535, d in {64, 128},
// batch*heads*N*d and, for standard, N*N within int32), dtype, scale,
// workspace size.  Returns an error status with a message, or success.
Status validate(KernelKind kind, const AttentionParams& p);

// The scale the kernels use (p.scale, or 1/sqrt(d) when p.scale == 0).
float effective_scale(const AttentionParams& p);

// Validates, then enqueues the kernel(s) on p.stream.  Returns an error (and
// launches nothing) when validation fails or the device is older than sm_80;
// returns an error when a launch or a cuBLAS call reports one.  Defined in the
// CUDA library iolab_kernels.
Status attention_forward(KernelKind kind, const AttentionParams& p);

// standard keeps one cuBLAS handle per device for the life of the process;
// this destroys them (call it before exit when leak checkers are watching,
// or before cudaDeviceReset).  A later standard call creates a new handle.
void release_cached_resources();

}  // namespace iolab::kernels
