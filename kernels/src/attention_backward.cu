// Host entry point of the backward: validate, check the device, dispatch.
#include <cuda_runtime.h>

#include <string>

#include "launchers_backward.hpp"

namespace iolab::kernels {

Status attention_backward(const AttentionBackwardParams& p) {
  Status st = validate_backward(p);
  if (!st.ok) return st;
  int dev = 0;
  cudaError_t err = cudaGetDevice(&dev);
  if (err != cudaSuccess) return Status::error(std::string("no usable CUDA device: ") + cudaGetErrorString(err));
  int major = 0;
  err = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
  if (err != cudaSuccess) return Status::error(std::string("cannot query the device: ") + cudaGetErrorString(err));
  if (major < 8) return Status::error("the backward kernels need compute capability 8.0 or newer (mma.sync bf16, cp.async)");
  return detail::launch_flash2_bwd(p, effective_scale_backward(p), static_cast<cudaStream_t>(p.stream));
}

}  // namespace iolab::kernels
