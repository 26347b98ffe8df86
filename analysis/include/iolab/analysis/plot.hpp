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
  /// Dotted curves of the regime's lower bound for exact attention
  /// (N^2 d^2/M for M >= d^2, N^2 d/sqrt(M) for M < d^2), one per (N, d) or (M, d).
  bool lower_bound_lines = false;
};

/// Throws InputError for an unsupported extension, std::runtime_error when
/// gnuplot fails.
void plot_sweep(const std::vector<SweepRow>& rows, const std::filesystem::path& path, const PlotOptions& opts);

struct ScatterSeries {
  std::string label;
  std::vector<std::pair<double, double>> points;  ///< (measured, predicted)
};

/// Log-log scatter of predicted against measured with the line y = x.
void plot_scatter(const std::vector<ScatterSeries>& series, const std::filesystem::path& path,
                  const std::string& title, const std::string& unit);

}  // namespace iolab::analysis
