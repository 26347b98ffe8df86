#include "iolab/analysis/l2_probe.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include "iolab/analysis/csv_rows.hpp"
#include "iolab/analysis/measurements.hpp"
#include "iolab/analysis/parallel.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/gpu/l2_probe.hpp"

namespace iolab::analysis {

std::uint64_t ProbeRun::uses() const {
  if (mode == "write" || mode == "fill") return 0;
  return mode == "shared" ? std::uint64_t{passes} * sms : passes;
}

std::string ProbeRun::series() const {
  if (!stream_kib) return "";
  return mode == "fill" || mode == "write" ? "fill series" : "mixed series";
}

std::vector<ProbeRun> load_probe_measurements(const std::filesystem::path& csv) {
  std::vector<ProbeRun> runs;
  for_each_csv_row(
      csv, "probe measurements",
      {"gpu", "driver", "date", "mode", "rmw", "mib", "bytes", "passes", "sms", "dram_read_bytes", "dram_write_bytes"},
      [&](const CsvRow& row) {
        const std::string& where = row.where();
        ProbeRun r;
        static_cast<MeasurementProvenance&>(r) = read_provenance(row);
        r.mode = row["mode"];
        if (r.mode != "private" && r.mode != "rotate" && r.mode != "shared" && r.mode != "write" && r.mode != "mixed" &&
            r.mode != "fill")
          throw sim::InputError(where + ": mode '" + r.mode + "' (expected private, rotate, shared, write, mixed or fill)");
        const std::uint64_t rmw = row.count("rmw");
        if (rmw > 1) throw sim::InputError(where + ": column 'rmw' = '" + row["rmw"] + "' (expected 0 or 1)");
        r.rmw = rmw == 1;
        r.bytes = row.count("bytes");
        r.passes = static_cast<std::uint32_t>(std::min<std::uint64_t>(row.count("passes"), 1u << 20));
        r.sms = static_cast<std::uint32_t>(std::min<std::uint64_t>(row.count("sms"), 1u << 20));
        if (r.sms == 0 || r.passes == 0 || r.bytes == 0 || r.bytes % (16ull * r.sms) != 0)
          throw sim::InputError(where + ": bytes " + std::to_string(r.bytes) +
                                " is not a positive multiple of 16 x sms (" + std::to_string(r.sms) +
                                "), or passes is 0");
        r.dram_read_bytes = row.count("dram_read_bytes");
        r.dram_write_bytes = row.count("dram_write_bytes");
        if (row.has("sm_l2_read_bytes") && row.has("sm_l2_write_bytes") && row.has("fabric_bytes") &&
            row["fabric_bytes"] != "-1") {
          r.sm_l2_bytes = row.count("sm_l2_read_bytes") + row.count("sm_l2_write_bytes");
          r.fabric_bytes = row.count("fabric_bytes");
        }
        if (row.has("stream_kib") && row.has("group")) {
          r.stream_kib = row.count("stream_kib");
          const std::uint64_t group = row.count("group");
          if (group < 1 || group > (1u << 20))
            throw sim::InputError(where + ": column 'group' = '" + row["group"] + "' (expected 1 .. 1048576)");
          r.group = static_cast<std::uint32_t>(group);
          if (*r.stream_kib > (1u << 20))
            throw sim::InputError(where + ": column 'stream_kib' = '" + row["stream_kib"] + "' (at most 1048576)");
        }
        if ((r.mode == "mixed" || r.mode == "fill") != (r.stream_kib.value_or(0) > 0))
          throw sim::InputError(where + ": mode '" + r.mode + "' with stream_kib '" +
                                (row.has("stream_kib") ? row["stream_kib"] : std::string("(no column)")) +
                                "' (a stream, stream_kib > 0, goes with modes mixed and fill and only with them)");
        if ((r.mode == "write" || r.mode == "fill") && (r.passes != 1 || r.rmw))
          throw sim::InputError(where + ": mode '" + r.mode + "' takes one pass and rmw 0");
        runs.push_back(std::move(r));
      });
  return runs;
}

std::vector<std::filesystem::path> find_probe_files(const std::filesystem::path& dir) {
  return find_files_named(dir, "l2_probe.csv");
}

std::vector<std::filesystem::path> find_mixed_probe_files(const std::filesystem::path& dir) {
  return find_files_named_any(dir, {"l2_probe_mixed.csv", "l2_probe_fill.csv"});
}

std::vector<ProbeComparison> predict_probe(const std::vector<ProbeRun>& runs, unsigned threads,
                                           const ModelVariant& variant) {
  std::vector<ProbeComparison> out(runs.size());
  parallel_for(runs.size(), threads, [&](std::size_t i) {
    const auto& m = runs[i];
    const auto& spec = sim::gpu::gpu_spec(m.gpu_model);
    const sim::gpu::L2ProbeShape shape{m.mode, m.rmw, m.bytes / m.sms, m.passes, m.sms,
                                       m.stream_kib.value_or(0) * 1024, m.group};
    const auto p = sim::gpu::predict(sim::gpu::replay_l2_probe(shape), spec, model_options(variant, spec));
    out[i] = {m, p.dram_read_bytes, p.dram_write_bytes, p.fabric_bytes};
  });
  return out;
}

double probe_error_w(const ProbeComparison& c) {
  const auto& r = c.measured;
  const double w = static_cast<double>(r.bytes), uses = std::max<double>(1.0, static_cast<double>(r.uses()));
  const auto diff = [](std::uint64_t a, std::uint64_t b) { return std::abs(static_cast<double>(a) - static_cast<double>(b)); };
  return (diff(c.predicted_read_bytes, r.dram_read_bytes) / uses + diff(c.predicted_write_bytes, r.dram_write_bytes)) / w;
}

namespace {

std::vector<ProbeErrorGroup> mean_by(const std::vector<ProbeComparison>& cmp,
                                     const std::function<std::optional<std::string>(const ProbeRun&)>& group_of) {
  std::map<std::pair<std::string, std::string>, std::pair<double, std::size_t>> acc;
  for (const auto& c : cmp) {
    const auto g = group_of(c.measured);
    if (!g) continue;
    auto& a = acc[{c.measured.gpu, *g}];
    a.first += probe_error_w(c);
    a.second += 1;
  }
  std::vector<ProbeErrorGroup> out;
  for (const auto& [k, a] : acc) out.push_back({k.first, k.second, a.second, a.first / static_cast<double>(a.second)});
  return out;
}

}  // namespace

std::vector<ProbeErrorGroup> probe_errors_by_mode(const std::vector<ProbeComparison>& cmp) {
  return mean_by(cmp, [](const ProbeRun& r) {
    const bool companion = r.stream_kib && r.mode != "mixed" && r.mode != "fill";  // a series' row without a stream
    return std::optional<std::string>(r.mode + (r.rmw ? " rmw" : "") + (companion ? " (" + r.series() + ")" : ""));
  });
}

std::vector<ProbeErrorGroup> probe_scores(const std::vector<ProbeComparison>& cmp) {
  return mean_by(cmp, [](const ProbeRun& r) {
    return r.mode == "shared" || r.stream_kib ? std::nullopt : std::optional<std::string>("scored");
  });
}

std::vector<ProbeErrorGroup> probe_mixed_scores(const std::vector<ProbeComparison>& cmp) {
  return mean_by(cmp, [](const ProbeRun& r) {
    return r.series() == "mixed series" ? std::optional<std::string>("mixed series") : std::nullopt;
  });
}

std::vector<ProbeErrorGroup> probe_fill_scores(const std::vector<ProbeComparison>& cmp) {
  return mean_by(cmp, [](const ProbeRun& r) {
    return r.series() == "fill series" ? std::optional<std::string>("fill series") : std::nullopt;
  });
}

}  // namespace iolab::analysis
