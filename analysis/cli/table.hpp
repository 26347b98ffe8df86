#pragma once
// A plain-text table with aligned columns (numbers right-aligned), and
// integer formatting with thousands separators for reading.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace iolab::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& os) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string grouped(std::uint64_t v);  ///< 1234567 -> "1,234,567"
std::string fixed(double v, int digits);
std::string sci(double v);             ///< 3 significant digits, e.g. "1.68e+07"

}  // namespace iolab::cli
