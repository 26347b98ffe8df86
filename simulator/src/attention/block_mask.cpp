#include "iolab/sim/attention/block_mask.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <random>

#include "iolab/sim/checked.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim {
namespace {

std::int64_t parse_positive(std::string_view s, std::string_view spec, std::string_view what) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < 1)
    throw InputError("malformed mask '" + std::string(spec) + "': " + std::string(what) + " must be a positive integer");
  return v;
}

double parse_probability(std::string_view s, std::string_view spec) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !(v > 0.0) || v > 1.0)
    throw InputError("malformed mask '" + std::string(spec) + "': the probability must be in (0, 1]");
  return v;
}

struct Parsed {
  std::string kind;
  std::int64_t param = 0;
  double prob = 0.0;
  std::uint64_t seed = 1;
  std::string path;
};

Parsed parse(std::string_view spec) {
  Parsed p;
  const auto colon = spec.find(':');
  p.kind = std::string(spec.substr(0, colon));
  const std::string_view rest = colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  if (p.kind == "causal" || p.kind == "butterfly") {
    if (colon != std::string_view::npos)
      throw InputError("malformed mask '" + std::string(spec) + "': '" + p.kind + "' takes no parameter");
  } else if (p.kind == "local" || p.kind == "strided") {
    if (colon == std::string_view::npos)
      throw InputError("malformed mask '" + std::string(spec) + "': expected " + p.kind + ":N");
    p.param = parse_positive(rest, spec, p.kind == "local" ? "the window" : "the stride");
  } else if (p.kind == "random") {
    if (colon == std::string_view::npos)
      throw InputError("malformed mask '" + std::string(spec) + "': expected random:P or random:P:SEED");
    const auto c2 = rest.find(':');
    p.prob = parse_probability(rest.substr(0, c2), spec);
    if (c2 != std::string_view::npos) p.seed = static_cast<std::uint64_t>(parse_positive(rest.substr(c2 + 1), spec, "the seed"));
  } else if (p.kind == "file") {
    if (rest.empty()) throw InputError("malformed mask '" + std::string(spec) + "': expected file:PATH");
    p.path = std::string(rest);
  } else {
    throw InputError("unknown mask pattern '" + std::string(spec) +
                     "' (expected causal, local:W, strided:S, butterfly, random:P[:SEED] or file:PATH)");
  }
  return p;
}

bool is_power_of_two(std::int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

std::vector<std::vector<std::uint8_t>> read_grid(const std::string& path, std::string_view spec) {
  std::ifstream in(path);
  if (!in) throw InputError("mask '" + std::string(spec) + "': cannot read '" + path + "'");
  std::vector<std::vector<std::uint8_t>> grid;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::uint8_t> row;
    if (!line.empty() && line[0] == '#') continue;
    for (char ch : line) {
      if (ch == '0' || ch == '1')
        row.push_back(ch == '1');
      else if (ch != ' ' && ch != '\t' && ch != '\r')
        throw InputError("mask file '" + path + "': unexpected character '" + std::string(1, ch) + "' (only 0 and 1)");
    }
    if (row.empty()) continue;
    if (!grid.empty() && row.size() != grid.front().size())
      throw InputError("mask file '" + path + "': rows of different lengths (" + std::to_string(grid.front().size()) +
                       " and " + std::to_string(row.size()) + ")");
    grid.push_back(std::move(row));
  }
  if (grid.empty()) throw InputError("mask file '" + path + "' holds no 0/1 grid");
  return grid;
}

}  // namespace

std::int64_t BlockMask::nonzero() const { return std::count(bits.begin(), bits.end(), std::uint8_t{1}); }

double BlockMask::fraction() const {
  return bits.empty() ? 0.0 : static_cast<double>(nonzero()) / static_cast<double>(bits.size());
}

void validate_mask_spec(std::string_view spec) { (void)parse(spec); }

BlockMask make_block_mask(std::string_view spec, std::int64_t N, std::int64_t Br, std::int64_t Bc) {
  const Parsed p = parse(spec);
  BlockMask m;
  m.spec = std::string(spec);
  m.rows = ceil_div(N, Br);
  m.cols = ceil_div(N, Bc);
  if (static_cast<double>(m.rows) * static_cast<double>(m.cols) > 2e8)
    throw InputError("mask '" + std::string(spec) + "' would have " + std::to_string(m.rows) + " x " +
                     std::to_string(m.cols) + " blocks; use larger blocks (more SRAM) for a block-sparse run");
  m.bits.assign(static_cast<std::size_t>(m.rows * m.cols), 0);
  std::vector<std::vector<std::uint8_t>> grid;
  std::int64_t cell_r = 0, cell_c = 0;
  if (p.kind == "file") {
    grid = read_grid(p.path, spec);
    cell_r = ceil_div(N, static_cast<std::int64_t>(grid.size()));
    cell_c = ceil_div(N, static_cast<std::int64_t>(grid.front().size()));
  }
  std::mt19937_64 rng(p.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::int64_t i = 0; i < m.rows; ++i) {
    const std::int64_t r0 = i * Br, r1 = std::min(N, r0 + Br) - 1;  // queries [r0, r1]
    for (std::int64_t j = 0; j < m.cols; ++j) {
      const std::int64_t c0 = j * Bc, c1 = std::min(N, c0 + Bc) - 1;  // keys [c0, c1]
      const bool diagonal = c0 <= r1 && r0 <= c1;
      bool on = false;
      if (p.kind == "causal") {
        on = c0 <= r1;
      } else if (p.kind == "local" || p.kind == "strided") {
        const std::int64_t w = p.kind == "local" ? p.param : p.param - 1;
        on = c0 <= r1 + w && c1 >= r0 - w;
        if (p.kind == "strided") {
          const std::int64_t first = c0 + ((p.param - 1 - c0 % p.param) + p.param) % p.param;
          on = on || first <= c1;
        }
      } else if (p.kind == "butterfly") {
        for (std::int64_t a = r0 / Bc; a <= r1 / Bc && !on; ++a) on = a == j || is_power_of_two(a ^ j);
      } else if (p.kind == "random") {
        on = u(rng) < p.prob || diagonal;
      } else {  // file
        const auto R = static_cast<std::int64_t>(grid.size()), C = static_cast<std::int64_t>(grid.front().size());
        for (std::int64_t a = r0 / cell_r; a <= std::min(R - 1, r1 / cell_r) && !on; ++a)
          for (std::int64_t b = c0 / cell_c; b <= std::min(C - 1, c1 / cell_c) && !on; ++b) on = grid[a][b] != 0;
      }
      m.bits[static_cast<std::size_t>(i * m.cols + j)] = on;
    }
  }
  for (std::int64_t i = 0; i < m.rows; ++i) {
    bool any = false;
    for (std::int64_t j = 0; j < m.cols && !any; ++j) any = m.at(i, j);
    if (!any)
      throw InputError("mask '" + std::string(spec) + "' leaves query block " + std::to_string(i) + " (rows " +
                       std::to_string(i * Br) + "..) without any key block; every block row needs a nonzero block");
  }
  return m;
}

}  // namespace iolab::sim
