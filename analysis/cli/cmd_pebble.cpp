// iolab pebble: the red-blue pebble game on a computation DAG. Solves it
// exactly (minimum loads + stores and one optimal move sequence), checks a
// given move sequence, or converts a simulator schedule into moves.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "iolab/analysis/atomic_file.hpp"
#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/pebbling.hpp"
#include "iolab/proofs/schedule_converter.hpp"
#include "iolab/proofs/solver.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::cli {

namespace {

struct PebbleArgs {
  std::string dag, dag_file, check_file, schedule, dot_out, csv_out;
  std::size_t M = 0;
  bool no_recompute = false, json = false, show_moves = false;
  double time_limit = 60.0;
  std::uint64_t max_states = 5'000'000;
  std::uint64_t sim_M = 0;
};

proofs::Cdag load_dag(const PebbleArgs& a) {
  if (a.dag.empty() == a.dag_file.empty()) throw sim::InputError("give exactly one of --dag and --dag-file");
  return a.dag.empty() ? proofs::read_dot_file(a.dag_file) : proofs::family_from_spec(a.dag);
}

/// N and d of an attention family spec ("attention-online:N=2,d=1").
std::pair<int, int> attention_dims(const proofs::Cdag& g) {
  const std::string& t = g.title();
  int N = 0, d = 0;
  if (std::sscanf(t.c_str(), "attention-online:N=%d,d=%d", &N, &d) == 2 ||
      std::sscanf(t.c_str(), "attention:N=%d,d=%d", &N, &d) == 2)
    return {N, d};
  throw sim::InputError("--schedule needs a built-in attention DAG (--dag attention-online:N=..,d=.. for flash1, "
                        "--dag attention:N=..,d=.. for standard)");
}

}  // namespace

