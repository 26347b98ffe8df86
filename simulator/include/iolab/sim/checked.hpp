#pragma once
// Checked 64-bit unsigned arithmetic for exact counts. Every closed form and
// every byte conversion goes through these, so a configuration whose counts
// would overflow is refused instead of silently wrapping.
#include <cstdint>
#include <string_view>

#include "iolab/sim/errors.hpp"

namespace iolab::sim {

using count_t = std::uint64_t;

inline count_t checked_mul(count_t a, count_t b, std::string_view what = "count") {
  count_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw OverflowError(std::string(what) + " overflows 64 bits");
  return r;
}

inline count_t checked_add(count_t a, count_t b, std::string_view what = "count") {
  count_t r;
  if (__builtin_add_overflow(a, b, &r))
    throw OverflowError(std::string(what) + " overflows 64 bits");
  return r;
}

inline count_t checked_mul3(count_t a, count_t b, count_t c, std::string_view what = "count") {
  return checked_mul(checked_mul(a, b, what), c, what);
}

/// ceil(a / b) for positive b.
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace iolab::sim
