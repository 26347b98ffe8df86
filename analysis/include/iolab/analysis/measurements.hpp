#pragma once
// Measured GPU traffic (analysis/measurements/*/measured_traffic.csv, written
// by kernels/bench/measure_traffic.sh on the lent GPU).
//
// Contract: load_measurements reads a CSV with at least the columns below
// (extra columns are ignored). A missing column, a row with the wrong number
// of fields, a count that is not a whole number, a kernel other than
// standard/flash1/flash2/flash2_hopper, a dtype other than fp16/bf16, or a GPU
// name the model does not know throws InputError naming the file, line and
// column.
// Nothing is dropped silently.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace iolab::analysis {

class CsvRow;

/// Where a measured row comes from: the columns gpu, driver, date of every measurement CSV of the lent GPUs.
struct MeasurementProvenance {
  std::string source;                        ///< "file:line"
  std::string gpu, gpu_model, driver, date;  ///< gpu_model: "h100" or "h200"
};
/// The row's provenance; InputError naming the row for a GPU the model does not know (gpu_model_of).
MeasurementProvenance read_provenance(const CsvRow& row);

struct MeasuredRun : MeasurementProvenance {
  std::string kernel, dtype;
  std::int64_t d = 0, N = 0, batch = 0, heads = 0;
  bool causal = false;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  std::uint64_t sram_read_bytes = 0, sram_write_bytes = 0;  ///< l1tex <- / -> crossbar
  std::uint64_t l2_tag_read_bytes = 0;                      ///< lts__t_sectors_srcunit_tex_op_read x 32
  double median_ms = 0;
};

std::vector<MeasuredRun> load_measurements(const std::filesystem::path& csv);
/// "h100" or "h200" for a GPU name as nvidia-smi prints it; InputError "<where>: GPU ... has no model" otherwise.
std::string gpu_model_of(const std::string& gpu_name, const std::string& where);

/// Every measured_traffic.csv under `dir` (recursively), in path order.
std::vector<std::filesystem::path> find_measurement_files(const std::filesystem::path& dir);
/// Every file called `name` under `dir` (recursively), in path order; InputError when `dir` is no folder or
/// holds none.
std::vector<std::filesystem::path> find_files_named(const std::filesystem::path& dir, const std::string& name);
/// Every file called one of `names` under `dir` (recursively), in path order; InputError when `dir` is no
/// folder, an empty list when it holds none.
std::vector<std::filesystem::path> find_files_named_any(const std::filesystem::path& dir,
                                                        const std::vector<std::string>& names);

}  // namespace iolab::analysis
