#include "iolab/sim/cache/cache_model.hpp"

#include <algorithm>
#include <bit>
#include <queue>

#include "iolab/sim/errors.hpp"

namespace iolab::sim::cache {
namespace {

constexpr std::uint64_t kNone = ~0ull;

bool is_rrip(Replacement r) { return r == Replacement::srrip || r == Replacement::brrip || r == Replacement::drrip; }

CacheStats empty_stats(const std::vector<TensorRange>& tensors) {
  CacheStats s;
  for (const auto& t : tensors) s.tensors.push_back({t.name});
  return s;
}

/// Common bookkeeping of an access against a way state (valid/dirty masks).
struct Accounting {
  CacheStats& s;
  std::uint32_t sector_bytes;
  void hit(const LineAccess& a) {
    ++s.accesses;
    ++s.hits;
    auto& t = s.tensors[a.tensor];
    ++t.accesses;
    ++t.hits;
  }
  void miss(const LineAccess& a) {
    ++s.accesses;
    ++s.misses;
    auto& t = s.tensors[a.tensor];
    ++t.accesses;
    ++t.misses;
  }
  void fetch(const LineAccess& a, std::uint32_t sectors) {
    const std::uint64_t b = static_cast<std::uint64_t>(std::popcount(sectors)) * sector_bytes;
    if (a.from_peer) {
      s.peer_read_bytes += b;
      return;
    }
    s.hbm_read_bytes += b;
    s.tensors[a.tensor].hbm_read_bytes += b;
  }
  void write_back(std::uint16_t tensor, std::uint32_t dirty) {
    const std::uint64_t b = static_cast<std::uint64_t>(std::popcount(dirty)) * sector_bytes;
    s.hbm_write_bytes += b;
    s.tensors[tensor].hbm_write_bytes += b;
  }
  void evicted(std::uint16_t tensor, std::uint32_t dirty) {
    ++s.evictions;
    ++s.tensors[tensor].evictions;
    write_back(tensor, dirty);
  }
  /// Applies an access to a present line; returns whether it was a hit.
  bool present(const LineAccess& a, std::uint32_t& valid, std::uint32_t& dirty) {
    if (a.write) {
      valid |= a.sectors;
      dirty |= a.sectors;
      hit(a);
      return true;
    }
    const std::uint32_t missing = a.sectors & ~valid;
    if (missing == 0) {
      hit(a);
      return true;
    }
    miss(a);
    fetch(a, missing);
    valid |= missing;
    return false;
  }
  /// Fills a newly allocated line.
  void fill(const LineAccess& a, std::uint32_t& valid, std::uint32_t& dirty) {
    miss(a);
    valid = a.sectors;
    dirty = a.write ? a.sectors : 0;
    if (!a.write) fetch(a, a.sectors);
  }
};

}  // namespace

void CacheConfig::validate() const {
  if (!std::has_single_bit(line_bytes) || !std::has_single_bit(sector_bytes) || sector_bytes > line_bytes ||
      line_bytes / sector_bytes > 32)
    throw InputError("cache line and sector sizes must be powers of two with 1 to 32 sectors a line");
  if (capacity_bytes == 0 || capacity_bytes % line_bytes != 0)
    throw InputError("cache capacity " + std::to_string(capacity_bytes) + " B is not a positive number of " +
                     std::to_string(line_bytes) + "-byte lines");
  if (ways != 0 && (lines() % ways != 0 || lines() < ways))
    throw InputError("cache of " + std::to_string(lines()) + " lines is not a whole number of " +
                     std::to_string(ways) + "-way sets");
  if (!(epsilon >= 0 && epsilon <= 1)) throw InputError("cache insertion epsilon must lie in [0, 1]");
  if (seed == 0) throw InputError("cache random seed must be nonzero");
}

Replacement parse_replacement(std::string_view name) {
  for (auto r : {Replacement::lru, Replacement::random, Replacement::bip, Replacement::srrip, Replacement::brrip,
                 Replacement::drrip})
    if (name == to_string(r)) return r;
  throw InputError("unknown cache replacement '" + std::string(name) +
                   "' (known: lru, random, bip, srrip, brrip, drrip)");
}

SetIndex parse_set_index(std::string_view name) {
  for (auto i : {SetIndex::modulo, SetIndex::hashed, SetIndex::balanced})
    if (name == to_string(i)) return i;
  throw InputError("unknown set index '" + std::string(name) + "' (known: modulo, hashed, balanced)");
}

const char* to_string(SetIndex i) {
  switch (i) {
    case SetIndex::modulo: return "modulo";
    case SetIndex::hashed: return "hashed";
    case SetIndex::balanced: return "balanced";
  }
  return "?";
}

DirtyClean parse_dirty_clean(std::string_view name) {
  for (auto c : {DirtyClean::oldest, DirtyClean::random, DirtyClean::set_oldest, DirtyClean::per_set_random,
                 DirtyClean::per_set_oldest})
    if (name == to_string(c)) return c;
  throw InputError("unknown dirty-line cleaning '" + std::string(name) +
                   "' (known: oldest, random, set-oldest, per-set-random, per-set-oldest)");
}

const char* to_string(DirtyClean c) {
  switch (c) {
    case DirtyClean::oldest: return "oldest";
    case DirtyClean::random: return "random";
    case DirtyClean::set_oldest: return "set-oldest";
    case DirtyClean::per_set_random: return "per-set-random";
    case DirtyClean::per_set_oldest: return "per-set-oldest";
  }
  return "?";
}

const char* to_string(Replacement r) {
  switch (r) {
    case Replacement::lru: return "lru";
    case Replacement::random: return "random";
    case Replacement::bip: return "bip";
    case Replacement::srrip: return "srrip";
    case Replacement::brrip: return "brrip";
    case Replacement::drrip: return "drrip";
  }
  return "?";
}

LruCache::LruCache(const CacheConfig& cfg, std::vector<TensorRange> tensors)
    : rng_(cfg.seed), cfg_(cfg), fully_(cfg.ways == 0), stats_(empty_stats(tensors)) {
  cfg_.validate();
  if (cfg_.replacement == Replacement::drrip) duel_ = std::make_unique<DuelingMonitor>(cfg_, tensors);
  rrip_head_.fill(kNone);
  rrip_tail_.fill(kNone);
  sets_ = cfg_.sets();
  ways_ = fully_ ? cfg_.lines() : cfg_.ways;
  ways_store_.resize(sets_ * ways_);
  if (fully_) {
    prev_.assign(ways_, kNone);
    next_.assign(ways_, kNone);
    std::uint64_t cap = std::bit_ceil(ways_ * 2 + 16);
    index_keys_.assign(cap, kNone);
    index_vals_.assign(cap, 0);
    index_mask_ = cap - 1;
  }
}

LruCache::~LruCache() = default;
LruCache::LruCache(LruCache&&) noexcept = default;
LruCache& LruCache::operator=(LruCache&&) noexcept = default;

std::uint64_t LruCache::find(std::uint64_t line) const {
  for (std::uint64_t i = (line * 0x9E3779B97F4A7C15ull) & index_mask_;; i = (i + 1) & index_mask_) {
    if (index_keys_[i] == line) return index_vals_[i];
    if (index_keys_[i] == kNone) return kNone;
  }
}

void LruCache::index_put(std::uint64_t line, std::uint64_t way) {
  std::uint64_t i = (line * 0x9E3779B97F4A7C15ull) & index_mask_;
  while (index_keys_[i] != kNone && index_keys_[i] != line) i = (i + 1) & index_mask_;
  index_keys_[i] = line;
  index_vals_[i] = way;
}

void LruCache::index_erase(std::uint64_t line) {
  std::uint64_t i = (line * 0x9E3779B97F4A7C15ull) & index_mask_;
  while (index_keys_[i] != line) {
    if (index_keys_[i] == kNone) return;
    i = (i + 1) & index_mask_;
  }
  // Backward-shift deletion keeps probe sequences intact without tombstones.
  std::uint64_t j = i;
  for (;;) {
    j = (j + 1) & index_mask_;
    if (index_keys_[j] == kNone) break;
    const std::uint64_t home = (index_keys_[j] * 0x9E3779B97F4A7C15ull) & index_mask_;
    const bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (between) continue;
    index_keys_[i] = index_keys_[j];
    index_vals_[i] = index_vals_[j];
    i = j;
  }
  index_keys_[i] = kNone;
}

void LruCache::list_unlink(std::uint64_t w) {
  if (prev_[w] != kNone) next_[prev_[w]] = next_[w]; else head_ = next_[w];
  if (next_[w] != kNone) prev_[next_[w]] = prev_[w]; else tail_ = prev_[w];
  prev_[w] = next_[w] = kNone;
}

void LruCache::list_push_front(std::uint64_t w) {
  prev_[w] = kNone;
  next_[w] = head_;
  if (head_ != kNone) prev_[head_] = w;
  head_ = w;
  if (tail_ == kNone) tail_ = w;
}

void LruCache::evict(Way& w) {
  Accounting acc{stats_, cfg_.sector_bytes};
  acc.evicted(w.tensor, w.dirty);
  dirty_sectors_ -= cfg_.dirty_limit_bytes ? static_cast<std::uint64_t>(std::popcount(w.dirty)) : 0;
  w.line = kNone;
  w.valid = w.dirty = 0;
  w.dirty_seq = 0;
}

LruCache::Way* LruCache::locate(std::uint64_t line) {
  if (fully_) {
    const std::uint64_t w = find(line);
    return w == kNone ? nullptr : &ways_store_[w];
  }
  Way* set = &ways_store_[cfg_.set_of(line) * ways_];
  for (std::uint64_t i = 0; i < ways_; ++i)
    if (set[i].line == line) return &set[i];
  return nullptr;
}

bool LruCache::contains(std::uint64_t line, std::uint32_t sectors) const {
  const Way* w = const_cast<LruCache*>(this)->locate(line);
  return w && (w->valid & sectors) == sectors;
}

void LruCache::invalidate(std::uint64_t line) {
  Way* w = locate(line);
  if (!w) return;
  if (fully_) {
    const auto slot = static_cast<std::uint64_t>(w - ways_store_.data());
    if (is_rrip(cfg_.replacement)) rrip_unlink(slot);
    else if (cfg_.replacement != Replacement::random) list_unlink(slot);
    drop(slot);
    free_slots_.push_back(slot);
    return;
  }
  evict(*w);
}

std::uint64_t LruCache::take_free_slot() {
  if (used_ < ways_) return used_++;
  if (free_slots_.empty()) return kNone;
  const std::uint64_t s = free_slots_.back();
  free_slots_.pop_back();
  return s;
}

void LruCache::access(const LineAccess& a) {
  if (a.tensor >= stats_.tensors.size())
    throw InputError("cache: an access to tensor " + std::to_string(a.tensor) + " of " +
                     std::to_string(stats_.tensors.size()));
  std::uint32_t old_dirty = 0;
  if (cfg_.dirty_limit_bytes == 0 || !a.write) {
    access_policy(a, old_dirty);
    return;
  }
  Way* w = access_policy(a, old_dirty);  // a write always leaves its line resident
  dirty_sectors_ += static_cast<std::uint64_t>(std::popcount(w->dirty) - std::popcount(old_dirty));
  const bool per_set = !fully_ && (cfg_.dirty_clean == DirtyClean::per_set_random ||
                                   cfg_.dirty_clean == DirtyClean::per_set_oldest);
  if (w->dirty_seq == 0) {  // clean until now: it joins the queue of lines to clean (per set: only its order)
    w->dirty_seq = ++dirty_seq_;
    if (!per_set) dirty_fifo_.emplace_back(static_cast<std::uint64_t>(w - ways_store_.data()), dirty_seq_);
  }
  if (per_set) {
    enforce_set_dirty_limit(*w, cfg_.set_of(a.line));
    return;
  }
  if (cfg_.dirty_clean == DirtyClean::set_oldest && !fully_ &&
      dirty_sectors_ * cfg_.sector_bytes > cfg_.dirty_limit_bytes) {
    Way* set = &ways_store_[cfg_.set_of(a.line) * ways_];
    Way* oldest = nullptr;
    for (std::uint64_t i = 0; i < ways_; ++i)
      if (&set[i] != w && set[i].dirty && (!oldest || set[i].dirty_seq < oldest->dirty_seq)) oldest = &set[i];
    if (oldest) clean(*oldest);  // its queue entry is stale now
  }
  enforce_dirty_limit();
}

void LruCache::clean(Way& w) {
  Accounting acc{stats_, cfg_.sector_bytes};
  acc.write_back(w.tensor, w.dirty);
  ++stats_.cleanings;
  dirty_sectors_ -= static_cast<std::uint64_t>(std::popcount(w.dirty));
  w.dirty = 0;
  w.dirty_seq = 0;
}

void LruCache::enforce_set_dirty_limit(const Way& written, std::uint64_t set_index) {
  // The set's share of the limit in whole lines: floor(L (i + 1) / S) - floor(L i / S) for L lines over S sets,
  // so that the shares add up to the limit (13 or 14 lines of 32 for 0.424 of a 32-way cache, not 13 each).
  const std::uint64_t lines = cfg_.dirty_limit_bytes / cfg_.line_bytes;
  const std::uint64_t limit = ((lines * (set_index + 1)) / sets_ - (lines * set_index) / sets_) *
                              (cfg_.line_bytes / cfg_.sector_bytes);  // sectors
  Way* set = &ways_store_[set_index * ways_];
  std::uint64_t dirty = 0;
  for (std::uint64_t i = 0; i < ways_; ++i) dirty += static_cast<std::uint64_t>(std::popcount(set[i].dirty));
  while (dirty > limit) {
    Way* pick = nullptr;
    if (cfg_.dirty_clean == DirtyClean::per_set_oldest) {
      for (std::uint64_t i = 0; i < ways_; ++i)
        if (&set[i] != &written && set[i].dirty && (!pick || set[i].dirty_seq < pick->dirty_seq)) pick = &set[i];
    } else {
      std::uint64_t others = 0;
      for (std::uint64_t i = 0; i < ways_; ++i) others += &set[i] != &written && set[i].dirty;
      if (others > 0) {
        std::uint64_t k = next_random() % others;
        for (std::uint64_t i = 0; i < ways_ && !pick; ++i)
          if (&set[i] != &written && set[i].dirty && k-- == 0) pick = &set[i];
      }
    }
    if (!pick) return;  // only the line just written is dirty
    dirty -= static_cast<std::uint64_t>(std::popcount(pick->dirty));
    clean(*pick);  // its queue entry is stale now
  }
}

void LruCache::enforce_dirty_limit() {
  if (cfg_.dirty_clean == DirtyClean::random || cfg_.dirty_clean == DirtyClean::per_set_random) {
    // Entries in [dirty_head_, size) in any order; a stale one (evicted or cleaned since) is dropped when drawn.
    while (dirty_sectors_ * cfg_.sector_bytes > cfg_.dirty_limit_bytes && dirty_head_ < dirty_fifo_.size()) {
      const std::size_t i = dirty_head_ + static_cast<std::size_t>(next_random() % (dirty_fifo_.size() - dirty_head_));
      const auto [way, seq] = dirty_fifo_[i];
      dirty_fifo_[i] = dirty_fifo_.back();
      dirty_fifo_.pop_back();
      if (ways_store_[way].dirty_seq == seq) clean(ways_store_[way]);
    }
    if (dirty_fifo_.size() > 4096 && dirty_fifo_.size() > 4 * (dirty_sectors_ + 1)) {  // drop stale entries
      std::erase_if(dirty_fifo_, [&](const auto& e) { return ways_store_[e.first].dirty_seq != e.second; });
      dirty_head_ = 0;
    }
    return;
  }
  while (dirty_sectors_ * cfg_.sector_bytes > cfg_.dirty_limit_bytes && dirty_head_ < dirty_fifo_.size()) {
    const auto [way, seq] = dirty_fifo_[dirty_head_++];
    if (ways_store_[way].dirty_seq == seq) clean(ways_store_[way]);  // else evicted or cleaned since it was queued
  }
  if (dirty_head_ > 4096 && dirty_head_ * 2 > dirty_fifo_.size()) {  // drop the consumed front
    dirty_fifo_.erase(dirty_fifo_.begin(), dirty_fifo_.begin() + static_cast<std::ptrdiff_t>(dirty_head_));
    dirty_head_ = 0;
  }
}

void LruCache::fill(Way& w, const LineAccess& a) {
  Accounting acc{stats_, cfg_.sector_bytes};
  w.line = a.line;
  w.tensor = a.tensor;
  acc.fill(a, w.valid, w.dirty);
}

void LruCache::drop(std::uint64_t slot) {
  index_erase(ways_store_[slot].line);
  evict(ways_store_[slot]);
}

void LruCache::fill_slot(std::uint64_t slot, const LineAccess& a) {
  fill(ways_store_[slot], a);
  index_put(a.line, slot);
}

LruCache::Way* LruCache::access_policy(const LineAccess& a, std::uint32_t& old_dirty) {
  if (cfg_.replacement != Replacement::lru) {
    return access_other(a, old_dirty);
  }
  Accounting acc{stats_, cfg_.sector_bytes};
  ++clock_;
  if (fully_) {
    const std::uint64_t w = find(a.line);
    if (w != kNone) {
      Way& way = ways_store_[w];
      old_dirty = way.dirty;
      acc.present(a, way.valid, way.dirty);
      list_unlink(w);
      list_push_front(w);
      return &way;
    }
    std::uint64_t slot = take_free_slot();
    if (slot == kNone) {
      slot = tail_;
      list_unlink(slot);
      drop(slot);
    }
    fill_slot(slot, a);
    list_push_front(slot);
    old_dirty = 0;
    return &ways_store_[slot];
  }
  Way* set = &ways_store_[cfg_.set_of(a.line) * ways_];
  Way* victim = set;
  for (std::uint64_t i = 0; i < ways_; ++i) {
    Way& w = set[i];
    if (w.line == a.line) {
      old_dirty = w.dirty;
      acc.present(a, w.valid, w.dirty);
      w.last_use = clock_;
      return &w;
    }
    if (victim->line != kNone && (w.line == kNone || w.last_use < victim->last_use)) victim = &w;
  }
  if (victim->line != kNone) evict(*victim);
  fill(*victim, a);
  victim->last_use = clock_;
  old_dirty = 0;
  return victim;
}

std::uint64_t LruCache::next_random() {  // xorshift64*
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545F4914F6CDD1Dull;
}

bool LruCache::coin() { return static_cast<double>(next_random() >> 11) * 0x1.0p-53 < cfg_.epsilon; }

void LruCache::rrip_unlink(std::uint64_t w) {
  const std::uint64_t k = ways_store_[w].last_use & 3;
  if (prev_[w] != kNone) next_[prev_[w]] = next_[w]; else rrip_head_[k] = next_[w];
  if (next_[w] != kNone) prev_[next_[w]] = prev_[w]; else rrip_tail_[k] = prev_[w];
  prev_[w] = next_[w] = kNone;
}

void LruCache::rrip_push(std::uint64_t w, std::uint64_t rrpv) {
  const std::uint64_t key = rrpv - age_, k = key & 3;  // unsigned wrap-around keeps key mod 4
  ways_store_[w].last_use = key;
  prev_[w] = kNone;
  next_[w] = rrip_head_[k];
  if (rrip_head_[k] != kNone) prev_[rrip_head_[k]] = w;
  rrip_head_[k] = w;
  if (rrip_tail_[k] == kNone) rrip_tail_[k] = w;
}

LruCache::Way* LruCache::access_other(const LineAccess& a, std::uint32_t& old_dirty) {
  old_dirty = 0;
  Accounting acc{stats_, cfg_.sector_bytes};
  ++clock_;
  const Replacement r = cfg_.replacement;
  const bool rrip = is_rrip(r);
  if (duel_) duel_->observe(a);
  // The set of a set-associative access (DRRIP's leader sets); 0 when fully associative.
  const std::uint64_t set_index = fully_ ? 0 : cfg_.set_of(a.line);
  auto insert_rrpv = [&] {
    const bool bimodal = r == Replacement::brrip || (duel_ && duel_->bimodal(set_index));
    return !bimodal || coin() ? 2u : 3u;
  };
  if (fully_) {
    const std::uint64_t w = find(a.line);
    if (w != kNone) {
      Way& way = ways_store_[w];
      old_dirty = way.dirty;
      acc.present(a, way.valid, way.dirty);
      if (r == Replacement::bip) {
        list_unlink(w);
        list_push_front(w);
      } else if (rrip) {
        rrip_unlink(w);
        rrip_push(w, 0);
      }
      return &way;
    }
    std::uint64_t slot = take_free_slot();
    if (slot == kNone) {
      if (r == Replacement::random) {
        slot = next_random() % ways_;
      } else if (r == Replacement::bip) {
        slot = tail_;
        list_unlink(slot);
      } else {
        std::uint64_t lvl = 3;  // the highest RRPV present; age every line until it is 3
        while (rrip_head_[(lvl - age_) & 3] == kNone) --lvl;
        age_ += 3 - lvl;
        const std::uint64_t k = (3 - age_) & 3;  // the list of RRPV 3: its oldest line, or its newest
        slot = cfg_.rrip_newest_first ? rrip_head_[k] : rrip_tail_[k];
        rrip_unlink(slot);
      }
      drop(slot);
    }
    fill_slot(slot, a);
    if (r == Replacement::bip) {
      if (coin()) {
        list_push_front(slot);
      } else {  // at the LRU end
        prev_[slot] = tail_;
        next_[slot] = kNone;
        if (tail_ != kNone) next_[tail_] = slot;
        tail_ = slot;
        if (head_ == kNone) head_ = slot;
      }
    } else if (rrip) {
      rrip_push(slot, insert_rrpv());
    }
    return &ways_store_[slot];
  }
  // Set-associative: `last_use` is the recency stamp (bip; 0 = LRU position) or the RRPV (rrip).
  Way* set = &ways_store_[set_index * ways_];
  Way* victim = nullptr;
  for (std::uint64_t i = 0; i < ways_; ++i) {
    Way& w = set[i];
    if (w.line == a.line) {
      old_dirty = w.dirty;
      acc.present(a, w.valid, w.dirty);
      w.last_use = rrip ? 0 : clock_;
      return &w;
    }
    if (!victim && w.line == kNone) victim = &w;
  }
  if (duel_) duel_->record_miss(set_index);
  if (!victim) {
    if (r == Replacement::random) {
      victim = &set[next_random() % ways_];
    } else if (r == Replacement::bip) {
      victim = set;
      for (std::uint64_t i = 1; i < ways_; ++i)
        if (set[i].last_use < victim->last_use) victim = &set[i];
    } else {
      for (;;) {
        for (std::uint64_t i = 0; i < ways_ && !victim; ++i)
          if (set[i].last_use >= 3) victim = &set[i];
        if (victim) break;
        for (std::uint64_t i = 0; i < ways_; ++i) ++set[i].last_use;
      }
    }
    evict(*victim);
  }
  fill(*victim, a);
  if (r == Replacement::bip) victim->last_use = coin() ? clock_ : 0;
  else if (rrip) victim->last_use = insert_rrpv();
  return victim;
}

void LruCache::flush() {
  Accounting acc{stats_, cfg_.sector_bytes};
  for (auto& w : ways_store_)
    if (w.line != kNone && w.dirty) {
      acc.write_back(w.tensor, w.dirty);
      w.dirty = 0;
      w.dirty_seq = 0;
    }
  dirty_sectors_ = 0;
  dirty_fifo_.clear();
  dirty_head_ = 0;
}

CacheStats simulate_lru(const CacheConfig& cfg, std::span<const LineAccess> trace, std::vector<TensorRange> tensors,
                        bool flush_at_end) {
  LruCache c(cfg, std::move(tensors));
  for (const auto& a : trace) c.access(a);
  if (flush_at_end) c.flush();
  return c.stats();
}

CacheStats simulate_lru(const CacheConfig& cfg, const LineTrace& trace, bool flush_at_end) {
  return simulate_lru(cfg, trace.accesses(), trace.tensors(), flush_at_end);
}

CacheStats simulate_belady(const CacheConfig& cfg, std::span<const LineAccess> trace,
                           std::vector<TensorRange> tensors, bool flush_at_end) {
  cfg.validate();
  if (cfg.dirty_limit_bytes != 0) throw InputError("Belady simulation takes no dirty limit (LruCache only)");
  CacheStats stats = empty_stats(tensors);
  Accounting acc{stats, cfg.sector_bytes};
  const std::uint64_t n = trace.size();
  std::uint64_t max_line = 0;
  for (const auto& a : trace) {
    max_line = std::max(max_line, a.line);
    if (a.tensor >= stats.tensors.size())
      throw InputError("cache: an access to tensor " + std::to_string(a.tensor) + " of " +
                       std::to_string(stats.tensors.size()));
  }
  // next_use[i]: index of the next access to the same line, n if none.
  std::vector<std::uint64_t> next_use(n), upcoming(n ? max_line + 1 : 0, n);
  for (std::uint64_t i = n; i-- > 0;) {
    next_use[i] = upcoming[trace[i].line];
    upcoming[trace[i].line] = i;
  }
  struct Way {
    std::uint64_t line = kNone, next = 0;
    std::uint32_t valid = 0, dirty = 0;
    std::uint16_t tensor = 0;
  };
  auto evict = [&](Way& w) {
    acc.evicted(w.tensor, w.dirty);
    w.line = kNone;
  };

  if (cfg.ways == 0) {
    const std::uint64_t capacity = cfg.lines();
    std::vector<std::uint64_t> slot_of(n ? max_line + 1 : 0, kNone);
    std::vector<Way> ways;
    ways.reserve(std::min<std::uint64_t>(capacity, n));
    std::priority_queue<std::pair<std::uint64_t, std::uint64_t>> heap;  // (next use, slot), lazily invalidated
    std::vector<std::uint64_t> free_slots;
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto& a = trace[i];
      std::uint64_t s = slot_of[a.line];
      if (s != kNone) {
        acc.present(a, ways[s].valid, ways[s].dirty);
      } else {
        if (ways.size() < capacity) {
          s = ways.size();
          ways.emplace_back();
        } else {
          for (;;) {  // the farthest next use among present lines
            auto [nu, vs] = heap.top();
            heap.pop();
            if (ways[vs].line != kNone && ways[vs].next == nu) {
              s = vs;
              break;
            }
          }
          slot_of[ways[s].line] = kNone;
          evict(ways[s]);
        }
        ways[s].line = a.line;
        ways[s].tensor = a.tensor;
        acc.fill(a, ways[s].valid, ways[s].dirty);
        slot_of[a.line] = s;
      }
      ways[s].next = next_use[i];
      heap.emplace(next_use[i], s);
    }
    if (flush_at_end)
      for (auto& w : ways)
        if (w.line != kNone && w.dirty) acc.write_back(w.tensor, w.dirty);
    return stats;
  }

  const std::uint64_t sets = cfg.sets(), nways = cfg.ways;
  std::vector<Way> store(sets * nways);
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto& a = trace[i];
    Way* set = &store[cfg.set_of(a.line) * nways];
    Way* hit = nullptr;
    Way* victim = set;
    for (std::uint64_t k = 0; k < nways; ++k) {
      Way& w = set[k];
      if (w.line == a.line) {
        hit = &w;
        break;
      }
      if (victim->line != kNone && (w.line == kNone || w.next > victim->next)) victim = &w;
    }
    if (hit) {
      acc.present(a, hit->valid, hit->dirty);
      hit->next = next_use[i];
      continue;
    }
    if (victim->line != kNone) evict(*victim);
    victim->line = a.line;
    victim->tensor = a.tensor;
    victim->next = next_use[i];
    acc.fill(a, victim->valid, victim->dirty);
  }
  if (flush_at_end)
    for (auto& w : store)
      if (w.line != kNone && w.dirty) acc.write_back(w.tensor, w.dirty);
  return stats;
}

}  // namespace iolab::sim::cache
