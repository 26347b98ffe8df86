#pragma once
// Shared printing of sweep results (used by `sweep` and `study`).
#include <ostream>
#include <vector>

#include "iolab/analysis/plot.hpp"
#include "iolab/analysis/sweep.hpp"

namespace iolab::cli {

/// One line per row: algorithm, tiling, N, d, M, blocks, HBM accesses,
/// closed form, whether they match, bound, ratio.
void print_rows(const std::vector<analysis::SweepRow>& rows, std::ostream& os);
/// Fitted log-log slopes per series along the axis (skips single-point series).
void print_fits(const std::vector<analysis::SweepRow>& rows, analysis::PlotAxis axis, std::ostream& os);
/// Lists infeasible configurations (reason included).
void print_skipped(const std::vector<analysis::Skipped>& skipped, std::ostream& os);

}  // namespace iolab::cli
