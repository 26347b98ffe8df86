#include "iolab/sim/gpu/gpu_spec.hpp"

#include "iolab/sim/errors.hpp"

namespace iolab::sim::gpu {

const std::vector<double>& GpuSpec::cta_age_rates(std::string_view launch, std::uint32_t k) const {
  static const std::vector<double> none;
  const auto it = cta_age_rates_by_launch.find(launch);
  if (it == cta_age_rates_by_launch.end()) return none;
  return k >= 1 && k <= it->second.size() ? it->second[k - 1] : none;
}

const GpuSpec& gpu_spec(std::string_view name) {
  // DRAM and cuBLAS rates: measured on the lent machines (device/KINDS.md: a large device-to-device copy,
  // bytes read + written, and an 8192^3 bf16 matrix product on random data). L2 bandwidth: FlashAttention-3
  // paper, Table 1 (H100, 12 TB/s). mma.sync ceiling: the best FlashAttention-2 (mma.sync) forward figure on
  // an H100, 370 TFLOP/s (FlashAttention-3 paper, Fig. 5, d = 128, N = 16k): Hopper runs Ampere-style
  // mma.sync well below its wgmma rate. Special functions: 3.9 TFLOP/s (FlashAttention-3 paper, Sec. 3.1, H100;
  // the H200 has the same SMs). L2 size and SM count as PyTorch reports them on the lent machines.
  //
  // Write ceiling: cuBLAS's S = Q K^T launch of `standard` streams S out (reads are 2-6 % of its bytes) and
  // reaches only 3.1-3.3 TB/s of writes on the H200 and 2.5-2.7 TB/s on the H100, below the copy ceiling
  // (analysis/measurements/{h200,h100}_2026-11-21/ncu_launches.csv, launch 0, N >= 2048: dram_write_bytes over
  // ncu_duration_ns - 4 us; d = 64, median): 3.3e12 (H200) and 2.6e12 (H100) bytes written per second.
  // Latency chain: row_softmax (one CTA per row, 16 per SM, a block reduction between its two passes) takes
  // per wave of resident rows 3.08 us + bytes per CTA / 2.77 GB/s: least squares over the softmax launch's
  // ncu_duration_ns - 4 us of the 10 non-causal H200 configurations with N <= 4096 (ncu_launches.csv, launch 1;
  // bytes per CTA as the model replays them); within 3 % of those but +24 % at N = 512. The H100, with the
  // same SMs, measures the same latency-bound times (N <= 2048 within 2 % of the H200's), so the same figures.
  //
  // Serial steps (flash1): per thread block, 5.17 us + 0.80 us per dependent (i, j) step, on top of the
  // step's round-trip bytes (Q_i, O_i, l_i, m_i in, O_i, l_i, m_i out) at the SM's share of the L2 bandwidth
  // and of the compute. Least squares (relative) of ncu_duration_ns - 4 us - compute - bytes term over the 20
  // flash1 configurations of analysis/measurements/h200_2026-11-21/ncu_launches.csv (within 7 % of each);
  // the H100's flash1 durations (same SMs and clocks) are within 9 % with the same figures. With both
  // per-step terms left free the fit gives 0.71 us and 81 GB/s per SM (10.7 TB/s over 132 SMs), i.e. the
  // round trip runs at about the L2 bandwidth, which the model therefore uses instead of a fitted rate.
  // The fixed 5.17 us per thread block (prologue: first loads from memory; epilogue: last stores) is also
  // given to every flash2 and flash2_hopper CTA, unfitted there: it takes their runtime misses on short
  // launches (N = 512-1024) from 5 to 0 of 24 (flash2_hopper) and keeps flash2's at 0 of 44, on both GPUs.
  //
  // L2 organisation (adopted 2026-11-22; before it: one fully associative cache of half the L2 with SRRIP).
  // Every figure below is measured by the L2 probes (kernels/bench/l2_capacity_probe.cu, l2_fabric_probe.sh;
  // analysis/measurements/l2_probe_2026-11-21/, l2_probe_fine_2026-11-22/, l2_fabric_probe_2026-11-21/) or
  // is the physical size; the associativity is the one choice the probes leave open:
  //  * two partitions of half the physical L2 each, SMs assigned by parity, a near copy of every block an SM
  //    of the other half uses (data every SM reads is kept up to about half the L2, data one SM uses up to
  //    0.59 of it, and only 0.4 % of a shared buffer's requests cross between the partitions);
  //  * a write keeps the writer's near copy (L2WriteCopies::keep): read-modify-write data is lost from the
  //    same size as read-only data (H100 30 MiB), and 0.327 of a private read-modify-write buffer's requests
  //    cross between the partitions (model: 0.305; dropping the copy on writes gives 0.484);
  //  * at most 0.424 of the L2 dirty (the dirty residue of a write-streaming launch, both GPUs), a random
  //    dirty line cleaned at the limit (cleaning the oldest writes back 3 W at 24 MiB where the GPU writes 1);
  //  * LRU within 32-way hashed sets of 1 KiB blocks. 16, 32, 64 and 128 ways and full associativity fit the
  //    probe alike (mean error 0.10-0.16 W); on the 232 attention configurations 32 ways miss 6 DRAM targets,
  //    all also missed by the earlier model (15 missed), 16 ways 18, 64 ways 6 (losing 2), 128 ways 11, fully
  //    associative 15; SRRIP instead of LRU 11 at 32 ways.
  // Table and evidence: the H200's COMPARISON.md, "The L2 model adopted on 2026-11-22".
  // CTA issue rates by age (ModelOptions::CtaPacing::age): flash2's per-block timelines (attention_measure
  // --trace, kernels/bench/cta_trace.sh; analysis/measurements/cta_trace_2026-11-22/) show that the CTAs
  // sharing an SM do not progress alike: the one that started first runs fastest, and a block starting in a
  // freed slot is the youngest and slowest. The rates are the ones for which the model's own pacing of one SM
  // (analysis::age_paced_first_wave) gives the first wave's measured durations, longest over shortest per SM
  // (median over the 132 SMs): two resident (d = 128) 1.086-1.087 -> 1, 0.914; four (d = 64) 1.090, 1.216,
  // 1.369 -> 1, 0.910, 0.792, 0.662 (analysis::fit_age_rates; every file of both GPUs within 0.005, as a test
  // checks). H100 and H200 alike (same SMs). Measured with the timeline instantiation of flash2, whose K/V
  // loop is the untraced kernel's code (its DRAM bytes within 3 % of the untraced kernel's at d = 128,
  // N = 65536, 4 heads, the most sensitive configuration).
  // flash2_hopper (timelines of both GPUs, the same method): two CTAs per SM at d = 64, whose first waves end
  // 1.387-1.401 times apart -> 1, 0.605 (the median fit; every file within 0.008); the one-SM replay with
  // these rates gives the measured durations of later generations within 2 % and the same drift (starts half
  // a block apart after four generations). One CTA per SM at d = 128: nothing to pace. flash1 (H100, d = 64,
  // two per SM): 1.002-1.007 with equal work, i.e. equal rates, so it has no entry (the lockstep order).
  static const std::map<std::string, std::vector<std::vector<double>>, std::less<>> age_rates{
      {"flash2_fwd", {{1.0}, {1.0, 0.914}, {}, {1.0, 0.910, 0.792, 0.662}}},
      {"flash2_hopper_fwd", {{1.0}, {1.0, 0.605}}}};
  static const L2Organisation l2{2, L2Sides::parity, L2Copies::always, L2WriteCopies::keep, 1.0, 32, 0.424,
                                 cache::DirtyClean::random};
  static const GpuSpec h100{"h100", 132, 50ull << 20, 50ull << 20, 228ull << 10, 3.0e12, 2.6e12, 3.08e-6, 2.77e9, 12e12, 370e12, 798e12, 3.9e12, 4e-6, 0.80e-6, 5.17e-6,
                            "device/KINDS.md (H100 copy 3.0 TB/s, bf16 GEMM 798 TFLOP/s, 132 SMs, 50 MB L2); "
                            "FlashAttention-3 paper Table 1 (L2 12 TB/s), Fig. 5 (FA2 370 TFLOP/s), Sec. 3.1 (3.9 TFLOP/s exp)",
                            cache::Replacement::lru, 1.0 / 32, age_rates, l2};
  static const GpuSpec h200{"h200", 132, 60ull << 20, 60ull << 20, 228ull << 10, 4.3e12, 3.3e12, 3.08e-6, 2.77e9, 12e12, 370e12, 788e12, 3.9e12, 4e-6, 0.80e-6, 5.17e-6,
                            "device/KINDS.md (H200 copy 4.3 TB/s, bf16 GEMM 788 TFLOP/s, 132 SMs, 60 MB L2); "
                            "FlashAttention-3 paper Table 1 (L2 12 TB/s), Fig. 5 (FA2 370 TFLOP/s on H100), Sec. 3.1 (3.9 TFLOP/s exp)",
                            cache::Replacement::lru, 1.0 / 32, age_rates, l2};
  if (name == "h100") return h100;
  if (name == "h200") return h200;
  throw InputError("unknown GPU '" + std::string(name) + "' for the GPU model (known: h100, h200)");
}

}  // namespace iolab::sim::gpu
