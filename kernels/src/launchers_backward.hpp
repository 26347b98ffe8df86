// Internal: launchers of the backward kernels.  Each assumes validate_backward() has passed.
#pragma once

#include <cuda_runtime.h>

#include "iolab/kernels/attention_backward.hpp"

namespace iolab::kernels::detail {

// Delta (+ zeroing of the dQ accumulator), the K/V-block kernel, and the dQ
// conversion (atomic mode) or the deterministic dQ kernel.
Status launch_flash2_bwd(const AttentionBackwardParams& p, float scale, cudaStream_t stream);

// Deterministic mode: dQ by one thread block per Q block (flash2_bwd_dq.cu).
Status launch_flash2_bwd_dq(const AttentionBackwardParams& p, float scale, cudaStream_t stream);

}  // namespace iolab::kernels::detail
