#pragma once
// The --l2-* and --cta-pacing options of `iolab compare` and `iolab probe`: a variant of the GPU model, its L2
// and how CTAs interleave (analysis::ModelVariant, sim::gpu::ModelOptions). Without any of them, the GPU's own
// model.
#include <CLI/CLI.hpp>
#include <string>

#include "iolab/analysis/comparison.hpp"

namespace iolab::cli {

struct ModelVariantFlags {
  analysis::ModelVariant variant;
  std::string replacement, copies, sides, clean, write_copies, set_index;  ///< empty: not given
  std::string pacing;  ///< --cta-pacing; empty: the model's
};

void add_model_variant_options(CLI::App* cmd, ModelVariantFlags& f);
/// Fills f.variant from the string options; InputError for options that contradict others
/// (--l2-copies / --l2-copy-fraction / --l2-sides / --l2-write-copies with --l2-partitions 1, --l2-dirty-clean with
/// --l2-dirty-limit 0).
void finish_model_variant(ModelVariantFlags& f);

}  // namespace iolab::cli
