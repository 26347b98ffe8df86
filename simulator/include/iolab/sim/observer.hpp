#pragma once
// An optional observer of everything that moves data or occupies SRAM.
// Traces, cache models and animations are built on it. Observers must not
// throw; they see events in program order.
#include <cstdint>
#include <string>

#include "iolab/sim/checked.hpp"

namespace iolab::sim {

class HbmTensor;
class SramTile;

enum class Direction { load, store };  ///< load: HBM -> SRAM, store: SRAM -> HBM

struct TransferEvent {
  count_t step;               ///< 0-based index of this transfer in the run
  Direction direction;
  const HbmTensor* tensor;    ///< the HBM side
  const SramTile* tile;       ///< the SRAM side
  std::int64_t row0, rows;    ///< row range of the tensor
  std::int64_t col0, cols;    ///< column range of the tensor
  count_t elems;              ///< rows * cols
};

class TransferObserver {
 public:
  virtual ~TransferObserver() = default;
  virtual void on_transfer(const TransferEvent& e) = 0;
  virtual void on_tensor(const HbmTensor& /*t*/) {}
  virtual void on_sram_alloc(const SramTile& /*t*/, count_t /*in_use_after*/) {}
  virtual void on_sram_free(const SramTile& /*t*/, count_t /*in_use_after*/) {}
};

}  // namespace iolab::sim
