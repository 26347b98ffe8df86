#pragma once
// Output files are written completely or not at all: content goes to a
// temporary file in the same directory, which is renamed over the target only
// after it was written and closed without error.
#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace iolab::analysis {

/// Writes `content` to `path` atomically; throws std::runtime_error naming the
/// path on failure (the target is then untouched and no temporary is left).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// A temporary path beside `target` (same directory, so rename is atomic),
/// keeping the extension so tools that infer formats from it still work.
std::filesystem::path temporary_beside(const std::filesystem::path& target);

/// Renames a completely written temporary over `target`; on failure removes the
/// temporary and throws std::runtime_error naming the target.
void commit_temporary(const std::filesystem::path& tmp, const std::filesystem::path& target);

/// Creates the parent directory of `path` if needed (throws on failure).
void ensure_parent_directory(const std::filesystem::path& path);

}  // namespace iolab::analysis
