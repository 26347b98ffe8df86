// Host-side fp16 / bf16 <-> float conversions (round to nearest even), with no
// CUDA dependency, for the checks and the benchmark.
#pragma once

#include <cstdint>

#include "iolab/kernels/tiling.hpp"

namespace iolab::kernels::host {

std::uint16_t float_to_half(float f);
float half_to_float(std::uint16_t h);
std::uint16_t float_to_bf16(float f);
float bf16_to_float(std::uint16_t h);

inline std::uint16_t to_bits(float f, DType t) { return t == DType::f16 ? float_to_half(f) : float_to_bf16(f); }
inline float from_bits(std::uint16_t b, DType t) { return t == DType::f16 ? half_to_float(b) : bf16_to_float(b); }
inline float round_to(float f, DType t) { return from_bits(to_bits(f, t), t); }

}  // namespace iolab::kernels::host
