#include "model_variant_options.hpp"

#include "iolab/sim/errors.hpp"

namespace iolab::cli {

void add_model_variant_options(CLI::App* cmd, ModelVariantFlags& f) {
  // Every option overrides one field of the GPU's own L2 model (sim::gpu::GpuSpec::l2); unset ones keep it.
  auto& v = f.variant;
  cmd->add_option("--l2-capacity", v.capacity_fraction, "L2 model variant: capacity as a fraction of the physical L2")
      ->check(CLI::Range(0.001, 1.0));
  cmd->add_option("--l2-dirty-limit", v.dirty_fraction,
                  "L2 model variant: most dirty bytes kept, as a fraction of the physical L2 (0: no limit)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--l2-dirty-clean", f.clean,
                  "L2 model variant, with a dirty limit: the dirty line cleaned (oldest, random, set-oldest), or "
                  "the limit split over the sets (per-set-random, per-set-oldest)")
      ->check(CLI::IsMember({"oldest", "random", "set-oldest", "per-set-random", "per-set-oldest"}));
  cmd->add_option("--l2-ways", v.ways, "L2 model variant: ways per set, sets indexed by a hash (0: fully associative)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--l2-set-index", f.set_index,
                  "L2 model variant, with sets: how a block's set is picked (hashed, balanced, modulo)")
      ->check(CLI::IsMember({"hashed", "balanced", "modulo"}));
  cmd->add_option("--l2-partitions", v.partitions, "L2 model variant: 1, or 2 partitions with near copies")
      ->check(CLI::IsMember({1, 2}));
  cmd->add_option("--l2-copies", f.copies, "L2 model variant, 2 partitions: near copies of shared blocks, or always")
      ->check(CLI::IsMember({"shared", "always"}));
  cmd->add_option("--l2-copy-fraction", v.copy_fraction,
                  "L2 model variant, 2 partitions: the share of blocks (a fixed hashed subset) that get near copies")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--l2-write-copies", f.write_copies,
                  "L2 model variant, 2 partitions: a write from a far SM drops its near copy, or keeps it (drop, keep)")
      ->check(CLI::IsMember({"drop", "keep"}));
  cmd->add_option("--l2-sides", f.sides, "L2 model variant, 2 partitions: SM halves or SM parity")
      ->check(CLI::IsMember({"halves", "parity"}));
  cmd->add_option("--l2-replacement", f.replacement,
                  "L2 model variant: replacement policy (lru, random, bip, srrip, brrip, drrip)")
      ->check(CLI::IsMember({"lru", "random", "bip", "srrip", "brrip", "drrip"}));
  cmd->add_option("--cta-pacing", f.pacing,
                  "Model variant: resident CTAs in lockstep, or timed with the GPU's issue rates by age (lockstep, age)")
      ->check(CLI::IsMember({"lockstep", "age"}));
}

void finish_model_variant(ModelVariantFlags& f) {
  auto& v = f.variant;
  if (!f.replacement.empty()) v.replacement = sim::cache::parse_replacement(f.replacement);
  if (!f.copies.empty()) v.copies = f.copies == "always" ? sim::gpu::L2Copies::always : sim::gpu::L2Copies::shared;
  if (!f.sides.empty()) v.sides = f.sides == "parity" ? sim::gpu::L2Sides::parity : sim::gpu::L2Sides::halves;
  if (!f.write_copies.empty())
    v.write_copies = f.write_copies == "keep" ? sim::gpu::L2WriteCopies::keep : sim::gpu::L2WriteCopies::drop;
  if (!f.clean.empty()) v.dirty_clean = sim::cache::parse_dirty_clean(f.clean);
  if (!f.set_index.empty()) v.set_index = sim::cache::parse_set_index(f.set_index);
  if (v.set_index && v.ways && *v.ways == 0)
    throw sim::InputError("--l2-set-index needs sets (not --l2-ways 0, fully associative)");
  if (!f.pacing.empty())
    v.pacing = f.pacing == "age" ? sim::gpu::ModelOptions::CtaPacing::age : sim::gpu::ModelOptions::CtaPacing::lockstep;
  if (v.dirty_clean && v.dirty_fraction && *v.dirty_fraction == 0)
    throw sim::InputError("--l2-dirty-clean needs a dirty limit (not --l2-dirty-limit 0)");
  if (v.partitions && *v.partitions == 1 && (v.copies || v.sides || v.copy_fraction || v.write_copies))
    throw sim::InputError("--l2-copies, --l2-copy-fraction, --l2-sides and --l2-write-copies need 2 partitions, "
                          "not --l2-partitions 1");
}

}  // namespace iolab::cli
