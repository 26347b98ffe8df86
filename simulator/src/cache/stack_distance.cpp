#include "iolab/sim/cache/stack_distance.hpp"

#include <algorithm>

namespace iolab::sim::cache {

StackDistances::StackDistances(std::span<const LineAccess> trace) {
  const std::uint64_t n = trace.size();
  accesses_ = n;
  std::uint64_t max_line = 0;
  for (const auto& a : trace) max_line = std::max(max_line, a.line);
  constexpr std::uint64_t kNever = ~0ull;
  std::vector<std::uint64_t> last(n ? max_line + 1 : 0, kNever);
  // Fenwick tree over access times: a 1 at the time of each line's latest access.
  std::vector<std::int64_t> bit(n + 1, 0);
  auto add = [&](std::uint64_t i, std::int64_t v) {
    for (++i; i <= n; i += i & (~i + 1)) bit[i] += v;
  };
  auto prefix = [&](std::uint64_t i) {  // sum over [0, i)
    std::int64_t s = 0;
    for (; i > 0; i -= i & (~i + 1)) s += bit[i];
    return s;
  };
  hist_.assign(2, 0);
  for (std::uint64_t t = 0; t < n; ++t) {
    const std::uint64_t line = trace[t].line;
    const std::uint64_t p = last[line];
    if (p == kNever) {
      ++cold_;
    } else {
      // Distinct lines touched after p (each has its latest access in (p, t)), plus this line.
      const auto d = static_cast<std::uint64_t>(prefix(t) - prefix(p + 1)) + 1;
      if (d >= hist_.size()) hist_.resize(d + 1, 0);
      ++hist_[d];
      add(p, -1);
    }
    add(t, 1);
    last[line] = t;
  }
  suffix_.assign(hist_.size() + 1, 0);
  for (std::size_t k = hist_.size(); k-- > 0;) suffix_[k] = suffix_[k + 1] + hist_[k];
}

std::uint64_t StackDistances::lru_misses(std::uint64_t lines) const {
  const std::uint64_t k = lines + 1;  // distances > lines miss
  return cold_ + (k < suffix_.size() ? suffix_[k] : 0);
}

}  // namespace iolab::sim::cache
