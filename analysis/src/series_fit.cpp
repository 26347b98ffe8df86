#include "iolab/analysis/series_fit.hpp"

#include <map>
#include <set>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/block_mask.hpp"

namespace iolab::analysis {

std::vector<SeriesFit> fit_series(const std::vector<SweepRow>& rows, PlotAxis axis) {
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> pts;
  for (const auto& r : rows) {
    const auto& p = r.eval.sim.plan;
    // Appended piecewise: GCC 12's -Wrestrict misfires on "literal" + std::string at -O3.
    std::string key = p.algo;
    if (!sim::single_tiling(p.algo)) key.append(" (").append(sim::name_of(p.tiling)).append(")");
    if (p.pass != sim::Pass::fwd) key.append(" ").append(sim::name_of(p.pass));
    if (p.causal) key += " causal";
    if (p.block_mask) key.append(" mask ").append(p.block_mask->spec);
    key.append(axis == PlotAxis::M ? " N=" : " M=").append(std::to_string(axis == PlotAxis::M ? p.N : p.M));
    key += " d=" + std::to_string(p.d);
    if (!pts.count(key)) order.push_back(key);
    auto& [x, y] = pts[key];
    x.push_back(static_cast<double>(axis == PlotAxis::M ? p.M : static_cast<sim::count_t>(p.N)));
    y.push_back(static_cast<double>(r.eval.sim.reads_elems + r.eval.sim.writes_elems));
  }
  std::vector<SeriesFit> fits;
  for (const auto& key : order) {
    const auto& [x, y] = pts[key];
    if (std::set<double>(x.begin(), x.end()).size() < 2) continue;
    fits.push_back({key, x.size(), fit_power_law(x, y)});
  }
  return fits;
}

}  // namespace iolab::analysis
