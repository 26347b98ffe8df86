#include "iolab/sim/units.hpp"

#include <array>
#include <charconv>
#include <utility>

#include "iolab/sim/checked.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {
namespace {

struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

constexpr std::array<Unit, 8> kUnits{{
    {"B", 1},
    {"KB", 1000},
    {"kB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000ull * 1000 * 1000},
    {"KiB", 1024},
    {"MiB", 1024 * 1024},
    {"GiB", 1024ull * 1024 * 1024},
}};

}  // namespace

std::uint64_t parse_bytes(std::string_view text) {
  // Built with append: GCC 12's -Wrestrict misfires on "literal" + std::string at -O3.
  std::string quoted;
  quoted.append(1, '\'').append(text).append(1, '\'');
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0)
    throw InputError("malformed size " + quoted +
                     " (expected a whole number with an optional unit B, KB, MB, GB, KiB, MiB, GiB)");
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec == std::errc::result_out_of_range) throw OverflowError("size " + quoted + " overflows 64 bits");
  if (ec != std::errc() || ptr != text.data() + digits) throw InputError("malformed size " + quoted);
  const std::string_view unit = text.substr(digits);
  if (unit.empty()) return value;
  for (const auto& u : kUnits)
    if (unit == u.suffix) return checked_mul(value, u.factor, "size " + quoted);
  throw InputError("malformed size " + quoted + ": unknown unit '" + std::string(unit) +
                   "' (expected B, KB, MB, GB, KiB, MiB or GiB)");
}

std::uint64_t parse_count(std::string_view text, std::string_view what) {
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != text.data() + text.size())
    throw InputError("malformed " + std::string(what) + " '" + std::string(text) +
                     "' (expected a whole number of elements)");
  if (ec == std::errc::result_out_of_range)
    throw OverflowError(std::string(what) + " '" + std::string(text) + "' overflows 64 bits");
  return value;
}

std::string format_bytes(std::uint64_t bytes) {
  constexpr std::array<std::pair<std::uint64_t, const char*>, 3> units{
      {{1024ull * 1024 * 1024, "GiB"}, {1024ull * 1024, "MiB"}, {1024ull, "KiB"}}};
  for (auto [f, name] : units)
    if (bytes >= f && bytes % f == 0) return std::to_string(bytes / f) + name;
  return std::to_string(bytes) + "B";
}

}  // namespace iolab::sim
