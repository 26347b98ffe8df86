#include "iolab/analysis/grid_spec.hpp"

#include <charconv>
#include <string>

#include "iolab/sim/errors.hpp"
#include "iolab/sim/units.hpp"

namespace iolab::analysis {
namespace {

constexpr std::size_t kMaxValues = 1'000'000;

std::int64_t parse_int(std::string_view s, std::string_view spec, std::string_view what) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw sim::InputError("malformed " + std::string(what) + " list '" + std::string(spec) + "': '" +
                          std::string(s) + "' is not an integer");
  return v;
}

double parse_factor(std::string_view s, std::string_view spec, std::string_view what) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !(v > 1.0))
    throw sim::InputError("malformed " + std::string(what) + " list '" + std::string(spec) + "': factor '" +
                          std::string(s) + "' must be a number above 1");
  return v;
}

template <class ParseValue>
std::vector<std::int64_t> expand(std::string_view spec, std::string_view what, ParseValue parse_value) {
  std::vector<std::int64_t> out;
  for (std::string_view item : split_words(spec)) {
    const auto c1 = item.find(':');
    if (c1 == std::string_view::npos) {
      out.push_back(parse_value(item));
      continue;
    }
    const auto c2 = item.find(':', c1 + 1);
    if (c2 == std::string_view::npos || item.find(':', c2 + 1) != std::string_view::npos)
      throw sim::InputError("malformed " + std::string(what) + " range '" + std::string(item) +
                            "' (expected start:stop:step)");
    const std::int64_t start = parse_value(item.substr(0, c1));
    const std::int64_t stop = parse_value(item.substr(c1 + 1, c2 - c1 - 1));
    const std::string_view step = item.substr(c2 + 1);
    if (start > stop)
      throw sim::InputError("malformed " + std::string(what) + " range '" + std::string(item) + "': start > stop");
    if (!step.empty() && step[0] == 'x') {
      const double f = parse_factor(step.substr(1), spec, what);
      if (start <= 0)
        throw sim::InputError("malformed " + std::string(what) + " range '" + std::string(item) +
                              "': a geometric range needs a positive start");
      for (double v = static_cast<double>(start); v <= static_cast<double>(stop) * (1 + 1e-12); v *= f) {
        const auto iv = static_cast<std::int64_t>(v + 0.5);
        if (out.empty() || out.back() != iv) out.push_back(iv);
        if (out.size() > kMaxValues) throw sim::InputError(std::string(what) + " range '" + std::string(item) + "' is too long");
      }
    } else {
      const std::int64_t s = parse_int(step.starts_with('+') ? step.substr(1) : step, spec, what);
      if (s <= 0)
        throw sim::InputError("malformed " + std::string(what) + " range '" + std::string(item) +
                              "': step must be positive");
      for (std::int64_t v = start; v <= stop; v += s) {
        out.push_back(v);
        if (out.size() > kMaxValues) throw sim::InputError(std::string(what) + " range '" + std::string(item) + "' is too long");
      }
    }
  }
  if (out.empty()) throw sim::InputError("empty " + std::string(what) + " list");
  return out;
}

}  // namespace

std::vector<std::string_view> split_words(std::string_view spec) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    const auto comma = spec.find(',', pos);
    const auto end = comma == std::string_view::npos ? spec.size() : comma;
    const auto word = spec.substr(pos, end - pos);
    if (word.empty()) throw sim::InputError("malformed list '" + std::string(spec) + "': empty item");
    words.push_back(word);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return words;
}

std::vector<std::int64_t> parse_int_list(std::string_view spec, std::string_view what) {
  return expand(spec, what, [&](std::string_view s) { return parse_int(s, spec, what); });
}

std::vector<std::uint64_t> parse_size_list(std::string_view spec, std::string_view what) {
  auto v = expand(spec, what, [&](std::string_view s) {
    const std::uint64_t b = sim::parse_bytes(s);
    if (b > static_cast<std::uint64_t>(INT64_MAX))
      throw sim::OverflowError(std::string(what) + " '" + std::string(s) + "' is too large");
    return static_cast<std::int64_t>(b);
  });
  return {v.begin(), v.end()};
}

}  // namespace iolab::analysis
