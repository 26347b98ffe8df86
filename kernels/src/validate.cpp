// Host-side argument validation: no CUDA dependency, so the CPU-only test can
// exercise every rejection path.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "validate_common.hpp"
#include "iolab/kernels/attention.hpp"

namespace iolab::kernels {
using detail::check_pointer;
using detail::kInt32Max;
using detail::kMaxGridDim;
using detail::product_within;
using detail::s;

float effective_scale(const AttentionParams& p) {
  if (p.scale != 0.0f) return p.scale;
  return p.d > 0 ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(p.d))) : 0.0f;
}

std::size_t workspace_size(KernelKind kind, const AttentionParams& p) {
  if (!product_within({p.batch, p.heads, p.n, p.d}, kInt32Max)) return 0;
  if (kind == KernelKind::standard && !product_within({p.n, p.n}, kInt32Max)) return 0;
  return workspace_bytes_for(kind, p.batch, p.heads, p.n, p.d);
}

Status validate(KernelKind kind, const AttentionParams& p) {
  if (kind != KernelKind::standard && kind != KernelKind::flash1 && kind != KernelKind::flash2 &&
      kind != KernelKind::flash2_hopper)
    return Status::error("unknown kernel kind " + std::to_string(static_cast<int>(kind)));
  if (Status st = detail::check_shape(p.dtype, p.batch, p.heads, p.n, p.d, p.scale, [&] {
        if (kind == KernelKind::standard && !product_within({p.n, p.n}, kInt32Max))
          return Status::error("standard materialises S and P: N*N = " + s(p.n) + "^2 overflows int32 (N <= 46340)");
        return Status::success();
      });
      !st.ok)
    return st;

  for (const Status& st : {check_pointer(p.q, "q", 16, true), check_pointer(p.k, "k", 16, true),
                           check_pointer(p.v, "v", 16, true), check_pointer(p.o, "o", 16, true),
                           check_pointer(p.lse, "lse", 4, false)}) {
    if (!st.ok) return st;
  }
  if (p.cta_trace != nullptr && kind == KernelKind::standard)
    return Status::error("cta_trace is written by flash1, flash2 and flash2_hopper, not standard");
  if (Status st = check_pointer(p.cta_trace, "cta_trace", 8, false); !st.ok) return st;
  return detail::check_workspace(kernel_name(kind), p.workspace, p.workspace_bytes, workspace_size(kind, p));
}

}  // namespace iolab::kernels
