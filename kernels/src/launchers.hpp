// Internal: per-kernel launchers.  Each assumes validate() has passed.
#pragma once

#include <cuda_runtime.h>

#include "iolab/kernels/attention.hpp"

namespace iolab::kernels::detail {

Status launch_standard(const AttentionParams& p, float scale, cudaStream_t stream);
Status launch_flash1(const AttentionParams& p, float scale, cudaStream_t stream);
Status launch_flash2(const AttentionParams& p, float scale, cudaStream_t stream);
Status launch_flash2_hopper(const AttentionParams& p, float scale, cudaStream_t stream);
void release_cublas_handles();
// Compute-capability major of the current device, or an error status.
Status current_device_major(int& major);

}  // namespace iolab::kernels::detail
