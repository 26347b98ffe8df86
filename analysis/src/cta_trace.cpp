#include "iolab/analysis/cta_trace.hpp"

#include <algorithm>
#include <map>

#include "iolab/analysis/csv_rows.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {

std::vector<CtaTimeline> load_cta_trace(const std::filesystem::path& csv) {
  std::vector<CtaTimeline> out;
  for_each_csv_row(csv, "thread-block trace", {"block", "sm", "start_ns", "mid_ns", "end_ns"}, [&](const CsvRow& r) {
    CtaTimeline t{r.count("block"), r.count("sm"), r.count("start_ns"), r.count("mid_ns"), r.count("end_ns")};
    if (t.mid_ns < t.start_ns || t.end_ns < t.mid_ns)
      throw sim::InputError(r.where() + ": block " + std::to_string(t.block) + " has times out of order (start " +
                            std::to_string(t.start_ns) + ", mid " + std::to_string(t.mid_ns) + ", end " +
                            std::to_string(t.end_ns) + ")");
    out.push_back(t);
  });
  return out;
}

WaveRates first_wave_rates(const std::vector<CtaTimeline>& trace, std::uint64_t window_ns) {
  if (trace.empty()) throw sim::InputError("thread-block trace: no blocks");
  std::uint64_t t0 = trace.front().start_ns;
  for (const auto& t : trace) t0 = std::min(t0, t.start_ns);
  std::map<std::uint64_t, std::vector<const CtaTimeline*>> first;  // per SM, its first-wave blocks
  for (const auto& t : trace)
    if (t.start_ns - t0 <= window_ns) first[t.sm].push_back(&t);
  WaveRates w;
  w.ctas_per_sm = static_cast<std::uint32_t>(first.begin()->second.size());
  std::vector<double> ratio_sum(w.ctas_per_sm, 0.0);
  for (auto& [sm, blocks] : first) {
    if (blocks.size() != w.ctas_per_sm)
      throw sim::InputError("thread-block trace: SM " + std::to_string(sm) + " starts " +
                            std::to_string(blocks.size()) + " blocks in the first wave, SM " +
                            std::to_string(first.begin()->first) + " " + std::to_string(w.ctas_per_sm));
    std::sort(blocks.begin(), blocks.end(), [](const CtaTimeline* a, const CtaTimeline* b) {
      return a->start_ns != b->start_ns ? a->start_ns < b->start_ns : a->block < b->block;
    });
    std::vector<double> rate;
    for (const auto* b : blocks) {
      if (b->mid_ns == b->start_ns)
        throw sim::InputError("thread-block trace: block " + std::to_string(b->block) + " has mid == start");
      rate.push_back(0.5 / static_cast<double>(b->mid_ns - b->start_ns));
    }
    if (w.ctas_per_sm == 2) std::sort(rate.rbegin(), rate.rend());  // faster first: the order is not observable
    for (std::size_t r = 1; r < rate.size(); ++r) ratio_sum[r] += rate[r] / rate[r - 1];
  }
  w.rates.assign(w.ctas_per_sm, 1.0);
  for (std::size_t r = 1; r < w.rates.size(); ++r)
    w.rates[r] = w.rates[r - 1] * ratio_sum[r] / static_cast<double>(first.size());
  return w;
}

}  // namespace iolab::analysis
