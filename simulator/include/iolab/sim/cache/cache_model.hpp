#pragma once
// A hardware-managed cache between HBM and SRAM (an L2): capacity, line and
// sector size, associativity, LRU or Belady (optimal offline) replacement,
// write-back with write-allocate, per-tensor counters.
//
// Contract:
//  * A read access hits when the line is present and holds every requested
//    sector; missing sectors are fetched from HBM (sector_bytes each), the
//    line is allocated on a miss (evicting per the policy).
//  * A write allocates the line without fetching (the written sectors become
//    valid and dirty), like a GPU L2 taking full-sector writes.
//  * An eviction writes back the line's dirty sectors to HBM. flush() writes
//    back everything still dirty (a kernel's end does not; call it or not).
//  * ways == 0 means fully associative. Sets are indexed by line % sets.
//  * Belady needs the whole trace in advance (simulate_belady); LRU runs
//    online (LruCache::access) or over a trace (simulate_lru).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "iolab/sim/cache/line_trace.hpp"

namespace iolab::sim::cache {

enum class Policy { lru, belady };

struct CacheConfig {
  std::uint64_t capacity_bytes = 0;
  std::uint32_t line_bytes = 128;
  std::uint32_t sector_bytes = 32;
  std::uint32_t ways = 16;  ///< 0: fully associative
  std::uint64_t lines() const { return capacity_bytes / line_bytes; }
  std::uint64_t sets() const { return ways == 0 ? 1 : lines() / ways; }
  /// Throws InputError unless sizes are powers of two, the line holds 1..32
  /// sectors and the capacity is a whole, positive number of sets.
  void validate() const;
};

struct TensorCacheStats {
  std::string name;
  std::uint64_t accesses = 0, hits = 0, misses = 0;  ///< line accesses
  std::uint64_t evictions = 0;                       ///< lines of this tensor evicted
  std::uint64_t hbm_read_bytes = 0;                  ///< sectors fetched
  std::uint64_t hbm_write_bytes = 0;                 ///< dirty sectors written back
};

struct CacheStats {
  std::vector<TensorCacheStats> tensors;
  std::uint64_t accesses = 0, hits = 0, misses = 0, evictions = 0;
  std::uint64_t hbm_read_bytes = 0, hbm_write_bytes = 0;
};

class LruCache {
 public:
  LruCache(const CacheConfig& cfg, std::vector<TensorRange> tensors);
  void access(const LineAccess& a);
  void flush();
  const CacheStats& stats() const { return stats_; }

 private:
  struct Way {
    std::uint64_t line = ~0ull;
    std::uint64_t last_use = 0;
    std::uint32_t valid = 0, dirty = 0;
    std::uint16_t tensor = 0;
  };
  void evict(Way& w);
  CacheConfig cfg_;
  std::uint64_t sets_, ways_;
  std::vector<Way> ways_store_;  ///< sets_ x ways_
  // Fully associative: a hash from line to way index plus an LRU list.
  bool fully_;
  std::vector<std::uint64_t> prev_, next_;  ///< LRU list over way indices (head = MRU)
  std::uint64_t head_ = ~0ull, tail_ = ~0ull, used_ = 0;
  std::vector<std::uint64_t> index_keys_, index_vals_;  ///< open-addressing hash line -> way
  std::uint64_t index_mask_ = 0;
  std::uint64_t clock_ = 0;
  CacheStats stats_;
  std::uint64_t find(std::uint64_t line) const;
  void index_put(std::uint64_t line, std::uint64_t way);
  void index_erase(std::uint64_t line);
  void list_unlink(std::uint64_t w);
  void list_push_front(std::uint64_t w);
};

CacheStats simulate_lru(const CacheConfig& cfg, const LineTrace& trace, bool flush_at_end = false);
CacheStats simulate_lru(const CacheConfig& cfg, std::span<const LineAccess> trace, std::vector<TensorRange> tensors,
                        bool flush_at_end = false);
CacheStats simulate_belady(const CacheConfig& cfg, std::span<const LineAccess> trace,
                           std::vector<TensorRange> tensors, bool flush_at_end = false);

}  // namespace iolab::sim::cache
