#pragma once
// The schedules of the project's own CUDA kernels (kernels/), replayed as
// sequences of tile transfers per thread block, so that the GPU model can
// interleave them through a shared L2. Tile sizes come from the kernels'
// CUDA-free tiling header (kernels/include/iolab/kernels/tiling.hpp).
//
//   flash2   grid (ceil(N/64), H, B), one CTA per Q block of 64 rows: Q_i once,
//            K_j and V_j (64 rows) for every j (causal: j <= i), O_i and LSE_i
//            stored once; causal grids run heaviest Q blocks first.
//   flash2_hopper  flash2's schedule with its own tiles (tiling.hpp): Q blocks of
//            128 rows, K/V blocks of 64 (d = 64) or 128 (d = 128) rows, two CTAs
//            per SM at d = 64 and one at d = 128; FLOPs at the wgmma ceiling.
//   flash1   grid (S, H, B), S = flash1_splits(B*H, N, d, 132 SMs) CTAs per
//            (batch, head), each owning Q blocks of 64 rows in snake order
//            (tiling.hpp), two CTAs per SM: its rows of O, l, m (fp32)
//            initialised, then for each K/V block j (128 rows; causal: up to
//            its last Q block's last row): K_j, V_j, and for each of its Q
//            blocks i (causal: not entirely above the diagonal) Q_i, O_i, l_i,
//            m_i loaded and O_i, l_i, m_i stored; finally its O rows (fp32)
//            read and O, LSE written.
//   standard three launches. cuBLAS is modelled as a tiled GEMM with the tiles
//            ncu recorded (k whole): S = Q K^T per (batch, head), CTA per S tile
//            of 256 keys x 128 queries loads those rows of K and Q and stores
//            the S tile; the softmax kernel, one CTA per row (16 per SM), reads
//            the allowed part of the S row (max/sum pass), writes LSE, then in
//            its normalise pass re-reads through the L2 the part of the row the
//            L1 no longer holds (rule and calibration in kernel_replay.cpp) and
//            writes the P row, in chunks of 2 KiB as the kernel's loops do;
//            O = P V with output tiles of 256 queries x d, k-chunks of 128: P
//            tile (256 x 128) and V rows (128 x d) per chunk, O tile stored.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "iolab/sim/gpu/tile_transfer.hpp"

namespace iolab::sim::gpu {

struct KernelShape {
  std::string kernel;  ///< standard, flash1, flash2, flash2_hopper
  std::int64_t batch = 1, heads = 1, N = 0, d = 64;
  bool causal = false;
  std::uint32_t elem_bytes = 2;  ///< fp16 / bf16
};

struct TensorDesc {
  std::string name;
  std::uint64_t bytes;
};

/// One kernel launch: its grid, how many CTAs fit on one SM, its FLOPs, and a
/// generator of each CTA's transfers in program order.
struct LaunchReplay {
  std::string name;  ///< e.g. flash2_fwd; also the key of the GPU's CTA issue rates (GpuSpec::cta_age_rates)
  std::uint64_t ctas = 0;
  std::uint32_t ctas_per_sm = 1;
  double flops = 0;           ///< useful FLOPs (matrix products, 2 per multiply-add)
  /// Which matrix ceiling the launch's FLOPs run at (gpu_spec.hpp).
  /// wgmma: warpgroup MMA issued by flash2_hopper (same ceiling as cuBLAS, which issues it too).
  enum class MatrixEngine { mma_sync, cublas, wgmma } engine = MatrixEngine::mma_sync;
  /// A CTA whose loads wait on its own earlier results (a block-wide reduction between two passes
  /// over its data), so that the SM cannot overlap them beyond its resident CTAs: the GPU model adds
  /// a latency chain per CTA (GpuSpec::cta_chain_latency_s, cta_stream_bytes_per_s).
  bool latency_chain = false;
  /// L1 bytes of each SM for this launch (256 KiB less the shared-memory carveout the launch needs); its
  /// TileTransfer::l1 loads pass through a per-SM LRU L1 of this size and only its misses reach the L2
  /// (and count as SRAM<-L2 bytes); l1 stores write through and keep the line. 0: no L1 modelled.
  std::uint64_t l1_bytes = 0;
  /// Dependent steps of a CTA whose every step waits on a round trip through the L2 (flash1: O_i, l_i,
  /// m_i loaded, updated and stored again at every (i, j) step, the next step of the same rows only
  /// after that): `steps` of them moving `bytes` (loads + stores of the step-dependent data) in all.
  /// The GPU model adds, per CTA, GpuSpec::serial_cta_latency_s + steps x serial_step_latency_s +
  /// bytes / (l2_bytes_per_s / sms), shared by the SM's resident CTAs. flash2 and flash2_hopper have no
  /// dependent steps (steps = bytes = 0) but the fixed latency per CTA. Empty: none of this (standard).
  struct SerialSteps {
    double steps = 0, bytes = 0;
  };
  std::function<SerialSteps(std::uint64_t cta)> serial;
  /// Work of CTA `cta`: FLOPs of its matrix products and exponentials it evaluates.
  std::function<std::pair<double, double>(std::uint64_t cta)> work;
  /// Appends CTA `cta`'s transfers (in dispatch order index) to `out`.
  std::function<void(std::uint64_t cta, std::vector<TileTransfer>& out)> program;
};

struct KernelReplay {
  std::vector<TensorDesc> tensors;
  std::vector<LaunchReplay> launches;
};

/// InputError for an unknown kernel, d not in {64, 128}, or N < 1.
KernelReplay replay_kernel(const KernelShape& shape);

}  // namespace iolab::sim::gpu
