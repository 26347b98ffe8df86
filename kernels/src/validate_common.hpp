// Internal: the argument checks that the forward (validate.cpp) and backward
// (validate_backward.cpp) validations share.  No CUDA dependency.
#pragma once

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

}  // namespace iolab::kernels::detail
