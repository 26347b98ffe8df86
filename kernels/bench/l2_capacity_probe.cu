// l2_capacity_probe: one launch of a synthetic kernel whose L2 traffic is known exactly, for measuring
// with `ncu` how much data the L2 keeps between passes, whether it writes dirty lines back before it
// evicts them, and how that depends on which SMs touch a line (issue 4: the GPU model's L2).
//
//   l2_capacity_probe --mode private|rotate|shared|write|mixed|fill --mib W [--passes P] [--rmw 0|1]
//                     [--stream-kib S] [--group G]
//
// One thread block per SM (grid = SM count, 512 threads). The buffer of W MiB is split into one chunk per
// thread block (chunk = W MiB / SMs, rounded down to 16 bytes). In each of P passes a thread block walks
// one chunk from its start with 16-byte loads that bypass the L1 (ld.global.cg), and with --rmw 1 stores
// each 16 bytes back changed (st.global.cg):
//   private  block b always walks chunk b: every line is used by one SM only.
//   rotate   in pass p block b walks chunk (b + p * (SMs / 2)) mod SMs: each chunk alternates between
//            two SMs, blocks b and b + SMs/2 (lines used by SMs of both halves when blocks are placed
//            in order).
//   shared   in each pass block b walks every chunk, starting with chunk b: chunks b, b+1, ..., b-1
//            (mod SMs). Every line is read by every SM, and between two reads of a line (by blocks b and
//            b-1) all SMs read W bytes: a reuse distance of W, as for K and V in flash2 (no --rmw).
//   write    one pass of stores only (no loads): what a write-streaming launch leaves dirty at its end
//            is W minus the DRAM bytes written during the launch.
//   mixed    private (block b walks chunk b every pass, with --rmw 1 read-modify-write), and before each pass
//            the blocks of a group (G consecutive blocks, default 16) read one slice of S KiB of a second
//            buffer, a new slice every pass: flash1's pattern, whose splits of one head read K/V block j
//            together and then their own O, l, m rows. The slices are read once per block and never again,
//            so their compulsory DRAM reads are passes x groups x S KiB; a stream that pushes private
//            lines out shows as private re-reads above W.
//   fill     write mode (one pass of stores only) after each block has read one slice of S KiB of a second
//            buffer (with --group G: the blocks of a group share a slice): clean data, read once, that fills
//            the L2 before the writes arrive, as Q, K and V do before flash2 writes O. The DRAM bytes written
//            during the launch show whether the L2 gives up written lines or the older clean ones when it
//            needs room.
// So the SM->L2 requests are exactly P * W (reads; as many writes with --rmw 1; shared: P * W * SMs; mixed
// and fill: plus P * SMs * S KiB of stream reads) and the compulsory DRAM reads are W (0 in write mode, the
// stream alone in fill mode; mixed: plus the stream); DRAM bytes above that are lines the L2 did not keep.
// Prints one line: "ok sms=<n> chunk_bytes=<c> bytes=<total> passes=<p> stream_bytes=<s>" (s: the whole
// stream buffer, 0 outside mixed and fill modes) and the SM of each block ("smid=<s0>,<s1>,..."). Exit status: 0 ok, 1 CUDA error, 2 bad arguments, 77 no GPU.
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../checks/cuda_check.hpp"

