#include "iolab/analysis/animation.hpp"

#include <gnuplot-iostream.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "iolab/analysis/atomic_file.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/hbm_tensor.hpp"
#include "iolab/sim/sram.hpp"

namespace iolab::analysis {

using sim::count_t;
using sim::InputError;

// ---------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------

std::size_t Trace::transfers() const {
  return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [](const TraceEvent& e) {
    return e.op == TraceOp::load || e.op == TraceOp::store;
  }));
}

TraceRecorder::TraceRecorder(std::string title, count_t M) {
  trace_.title = std::move(title);
  trace_.M = M;
}

void TraceRecorder::on_tensor(const sim::HbmTensor& t) {
  tensor_ptrs_.push_back(&t);
  trace_.tensors.push_back({t.name(), t.rows(), t.cols()});
}

void TraceRecorder::on_transfer(const sim::TransferEvent& e) {
  const auto it = std::find(tensor_ptrs_.begin(), tensor_ptrs_.end(), e.tensor);
  TraceEvent ev;
  ev.op = e.direction == sim::Direction::load ? TraceOp::load : TraceOp::store;
  ev.tile = e.tile->id();
  // A tensor created before the recorder was attached is recorded on first use.
  if (it == tensor_ptrs_.end()) {
    on_tensor(*e.tensor);
    ev.tensor = static_cast<std::int64_t>(tensor_ptrs_.size() - 1);
  } else {
    ev.tensor = it - tensor_ptrs_.begin();
  }
  ev.row0 = e.row0;
  ev.rows = e.rows;
  ev.col0 = e.col0;
  ev.cols = e.cols;
  trace_.events.push_back(std::move(ev));
}

void TraceRecorder::on_sram_alloc(const sim::SramTile& t, count_t in_use_after) {
  TraceEvent ev;
  ev.op = TraceOp::alloc;
  ev.tile = t.id();
  ev.tile_name = t.name();
  ev.rows = t.rows_cap();
  ev.cols = t.cols_cap();
  ev.in_use = in_use_after;
  trace_.events.push_back(std::move(ev));
}

void TraceRecorder::on_sram_free(const sim::SramTile& t, count_t in_use_after) {
  TraceEvent ev;
  ev.op = TraceOp::free;
  ev.tile = t.id();
  ev.in_use = in_use_after;
  trace_.events.push_back(std::move(ev));
}

