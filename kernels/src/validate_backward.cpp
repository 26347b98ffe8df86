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
  if (p.dtype != DType::f16 && p.dtype != DType::bf16)
    return Status::error("unsupported dtype " + std::to_string(static_cast<int>(p.dtype)) +
                         " (supported: fp16, bf16)");
  if (!head_dim_supported(static_cast<int>(p.d)) || p.d != static_cast<int>(p.d))
    return Status::error("unsupported head dimension d=" + s(p.d) + " (supported: 64, 128)");
  if (p.n < 1) return Status::error("sequence length N must be >= 1 (got " + s(p.n) + ")");
  if (p.batch < 1) return Status::error("batch must be >= 1 (got " + s(p.batch) + ")");
  if (p.heads < 1) return Status::error("heads must be >= 1 (got " + s(p.heads) + ")");
  if (p.batch > kMaxGridDim) return Status::error("batch=" + s(p.batch) + " exceeds 65535");
  if (p.heads > kMaxGridDim) return Status::error("heads=" + s(p.heads) + " exceeds 65535");
  if (!product_within({p.batch, p.heads, p.n, p.d}, kInt32Max))
    return Status::error("shape overflows int32 indexing: batch*heads*N*d = " + s(p.batch) + "*" + s(p.heads) +
                         "*" + s(p.n) + "*" + s(p.d) + " > 2^31-1");
  if (!std::isfinite(p.scale) || p.scale < 0.0f)
    return Status::error("scale must be finite and >= 0 (0 selects 1/sqrt(d))");
  for (const Status& st :
       {check_pointer(p.q, "q", 16), check_pointer(p.k, "k", 16), check_pointer(p.v, "v", 16),
        check_pointer(p.o, "o", 16), check_pointer(p.dout, "dout", 16), check_pointer(p.lse, "lse", 4),
        check_pointer(p.dq, "dq", 16), check_pointer(p.dk, "dk", 16), check_pointer(p.dv, "dv", 16)}) {
    if (!st.ok) return st;
  }
  const std::size_t need = workspace_size_backward(p);
  if (p.workspace == nullptr)
    return Status::error("flash2_bwd needs a workspace of " + std::to_string(need) + " bytes; workspace is a null pointer");
  if (reinterpret_cast<std::uintptr_t>(p.workspace) % 16 != 0) return Status::error("workspace is not 16-byte aligned");
  if (p.workspace_bytes < need)
    return Status::error("flash2_bwd needs a workspace of " + std::to_string(need) + " bytes, got " +
                         std::to_string(p.workspace_bytes));
  return Status::success();
}

}  // namespace iolab::kernels
