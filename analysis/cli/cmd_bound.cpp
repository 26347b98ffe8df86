// iolab bound: lower bound <= exact optimum <= schedule, side by side, for the
// red-blue pebble game on a computation DAG.
//   lower bound: max(trivial, spectral) (spectral only in the one-shot game)
//   optimum:     the exact solver (--exact; DAGs of at most 64 vertices)
//   schedule:    a simulator schedule converted into moves (--schedule flash1
//                on attention-online, standard on attention)
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "iolab/analysis/atomic_file.hpp"
#include "iolab/analysis/grid_spec.hpp"
#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/lower_bound.hpp"
#include "iolab/proofs/pebbling.hpp"
#include "iolab/proofs/schedule_converter.hpp"
#include "iolab/proofs/solver.hpp"
#include "iolab/sim/errors.hpp"
#include "table.hpp"

namespace iolab::cli {

namespace {

struct BoundArgs {
  std::string dag, dag_file, Ms, schedule, csv_out, dot_out;
  bool no_recompute = false, json = false, exact = false;
  double time_limit = 60.0;
  std::uint64_t sim_M = 0;
};

struct BoundRow {
  std::size_t M;
  proofs::BoundReport lb;
  std::optional<proofs::SolveResult> opt;
  std::optional<std::uint64_t> schedule_io;  ///< when M >= the schedule's peak
};

}  // namespace

void register_bound(CLI::App& app) {
  auto args = std::make_shared<BoundArgs>();
  auto* cmd = app.add_subcommand(
      "bound", "Pebbling lower bounds (trivial, spectral) beside the exact optimum and a simulator schedule's I/O");
  cmd->add_option("--dag", args->dag, "Built-in DAG: " + proofs::family_help());
  cmd->add_option("--dag-file", args->dag_file, "Graphviz digraph to read (sources inputs, sinks outputs)");
  cmd->add_option("--M", args->Ms,
                  "Red pebbles: a list or range, e.g. 3,4,8 or 3:9:+1 (default with --schedule: the schedule's peak)");
  cmd->add_flag("--no-recompute", args->no_recompute,
                "One-shot game (each vertex computed once); the spectral bound holds only here");
  cmd->add_flag("--exact", args->exact, "Also run the exact solver (at most 64 vertices)");
  cmd->add_option("--schedule", args->schedule, "Convert this simulator schedule (flash1 or standard) into moves");
  cmd->add_option("--sim-M", args->sim_M, "Simulator SRAM in elements for --schedule (default: smallest supported)");
  cmd->add_flag("--json", args->json, "Print the rows as JSON");
  cmd->add_option("--csv", args->csv_out, "Write the rows as CSV to this file");
  cmd->add_option("--dot", args->dot_out, "Write the DAG as Graphviz DOT to this file");
  cmd->add_option("--time-limit", args->time_limit, "Exact solver time limit per M in seconds (default 60)");
  cmd->callback([args] {
    const BoundArgs& a = *args;
    if (a.dag.empty() == a.dag_file.empty()) throw sim::InputError("give exactly one of --dag and --dag-file");
    const proofs::Cdag g = a.dag.empty() ? proofs::read_dot_file(a.dag_file) : proofs::family_from_spec(a.dag);
    const proofs::Game game = a.no_recompute ? proofs::Game::one_shot : proofs::Game::hong_kung;

    std::optional<proofs::ConvertedSchedule> sched;
    if (!a.schedule.empty()) {
      int N = 0, d = 0;
      const std::string& t = g.title();
      if (std::sscanf(t.c_str(), "attention-online:N=%d,d=%d", &N, &d) != 2 &&
          std::sscanf(t.c_str(), "attention:N=%d,d=%d", &N, &d) != 2)
        throw sim::InputError("--schedule needs a built-in attention DAG (attention-online for flash1, attention for standard)");
      const proofs::Cdag want = proofs::cdag_for_schedule(a.schedule, N, d);
      if (want.title() != g.title()) throw sim::InputError("the " + a.schedule + " schedule lives on --dag " + want.title());
      sched = proofs::convert_schedule(g, a.schedule, N, d, a.sim_M);
    }
    std::vector<std::size_t> Ms;
    if (!a.Ms.empty()) {
      for (auto m : analysis::parse_int_list(a.Ms, "--M")) {
        if (m < 1) throw sim::InputError("--M values must be positive");
        Ms.push_back(static_cast<std::size_t>(m));
      }
    } else if (sched) {
      Ms.push_back(sched->peak_red);
    } else {
      throw sim::InputError("--M is required (or --schedule, whose peak of red pebbles is then used)");
    }
    std::vector<BoundRow> rows;
    for (std::size_t M : Ms) {
      proofs::require_playable(g, M);
      BoundRow r{M, proofs::lower_bound(g, M, game), std::nullopt, std::nullopt};
      if (a.exact) {
        proofs::SolveOptions so;
        so.time_limit_s = a.time_limit;
        so.max_states = 5'000'000;
        r.opt = proofs::solve(g, M, game, so);
        if (!r.opt->solved)
          throw sim::InputError("exact solver gave up at M = " + std::to_string(M) + ": " + r.opt->gave_up_reason);
      }
      if (sched && M >= sched->peak_red) {
        const auto c = proofs::check(g, M, game, sched->moves);
        if (c.ok) r.schedule_io = c.io();
      }
      rows.push_back(std::move(r));
    }

    const std::string game_name(proofs::name_of(game));
    std::ostringstream csv;
    csv << "dag,nodes,M,game,trivial_bound,spectral_bound,spectral_k,lower_bound,lower_bound_kind,optimum,"
           "optimum_seconds,schedule,schedule_io,schedule_peak_red\n";
    for (const auto& r : rows) {
      csv << g.title() << "," << g.size() << "," << r.M << "," << game_name << "," << r.lb.trivial << ","
          << (r.lb.spectral_applies ? std::to_string(r.lb.spectral) : "") << ","
          << (r.lb.spectral_applies ? std::to_string(r.lb.spectral_k) : "") << "," << r.lb.best << "," << r.lb.which
          << "," << (r.opt ? std::to_string(r.opt->min_io) : "") << ","
          << (r.opt ? std::to_string(r.opt->seconds) : "") << "," << (sched ? sched->algo : "") << ","
          << (r.schedule_io ? std::to_string(*r.schedule_io) : "") << ","
          << (sched ? std::to_string(sched->peak_red) : "") << "\n";
    }
    if (!a.csv_out.empty()) analysis::write_file_atomically(a.csv_out, csv.str());
    if (!a.dot_out.empty()) analysis::write_file_atomically(a.dot_out, proofs::to_dot(g));

    if (a.json) {
      nlohmann::json j;
      j["dag"] = g.title();
      j["nodes"] = g.size();
      j["game"] = game_name;
      j["game_description"] = proofs::describe(game);
      if (sched) {
        j["schedule"] = {{"algo", sched->algo},
                         {"io", sched->check.io()},
                         {"peak_red", sched->peak_red},
                         {"one_shot", sched->game == proofs::Game::one_shot},
                         {"sim_M_elems", sched->sim_M_elems},
                         {"sim_transfer_elems", sched->sim_transfer_elems},
                         {"constant_elems", sched->constant_elems},
                         {"elided_loads", sched->elided_loads}};
      }
      auto& arr = j["rows"] = nlohmann::json::array();
      for (const auto& r : rows) {
        nlohmann::json o{{"M", r.M}, {"trivial_bound", r.lb.trivial}, {"lower_bound", r.lb.best},
                         {"lower_bound_kind", r.lb.which}};
        if (r.lb.spectral_applies) {
          o["spectral_bound"] = r.lb.spectral;
          o["spectral_k"] = r.lb.spectral_k;
        }
        if (r.opt) {
          o["optimum"] = r.opt->min_io;
          o["optimum_seconds"] = r.opt->seconds;
        }
        if (r.schedule_io) o["schedule_io"] = *r.schedule_io;
        arr.push_back(o);
      }
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << g.title() << ": " << g.size() << " vertices, " << g.edges() << " edges; " << proofs::describe(game)
              << "\n";
    if (sched)
      std::cout << sched->algo << " schedule: " << sched->check.io() << " I/O at " << sched->peak_red
                << " red pebbles (simulator: M = " << sched->sim_M_elems << " elements, "
                << sched->sim_transfer_elems << " elements moved, " << sched->constant_elems
                << " of them constants, " << sched->elided_loads << " loads of values already in SRAM)\n";
    Table t({"M", "trivial", "spectral", "lower bound", "optimum", "schedule"});
    for (const auto& r : rows)
      t.add({std::to_string(r.M), std::to_string(r.lb.trivial),
             r.lb.spectral_applies ? std::to_string(r.lb.spectral) + " (k=" + std::to_string(r.lb.spectral_k) + ")"
                                   : "n/a",
             std::to_string(r.lb.best), r.opt ? std::to_string(r.opt->min_io) : "-",
             r.schedule_io ? std::to_string(*r.schedule_io) : "-"});
    t.print(std::cout);
  });
}

}  // namespace iolab::cli
