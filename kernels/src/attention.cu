// Host entry point: validate, check the device, dispatch.
#include <cuda_runtime.h>

#include <string>

#include "launchers.hpp"

namespace iolab::kernels {

Status detail::current_device_major(int& major) {
  int dev = 0;
  cudaError_t err = cudaGetDevice(&dev);
  if (err != cudaSuccess) return Status::error(std::string("no usable CUDA device: ") + cudaGetErrorString(err));
  err = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
  if (err != cudaSuccess) return Status::error(std::string("cannot query the device: ") + cudaGetErrorString(err));
  return Status::success();
}

Status attention_forward(KernelKind kind, const AttentionParams& p) {
  Status st = validate(kind, p);
  if (!st.ok) return st;

  int major = 0;
  if (st = detail::current_device_major(major); !st.ok) return st;
  if (major < 8) return Status::error("the attention kernels need compute capability 8.0 or newer (mma.sync bf16, cp.async)");

  const float scale = effective_scale(p);
  auto stream = static_cast<cudaStream_t>(p.stream);
  switch (kind) {
    case KernelKind::standard: return detail::launch_standard(p, scale, stream);
    case KernelKind::flash1: return detail::launch_flash1(p, scale, stream);
    case KernelKind::flash2: return detail::launch_flash2(p, scale, stream);
    case KernelKind::flash2_hopper:
      if (major != 9)
        return Status::error("flash2_hopper needs a Hopper GPU (compute capability 9.0, sm_90a: wgmma, TMA)");
      return detail::launch_flash2_hopper(p, scale, stream);
  }
  return Status::error("unknown kernel kind");
}

void release_cached_resources() { detail::release_cublas_handles(); }

}  // namespace iolab::kernels
