#pragma once
// From a simulator schedule to a red-blue pebbling move sequence.
//
// The simulator moves tiles of tensors; the pebble game moves scalar values.
// ScheduleRecorder (a sim::TransferObserver) records every transfer of a run;
// convert_schedule() replays the record on the scalar CDAG:
//
//  * every element of a transferred tile is resolved to a CDAG vertex
//      standard:  Q,K,V -> q/k/v inputs; S -> s_i_j; P -> p_i_j; O -> o_i_c
//                 (CDAG: attention_textbook)
//      flash1:    Q,K,V -> inputs; O, l, m of row i after the step with key j
//                 (B_c = 1, so j is the row of the K_j tile) -> o_i_j_c, l_i_j,
//                 m_i_j (CDAG: attention_online); the values O = 0, l = 0,
//                 m = -inf that Algorithm 1 writes before its loops and reads in
//                 its first step are constants, not vertices, and are skipped;
//  * a tile holds red pebbles on the vertices of its current contents;
//  * load of a tile: red pebbles of the tile's previous contents that no other
//    tile holds are deleted, then each element not already red is loaded
//    (an element already red, e.g. reloaded by the simulator while still in
//    another tile, needs no move and is counted in `elided_loads`);
//  * a run of consecutive stores: the stored vertices are computed from red
//    vertices (depth-first over their missing predecessors, each temporary
//    deleted as soon as nothing in the run still needs it), stored in event
//    order, and become the contents of the stored tiles; red pebbles held by
//    no tile are then deleted.
//
// M in pebbles: the result's peak_red is the largest number of red pebbles the
// converted sequence ever holds; it is the M at which the sequence is legal,
// and the M to compare with the exact optimum. It differs from the simulator's
// M in elements (whole tiles are allocated, temporaries are scalars).
#include <cstdint>
#include <string>
#include <vector>

#include "iolab/proofs/cdag.hpp"
#include "iolab/proofs/pebbling.hpp"
#include "iolab/sim/observer.hpp"

namespace iolab::proofs {

/// One recorded event: a transfer (load/store of a tile from/to a tensor
/// view) or the release of a tile (its contents leave SRAM).
struct RecordedTransfer {
  enum class Kind { load, store, free } kind;
  std::string tensor;  ///< empty for free
  std::uint64_t tile_id;
  std::int64_t row0 = 0, rows = 0, col0 = 0, cols = 0;
};

class ScheduleRecorder : public sim::TransferObserver {
 public:
  void on_transfer(const sim::TransferEvent& e) override;
  void on_sram_free(const sim::SramTile& t, sim::count_t in_use_after) override;
  const std::vector<RecordedTransfer>& events() const { return events_; }

 private:
  std::vector<RecordedTransfer> events_;
};

struct ConvertedSchedule {
  std::string algo;
  std::int64_t N = 0, d = 0;
  std::uint64_t sim_M_elems = 0;          ///< the simulator's SRAM capacity
  std::uint64_t sim_transfer_elems = 0;   ///< elements the simulator moved (reads + writes)
  std::uint64_t constant_elems = 0;       ///< transfers of constants (no vertex), skipped
  std::uint64_t elided_loads = 0;         ///< loads of values that were already red
  std::vector<Move> moves;
  Game game = Game::one_shot;             ///< one-shot when no vertex is computed twice
  CheckResult check;                      ///< check() of the moves at M = peak_red in `game`
  std::size_t peak_red = 0;               ///< M in pebbles
};

/// The CDAG a simulator algorithm's schedule is converted onto:
/// attention_online for flash1, attention_textbook for standard.
Cdag cdag_for_schedule(const std::string& algo, int N, int d);

/// Runs `algo` (flash1 with B_r = B_c = 1, or standard) on an N x d instance
/// with SRAM capacity sim_M (0: the smallest that the conversion supports) and
/// converts its schedule onto `g` (which must be cdag_for_schedule(algo, N, d)).
/// InputError (one line) for an unsupported algorithm, capacity, or a schedule
/// that cannot be expressed on the CDAG.
ConvertedSchedule convert_schedule(const Cdag& g, const std::string& algo, int N, int d, std::uint64_t sim_M = 0);

/// Converts an already recorded run (exposed for tests).
ConvertedSchedule convert_events(const Cdag& g, const std::string& algo, int N, int d,
                                 const std::vector<RecordedTransfer>& events);

}  // namespace iolab::proofs
