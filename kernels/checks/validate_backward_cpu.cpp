// CPU-only test of the backward's host-side validation (no GPU, no CUDA
// runtime): every invalid argument must be rejected with a message naming the
// problem, valid ones accepted, and the workspace size must follow its formula.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "iolab/kernels/attention_backward.hpp"

using namespace iolab::kernels;

namespace {

int failures = 0;

void expect(bool cond, const std::string& what) {
  std::printf("%s  %s\n", cond ? "ok  " : "FAIL", what.c_str());
  if (!cond) ++failures;
}

// Fake, suitably aligned addresses: validate_backward() never dereferences them.
alignas(256) unsigned char arena[8192];

AttentionBackwardParams valid_params(bool deterministic) {
  AttentionBackwardParams p;
  p.q = arena;
  p.k = arena + 256;
  p.v = arena + 512;
  p.o = arena + 768;
  p.dout = arena + 1024;
  p.lse = reinterpret_cast<const float*>(arena + 1280);
  p.dq = arena + 1536;
  p.dk = arena + 1792;
  p.dv = arena + 2048;
  p.batch = 2;
  p.heads = 3;
  p.n = 100;
  p.d = 64;
  p.dtype = DType::f16;
  p.deterministic = deterministic;
  p.workspace = arena + 4096;
  p.workspace_bytes = workspace_size_backward(p);
  return p;
}

void expect_reject(const AttentionBackwardParams& p, const std::string& what, const std::string& needle) {
  const Status st = validate_backward(p);
  const bool ok = !st.ok && !st.message.empty() && st.message.find(needle) != std::string::npos;
  expect(ok, std::string(p.deterministic ? "deterministic" : "atomic") + ": rejects " + what + " -> \"" +
                 st.message + "\"");
}

}  // namespace

int main() {
  for (bool det : {false, true}) {
    const std::string mode = det ? "deterministic" : "atomic";
    const AttentionBackwardParams good = valid_params(det);
    {
      const Status st = validate_backward(good);
      expect(st.ok, mode + ": accepts a valid fp16 d=64 problem" + (st.ok ? "" : " (" + st.message + ")"));
    }
    for (int d : {64, 128})
      for (DType t : {DType::f16, DType::bf16})
        for (bool causal : {false, true}) {
          AttentionBackwardParams p = good;
          p.d = d;
          p.dtype = t;
          p.causal = causal;
          p.workspace_bytes = workspace_size_backward(p);
          expect(validate_backward(p).ok, mode + ": accepts d=" + std::to_string(d) + " " + dtype_name(t) +
                                              (causal ? " causal" : ""));
        }
    AttentionBackwardParams p = good;
    p.n = 1;
    p.workspace_bytes = workspace_size_backward(p);
    expect(validate_backward(p).ok, mode + ": accepts N = 1");

    p = good; p.q = nullptr;    expect_reject(p, "null q", "q is a null pointer");
    p = good; p.k = nullptr;    expect_reject(p, "null k", "k is a null pointer");
    p = good; p.v = nullptr;    expect_reject(p, "null v", "v is a null pointer");
    p = good; p.o = nullptr;    expect_reject(p, "null o", "o is a null pointer");
    p = good; p.dout = nullptr; expect_reject(p, "null dout", "dout is a null pointer");
    p = good; p.lse = nullptr;  expect_reject(p, "null lse (required)", "lse is a null pointer");
    p = good; p.dq = nullptr;   expect_reject(p, "null dq", "dq is a null pointer");
    p = good; p.dk = nullptr;   expect_reject(p, "null dk", "dk is a null pointer");
    p = good; p.dv = nullptr;   expect_reject(p, "null dv", "dv is a null pointer");
    p = good; p.q = arena + 2;        expect_reject(p, "misaligned q", "q is not 16-byte aligned");
    p = good; p.k = arena + 264;      expect_reject(p, "misaligned k", "k is not 16-byte aligned");
    p = good; p.v = arena + 520;      expect_reject(p, "misaligned v", "v is not 16-byte aligned");
    p = good; p.o = arena + 772;      expect_reject(p, "misaligned o", "o is not 16-byte aligned");
    p = good; p.dout = arena + 1032;  expect_reject(p, "misaligned dout", "dout is not 16-byte aligned");
    p = good; p.dq = arena + 1538;    expect_reject(p, "misaligned dq", "dq is not 16-byte aligned");
    p = good; p.dk = arena + 1800;    expect_reject(p, "misaligned dk", "dk is not 16-byte aligned");
    p = good; p.dv = arena + 2052;    expect_reject(p, "misaligned dv", "dv is not 16-byte aligned");
    p = good; p.lse = reinterpret_cast<const float*>(arena + 1282);
    expect_reject(p, "misaligned lse", "lse is not 4-byte aligned");
    p = good; p.n = 0;          expect_reject(p, "N = 0", "N must be >= 1");
    p = good; p.n = -3;         expect_reject(p, "N < 0", "N must be >= 1");
    p = good; p.batch = 0;      expect_reject(p, "batch = 0", "batch must be >= 1");
    p = good; p.heads = 0;      expect_reject(p, "heads = 0", "heads must be >= 1");
    p = good; p.batch = 70000;  expect_reject(p, "batch > 65535", "exceeds 65535");
    for (std::int64_t d : {0, 32, 96, 256, 127}) {
      p = good;
      p.d = d;
      expect_reject(p, "d = " + std::to_string(d), "unsupported head dimension");
    }
    p = good; p.d = (std::int64_t{1} << 32) + 64; expect_reject(p, "d = 2^32 + 64", "unsupported head dimension");
    p = good; p.dtype = static_cast<DType>(3);    expect_reject(p, "dtype 3", "unsupported dtype");
    p = good; p.batch = 1024; p.heads = 1024; p.n = 64;
    expect_reject(p, "batch*heads*N*d = 2^32", "overflows int32");
    p = good; p.batch = 1; p.heads = 1; p.n = std::int64_t{1} << 40; p.d = 128;
    expect_reject(p, "N = 2^40", "overflows int32");
    p = good; p.scale = -0.5f;                  expect_reject(p, "negative scale", "scale");
    p = good; p.scale = std::nanf("");          expect_reject(p, "NaN scale", "scale");
    p = good; p.workspace = nullptr;            expect_reject(p, "missing workspace", "workspace");
    p = good; p.workspace_bytes -= 1;           expect_reject(p, "short workspace", "workspace");
    p = good; p.workspace = arena + 4104;       expect_reject(p, "misaligned workspace", "workspace");
  }
  {
    AttentionBackwardParams p = valid_params(false);
    p.batch = 3; p.heads = 5; p.n = 1000; p.d = 128;
    expect(workspace_size_backward(p) == align_up(15ull * 1000 * 4, 256) + align_up(15ull * 1000 * 128 * 4, 256),
           "atomic workspace = Delta + fp32 dQ accumulator");
    p.deterministic = true;
    expect(workspace_size_backward(p) == align_up(15ull * 1000 * 4, 256), "deterministic workspace = Delta only");
    expect(effective_scale_backward(p) == static_cast<float>(1.0 / std::sqrt(128.0)), "default scale is 1/sqrt(d)");
    p.scale = 0.25f;
    expect(effective_scale_backward(p) == 0.25f, "explicit scale is kept");
  }
  {
    static_assert(flash2_bwd_block_cols(128) == 16 * flash2_bwd_warps(128));
    static_assert(flash2_bwd_smem_bytes(128) <= 227 * 1024 && flash2_bwd_dq_smem_bytes(128) <= 227 * 1024);
    expect(true, "backward tiling constants are usable in constant expressions and fit in shared memory");
  }
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
