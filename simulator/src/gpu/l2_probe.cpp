#include "iolab/sim/gpu/l2_probe.hpp"

#include <algorithm>

#include "iolab/sim/errors.hpp"

namespace iolab::sim::gpu {

KernelReplay replay_l2_probe(const L2ProbeShape& s) {
  if (s.mode != "private" && s.mode != "rotate" && s.mode != "shared" && s.mode != "write" && s.mode != "mixed" &&
      s.mode != "fill")
    throw InputError("L2 probe: unknown mode '" + s.mode + "' (known: private, rotate, shared, write, mixed, fill)");
  if (s.chunk_bytes == 0 || s.chunk_bytes % 16 != 0)
    throw InputError("L2 probe: chunk of " + std::to_string(s.chunk_bytes) + " B is not a positive multiple of 16");
  if (s.passes < 1 || s.sms < 1) throw InputError("L2 probe: passes and SMs must be at least 1");
  const bool stores_only = s.mode == "write" || s.mode == "fill";
  if (stores_only && (s.rmw || s.passes != 1))
    throw InputError("L2 probe: write and fill modes take one pass and no rmw");
  if (s.mode == "shared" && s.rmw) throw InputError("L2 probe: shared mode takes no rmw");
  const bool mixed = s.mode == "mixed" || s.mode == "fill";  // a stream beside the buffer
  if (!mixed && s.stream_slice_bytes != 0) throw InputError("L2 probe: a stream slice goes with mixed and fill modes only");
  if (mixed && (s.stream_slice_bytes == 0 || s.stream_slice_bytes % 16 != 0 || s.group < 1))
    throw InputError("L2 probe: mixed and fill modes need a stream slice that is a positive multiple of 16 B (got " +
                     std::to_string(s.stream_slice_bytes) + ") and a group of at least 1 CTA");
  static constexpr std::uint64_t kStep = 512 * 16;  // bytes a CTA moves per loop iteration
  const std::uint64_t groups = mixed ? (std::uint64_t{s.sms} + s.group - 1) / s.group : 0;
  KernelReplay r;
  r.tensors = {{"buffer", s.chunk_bytes * s.sms}};
  if (mixed) r.tensors.push_back({"stream", std::uint64_t{s.passes} * groups * s.stream_slice_bytes});
  LaunchReplay L;
  L.name = "l2_probe_" + s.mode;
  L.ctas = s.sms;
  L.ctas_per_sm = 1;
  L.work = [](std::uint64_t) { return std::pair{0.0, 0.0}; };
  L.program = [s, groups, stores_only](std::uint64_t cta, std::vector<TileTransfer>& out) {
    const std::uint64_t step = s.mode == "rotate" ? s.sms / 2 : s.mode == "shared" ? 1 : 0;
    const std::uint64_t walks = s.mode == "shared" ? std::uint64_t{s.passes} * s.sms : s.passes;
    for (std::uint64_t p = 0; p < walks; ++p) {
      if (groups > 0) {  // mixed, fill: this pass's slice of the CTA's group, read once
        const std::uint64_t slice = (p * groups + cta / s.group) * s.stream_slice_bytes;
        for (std::uint64_t o = 0; o < s.stream_slice_bytes; o += kStep)
          out.push_back({1, false, slice + o, std::min(kStep, s.stream_slice_bytes - o), 1,
                         std::min(kStep, s.stream_slice_bytes - o), false});
      }
      const std::uint64_t chunk = (cta + p * step) % s.sms;
      for (std::uint64_t o = 0; o < s.chunk_bytes; o += kStep) {
        const std::uint64_t n = std::min(kStep, s.chunk_bytes - o), at = chunk * s.chunk_bytes + o;
        if (!stores_only) out.push_back({0, false, at, n, 1, n, false});
        if (stores_only || s.rmw) out.push_back({0, true, at, n, 1, n, false});
      }
    }
  };
  r.launches.push_back(std::move(L));
  return r;
}

}  // namespace iolab::sim::gpu
