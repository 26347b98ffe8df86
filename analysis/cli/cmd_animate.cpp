// iolab animate: a schedule step by step, as an animated GIF, one PNG frame,
// or numbered SVG frames. The schedule is a built-in algorithm run on a small
// instance (default N=16, d=4, M=96 elements) or a trace recorded elsewhere,
// e.g. by a student's Python schedule (iolab.Machine(..., trace=True)).
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "iolab/analysis/animation.hpp"
#include "iolab/analysis/atomic_file.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/units.hpp"

namespace iolab::cli {
namespace {

struct AnimateOptions {
  std::string algo = "flash2";
  std::int64_t N = 16, d = 4;
  std::string sram_elems = "96";
  std::string dtype = "fp16";
  std::string tiling = "fit";
  std::optional<std::int64_t> br, bc;
  std::string trace;
  std::string save_trace;
  std::string output;
  std::size_t max_frames = 120;
  int delay = 50;
  std::size_t frame = 0;
  std::string size = "1100x620";
};

// Animations draw every element; beyond this the grids are unreadable.
constexpr std::int64_t kMaxN = 256, kMaxD = 64;

void parse_size(const std::string& s, analysis::AnimationOptions& a) {
  const auto x = s.find('x');
  try {
    if (x == std::string::npos) throw std::invalid_argument(s);
    std::size_t used = 0;
    a.width = std::stoi(s.substr(0, x), &used);
    if (used != x) throw std::invalid_argument(s);
    a.height = std::stoi(s.substr(x + 1), &used);
    if (used != s.size() - x - 1) throw std::invalid_argument(s);
  } catch (const std::logic_error&) {
    throw sim::InputError("--size must look like 1100x620, got '" + s + "'");
  }
}

void run(const AnimateOptions& o) {
  if (o.max_frames < 1) throw sim::InputError("--max-frames must be at least 1");
  analysis::AnimationOptions a;
  a.max_frames = o.max_frames;
  a.delay_cs = o.delay;
  parse_size(o.size, a);

  analysis::Trace trace;
  if (!o.trace.empty()) {
    trace = analysis::read_trace_file(o.trace);
  } else {
    if (o.N < 1 || o.N > kMaxN || o.d < 1 || o.d > kMaxD)
      throw sim::InputError("animate draws every element: need 1 <= N <= " + std::to_string(kMaxN) +
                            " and 1 <= d <= " + std::to_string(kMaxD) + ", got N = " + std::to_string(o.N) +
                            ", d = " + std::to_string(o.d));
    sim::AttentionProblem p;
    p.algo = o.algo;
    p.N = o.N;
    p.d = o.d;
    p.dtype = sim::parse_dtype(o.dtype);
    p.M = sim::parse_count(o.sram_elems, "--sram-elems");
    if (p.M == 0) throw sim::InputError("--sram-elems must be positive");
    p.tiling = sim::parse_tiling(o.tiling);
    if (o.br.has_value() != o.bc.has_value()) throw sim::InputError("--br and --bc go together");
    p.br = o.br;
    p.bc = o.bc;
    trace = analysis::record_builtin(sim::algorithm(p.algo).plan(p));
  }
  if (!o.save_trace.empty()) analysis::write_file_atomically(o.save_trace, analysis::trace_to_json(trace));
  const std::size_t frames = analysis::render_animation(trace, o.output, a, o.frame);
  std::cout << "wrote " << o.output << ": " << frames << " frame(s) of " << trace.transfers() << " transfers\n";
}

}  // namespace

void register_animate(CLI::App& app) {
  auto o = std::make_shared<AnimateOptions>();
  auto* cmd = app.add_subcommand(
      "animate",
      "Draw a schedule step by step: tiles of Q, K, V, O (S, P) in SRAM, each transfer, counters, SRAM occupancy");
  std::string names;
  for (const auto& a : sim::algorithms()) names += (names.empty() ? "" : ", ") + std::string(a.name);
  cmd->add_option("--algo", o->algo, "Built-in algorithm: " + names)->capture_default_str();
  cmd->add_option("--N", o->N, "Sequence length N (at most 256)")->capture_default_str();
  cmd->add_option("--d", o->d, "Head dimension d (at most 64)")->capture_default_str();
  cmd->add_option("--sram-elems", o->sram_elems, "SRAM size M in elements")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "Element type: fp16, bf16, fp32, fp64")->capture_default_str();
  cmd->add_option("--tiling", o->tiling, "Block sizes: fit or paper")->capture_default_str();
  cmd->add_option("--br", o->br, "Explicit B_r (with --bc)");
  cmd->add_option("--bc", o->bc, "Explicit B_c (with --br)");
  auto* tr = cmd->add_option("--trace", o->trace,
                             "Render a recorded trace (JSON, e.g. from the Python module's Machine.save_trace) "
                             "instead of a built-in algorithm");
  for (const char* name : {"--algo", "--N", "--d", "--sram-elems", "--dtype", "--tiling", "--br", "--bc"})
    tr->excludes(cmd->get_option(name));
  cmd->add_option("--save-trace", o->save_trace, "Also write the trace as JSON to this file");
  cmd->add_option("-o,--output", o->output,
                  "Output: file.gif (animated), file.png (one frame, see --frame) or a directory for "
                  "frame_0000.svg, frame_0001.svg, ...")
      ->required();
  cmd->add_option("--max-frames", o->max_frames,
                  "Most frames to draw; longer runs show evenly spaced steps, first and last included")
      ->capture_default_str();
  cmd->add_option("--delay", o->delay, "GIF delay between frames, hundredths of a second")->capture_default_str();
  cmd->add_option("--frame", o->frame, "For .png output: the 0-based transfer step to draw")->capture_default_str();
  cmd->add_option("--size", o->size, "Image size in pixels, WxH")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace iolab::cli
