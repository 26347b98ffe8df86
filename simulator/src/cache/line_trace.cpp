#include "iolab/sim/cache/line_trace.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "iolab/sim/errors.hpp"
#include "iolab/sim/hbm_tensor.hpp"

namespace iolab::sim::cache {

LineTrace::LineTrace(std::uint32_t line_bytes, std::uint32_t sector_bytes)
    : line_bytes_(line_bytes), sector_bytes_(sector_bytes) {
  if (!std::has_single_bit(line_bytes) || !std::has_single_bit(sector_bytes) || sector_bytes > line_bytes ||
      line_bytes / sector_bytes > 32)
    throw InputError("cache line (" + std::to_string(line_bytes) + " B) and sector (" + std::to_string(sector_bytes) +
                     " B) must be powers of two with 1 to 32 sectors a line");
}

void LineTrace::on_tensor(const HbmTensor& t) {
  if (tensors_.size() >= 65535) throw InputError("too many HBM tensors for a line trace");
  const std::uint64_t size = static_cast<std::uint64_t>(t.rows()) * static_cast<std::uint64_t>(t.cols()) * bytes_of(t.dtype());
  tensors_.push_back({t.name(), next_base_, size});
  tensor_ptrs_.push_back(&t);
  next_base_ += (size + line_bytes_ - 1) / line_bytes_ * line_bytes_;
}

void LineTrace::touch(std::uint64_t begin, std::uint64_t end, std::uint16_t tensor, bool write) {
  if (begin >= end) return;
  const std::uint64_t first = begin / line_bytes_, last = (end - 1) / line_bytes_;
  for (std::uint64_t line = first; line <= last; ++line) {
    const std::uint64_t lo = std::max(begin, line * line_bytes_) - line * line_bytes_;
    const std::uint64_t hi = std::min(end, (line + 1) * line_bytes_) - line * line_bytes_;
    const auto s0 = static_cast<std::uint32_t>(lo / sector_bytes_);
    const auto s1 = static_cast<std::uint32_t>((hi - 1) / sector_bytes_);
    const std::uint32_t mask = (s1 - s0 == 31 ? ~0u : ((1u << (s1 - s0 + 1)) - 1u)) << s0;
    if (!accesses_.empty()) {
      auto& prev = accesses_.back();
      if (prev.line == line && prev.tensor == tensor && prev.write == write) {
        prev.sectors |= mask;
        continue;
      }
    }
    accesses_.push_back({line, mask, tensor, write});
  }
}

void LineTrace::on_transfer(const TransferEvent& e) {
  std::size_t idx = tensor_ptrs_.size();
  while (idx > 0 && tensor_ptrs_[idx - 1] != e.tensor) --idx;
  if (idx == 0) throw std::logic_error("line trace: transfer of a tensor created before the observer was attached");
  const auto tensor = static_cast<std::uint16_t>(idx - 1);
  const std::uint64_t es = bytes_of(e.tensor->dtype());
  const auto cols = static_cast<std::uint64_t>(e.tensor->cols());
  const std::uint64_t base = tensors_[tensor].base_bytes;
  const bool write = e.direction == Direction::store;
  const auto row0 = static_cast<std::uint64_t>(e.row0), rows = static_cast<std::uint64_t>(e.rows);
  const auto col0 = static_cast<std::uint64_t>(e.col0), ncols = static_cast<std::uint64_t>(e.cols);
  if (col0 == 0 && ncols == cols) {
    touch(base + row0 * cols * es, base + (row0 + rows) * cols * es, tensor, write);
    return;
  }
  for (std::uint64_t r = row0; r < row0 + rows; ++r)
    touch(base + (r * cols + col0) * es, base + (r * cols + col0 + ncols) * es, tensor, write);
}

}  // namespace iolab::sim::cache
