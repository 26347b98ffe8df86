// iolab sweep: a grid of configurations to CSV (schema in README), with an
// optional log-log plot and fitted slopes.
#include <iostream>

#include "commands.hpp"
#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/analysis/atomic_file.hpp"
#include "iolab/analysis/csv.hpp"
#include "iolab/analysis/grid_spec.hpp"
#include "iolab/analysis/plot.hpp"
#include "iolab/analysis/sweep.hpp"
#include "iolab/sim/errors.hpp"
#include "machine_options.hpp"
#include "sweep_report.hpp"

namespace iolab::cli {
namespace {

struct SweepOptions {
  std::string algos = "standard,flash1,flash2";
  std::string tilings = "fit";
  std::string Ns, ds;
  MachineOptions machine;
  std::string out, plot, x;
  unsigned threads = 0;
  bool quiet = false;
  std::string passes = "fwd";
  bool causal = false;
  bool lower_bound = false;
  std::string mask;
  std::int64_t groups = 1, splits = 0;
};

void run(const SweepOptions& o) {
  analysis::SweepSpec spec;
  spec.algos.clear();
  for (auto a : analysis::split_words(o.algos)) spec.algos.emplace_back(a);
  spec.tilings.clear();
  for (auto t : analysis::split_words(o.tilings)) spec.tilings.push_back(sim::parse_tiling(t));
  spec.Ns = analysis::parse_int_list(o.Ns, "--N");
  spec.ds = analysis::parse_int_list(o.ds, "--d");
  for (auto v : spec.Ns)
    if (v <= 0) throw sim::InputError("N must be a positive sequence length, got " + std::to_string(v));
  for (auto v : spec.ds)
    if (v <= 0) throw sim::InputError("d must be a positive head dimension, got " + std::to_string(v));
  spec.dtype = resolve_dtype(o.machine);
  spec.Ms = resolve_M_list(o.machine, spec.dtype);
  spec.threads = o.threads;
  spec.passes.clear();
  for (auto s : analysis::split_words(o.passes)) spec.passes.push_back(sim::parse_pass(s));
  spec.causal = o.causal;
  spec.mask = o.mask;
  spec.groups = o.groups;
  spec.splits = o.splits;
  if (!o.mask.empty()) sim::validate_mask_spec(o.mask);
  analysis::PlotAxis axis = spec.Ms.size() > 1 || spec.Ns.size() == 1 ? analysis::PlotAxis::M : analysis::PlotAxis::N;
  if (o.x == "M")
    axis = analysis::PlotAxis::M;
  else if (o.x == "N")
    axis = analysis::PlotAxis::N;
  else if (!o.x.empty())
    throw sim::InputError("--x must be M or N, got '" + o.x + "'");
  if (!o.plot.empty()) {
    const auto ext = std::filesystem::path(o.plot).extension();
    if (ext != ".png" && ext != ".svg") throw sim::InputError("--plot file '" + o.plot + "' must end in .png or .svg");
  }

  const auto outcome = analysis::run_sweep(spec);
  if (outcome.rows.empty())
    throw sim::InputError("no feasible configuration in the grid (" + std::to_string(outcome.skipped.size()) +
                          " infeasible, e.g. " + outcome.skipped.front().config + ": " +
                          outcome.skipped.front().reason + ")");
  for (const auto& r : outcome.rows)
    if (!r.eval.closed_form_matches) throw std::logic_error("internal error: closed form differs from the simulation");
  const std::string csv = analysis::sweep_csv(outcome.rows);
  if (o.out.empty()) {
    std::cout << csv;
    print_skipped(outcome.skipped, std::cerr);
  } else {
    analysis::write_file_atomically(o.out, csv);
    if (!o.quiet) {
      print_rows(outcome.rows, std::cout);
      print_fits(outcome.rows, axis, std::cout);
    }
    print_skipped(outcome.skipped, std::cerr);
    std::cout << "wrote " << o.out << " (" << outcome.rows.size() << " rows)\n";
  }
  if (!o.plot.empty()) {
    analysis::PlotOptions po;
    po.x = axis;
    po.title = "HBM accesses of attention (" + std::string(sim::name_of(spec.dtype)) + (spec.causal ? ", causal" : "") +
               ")";
    po.lower_bound_lines = o.lower_bound;
    analysis::plot_sweep(outcome.rows, o.plot, po);
    (o.out.empty() ? std::cerr : std::cout) << "wrote " << o.plot << "\n";
  }
}

}  // namespace

void register_sweep(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand("sweep", "Simulate a grid of configurations and write CSV (and a plot)");
  cmd->add_option("--algo", o->algos, "Algorithms, comma-separated: standard, flash1, flash2, flash_dtile")
      ->capture_default_str();
  cmd->add_option("--pass", o->passes, "Passes, comma-separated: fwd, bwd, fwdbwd")->capture_default_str();
  cmd->add_flag("--causal", o->causal, "Causal mask for every configuration");
  cmd->add_option("--groups", o->groups, "decode, flash_decoding: query heads per K/V head")->capture_default_str();
  cmd->add_option("--splits", o->splits, "flash_decoding: splits of the KV length (default about sqrt(N))");
  cmd->add_option("--mask", o->mask, "Block-sparsity pattern for every configuration (see `iolab count --help`)");
  cmd->add_flag("--lower-bound", o->lower_bound,
                "With --plot: also draw the regime's lower bound (N^2 d^2/M if M >= d^2, N^2 d/sqrt(M) if M < d^2)");
  cmd->add_option("--tiling", o->tilings, "Tilings, comma-separated: fit, paper")->capture_default_str();
  cmd->add_option("--N", o->Ns, "Sequence lengths: list and/or ranges, e.g. 512:65536:x2,1000")->required();
  cmd->add_option("--d", o->ds, "Head dimensions, e.g. 64,128")->required();
  add_machine_options(cmd, o->machine, /*lists=*/true);
  cmd->add_option("--out", o->out, "CSV file to write (default: CSV on stdout)");
  cmd->add_option("--plot", o->plot, "Also write a log-log plot (.png or .svg)");
  cmd->add_option("--x", o->x, "Plot and fit along M or N (default: M if several M values)");
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->add_flag("--quiet", o->quiet, "With --out: do not print the table");
  cmd->callback([o] { run(*o); });
}

}  // namespace iolab::cli
