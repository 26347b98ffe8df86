#pragma once
// Groups sweep rows into series that differ only along one axis (M or N) and
// fits a power law to each: the exponent and constant a sweep shows.
#include <string>
#include <vector>

#include "iolab/analysis/loglog_fit.hpp"
#include "iolab/analysis/plot.hpp"
#include "iolab/analysis/sweep.hpp"

namespace iolab::analysis {

struct SeriesFit {
  std::string label;  ///< e.g. "flash1 (fit) N=4096 d=64"
  std::size_t points = 0;
  PowerFit hbm;       ///< HBM accesses ~ c * x^slope
};

/// One fit per series with at least two distinct x values, in first-seen order.
std::vector<SeriesFit> fit_series(const std::vector<SweepRow>& rows, PlotAxis axis);

}  // namespace iolab::analysis
