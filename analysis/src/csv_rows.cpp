#include "iolab/analysis/csv_rows.hpp"

#include <fstream>

#include "iolab/sim/errors.hpp"
#include "iolab/sim/units.hpp"

namespace iolab::analysis {
namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') cur += c;
  }
  out.push_back(cur);
  return out;
}

}  // namespace

const std::string& CsvRow::operator[](const char* column) const {
  const auto it = columns_.find(column);
  if (it == columns_.end()) throw sim::InputError(where_ + ": no column '" + column + "'");
  return fields_[it->second];
}

std::uint64_t CsvRow::count(const char* column) const {
  try {
    return sim::parse_count((*this)[column], std::string("column '") + column + "' =");
  } catch (const sim::InputError& e) {
    throw sim::InputError(where_ + ": " + e.what());
  }
}

void for_each_csv_row(const std::filesystem::path& csv, const std::string& what,
                      std::initializer_list<const char*> required, const std::function<void(const CsvRow&)>& fn) {
  std::ifstream in(csv);
  if (!in) throw sim::InputError("cannot read " + what + " '" + csv.string() + "'");
  std::string line;
  if (!std::getline(in, line)) throw sim::InputError(csv.string() + ": empty " + what + " file");
  const auto header = split_csv(line);
  std::map<std::string, std::size_t> columns;
  for (std::size_t i = 0; i < header.size(); ++i) columns[header[i]] = i;
  for (const char* c : required)
    if (!columns.count(c))
      throw sim::InputError(csv.string() + ":1: missing column '" + c + "' (see analysis/measurements/*/README.md)");
  bool any = false;
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    const std::string where = csv.string() + ":" + std::to_string(lineno);
    auto fields = split_csv(line);
    if (fields.size() != header.size())
      throw sim::InputError(where + ": " + std::to_string(fields.size()) + " fields, the header has " +
                            std::to_string(header.size()));
    fn(CsvRow(where, columns, std::move(fields)));
    any = true;
  }
  if (!any) throw sim::InputError(csv.string() + ": no " + what);
}

}  // namespace iolab::analysis
