// CPU-only test of the host-side validation (no GPU, no CUDA runtime): every
// invalid argument must be rejected with a message, and valid ones accepted.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "host_half.hpp"
#include "iolab/kernels/attention.hpp"

using namespace iolab::kernels;

namespace {

int failures = 0;

void expect(bool cond, const std::string& what) {
  std::printf("%s  %s\n", cond ? "ok  " : "FAIL", what.c_str());
  if (!cond) ++failures;
}

// Fake, suitably aligned addresses: validate() never dereferences them.
alignas(256) unsigned char arena[4096];

AttentionParams valid_params() {
  AttentionParams p;
  p.q = arena;
  p.k = arena + 256;
  p.v = arena + 512;
  p.o = arena + 768;
  p.lse = reinterpret_cast<float*>(arena + 1024);
  p.batch = 2;
  p.heads = 3;
  p.n = 100;
  p.d = 64;
  p.dtype = DType::f16;
  return p;
}

AttentionParams with_workspace(AttentionParams p, KernelKind k) {
  p.workspace = arena + 2048;
  p.workspace_bytes = workspace_size(k, p);
  return p;
}

void expect_reject(KernelKind k, const AttentionParams& p, const std::string& what, const std::string& needle) {
  const Status st = validate(k, p);
  const bool ok = !st.ok && !st.message.empty() && st.message.find(needle) != std::string::npos;
  expect(ok, std::string(kernel_name(k)) + ": rejects " + what + " -> \"" + st.message + "\"");
}

}  // namespace

