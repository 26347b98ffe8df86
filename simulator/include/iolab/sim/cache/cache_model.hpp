#pragma once
// A hardware-managed cache between HBM and SRAM (an L2): capacity, line and
// sector size, associativity, LRU or Belady (optimal offline) replacement, or
// one of the thrash-resistant online policies (random, BIP, SRRIP, BRRIP, DRRIP; see
// Replacement), write-back with write-allocate, per-tensor counters.
//
// Contract:
//  * A read access hits when the line is present and holds every requested
//    sector; missing sectors are fetched from HBM (sector_bytes each), the
//    line is allocated on a miss (evicting per the policy).
//  * A write allocates the line without fetching (the written sectors become
//    valid and dirty), like a GPU L2 taking full-sector writes.
//  * An eviction writes back the line's dirty sectors to HBM. flush() writes
//    back everything still dirty (a kernel's end does not; call it or not).
//  * ways == 0 means fully associative. Sets are indexed by line % sets, by
//    a hash of the line (like GPUs' address hashing), or balanced: each run
//    of `sets` consecutive lines fills every set once (CacheConfig::set_index).
//  * Belady needs the whole trace in advance (simulate_belady); LRU runs
//    online (LruCache::access) or over a trace (simulate_lru), and so do the
//    policies of CacheConfig::replacement (LruCache follows it; default LRU).
//  * The random choices of random, BIP, BRRIP and DRRIP come from a xorshift64*
//    generator seeded with CacheConfig::seed: a run is deterministic.
//  * Dirty limit (CacheConfig::dirty_limit_bytes > 0, LruCache only): while
//    more than that many bytes of dirty sectors are resident, the line that
//    became dirty longest ago is cleaned: its dirty sectors are written back
//    to HBM and it stays resident, clean (eager write-back, as caches that
//    drain dirty lines before they are evicted do); CacheConfig::dirty_clean
//    picks another line instead. 0: no limit (write-back on eviction only).
//    simulate_belady rejects a dirty limit.
//  * An access names its tensor by index into the tensors given (per-tensor counters); an index out of
//    range is an InputError (LruCache::access, simulate_lru, simulate_belady), never a silent miscount.
#include <cstdint>
#include <memory>
#include <span>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "iolab/sim/cache/dueling_monitor.hpp"
#include "iolab/sim/cache/line_trace.hpp"
#include "iolab/sim/cache/mix_hash.hpp"

