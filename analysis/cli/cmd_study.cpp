// iolab study: the default study (README command 1). Sweeps the SRAM size M
// for standard attention and FlashAttention at N = 4096, d = 64, and the
// sequence length N at a fixed M; prints tables with counts, closed forms,
// bounds, ratios and fitted slopes; writes CSVs and PNG plots.
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "iolab/analysis/atomic_file.hpp"
#include "iolab/analysis/csv.hpp"
#include "iolab/analysis/plot.hpp"
#include "iolab/analysis/sweep.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/units.hpp"
#include "sweep_report.hpp"

namespace iolab::cli {
namespace {

struct StudyOptions {
  std::string out = "out/study";
  std::int64_t N = 4096, d = 64;
  std::string dtype = "fp16";
  unsigned threads = 0;
};

analysis::SweepOutcome sweep(analysis::SweepSpec spec, const char* what) {
  auto r = analysis::run_sweep(spec);
  for (const auto& row : r.rows)
    if (!row.eval.closed_form_matches) throw std::logic_error(std::string("internal error in ") + what);
  return r;
}

void run(const StudyOptions& o) {
  if (o.N <= 0 || o.d <= 0) throw sim::InputError("--N and --d must be positive");
  const auto dt = sim::parse_dtype(o.dtype);
  const std::filesystem::path dir(o.out);
  const auto elems = [&](std::uint64_t kib) { return kib * 1024 / sim::bytes_of(dt); };

  analysis::SweepSpec m;
  m.algos = {"standard", "flash1", "flash2"};
  m.tilings = {sim::Tiling::fit, sim::Tiling::paper};
  m.Ns = {o.N};
  m.ds = {o.d};
  for (std::uint64_t kib : {4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512}) m.Ms.push_back(elems(kib));
  m.dtype = dt;
  m.threads = o.threads;

  analysis::SweepSpec n = m;
  n.tilings = {sim::Tiling::fit};
  n.Ns = {512, 1024, 2048, 4096, 8192, 16384};
  n.Ms = {elems(96)};

  std::cout << "iolab study: HBM accesses (elements read + written) of attention, " << sim::name_of(dt)
            << ", on a machine with an SRAM of M elements\n\n";
  std::cout << "== sweep of M at N=" << o.N << ", d=" << o.d << " ==\n";
  const auto rm = sweep(m, "the M sweep");
  print_rows(rm.rows, std::cout);
  print_skipped(rm.skipped, std::cout);
  print_fits(rm.rows, analysis::PlotAxis::M, std::cout);

  std::cout << "\n== sweep of N at M=96KiB (" << elems(96) << " elements), d=" << o.d << " ==\n";
  const auto rn = sweep(n, "the N sweep");
  print_rows(rn.rows, std::cout);
  print_skipped(rn.skipped, std::cout);
  print_fits(rn.rows, analysis::PlotAxis::N, std::cout);

  analysis::write_file_atomically(dir / "study_M.csv", analysis::sweep_csv(rm.rows));
  analysis::write_file_atomically(dir / "study_N.csv", analysis::sweep_csv(rn.rows));
  analysis::PlotOptions pm{analysis::PlotAxis::M,
                           "HBM accesses vs SRAM size M (N=" + std::to_string(o.N) + ", d=" + std::to_string(o.d) + ")",
                           true};
  analysis::plot_sweep(rm.rows, dir / "study_M.png", pm);
  analysis::PlotOptions pn{analysis::PlotAxis::N, "HBM accesses vs sequence length N (M=96KiB)", true};
  analysis::plot_sweep(rn.rows, dir / "study_N.png", pn);
  std::cout << "\nBounds (Theorem 2): standard Theta(N*d + N^2), FlashAttention Theta(N^2*d^2/M); 'ratio' is count/bound.\n"
            << "Expected slopes: flash in M about -1, flash in N about 2, standard in N about 2.\n";
  std::cout << "\nwrote " << (dir / "study_M.csv").string() << ", " << (dir / "study_N.csv").string() << ", "
            << (dir / "study_M.png").string() << ", " << (dir / "study_N.png").string() << "\n";
}

}  // namespace

void register_study(CLI::App& app) {
  auto o = std::make_shared<StudyOptions>();
  auto* cmd = app.add_subcommand("study", "The default study: sweep M and N for standard and FlashAttention");
  cmd->add_option("--out", o->out, "Output folder for CSVs and plots")->capture_default_str();
  cmd->add_option("--N", o->N, "Sequence length of the M sweep")->capture_default_str();
  cmd->add_option("--d", o->d, "Head dimension")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "Element type: fp16, bf16, fp32, fp64")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->callback([o] { run(*o); });
}

}  // namespace iolab::cli
