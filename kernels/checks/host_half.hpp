// Host-side fp16 / bf16 <-> float conversions (round to nearest even), with no
// CUDA dependency, for the checks and the benchmark.
#pragma once

#include <cstdint>
#include <vector>

#include "iolab/kernels/tiling.hpp"

namespace iolab::kernels::host {

std::uint16_t float_to_half(float f);
float half_to_float(std::uint16_t h);
std::uint16_t float_to_bf16(float f);
float bf16_to_float(std::uint16_t h);

inline std::uint16_t to_bits(float f, DType t) { return t == DType::f16 ? float_to_half(f) : float_to_bf16(f); }
inline float from_bits(std::uint16_t b, DType t) { return t == DType::f16 ? half_to_float(b) : bf16_to_float(b); }
inline float round_to(float f, DType t) { return from_bits(to_bits(f, t), t); }

/// Fills `out` with values uniform in [-2, 2) (24 random bits each, rounded to dtype `t`) from the xorshift64
/// generator `state` (13, 7, 17; nonzero), which it advances: the benchmarks' and measurements' inputs.
inline void fill_uniform(std::vector<std::uint16_t>& out, DType t, std::uint64_t& state) {
  for (auto& h : out) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    h = to_bits(4.0f * (static_cast<float>(state >> 40) * (1.0f / 16777216.0f)) - 2.0f, t);
  }
}

}  // namespace iolab::kernels::host
