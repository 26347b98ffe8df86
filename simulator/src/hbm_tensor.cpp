#include "iolab/sim/hbm_tensor.hpp"

#include <stdexcept>

namespace iolab::sim {

HbmTensor::HbmTensor(std::string name, std::int64_t rows, std::int64_t cols, DType dtype, bool holds_values)
    : name_(std::move(name)), rows_(rows), cols_(cols), dtype_(dtype), holds_values_(holds_values) {
  if (rows < 0 || cols < 0) throw std::invalid_argument("HBM tensor '" + name_ + "' with a negative extent");
  if (holds_values_) values_.assign(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols), 0.0);
}

double& HbmTensor::at(std::int64_t r, std::int64_t c) {
  if (!holds_values_) throw std::logic_error("HBM tensor '" + name_ + "' holds no values (count-only mode)");
  return values_[static_cast<std::size_t>(r * cols_ + c)];
}

double HbmTensor::at(std::int64_t r, std::int64_t c) const {
  if (!holds_values_) throw std::logic_error("HBM tensor '" + name_ + "' holds no values (count-only mode)");
  return values_[static_cast<std::size_t>(r * cols_ + c)];
}

std::span<double> HbmTensor::values() {
  if (!holds_values_) throw std::logic_error("HBM tensor '" + name_ + "' holds no values (count-only mode)");
  return values_;
}

std::span<const double> HbmTensor::values() const {
  if (!holds_values_) throw std::logic_error("HBM tensor '" + name_ + "' holds no values (count-only mode)");
  return values_;
}

HbmView HbmTensor::view(std::int64_t row0, std::int64_t rows, std::int64_t col0, std::int64_t cols) {
  if (row0 < 0 || rows < 0 || col0 < 0 || cols < 0 || row0 + rows > rows_ || col0 + cols > cols_)
    throw std::out_of_range("view [" + std::to_string(row0) + "+" + std::to_string(rows) + ", " +
                            std::to_string(col0) + "+" + std::to_string(cols) + ") outside HBM tensor '" + name_ +
                            "' of shape " + std::to_string(rows_) + "x" + std::to_string(cols_));
  return HbmView(*this, row0, rows, col0, cols);
}

HbmView HbmTensor::rows_view(std::int64_t row0, std::int64_t rows) { return view(row0, rows, 0, cols_); }

}  // namespace iolab::sim
