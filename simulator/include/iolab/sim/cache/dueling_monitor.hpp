#pragma once
// Set dueling for DRRIP (Jaleel et al., ISCA 2010): which insertion, SRRIP's or BRRIP's, misses less now.
//
// DRRIP inserts a missed line as SRRIP does (RRPV 2) or as BRRIP does (RRPV 3, except with a small
// probability 2), whichever currently misses less. The monitor measures that in one of two ways:
//  * Set-associative caches (at least kMinSets sets), as in the paper: leader sets of the cache itself.
//    Sets with set % kSampleRate == 0 always insert as SRRIP, sets with set % kSampleRate == 1 always as
//    BRRIP; the other sets follow the selector. record_miss(set) is called on every miss of the cache.
//  * Fully associative caches have no sets to dedicate, so the monitor keeps two caches of tags
//    (auxiliary tag directories, as in Qureshi and Patt's utility monitors), one pure SRRIP and one pure
//    BRRIP, each of 1/kSampleRate of the cache's lines (at least one), no dirty limit, and feeds both the
//    accesses of the lines whose number hashes into 1 of kSampleRate buckets (observe(a)): their reuse
//    distances are the cache's scaled by the same factor, and the sample is the same for every run.
//
// Contract:
//  * The selector starts at 0 and moves +1 per miss of the SRRIP side (leader set or shadow) and -1 per
//    miss of the BRRIP side, saturating at [-kSelectorLimit, kSelectorLimit - 1] (the paper's 10-bit PSEL).
//  * bimodal(set): whether a line missed in `set` is inserted as BRRIP: the leader sets' own policy, else
//    selector > 0 (the SRRIP side missed more lately); ties keep SRRIP. Fully associative: `set` is ignored.
//  * A set-associative configuration with fewer than kMinSets sets is rejected (InputError).
//  * The shadows see accesses only: the cache's invalidations (LruCache::invalidate, e.g. a partitioned L2
//    dropping a copy) and dirty-limit cleanings do not reach them.
#include <cstdint>
#include <memory>
#include <vector>

#include "iolab/sim/cache/line_trace.hpp"

namespace iolab::sim::cache {

struct CacheConfig;
class LruCache;

class DuelingMonitor {
 public:
  static constexpr std::uint64_t kSampleRate = 32;
  static constexpr std::uint64_t kMinSets = 2 * kSampleRate;
  static constexpr int kSelectorLimit = 512;

  DuelingMonitor(const CacheConfig& cache, const std::vector<TensorRange>& tensors);
  ~DuelingMonitor();
  DuelingMonitor(DuelingMonitor&&) noexcept;
  DuelingMonitor& operator=(DuelingMonitor&&) noexcept;

  /// Fully associative: whether accesses to `line` are fed to the shadows.
  static bool sampled(std::uint64_t line);
  /// Fully associative: applies `a` to both shadows if its line is sampled. No-op for set-associative.
  void observe(const LineAccess& a);
  /// Set-associative: a miss in `set`. No-op for fully associative.
  void record_miss(std::uint64_t set);
  bool bimodal(std::uint64_t set = 0) const;
  int selector() const { return selector_; }
  /// Fully associative only (nullptr otherwise).
  const LruCache* srrip_shadow() const { return srrip_.get(); }
  const LruCache* brrip_shadow() const { return brrip_.get(); }

 private:
  void vote(int delta);
  std::unique_ptr<LruCache> srrip_, brrip_;
  int selector_ = 0;
};

}  // namespace iolab::sim::cache
