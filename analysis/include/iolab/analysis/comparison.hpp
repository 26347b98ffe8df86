#pragma once
// Predicted against measured: per metric and kernel, mean absolute percentage
// error, aggregate error sum|pred - meas| / sum meas, the worst relative error
// and Pearson's r, and a check against the accuracy targets of issue 4:
// DRAM bytes (read + written) within 10% (flash) or 15% (standard) for every
// configuration, SRAM<->L2 bytes (read + written) within 10%, runtime within
// 25%.  Reads and writes of each level are also reported one by one, without
// a target (near-zero DRAM writes make relative errors meaningless there).
#include <optional>
#include <string>
#include <vector>

#include "iolab/analysis/measurements.hpp"
#include "iolab/sim/gpu/gpu_model.hpp"

namespace iolab::analysis {

struct ComparedRun {
  MeasuredRun measured;
  sim::gpu::KernelPrediction predicted;
};

/// A configuration outside its accuracy target for one metric (missed_targets).
struct MissedTarget {
  std::size_t run = 0;  ///< index into the compared runs
  std::string metric;
  double predicted = 0, measured = 0;
  double error = 0;   ///< (predicted - measured) / measured, signed
  double target = 0;  ///< allowed |error|
};

struct MetricStats {
  std::string metric, kernel;
  std::size_t n = 0;
  double mape = 0, aggregate_error = 0, max_error = 0, pearson_r = 0;
  double target = 0;       ///< allowed |relative error| per configuration
  std::size_t misses = 0;  ///< configurations outside the target
  std::string worst;       ///< the configuration with the largest error
};

/// Metrics: sram_bytes, dram_bytes, runtime (with targets), then sram_read_bytes,
/// sram_write_bytes, dram_read_bytes, dram_write_bytes (reported only).
const std::vector<std::string>& compared_metrics();
double metric_value(const ComparedRun& r, const std::string& metric, bool predicted);
/// Relative error target for a metric and kernel (0: reported, no target).
double target_for(const std::string& metric, const std::string& kernel);

/// A variant of the GPU model to compare instead of the GPU's own (sim::gpu::ModelOptions): its L2 (capacity
/// and dirty limit as fractions of each run's physical L2, GpuSpec::l2_bytes; sets, partitions, replacement)
/// and how CTAs interleave; unset fields keep the GPU's model.
struct ModelVariant {
  std::optional<double> capacity_fraction, dirty_fraction;  ///< dirty_fraction 0: no dirty limit
  std::optional<sim::cache::Replacement> replacement;
  std::optional<sim::cache::DirtyClean> dirty_clean;
  std::optional<std::uint32_t> ways, partitions;  ///< ways 0: fully associative
  std::optional<sim::cache::SetIndex> set_index;  ///< with ways > 0
  std::optional<sim::gpu::L2Copies> copies;
  std::optional<double> copy_fraction;
  std::optional<sim::gpu::L2Sides> sides;
  std::optional<sim::gpu::L2WriteCopies> write_copies;
  std::optional<sim::gpu::ModelOptions::CtaPacing> pacing;  ///< how CTAs interleave (gpu_model.hpp); unset: the model's
  bool is_default() const;
  bool l2_is_default() const;  ///< no L2 field set (pacing aside)
  /// One line naming what the variant sets, e.g. "the GPU model with its L2 as: 1 partition, fully
  /// associative, capacity 0.50 x L2, no dirty limit, srrip", "... with CTAs in lockstep", or "the GPU model
  /// as it is" when nothing is set.
  std::string describe() const;
};

/// The GPU model's options for comparing with the committed measurements: the L2 flushed before each launch
/// (ncu --cache-control all), and the variant's L2 for this GPU.
sim::gpu::ModelOptions model_options(const ModelVariant& variant, const sim::gpu::GpuSpec& spec);

std::vector<ComparedRun> predict_all(const std::vector<MeasuredRun>& runs, unsigned threads = 0,
                                     const ModelVariant& variant = {});
std::vector<MetricStats> compare(const std::vector<ComparedRun>& runs);
/// (predicted - measured) / measured (1 when only the measurement is 0 and the prediction is not, 0 when both are).
double signed_relative_error(double predicted, double measured);
/// |signed_relative_error|.
double relative_error(double predicted, double measured);
/// "flash2 d=128 N=32768 B=1 H=2" (" causal" appended when causal): how reports name a configuration.
std::string run_label(const MeasuredRun& m);
/// Every (run, metric with a target) whose relative error exceeds the target (the misses compare() counts),
/// in run order, then metric order (compared_metrics()).
std::vector<MissedTarget> missed_targets(const std::vector<ComparedRun>& runs);

}  // namespace iolab::analysis
