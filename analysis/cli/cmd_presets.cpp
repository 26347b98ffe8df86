// iolab presets: the machine presets and where their figures come from.
#include <iostream>

#include "commands.hpp"
#include "iolab/sim/presets.hpp"
#include "iolab/sim/units.hpp"
#include "table.hpp"

namespace iolab::cli {

void register_presets(CLI::App& app) {
  auto* cmd = app.add_subcommand("presets", "List the machine presets with their sources");
  cmd->callback([] {
    Table t({"preset", "SRAM per block", "HBM TB/s", "L2", "SMs", "fp16 TFLOP/s", "description"});
    for (const auto& p : sim::presets())
      t.add({p.name, sim::format_bytes(p.sram_bytes), fixed(p.hbm_bytes_per_s / 1e12, 3),
             p.l2_bytes ? sim::format_bytes(p.l2_bytes) : "-", p.sm_count ? std::to_string(p.sm_count) : "-",
             p.peak_fp16_flops > 0 ? fixed(p.peak_fp16_flops / 1e12, 0) : "-", p.description});
    t.print(std::cout);
    std::cout << "\nSources:\n";
    for (const auto& p : sim::presets()) std::cout << "  " << p.name << ": " << p.source << "\n";
  });
}

}  // namespace iolab::cli
