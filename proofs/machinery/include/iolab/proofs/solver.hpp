#pragma once
// Exact minimum-I/O red-blue pebbling for small DAGs (at most 64 vertices).
//
// solve(): A* search over canonical configurations (red set, blue set, and for
// the one-shot game the set of vertices already computed). Every search move
// places one red pebble (load, cost 1, or compute, cost 0); when M red pebbles
// are already placed it first evicts one, storing it (cost 1) or not. Sinks are
// stored (cost 1) and dropped the moment they are computed. Red pebbles on
// vertices that no unfinished output depends on are dropped (free). Why this
// restricted move set loses nothing (lazy eviction, store-on-eviction) is
// proved in proofs/pebbling.md; tests compare it with brute_force() on random
// DAGs. The heuristic (admissible, proved there too; re-expansion keeps the
// search exact regardless) is #unfinished outputs plus
//   one-shot:   #inputs and stored vertices reached backwards from an unfinished
//               output through vertices that carry neither pebble (each must
//               be loaded again; a needed vertex lost for good prunes the state)
//   Hong-Kung:  a minimum vertex cut (max-flow) between the non-red inputs and
//               the unfinished outputs in which only inputs and blue vertices
//               may be cut (each cut vertex costs a future load).
// An unfinished output whose predecessors are red is computed and stored at
// once when a pebble is free (a forced move).
//
// Size: the largest instance advertised (proofs/pebbling.md, section 3) is
// attention:N=3,d=1 (63 vertices) at M = 20 in the one-shot game, solved in
// 1.9 s of CPU time; attention-online:N=2,d=1 (34 vertices) is solved for every
// M >= 4 (one-shot) and M >= 5 (Hong-Kung) within 10 s.
//
// brute_force(): 0-1 breadth-first search over raw configurations with all
// four moves individually, no canonical forms and no heuristic; the reference
// the exact solver is tested against (practical up to ~8 vertices).
#include <cstdint>
#include <optional>
#include <vector>

#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/pebbling.hpp"

namespace iolab::proofs {

struct SolveOptions {
  std::uint64_t max_states = 20'000'000;  ///< give up beyond this many stored configurations
  double time_limit_s = 60.0;             ///< give up after this long
};

struct SolveResult {
  bool solved = false;          ///< false: gave up (limits) — min_io is then meaningless
  bool infeasible = false;      ///< no legal game exists (cannot happen when M >= in-degree + 1)
  std::uint64_t min_io = 0;     ///< loads + stores of an optimal game
  std::vector<Move> moves;      ///< one optimal game, accepted by check()
  std::uint64_t expanded = 0;   ///< configurations expanded
  std::uint64_t stored = 0;     ///< configurations stored
  double seconds = 0.0;
  std::string gave_up_reason;
};

/// Exact optimum. InputError for more than 64 vertices or M < max in-degree + 1.
SolveResult solve(const Cdag& g, std::size_t M, Game game, const SolveOptions& opt = {});

/// Reference optimum by exhaustive 0-1 BFS (no move sequence). InputError for
/// more than 20 vertices; std::nullopt when no legal game exists.
std::optional<std::uint64_t> brute_force(const Cdag& g, std::size_t M, Game game,
                                         std::uint64_t max_states = 50'000'000);

}  // namespace iolab::proofs
