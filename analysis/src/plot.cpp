#include "iolab/analysis/plot.hpp"

#include <gnuplot-iostream.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "iolab/analysis/atomic_file.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/block_mask.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
namespace {

std::string series_label(const sim::Plan& p, PlotAxis x) {
  std::string s = p.algo;
  if (!sim::single_tiling(p.algo)) s += " (" + std::string(sim::name_of(p.tiling)) + ")";
  if (p.pass != sim::Pass::fwd) s += " " + std::string(sim::name_of(p.pass));
  if (p.causal) s += " causal";
  if (p.block_mask) s += " mask " + p.block_mask->spec;
  s += x == PlotAxis::M ? " N=" + std::to_string(p.N) : " M=" + std::to_string(p.M);
  s += " d=" + std::to_string(p.d);
  return s;
}

}  // namespace

namespace {

std::string terminal_for(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".png") return "pngcairo size 1100,750 noenhanced font 'DejaVu Sans,10'";
  if (ext == ".svg") return "svg size 1100,750 noenhanced";
  throw sim::InputError("plot file '" + path.string() + "' must end in .png or .svg");
}

void finish_plot(const std::filesystem::path& tmp, const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(tmp, ec) || std::filesystem::file_size(tmp, ec) == 0) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("gnuplot did not write '" + path.string() + "'");
  }
  commit_temporary(tmp, path);
}

}  // namespace

void plot_scatter(const std::vector<ScatterSeries>& series, const std::filesystem::path& path,
                  const std::string& title, const std::string& unit) {
  const std::string terminal = terminal_for(path);
  double lo = 1e300, hi = 0;
  for (const auto& s : series)
    for (auto [m, p] : s.points)
      for (double v : {m, p})
        if (v > 0) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
  if (hi <= 0) throw sim::InputError("nothing to plot: no positive values");
  ensure_parent_directory(path);
  const auto tmp = temporary_beside(path);
  {
    Gnuplot gp("gnuplot");
    gp << "set terminal " << terminal << "\n";
    gp << "set output '" << tmp.string() << "'\n";
    gp << "set logscale xy\nset format x '%.0e'\nset format y '%.0e'\nset grid\nset key left top\n";
    gp << "set xrange [" << lo / 2 << ":" << hi * 2 << "]\nset yrange [" << lo / 2 << ":" << hi * 2 << "]\n";
    gp << "set xlabel 'measured (" << unit << ")'\nset ylabel 'predicted (" << unit << ")'\n";
    gp << "set title '" << title << "'\n";
    gp << "plot x with lines dt 2 lc rgb 'gray30' title 'y = x'";
    int pt = 5;
    for (const auto& s : series) gp << ", '-' with points pt " << pt++ << " ps 1.3 title '" << s.label << "'";
    gp << "\n";
    for (const auto& s : series) gp.send1d(s.points);
    gp << "unset output\n";
    gp.flush();
  }
  finish_plot(tmp, path);
}

