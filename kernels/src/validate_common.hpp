// Internal: the argument checks that the forward (validate.cpp) and backward
// (validate_backward.cpp) validations share.  No CUDA dependency.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "iolab/kernels/attention.hpp"

namespace iolab::kernels::detail {

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kMaxGridDim = 65535;  // batch and heads go to grid.z / grid.y

inline std::string s(std::int64_t x) { return std::to_string(x); }

// a*b*c*... <= limit, without overflowing int64 on the way (non-positive
// factors pass: shape errors are reported separately).
inline bool product_within(std::initializer_list<std::int64_t> factors, std::int64_t limit) {
  std::int64_t acc = 1;
  for (std::int64_t f : factors) {
    if (f <= 0) return true;
    if (acc > limit / f) return false;
    acc *= f;
  }
  return acc <= limit;
}

// Null (an error only when required) or misaligned pointer.
inline Status check_pointer(const void* ptr, const char* name, std::uintptr_t alignment, bool required = true) {
  if (ptr == nullptr) {
    if (required) return Status::error(std::string(name) + " is a null pointer");
    return Status::success();
  }
  if (reinterpret_cast<std::uintptr_t>(ptr) % alignment != 0)
    return Status::error(std::string(name) + " is not " + std::to_string(alignment) + "-byte aligned");
  return Status::success();
}

// dtype, d, N, batch, heads (grid limits, int32 indexing of batch*heads*N*d),
// then `extra` (a kernel-specific shape check, may be empty), then the scale.
template <typename Extra>
Status check_shape(DType dtype, std::int64_t batch, std::int64_t heads, std::int64_t n, std::int64_t d, float scale,
                   Extra extra) {
  if (dtype != DType::f16 && dtype != DType::bf16)
    return Status::error("unsupported dtype " + std::to_string(static_cast<int>(dtype)) + " (supported: fp16, bf16)");
  if (!head_dim_supported(static_cast<int>(d)) || d != static_cast<int>(d))
    return Status::error("unsupported head dimension d=" + s(d) + " (supported: 64, 128)");
  if (n < 1) return Status::error("sequence length N must be >= 1 (got " + s(n) + ")");
  if (batch < 1) return Status::error("batch must be >= 1 (got " + s(batch) + ")");
  if (heads < 1) return Status::error("heads must be >= 1 (got " + s(heads) + ")");
  if (batch > kMaxGridDim) return Status::error("batch=" + s(batch) + " exceeds 65535");
  if (heads > kMaxGridDim) return Status::error("heads=" + s(heads) + " exceeds 65535");
  if (!product_within({batch, heads, n, d}, kInt32Max))
    return Status::error("shape overflows int32 indexing: batch*heads*N*d = " + s(batch) + "*" + s(heads) + "*" +
                         s(n) + "*" + s(d) + " > 2^31-1");
  if (Status st = extra(); !st.ok) return st;
  if (!std::isfinite(scale) || scale < 0.0f) return Status::error("scale must be finite and >= 0 (0 selects 1/sqrt(d))");
  return Status::success();
}

// The workspace `who` needs: `need` bytes, 16-byte aligned (nothing when need == 0).
inline Status check_workspace(const std::string& who, const void* ws, std::size_t have, std::size_t need) {
  if (need == 0) return Status::success();
  if (ws == nullptr)
    return Status::error(who + " needs a workspace of " + std::to_string(need) + " bytes; workspace is a null pointer");
  if (reinterpret_cast<std::uintptr_t>(ws) % 16 != 0) return Status::error("workspace is not 16-byte aligned");
  if (have < need)
    return Status::error(who + " needs a workspace of " + std::to_string(need) + " bytes, got " + std::to_string(have));
  return Status::success();
}

}  // namespace iolab::kernels::detail