Trace record_builtin(const sim::Plan& plan) {
  std::ostringstream title;
  title << plan.algo << "   N=" << plan.N << " d=" << plan.d << " M=" << plan.M;
  if (plan.algo == "standard")
    title << " (GEMM tile " << plan.gemm_tile << ", softmax " << plan.softmax_rows << " rows)";
  else
    title << " (Br=" << plan.br << ", Bc=" << plan.bc << ")";
  TraceRecorder rec(title.str(), plan.M);
  sim::SimOptions opts;
  opts.mode = sim::Mode::count_only;
  opts.observer = &rec;
  (void)sim::simulate_plan(plan, opts);
  return rec.trace();
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

namespace {

const char* op_name(TraceOp op) {
  switch (op) {
    case TraceOp::alloc: return "alloc";
    case TraceOp::free: return "free";
    case TraceOp::load: return "load";
    case TraceOp::store: return "store";
  }
  return "?";
}

constexpr std::int64_t kMaxDim = 1024;  // animations are for small instances

}  // namespace

std::string trace_to_json(const Trace& trace) {
  nlohmann::json j;
  j["format"] = "iolab-trace";
  j["version"] = 1;
  j["title"] = trace.title;
  j["M"] = trace.M;
  j["tensors"] = nlohmann::json::array();
  for (const auto& t : trace.tensors) j["tensors"].push_back({{"name", t.name}, {"rows", t.rows}, {"cols", t.cols}});
  auto& ev = j["events"] = nlohmann::json::array();
  for (const auto& e : trace.events) {
    nlohmann::json x = {{"op", op_name(e.op)}, {"tile", e.tile}};
    if (e.op == TraceOp::alloc) {
      x["name"] = e.tile_name;
      x["rows"] = e.rows;
      x["cols"] = e.cols;
      x["in_use"] = e.in_use;
    } else if (e.op == TraceOp::free) {
      x["in_use"] = e.in_use;
    } else {
      x["tensor"] = e.tensor;
      x["row0"] = e.row0;
      x["rows"] = e.rows;
      x["col0"] = e.col0;
      x["cols"] = e.cols;
    }
    ev.push_back(std::move(x));
  }
  return j.dump(0) + "\n";
}

Trace trace_from_json(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(std::string("trace is not valid JSON: ") + e.what());
  }
  try {
    if (!j.is_object() || j.value("format", "") != "iolab-trace")
      throw InputError("trace lacks \"format\": \"iolab-trace\"");
    if (j.value("version", 0) != 1) throw InputError("trace version must be 1");
    Trace t;
    t.title = j.value("title", "");
    t.M = j.at("M").get<count_t>();
    if (t.M == 0) throw InputError("trace has M = 0");
    for (const auto& x : j.at("tensors")) {
      TraceTensor tt{x.at("name").get<std::string>(), x.at("rows").get<std::int64_t>(), x.at("cols").get<std::int64_t>()};
      if (tt.rows < 1 || tt.cols < 1 || tt.rows > kMaxDim || tt.cols > kMaxDim)
        throw InputError("trace tensor '" + tt.name + "' has shape " + std::to_string(tt.rows) + "x" +
                         std::to_string(tt.cols) + " (each side must be in 1.." + std::to_string(kMaxDim) + ")");
      t.tensors.push_back(std::move(tt));
    }
    // Replay to validate: tiles exist when used, regions lie inside tensors and fit tiles.
    struct Shape {
      std::int64_t rows, cols;
    };
    std::map<std::uint64_t, Shape> live;
    std::set<std::uint64_t> seen;
    std::size_t index = 0;
    for (const auto& x : j.at("events")) {
      const std::string where = "trace event " + std::to_string(index++);
      TraceEvent e;
      const std::string op = x.at("op").get<std::string>();
      e.tile = x.at("tile").get<std::uint64_t>();
      if (op == "alloc") {
        e.op = TraceOp::alloc;
        e.tile_name = x.at("name").get<std::string>();
        e.rows = x.at("rows").get<std::int64_t>();
        e.cols = x.at("cols").get<std::int64_t>();
        e.in_use = x.at("in_use").get<count_t>();
        if (e.rows < 1 || e.cols < 1) throw InputError(where + ": tile '" + e.tile_name + "' has an empty shape");
        if (!seen.insert(e.tile).second) throw InputError(where + ": tile id " + std::to_string(e.tile) + " reused");
        live[e.tile] = {e.rows, e.cols};
      } else if (op == "free") {
        e.op = TraceOp::free;
        e.in_use = x.at("in_use").get<count_t>();
        if (!live.erase(e.tile)) throw InputError(where + ": free of tile " + std::to_string(e.tile) + " not live");
      } else if (op == "load" || op == "store") {
        e.op = op == "load" ? TraceOp::load : TraceOp::store;
        e.tensor = x.at("tensor").get<std::int64_t>();
        e.row0 = x.at("row0").get<std::int64_t>();
        e.rows = x.at("rows").get<std::int64_t>();
        e.col0 = x.at("col0").get<std::int64_t>();
        e.cols = x.at("cols").get<std::int64_t>();
        const auto lt = live.find(e.tile);
        if (lt == live.end()) throw InputError(where + ": " + op + " uses tile " + std::to_string(e.tile) + " not live");
        if (e.tensor < 0 || e.tensor >= static_cast<std::int64_t>(t.tensors.size()))
          throw InputError(where + ": tensor index " + std::to_string(e.tensor) + " out of range");
        const auto& tt = t.tensors[static_cast<std::size_t>(e.tensor)];
        if (e.rows < 1 || e.cols < 1 || e.row0 < 0 || e.col0 < 0 || e.row0 + e.rows > tt.rows ||
            e.col0 + e.cols > tt.cols)
          throw InputError(where + ": region outside tensor '" + tt.name + "'");
        if (e.rows > lt->second.rows || e.cols > lt->second.cols)
          throw InputError(where + ": region larger than its SRAM tile");
      } else {
        throw InputError(where + ": unknown op '" + op + "'");
      }
      t.events.push_back(std::move(e));
    }
    return t;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("malformed trace: ") + e.what());
  }
}

