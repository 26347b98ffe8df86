// iolab compare: predictions of the three-level GPU model against the
// hardware-counter measurements committed under analysis/measurements/.
// Exit status: 0 when every accuracy target is met, 3 when some are missed
// (the table says where), 2 on bad input.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "iolab/analysis/atomic_file.hpp"
#include "iolab/analysis/comparison.hpp"
#include "iolab/analysis/plot.hpp"
#include "iolab/kernels/tiling.hpp"
#include "iolab/sim/errors.hpp"
#include "model_variant_options.hpp"
#include "table.hpp"

#ifndef IOLAB_SOURCE_DIR
#define IOLAB_SOURCE_DIR "."
#endif

namespace iolab::cli {
namespace {

struct CompareOptions {
  std::string measured = std::string(IOLAB_SOURCE_DIR) + "/analysis/measurements";
  std::string kernel, plot, csv;
  bool json = false, misses = false;
  unsigned threads = 0;
  ModelVariantFlags l2;
};

std::string pct(double x) { return fixed(100.0 * x, 1) + "%"; }

std::string runs_csv(const std::vector<analysis::ComparedRun>& runs) {
  std::string out = "gpu,kernel,dtype,d,N,batch,heads,causal";
  for (const auto& m : analysis::compared_metrics()) out += ",predicted_" + m + ",measured_" + m;
  out += "\n";
  for (const auto& r : runs) {
    const auto& m = r.measured;
    out += m.gpu + "," + m.kernel + "," + m.dtype + "," + std::to_string(m.d) + "," + std::to_string(m.N) + "," +
           std::to_string(m.batch) + "," + std::to_string(m.heads) + "," + (m.causal ? "true" : "false");
    for (const auto& metric : analysis::compared_metrics()) {
      char buf[96];
      std::snprintf(buf, sizeof buf, ",%.10g,%.10g", analysis::metric_value(r, metric, true),
                    analysis::metric_value(r, metric, false));
      out += buf;
    }
    out += "\n";
  }
  return out;
}

int run(const CompareOptions& o) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_regular_file(o.measured))
    files.push_back(o.measured);
  else
    files = analysis::find_measurement_files(o.measured);
  std::vector<analysis::MeasuredRun> runs;
  for (const auto& f : files) {
    auto r = analysis::load_measurements(f);
    for (auto& x : r)
      if (o.kernel.empty() || x.kernel == o.kernel) runs.push_back(std::move(x));
  }
  if (runs.empty()) throw sim::InputError("no measurement of kernel '" + o.kernel + "'");
  const auto compared = analysis::predict_all(runs, o.threads, o.l2.variant);
  const auto stats = analysis::compare(compared);
  bool missed = false;
  for (const auto& s : stats) missed = missed || s.misses > 0;

  if (!o.csv.empty()) analysis::write_file_atomically(o.csv, runs_csv(compared));
  if (!o.plot.empty()) {
    std::vector<analysis::ScatterSeries> series;
    for (const auto& metric : {"sram_read_bytes", "dram_read_bytes", "dram_write_bytes"})
      for (const auto kind : iolab::kernels::kForwardKernels) {
        const std::string kernel = iolab::kernels::kernel_name(kind);
        analysis::ScatterSeries s{kernel + " " + metric, {}};
        for (const auto& r : compared)
          if (r.measured.kernel == kernel)
            s.points.emplace_back(analysis::metric_value(r, metric, false), analysis::metric_value(r, metric, true));
        if (!s.points.empty()) series.push_back(std::move(s));
      }
    analysis::plot_scatter(series, o.plot, "GPU model: predicted vs measured bytes (" + runs.front().gpu + ")",
                           "bytes");
  }
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : stats)
      j.push_back({{"metric", s.metric}, {"kernel", s.kernel}, {"n", s.n}, {"mape", s.mape},
                   {"aggregate_error", s.aggregate_error}, {"max_error", s.max_error}, {"pearson_r", s.pearson_r},
                   {"target", s.target}, {"misses", s.misses}, {"worst", s.worst}});
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "predicted (three-level GPU model) vs measured (" << runs.size() << " runs from " << files.size()
              << " file(s); " << runs.front().gpu << ", driver " << runs.front().driver << ", " << runs.front().date
              << ")\n";
    if (!o.l2.variant.is_default()) std::cout << "model variant: " << o.l2.variant.describe() << "\n";
    Table t({"metric", "kernel", "n", "MAPE", "aggregate", "max", "pearson r", "target", "missed", "worst case"});
    for (const auto& s : stats)
      t.add({s.metric, s.kernel, std::to_string(s.n), pct(s.mape), pct(s.aggregate_error), pct(s.max_error),
             fixed(s.pearson_r, 4), s.target > 0 ? "+-" + pct(s.target) : "-",
             s.target > 0 ? std::to_string(s.misses) : "-", s.worst});
    t.print(std::cout);
    std::cout << "\nsram_* = bytes between the SMs and the L2 (measured: l1tex__m_xbar2l1tex_read_bytes and\n"
                 "l1tex__m_l1tex2xbar_write_bytes); dram_* = bytes between the L2 and HBM; runtime in ms.\n";
    std::cout << (missed ? "accuracy targets: MISSED where 'missed' > 0\n" : "accuracy targets: all met\n");
    if (o.misses) {
      const auto list = analysis::missed_targets(compared);
      std::cout << "\nconfigurations outside their target (" << list.size() << "):\n";
      if (!list.empty()) {
        Table m({"gpu", "metric", "configuration", "predicted", "measured", "error", "target"});
        auto bytes = [](double v) { return grouped(static_cast<std::uint64_t>(std::llround(v))); };
        for (const auto& x : list) {
          const auto& r = compared[x.run].measured;
          const bool ms = x.metric == "runtime";
          m.add({r.gpu, x.metric, analysis::run_label(r), ms ? fixed(x.predicted, 4) : bytes(x.predicted),
                 ms ? fixed(x.measured, 4) : bytes(x.measured), (x.error >= 0 ? "+" : "") + pct(x.error),
                 "+-" + pct(x.target)});
        }
        m.print(std::cout);
      }
    }
  }
  return missed ? 3 : 0;
}

}  // namespace

void register_compare(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand(
      "compare", "Compare the GPU model's predictions with committed hardware measurements (exit 3: targets missed)");
  cmd->add_option("--measured", o->measured, "A measured_traffic.csv, or a folder searched for them")
      ->capture_default_str();
  cmd->add_option("--kernel", o->kernel, "Only this kernel (standard, flash1, flash2, flash2_hopper)");
  auto* json = cmd->add_flag("--json", o->json, "Print the statistics as JSON");
  cmd->add_flag("--misses", o->misses, "After the table, list every configuration outside its target")->excludes(json);
  cmd->add_option("--plot", o->plot, "Write a log-log scatter plot (.png or .svg)");
  cmd->add_option("--csv", o->csv, "Write predicted and measured values per run");
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  add_model_variant_options(cmd, o->l2);
  cmd->callback([o] {
    finish_model_variant(o->l2);
    const int rc = run(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace iolab::cli