int main() {
  const KernelKind kinds[] = {KernelKind::standard, KernelKind::flash1, KernelKind::flash2, KernelKind::flash2_hopper};
  for (KernelKind k : kinds) {
    const AttentionParams good = with_workspace(valid_params(), k);
    {
      const Status st = validate(k, good);
      expect(st.ok, std::string(kernel_name(k)) + ": accepts a valid fp16 d=64 problem" +
                        (st.ok ? "" : " (" + st.message + ")"));
    }
    for (int d : {64, 128}) {
      for (DType t : {DType::f16, DType::bf16}) {
        AttentionParams p = good;
        p.d = d;
        p.dtype = t;
        p = with_workspace(p, k);
        expect(validate(k, p).ok, std::string(kernel_name(k)) + ": accepts d=" + std::to_string(d) + " " +
                                      dtype_name(t));
      }
    }
    AttentionParams p = good;
    p.lse = nullptr;
    expect(validate(k, p).ok, std::string(kernel_name(k)) + ": accepts lse == nullptr (optional)");
    p = good;
    p.n = 1;
    p = with_workspace(p, k);
    expect(validate(k, p).ok, std::string(kernel_name(k)) + ": accepts N = 1");

    p = good; p.q = nullptr;                           expect_reject(k, p, "null q", "q is a null pointer");
    p = good; p.k = nullptr;                           expect_reject(k, p, "null k", "k is a null pointer");
    p = good; p.v = nullptr;                           expect_reject(k, p, "null v", "v is a null pointer");
    p = good; p.o = nullptr;                           expect_reject(k, p, "null o", "o is a null pointer");
    p = good; p.q = arena + 2;                         expect_reject(k, p, "misaligned q", "q is not 16-byte aligned");
    p = good; p.k = arena + 8;                         expect_reject(k, p, "misaligned k", "k is not 16-byte aligned");
    p = good; p.v = arena + 4;                         expect_reject(k, p, "misaligned v", "v is not 16-byte aligned");
    p = good; p.o = arena + 264;                       expect_reject(k, p, "misaligned o", "o is not 16-byte aligned");
    p = good; p.lse = reinterpret_cast<float*>(arena + 1026);
    expect_reject(k, p, "misaligned lse", "lse is not 4-byte aligned");
    p = good; p.n = 0;                                 expect_reject(k, p, "N = 0", "N must be >= 1");
    p = good; p.n = -5;                                expect_reject(k, p, "N < 0", "N must be >= 1");
    p = good; p.batch = 0;                             expect_reject(k, p, "batch = 0", "batch must be >= 1");
    p = good; p.heads = 0;                             expect_reject(k, p, "heads = 0", "heads must be >= 1");
    p = good; p.heads = 70000;                         expect_reject(k, p, "heads > 65535", "exceeds 65535");
    for (std::int64_t d : {0, 32, 96, 80, 256, 127}) {
      p = good;
      p.d = d;
      expect_reject(k, p, "d = " + std::to_string(d), "unsupported head dimension");
    }
    p = good; p.d = (std::int64_t{1} << 32) + 64;      expect_reject(k, p, "d = 2^32 + 64", "unsupported head dimension");
    p = good; p.dtype = static_cast<DType>(7);         expect_reject(k, p, "dtype 7", "unsupported dtype");
    p = good; p.batch = 1024; p.heads = 1024; p.n = 64;
    expect_reject(k, p, "batch*heads*N*d = 2^32", "overflows int32");
    p = good; p.batch = 1; p.heads = 1; p.n = std::int64_t{1} << 40; p.d = 128;
    expect_reject(k, p, "N = 2^40", "overflows int32");
    p = good; p.scale = -1.0f;                         expect_reject(k, p, "negative scale", "scale");
    p = good; p.scale = 1.0f / 0.0f;                   expect_reject(k, p, "infinite scale", "scale");
    if (k == KernelKind::standard || k == KernelKind::flash1) {
      p = good; p.workspace = nullptr;                 expect_reject(k, p, "missing workspace", "workspace");
      p = good; p.workspace_bytes -= 1;                expect_reject(k, p, "short workspace", "workspace");
      p = good; p.workspace = arena + 2056;            expect_reject(k, p, "misaligned workspace", "workspace");
    } else {
      expect(workspace_size(k, good) == 0, std::string(kernel_name(k)) + ": needs no workspace");
    }
    p = good;
    p.cta_trace = reinterpret_cast<std::uint64_t*>(arena + 512);
    if (k != KernelKind::standard) {
      expect(validate(k, p).ok, std::string(kernel_name(k)) + ": accepts a cta_trace buffer");
      p.cta_trace = reinterpret_cast<std::uint64_t*>(arena + 516);
      expect_reject(k, p, "misaligned cta_trace", "cta_trace is not 8-byte aligned");
    } else {
      expect_reject(k, p, "a cta_trace buffer", "cta_trace is written by flash1, flash2 and flash2_hopper, not standard");
    }
  }
  {
    AttentionParams p = valid_params();
    p.batch = 1; p.heads = 1; p.n = 50000; p.d = 64;
    p = with_workspace(p, KernelKind::standard);
    expect_reject(KernelKind::standard, p, "N = 50000 (N*N > 2^31-1)", "N*N");
    p = with_workspace(p, KernelKind::flash2);
    expect(validate(KernelKind::flash2, p).ok, "flash2: accepts N = 50000 (no N*N buffer)");
  }
  {
    AttentionParams p = valid_params();
    p.batch = 3; p.heads = 5; p.n = 1000; p.d = 128;
    expect(workspace_size(KernelKind::standard, p) == 2 * align_up(15ull * 1000 * 1000 * 2, 256),
           "standard workspace = S + P");
    expect(workspace_size(KernelKind::flash1, p) ==
               align_up(15ull * 1000 * 128 * 4, 256) + 2 * align_up(15ull * 1000 * 4, 256),
           "flash1 workspace = O + l + m (fp32)");
    expect(effective_scale(p) == static_cast<float>(1.0 / std::sqrt(128.0)), "default scale is 1/sqrt(d)");
    p.scale = 0.5f;
    expect(effective_scale(p) == 0.5f, "explicit scale is kept");
  }
  {
    constexpr KernelTiling t = tiling(KernelKind::flash2, 128, DType::bf16);
    static_assert(t.B_r == 64 && t.B_c == 64 && t.threads == 128 && t.smem_bytes == (64 + 4 * 64) * 128 * 2);
    constexpr KernelTiling f1 = tiling(KernelKind::flash1, 64, DType::f16);
    static_assert(f1.order == LoopOrder::kv_outer_q_inner && !f1.one_block_per_batch_head && f1.B_r == 64 &&
                  f1.B_c == 256 && f1.smem_bytes == (2 * 64 + 2 * 256) * 64 * 2 && flash1_ctas_per_sm(64) == 2);
    constexpr KernelTiling f1w = tiling(KernelKind::flash1, 128, DType::f16);
    static_assert(f1w.B_r == 128 && f1w.B_c == 256 && f1w.threads == 256 && f1w.smem_bytes == 192 * 1024 &&
                  flash1_ctas_per_sm(128) == 1 && f1w.B_c % flash1_pass_cols(128) == 0);
    // flash1 splits: 4 Q blocks per split for d = 64 unless 2 CTAs per SM need more, 2 for d = 128 unless
    // 1 CTA per SM needs more; never more than T_r.
    static_assert(flash1_splits(16, 16384, 64, 132) == 64 && flash1_splits(256, 1024, 64, 132) == 4);
    static_assert(flash1_splits(16, 16384, 128, 132) == 64 && flash1_splits(4, 16384, 128, 132) == 64);
    static_assert(flash1_splits(2, 16384, 128, 132) == 66 && flash1_splits(1, 100, 64, 132) == 2);
    static_assert(flash1_splits(0, 100, 64, 132) == 0 && flash1_splits(1, 100, 96, 132) == 0);
    // snake order: split 1 of 3 takes blocks 1, 4 (= 3 + 3-1-1), 7; 7 of them for T_r = 20
    static_assert(flash1_q_block(1, 3, 0) == 1 && flash1_q_block(1, 3, 1) == 4 && flash1_q_block(0, 3, 1) == 5);
    static_assert(flash1_split_q_blocks(0, 3, 20) + flash1_split_q_blocks(1, 3, 20) +
                      flash1_split_q_blocks(2, 3, 20) == 20);
    expect(true, "tiling.hpp is usable in constant expressions");
  }
  {  // host::fill_uniform: the benchmarks' inputs, the xorshift64 (13, 7, 17) sequence mapped to [-2, 2)
    std::vector<std::uint16_t> a(4096), b(4096);
    std::uint64_t s1 = 0x9E3779B97F4A7C15ull, s2 = s1;
    host::fill_uniform(a, DType::f16, s1);
    std::uint64_t x = s2;
    bool same = true, in_range = true;
    for (std::size_t i = 0; i < a.size(); ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      const float u = static_cast<float>(x >> 40) / 16777216.0f;
      same = same && a[i] == host::to_bits(4.0f * u - 2.0f, DType::f16);
      const float v = host::half_to_float(a[i]);
      in_range = in_range && v >= -2.0f && v <= 2.0f;
    }
    expect(same && s1 == x, "fill_uniform follows the xorshift64 sequence and advances the state");
    expect(in_range, "fill_uniform values lie in [-2, 2] after rounding");
    host::fill_uniform(b, DType::bf16, s2);
    expect(b != a && s2 == s1, "fill_uniform rounds to the dtype asked for");
  }
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
