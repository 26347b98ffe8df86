#pragma once
// The L2 capacity probe (kernels/bench/l2_capacity_probe.cu): its committed measurements
// (analysis/measurements/l2_probe_*/<gpu>/l2_probe.csv, written by l2_capacity_probe.sh) and the GPU
// model's L2 replaying the same launches (sim/gpu/l2_probe.hpp).
//
// Contract: load_probe_measurements reads a CSV with at least the columns gpu, driver, date, mode, rmw,
// mib, bytes, passes, sms, dram_read_bytes, dram_write_bytes (extra columns ignored). A missing column, a
// row with the wrong number of fields, a count that is not a whole number, an unknown mode, rmw not 0/1,
// bytes not a multiple of 16 x sms, or a GPU the model does not know throws InputError naming the file,
// line and column.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "iolab/analysis/comparison.hpp"
#include "iolab/analysis/measurements.hpp"

namespace iolab::analysis {

struct ProbeRun : MeasurementProvenance {
  std::string mode;                          ///< private, rotate, shared, write
  bool rmw = false;
  std::uint64_t bytes = 0;  ///< the whole buffer
  std::uint32_t passes = 0, sms = 0;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  /// Reads of each line the launch requests: passes, times sms in shared mode (0 in write mode).
  std::uint64_t uses() const;
};

std::vector<ProbeRun> load_probe_measurements(const std::filesystem::path& csv);
/// Every l2_probe.csv under `dir` (recursively), in path order.
std::vector<std::filesystem::path> find_probe_files(const std::filesystem::path& dir);

struct ProbeComparison {
  ProbeRun measured;
  std::uint64_t predicted_read_bytes = 0, predicted_write_bytes = 0;
};

/// The GPU model's DRAM bytes for each run (the L2 starts empty, as ncu --cache-control all leaves it).
std::vector<ProbeComparison> predict_probe(const std::vector<ProbeRun>& runs, unsigned threads = 0,
                                           const ModelVariant& variant = {});

}  // namespace iolab::analysis
