#pragma once
// Mattson's stack algorithm: one pass over a trace gives the LRU stack
// distance of every access, hence the misses of a fully associative LRU cache
// of every size at once. Distances are counted in distinct lines; an access
// with distance > C lines misses in a cache of C lines; first touches are cold
// misses at every size. O(log n) per access (a Fenwick tree over time).
//
// Sectors are ignored: an access is to a whole line (use sector = line to
// compare with LruCache).
#include <cstdint>
#include <span>
#include <vector>

#include "iolab/sim/cache/line_trace.hpp"

namespace iolab::sim::cache {

class StackDistances {
 public:
  explicit StackDistances(std::span<const LineAccess> trace);
  /// Misses of a fully associative LRU cache holding `lines` lines.
  std::uint64_t lru_misses(std::uint64_t lines) const;
  std::uint64_t cold_misses() const { return cold_; }
  std::uint64_t accesses() const { return accesses_; }
  /// histogram()[k] = accesses with stack distance k (1-based: k = 1 is a re-touch of the MRU line).
  const std::vector<std::uint64_t>& histogram() const { return hist_; }

 private:
  std::uint64_t cold_ = 0, accesses_ = 0;
  std::vector<std::uint64_t> hist_;
  std::vector<std::uint64_t> suffix_;  ///< suffix_[k] = accesses with distance >= k
};

}  // namespace iolab::sim::cache
