#pragma once
// The on-chip SRAM scratchpad of capacity M elements, and tiles allocated from it.
//
// Contract:
//  * Scratchpad::allocate reserves rows x cols elements under a tile name. If
//    the scratchpad enforces its capacity and the tile does not fit, it throws
//    CapacityError naming the tile, its size, every live tile and M. A
//    non-enforcing scratchpad (the paper's literal tiling) accepts the tile
//    and only records the peak, so the true working set can be reported.
//  * A tile gives its elements back when destroyed. Peak use is the largest
//    sum of live tile sizes ever seen.
//  * A tile has a capacity shape (rows_cap x cols_cap) and a current extent
//    (rows x cols) no larger than it: load() sets the extent to the source
//    view's shape, set_extent() sets it for tiles produced on chip.
//  * In compute mode a tile holds float64 values; in count-only mode it holds
//    none and element access is a logic error.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "iolab/sim/checked.hpp"

namespace iolab::sim {

class Scratchpad;
class TransferObserver;

class SramTile {
 public:
  SramTile(SramTile&& other) noexcept;
  SramTile& operator=(SramTile&&) = delete;
  SramTile(const SramTile&) = delete;
  SramTile& operator=(const SramTile&) = delete;
  ~SramTile();

  const std::string& name() const { return name_; }
  /// Unique per scratchpad, in allocation order; stable across moves (observers key on it).
  std::uint64_t id() const { return id_; }
  std::int64_t rows_cap() const { return rows_cap_; }
  std::int64_t cols_cap() const { return cols_cap_; }
  count_t size_elems() const { return static_cast<count_t>(rows_cap_) * static_cast<count_t>(cols_cap_); }
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  bool holds_values() const { return !values_.empty(); }

  /// Sets the current extent; throws std::logic_error beyond the capacity shape.
  void set_extent(std::int64_t rows, std::int64_t cols);

  /// Element (r, c) of the current extent (compute mode only; unchecked in release builds).
  double& operator()(std::int64_t r, std::int64_t c) { return values_[static_cast<std::size_t>(r * cols_cap_ + c)]; }
  const double& operator()(std::int64_t r, std::int64_t c) const {
    return values_[static_cast<std::size_t>(r * cols_cap_ + c)];
  }
  /// Fills the current extent with v (no-op in count-only mode).
  void fill(double v);

 private:
  friend class Scratchpad;
  SramTile(Scratchpad* pad, std::uint64_t id, std::string name, std::int64_t rows, std::int64_t cols,
           bool holds_values);
  Scratchpad* pad_;
  std::uint64_t id_;
  std::string name_;
  std::int64_t rows_cap_, cols_cap_;
  std::int64_t rows_, cols_;
  std::vector<double> values_;
};

class Scratchpad {
 public:
  Scratchpad(count_t capacity_elems, bool enforce, bool holds_values);
  Scratchpad(const Scratchpad&) = delete;
  Scratchpad& operator=(const Scratchpad&) = delete;

  /// Allocates a tile of rows x cols elements (see contract above).
  SramTile allocate(std::string name, std::int64_t rows, std::int64_t cols);

  count_t capacity_elems() const { return capacity_; }
  bool enforces_capacity() const { return enforce_; }
  count_t in_use_elems() const { return in_use_; }
  count_t peak_elems() const { return peak_; }
  void set_observer(TransferObserver* obs) { observer_ = obs; }

 private:
  friend class SramTile;
  void release(const SramTile& tile) noexcept;
  struct Live {
    const SramTile* tile;
    std::string name;
    count_t elems;
  };
  count_t capacity_;
  bool enforce_;
  bool holds_values_;
  count_t in_use_ = 0;
  count_t peak_ = 0;
  std::uint64_t next_id_ = 0;
  std::vector<Live> live_;
  TransferObserver* observer_ = nullptr;
};

}  // namespace iolab::sim
