#pragma once
// Element types. The simulator counts elements; a tensor's dtype turns its
// element counts into bytes.
#include <cstdint>
#include <string>
#include <string_view>

namespace iolab::sim {

enum class DType { fp16, bf16, fp32, fp64 };

/// Size of one element in bytes: 2, 2, 4, 8.
constexpr std::uint64_t bytes_of(DType t) {
  switch (t) {
    case DType::fp16:
    case DType::bf16: return 2;
    case DType::fp32: return 4;
    case DType::fp64: return 8;
  }
  return 0;
}

std::string_view name_of(DType t);

/// Parses "fp16", "bf16", "fp32", "fp64" (also "half", "float", "double").
/// Throws InputError naming the bad value otherwise.
DType parse_dtype(std::string_view s);

}  // namespace iolab::sim
