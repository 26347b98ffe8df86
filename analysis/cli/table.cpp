#include "table.hpp"

#include <algorithm>
#include <cstdio>

namespace iolab::cli {
namespace {

bool numeric(const std::string& s) {
  return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+');
}

}  // namespace

void Table::print(std::ostream& os) const {
  std::vector<std::size_t> w(header_.size(), 0);
  for (std::size_t c = 0; c < header_.size(); ++c) w[c] = header_[c].size();
  for (const auto& r : rows_)
    for (std::size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], r[c].size());
  auto line = [&](const std::vector<std::string>& r, bool head) {
    for (std::size_t c = 0; c < w.size(); ++c) {
      const std::string cell = c < r.size() ? r[c] : "";
      const std::string pad(w[c] - cell.size(), ' ');
      os << (c ? "  " : "") << (!head && numeric(cell) ? pad + cell : cell + pad);
    }
    os << '\n';
  };
  line(header_, true);
  std::size_t total = 0;
  for (auto x : w) total += x;
  os << std::string(total + 2 * (w.size() - 1), '-') << '\n';
  for (const auto& r : rows_) line(r, false);
}

std::string grouped(std::uint64_t v) {
  // Built front to back (std::string::insert here trips GCC 12's -Wrestrict false positive).
  const std::string digits = std::to_string(v);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string sci(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace iolab::cli
