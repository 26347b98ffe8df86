#pragma once
// Log-log plots of sweeps through gnuplot-iostream. The image format follows
// the extension (.png via pngcairo, .svg); the file is written to a temporary
// beside the target and renamed only when gnuplot produced it.
#include <filesystem>
#include <string>
#include <vector>

#include "iolab/analysis/sweep.hpp"

namespace iolab::analysis {

enum class PlotAxis { M, N };

struct PlotOptions {
  PlotAxis x = PlotAxis::M;
  std::string title;
  bool bound_lines = true;  ///< dashed Theta-bound curves (count = bound) for each series
};

/// Throws InputError for an unsupported extension, std::runtime_error when
/// gnuplot fails.
void plot_sweep(const std::vector<SweepRow>& rows, const std::filesystem::path& path, const PlotOptions& opts);

}  // namespace iolab::analysis
