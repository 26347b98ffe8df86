#include "iolab/analysis/cta_trace.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <cmath>
#include <numeric>

#include "iolab/analysis/csv_rows.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {

std::vector<CtaTimeline> load_cta_trace(const std::filesystem::path& csv) {
  std::vector<CtaTimeline> out;
  for_each_csv_row(csv, "thread-block trace", {"block", "sm", "start_ns", "end_ns"}, [&](const CsvRow& r) {
    CtaTimeline t{r.count("block"), r.count("sm"), r.count("start_ns"), r.count("end_ns")};
    if (t.end_ns < t.start_ns)
      throw sim::InputError(r.where() + ": block " + std::to_string(t.block) + " ends (" + std::to_string(t.end_ns) +
                            " ns) before it starts (" + std::to_string(t.start_ns) + " ns)");
    out.push_back(t);
  });
  return out;
}

std::vector<double> first_wave_ratios(const std::vector<CtaTimeline>& trace, std::uint64_t window_ns) {
  if (trace.empty()) throw sim::InputError("thread-block trace: no blocks");
  std::uint64_t t0 = trace.front().start_ns;
  for (const auto& t : trace) t0 = std::min(t0, t.start_ns);
  std::map<std::uint64_t, std::vector<std::uint64_t>> first;  // per SM, its first-wave durations
  for (const auto& t : trace)
    if (t.start_ns - t0 <= window_ns) first[t.sm].push_back(t.end_ns - t.start_ns);
  const std::size_t k = first.begin()->second.size();
  std::vector<std::vector<double>> ratios(k > 0 ? k - 1 : 0);
  for (auto& [sm, d] : first) {
    if (d.size() != k)
      throw sim::InputError("thread-block trace: SM " + std::to_string(sm) + " starts " + std::to_string(d.size()) +
                            " blocks in the first wave, SM " + std::to_string(first.begin()->first) + " " +
                            std::to_string(k));
    std::sort(d.begin(), d.end());
    if (d[0] == 0) throw sim::InputError("thread-block trace: a block on SM " + std::to_string(sm) + " takes 0 ns");
    for (std::size_t i = 1; i < k; ++i) ratios[i - 1].push_back(static_cast<double>(d[i]) / static_cast<double>(d[0]));
  }
  std::vector<double> out;
  for (auto& v : ratios) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    out.push_back(n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
  }
  return out;
}

std::vector<std::vector<double>> age_paced_lineages(const std::vector<double>& rates, std::size_t generations) {
  const std::size_t k = rates.size();
  if (k == 0) throw sim::InputError("age-paced replay: no rates");
  if (generations == 0) throw sim::InputError("age-paced replay: no generations");
  for (std::size_t i = 0; i < k; ++i)
    if (!(rates[i] > 0) || (i > 0 && rates[i] > rates[i - 1]))
      throw sim::InputError("age-paced replay: rates must be positive and non-increasing");
  const double total = std::accumulate(rates.begin(), rates.end(), 0.0);
  // Slot i: work left of its block and the block's age (start time, then dispatch number).
  std::vector<double> left(k, 1.0);
  std::vector<std::vector<double>> dur(k);
  std::vector<std::pair<double, std::uint64_t>> age(k);
  for (std::size_t i = 0; i < k; ++i) age[i] = {0.0, i};
  std::uint64_t next = k;
  double t = 0;
  std::size_t done = 0;  // slots with `generations` blocks finished
  while (done < k) {
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return age[a] < age[b]; });
    std::vector<double> share(k);
    for (std::size_t r = 0; r < k; ++r) share[order[r]] = static_cast<double>(k) * rates[r] / total;
    double dt = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < k; ++i) dt = std::min(dt, left[i] / share[i]);
    t += dt;
    for (std::size_t i = 0; i < k; ++i) left[i] -= share[i] * dt;
    for (std::size_t i = 0; i < k; ++i)
      if (left[i] <= 1e-12) {
        if (dur[i].size() < generations) {
          dur[i].push_back(t - age[i].first);
          if (dur[i].size() == generations) ++done;
        }
        left[i] = 1.0;
        age[i] = {t, next++};
      }
  }
  return dur;
}

std::vector<double> age_paced_first_wave(const std::vector<double>& rates) {
  const auto lineages = age_paced_lineages(rates, 1);
  std::vector<double> out;
  for (std::size_t i = 1; i < lineages.size(); ++i) out.push_back(lineages[i][0] / lineages[0][0]);
  return out;
}

std::vector<double> fit_age_rates(const std::vector<double>& ratios) {
  for (std::size_t i = 0; i < ratios.size(); ++i)
    if (!(ratios[i] >= 1) || (i > 0 && ratios[i] < ratios[i - 1]))
      throw sim::InputError("age rates: duration ratios must be >= 1 and non-decreasing");
  std::vector<double> rates(ratios.size() + 1, 1.0);
  // Sweeps of bisection per rank: rate[i] in (0, rate[i - 1]] so that the first wave's D_i / D_0 matches;
  // a slower block i (smaller rate) takes longer, so D_i / D_0 falls as rate[i] grows.
  for (int sweep = 0; sweep < 100; ++sweep) {
    double moved = 0;
    for (std::size_t i = 1; i < rates.size(); ++i) {
      double lo = 1e-6, hi = rates[i - 1];
      auto at = [&](double x) {
        auto r = rates;
        r[i] = x;
        for (std::size_t j = i + 1; j < r.size(); ++j) r[j] = std::min(r[j], x);
        return age_paced_first_wave(r)[i - 1];
      };
      if (at(hi) > ratios[i - 1] + 1e-9 || at(lo) < ratios[i - 1] - 1e-9)
        throw sim::InputError("age rates: no rates give the duration ratios");
      for (int it = 0; it < 80; ++it) {
        const double mid = 0.5 * (lo + hi);
        (at(mid) > ratios[i - 1] ? lo : hi) = mid;
      }
      const double x = 0.5 * (lo + hi);
      moved = std::max(moved, std::abs(x - rates[i]));
      rates[i] = x;
      for (std::size_t j = i + 1; j < rates.size(); ++j) rates[j] = std::min(rates[j], x);
    }
    if (moved < 1e-12) break;
  }
  for (std::size_t i = 0; i < ratios.size(); ++i)
    if (std::abs(age_paced_first_wave(rates)[i] - ratios[i]) > 1e-9)
      throw sim::InputError("age rates: no rates give the duration ratios");
  return rates;
}

}  // namespace iolab::analysis
