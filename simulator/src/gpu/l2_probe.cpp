#include "iolab/sim/gpu/l2_probe.hpp"

#include <algorithm>

#include "iolab/sim/errors.hpp"

namespace iolab::sim::gpu {

KernelReplay replay_l2_probe(const L2ProbeShape& s) {
  if (s.mode != "private" && s.mode != "rotate" && s.mode != "shared" && s.mode != "write")
    throw InputError("L2 probe: unknown mode '" + s.mode + "' (known: private, rotate, shared, write)");
  if (s.chunk_bytes == 0 || s.chunk_bytes % 16 != 0)
    throw InputError("L2 probe: chunk of " + std::to_string(s.chunk_bytes) + " B is not a positive multiple of 16");
  if (s.passes < 1 || s.sms < 1) throw InputError("L2 probe: passes and SMs must be at least 1");
  if (s.mode == "write" && (s.rmw || s.passes != 1)) throw InputError("L2 probe: write mode takes one pass and no rmw");
  if (s.mode == "shared" && s.rmw) throw InputError("L2 probe: shared mode takes no rmw");
  static constexpr std::uint64_t kStep = 512 * 16;  // bytes a CTA moves per loop iteration
  KernelReplay r;
  r.tensors = {{"buffer", s.chunk_bytes * s.sms}};
  LaunchReplay L;
  L.name = "l2_probe_" + s.mode;
  L.ctas = s.sms;
  L.ctas_per_sm = 1;
  L.work = [](std::uint64_t) { return std::pair{0.0, 0.0}; };
  L.program = [s](std::uint64_t cta, std::vector<TileTransfer>& out) {
    const std::uint64_t step = s.mode == "rotate" ? s.sms / 2 : s.mode == "shared" ? 1 : 0;
    const std::uint64_t walks = s.mode == "shared" ? std::uint64_t{s.passes} * s.sms : s.passes;
    for (std::uint64_t p = 0; p < walks; ++p) {
      const std::uint64_t chunk = (cta + p * step) % s.sms;
      for (std::uint64_t o = 0; o < s.chunk_bytes; o += kStep) {
        const std::uint64_t n = std::min(kStep, s.chunk_bytes - o), at = chunk * s.chunk_bytes + o;
        if (s.mode != "write") out.push_back({0, false, at, n, 1, n, false});
        if (s.mode == "write" || s.rmw) out.push_back({0, true, at, n, 1, n, false});
      }
    }
  };
  r.launches.push_back(std::move(L));
  return r;
}

}  // namespace iolab::sim::gpu
