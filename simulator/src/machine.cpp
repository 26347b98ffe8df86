#include "iolab/sim/machine.hpp"

#include <algorithm>
#include <stdexcept>

#include "iolab/sim/errors.hpp"

namespace iolab::sim {

Machine::Machine(const MachineConfig& cfg)
    : mode_(cfg.mode), sram_(cfg.sram_elems, cfg.enforce_capacity, cfg.mode == Mode::compute) {}

HbmTensor& Machine::hbm_tensor(std::string name, std::int64_t rows, std::int64_t cols, DType dtype) {
  auto& t = tensors_.emplace_back(std::move(name), rows, cols, dtype, computes());
  if (observer_) observer_->on_tensor(t);
  return t;
}

void Machine::load(SramTile& dst, const HbmView& src) {
  if (src.rows() > dst.rows_cap() || src.cols() > dst.cols_cap())
    throw std::logic_error("load of " + std::to_string(src.rows()) + "x" + std::to_string(src.cols()) + " from '" +
                           src.tensor().name() + "' into SRAM tile '" + dst.name() + "' of capacity " +
                           std::to_string(dst.rows_cap()) + "x" + std::to_string(dst.cols_cap()));
  dst.set_extent(src.rows(), src.cols());
  HbmTensor& t = src.tensor();
  if (mode_ == Mode::compute) {
    for (std::int64_t r = 0; r < src.rows(); ++r) {
      const double* from = &t.values_[static_cast<std::size_t>((src.row0() + r) * t.cols_ + src.col0())];
      std::copy_n(from, src.cols(), &dst(r, 0));
    }
  }
  const count_t n = src.elems();
  if (__builtin_add_overflow(t.reads_, n, &t.reads_)) throw OverflowError("reads of " + t.name_ + " overflow 64 bits");
  if (observer_)
    observer_->on_transfer({step_, Direction::load, &t, &dst, src.row0(), src.rows(), src.col0(), src.cols(), n});
  ++step_;
}

void Machine::store(const HbmView& dst, const SramTile& src) {
  if (dst.rows() != src.rows() || dst.cols() != src.cols())
    throw std::logic_error("store of SRAM tile '" + src.name() + "' (extent " + std::to_string(src.rows()) + "x" +
                           std::to_string(src.cols()) + ") into a " + std::to_string(dst.rows()) + "x" +
                           std::to_string(dst.cols()) + " view of '" + dst.tensor().name() + "'");
  HbmTensor& t = dst.tensor();
  if (mode_ == Mode::compute) {
    for (std::int64_t r = 0; r < dst.rows(); ++r) {
      double* to = &t.values_[static_cast<std::size_t>((dst.row0() + r) * t.cols_ + dst.col0())];
      std::copy_n(&src(r, 0), dst.cols(), to);
    }
  }
  const count_t n = dst.elems();
  if (__builtin_add_overflow(t.writes_, n, &t.writes_))
    throw OverflowError("writes of " + t.name_ + " overflow 64 bits");
  if (observer_)
    observer_->on_transfer({step_, Direction::store, &t, &src, dst.row0(), dst.rows(), dst.col0(), dst.cols(), n});
  ++step_;
}

count_t Machine::hbm_reads_elems() const {
  count_t s = 0;
  for (const auto& t : tensors_) s = checked_add(s, t.reads_elems(), "HBM reads");
  return s;
}

count_t Machine::hbm_writes_elems() const {
  count_t s = 0;
  for (const auto& t : tensors_) s = checked_add(s, t.writes_elems(), "HBM writes");
  return s;
}

count_t Machine::hbm_bytes() const {
  count_t s = 0;
  for (const auto& t : tensors_)
    s = checked_add(s, checked_add(t.reads_bytes(), t.writes_bytes(), "HBM bytes"), "HBM bytes");
  return s;
}

}  // namespace iolab::sim
