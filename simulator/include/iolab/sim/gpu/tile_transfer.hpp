#pragma once
// One tile transfer of a thread block (CTA) of a real kernel, in bytes of one
// HBM tensor: `rows` segments of `row_bytes` bytes, the first at `offset`,
// each `stride` bytes after the previous (stride == row_bytes: contiguous).
// `l1`: a plain global load or store (ld.global / st.global), which the SM's
// L1 caches (stores write through and keep the line); cp.async.cg and TMA
// copies bypass the L1 (l1 = false).
#include <cstdint>

namespace iolab::sim::gpu {

struct TileTransfer {
  std::uint16_t tensor = 0;
  bool write = false;
  std::uint64_t offset = 0;
  std::uint64_t row_bytes = 0;
  std::uint64_t rows = 1;
  std::uint64_t stride = 0;
  bool l1 = false;
  std::uint64_t bytes() const { return row_bytes * rows; }
};

}  // namespace iolab::sim::gpu
