#include "sweep_report.hpp"

#include "iolab/analysis/series_fit.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/units.hpp"
#include "table.hpp"

namespace iolab::cli {

void print_rows(const std::vector<analysis::SweepRow>& rows, std::ostream& os) {
  Table t({"algo", "tiling", "N", "d", "M (elems)", "M (bytes)", "Br", "Bc", "HBM accesses", "closed form", "match",
           "bound", "ratio"});
  for (const auto& r : rows) {
    const auto& e = r.eval;
    const auto& p = e.sim.plan;
    t.add({p.algo, sim::single_tiling(p.algo) ? "-" : std::string(sim::name_of(p.tiling)), std::to_string(p.N),
           std::to_string(p.d), grouped(p.M), sim::format_bytes(p.M * sim::bytes_of(p.dtype)), std::to_string(p.br),
           std::to_string(p.bc), grouped(e.sim.reads_elems + e.sim.writes_elems), grouped(e.closed.total()),
           e.closed_form_matches ? "yes" : "NO", e.bound.formula + " = " + sci(e.bound.value),
           fixed(e.bound.ratio, 2)});
  }
  t.print(os);
}

void print_fits(const std::vector<analysis::SweepRow>& rows, analysis::PlotAxis axis, std::ostream& os) {
  const auto fits = analysis::fit_series(rows, axis);
  if (fits.empty()) return;
  const std::string x = axis == analysis::PlotAxis::M ? "M" : "N";
  os << "\nfitted log-log slopes: HBM accesses ~ c * " << x << "^slope\n";
  Table t({"series", "points", "slope", "c", "r^2"});
  for (const auto& f : fits)
    t.add({f.label, std::to_string(f.points), fixed(f.hbm.slope, 3), sci(f.hbm.constant), fixed(f.hbm.r2, 4)});
  t.print(os);
}

void print_skipped(const std::vector<analysis::Skipped>& skipped, std::ostream& os) {
  if (skipped.empty()) return;
  os << skipped.size() << " configuration(s) infeasible and skipped:\n";
  for (const auto& s : skipped) os << "  " << s.config << ": " << s.reason << "\n";
}

}  // namespace iolab::cli
