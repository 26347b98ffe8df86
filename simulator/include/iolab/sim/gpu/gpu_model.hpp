#pragma once
// A three-level GPU model: SRAM (shared memory of each SM), a shared L2, and
// DRAM (HBM). The CTAs of each launch run in waves over the SMs (resident
// CTAs = SMs x CTAs per SM); their tile transfers are interleaved round-robin,
// one transfer per resident CTA per step, and pass through the L2, modelled
// as a fully associative LRU cache of 1 KiB blocks with 32-byte sectors,
// write-back and write-allocate (see cache/cache_model.hpp). The L2 keeps its
// contents from one launch to the next within a forward pass; dirty lines
// left at the end are not written back (as a real kernel's end does not).
//
// Predicted per kernel (all launches summed): SRAM<-L2 and SRAM->L2 bytes
// (what the schedule moves: the quantity Theta(N^2 d^2/M) describes), DRAM
// bytes read and written, and a runtime: per launch the largest of FLOPs over
// the matrix ceiling, DRAM bytes over DRAM bandwidth and L2 bytes over L2
// bandwidth, plus a launch overhead.
#include <cstdint>
#include <string>
#include <vector>

#include "iolab/sim/gpu/gpu_spec.hpp"
#include "iolab/sim/gpu/kernel_replay.hpp"

namespace iolab::sim::gpu {

struct LaunchPrediction {
  std::string name;
  std::uint64_t sram_read_bytes = 0, sram_write_bytes = 0;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  double flops = 0, time_s = 0;
  std::string bound_by;  ///< "compute", "dram", "l2" or "launch"
};

struct KernelPrediction {
  KernelShape shape;
  std::vector<LaunchPrediction> launches;
  std::uint64_t sram_read_bytes = 0, sram_write_bytes = 0;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  double time_s = 0;
};

struct ModelOptions {
  std::uint32_t block_bytes = 1024;  ///< L2 model granularity (a multiple of 32)
};

KernelPrediction predict(const KernelShape& shape, const GpuSpec& spec, const ModelOptions& opts = {});

}  // namespace iolab::sim::gpu
