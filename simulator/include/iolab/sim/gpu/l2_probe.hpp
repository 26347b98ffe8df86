#pragma once
// The schedule of kernels/bench/l2_capacity_probe.cu as a replay for the GPU model, so that the L2 model
// can be calibrated on a kernel whose traffic is known exactly (issue 4).
//
// One CTA per SM (grid = `sms`, 512 threads); the buffer is `sms` chunks of `chunk_bytes` bytes. In each of
// `passes` passes a CTA walks one chunk from its start in steps of 8 KiB (512 threads x 16 bytes), each
// step a load and, with `rmw`, a store of the same bytes; mode private: CTA b walks chunk b; rotate: chunk
// (b + p * (sms / 2)) mod sms in pass p; shared: every chunk in each pass, b, b + 1, ..., b - 1 (mod sms),
// loads only; write: one pass of stores only; mixed: private, and before each pass the CTAs of a group
// (`group` consecutive CTAs, ceil(sms / group) groups) read one slice of `stream_slice_bytes` of a second
// tensor, "stream", in 8 KiB steps: slice p x groups + b / group in pass p (each slice read in one pass only,
// by the CTAs of one group); fill: write mode after each CTA has read its group's slice of the stream (one pass).
#include <cstdint>
#include <string>

#include "iolab/sim/gpu/kernel_replay.hpp"

namespace iolab::sim::gpu {

struct L2ProbeShape {
  std::string mode;  ///< private, rotate, shared, write, mixed, fill
  bool rmw = false;
  std::uint64_t chunk_bytes = 0;  ///< a multiple of 16
  std::uint32_t passes = 1;
  std::uint32_t sms = 132;
  std::uint64_t stream_slice_bytes = 0;  ///< mixed and fill only: a positive multiple of 16
  std::uint32_t group = 16;              ///< mixed and fill only: CTAs that read one slice
};

/// InputError for an unknown mode, chunk_bytes not a positive multiple of 16, passes or sms < 1, write or fill
/// mode with rmw or more than one pass, shared mode with rmw, a stream slice outside mixed and fill modes, or
/// in those a slice that is not a positive multiple of 16 or a group < 1.
KernelReplay replay_l2_probe(const L2ProbeShape& shape);

}  // namespace iolab::sim::gpu
