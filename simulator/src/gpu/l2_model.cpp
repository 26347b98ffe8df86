#include "iolab/sim/gpu/l2_model.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "iolab/sim/errors.hpp"

namespace iolab::sim::gpu {

L2Model::L2Model(const cache::CacheConfig& cfg, const std::vector<cache::TensorRange>& tensors,
                 std::uint32_t partitions, Copies copies, std::uint64_t blocks, double copy_fraction,
                 WriteCopies write_copies)
    : copies_(copies), write_copies_(write_copies), sector_bytes_(cfg.sector_bytes) {
  if (!(copy_fraction >= 0.0 && copy_fraction <= 1.0))
    throw InputError("L2 model: copy fraction " + std::to_string(copy_fraction) + " is not in [0, 1]");
  copy_threshold_ = static_cast<std::uint64_t>(std::llround(copy_fraction * 4294967296.0));
  if (partitions == 1) {
    parts_.push_back(std::make_unique<cache::LruCache>(cfg, tensors));
    return;
  }
  if (partitions != 2) throw InputError("L2 model: 1 or 2 partitions, not " + std::to_string(partitions));
  cache::CacheConfig half = cfg;
  const std::uint64_t unit = std::uint64_t{cfg.line_bytes} * std::max<std::uint64_t>(1, cfg.ways);
  half.capacity_bytes = cfg.capacity_bytes / 2 / unit * unit;
  half.dirty_limit_bytes = cfg.dirty_limit_bytes / 2;
  parts_.push_back(std::make_unique<cache::LruCache>(half, tensors));
  parts_.push_back(std::make_unique<cache::LruCache>(half, tensors));
  if (copies_ == Copies::shared) touched_.assign(blocks, 0);
}

bool L2Model::copyable(std::uint64_t block) const {
  const std::uint64_t h = cache::mix64(block, 3);
  return (h >> 32) < copy_threshold_;
}

bool L2Model::copies_to(std::uint64_t line) const {
  return (copies_ == Copies::always || touched_[line] == 3u) && copyable(line);
}

void L2Model::access(const cache::LineAccess& a, unsigned side) {
  if (parts_.size() == 1) {
    parts_[0]->access(a);
    return;
  }
  side &= 1u;
  const unsigned home = home_of(a.line);
  if (copies_ == Copies::shared) {
    if (a.line >= touched_.size()) throw InputError("L2 model: block " + std::to_string(a.line) + " out of range");
    touched_[a.line] |= static_cast<std::uint8_t>(1u << side);
  }
  cache::LruCache& near = *parts_[side];
  cache::LineAccess copy = a;  // a clean near copy of the sectors, filled from the home partition
  copy.write = false;
  copy.from_peer = true;
  const std::uint64_t request_bytes =
      static_cast<std::uint64_t>(std::popcount(a.sectors)) * sector_bytes_;
  if (a.write) {
    parts_[home]->access(a);
    if (side == home) {
      parts_[1 - home]->invalidate(a.line);
      return;
    }
    fabric_bytes_ += request_bytes;
    if (write_copies_ == WriteCopies::keep && copies_to(a.line)) near.access(copy);
    else near.invalidate(a.line);
    return;
  }
  if (side == home || near.contains(a.line, a.sectors)) {
    near.access(a);
    return;
  }
  fabric_bytes_ += request_bytes;
  parts_[home]->access(a);  // a hit, or a fill from HBM
  if (copies_to(a.line)) near.access(copy);
}

std::uint64_t L2Model::hbm_read_bytes() const {
  std::uint64_t b = 0;
  for (const auto& p : parts_) b += p->stats().hbm_read_bytes;
  return b;
}

std::uint64_t L2Model::hbm_write_bytes() const {
  std::uint64_t b = 0;
  for (const auto& p : parts_) b += p->stats().hbm_write_bytes;
  return b;
}

std::uint64_t L2Model::peer_read_bytes() const {
  std::uint64_t b = 0;
  for (const auto& p : parts_) b += p->stats().peer_read_bytes;
  return b;
}

}  // namespace iolab::sim::gpu
