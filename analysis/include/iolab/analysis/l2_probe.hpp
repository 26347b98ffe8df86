#pragma once
// The L2 capacity probe (kernels/bench/l2_capacity_probe.cu): its committed measurements
// (analysis/measurements/l2_probe_*/<gpu>/l2_probe.csv, written by l2_capacity_probe.sh) and the GPU
// model's L2 replaying the same launches (sim/gpu/l2_probe.hpp).
//
// Contract: load_probe_measurements reads a CSV with at least the columns gpu, driver, date, mode, rmw,
// mib, bytes, passes, sms, dram_read_bytes, dram_write_bytes (extra columns ignored). A missing column, a
// row with the wrong number of fields, a count that is not a whole number, an unknown mode, rmw not 0/1,
// bytes not a multiple of 16 x sms, or a GPU the model does not know throws InputError naming the file,
// line and column. Optional columns: sm_l2_read_bytes and sm_l2_write_bytes (the SMs' requests to the L2)
// and fabric_bytes (lts__t_sectors_srcunit_ltcfabric x 32: requests one L2 partition forwards to the
// other; -1 where the GPU lacks the counter), read when all three are present and fabric_bytes is not -1;
// stream_kib and group (the mixed and fill series, l2_probe_mixed.csv and l2_probe_fill.csv), read when both
// are present: stream_kib > 0 exactly on mixed and fill rows (0 on the series' rows without a stream), group
// at least 1. Write and fill rows must have one pass and rmw 0.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "iolab/analysis/comparison.hpp"
#include "iolab/analysis/measurements.hpp"

namespace iolab::analysis {

struct ProbeRun : MeasurementProvenance {
  std::string mode;                          ///< private, rotate, shared, write, mixed, fill
  bool rmw = false;
  /// The mixed and fill series only (files with the stream_kib and group columns): KiB of the stream slice
  /// each group of `group` CTAs reads per pass, 0 on the series' rows without a stream. Unset: the capacity
  /// probe's own files.
  std::optional<std::uint64_t> stream_kib;
  std::uint32_t group = 16;
  std::uint64_t bytes = 0;  ///< the whole buffer
  std::uint32_t passes = 0, sms = 0;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  /// The optional columns, when present: SM<->L2 bytes (reads + writes) and fabric bytes.
  std::optional<std::uint64_t> sm_l2_bytes, fabric_bytes;
  /// Reads of each line of the buffer the launch requests: passes, times sms in shared mode (0 in write and
  /// fill modes).
  std::uint64_t uses() const;
  /// "mixed series" (stream_kib set; mixed or private rows), "fill series" (stream_kib set; fill or write
  /// rows), or "" (the capacity probe).
  std::string series() const;
};

std::vector<ProbeRun> load_probe_measurements(const std::filesystem::path& csv);
/// Every l2_probe.csv under `dir` (recursively), in path order.
std::vector<std::filesystem::path> find_probe_files(const std::filesystem::path& dir);
/// Every l2_probe_mixed.csv and l2_probe_fill.csv under `dir` (recursively), in path order; none is an empty
/// list, not an error.
std::vector<std::filesystem::path> find_mixed_probe_files(const std::filesystem::path& dir);

struct ProbeComparison {
  ProbeRun measured;
  std::uint64_t predicted_read_bytes = 0, predicted_write_bytes = 0;
  std::uint64_t predicted_fabric_bytes = 0;  ///< sim::gpu::LaunchPrediction::fabric_bytes (0: one partition)
};

/// The GPU model's DRAM bytes for each run (the L2 starts empty, as ncu --cache-control all leaves it).
std::vector<ProbeComparison> predict_probe(const std::vector<ProbeRun>& runs, unsigned threads = 0,
                                           const ModelVariant& variant = {});

/// One launch's error, in units of its buffer W (bytes): |predicted - measured| DRAM bytes read per use of
/// a line (uses(), at least 1) plus |predicted - measured| DRAM bytes written, both over W. 0: the model
/// re-reads and writes back exactly what the GPU did; 1: a whole extra (or missing) pass over the buffer.
double probe_error_w(const ProbeComparison& c);

struct ProbeErrorGroup {
  std::string gpu, mode;  ///< mode: "private", "private rmw", ..., or "scored" (probe_scores)
  std::size_t launches = 0;
  double mean_error_w = 0;
};
/// The mean probe_error_w per GPU and mode (" rmw" appended for read-modify-write launches, " (mixed series)"
/// or " (fill series)" for those series' launches without a stream), ordered by GPU and mode.
std::vector<ProbeErrorGroup> probe_errors_by_mode(const std::vector<ProbeComparison>& cmp);
/// Per GPU, the mean probe_error_w over its private, rotate and write launches of the capacity probe
/// (stream_kib unset): the one number L2 model variants are ranked by (analysis/studies). Shared launches
/// are left out: the GPU's CTAs form convoys there, which a replay of CTAs in lockstep cannot show. GPUs
/// with only shared launches are left out.
std::vector<ProbeErrorGroup> probe_scores(const std::vector<ProbeComparison>& cmp);
/// Per GPU, the mean probe_error_w over the mixed series' launches (ProbeRun::series(), with and without a
/// stream), mode "mixed series"; GPUs without such launches are left out.
std::vector<ProbeErrorGroup> probe_mixed_scores(const std::vector<ProbeComparison>& cmp);
/// The same over the fill series, mode "fill series".
std::vector<ProbeErrorGroup> probe_fill_scores(const std::vector<ProbeComparison>& cmp);

}  // namespace iolab::analysis
