// Host entry point of the backward: validate, check the device, dispatch.
#include <cuda_runtime.h>

#include <string>

#include "launchers.hpp"
#include "launchers_backward.hpp"

namespace iolab::kernels {

Status attention_backward(const AttentionBackwardParams& p) {
  Status st = validate_backward(p);
  if (!st.ok) return st;
  int major = 0;
  if (st = detail::current_device_major(major); !st.ok) return st;
  if (major < 8) return Status::error("the backward kernels need compute capability 8.0 or newer (mma.sync bf16, cp.async)");
  return detail::launch_flash2_bwd(p, effective_scale_backward(p), static_cast<cudaStream_t>(p.stream));
}

}  // namespace iolab::kernels
