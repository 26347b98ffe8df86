#include "iolab/sim/sram.hpp"

#include <algorithm>
#include <stdexcept>

#include "iolab/sim/errors.hpp"
#include "iolab/sim/observer.hpp"

namespace iolab::sim {

SramTile::SramTile(Scratchpad* pad, std::uint64_t id, std::string name, std::int64_t rows, std::int64_t cols,
                   bool holds_values)
    : pad_(pad), id_(id), name_(std::move(name)), rows_cap_(rows), cols_cap_(cols), rows_(rows), cols_(cols) {
  if (holds_values) values_.assign(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols), 0.0);
}

SramTile::SramTile(SramTile&& other) noexcept
    : pad_(other.pad_),
      id_(other.id_),
      name_(std::move(other.name_)),
      rows_cap_(other.rows_cap_),
      cols_cap_(other.cols_cap_),
      rows_(other.rows_),
      cols_(other.cols_),
      values_(std::move(other.values_)) {
  other.pad_ = nullptr;
  // The scratchpad tracks tiles by address; re-point its record at this object.
  if (pad_)
    for (auto& l : pad_->live_)
      if (l.tile == &other) l.tile = this;
}

SramTile::~SramTile() {
  if (pad_) pad_->release(*this);
}

void SramTile::set_extent(std::int64_t rows, std::int64_t cols) {
  if (rows < 0 || cols < 0 || rows > rows_cap_ || cols > cols_cap_)
    throw std::logic_error("extent " + std::to_string(rows) + "x" + std::to_string(cols) + " exceeds SRAM tile '" +
                           name_ + "' of capacity " + std::to_string(rows_cap_) + "x" + std::to_string(cols_cap_));
  rows_ = rows;
  cols_ = cols;
}

void SramTile::fill(double v) {
  if (values_.empty()) return;
  for (std::int64_t r = 0; r < rows_; ++r)
    std::fill_n(values_.begin() + static_cast<std::ptrdiff_t>(r * cols_cap_), cols_, v);
}

Scratchpad::Scratchpad(count_t capacity_elems, bool enforce, bool holds_values)
    : capacity_(capacity_elems), enforce_(enforce), holds_values_(holds_values) {}

SramTile Scratchpad::allocate(std::string name, std::int64_t rows, std::int64_t cols) {
  if (rows <= 0 || cols <= 0)
    throw std::logic_error("SRAM tile '" + name + "' with empty shape " + std::to_string(rows) + "x" +
                           std::to_string(cols));
  const count_t elems = checked_mul(static_cast<count_t>(rows), static_cast<count_t>(cols), "SRAM tile size");
  const count_t after = checked_add(in_use_, elems, "SRAM use");
  if (enforce_ && after > capacity_) {
    std::string live;
    for (const auto& l : live_) live += (live.empty() ? "" : ", ") + l.name + " " + std::to_string(l.elems);
    throw CapacityError("SRAM overflow: tile '" + name + "' (" + std::to_string(rows) + "x" + std::to_string(cols) +
                        " = " + std::to_string(elems) + " elements) does not fit: " + std::to_string(in_use_) +
                        " elements in use" + (live.empty() ? "" : " (" + live + ")") +
                        ", M = " + std::to_string(capacity_) + " elements");
  }
  SramTile tile(this, next_id_++, std::move(name), rows, cols, holds_values_);
  live_.push_back({&tile, tile.name(), elems});
  in_use_ = after;
  peak_ = std::max(peak_, in_use_);
  if (observer_) observer_->on_sram_alloc(tile, in_use_);
  return tile;  // guaranteed copy elision is not available for named objects; the move ctor re-points live_
}

void Scratchpad::release(const SramTile& tile) noexcept {
  auto it = std::find_if(live_.begin(), live_.end(), [&](const Live& l) { return l.tile == &tile; });
  if (it == live_.end()) return;
  in_use_ -= it->elems;
  live_.erase(it);
  if (observer_) observer_->on_sram_free(tile, in_use_);
}

}  // namespace iolab::sim
