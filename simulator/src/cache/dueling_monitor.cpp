#include "iolab/sim/cache/dueling_monitor.hpp"

#include <algorithm>
#include <string>

#include "iolab/sim/cache/cache_model.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim::cache {
namespace {

CacheConfig shadow_config(const CacheConfig& cache, Replacement r) {
  CacheConfig c = cache;
  c.replacement = r;
  c.dirty_limit_bytes = 0;
  c.capacity_bytes = std::max<std::uint64_t>(1, cache.lines() / DuelingMonitor::kSampleRate) * cache.line_bytes;
  return c;
}

}  // namespace

DuelingMonitor::DuelingMonitor(const CacheConfig& cache, const std::vector<TensorRange>& tensors) {
  if (cache.ways != 0) {
    if (cache.sets() < kMinSets)
      throw InputError("drrip needs a fully associative cache or at least " + std::to_string(kMinSets) +
                       " sets (leader sets), not " + std::to_string(cache.sets()));
    return;
  }
  srrip_ = std::make_unique<LruCache>(shadow_config(cache, Replacement::srrip), tensors);
  brrip_ = std::make_unique<LruCache>(shadow_config(cache, Replacement::brrip), tensors);
}

DuelingMonitor::~DuelingMonitor() = default;
DuelingMonitor::DuelingMonitor(DuelingMonitor&&) noexcept = default;
DuelingMonitor& DuelingMonitor::operator=(DuelingMonitor&&) noexcept = default;

bool DuelingMonitor::sampled(std::uint64_t line) {
  // A multiplicative hash other than the set index's (CacheConfig::set_of).
  return ((line * 0xD6E8FEB86659FD93ull) >> 32) % kSampleRate == 0;
}

void DuelingMonitor::vote(int delta) { selector_ = std::clamp(selector_ + delta, -kSelectorLimit, kSelectorLimit - 1); }

void DuelingMonitor::observe(const LineAccess& a) {
  if (!srrip_ || !sampled(a.line)) return;
  const std::uint64_t s0 = srrip_->stats().misses, b0 = brrip_->stats().misses;
  srrip_->access(a);
  brrip_->access(a);
  vote(static_cast<int>(srrip_->stats().misses - s0) - static_cast<int>(brrip_->stats().misses - b0));
}

void DuelingMonitor::record_miss(std::uint64_t set) {
  if (srrip_) return;
  if (set % kSampleRate == 0) vote(+1);
  else if (set % kSampleRate == 1) vote(-1);
}

bool DuelingMonitor::bimodal(std::uint64_t set) const {
  if (!srrip_) {
    if (set % kSampleRate == 0) return false;
    if (set % kSampleRate == 1) return true;
  }
  return selector_ > 0;
}

}  // namespace iolab::sim::cache
