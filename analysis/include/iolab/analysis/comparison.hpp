#pragma once
// Predicted against measured: per metric and kernel, mean absolute percentage
// error, aggregate error sum|pred - meas| / sum meas, the worst relative error
// and Pearson's r, and a check against the accuracy targets of issue 4:
// DRAM bytes (read + written) within 10% (flash) or 15% (standard) for every
// configuration, SRAM<->L2 bytes (read + written) within 10%, runtime within
// 25%.  Reads and writes of each level are also reported one by one, without
// a target (near-zero DRAM writes make relative errors meaningless there).
#include <string>
#include <vector>

#include "iolab/analysis/measurements.hpp"
#include "iolab/sim/gpu/gpu_model.hpp"

namespace iolab::analysis {

struct ComparedRun {
  MeasuredRun measured;
  sim::gpu::KernelPrediction predicted;
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

std::vector<ComparedRun> predict_all(const std::vector<MeasuredRun>& runs, unsigned threads = 0);
std::vector<MetricStats> compare(const std::vector<ComparedRun>& runs);

}  // namespace iolab::analysis
