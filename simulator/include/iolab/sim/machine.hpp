#pragma once
// The simulated machine: HBM tensors, an SRAM scratchpad of capacity M, and
// the only two operations that move data.
//
// Contract:
//  * load(sram_tile, hbm_view): copies the view into the tile (compute mode),
//    sets the tile's extent to the view's shape, and adds rows*cols elements
//    to the view tensor's read counter. The view must fit the tile's capacity
//    shape (std::logic_error otherwise: a bug in the algorithm, not bad input).
//  * store(hbm_view, sram_tile): copies the tile's current extent into the
//    view, whose shape must equal that extent, and adds rows*cols to the
//    tensor's write counter.
//  * Mode::compute and Mode::count_only run the same call sequence; only
//    compute mode holds and moves values. Algorithms guard their arithmetic
//    with computes().
//  * Tensors are owned by the machine and keep their address for its life.
//  * The observer, when set, sees every transfer, tensor creation and SRAM
//    allocation in order.
#include <cstdint>
#include <deque>
#include <string>

#include "iolab/sim/checked.hpp"
#include "iolab/sim/dtype.hpp"
#include "iolab/sim/hbm_tensor.hpp"
#include "iolab/sim/observer.hpp"
#include "iolab/sim/sram.hpp"

namespace iolab::sim {

enum class Mode { compute, count_only };

struct MachineConfig {
  count_t sram_elems;             ///< M, in elements
  Mode mode = Mode::count_only;
  bool enforce_capacity = true;   ///< false only for the paper's literal tiling
};

class Machine {
 public:
  explicit Machine(const MachineConfig& cfg);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  bool computes() const { return mode_ == Mode::compute; }
  Mode mode() const { return mode_; }

  /// Creates an HBM tensor (values zero-initialised in compute mode).
  HbmTensor& hbm_tensor(std::string name, std::int64_t rows, std::int64_t cols, DType dtype);
  /// Allocates an SRAM tile (may throw CapacityError).
  SramTile sram_tile(std::string name, std::int64_t rows, std::int64_t cols) {
    return sram_.allocate(std::move(name), rows, cols);
  }

  void load(SramTile& dst, const HbmView& src);
  void store(const HbmView& dst, const SramTile& src);

  const std::deque<HbmTensor>& tensors() const { return tensors_; }
  const Scratchpad& sram() const { return sram_; }
  count_t transfers() const { return step_; }
  count_t hbm_reads_elems() const;
  count_t hbm_writes_elems() const;
  count_t hbm_bytes() const;  ///< bytes read + written over all tensors

  void set_observer(TransferObserver* obs) {
    observer_ = obs;
    sram_.set_observer(obs);
  }

 private:
  Mode mode_;
  Scratchpad sram_;
  std::deque<HbmTensor> tensors_;
  count_t step_ = 0;
  TransferObserver* observer_ = nullptr;
};

}  // namespace iolab::sim