void plot_sweep(const std::vector<SweepRow>& rows, const std::filesystem::path& path, const PlotOptions& opts) {
  const std::string terminal = terminal_for(path);
  if (rows.empty()) throw sim::InputError("nothing to plot: the sweep has no feasible configuration");

  // Data series keyed by everything but the x axis, in first-seen order; bound
  // curves keyed by formula and the fixed parameters (flash1 and flash2 share one).
  using Points = std::vector<std::pair<double, double>>;
  std::vector<std::string> order, bound_order, lower_order;
  std::map<std::string, Points> data, bound, lower;
  for (const auto& r : rows) {
    const auto& p = r.eval.sim.plan;
    const std::string key = series_label(p, opts.x);
    if (!data.count(key)) order.push_back(key);
    const double x = opts.x == PlotAxis::M ? static_cast<double>(p.M) : static_cast<double>(p.N);
    data[key].emplace_back(x, static_cast<double>(r.eval.sim.reads_elems + r.eval.sim.writes_elems));
    const std::string bkey = "bound " + r.eval.bound.formula +
                             (opts.x == PlotAxis::M ? " (N=" + std::to_string(p.N) : " (M=" + std::to_string(p.M)) +
                             ", d=" + std::to_string(p.d) + ")";
    if (!bound.count(bkey)) bound_order.push_back(bkey);
    auto& b = bound[bkey];
    if (b.empty() || b.back().first != x) b.emplace_back(x, r.eval.bound.value);
    if (opts.lower_bound_lines) {
      const std::string lkey = "lower bound (" + r.eval.bound.regime + ") " + r.eval.bound.lower_formula +
                               (opts.x == PlotAxis::M ? " (N=" + std::to_string(p.N) : " (M=" + std::to_string(p.M)) +
                               ", d=" + std::to_string(p.d) + ")";
      if (!lower.count(lkey)) lower_order.push_back(lkey);
      auto& l = lower[lkey];
      if (std::none_of(l.begin(), l.end(), [&](const auto& pt) { return pt.first == x; }))
        l.emplace_back(x, r.eval.bound.lower_value);
    }
  }
  for (auto& [k, pts] : lower) std::sort(pts.begin(), pts.end());
  for (auto& [k, pts] : bound) std::sort(pts.begin(), pts.end());

  ensure_parent_directory(path);
  const auto tmp = temporary_beside(path);
  {
    Gnuplot gp("gnuplot");
    gp << "set terminal " << terminal << "\n";
    gp << "set output '" << tmp.string() << "'\n";
    gp << "set logscale xy 2\n";
    gp << "set format y '%.0e'\n";
    gp << "set grid\nset key outside right top\n";
    gp << "set xlabel '" << (opts.x == PlotAxis::M ? "SRAM size M (elements)" : "sequence length N") << "'\n";
    gp << "set ylabel 'HBM accesses (elements read + written)'\n";
    if (!opts.title.empty()) gp << "set title '" << opts.title << "'\n";
    if (opts.lower_bound_lines && opts.x == PlotAxis::M) {  // mark the regime boundary M = d^2
      double xmin = 1e300, xmax = 0;
      std::set<std::int64_t> ds;
      for (const auto& r : rows) {
        xmin = std::min(xmin, static_cast<double>(r.eval.sim.plan.M));
        xmax = std::max(xmax, static_cast<double>(r.eval.sim.plan.M));
        ds.insert(r.eval.sim.plan.d);
      }
      for (auto d : ds) {
        const double b = static_cast<double>(d) * static_cast<double>(d);
        if (b < xmin || b > xmax) continue;
        gp << "set arrow from " << b << ", graph 0 to " << b << ", graph 1 nohead dt 4 lw 1 lc rgb 'gray50'\n";
        gp << "set label 'M = d^2 = " << d * d << "' at " << b << ", graph 0.97 left offset 0.5,0 tc rgb 'gray30'\n";
      }
    }
    gp << "plot ";
    bool first = true;
    int color = 1;
    for (const auto& key : order) {
      gp << (first ? "" : ", ") << "'-' with linespoints lw 2 pt 7 lc " << color++ << " title '" << key << "'";
      first = false;
    }
    if (opts.bound_lines)
      for (std::size_t i = 0; i < bound_order.size(); ++i)
        gp << ", '-' with lines dt " << 2 + i % 4 << " lw 2 lc rgb 'gray30' title '" << bound_order[i] << "'";
    for (const auto& key : lower_order) gp << ", '-' with lines dt 3 lw 3 lc rgb 'black' title '" << key << "'";
    gp << "\n";
    for (const auto& key : order) gp.send1d(data[key]);
    if (opts.bound_lines)
      for (const auto& key : bound_order) gp.send1d(bound[key]);
    for (const auto& key : lower_order) gp.send1d(lower[key]);
    gp << "unset output\n";
    gp.flush();
  }  // pclose waits for gnuplot to finish
  finish_plot(tmp, path);
}

}  // namespace iolab::analysis