Trace read_trace_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read trace file '" + path.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return trace_from_json(ss.str());
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

std::vector<std::size_t> frame_steps(std::size_t transfers, std::size_t max_frames) {
  std::vector<std::size_t> steps;
  if (transfers == 0) return steps;
  if (max_frames == 0) max_frames = 1;
  if (transfers <= max_frames) {
    for (std::size_t s = 0; s < transfers; ++s) steps.push_back(s);
    return steps;
  }
  if (max_frames == 1) return {transfers - 1};
  // Evenly spaced, first and last included, strictly increasing.
  for (std::size_t k = 0; k < max_frames; ++k) {
    const std::size_t s = (k * (transfers - 1) + (max_frames - 1) / 2) / (max_frames - 1);
    if (steps.empty() || s > steps.back()) steps.push_back(s);
  }
  return steps;
}

namespace {

// Light fills for SRAM tiles, assigned by tile name in first-seen order.
const char* const kPalette[] = {"#8ecae6", "#ffb703", "#90be6d", "#f4a3c0", "#c3aed6", "#f9c74f",
                                "#83c5be", "#fb8500", "#b5e48c", "#e5989b", "#a8dadc", "#ddbea9"};
constexpr std::size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

struct Region {
  std::int64_t tensor = -1, row0 = 0, rows = 0, col0 = 0, cols = 0;
};

struct LiveTile {
  std::uint64_t id;
  std::string name;
  std::int64_t rows, cols;
  std::size_t color;
  std::optional<Region> resident;  ///< the HBM region it last exchanged data with
};

struct Box {
  double x0, y0, x1, y1;  // pixels, y downwards
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    if (c == '\n') continue;
    q += c;
  }
  return q + "\"";
}

std::string region_text(const TraceTensor& t, const Region& r) {
  auto range = [](std::int64_t a, std::int64_t n) { return std::to_string(a) + ":" + std::to_string(a + n); };
  return t.name + "[" + range(r.row0, r.rows) + ", " + range(r.col0, r.cols) + "]";
}

