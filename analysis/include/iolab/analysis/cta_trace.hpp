#pragma once
// Thread-block timelines of a kernel launch (attention_measure --trace, kernels/bench/cta_trace.sh;
// committed under analysis/measurements/cta_trace_*/<gpu>/trace_*.csv) and the issue rates by age that the
// GPU model's CTA pacing takes from them (GpuSpec::cta_age_rates, ModelOptions::CtaPacing::age).
//
// Contract:
//  * load_cta_trace reads a CSV with at least the columns block, sm, start_ns, mid_ns, end_ns (extra
//    columns ignored); InputError naming the file and line for a missing column, a field that is not a whole
//    number, or a block whose times are out of order (start <= mid <= end), and for a file without blocks.
//  * first_wave_rates: the blocks that start within `window_ns` of the launch's first start are the first
//    wave; k = their count per SM, which must be the same on every SM (InputError otherwise). Each block's
//    rate is half its work over (mid - start). Ranked by start time (then block index) on its SM, rate[r] is
//    the mean over SMs of rate(rank r) / rate(rank r - 1), multiplied up from rate[0] = 1: the rates of k
//    co-resident blocks by age, oldest first. For k = 2 the two blocks of an SM start within the timer's
//    resolution, so their order is not observable: rate[1] is the mean of slower / faster instead.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace iolab::analysis {

struct CtaTimeline {
  std::uint64_t block = 0, sm = 0;
  std::uint64_t start_ns = 0, mid_ns = 0, end_ns = 0;
};

std::vector<CtaTimeline> load_cta_trace(const std::filesystem::path& csv);

struct WaveRates {
  std::uint32_t ctas_per_sm = 0;
  std::vector<double> rates;  ///< by age rank, oldest first, rates[0] = 1
};
WaveRates first_wave_rates(const std::vector<CtaTimeline>& trace, std::uint64_t window_ns = 5000);

}  // namespace iolab::analysis
