#pragma once
// A named two-dimensional tensor that lives in HBM, and views of rectangular
// parts of it.
//
// Contract:
//  * A tensor has a name, a shape rows x cols, a dtype and per-tensor counters
//    of elements read and written. Only Machine::load and Machine::store change
//    the counters; nothing else touches HBM.
//  * In compute mode the tensor holds float64 values (row-major); in count-only
//    mode it holds none and data()/at() must not be called.
//  * A view names a rectangle [row0, row0+rows) x [col0, col0+cols) of one
//    tensor; constructing a view outside the tensor throws std::out_of_range.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "iolab/sim/checked.hpp"
#include "iolab/sim/dtype.hpp"

namespace iolab::sim {

class HbmView;

class HbmTensor {
 public:
  HbmTensor(std::string name, std::int64_t rows, std::int64_t cols, DType dtype, bool holds_values);

  const std::string& name() const { return name_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  DType dtype() const { return dtype_; }
  bool holds_values() const { return holds_values_; }

  count_t reads_elems() const { return reads_; }
  count_t writes_elems() const { return writes_; }
  count_t reads_bytes() const { return checked_mul(reads_, bytes_of(dtype_), "bytes read"); }
  count_t writes_bytes() const { return checked_mul(writes_, bytes_of(dtype_), "bytes written"); }

  /// Element (r, c). Compute mode only (std::logic_error otherwise).
  double& at(std::int64_t r, std::int64_t c);
  double at(std::int64_t r, std::int64_t c) const;
  std::span<double> values();
  std::span<const double> values() const;

  /// Rectangle [row0, row0+rows) x [col0, col0+cols).
  HbmView view(std::int64_t row0, std::int64_t rows, std::int64_t col0, std::int64_t cols);
  /// Rows [row0, row0+rows), every column.
  HbmView rows_view(std::int64_t row0, std::int64_t rows);

 private:
  friend class Machine;
  std::string name_;
  std::int64_t rows_, cols_;
  DType dtype_;
  bool holds_values_;
  std::vector<double> values_;
  count_t reads_ = 0;
  count_t writes_ = 0;
};

class HbmView {
 public:
  HbmView(HbmTensor& t, std::int64_t row0, std::int64_t rows, std::int64_t col0, std::int64_t cols)
      : tensor_(&t), row0_(row0), rows_(rows), col0_(col0), cols_(cols) {}
  HbmTensor& tensor() const { return *tensor_; }
  std::int64_t row0() const { return row0_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t col0() const { return col0_; }
  std::int64_t cols() const { return cols_; }
  count_t elems() const { return static_cast<count_t>(rows_) * static_cast<count_t>(cols_); }

 private:
  HbmTensor* tensor_;
  std::int64_t row0_, rows_, col0_, cols_;
};

}  // namespace iolab::sim
