#pragma once
// The --l2-* options of `iolab compare` and `iolab probe`: a variant of the GPU model's L2
// (analysis::L2Variant, sim::gpu::ModelOptions). Without any of them, the GPU's own L2 model.
#include <CLI/CLI.hpp>
#include <string>

#include "iolab/analysis/comparison.hpp"

namespace iolab::cli {

struct L2VariantFlags {
  analysis::L2Variant variant;
  std::string replacement, copies = "shared", sides = "halves", clean = "oldest";
  std::string pacing;  ///< --cta-pacing; empty: the model's
};

void add_l2_variant_options(CLI::App* cmd, L2VariantFlags& f);
/// Fills f.variant from the string options; InputError for options that need others
/// (--l2-copies / --l2-sides without --l2-partitions 2, --l2-dirty-clean without --l2-dirty-limit).
void finish_l2_variant(L2VariantFlags& f);

}  // namespace iolab::cli
