#pragma once
// Parsing of memory sizes with explicit units.
//
// Contract: parse_bytes accepts a non-negative integer followed by an optional
// unit B, KB/kB (10^3), MB (10^6), GB (10^9), KiB (2^10), MiB (2^20), GiB (2^30),
// case-sensitive except for the leading k of kB. A bare number means bytes.
// Anything else ("12XB", "-3KiB", "1.5KiB", "", "KiB") throws InputError whose
// message quotes the input. Results that do not fit in 64 bits throw
// OverflowError.
#include <cstdint>
#include <string>
#include <string_view>

namespace iolab::sim {

std::uint64_t parse_bytes(std::string_view text);

/// Parses a plain positive element count ("49152"); no units allowed.
std::uint64_t parse_count(std::string_view text, std::string_view what);

/// Formats a byte count with the largest exact binary unit ("96KiB", "1000B").
std::string format_bytes(std::uint64_t bytes);

}  // namespace iolab::sim
