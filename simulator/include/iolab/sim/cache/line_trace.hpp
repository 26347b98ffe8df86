#pragma once
// Turning tile transfers into the cache-line accesses a hardware cache between
// HBM and SRAM would see.
//
// Contract:
//  * Every HBM tensor gets a base address in one flat byte address space, in
//    creation order, each aligned to `line_bytes`; tensors are row-major with
//    their own element size (fp32 statistics included).
//  * A load of a view becomes read accesses, a store write accesses, to every
//    line the view's bytes touch, in row order; an access names the line, the
//    sectors touched (bit s = sector s of the line) and the tensor.
//  * Contiguous rows (a view spanning whole rows) touch each line once.
#include <cstdint>
#include <string>
#include <vector>

#include "iolab/sim/observer.hpp"

namespace iolab::sim::cache {

struct LineAccess {
  std::uint64_t line;     ///< line index in the flat address space
  std::uint32_t sectors;  ///< bit mask of the sectors touched
  std::uint16_t tensor;   ///< index into LineTrace::tensors()
  bool write;
  /// A read whose missing sectors come from a peer cache, not from HBM (LruCache counts them as
  /// CacheStats::peer_read_bytes): a copy between L2 partitions.
  bool from_peer = false;
};

struct TensorRange {
  std::string name;
  std::uint64_t base_bytes, size_bytes;
};

class LineTrace : public TransferObserver {
 public:
  /// line_bytes and sector_bytes are powers of two, sector_bytes divides line_bytes, at most 32 sectors a line.
  LineTrace(std::uint32_t line_bytes, std::uint32_t sector_bytes);

  void on_tensor(const HbmTensor& t) override;
  void on_transfer(const TransferEvent& e) override;

  const std::vector<LineAccess>& accesses() const { return accesses_; }
  const std::vector<TensorRange>& tensors() const { return tensors_; }
  std::uint32_t line_bytes() const { return line_bytes_; }
  std::uint32_t sector_bytes() const { return sector_bytes_; }
  /// Lines in the address space (an upper bound of the line indices + 1).
  std::uint64_t line_count() const { return (next_base_ + line_bytes_ - 1) / line_bytes_; }

 private:
  void touch(std::uint64_t begin, std::uint64_t end, std::uint16_t tensor, bool write);
  std::uint32_t line_bytes_, sector_bytes_;
  std::uint64_t next_base_ = 0;
  std::vector<TensorRange> tensors_;
  std::vector<const HbmTensor*> tensor_ptrs_;
  std::vector<LineAccess> accesses_;
};

}  // namespace iolab::sim::cache
