#include "iolab/sim/presets.hpp"

#include "iolab/sim/errors.hpp"

namespace iolab::sim {

const std::vector<MachinePreset>& presets() {
  static const std::vector<MachinePreset> kPresets{
      {"paper", "the paper's abstract machine: M around 100 KB, A100-class HBM", 100 * 1000, 1.5e12, 0, 0,
       0.0,
       "Dao et al. 2022, Sec. 3.2 ('M (around 100KB)') and Sec. 2.1 (HBM 1.5-2.0 TB/s; lower end taken)"},
      {"a100", "NVIDIA A100 SXM4 80GB", 163 * 1024, 2.039e12, 40ull * 1024 * 1024, 108, 312e12,
       "CUDA C++ Programming Guide, compute capability 8.0 (163 KiB shared memory per block); "
       "A100 datasheet (2,039 GB/s HBM2e, 40 MB L2, 108 SMs, 312 TFLOP/s dense fp16)"},
      {"h100", "NVIDIA H100 SXM5 80GB", 227 * 1024, 3.35e12, 50ull * 1024 * 1024, 132, 989e12,
       "CUDA C++ Programming Guide, compute capability 9.0 (227 KiB shared memory per block); "
       "H100 datasheet and FlashAttention-3 Table 1 (3.35 TB/s HBM3, 50 MiB L2, 132 SMs, 989 TFLOP/s dense fp16)"},
      {"h200", "NVIDIA H200 SXM 141GB", 227 * 1024, 4.8e12, 60ull * 1000 * 1000, 132, 989e12,
       "CUDA C++ Programming Guide, compute capability 9.0 (227 KiB shared memory per block); "
       "H200 datasheet (4.8 TB/s HBM3e, 989 TFLOP/s dense fp16); 60 MB L2 and 132 SMs as PyTorch "
       "reported on the lent H200 (device/KINDS.md)"},
  };
  return kPresets;
}

const MachinePreset& preset(std::string_view name) {
  std::string known;
  for (const auto& p : presets()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw InputError("unknown preset '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace iolab::sim
