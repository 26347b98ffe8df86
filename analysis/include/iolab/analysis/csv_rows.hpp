#pragma once
// Reading the measurement CSVs committed under analysis/measurements/ (measured_traffic.csv,
// l2_probe.csv): a header line naming the columns, then one row per line.
//
// Contract of for_each_csv_row(csv, what, required, fn): the file must open and have a header that names
// every column in `required` (extra columns are ignored); every non-empty line after it must have as many
// fields as the header (double quotes group a field that contains commas); fn is called for each such row
// in file order. Otherwise, and when there is no row, InputError naming the file and line:
// "cannot read <what> '<file>'", "<file>: empty <what> file", "<file>:1: missing column 'c'",
// "<file>:<line>: n fields, the header has m", "<file>: no <what>".
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace iolab::analysis {

class CsvRow {
 public:
  CsvRow(std::string where, const std::map<std::string, std::size_t>& columns, std::vector<std::string> fields)
      : where_(std::move(where)), columns_(columns), fields_(std::move(fields)) {}
  const std::string& where() const { return where_; }  ///< "<file>:<line>"
  /// The field of a column that the header names (a required one); InputError otherwise.
  const std::string& operator[](const char* column) const;
  /// The field as a whole number; InputError "<where>: malformed column 'c' ..." otherwise.
  std::uint64_t count(const char* column) const;
  /// Whether the header names the column (for optional columns).
  bool has(const char* column) const { return columns_.count(column) != 0; }

 private:
  std::string where_;
  const std::map<std::string, std::size_t>& columns_;
  std::vector<std::string> fields_;
};

void for_each_csv_row(const std::filesystem::path& csv, const std::string& what,
                      std::initializer_list<const char*> required, const std::function<void(const CsvRow&)>& fn);

}  // namespace iolab::analysis
