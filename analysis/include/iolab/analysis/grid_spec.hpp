#pragma once
// Parsing of sweep axes. A spec is a comma-separated list of items; each item
// is a single value or a range start:stop:step, where step is "xF" (multiply
// by F), "+S" or "S" (add S). Ranges include stop when it is reached.
//   "512,1024"          -> 512, 1024
//   "512:4096:x2"       -> 512, 1024, 2048, 4096
//   "16:64:+16"         -> 16, 32, 48, 64
//   "16KiB:64KiB:x2"    -> sizes in bytes (parse_size_list)
// Malformed specs throw InputError quoting the spec; the result is never empty.
#include <cstdint>
#include <string_view>
#include <vector>

namespace iolab::analysis {

std::vector<std::int64_t> parse_int_list(std::string_view spec, std::string_view what);
/// Items are sizes with units (see sim::parse_bytes); results in bytes.
std::vector<std::uint64_t> parse_size_list(std::string_view spec, std::string_view what);
/// Splits "a,b,c" into words (no ranges), for algorithm and tiling lists.
std::vector<std::string_view> split_words(std::string_view spec);

}  // namespace iolab::analysis
