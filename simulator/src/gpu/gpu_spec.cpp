#include "iolab/sim/gpu/gpu_spec.hpp"

#include "iolab/sim/errors.hpp"

namespace iolab::sim::gpu {

const GpuSpec& gpu_spec(std::string_view name) {
  // DRAM and cuBLAS rates: measured on the lent machines (device/KINDS.md: a large device-to-device copy,
  // bytes read + written, and an 8192^3 bf16 matrix product on random data). L2 bandwidth: FlashAttention-3
  // paper, Table 1 (H100, 12 TB/s). mma.sync ceiling: the best FlashAttention-2 (mma.sync) forward figure on
  // an H100, 370 TFLOP/s (FlashAttention-3 paper, Fig. 5, d = 128, N = 16k): Hopper runs Ampere-style
  // mma.sync well below its wgmma rate. Special functions: 3.9 TFLOP/s (FlashAttention-3 paper, Sec. 3.1, H100;
  // the H200 has the same SMs). L2 size and SM count as PyTorch reports them on the lent machines; the model
  // uses half of the L2 (see gpu_spec.hpp).
  static const GpuSpec h100{"h100", 132, 50ull << 20, 25ull << 20, 228ull << 10, 3.0e12, 12e12, 370e12, 798e12, 3.9e12, 4e-6,
                            "device/KINDS.md (H100 copy 3.0 TB/s, bf16 GEMM 798 TFLOP/s, 132 SMs, 50 MB L2); "
                            "FlashAttention-3 paper Table 1 (L2 12 TB/s), Fig. 5 (FA2 370 TFLOP/s), Sec. 3.1 (3.9 TFLOP/s exp)"};
  static const GpuSpec h200{"h200", 132, 60ull << 20, 30ull << 20, 228ull << 10, 4.3e12, 12e12, 370e12, 788e12, 3.9e12, 4e-6,
                            "device/KINDS.md (H200 copy 4.3 TB/s, bf16 GEMM 788 TFLOP/s, 132 SMs, 60 MB L2); "
                            "FlashAttention-3 paper Table 1 (L2 12 TB/s), Fig. 5 (FA2 370 TFLOP/s on H100), Sec. 3.1 (3.9 TFLOP/s exp)"};
  if (name == "h100") return h100;
  if (name == "h200") return h200;
  throw InputError("unknown GPU '" + std::string(name) + "' for the GPU model (known: h100, h200)");
}

}  // namespace iolab::sim::gpu
