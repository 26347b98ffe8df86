#pragma once
// A three-level GPU model: SRAM (shared memory of each SM), a shared L2, and
// DRAM (HBM). The CTAs of each launch run in waves over the SMs (resident
// CTAs = SMs x CTAs per SM); their tile transfers are interleaved in time, each
// CTA issuing at the rate its age rank on its SM gets (ModelOptions::cta_pacing:
// the older CTAs of an SM run ahead, as measured; equal rates: one transfer per
// resident CTA per round), and pass through the L2, modelled in 1 KiB blocks
// with 32-byte sectors, write-back and write-allocate, organised as the GPU's
// GpuSpec::l2 says (H100/H200: two partitions, one per half of the SMs, with
// near copies of far blocks, hashed 32-way sets, LRU, a dirty limit; why in
// gpu_spec.cpp; l2_model.hpp). The L2 keeps its
// contents from one launch to the next within a forward pass; dirty lines
// left at the end are not written back (as a real kernel's end does not).
// ModelOptions selects variants of that L2 (capacity, dirty limit, sets,
// partitions and copies, replacement) for studying the model against
// measurements; unset, the GPU's own.
//
// Transfers marked TileTransfer::l1 (plain global loads and stores: flash1's
// O, l, m) pass first through a per-SM LRU L1 of LaunchReplay::l1_bytes; only
// its load misses (and all stores, write-through) reach the L2.
//
// Predicted per kernel (all launches summed): SRAM<-L2 and SRAM->L2 bytes
// (what crosses between the SMs and the L2: the quantity Theta(N^2 d^2/M)
// describes), DRAM bytes read and written, and a runtime: per launch the
// largest of the compute time (FLOPs over the matrix ceiling and exponentials
// over the special-function rate, per SM by list scheduling and per CTA at
// 1/k of its SM with k CTAs resident, plus per-CTA latencies: the chain of
// LaunchReplay::latency_chain, the serial steps and fixed latency of
// LaunchReplay::serial), DRAM bytes over DRAM bandwidth (and bytes written
// over the write ceiling), and L2 bytes over L2 bandwidth, plus a launch
// overhead.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iolab/sim/gpu/gpu_spec.hpp"
#include "iolab/sim/gpu/kernel_replay.hpp"

namespace iolab::sim::gpu {

struct LaunchPrediction {
  std::string name;
  std::uint64_t sram_read_bytes = 0, sram_write_bytes = 0;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  /// Two L2 partitions: bytes of the requests forwarded from one partition to the other (L2Model::
  /// fabric_bytes); 0 with one.
  std::uint64_t fabric_bytes = 0;
  double flops = 0, time_s = 0;
  std::string bound_by;  ///< "compute", "latency" (latency-chained CTAs), "dram" or "l2"
};

struct KernelPrediction {
  KernelShape shape;
  std::vector<LaunchPrediction> launches;
  std::uint64_t sram_read_bytes = 0, sram_write_bytes = 0;
  std::uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  std::uint64_t fabric_bytes = 0;  ///< LaunchPrediction::fabric_bytes summed
  double time_s = 0;
};

struct ModelOptions {
  std::uint32_t block_bytes = 1024;  ///< L2 model granularity (a multiple of 32)
  /// Start every launch with an empty L2, its predecessor's dirty lines written
  /// back without being counted for any launch. This is how the committed
  /// measurements were taken: `ncu --cache-control all` flushes and invalidates
  /// the L2 before each profiled launch (evidence: standard's softmax reads all
  /// of S from DRAM at N = 512, where S, 33.5 MB, was just written into the
  /// 60 MB L2). false: the L2 keeps its contents from one launch to the next,
  /// as in an unprofiled forward pass. Single-launch kernels are unaffected.
  bool flush_l2_between_launches = false;
  /// Pass L1-cached transfers (TileTransfer::l1; flash1's O, l, m) through a per-SM L1 of the launch's
  /// LaunchReplay::l1_bytes, so that only its misses cross to the L2. false: every transfer crosses, the
  /// SRAM<->L2 bytes are the schedule's.
  bool l1 = true;
  /// The L2 model's replacement policy and insertion probability; unset: the GPU's (GpuSpec::l2_replacement,
  /// l2_epsilon). Random choices are seeded (CacheConfig::seed), so predictions are deterministic.
  std::optional<cache::Replacement> l2_replacement;
  std::optional<double> l2_epsilon;
  /// L2 model variants, for studying the model: each field, when set, overrides the GPU's own L2 (GpuSpec::
  /// l2_effective_bytes and GpuSpec::l2, an L2Organisation); unset fields keep the GPU's.
  ///  * l2_capacity_bytes: the whole L2 model's capacity (all partitions).
  ///  * l2_dirty_limit_bytes: most dirty bytes it keeps (cache_model.hpp: a dirty line is written back and stays
  ///    resident, which one by l2_dirty_clean); 0: no limit.
  ///  * l2_ways: 0 fully associative; otherwise that many ways a set.
  ///  * l2_set_index: with ways > 0, how a block's set is picked (cache::SetIndex: hashed, balanced, modulo).
  ///  * l2_partitions (1 or 2), l2_sides, l2_copies, l2_copy_fraction, l2_write_copies: the partitions, which
  ///    SMs use which, and which blocks get near copies (the contract in l2_model.hpp). DRAM bytes are the
  ///    partitions' fills and write-backs.
  using L2Copies = gpu::L2Copies;
  using L2Sides = gpu::L2Sides;
  using L2WriteCopies = gpu::L2WriteCopies;
  std::optional<std::uint64_t> l2_capacity_bytes;
  std::optional<std::uint64_t> l2_dirty_limit_bytes;
  std::optional<cache::DirtyClean> l2_dirty_clean;
  std::optional<std::uint32_t> l2_ways;
  std::optional<cache::SetIndex> l2_set_index;
  std::optional<std::uint32_t> l2_partitions;  ///< 1 or 2
  std::optional<L2Copies> l2_copies;
  std::optional<double> l2_copy_fraction;  ///< in [0, 1]
  std::optional<L2Sides> l2_sides;
  std::optional<L2WriteCopies> l2_write_copies;
  /// How the resident CTAs' transfers interleave.
  ///  * lockstep: every resident CTA issues one transfer per round, in slot order.
  ///  * age: a timed replay. Every slot has a clock; the slot with the earliest clock (ties: the lower slot)
  ///    issues its CTA's next transfer, which advances its clock by 1 / share. An SM's n live CTAs, ranked by
  ///    age (start clock, then dispatch order), get issue rates GpuSpec::cta_age_rates(launch name,
  ///    ctas_per_sm)[0..n), the oldest first, and share = n x rate / (sum of the n rates): 1 for all with
  ///    equal rates, so that the order is the lockstep one for launches without measured rates (flash1,
  ///    standard). A slot whose CTA ends takes the next CTA at its clock. Older CTAs running ahead spread the CTAs that share K/V over the sweep, so the L2 must
  ///    hold more of it between them (gpu_spec.cpp: the measured rates).
  enum class CtaPacing { lockstep, age };
  CtaPacing cta_pacing = CtaPacing::age;
};

KernelPrediction predict(const KernelShape& shape, const GpuSpec& spec, const ModelOptions& opts = {});
/// The same for an explicit replay (e.g. l2_probe.hpp's); the prediction's `shape` is left empty.
KernelPrediction predict(const KernelReplay& replay, const GpuSpec& spec, const ModelOptions& opts = {});

}  // namespace iolab::sim::gpu
