#pragma once
// What the GPU execution model needs to know about a GPU. Figures and their
// sources are in gpu_spec.cpp; `ceiling` rates are measured on the lent
// machines where a measurement exists (device/KINDS.md), datasheet otherwise.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "iolab/sim/cache/cache_model.hpp"
#include "iolab/sim/gpu/l2_model.hpp"

namespace iolab::sim::gpu {

/// How the GPU model's L2 is organised (l2_model.hpp, gpu_model.hpp; ModelOptions overrides each field):
/// one cache or two partitions, which SMs use which partition, which blocks get near copies, hashed
/// set-associative sets or full associativity, and the dirty limit. The defaults are one fully associative
/// cache with no dirty limit.
struct L2Organisation {
  std::uint32_t partitions = 1;  ///< 1, or 2 (each half of l2_effective_bytes)
  L2Sides sides = L2Sides::halves;
  L2Copies copies = L2Copies::shared;
  L2WriteCopies write_copies = L2WriteCopies::drop;
  double copy_fraction = 1.0;   ///< the share of blocks (a fixed hashed subset) that may get near copies
  std::uint32_t ways = 0;       ///< 0: fully associative; otherwise blocks a set, indexed by set_index
  double dirty_limit_fraction = 0;  ///< most dirty bytes kept, as a fraction of l2_bytes; 0: no limit
  cache::DirtyClean dirty_clean = cache::DirtyClean::oldest;  ///< the line cleaned at the limit
  cache::SetIndex set_index = cache::SetIndex::hashed;  ///< with ways > 0: how a block's set is picked
};

struct GpuSpec {
  std::string name;
  int sms = 0;
  std::uint64_t l2_bytes = 0;
  /// Capacity the L2 model uses, all partitions together: the physical L2 on H100/H200, whose two
  /// partitions (L2Organisation) hold a line that SMs of both halves read in both, so that shared K/V stay
  /// resident only while they fit in one half (measured: flash2 at d=128, N=65536, one head re-reads its
  /// 33.5 MB of K and V from DRAM although the L2 has 60 MB; see analysis/measurements/).
  std::uint64_t l2_effective_bytes = 0;
  std::uint64_t smem_per_sm_bytes = 0;
  double dram_bytes_per_s = 0;     ///< achievable (copy) bandwidth, bytes read + written per second
  double dram_write_bytes_per_s = 0;  ///< ceiling on bytes written per second (write-streaming launches)
  double cta_chain_latency_s = 0;     ///< latency chain of a LaunchReplay::latency_chain CTA: fixed part
  double cta_stream_bytes_per_s = 0;  ///< ... and its bytes over this per-CTA rate (16 CTAs resident per SM)
  double l2_bytes_per_s = 0;       ///< L2 -> SM bandwidth
  double mma_sync_flops = 0;       ///< fp16 mma.sync (Ampere-style) throughput the flash kernels can reach
  double cublas_flops = 0;         ///< fp16 GEMM throughput of cuBLAS (wgmma) on large products
  double sfu_exps_per_s = 0;       ///< exponentials per second (special-function units), whole GPU
  double launch_overhead_s = 0;    ///< per kernel launch
  /// Serial steps (LaunchReplay::serial): each dependent step of a CTA costs this latency, plus its
  /// round-trip bytes at the SM's share of the L2 bandwidth (l2_bytes_per_s / sms) ...
  double serial_step_latency_s = 0;
  /// ... and each such CTA this fixed latency (prologue and epilogue: first loads, final pass).
  double serial_cta_latency_s = 0;
  std::string source;
  /// Replacement policy of the L2 model (cache_model.hpp) and its insertion probability (bip, brrip); LRU
  /// unless a spec says otherwise (the h100 and h200 specs: LRU, why in gpu_spec.cpp).
  cache::Replacement l2_replacement = cache::Replacement::lru;
  double l2_epsilon = 1.0 / 32;
  /// Issue rates of k CTAs resident on one SM, ranked by age (the oldest first, relative to it), per launch
  /// (LaunchReplay::name) and indexed by k - 1; measured from the kernels' thread-block timelines
  /// (gpu_spec.cpp). The GPU model paces a launch's CTAs by them (ModelOptions::CtaPacing::age).
  std::map<std::string, std::vector<std::vector<double>>, std::less<>> cta_age_rates_by_launch;
  /// The L2 model's organisation (partitions, copies, sets, dirty limit); why the h100 and h200 figures: gpu_spec.cpp.
  L2Organisation l2;
  /// cta_age_rates_by_launch[launch][k - 1], or empty (equal rates: the lockstep order) when that launch or
  /// that k was not measured.
  const std::vector<double>& cta_age_rates(std::string_view launch, std::uint32_t k) const;
};

/// "h100" or "h200"; InputError otherwise.
const GpuSpec& gpu_spec(std::string_view name);

}  // namespace iolab::sim::gpu
