#include "machine_options.hpp"

#include "iolab/analysis/grid_spec.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/presets.hpp"
#include "iolab/sim/units.hpp"

namespace iolab::cli {
namespace {

sim::count_t bytes_to_elems(std::uint64_t bytes, sim::DType dt, const std::string& shown) {
  const auto size = sim::bytes_of(dt);
  if (bytes % size != 0)
    throw sim::InputError("SRAM size " + shown + " is not a whole number of " + std::string(sim::name_of(dt)) +
                          " elements (" + std::to_string(size) + " bytes each)");
  if (bytes == 0) throw sim::InputError("SRAM size must be positive, got " + shown);
  return bytes / size;
}

}  // namespace

void add_machine_options(CLI::App* cmd, MachineOptions& o, bool lists) {
  cmd->add_option("--preset", o.preset, "Machine preset giving M: paper, a100, h100, h200 (see `iolab presets`)")
      ->capture_default_str();
  auto* s = cmd->add_option("--sram", o.sram,
                            lists ? "SRAM size(s) M in bytes with a unit: 96KiB, 16KiB:256KiB:x2, 32KiB,64KiB"
                                  : "SRAM size M in bytes with a unit (B, KB, MB, KiB, MiB, GiB), e.g. 96KiB");
  auto* e = cmd->add_option("--sram-elems", o.sram_elems,
                            lists ? "SRAM size(s) M in elements: 49152, 1024:65536:x2" : "SRAM size M in elements");
  s->excludes(e);
  e->excludes(s);
  cmd->add_option("--dtype", o.dtype, "Element type of Q, K, V, O: fp16, bf16, fp32, fp64")->capture_default_str();
}

sim::DType resolve_dtype(const MachineOptions& o) { return sim::parse_dtype(o.dtype); }

sim::count_t resolve_M(const MachineOptions& o, sim::DType dt) {
  if (!o.sram_elems.empty()) {
    const auto m = sim::parse_count(o.sram_elems, "--sram-elems");
    if (m == 0) throw sim::InputError("--sram-elems must be positive");
    return m;
  }
  if (!o.sram.empty()) return bytes_to_elems(sim::parse_bytes(o.sram), dt, "'" + o.sram + "'");
  const auto& p = sim::preset(o.preset);
  return bytes_to_elems(p.sram_bytes, dt, sim::format_bytes(p.sram_bytes) + " (preset " + p.name + ")");
}

std::vector<sim::count_t> resolve_M_list(const MachineOptions& o, sim::DType dt) {
  std::vector<sim::count_t> out;
  if (!o.sram_elems.empty()) {
    for (auto v : analysis::parse_int_list(o.sram_elems, "--sram-elems")) {
      if (v <= 0) throw sim::InputError("--sram-elems values must be positive, got " + std::to_string(v));
      out.push_back(static_cast<sim::count_t>(v));
    }
    return out;
  }
  if (!o.sram.empty()) {
    for (auto b : analysis::parse_size_list(o.sram, "--sram")) out.push_back(bytes_to_elems(b, dt, sim::format_bytes(b)));
    return out;
  }
  return {resolve_M(o, dt)};
}

}  // namespace iolab::cli