void register_pebble(CLI::App& app) {
  auto args = std::make_shared<PebbleArgs>();
  auto* cmd = app.add_subcommand(
      "pebble",
      "Red-blue pebble game (Hong-Kung): exact minimum I/O and an optimal move sequence for a small DAG");
  cmd->add_option("--dag", args->dag, "Built-in DAG: " + proofs::family_help());
  cmd->add_option("--dag-file", args->dag_file,
                  "Graphviz digraph to read (sources are the inputs, sinks the outputs)");
  cmd->add_option("--M", args->M, "Red pebbles (fast-memory capacity in values); at least max in-degree + 1")
      ->required();
  cmd->add_flag("--no-recompute", args->no_recompute,
                "One-shot game: each vertex computed at most once (default: recomputation allowed)");
  cmd->add_flag("--json", args->json, "Print the result as JSON");
  cmd->add_flag("--moves", args->show_moves, "Print the move sequence (text output)");
  cmd->add_option("--check", args->check_file,
                  "Validate the move sequence in this file ('<op> <node>' per line) instead of solving");
  cmd->add_option("--schedule", args->schedule,
                  "Instead of solving, convert a simulator schedule (flash1 or standard) into moves");
  cmd->add_option("--sim-M", args->sim_M, "Simulator SRAM in elements for --schedule (default: smallest supported)");
  cmd->add_option("--dot", args->dot_out, "Write the DAG as Graphviz DOT to this file");
  cmd->add_option("--csv", args->csv_out, "Write the move sequence as CSV (step,op,node,red,io) to this file");
  cmd->add_option("--time-limit", args->time_limit, "Give up solving after this many seconds (default 60)");
  cmd->add_option("--max-states", args->max_states, "Give up beyond this many configurations (default 5e6)");
  cmd->callback([args] {
    const PebbleArgs& a = *args;
    const proofs::Cdag g = load_dag(a);
    const proofs::Game game = a.no_recompute ? proofs::Game::one_shot : proofs::Game::hong_kung;
    proofs::require_playable(g, a.M);
    if (!a.check_file.empty() && !a.schedule.empty()) throw sim::InputError("--check and --schedule exclude each other");

    std::vector<proofs::Move> moves;
    std::string mode = "solve";
    proofs::SolveResult sol;
    if (!a.check_file.empty()) {
      mode = "check";
      std::ifstream in(a.check_file);
      if (!in) throw sim::InputError("cannot open moves file '" + a.check_file + "'");
      std::stringstream ss;
      ss << in.rdbuf();
      moves = proofs::parse_moves(g, ss.str());
    } else if (!a.schedule.empty()) {
      mode = "schedule";
      const auto [N, d] = attention_dims(g);
      const proofs::Cdag want = proofs::cdag_for_schedule(a.schedule, N, d);
      if (want.title() != g.title())
        throw sim::InputError("the " + a.schedule + " schedule lives on --dag " + want.title());
      moves = proofs::convert_schedule(g, a.schedule, N, d, a.sim_M).moves;
    } else {
      proofs::SolveOptions so;
      so.time_limit_s = a.time_limit;
      so.max_states = a.max_states;
      sol = proofs::solve(g, a.M, game, so);
      if (!sol.solved)
        throw sim::InputError("exact solver gave up on '" + g.title() + "' (" + std::to_string(g.size()) +
                              " vertices, M = " + std::to_string(a.M) + "): " + sol.gave_up_reason);
      moves = sol.moves;
    }
    const proofs::CheckResult chk = proofs::check(g, a.M, game, moves);
    if (!chk.ok)
      throw sim::InputError("illegal move sequence at M = " + std::to_string(a.M) + ": " + chk.error +
                            (mode == "schedule" ? " (the converted schedule needs M >= its peak of red pebbles)" : ""));
    if (mode == "solve" && chk.io() != sol.min_io)
      throw std::logic_error("solver's move sequence costs " + std::to_string(chk.io()) + ", not " +
                             std::to_string(sol.min_io));

    if (!a.dot_out.empty()) analysis::write_file_atomically(a.dot_out, proofs::to_dot(g));
    if (!a.csv_out.empty()) analysis::write_file_atomically(a.csv_out, proofs::moves_csv(g, moves));

    if (a.json) {
      nlohmann::json j;
      j["dag"] = g.title();
      j["nodes"] = g.size();
      j["edges"] = g.edges();
      j["inputs"] = g.inputs().size();
      j["outputs"] = g.outputs().size();
      j["M"] = a.M;
      j["game"] = std::string(proofs::name_of(game));
      j["game_description"] = proofs::describe(game);
      j["mode"] = mode;
      j["min_io"] = chk.io();
      j["optimal"] = mode == "solve";
      j["loads"] = chk.loads;
      j["stores"] = chk.stores;
      j["computes"] = chk.computes;
      j["deletes"] = chk.deletes;
      j["peak_red"] = chk.peak_red;
      if (mode == "solve") {
        j["expanded"] = sol.expanded;
        j["configurations"] = sol.stored;
        j["seconds"] = sol.seconds;
      }
      auto& mv = j["moves"] = nlohmann::json::array();
      for (const auto& m : moves) mv.push_back(std::string(proofs::name_of(m.op)) + " " + g.name(m.v));
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << "dag        " << g.title() << " (" << g.size() << " vertices, " << g.edges() << " edges, "
              << g.inputs().size() << " inputs, " << g.outputs().size() << " outputs)\n"
              << "game       " << proofs::describe(game) << ", M = " << a.M << " red pebbles\n";
    if (mode == "solve")
      std::cout << "min_io     " << chk.io() << " (optimal; " << sol.expanded << " configurations expanded in "
                << sol.seconds << " s)\n";
    else
      std::cout << "io         " << chk.io() << " (" << (mode == "check" ? "checked sequence" : "converted " + a.schedule + " schedule")
                << ", legal)\n";
    std::cout << "loads      " << chk.loads << "\nstores     " << chk.stores << "\ncomputes   " << chk.computes
              << "\ndeletes    " << chk.deletes << "\npeak red   " << chk.peak_red << "\nmoves      "
              << moves.size() << "\n";
    if (a.show_moves) std::cout << "\n" << proofs::format_moves(g, moves);
  });
}

}  // namespace iolab::cli