class Scene {
 public:
  void rect(const Box& b, const std::string& fill, bool front = false) {
    out_ << "set object rect from " << num(b.x0) << "," << num(b.y0) << " to " << num(b.x1) << "," << num(b.y1)
         << (front ? " front" : " back") << " fc rgb '" << fill << "' fs solid 1.0 noborder\n";
  }
  void outline(const Box& b, const std::string& colour, double lw) {
    out_ << "set object rect from " << num(b.x0) << "," << num(b.y0) << " to " << num(b.x1) << "," << num(b.y1)
         << " front fs empty border lc rgb '" << colour << "' lw " << num(lw) << "\n";
  }
  void line(double x0, double y0, double x1, double y1, const std::string& colour, double lw) {
    out_ << "set arrow from " << num(x0) << "," << num(y0) << " to " << num(x1) << "," << num(y1)
         << " nohead back lc rgb '" << colour << "' lw " << num(lw) << "\n";
  }
  void arrow(double x0, double y0, double x1, double y1, const std::string& colour) {
    out_ << "set arrow from " << num(x0) << "," << num(y0) << " to " << num(x1) << "," << num(y1)
         << " head filled size 9,25 front lc rgb '" << colour << "' lw 2.5\n";
  }
  void text(double x, double y, const std::string& s, const char* align = "center", int size = 10,
            const std::string& colour = "#222222") {
    out_ << "set label " << quoted(s) << " at " << num(x) << "," << num(y) << " " << align << " front font '," << size
         << "' tc rgb '" << colour << "'\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

class Renderer {
 public:
  Renderer(const Trace& t, const AnimationOptions& o) : trace_(t), opts_(o) { layout(); }

  // The gnuplot commands that draw the frame after transfer event `ev` (an
  // index into trace.events), given the replayed state.
  std::string frame(std::size_t step, std::size_t total_steps, std::size_t shown, std::size_t frame_count,
                    const TraceEvent& ev, const std::vector<LiveTile>& live, count_t in_use, count_t reads,
                    count_t writes, const std::vector<std::pair<count_t, count_t>>& per_tensor) const {
    Scene s;
    const double W = opts_.width, H = opts_.height;
    s.text(16, 22, trace_.title.empty() ? std::string("schedule") : trace_.title, "left", 13);
    std::string progress = "step " + std::to_string(step + 1) + " of " + std::to_string(total_steps);
    if (frame_count < total_steps)
      progress += "   (frame " + std::to_string(shown + 1) + " of " + std::to_string(frame_count) +
                  ": steps in between not drawn)";
    s.text(W - 16, 22, progress, "right", 11);

    // Tensors: resident regions, element grid, tile cuts, border, labels.
    for (const auto& tile : live)
      if (tile.resident) s.rect(cell_box(*tile.resident), kPalette[tile.color % kPaletteSize]);
    for (std::size_t i = 0; i < trace_.tensors.size(); ++i) {
      const auto& t = trace_.tensors[i];
      const Box& b = boxes_[i];
      if (cell_ >= 5) {
        for (std::int64_t r = 1; r < t.rows; ++r) s.line(b.x0, b.y0 + r * cell_, b.x1, b.y0 + r * cell_, "#d8d8d8", 0.6);
        for (std::int64_t c = 1; c < t.cols; ++c) s.line(b.x0 + c * cell_, b.y0, b.x0 + c * cell_, b.y1, "#d8d8d8", 0.6);
      }
      for (std::int64_t r : row_cuts_[i]) s.line(b.x0, b.y0 + r * cell_, b.x1, b.y0 + r * cell_, "#707070", 1.2);
      for (std::int64_t c : col_cuts_[i]) s.line(b.x0 + c * cell_, b.y0, b.x0 + c * cell_, b.y1, "#707070", 1.2);
      s.outline(b, "#000000", 1.5);
      // Above each tensor: name, shape, and its running read / write counts.
      const double cx = (b.x0 + b.x1) / 2;
      s.text(cx, b.y0 - 40, t.name, "center", 12, "#000000");
      s.text(cx, b.y0 - 27, std::to_string(t.rows) + "x" + std::to_string(t.cols), "center", 8, "#555555");
      s.text(cx - 3, b.y0 - 10, std::string("r").append(std::to_string(per_tensor[i].first)), "right", 8, "#b00020");
      s.text(cx + 3, b.y0 - 10, std::string("w").append(std::to_string(per_tensor[i].second)), "left", 8, "#1d4ed8");
    }

    // SRAM bar: live tiles in allocation order, scaled to max(M, in use).
    const double bx0 = 20, bx1 = W - 20, by0 = H - 150, by1 = H - 110;
    const double cap = static_cast<double>(std::max<count_t>(trace_.M, in_use));
    const double scale = (bx1 - bx0) / cap;
    s.text(bx0, by0 - 10, "SRAM (M = " + std::to_string(trace_.M) + " elements)", "left", 11, "#000000");
    double x = bx0;
    std::optional<Box> current_tile;
    for (const auto& tile : live) {
      const double w = static_cast<double>(tile.rows * tile.cols) * scale;
      const Box tb{x, by0, x + w, by1};
      s.rect(tb, kPalette[tile.color % kPaletteSize]);
      s.outline(tb, "#444444", 1.0);
      if (w >= 7.0 * static_cast<double>(tile.name.size()) + 4)
        s.text(x + w / 2, (by0 + by1) / 2, tile.name, "center", 9, "#000000");
      if (tile.id == ev.tile) current_tile = tb;
      x += w;
    }
    s.outline({bx0, by0, bx0 + static_cast<double>(trace_.M) * scale, by1}, "#000000", 2.0);
    const double pct = 100.0 * static_cast<double>(in_use) / static_cast<double>(trace_.M);
    char occ[160];
    std::snprintf(occ, sizeof occ, "in use: %llu of %llu elements (%.0f%%)%s", static_cast<unsigned long long>(in_use),
                  static_cast<unsigned long long>(trace_.M), pct, in_use > trace_.M ? "  -- exceeds M" : "");
    s.text(bx1, by0 - 10, occ, "right", 10, in_use > trace_.M ? "#b00020" : "#222222");

    // The transfer of this frame.
    const bool load = ev.op == TraceOp::load;
    const std::string colour = load ? "#d62828" : "#1d4ed8";
    const Region reg{ev.tensor, ev.row0, ev.rows, ev.col0, ev.cols};
    const Box rb = cell_box(reg);
    s.outline(rb, colour, 3.5);
    std::string tile_name = "?";
    for (const auto& tile : live)
      if (tile.id == ev.tile) tile_name = tile.name;
    if (current_tile) {
      s.outline(*current_tile, colour, 3.5);
      const Box& tb = boxes_[static_cast<std::size_t>(ev.tensor)];
      const double ax = (rb.x0 + rb.x1) / 2, ay = tb.y1 + 4;  // just below the tensor
      const double tx = (current_tile->x0 + current_tile->x1) / 2;
      if (load)
        s.arrow(ax, ay, tx, by0 - 2, colour);
      else
        s.arrow(tx, by0 - 2, ax, ay, colour);
    }
    const auto& tt = trace_.tensors[static_cast<std::size_t>(ev.tensor)];
    const std::string what = load ? "load  " + region_text(tt, reg) + "  ->  SRAM tile " + tile_name
                                  : "store SRAM tile " + tile_name + "  ->  " + region_text(tt, reg);
    s.text(20, H - 78, what + "   (" + std::to_string(ev.rows * ev.cols) + " elements)", "left", 12, colour);
    s.text(20, H - 50,
           "HBM reads: " + std::to_string(reads) + "    writes: " + std::to_string(writes) +
               "    total: " + std::to_string(reads + writes) + " elements",
           "left", 12, "#000000");
    s.text(20, H - 24,
           "filled: HBM regions held by a live SRAM tile (colour = tile)    red: load    blue: store", "left", 9,
           "#555555");
    return s.str();
  }

 private:
  void layout() {
    const double W = opts_.width, H = opts_.height;
    const double gap = 30, top = 96, bottom = H - 200;
    std::int64_t total_cols = 0, max_rows = 1;
    for (const auto& t : trace_.tensors) {
      total_cols += t.cols;
      max_rows = std::max(max_rows, t.rows);
    }
    const double n = static_cast<double>(trace_.tensors.size());
    const double avail_w = W - 40 - gap * std::max(0.0, n - 1);
    cell_ = std::min(avail_w / static_cast<double>(std::max<std::int64_t>(total_cols, 1)),
                     (bottom - top) / static_cast<double>(max_rows));
    cell_ = std::min(cell_, 28.0);
    double used = static_cast<double>(total_cols) * cell_ + gap * std::max(0.0, n - 1);
    double x = (W - used) / 2;
    for (const auto& t : trace_.tensors) {
      boxes_.push_back({x, top, x + static_cast<double>(t.cols) * cell_, top + static_cast<double>(t.rows) * cell_});
      x += static_cast<double>(t.cols) * cell_ + gap;
    }
    // Tile boundaries: every edge of a transferred region, per tensor.
    row_cuts_.resize(trace_.tensors.size());
    col_cuts_.resize(trace_.tensors.size());
    for (const auto& e : trace_.events) {
      if (e.op != TraceOp::load && e.op != TraceOp::store) continue;
      const auto i = static_cast<std::size_t>(e.tensor);
      const auto& t = trace_.tensors[i];
      for (auto r : {e.row0, e.row0 + e.rows})
        if (r > 0 && r < t.rows) row_cuts_[i].insert(r);
      for (auto c : {e.col0, e.col0 + e.cols})
        if (c > 0 && c < t.cols) col_cuts_[i].insert(c);
    }
  }

  Box cell_box(const Region& r) const {
    const Box& b = boxes_[static_cast<std::size_t>(r.tensor)];
    return {b.x0 + static_cast<double>(r.col0) * cell_, b.y0 + static_cast<double>(r.row0) * cell_,
            b.x0 + static_cast<double>(r.col0 + r.cols) * cell_, b.y0 + static_cast<double>(r.row0 + r.rows) * cell_};
  }

  const Trace& trace_;
  const AnimationOptions& opts_;
  double cell_ = 10;
  std::vector<Box> boxes_;
  std::vector<std::set<std::int64_t>> row_cuts_, col_cuts_;
};

enum class Output { gif, png, svg_frames };

std::string gp_path(const std::filesystem::path& p) {
  const std::string s = p.string();
  if (s.find('\'') != std::string::npos || s.find('\n') != std::string::npos)
    throw InputError("output path '" + s + "' must not contain quotes or newlines");
  return "'" + s + "'";
}

}  // namespace

std::size_t render_animation(const Trace& trace, const std::filesystem::path& out, const AnimationOptions& opts,
                             std::size_t png_step) {
  if (opts.width < 400 || opts.height < 300 || opts.width > 4000 || opts.height > 4000)
    throw InputError("animation size must be between 400x300 and 4000x4000 pixels");
  if (opts.delay_cs < 1 || opts.delay_cs > 1000) throw InputError("frame delay must be 1..1000 hundredths of a second");
  if (trace.M == 0) throw InputError("trace has M = 0");
  if (trace.tensors.empty()) throw InputError("trace has no tensors: nothing to draw");
  const std::size_t total = trace.transfers();
  if (total == 0) throw InputError("trace has no transfers: nothing to animate");

  const std::string ext = out.extension().string();
  const Output kind = ext == ".gif" ? Output::gif : ext == ".png" ? Output::png : Output::svg_frames;
  std::vector<std::size_t> steps =
      kind == Output::png ? std::vector<std::size_t>{std::min(png_step, total - 1)} : frame_steps(total, opts.max_frames);

  for (const auto& t : trace.tensors)
    if (t.rows > kMaxDim || t.cols > kMaxDim)
      throw InputError("tensor '" + t.name + "' (" + std::to_string(t.rows) + "x" + std::to_string(t.cols) +
                       ") is too large to animate: each side must be at most " + std::to_string(kMaxDim));
  std::filesystem::path target = out;
  if (kind == Output::svg_frames && target.filename().empty()) target = target.parent_path();  // "dir/"
  (void)gp_path(std::filesystem::absolute(target));  // refuse quotes before anything is created
  if (kind == Output::svg_frames && std::filesystem::exists(target)) {
    if (!std::filesystem::is_directory(target))
      throw InputError("'" + target.string() + "' exists and is not a directory (use .gif, .png or a directory)");
    for (const auto& e : std::filesystem::directory_iterator(target)) {
      const std::string n = e.path().filename().string();
      if (!(n.rfind("frame_", 0) == 0 && e.path().extension() == ".svg"))
        throw InputError("directory '" + target.string() + "' holds '" + n +
                         "', not only frame_*.svg files; choose a new directory");
    }
  }
  ensure_parent_directory(target);
  const auto tmp = temporary_beside(target);
  if (kind == Output::svg_frames) std::filesystem::create_directory(tmp);

  std::ostringstream gp;
  const std::string size = " size " + std::to_string(opts.width) + "," + std::to_string(opts.height);
  switch (kind) {
    case Output::gif:
      gp << "set terminal gif animate delay " << opts.delay_cs << " loop 0 optimize" << size
         << " noenhanced font 'DejaVuSans,10' background '#ffffff'\n"
         << "set output " << gp_path(tmp) << "\n";
      break;
    case Output::png:
      gp << "set terminal pngcairo" << size << " noenhanced font 'DejaVu Sans,10' background '#ffffff'\n"
         << "set output " << gp_path(tmp) << "\n";
      break;
    case Output::svg_frames:
      gp << "set terminal svg" << size << " noenhanced font 'DejaVu Sans,10' background '#ffffff'\n";
      break;
  }
  gp << "unset border\nunset tics\nunset key\n"
     << "set lmargin at screen 0\nset rmargin at screen 1\nset tmargin at screen 1\nset bmargin at screen 0\n"
     << "set xrange [0:" << opts.width << "]\nset yrange [" << opts.height << ":0]\n";

  // Replay the trace; draw a frame after each selected transfer.
  Renderer renderer(trace, opts);
  std::vector<LiveTile> live;
  std::map<std::string, std::size_t> colour_of;
  count_t in_use = 0, reads = 0, writes = 0;
  std::vector<std::pair<count_t, count_t>> per_tensor(trace.tensors.size(), {0, 0});
  std::size_t step = 0, next = 0;
  for (const auto& e : trace.events) {
    if (next == steps.size()) break;
    switch (e.op) {
      case TraceOp::alloc: {
        auto [it, fresh] = colour_of.emplace(e.tile_name, colour_of.size());
        live.push_back({e.tile, e.tile_name, e.rows, e.cols, it->second, std::nullopt});
        in_use = e.in_use;
        continue;
      }
      case TraceOp::free:
        live.erase(std::remove_if(live.begin(), live.end(), [&](const LiveTile& t) { return t.id == e.tile; }),
                   live.end());
        in_use = e.in_use;
        continue;
      case TraceOp::load:
      case TraceOp::store: break;
    }
    const auto elems = static_cast<count_t>(e.rows) * static_cast<count_t>(e.cols);
    auto& pt = per_tensor[static_cast<std::size_t>(e.tensor)];
    if (e.op == TraceOp::load) {
      reads += elems;
      pt.first += elems;
    } else {
      writes += elems;
      pt.second += elems;
    }
    for (auto& t : live)
      if (t.id == e.tile) t.resident = Region{e.tensor, e.row0, e.rows, e.col0, e.cols};
    if (step == steps[next]) {
      gp << "unset object\nunset label\nunset arrow\n";
      if (kind == Output::svg_frames) {
        char name[32];
        std::snprintf(name, sizeof name, "frame_%04zu.svg", next);
        gp << "set output " << gp_path(tmp / name) << "\n";
      }
      // A single PNG frame is not a sampled animation: report it as step k of T.
      const std::size_t shown = kind == Output::png ? step : next;
      const std::size_t count = kind == Output::png ? total : steps.size();
      gp << renderer.frame(step, total, shown, count, e, live, in_use, reads, writes, per_tensor);
      gp << "plot NaN notitle\n";
      ++next;
    }
    ++step;
  }
  gp << "set output\n";

  // gnuplot's messages ("44 frames in animation sequence", errors) go to a
  // log beside the target; its first error line explains a failure.
  const auto log = temporary_beside(target.string() + ".log");
  {
    Gnuplot g("gnuplot 2>" + gp_path(log));
    g << gp.str();
    g.flush();
  }  // closes the pipe and waits for gnuplot
  std::string gnuplot_says;
  {
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line))
      if (line.find("rror") != std::string::npos || line.find("arning") != std::string::npos) {
        gnuplot_says = line;
        break;
      }
  }
  std::error_code log_ec;
  std::filesystem::remove(log, log_ec);

  auto fail = [&](const std::string& why) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
    throw std::runtime_error("animation '" + out.string() + "' not written: " + why +
                             (gnuplot_says.empty() ? "" : " (gnuplot: " + gnuplot_says + ")"));
  };
  if (kind == Output::svg_frames) {
    std::size_t n = 0;
    for (const auto& f : std::filesystem::directory_iterator(tmp))
      if (std::filesystem::file_size(f.path()) > 0) ++n;
    if (n != steps.size()) fail("gnuplot produced " + std::to_string(n) + " of " + std::to_string(steps.size()) + " frames");
    std::error_code ec;
    if (std::filesystem::exists(target)) std::filesystem::remove_all(target, ec);
    if (ec) fail("cannot replace '" + target.string() + "': " + ec.message());
    std::filesystem::rename(tmp, target, ec);
    if (ec) fail(ec.message());
  } else {
    std::error_code ec;
    if (!std::filesystem::exists(tmp) || std::filesystem::file_size(tmp) == 0) fail("gnuplot failed");
    std::filesystem::rename(tmp, target, ec);
    if (ec) fail(ec.message());
  }
  return steps.size();
}

}  // namespace iolab::analysis
