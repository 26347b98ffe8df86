#pragma once
// Options every command shares to describe the simulated machine:
//   --preset NAME      paper (default), a100, h100, h200: sets M from the preset
//   --sram SIZE        M in bytes with a unit, e.g. 96KiB (overrides the preset)
//   --sram-elems E     M in elements (overrides the preset)
//   --dtype T          fp16 (default), bf16, fp32, fp64: element size of Q, K, V, O
// M in elements = bytes / element size; a size that is not a whole number of
// elements is refused.
#include <CLI/CLI.hpp>

#include <string>

#include "iolab/sim/checked.hpp"
#include "iolab/sim/dtype.hpp"

namespace iolab::cli {

struct MachineOptions {
  std::string preset = "paper";
  std::string sram;        ///< bytes with unit, or a list/range for sweeps
  std::string sram_elems;  ///< elements, or a list/range for sweeps
  std::string dtype = "fp16";
};

void add_machine_options(CLI::App* cmd, MachineOptions& o, bool lists);

sim::DType resolve_dtype(const MachineOptions& o);
/// M in elements for a single-valued machine.
sim::count_t resolve_M(const MachineOptions& o, sim::DType dt);
/// M values in elements for a sweep (lists and ranges allowed).
std::vector<sim::count_t> resolve_M_list(const MachineOptions& o, sim::DType dt);

}  // namespace iolab::cli
