#pragma once
// Machine presets: the paper's abstract machine and real GPUs. Each preset
// records where its figures come from; `iolab presets` prints them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iolab::sim {

struct MachinePreset {
  std::string name;         ///< "paper", "a100", "h100", "h200"
  std::string description;
  std::uint64_t sram_bytes;  ///< SRAM one thread block can use (the model's M, in bytes)
  double hbm_bytes_per_s;    ///< HBM bandwidth, bytes per second
  std::uint64_t l2_bytes;    ///< L2 cache size in bytes (0: not modelled)
  int sm_count;              ///< streaming multiprocessors (0: abstract)
  double peak_fp16_flops;    ///< dense fp16/bf16 tensor-core peak, FLOP/s (0: abstract)
  std::string source;        ///< where the figures come from
};

const std::vector<MachinePreset>& presets();

/// Looks a preset up by name; throws InputError listing the known names.
const MachinePreset& preset(std::string_view name);

}  // namespace iolab::sim