namespace iolab::sim::cache {

enum class Policy { lru, belady };

/// Online replacement of LruCache (CacheConfig::replacement).
///  * lru:    evict the least recently used line; a miss inserts at MRU.
///  * random: evict a line chosen uniformly at random (among the set's ways,
///            or all lines when fully associative); no recency state.
///  * bip:    bimodal insertion (Qureshi et al., ISCA 2007): LRU eviction, but a
///            miss inserts the new line at the LRU position, except with
///            probability `epsilon` at MRU; a hit moves the line to MRU.
///  * srrip:  static re-reference interval prediction (Jaleel et al., ISCA
///            2010), 2-bit RRPV: a miss inserts at RRPV 2, a hit sets 0; the
///            victim is a line at RRPV 3, all lines aged (+1) until one is.
///            Among lines at RRPV 3, fully associative: the one inserted or
///            last hit longest ago (default), or most recently
///            (CacheConfig::rrip_newest_first: like hardware scanning the ways
///            from way 0, which keeps taking the way it just filled, and
///            thrash-resistant); set-associative: the lowest way.
///  * brrip:  bimodal RRIP: srrip, but a miss inserts at RRPV 3, except with
///            probability `epsilon` at 2.
///  * drrip:  dynamic RRIP (Jaleel et al., ISCA 2010): srrip or brrip insertion, whichever misses less
///            now, decided by set dueling (dueling_monitor.hpp: leader sets, or, fully associative,
///            two shadow tag directories fed a sample of the lines); eviction and hits as srrip.
enum class Replacement { lru, random, bip, srrip, brrip, drrip };

/// "lru", "random", "bip", "srrip", "brrip", "drrip"; InputError otherwise.
Replacement parse_replacement(std::string_view name);
const char* to_string(Replacement r);

/// With a dirty limit, the line cleaned: the one dirtied longest ago (oldest), one drawn at random, or
/// (set-associative) the one dirtied longest ago in the set just written, other than the line written,
/// falling back to the oldest when that set holds no other dirty line (set_oldest).
/// per_set_random / per_set_oldest (set-associative) make the limit one of each set instead: of the limit's
/// L = dirty_limit_bytes / line_bytes whole lines, set i keeps at most floor(L (i + 1) / S) - floor(L i / S)
/// lines' worth of dirty sectors (S = sets(); the shares add up to L); a write that takes its set over its
/// share cleans dirty lines of the set other than the one written, drawn at random / dirtied longest ago,
/// until the set is within it (or no other is dirty). There is no global limit then; fully associative (one
/// set) they are random / oldest.
enum class DirtyClean { oldest, random, set_oldest, per_set_random, per_set_oldest };
/// "oldest", "random", "set-oldest", "per-set-random", "per-set-oldest"; InputError otherwise
DirtyClean parse_dirty_clean(std::string_view name);
const char* to_string(DirtyClean c);

/// How a set-associative cache picks a line's set (S = sets()):
///  * modulo:   line mod S.
///  * hashed:   mix64(line) mod S: a random placement, so that a contiguous range spreads over the sets
///              binomially (some sets overflow while others have room).
///  * balanced: (line mod S + mix64(line div S) mod S) mod S: each aligned run of S consecutive lines takes
///              every set exactly once, rotated by a hash of the run, so that a contiguous range fills the
///              sets evenly and strides do not pile into one set.
enum class SetIndex { modulo, hashed, balanced };
SetIndex parse_set_index(std::string_view name);  ///< "modulo", "hashed", "balanced"; InputError otherwise
const char* to_string(SetIndex i);

struct CacheConfig {
  std::uint64_t capacity_bytes = 0;
  std::uint32_t line_bytes = 128;
  std::uint32_t sector_bytes = 32;
  std::uint32_t ways = 16;  ///< 0: fully associative
  Replacement replacement = Replacement::lru;  ///< online policy of LruCache
  double epsilon = 1.0 / 32;  ///< bip / brrip / drrip: probability of the MRU (RRPV 2) insertion (the papers' 1/32)
  std::uint64_t seed = 0x2545F4914F6CDD1Dull;  ///< random, bip, brrip, drrip: generator seed (any nonzero value)
  bool rrip_newest_first = false;  ///< srrip, brrip, drrip, fully associative: victim order among RRPV-3 lines (Replacement)
  std::uint64_t dirty_limit_bytes = 0;  ///< LruCache: most dirty bytes kept resident (see the contract); 0 = no limit
  /// Dirty limit: which dirty line is cleaned (written back, kept) when the limit is exceeded.
  DirtyClean dirty_clean = DirtyClean::oldest;
  SetIndex set_index = SetIndex::modulo;  ///< set-associative: how a line's set is picked
  /// The set holding `line`.
  std::uint64_t set_of(std::uint64_t line) const {
    const std::uint64_t n = sets();
    switch (set_index) {
      case SetIndex::modulo: return line % n;
      case SetIndex::hashed: return mix64(line, 1) % n;
      case SetIndex::balanced: return (line % n + mix64(line / n, 1) % n) % n;
    }
    return line % n;
  }
  std::uint64_t lines() const { return capacity_bytes / line_bytes; }
  std::uint64_t sets() const { return ways == 0 ? 1 : lines() / ways; }
  /// Throws InputError unless sizes are powers of two, the line holds 1..32
  /// sectors, the capacity is a whole, positive number of sets, 0 <= epsilon <= 1 and seed != 0.
  void validate() const;
};

struct TensorCacheStats {
  std::string name;
  std::uint64_t accesses = 0, hits = 0, misses = 0;  ///< line accesses
  std::uint64_t evictions = 0;                       ///< lines of this tensor evicted
  std::uint64_t hbm_read_bytes = 0;                  ///< sectors fetched
  std::uint64_t hbm_write_bytes = 0;                 ///< dirty sectors written back (evicted or cleaned)
};

struct CacheStats {
  std::vector<TensorCacheStats> tensors;
  std::uint64_t accesses = 0, hits = 0, misses = 0, evictions = 0;
  std::uint64_t hbm_read_bytes = 0, hbm_write_bytes = 0;
  std::uint64_t cleanings = 0;  ///< dirty lines written back while staying resident (dirty limit)
  std::uint64_t peer_read_bytes = 0;  ///< sectors filled by LineAccess::from_peer reads (not from HBM)
};

/// An online cache. Despite its name it follows CacheConfig::replacement (LRU unless told otherwise).
class LruCache {
 public:
  LruCache(const CacheConfig& cfg, std::vector<TensorRange> tensors);
  ~LruCache();
  LruCache(LruCache&&) noexcept;
  LruCache& operator=(LruCache&&) noexcept;
  /// InputError when a.tensor is not an index into the constructor's tensors (the counters are per tensor).
  void access(const LineAccess& a);
  void flush();
  const CacheStats& stats() const { return stats_; }
  /// Whether `line` is resident with every sector of `sectors` valid (no state changes).
  bool contains(std::uint64_t line, std::uint32_t sectors) const;
  /// Drops `line` if resident (an eviction: its dirty sectors are written back); no-op otherwise.
  void invalidate(std::uint64_t line);
  /// drrip: the set-dueling monitor (nullptr for the other policies).
  const DuelingMonitor* dueling_monitor() const { return duel_.get(); }
  /// Bytes of dirty sectors resident now.
  std::uint64_t dirty_bytes() const { return dirty_sectors_ * cfg_.sector_bytes; }

