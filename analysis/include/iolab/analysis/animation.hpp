#pragma once
// Step-by-step animations of a schedule on the simulated machine.
//
// A Trace is what a TraceRecorder (a sim::TransferObserver) saw during one
// run: the HBM tensors in creation order, every SRAM tile allocation and
// release, and every counted transfer. Built-in algorithms are traced by
// record_builtin(); a schedule written in Python is traced by attaching a
// recorder to its Machine (the Python module does this) and saving the trace
// as JSON, which `iolab animate --trace file.json` renders.
//
// Rendering (gnuplot): one frame per transfer. Every tensor is drawn as a
// grid of elements with its tile boundaries; the HBM regions currently held
// by a live SRAM tile are filled with that tile's colour; the transfer of the
// frame is outlined (red: load, blue: store) and an arrow joins it to its
// tile in the SRAM bar, which shows every live tile and the occupancy against
// M. Running read and write counters are printed. When the run has more
// transfers than max_frames, evenly spaced steps are drawn (the first and the
// last always) and the frame says so.
//
// Trace JSON (version 1):
//   {"format": "iolab-trace", "version": 1, "title": "...", "M": 96,
//    "tensors": [{"name": "Q", "rows": 16, "cols": 4}, ...],
//    "events": [{"op": "alloc", "tile": 0, "name": "K_j", "rows": 4, "cols": 4, "in_use": 16},
//               {"op": "load", "tile": 0, "tensor": 1, "row0": 0, "rows": 4, "col0": 0, "cols": 4},
//               {"op": "store", ...}, {"op": "free", "tile": 0, "in_use": 0}, ...]}
// Tensor indices refer to "tensors"; tile ids to earlier "alloc" events.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "iolab/sim/attention/problem.hpp"
#include "iolab/sim/checked.hpp"
#include "iolab/sim/observer.hpp"

namespace iolab::analysis {

struct TraceTensor {
  std::string name;
  std::int64_t rows = 0, cols = 0;
};

enum class TraceOp { alloc, free, load, store };

struct TraceEvent {
  TraceOp op = TraceOp::load;
  std::uint64_t tile = 0;      ///< SRAM tile id (unique per run)
  std::string tile_name;       ///< alloc only
  std::int64_t tensor = -1;    ///< load/store: index into Trace::tensors
  std::int64_t row0 = 0, rows = 0, col0 = 0, cols = 0;  ///< alloc: tile shape; load/store: HBM region
  sim::count_t in_use = 0;     ///< alloc/free: SRAM elements in use afterwards
};

struct Trace {
  std::string title;
  sim::count_t M = 0;  ///< SRAM capacity, elements
  std::vector<TraceTensor> tensors;
  std::vector<TraceEvent> events;

  std::size_t transfers() const;
};

/// Records a run. Attach with Machine::set_observer before creating tensors.
class TraceRecorder : public sim::TransferObserver {
 public:
  TraceRecorder(std::string title, sim::count_t M);
  void on_transfer(const sim::TransferEvent& e) override;
  void on_tensor(const sim::HbmTensor& t) override;
  void on_sram_alloc(const sim::SramTile& t, sim::count_t in_use_after) override;
  void on_sram_free(const sim::SramTile& t, sim::count_t in_use_after) override;
  const Trace& trace() const { return trace_; }

 private:
  Trace trace_;
  std::vector<const sim::HbmTensor*> tensor_ptrs_;
};

/// Runs a built-in algorithm's plan in count-only mode and records it.
Trace record_builtin(const sim::Plan& plan);

std::string trace_to_json(const Trace& trace);
/// Parses and validates a trace; InputError with a one-line message otherwise.
Trace trace_from_json(std::string_view text);
Trace read_trace_file(const std::filesystem::path& path);

struct AnimationOptions {
  std::size_t max_frames = 120;  ///< at least 1
  int delay_cs = 50;             ///< GIF frame delay, hundredths of a second
  int width = 1100, height = 620;
};

/// The transfer steps (0-based) that become frames.
std::vector<std::size_t> frame_steps(std::size_t transfers, std::size_t max_frames);

/// Renders the trace. `out` ending in .gif: one animated GIF. `out` ending in
/// .png: the single frame of step `png_step` (clamped to the last). Anything
/// else names a directory that receives frame_0000.svg, frame_0001.svg, ...
/// (it must not exist, or hold only frame_*.svg files, which are replaced).
/// Output appears atomically: a temporary beside the target is renamed.
/// Returns the number of frames written.
std::size_t render_animation(const Trace& trace, const std::filesystem::path& out, const AnimationOptions& opts,
                             std::size_t png_step = 0);

}  // namespace iolab::analysis
