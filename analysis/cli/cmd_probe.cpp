// iolab probe: the GPU model's L2 replaying the L2 capacity probe (kernels/bench/l2_capacity_probe.cu)
// against its committed measurements: per launch, DRAM bytes read and written over the buffer size W,
// measured and predicted, the share of the SMs' L2 requests forwarded between the two L2 partitions
// (measured where the CSV has it; 0 predicted for a one-partition model), per GPU and mode the mean error
// (analysis::probe_error_w), per GPU the score L2 model variants are ranked by (analysis::probe_scores) and the
// mean error over the mixed series (private rows next to a stream, l2_probe_mixed.csv:
// analysis::probe_mixed_scores) and over the fill series (write streams after clean data, l2_probe_fill.csv:
// analysis::probe_fill_scores); --json prints the last four only. No target: a report for calibrating the
// L2 model (exit 0; 2 on bad input). A folder is searched for l2_probe.csv, l2_probe_mixed.csv and
// l2_probe_fill.csv files.
#include <iostream>
#include <nlohmann/json.hpp>

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
  bool json = false;
  unsigned threads = 0;
  ModelVariantFlags l2;
};

void run(const ProbeOptions& o) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_regular_file(o.measured)) files.push_back(o.measured);
  else {
    files = analysis::find_probe_files(o.measured);
    for (auto& f : analysis::find_mixed_probe_files(o.measured)) files.push_back(std::move(f));
  }
  std::vector<analysis::ProbeRun> runs;
  for (const auto& f : files)
    for (auto& r : analysis::load_probe_measurements(f)) runs.push_back(std::move(r));
  const auto cmp = analysis::predict_probe(runs, o.threads, o.l2.variant);
  const auto by_mode = analysis::probe_errors_by_mode(cmp);
  const auto scores = analysis::probe_scores(cmp);
  const auto mixed = analysis::probe_mixed_scores(cmp);
  const auto fill = analysis::probe_fill_scores(cmp);
  std::string out = "gpu,mode,rmw,bytes,passes,sms,measured_dram_read_bytes,predicted_dram_read_bytes,"
                    "measured_dram_write_bytes,predicted_dram_write_bytes,measured_fabric_bytes,predicted_fabric_bytes,stream_kib,group\n";
  for (const auto& c : cmp) {
    const auto& r = c.measured;
    out += "\"" + r.gpu + "\"," + r.mode + "," + (r.rmw ? "1" : "0") + "," + std::to_string(r.bytes) + "," +
           std::to_string(r.passes) + "," + std::to_string(r.sms) + "," + std::to_string(r.dram_read_bytes) + "," +
           std::to_string(c.predicted_read_bytes) + "," + std::to_string(r.dram_write_bytes) + "," +
           std::to_string(c.predicted_write_bytes) + "," +
           (r.fabric_bytes ? std::to_string(*r.fabric_bytes) : std::string()) + "," +
           std::to_string(c.predicted_fabric_bytes) + "," +
           (r.stream_kib ? std::to_string(*r.stream_kib) + "," + std::to_string(r.group) : std::string(",")) + "\n";
  }
  if (o.json) {
    auto groups = [](const std::vector<analysis::ProbeErrorGroup>& gs, bool with_mode) {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& g : gs) {
        nlohmann::json e = {{"gpu", g.gpu}, {"launches", g.launches}, {"mean_error_w", g.mean_error_w}};
        if (with_mode) e["mode"] = g.mode;
        a.push_back(e);
      }
      return a;
    };
    nlohmann::json j = {{"model", o.l2.variant.describe()},
                        {"launches", cmp.size()},
                        {"by_mode", groups(by_mode, true)},
                        {"score", groups(scores, false)},
                        {"mixed_score", groups(mixed, false)},
                        {"fill_score", groups(fill, false)}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "L2 capacity probe: GPU model vs measured (" << runs.size() << " launches from " << files.size()
              << " file(s)); model: " << o.l2.variant.describe() << "\n";
    // Reads are shown per use of a line (shared mode reads each line sms x passes times).
    auto per_w = [](std::uint64_t b, const analysis::ProbeRun& r) {
      return static_cast<double>(b) / static_cast<double>(r.bytes);
    };
    // The fabric share: bytes forwarded between the L2 partitions over the SMs' requests (measured, both).
    auto share = [](std::uint64_t b, const analysis::ProbeRun& r) {
      return r.sm_l2_bytes && *r.sm_l2_bytes > 0
                 ? fixed(static_cast<double>(b) / static_cast<double>(*r.sm_l2_bytes), 3)
                 : std::string("-");
    };
    Table t({"gpu", "mode", "rmw", "MiB", "stream KiB", "DRAM read/W meas", "pred", "DRAM write/W meas", "pred", "fabric/SM meas",
             "pred"});
    for (const auto& c : cmp) {
      const auto& r = c.measured;
      t.add({r.gpu, r.mode, r.rmw ? "1" : "0", fixed(static_cast<double>(r.bytes) / (1 << 20), 1),
             r.stream_kib ? std::to_string(*r.stream_kib) : std::string("-"),
             fixed(per_w(r.dram_read_bytes, r), 3), fixed(per_w(c.predicted_read_bytes, r), 3),
             fixed(per_w(r.dram_write_bytes, r), 3), fixed(per_w(c.predicted_write_bytes, r), 3),
             r.fabric_bytes ? share(*r.fabric_bytes, r) : std::string("-"), share(c.predicted_fabric_bytes, r)});
    }
    t.print(std::cout);
    std::cout << "\nmean |predicted - measured| per launch, in W (reads per use of a line, plus writes):\n";
    Table s({"gpu", "mode", "launches", "mean error"});
    for (const auto& g : by_mode) s.add({g.gpu, g.mode, std::to_string(g.launches), fixed(g.mean_error_w, 3)});
    s.print(std::cout);
    if (!scores.empty()) {
      std::cout << "\nscore (mean error over private, rotate and write launches; shared left out: the GPU's CTAs form\n"
                   "convoys there that CTAs in lockstep cannot show):\n";
      Table sc({"gpu", "launches", "score"});
      for (const auto& g : scores) sc.add({g.gpu, std::to_string(g.launches), fixed(g.mean_error_w, 3)});
      sc.print(std::cout);
    }
    if (!mixed.empty()) {
      std::cout << "\nmixed series (private read-modify-write rows with and without a stream beside them):\n";
      Table mx({"gpu", "launches", "mean error"});
      for (const auto& g : mixed) mx.add({g.gpu, std::to_string(g.launches), fixed(g.mean_error_w, 3)});
      mx.print(std::cout);
    }
    if (!fill.empty()) {
      std::cout << "\nfill series (write streams after clean data read once; DRAM bytes written are the test):\n";
      Table fl({"gpu", "launches", "mean error"});
      for (const auto& g : fill) fl.add({g.gpu, std::to_string(g.launches), fixed(g.mean_error_w, 3)});
      fl.print(std::cout);
    }
  }
  if (!o.csv.empty()) analysis::write_file_atomically(o.csv, out);
}

}  // namespace

void register_probe(CLI::App& app) {
  auto o = std::make_shared<ProbeOptions>();
  auto* cmd = app.add_subcommand(
      "probe", "Replay the L2 capacity probe through the GPU model's L2 and compare with its measurements");
  cmd->add_option("--measured", o->measured, "An l2_probe.csv, l2_probe_mixed.csv or l2_probe_fill.csv, or a folder searched for them")->capture_default_str();
  cmd->add_option("--csv", o->csv, "Write measured and predicted DRAM bytes per launch");
  cmd->add_flag("--json", o->json, "Print the mean errors per GPU and mode, and the scores, as JSON");
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  add_model_variant_options(cmd, o->l2);
  cmd->callback([o] {
    finish_model_variant(o->l2);
    run(*o);
  });
}

}  // namespace iolab::cli
