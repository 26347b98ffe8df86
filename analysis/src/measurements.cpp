#include "iolab/analysis/measurements.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "iolab/kernels/tiling.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::analysis {
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') cur += c;
  }
  out.push_back(cur);
  return out;
}

std::string gpu_model_of(const std::string& gpu_name, const std::string& where) {
  std::string lower = gpu_name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower.find("h200") != std::string::npos) return "h200";
  if (lower.find("h100") != std::string::npos) return "h100";
  throw sim::InputError(where + ": GPU '" + gpu_name + "' has no model (known: H100, H200)");
}

std::uint64_t parse_count(const std::string& s, const std::string& where, const char* column) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    throw sim::InputError(where + ": column '" + column + "' = '" + s + "' is not a whole number of bytes/elements");
  return v;
}

std::vector<MeasuredRun> load_measurements(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) throw sim::InputError("cannot read measurements '" + csv.string() + "'");
  std::string line;
  if (!std::getline(in, line)) throw sim::InputError(csv.string() + ": empty measurements file");
  const auto header = split_csv(line);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  static const char* kRequired[] = {"gpu", "driver", "date", "kernel", "dtype", "d", "N", "batch", "heads", "causal",
                                    "dram_read_bytes", "dram_write_bytes", "l2_read_bytes_from_sm",
                                    "l1_read_bytes_from_xbar", "l1_write_bytes_to_xbar", "median_ms"};
  for (const char* c : kRequired)
    if (!col.count(c))
      throw sim::InputError(csv.string() + ":1: missing column '" + c + "' (see analysis/measurements/*/README.md)");
  std::vector<MeasuredRun> runs;
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    const std::string where = csv.string() + ":" + std::to_string(lineno);
    const auto f = split_csv(line);
    if (f.size() != header.size())
      throw sim::InputError(where + ": " + std::to_string(f.size()) + " fields, the header has " +
                            std::to_string(header.size()));
    auto get = [&](const char* c) { return f[col[c]]; };
    auto count = [&](const char* c) { return parse_count(get(c), where, c); };
    MeasuredRun r;
    r.source = where;
    r.gpu = get("gpu");
    r.driver = get("driver");
    r.date = get("date");
    r.kernel = get("kernel");
    r.dtype = get("dtype");
    r.gpu_model = gpu_model_of(r.gpu, where);
    if (iolab::kernels::KernelKind kind{}; !iolab::kernels::kernel_from_name(r.kernel.c_str(), kind))
      throw sim::InputError(where + ": kernel '" + r.kernel +
                            "' has no prediction (standard, flash1, flash2, flash2_hopper)");
    if (r.dtype != "fp16" && r.dtype != "bf16")
      throw sim::InputError(where + ": dtype '" + r.dtype + "' (expected fp16 or bf16)");
    r.d = static_cast<std::int64_t>(count("d"));
    r.N = static_cast<std::int64_t>(count("N"));
    r.batch = static_cast<std::int64_t>(count("batch"));
    r.heads = static_cast<std::int64_t>(count("heads"));
    const std::string c = get("causal");
    if (c != "true" && c != "false") throw sim::InputError(where + ": causal = '" + c + "' (expected true or false)");
    r.causal = c == "true";
    r.dram_read_bytes = count("dram_read_bytes");
    r.dram_write_bytes = count("dram_write_bytes");
    r.l2_tag_read_bytes = count("l2_read_bytes_from_sm");
    r.sram_read_bytes = count("l1_read_bytes_from_xbar");
    r.sram_write_bytes = count("l1_write_bytes_to_xbar");
    try {
      std::size_t used = 0;
      r.median_ms = std::stod(get("median_ms"), &used);
      if (used != get("median_ms").size() || !(r.median_ms > 0)) throw std::invalid_argument("x");
    } catch (const std::exception&) {
      throw sim::InputError(where + ": column 'median_ms' = '" + get("median_ms") + "' is not a positive time in ms");
    }
    runs.push_back(std::move(r));
  }
  if (runs.empty()) throw sim::InputError(csv.string() + ": no measurements");
  return runs;
}

std::vector<std::filesystem::path> find_files_named(const std::filesystem::path& dir, const std::string& name) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw sim::InputError("no measurements folder '" + dir.string() + "'");
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() == name) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  if (out.empty()) throw sim::InputError("no " + name + " under '" + dir.string() + "'");
  return out;
}

std::vector<std::filesystem::path> find_measurement_files(const std::filesystem::path& dir) {
  return find_files_named(dir, "measured_traffic.csv");
}

}  // namespace iolab::analysis
