#include "iolab/sim/dtype.hpp"

#include "iolab/sim/errors.hpp"

namespace iolab::sim {

std::string_view name_of(DType t) {
  switch (t) {
    case DType::fp16: return "fp16";
    case DType::bf16: return "bf16";
    case DType::fp32: return "fp32";
    case DType::fp64: return "fp64";
  }
  return "?";
}

DType parse_dtype(std::string_view s) {
  if (s == "fp16" || s == "half" || s == "float16") return DType::fp16;
  if (s == "bf16" || s == "bfloat16") return DType::bf16;
  if (s == "fp32" || s == "float" || s == "float32") return DType::fp32;
  if (s == "fp64" || s == "double" || s == "float64") return DType::fp64;
  throw InputError("unknown dtype '" + std::string(s) + "' (expected fp16, bf16, fp32 or fp64)");
}

}  // namespace iolab::sim
