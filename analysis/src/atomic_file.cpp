#include "iolab/analysis/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <string>

namespace iolab::analysis {

std::filesystem::path temporary_beside(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = target;
  std::string name(1, '.');  // appended piecewise: GCC 12's -Wrestrict misfires on "literal" + std::string
  name.append(target.stem().string()).append(".tmp").append(std::to_string(::getpid())).append(1, '_');
  name.append(std::to_string(counter++)).append(target.extension().string());
  tmp.replace_filename(name);
  return tmp;
}

void ensure_parent_directory(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw std::runtime_error("cannot create directory '" + parent.string() + "': " + ec.message());
}

void commit_temporary(const std::filesystem::path& tmp, const std::filesystem::path& target) {
  std::error_code ec;
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw std::runtime_error("cannot write '" + target.string() + "': " + ec.message());
  }
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  ensure_parent_directory(path);
  const auto tmp = temporary_beside(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw std::runtime_error("cannot write '" + path.string() + "'");
    }
  }
  commit_temporary(tmp, path);
}

}  // namespace iolab::analysis
