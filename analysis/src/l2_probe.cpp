#include "iolab/analysis/l2_probe.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "iolab/analysis/measurements.hpp"
#include "iolab/analysis/parallel.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/gpu/l2_probe.hpp"

namespace iolab::analysis {

std::uint64_t ProbeRun::uses() const {
  if (mode == "write") return 0;
  return mode == "shared" ? std::uint64_t{passes} * sms : passes;
}

std::vector<ProbeRun> load_probe_measurements(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) throw sim::InputError("cannot read probe measurements '" + csv.string() + "'");
  std::string line;
  if (!std::getline(in, line)) throw sim::InputError(csv.string() + ": empty probe measurements file");
  const auto header = split_csv(line);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* c : {"gpu", "driver", "date", "mode", "rmw", "mib", "bytes", "passes", "sms", "dram_read_bytes",
                        "dram_write_bytes"})
    if (!col.count(c)) throw sim::InputError(csv.string() + ":1: missing column '" + c + "'");
  std::vector<ProbeRun> runs;
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    const std::string where = csv.string() + ":" + std::to_string(lineno);
    const auto f = split_csv(line);
    if (f.size() != header.size())
      throw sim::InputError(where + ": " + std::to_string(f.size()) + " fields, the header has " +
                            std::to_string(header.size()));
    auto get = [&](const char* c) { return f[col[c]]; };
    auto count = [&](const char* c) { return parse_count(get(c), where, c); };
    ProbeRun r;
    r.source = where;
    r.gpu = get("gpu");
    r.driver = get("driver");
    r.date = get("date");
    r.mode = get("mode");
    r.gpu_model = gpu_model_of(r.gpu, where);
    if (r.mode != "private" && r.mode != "rotate" && r.mode != "shared" && r.mode != "write")
      throw sim::InputError(where + ": mode '" + r.mode + "' (expected private, rotate, shared or write)");
    const std::uint64_t rmw = count("rmw");
    if (rmw > 1) throw sim::InputError(where + ": column 'rmw' = '" + get("rmw") + "' (expected 0 or 1)");
    r.rmw = rmw == 1;
    r.bytes = count("bytes");
    r.passes = static_cast<std::uint32_t>(std::min<std::uint64_t>(count("passes"), 1u << 20));
    r.sms = static_cast<std::uint32_t>(std::min<std::uint64_t>(count("sms"), 1u << 20));
    if (r.sms == 0 || r.passes == 0 || r.bytes == 0 || r.bytes % (16ull * r.sms) != 0)
      throw sim::InputError(where + ": bytes " + std::to_string(r.bytes) + " is not a positive multiple of 16 x sms (" +
                            std::to_string(r.sms) + "), or passes is 0");
    r.dram_read_bytes = count("dram_read_bytes");
    r.dram_write_bytes = count("dram_write_bytes");
    runs.push_back(std::move(r));
  }
  if (runs.empty()) throw sim::InputError(csv.string() + ": no probe measurements");
  return runs;
}

std::vector<std::filesystem::path> find_probe_files(const std::filesystem::path& dir) {
  return find_files_named(dir, "l2_probe.csv");
}

std::vector<ProbeComparison> predict_probe(const std::vector<ProbeRun>& runs, unsigned threads,
                                           const L2Variant& variant) {
  std::vector<ProbeComparison> out(runs.size());
  parallel_for(runs.size(), threads, [&](std::size_t i) {
    const auto& m = runs[i];
    const auto& spec = sim::gpu::gpu_spec(m.gpu_model);
    const sim::gpu::L2ProbeShape shape{m.mode, m.rmw, m.bytes / m.sms, m.passes, m.sms};
    const auto p = sim::gpu::predict(sim::gpu::replay_l2_probe(shape), spec, model_options(variant, spec));
    out[i] = {m, p.dram_read_bytes, p.dram_write_bytes};
  });
  return out;
}

}  // namespace iolab::analysis
