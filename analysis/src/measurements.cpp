#include "iolab/analysis/measurements.hpp"

#include <algorithm>
#include <stdexcept>

#include "iolab/analysis/csv_rows.hpp"
#include "iolab/kernels/tiling.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {

std::string gpu_model_of(const std::string& gpu_name, const std::string& where) {
  std::string lower = gpu_name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower.find("h200") != std::string::npos) return "h200";
  if (lower.find("h100") != std::string::npos) return "h100";
  throw sim::InputError(where + ": GPU '" + gpu_name + "' has no model (known: H100, H200)");
}

MeasurementProvenance read_provenance(const CsvRow& row) {
  MeasurementProvenance p;
  p.source = row.where();
  p.gpu = row["gpu"];
  p.driver = row["driver"];
  p.date = row["date"];
  p.gpu_model = gpu_model_of(p.gpu, p.source);
  return p;
}

std::vector<MeasuredRun> load_measurements(const std::filesystem::path& csv) {
  std::vector<MeasuredRun> runs;
  for_each_csv_row(
      csv, "measurements",
      {"gpu", "driver", "date", "kernel", "dtype", "d", "N", "batch", "heads", "causal", "dram_read_bytes",
       "dram_write_bytes", "l2_read_bytes_from_sm", "l1_read_bytes_from_xbar", "l1_write_bytes_to_xbar", "median_ms"},
      [&](const CsvRow& row) {
        const std::string& where = row.where();
        MeasuredRun r;
        static_cast<MeasurementProvenance&>(r) = read_provenance(row);
        r.kernel = row["kernel"];
        r.dtype = row["dtype"];
        if (iolab::kernels::KernelKind kind{}; !iolab::kernels::kernel_from_name(r.kernel.c_str(), kind))
          throw sim::InputError(where + ": kernel '" + r.kernel +
                                "' has no prediction (standard, flash1, flash2, flash2_hopper)");
        if (r.dtype != "fp16" && r.dtype != "bf16")
          throw sim::InputError(where + ": dtype '" + r.dtype + "' (expected fp16 or bf16)");
        r.d = static_cast<std::int64_t>(row.count("d"));
        r.N = static_cast<std::int64_t>(row.count("N"));
        r.batch = static_cast<std::int64_t>(row.count("batch"));
        r.heads = static_cast<std::int64_t>(row.count("heads"));
        const std::string& c = row["causal"];
        if (c != "true" && c != "false") throw sim::InputError(where + ": causal = '" + c + "' (expected true or false)");
        r.causal = c == "true";
        r.dram_read_bytes = row.count("dram_read_bytes");
        r.dram_write_bytes = row.count("dram_write_bytes");
        r.l2_tag_read_bytes = row.count("l2_read_bytes_from_sm");
        r.sram_read_bytes = row.count("l1_read_bytes_from_xbar");
        r.sram_write_bytes = row.count("l1_write_bytes_to_xbar");
        const std::string& ms = row["median_ms"];
        try {
          std::size_t used = 0;
          r.median_ms = std::stod(ms, &used);
          if (used != ms.size() || !(r.median_ms > 0)) throw std::invalid_argument("x");
        } catch (const std::exception&) {
          throw sim::InputError(where + ": column 'median_ms' = '" + ms + "' is not a positive time in ms");
        }
        runs.push_back(std::move(r));
      });
  return runs;
}

std::vector<std::filesystem::path> find_files_named_any(const std::filesystem::path& dir,
                                                        const std::vector<std::string>& names) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw sim::InputError("no measurements file or folder '" + dir.string() + "'");
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file() && std::find(names.begin(), names.end(), e.path().filename().string()) != names.end())
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::filesystem::path> find_files_named(const std::filesystem::path& dir, const std::string& name) {
  auto out = find_files_named_any(dir, {name});
  if (out.empty()) throw sim::InputError("no " + name + " under '" + dir.string() + "'");
  return out;
}

std::vector<std::filesystem::path> find_measurement_files(const std::filesystem::path& dir) {
  return find_files_named(dir, "measured_traffic.csv");
}

}  // namespace iolab::analysis
