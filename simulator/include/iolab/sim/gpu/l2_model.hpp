#pragma once
// The GPU model's L2: one cache, or two partitions with copies between them.
//
// Contract:
//  * One partition: every access goes to one cache::LruCache of the given configuration.
//  * Two partitions (H100/H200 split their L2 in two; which SMs use which half and how lines are copied
//    is not documented, so this is a model to test against measurements, not a description):
//    two caches, each of half the capacity and half the dirty limit (rounded down to whole sets). A request
//    comes from side 0 or 1 (a half of the SMs). Every block has a home partition, home_of(block).
//    - A read looks in its side's (near) partition. It is served there when the near partition holds the
//      sectors or is the home (a miss there fetches from HBM). Otherwise the home serves it (a hit, or a
//      fill from HBM) and the near partition gets a clean copy (LineAccess::from_peer: no HBM bytes):
//      always (Copies::always), or only once both sides have touched the block (Copies::shared); and, with a
//      copy fraction f < 1, only for the blocks in a fixed hashed subset of about f of them (copyable(block)).
//    - A write goes to the home partition (write-allocate, dirty there), and dirty data lives only in home
//      partitions. The partition that is not the home, when it is the writer's near one, drops its copy
//      (WriteCopies::drop) or keeps a clean, up-to-date copy, taking one as a read would
//      (WriteCopies::keep: a line a far SM reads and writes occupies both halves, as a read-only one
//      does); when it is the far one for the writer, it drops its copy either way.
//  * hbm_read_bytes / hbm_write_bytes: bytes filled from and written back to HBM, all partitions summed.
//  * fabric_bytes: bytes of the requests one partition forwards to the other, i.e. reads its near
//    partition does not serve and writes to a far home (sectors requested x sector bytes; what
//    lts__t_sectors_srcunit_ltcfabric counts on the GPU). 0 with one partition.
#include <cstdint>
#include <memory>
#include <vector>

#include "iolab/sim/cache/cache_model.hpp"
#include "iolab/sim/cache/mix_hash.hpp"

namespace iolab::sim::gpu {

enum class L2Copies { shared, always };   ///< near copies of blocks both sides use, or of every far block
enum class L2Sides { halves, parity };     ///< SMs [0, sms/2) and [sms/2, sms), or even and odd SMs
enum class L2WriteCopies { drop, keep };   ///< a write from a far SM drops its near copy, or keeps it

class L2Model {
 public:
  using Copies = L2Copies;
  using WriteCopies = L2WriteCopies;
  /// partitions: 1 or 2; blocks: number of distinct line indices the accesses may use (Copies::shared
  /// keeps a byte per block); copy_fraction in [0, 1]: the share of blocks that may get near copies
  /// (InputError outside).
  L2Model(const cache::CacheConfig& cfg, const std::vector<cache::TensorRange>& tensors, std::uint32_t partitions,
          Copies copies, std::uint64_t blocks, double copy_fraction = 1.0,
          WriteCopies write_copies = WriteCopies::drop);
  void access(const cache::LineAccess& a, unsigned side);
  static unsigned home_of(std::uint64_t block) { return static_cast<unsigned>(cache::mix64(block, 2) >> 63); }
  /// Whether a block may get near copies: a hash of it (unrelated to home_of's) below the copy fraction.
  bool copyable(std::uint64_t block) const;
  std::uint64_t hbm_read_bytes() const;
  std::uint64_t hbm_write_bytes() const;
  /// Bytes copied between partitions (near copies), all partitions summed.
  std::uint64_t peer_read_bytes() const;
  std::uint64_t fabric_bytes() const { return fabric_bytes_; }
  const cache::LruCache& partition(unsigned p) const { return *parts_.at(p); }

 private:
  /// Whether a far read (or, with WriteCopies::keep, write) of `line` leaves a near copy: the copies
  /// policy and copyable().
  bool copies_to(std::uint64_t line) const;
  Copies copies_;
  WriteCopies write_copies_;
  std::uint32_t sector_bytes_;
  std::uint64_t fabric_bytes_ = 0;
  std::uint64_t copy_threshold_;  ///< copyable(b): 32-bit hash of b < copy_threshold_ (2^32: every block)
  std::vector<std::unique_ptr<cache::LruCache>> parts_;
  std::vector<std::uint8_t> touched_;  ///< Copies::shared: per block, bit s set once side s touched it
};

}  // namespace iolab::sim::gpu
