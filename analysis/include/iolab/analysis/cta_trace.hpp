#pragma once
// Thread-block timelines of a kernel launch (attention_measure --trace, kernels/bench/cta_trace.sh;
// committed under analysis/measurements/cta_trace_*/<gpu>/trace_*.csv) and the issue rates by age that the
// GPU model's CTA pacing takes from them (GpuSpec::cta_age_rates, ModelOptions::CtaPacing::age).
//
// Contract:
//  * load_cta_trace reads a CSV with at least the columns block, sm, start_ns, end_ns (extra columns
//    ignored); InputError naming the file and line for a missing column, a field that is not a whole number,
//    a block that ends before it starts, and for a file without blocks.
//  * first_wave_ratios: the blocks that start within `window_ns` of the launch's first start are the first
//    wave; k = their count per SM, which must be the same on every SM (InputError otherwise, or for k = 0
//    durations). Per SM their durations sorted, divided by the shortest; returned: the median over SMs of
//    each, D_1 / D_0 .. D_{k-1} / D_0 (k - 1 numbers).
//  * age_paced_first_wave(rates): the same ratios for one SM of the GPU model's pacing (gpu_model.hpp): k =
//    rates.size() slots, identical blocks, the live blocks ranked by age get shares k x rate(rank) / sum of
//    the rates, a block that ends is replaced at once by a new (youngest) one; the first k blocks start
//    together, oldest first in slot order. rates: positive, non-increasing (InputError otherwise).
//  * age_paced_lineages(rates, generations): the same replay continued: per slot (slot 0 the oldest of the
//    first wave), the durations of its first `generations` blocks, each block one unit of work done at
//    its share (so equal rates give 1 for every block). age_paced_first_wave(rates)[i - 1] =
//    lineages[i][0] / lineages[0][0]. generations >= 1 (InputError otherwise).
//  * fit_age_rates(ratios): the rates, rates[0] = 1, non-increasing, for which age_paced_first_wave gives
//    `ratios` (to 1e-9, by bisection per rank); InputError when ratios are not >= 1 and non-decreasing or
//    no such rates exist. For two blocks, rate[1] = 2 - D_1 / D_0.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace iolab::analysis {

struct CtaTimeline {
  std::uint64_t block = 0, sm = 0;
  std::uint64_t start_ns = 0, end_ns = 0;
};

std::vector<CtaTimeline> load_cta_trace(const std::filesystem::path& csv);

std::vector<double> first_wave_ratios(const std::vector<CtaTimeline>& trace, std::uint64_t window_ns = 5000);
std::vector<double> age_paced_first_wave(const std::vector<double>& rates);
std::vector<std::vector<double>> age_paced_lineages(const std::vector<double>& rates, std::size_t generations);
std::vector<double> fit_age_rates(const std::vector<double>& ratios);

}  // namespace iolab::analysis