namespace {

constexpr int kThreads = 512;

__global__ void __launch_bounds__(kThreads) probe(uint4* buf, unsigned long long chunk16, int passes, int step,
                                                  int rmw, int write_only, int shared, const uint4* stream,
                                                  unsigned long long slice16, int group, unsigned* smid,
                                                  unsigned* sink) {
  if (threadIdx.x == 0) {
    unsigned s;
    asm volatile("mov.u32 %0, %%smid;" : "=r"(s));
    smid[blockIdx.x] = s;
  }
  unsigned acc = 0;
  const int walks = shared ? passes * static_cast<int>(gridDim.x) : passes;
  const unsigned groups = (gridDim.x + group - 1) / group;
  for (int p = 0; p < walks; ++p) {
    if (stream != nullptr) {  // mixed: this pass's slice of the group's stream, read once
      const uint4* slice = stream + (static_cast<unsigned long long>(p) * groups + blockIdx.x / group) * slice16;
      for (unsigned long long i = threadIdx.x; i < slice16; i += kThreads) {
        const uint4 v = __ldcg(slice + i);
        acc += v.y ^ v.z;
      }
    }
    const unsigned long long c = (blockIdx.x + static_cast<unsigned long long>(p) * step) % gridDim.x;
    uint4* base = buf + c * chunk16;
    for (unsigned long long i = threadIdx.x; i < chunk16; i += kThreads) {
      if (write_only) {
        __stcg(base + i, make_uint4(p, static_cast<unsigned>(i), c, 1u));
        continue;
      }
      uint4 v = __ldcg(base + i);
      acc += v.x ^ v.w;
      if (rmw) {
        v.x += 1;
        __stcg(base + i, v);
      }
    }
  }
  if (acc == 0x9E3779B9u) sink[0] = acc;  // keeps the loads; never true for the zero-filled buffer
}

int usage(const char* why) {
  std::fprintf(stderr, "l2_capacity_probe: %s\nusage: l2_capacity_probe --mode private|rotate|shared|write|mixed|fill "
                       "--mib W [--passes P] [--rmw 0|1] [--stream-kib S] [--group G]\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode;
  long long mib = 0, passes = 4, rmw = 0, stream_kib = 0, group = 16;
  for (int a = 1; a < argc; a += 2) {
    const std::string k = argv[a];
    if (a + 1 >= argc) return usage(("missing value after " + k).c_str());
    const std::string v = argv[a + 1];
    char* end = nullptr;
    const long long x = std::strtoll(v.c_str(), &end, 10);
    const bool num = !v.empty() && end && *end == '\0';
    if (k == "--mode") mode = v;
    else if (k == "--mib" && num) mib = x;
    else if (k == "--passes" && num) passes = x;
    else if (k == "--rmw" && num) rmw = x;
    else if (k == "--stream-kib" && num) stream_kib = x;
    else if (k == "--group" && num) group = x;
    else return usage(("bad option " + k + " " + v).c_str());
  }
  if (mode != "private" && mode != "rotate" && mode != "shared" && mode != "write" && mode != "mixed" && mode != "fill")
    return usage("--mode must be private, rotate, shared, write, mixed or fill");
  if (mib < 1 || mib > 4096) return usage("--mib must be 1 .. 4096");
  if (passes < 1 || passes > 64) return usage("--passes must be 1 .. 64");
  if (rmw != 0 && rmw != 1) return usage("--rmw must be 0 or 1");
  if ((mode == "write" || mode == "fill") && (passes != 1 || rmw != 0))
    return usage("--mode write and --mode fill take one pass and no --rmw");
  if (mode == "shared" && rmw != 0) return usage("--mode shared takes no --rmw");
  if ((mode == "mixed" || mode == "fill") != (stream_kib > 0))
    return usage("--stream-kib S (1 .. 65536) goes with --mode mixed or fill, and only with them");
  if (stream_kib < 0 || stream_kib > 65536) return usage("--stream-kib must be 1 .. 65536");
  if (group < 1 || group > 1024) return usage("--group must be 1 .. 1024");
  cudaDeviceProp prop{};
  if (const int rc = open_gpu_or_skip(prop); rc != 0) return rc;
  const int sms = prop.multiProcessorCount;
  const unsigned long long chunk16 = (static_cast<unsigned long long>(mib) << 20) / 16 / sms;
  if (chunk16 == 0) return usage("--mib too small for one 16-byte element per SM");
  const unsigned long long total = chunk16 * 16 * sms;
  uint4* buf = nullptr;
  unsigned *smid = nullptr, *sink = nullptr;
  CUDA_OK(cudaMalloc(&buf, total));
  CUDA_OK(cudaMalloc(&smid, sms * sizeof(unsigned)));
  CUDA_OK(cudaMalloc(&sink, sizeof(unsigned)));
  CUDA_OK(cudaMemset(buf, 0, total));
  // mixed, fill: a stream of passes x groups slices of S KiB, each read by the blocks of one group in one pass
  const unsigned long long groups = (static_cast<unsigned long long>(sms) + group - 1) / group;
  const unsigned long long slice16 = static_cast<unsigned long long>(stream_kib) * 1024 / 16;
  const unsigned long long stream_bytes = static_cast<unsigned long long>(passes) * groups * slice16 * 16;
  uint4* stream = nullptr;
  if (stream_bytes > 0) {
    CUDA_OK(cudaMalloc(&stream, stream_bytes));
    CUDA_OK(cudaMemset(stream, 0, stream_bytes));
  }
  CUDA_OK(cudaDeviceSynchronize());
  const int step = mode == "rotate" ? sms / 2 : mode == "shared" ? 1 : 0;
  const int write_only = mode == "write" || mode == "fill" ? 1 : 0;
  probe<<<sms, kThreads>>>(buf, chunk16, static_cast<int>(passes), step, static_cast<int>(rmw), write_only,
                           mode == "shared" ? 1 : 0, stream, slice16, static_cast<int>(group), smid, sink);
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<unsigned> host(sms);
  CUDA_OK(cudaMemcpy(host.data(), smid, sms * sizeof(unsigned), cudaMemcpyDeviceToHost));
  std::printf("ok sms=%d chunk_bytes=%llu bytes=%llu passes=%lld stream_bytes=%llu\nsmid=", sms, chunk16 * 16, total,
              passes, stream_bytes);
  for (int b = 0; b < sms; ++b) std::printf("%s%u", b ? "," : "", host[b]);
  std::printf("\n");
  CUDA_OK(cudaFree(buf));
  if (stream) CUDA_OK(cudaFree(stream));
  CUDA_OK(cudaFree(smid));
  CUDA_OK(cudaFree(sink));
  return 0;
}
