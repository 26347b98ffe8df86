// Host-side argument validation of the backward (no CUDA dependency), so the
// CPU-only test can exercise every rejection path.
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "validate_common.hpp"
#include "iolab/kernels/attention_backward.hpp"

namespace iolab::kernels {
using detail::check_pointer;
using detail::kInt32Max;
using detail::kMaxGridDim;
using detail::product_within;
using detail::s;

float effective_scale_backward(const AttentionBackwardParams& p) {
  if (p.scale != 0.0f) return p.scale;
  return p.d > 0 ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(p.d))) : 0.0f;
}

std::size_t workspace_size_backward(const AttentionBackwardParams& p) {
  if (!product_within({p.batch, p.heads, p.n, p.d}, kInt32Max)) return 0;
  return workspace_bytes_backward(p.batch, p.heads, p.n, p.d, p.deterministic);
}

Status validate_backward(const AttentionBackwardParams& p) {
  if (Status st = detail::check_shape(p.dtype, p.batch, p.heads, p.n, p.d, p.scale, [] { return Status::success(); });
      !st.ok)
    return st;
  for (const Status& st :
       {check_pointer(p.q, "q", 16), check_pointer(p.k, "k", 16), check_pointer(p.v, "v", 16),
        check_pointer(p.o, "o", 16), check_pointer(p.dout, "dout", 16), check_pointer(p.lse, "lse", 4),
        check_pointer(p.dq, "dq", 16), check_pointer(p.dk, "dk", 16), check_pointer(p.dv, "dv", 16)}) {
    if (!st.ok) return st;
  }
  return detail::check_workspace("flash2_bwd", p.workspace, p.workspace_bytes, workspace_size_backward(p));
}

}  // namespace iolab::kernels