 private:
  struct Way {
    std::uint64_t line = ~0ull;
    std::uint64_t last_use = 0;
    std::uint64_t dirty_seq = 0;  ///< dirty limit: its entry in dirty_fifo_ (0: none)
    std::uint32_t valid = 0, dirty = 0;
    std::uint16_t tensor = 0;
  };
  /// The replacement policy's access, without the dirty limit: returns the way that holds a.line afterwards and
  /// sets `old_dirty` to its dirty sectors before the access (0 on a miss).
  Way* access_policy(const LineAccess& a, std::uint32_t& old_dirty);
  Way* locate(std::uint64_t line);          ///< the resident way holding `line`, or nullptr
  std::uint64_t take_free_slot();           ///< fully associative: a free way index, or kNone
  std::vector<std::uint64_t> free_slots_;   ///< fully associative: ways freed by invalidate()
  void enforce_dirty_limit();
  /// Per-set dirty limit (DirtyClean::per_set_*): cleans lines of set `set_index` other than `written`.
  void enforce_set_dirty_limit(const Way& written, std::uint64_t set_index);
  void clean(Way& w);  ///< dirty limit: writes back w's dirty sectors, keeps it resident and clean
  std::uint64_t dirty_sectors_ = 0;  ///< dirty sectors resident (kept only with a dirty limit)
  std::uint64_t dirty_seq_ = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> dirty_fifo_;  ///< (way, seq), oldest at dirty_head_
  std::size_t dirty_head_ = 0;
  void evict(Way& w);
  /// Puts the missed line `a` into the free way `w` (fill accounting included).
  void fill(Way& w, const LineAccess& a);
  /// Fully associative: frees the resident way `slot` (unindexed, eviction accounted).
  void drop(std::uint64_t slot);
  /// Fully associative: fill() into way `slot`, and index it.
  void fill_slot(std::uint64_t slot, const LineAccess& a);
  Way* access_other(const LineAccess& a, std::uint32_t& old_dirty);  ///< the non-LRU policies (as access_policy)
  std::uint64_t next_random();
  bool coin(); ///< true with probability cfg_.epsilon
  // Fully associative RRIP: one list per RRPV, kept in prev_/next_ (a line is in one list); the list of
  // RRPV r is rrip_head_/tail_[(r - age_) & 3] and a line's `last_use` holds r - age_ at its last update, so
  // that aging every line by k is age_ += k.
  void rrip_unlink(std::uint64_t w);
  void rrip_push(std::uint64_t w, std::uint64_t rrpv);
  std::array<std::uint64_t, 4> rrip_head_{}, rrip_tail_{};
  std::uint64_t age_ = 0;
  std::uint64_t rng_ = 0;
  std::unique_ptr<DuelingMonitor> duel_;  ///< drrip only
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
