// iolab probe: the GPU model's L2 replaying the L2 capacity probe (kernels/bench/l2_capacity_probe.cu)
// against its committed measurements: per launch, DRAM bytes read and written over the buffer size W,
// measured and predicted, and per GPU and mode the mean absolute difference of those ratios. No target:
// a report for calibrating the L2 model (exit 0; 2 on bad input).
#include <cmath>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "iolab/analysis/atomic_file.hpp"
#include "iolab/analysis/l2_probe.hpp"
#include "iolab/sim/errors.hpp"
#include "model_variant_options.hpp"
#include "table.hpp"

#ifndef IOLAB_SOURCE_DIR
#define IOLAB_SOURCE_DIR "."
#endif

namespace iolab::cli {
namespace {

struct ProbeOptions {
  std::string measured = std::string(IOLAB_SOURCE_DIR) + "/analysis/measurements";
  std::string csv;
  unsigned threads = 0;
  ModelVariantFlags l2;
};

void run(const ProbeOptions& o) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_regular_file(o.measured)) files.push_back(o.measured);
  else files = analysis::find_probe_files(o.measured);
  std::vector<analysis::ProbeRun> runs;
  for (const auto& f : files)
    for (auto& r : analysis::load_probe_measurements(f)) runs.push_back(std::move(r));
  const auto cmp = analysis::predict_probe(runs, o.threads, o.l2.variant);
  // Reads are shown per use of a line (shared mode reads each line sms x passes times).
  auto per_w = [](double b, const analysis::ProbeRun& r) { return b / static_cast<double>(r.bytes); };
  std::cout << "L2 capacity probe: GPU model vs measured (" << runs.size() << " launches from " << files.size()
            << " file(s)); model: " << o.l2.variant.describe() << "\n";
  Table t({"gpu", "mode", "rmw", "MiB", "DRAM read/W meas", "pred", "DRAM write/W meas", "pred"});
  std::map<std::pair<std::string, std::string>, std::pair<double, int>> err;  // (gpu, mode) -> sum, n
  std::string out = "gpu,mode,rmw,bytes,passes,sms,measured_dram_read_bytes,predicted_dram_read_bytes,"
                    "measured_dram_write_bytes,predicted_dram_write_bytes\n";
  for (const auto& c : cmp) {
    const auto& r = c.measured;
    const double mr = per_w(static_cast<double>(r.dram_read_bytes), r), pr = per_w(static_cast<double>(c.predicted_read_bytes), r);
    const double mw = per_w(static_cast<double>(r.dram_write_bytes), r), pw = per_w(static_cast<double>(c.predicted_write_bytes), r);
    t.add({r.gpu, r.mode, r.rmw ? "1" : "0", fixed(static_cast<double>(r.bytes) / (1 << 20), 1), fixed(mr, 3),
           fixed(pr, 3), fixed(mw, 3), fixed(pw, 3)});
    const double uses = std::max<double>(1.0, static_cast<double>(r.uses()));
    auto& e = err[{r.gpu, r.mode + (r.rmw ? " rmw" : "")}];
    e.first += std::abs(pr - mr) / uses + std::abs(pw - mw);
    e.second += 1;
    out += "\"" + r.gpu + "\"," + r.mode + "," + (r.rmw ? "1" : "0") + "," + std::to_string(r.bytes) + "," +
           std::to_string(r.passes) + "," + std::to_string(r.sms) + "," + std::to_string(r.dram_read_bytes) + "," +
           std::to_string(c.predicted_read_bytes) + "," + std::to_string(r.dram_write_bytes) + "," +
           std::to_string(c.predicted_write_bytes) + "\n";
  }
  t.print(std::cout);
  std::cout << "\nmean |predicted - measured| per launch, in W (reads per use of a line, plus writes):\n";
  Table s({"gpu", "mode", "launches", "mean error"});
  for (const auto& [k, e] : err) s.add({k.first, k.second, std::to_string(e.second), fixed(e.first / e.second, 3)});
  s.print(std::cout);
  if (!o.csv.empty()) analysis::write_file_atomically(o.csv, out);
}

}  // namespace

void register_probe(CLI::App& app) {
  auto o = std::make_shared<ProbeOptions>();
  auto* cmd = app.add_subcommand(
      "probe", "Replay the L2 capacity probe through the GPU model's L2 and compare with its measurements");
  cmd->add_option("--measured", o->measured, "An l2_probe.csv, or a folder searched for them")->capture_default_str();
  cmd->add_option("--csv", o->csv, "Write measured and predicted DRAM bytes per launch");
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  add_model_variant_options(cmd, o->l2);
  cmd->callback([o] {
    finish_model_variant(o->l2);
    run(*o);
  });
}

}  // namespace iolab::cli
