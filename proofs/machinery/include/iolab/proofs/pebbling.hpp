#pragma once
// The red-blue pebble game of Hong and Kung (1981) on a CDAG.
//
// A configuration is a set of red pebbles (values in fast memory, at most M at
// any time) and a set of blue pebbles (values in slow memory, unbounded).
// Initially every input (source) carries a blue pebble and nothing is red.
// Moves:
//   load v     v carries blue and not red; place a red pebble on v       (I/O 1)
//   store v    v carries red; place a blue pebble on v                    (I/O 1)
//   compute v  v is not an input, every predecessor of v carries red, v is
//              not red; place a red pebble on v                           (I/O 0)
//   delete v   v carries red; remove it                                   (I/O 0)
// load and compute are refused when M red pebbles are already placed, so a
// compute needs M >= (in-degree + 1). The game ends when every output (sink)
// carries blue. Its cost is loads + stores.
//
// Variants: Game::hong_kung lets a vertex be computed any number of times
// (recomputation, as in Hong and Kung); Game::one_shot lets each vertex be
// computed at most once. There is no "sliding" move (moving a red pebble from
// a predecessor onto its successor); blue pebbles are never removed.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "iolab/proofs/cdag.hpp"

namespace iolab::proofs {

enum class Game { hong_kung, one_shot };
std::string_view name_of(Game g);
/// "Hong-Kung red-blue pebbling, recomputation allowed" or the one-shot text.
std::string describe(Game g);

enum class Op { load, store, compute, remove };
std::string_view name_of(Op o);  ///< "load", "store", "compute", "delete"

struct Move {
  Op op;
  Vertex v;
  bool operator==(const Move&) const = default;
};

struct CheckResult {
  bool ok = false;
  std::string error;          ///< empty when ok; otherwise names the move and the rule
  std::size_t failed_at = 0;  ///< index of the offending move (moves.size() for end-of-game errors)
  std::uint64_t loads = 0, stores = 0, computes = 0, deletes = 0;
  std::uint64_t io() const { return loads + stores; }
  std::size_t peak_red = 0;   ///< largest number of red pebbles at any time
};

/// Validates a move sequence and counts its I/O. Never throws for an illegal
/// sequence: the result says which move broke which rule.
CheckResult check(const Cdag& g, std::size_t M, Game game, const std::vector<Move>& moves);

/// Throws InputError unless M >= max in-degree + 1 (every compute must fit).
void require_playable(const Cdag& g, std::size_t M);

/// One move per line: "load q_0_0", "compute s_0_0", "store o_0_0", "delete x".
std::string format_moves(const Cdag& g, const std::vector<Move>& moves);
/// Parses that format (blank lines and #-comments ignored; "step,op,node" CSV
/// rows with a header are accepted too). InputError on an unknown op or name.
std::vector<Move> parse_moves(const Cdag& g, std::string_view text);
/// CSV "step,op,node,red,io" where red/io are the counts after the move.
std::string moves_csv(const Cdag& g, const std::vector<Move>& moves);

}  // namespace iolab::proofs
