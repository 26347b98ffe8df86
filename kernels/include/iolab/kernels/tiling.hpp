// iolab/kernels/tiling.hpp -- the schedule each CUDA attention kernel runs.
//
// This header has NO CUDA dependency: the simulator includes it from plain
// C++ (C++17 or later) to replay exactly the schedule the kernels run.  The
// CUDA sources take their tile sizes from the same constexpr functions, so the
// two cannot drift apart.
//
// Tensor layout used by every kernel (see attention.hpp):
//   Q, K, V, O : [batch, heads, N, d], row-major, contiguous, fp16 or bf16
//   LSE        : [batch, heads, N], fp32, natural log of sum_j exp(scale*q.k_j)
#pragma once

#include <cstddef>
#include <cstdint>

namespace iolab::kernels {

enum class DType : int { f16 = 0, bf16 = 1 };

enum class KernelKind : int { standard = 0, flash1 = 1, flash2 = 2, flash2_hopper = 3 };

// How the kernel walks the (Q block, K/V block) grid.
enum class LoopOrder : int {
  // Algorithm 0: S = QK^T written to HBM, P = softmax(S) written to HBM,
  // O = PV.  No tiling of its own (the GEMM tiles are cuBLAS's choice).
  unfused_three_pass = 0,
  // Algorithm 1 (FlashAttention-1 paper): outer loop over K/V blocks j, inner
  // loop over Q blocks i; O_i, l_i, m_i are read from and written to HBM on
  // every inner step.
  kv_outer_q_inner = 1,
  // FlashAttention-2: one thread block per (batch, head, Q block); K/V blocks
  // streamed through shared memory; O, l, m live in registers; O and the
  // log-sum-exp are written once.
  q_outer_kv_inner = 2,
};

// Precision of the running output O between inner steps.
enum class AccumStorage : int {
  none = 0,             // no running O (standard)
  registers_fp32 = 1,   // flash2: fp32 accumulators in registers
  hbm_fp32 = 2,         // flash1: fp32 O, l, m tensors in HBM (workspace)
};

constexpr int element_bytes(DType t) { return t == DType::f16 || t == DType::bf16 ? 2 : 0; }
constexpr const char* dtype_name(DType t) { return t == DType::f16 ? "fp16" : t == DType::bf16 ? "bf16" : "?"; }
constexpr const char* kernel_name(KernelKind k) {
  return k == KernelKind::standard ? "standard"
       : k == KernelKind::flash1   ? "flash1"
       : k == KernelKind::flash2   ? "flash2"
       : k == KernelKind::flash2_hopper ? "flash2_hopper"
                                   : "?";
}
constexpr bool head_dim_supported(int d) { return d == 64 || d == 128; }

// Every forward kernel, in the order tables list them.
inline constexpr KernelKind kForwardKernels[] = {KernelKind::standard, KernelKind::flash1, KernelKind::flash2,
                                                 KernelKind::flash2_hopper};
// The kernel called `name` (kernel_name()), or false.
constexpr bool kernel_from_name(const char* name, KernelKind& out) {
  for (KernelKind k : kForwardKernels) {
    const char* a = kernel_name(k);
    const char* b = name;
    while (*a != '\0' && *a == *b) ++a, ++b;
    if (*a == '\0' && *b == '\0') {
      out = k;
      return true;
    }
  }
  return false;
}

struct KernelTiling {
  const char* name;      // kernel name
  KernelKind kind;
  LoopOrder order;
  AccumStorage accum;
  DType dtype;           // input/output element type (accumulation is always fp32)
  int d;                 // head dimension
  int B_r;               // rows of Q per block (0: not tiled, see LoopOrder)
  int B_c;               // rows of K/V per block (0: not tiled)
  int threads;           // threads per thread block of the main kernel
  int warps;             // threads / 32
  int rows_per_warp;     // Q rows owned by one warp (mma m16 tiles)
  int kv_stages;         // K/V shared-memory buffers (2 = double-buffered cp.async)
  int smem_bytes;        // dynamic shared memory of the main kernel
  // True when the main kernel runs one thread block per (batch, head).  False
  // for flash2 (one per Q block) and flash1 (flash1_splits per (batch, head)).
  bool one_block_per_batch_head;
  // Causal: blocks strictly above the diagonal are skipped entirely.
  bool skips_masked_blocks;
};

// ---------------------------------------------------------------------------
// flash2: 4 warps x 16 rows = 64-row Q block, 64-row K/V blocks, K/V double
// buffered through shared memory with cp.async, Q resident in registers.
// Shared memory: Q block + 2 x (K block + V block), each B x d elements.
// ---------------------------------------------------------------------------
constexpr int flash2_warps(int /*d*/) { return 4; }
constexpr int flash2_block_rows(int d) { return 16 * flash2_warps(d); }
constexpr int flash2_block_cols(int /*d*/) { return 64; }
constexpr int flash2_kv_stages(int /*d*/) { return 2; }
constexpr int flash2_smem_bytes(int d) {
  return (flash2_block_rows(d) + 2 * flash2_kv_stages(d) * flash2_block_cols(d)) * d * 2;
}

// ---------------------------------------------------------------------------
// flash1: Algorithm 1's loop order with the Q blocks of each (batch, head)
// split over S thread blocks (grid (S, heads, batch), S = flash1_splits below).
// Each thread block runs the outer loop over ALL K/V blocks j (so K and V are
// read S times per head) and, for each j, the inner loop over ITS Q blocks.
// Warps of 16 Q rows: B_r = 128 (8 warps) at d = 128, 64 (4 warps) at d = 64;
// B_c = 256.  An inner step covers its K/V block in register passes of 128
// K/V rows (S tile, online softmax update, PV per pass), so O_i, l_i, m_i are
// read and written once per 256 keys with the registers of a 128-key step.
// Shared memory: one K block, one V block and two Q blocks (Q_i+1 is
// prefetched with cp.async while Q_i is used): 192 KiB at d = 128 (one thread
// block per SM), 80 KiB at d = 64 (two).
// O (fp32, [batch, heads, N, d]), l and m (fp32, [batch, heads, N]) live in an
// HBM workspace and are read and written on every inner step.
//
// Q blocks -> splits ("snake" order): round r = 0, 1, ... covers Q blocks
// rS .. rS+S-1; split s takes block rS + s in even rounds and rS + S-1-s in
// odd rounds.  Under a causal mask block i costs about i+1 K/V blocks, so each
// pair of rounds gives every split the same total (rS+s) + (rS+2S-1-s);
// contiguous ranges would give the last split ~2x the average and plain round
// robin (rS + s in every round) a spread of S-1 blocks per round.
// ---------------------------------------------------------------------------
constexpr int flash1_warps(int d) { return d == 128 ? 8 : 4; }
constexpr int flash1_block_rows(int d) { return 16 * flash1_warps(d); }
constexpr int flash1_block_cols(int /*d*/) { return 256; }
// K/V rows per register pass; B_c is a multiple of it.
constexpr int flash1_pass_cols(int /*d*/) { return 128; }
constexpr int flash1_q_stages(int /*d*/) { return 2; }
constexpr int flash1_smem_bytes(int d) {
  return (flash1_q_stages(d) * flash1_block_rows(d) + 2 * flash1_block_cols(d)) * d * 2;
}
// Thread blocks resident per SM (the kernel's __launch_bounds__ minimum): 2
// when two thread blocks' shared memory fits in the 228 KiB of an SM (1 KiB
// of it reserved per thread block), else 1.
constexpr int flash1_ctas_per_sm(int d) { return 2 * (flash1_smem_bytes(d) + 1024) <= 228 * 1024 ? 2 : 1; }
// Target number of Q blocks per thread block: 4 x 64 rows at d = 64 (64 KiB
// of fp32 O rows, two thread blocks per SM), 2 x 128 rows at d = 128 (128
// KiB, one per SM), so that the O rows of all resident thread blocks (16.5
// MiB on 132 SMs) stay far below the L2 size between two visits of the same O_i.
constexpr int flash1_q_blocks_per_split(int d) { return d <= 64 ? 4 : 2; }
// Thread blocks per SM the split count aims for at least (fills the GPU).
constexpr int flash1_min_blocks_per_sm(int d) { return flash1_ctas_per_sm(d); }
// Number of splits S of the Q blocks of one (batch, head):
//   S = max(ceil(T_r / q), ceil(c * SMs / (batch*heads))), clamped to [1, T_r],
// with T_r = ceil(N / B_r), q = flash1_q_blocks_per_split(d) and
// c = flash1_min_blocks_per_sm(d).  Every split
// gets at least one Q block.  Returns 0 for invalid arguments (batch_heads,
// n or sm_count < 1, or d not 64/128).
constexpr std::int64_t flash1_splits(std::int64_t batch_heads, std::int64_t n, int d, int sm_count) {
  if (batch_heads < 1 || n < 1 || !head_dim_supported(d) || sm_count < 1) return 0;
  const std::int64_t t_r = (n + flash1_block_rows(d) - 1) / flash1_block_rows(d);
  const std::int64_t q = flash1_q_blocks_per_split(d);
  const std::int64_t by_rows = (t_r + q - 1) / q;
  const std::int64_t fill = (std::int64_t{flash1_min_blocks_per_sm(d)} * sm_count + batch_heads - 1) / batch_heads;
  const std::int64_t s = by_rows > fill ? by_rows : fill;
  return s < t_r ? s : t_r;
}
// Q block handled by split s (0 <= s < S) in its round r (snake order above);
// the caller checks the result against T_r (the last round may be partial).
constexpr std::int64_t flash1_q_block(std::int64_t split, std::int64_t splits, std::int64_t round) {
  return round * splits + ((round & 1) ? splits - 1 - split : split);
}
// Number of Q blocks split s handles out of t_r.
constexpr std::int64_t flash1_split_q_blocks(std::int64_t split, std::int64_t splits, std::int64_t t_r) {
  const std::int64_t full = t_r / splits;
  return full + (flash1_q_block(split, splits, full) < t_r ? 1 : 0);
}

// ---------------------------------------------------------------------------
// flash2_hopper: the flash2 loop order with Hopper instructions (sm_90a only).
// Two consumer warpgroups of 64 Q rows each (B_r = 128) plus one producer warp
// that issues TMA copies; K/V blocks of B_c rows (64 at d = 64, 128 at
// d = 128) in a ring of kv_stages buffers (4 at d = 64, 2 at d = 128).
// Shared memory: Q block + stages x (K block + V block), 1024 bytes of
// alignment slack and the mbarriers.  Two thread blocks per SM at d = 64
// (90 registers), one at d = 128 (__launch_bounds__(threads, ctas_per_sm)).
// ---------------------------------------------------------------------------
constexpr int flash2_hopper_consumer_warpgroups(int /*d*/) { return 2; }
constexpr int flash2_hopper_block_rows(int d) { return 64 * flash2_hopper_consumer_warpgroups(d); }
constexpr int flash2_hopper_block_cols(int d) { return d == 64 ? 64 : 128; }
constexpr int flash2_hopper_kv_stages(int d) { return d == 64 ? 4 : 2; }
// Thread blocks resident per SM (the kernel's __launch_bounds__ minimum).
constexpr int flash2_hopper_ctas_per_sm(int d) { return d == 64 ? 2 : 1; }
constexpr int flash2_hopper_threads(int d) { return 128 * flash2_hopper_consumer_warpgroups(d) + 32; }
constexpr int flash2_hopper_smem_bytes(int d) {
  return (flash2_hopper_block_rows(d) + 2 * flash2_hopper_kv_stages(d) * flash2_hopper_block_cols(d)) * d * 2 +
         1024 + 128;
}

// ---------------------------------------------------------------------------
// standard: the row-softmax kernel uses one block of 128 threads per row of S.
// ---------------------------------------------------------------------------
constexpr int standard_softmax_threads() { return 128; }

constexpr KernelTiling tiling(KernelKind kind, int d, DType dtype) {
  switch (kind) {
    case KernelKind::flash2_hopper:
      return KernelTiling{"flash2_hopper", kind, LoopOrder::q_outer_kv_inner, AccumStorage::registers_fp32, dtype,
                          d, flash2_hopper_block_rows(d), flash2_hopper_block_cols(d), flash2_hopper_threads(d),
                          flash2_hopper_threads(d) / 32, 16, flash2_hopper_kv_stages(d), flash2_hopper_smem_bytes(d),
                          false, true};
    case KernelKind::flash2:
      return KernelTiling{"flash2", kind, LoopOrder::q_outer_kv_inner, AccumStorage::registers_fp32, dtype, d,
                          flash2_block_rows(d), flash2_block_cols(d), 32 * flash2_warps(d), flash2_warps(d), 16,
                          flash2_kv_stages(d), flash2_smem_bytes(d), false, true};
    case KernelKind::flash1:
      return KernelTiling{"flash1", kind, LoopOrder::kv_outer_q_inner, AccumStorage::hbm_fp32, dtype, d,
                          flash1_block_rows(d), flash1_block_cols(d), 32 * flash1_warps(d), flash1_warps(d), 16,
                          1, flash1_smem_bytes(d), false, true};
    case KernelKind::standard:
    default:
      return KernelTiling{"standard", KernelKind::standard, LoopOrder::unfused_three_pass, AccumStorage::none, dtype,
                          d, 0, 0, standard_softmax_threads(), standard_softmax_threads() / 32, 0, 0, 0, false,
                          false};
  }
}

// Number of Q blocks / K/V blocks for sequence length n.
constexpr std::int64_t num_blocks(std::int64_t n, int block) { return block > 0 ? (n + block - 1) / block : 0; }

// The x extent of a tiled forward kernel's grid (x, heads, batch): its Q blocks for flash2 and
// flash2_hopper, its splits per (batch, head) for flash1 (flash1_splits, which needs the SM count); 0 for
// standard (cuBLAS GEMMs and a row softmax, no grid of its own) and for shapes a kernel does not support.
// The launchers, the CTA timelines (attention_measure --trace) and the simulator's replay all use it.
constexpr std::int64_t forward_grid_x(KernelKind kind, std::int64_t batch_heads, std::int64_t n, int d, int sm_count) {
  if (batch_heads < 1 || n < 1 || !head_dim_supported(d)) return 0;
  switch (kind) {
    case KernelKind::flash1: return flash1_splits(batch_heads, n, d, sm_count);
    case KernelKind::flash2: return num_blocks(n, flash2_block_rows(d));
    case KernelKind::flash2_hopper: return num_blocks(n, flash2_hopper_block_rows(d));
    default: return 0;
  }
}

// Workspace (bytes) a kernel needs beyond Q, K, V, O and LSE.
//   standard: S and P, each batch*heads*N*N elements of the input dtype,
//             each region aligned to 256 bytes.
//   flash1:   O (fp32, batch*heads*N*d) then l and m (fp32, batch*heads*N each).
//   flash2:   none.
// Returns 0 for shapes that are invalid (validate() reports why).
constexpr std::size_t align_up(std::size_t x, std::size_t a) { return (x + a - 1) / a * a; }
constexpr std::size_t workspace_bytes_for(KernelKind kind, std::int64_t batch, std::int64_t heads, std::int64_t n,
                                          std::int64_t d) {
  if (batch < 1 || heads < 1 || n < 1 || d < 1) return 0;
  const auto bh = static_cast<std::size_t>(batch) * static_cast<std::size_t>(heads);
  const auto nn = static_cast<std::size_t>(n);
  switch (kind) {
    case KernelKind::standard: return 2 * align_up(bh * nn * nn * 2, 256);
    case KernelKind::flash1:
      return align_up(bh * nn * static_cast<std::size_t>(d) * 4, 256) + 2 * align_up(bh * nn * 4, 256);
    case KernelKind::flash2:
    case KernelKind::flash2_hopper:
    default: return 0;
  }
}

// ---------------------------------------------------------------------------
// Backward (flash2_bwd, kernels/src/flash2_bwd.cu).  FlashAttention-2 backward:
//  1. preprocess: Delta_i = rowsum(dO_i * O_i) (fp32), one thread per 8 elements;
//     in the atomic mode it also zeroes the fp32 dQ accumulator.
//  2. main kernel: one thread block per (K/V block of B_c rows, head, batch).
//     Each warp owns 16 keys; K_j, V_j stay in shared memory; Q_i, dO_i (and
//     LSE_i, Delta_i) blocks of B_r rows stream through a double-buffered
//     cp.async ring.  P is recomputed from Q, K and the LSE and never stored;
//     dK_j, dV_j accumulate in fp32 registers over the Q blocks (causal: only
//     blocks i that contain a query >= the block's first key) and are written
//     once.  dS_i^T goes through shared memory so that dQ_i += dS_i K_j can be
//     accumulated into the fp32 workspace with atomics (atomic mode).
//  3. atomic mode: dQ = scale * accumulator, converted to the input dtype.
//     deterministic mode: one thread block per (Q block of B_r rows, head,
//     batch) loops over the K/V blocks in increasing order, recomputing P and
//     dS, dQ in registers, written once.
// ---------------------------------------------------------------------------
// 8 warps x 16 keys = 128-key K/V blocks: the fp32 dQ atomics (N^2 d / B_c in
// total) are half of what 64-key blocks need.  About 250 registers per thread,
// so one thread block (8 warps) per SM.
constexpr int flash2_bwd_warps(int /*d*/) { return 8; }
constexpr int flash2_bwd_ctas_per_sm(int /*d*/) { return 1; }
constexpr int flash2_bwd_block_cols(int d) { return 16 * flash2_bwd_warps(d); }  // keys per thread block
// Queries per inner step: 32 at d = 128 keeps the score tiles small enough that
// dK and dV (64 + 64 fp32 registers per thread) fit without spilling.
constexpr int flash2_bwd_block_rows(int d) { return d == 128 ? 32 : 64; }
constexpr int flash2_bwd_q_stages(int /*d*/) { return 2; }
// dS^T tile rows are padded to 64 elements (128 bytes) for the 8-chunk swizzle.
constexpr int flash2_bwd_ds_row_elems(int d) { return flash2_bwd_block_rows(d) < 64 ? 64 : flash2_bwd_block_rows(d); }
// dS^T is double-buffered (buffer = Q stage), so that one barrier per Q block
// suffices: step i writes dS^T into buffer i % 2 while slower warps may still
// read buffer (i - 1) % 2 for step i - 1's dQ.
constexpr int flash2_bwd_ds_stages(int /*d*/) { return 2; }
// K_j + V_j + stages x (Q_i + dO_i) (input dtype) + ds_stages x dS^T (B_c x 64,
// input dtype) + stages x (LSE_i + Delta_i) (fp32).
constexpr int flash2_bwd_smem_bytes(int d) {
  return (2 * flash2_bwd_block_cols(d) * d + 2 * flash2_bwd_q_stages(d) * flash2_bwd_block_rows(d) * d +
          flash2_bwd_ds_stages(d) * flash2_bwd_block_cols(d) * flash2_bwd_ds_row_elems(d)) * 2 +
         2 * flash2_bwd_q_stages(d) * flash2_bwd_block_rows(d) * 4;
}
// Deterministic dQ kernel: 4 warps x 16 query rows, K/V blocks of 64 keys,
// double-buffered.  Shared memory: Q_i + dO_i + stages x (K_j + V_j) + LSE_i + Delta_i.
constexpr int flash2_bwd_dq_warps(int /*d*/) { return 4; }
constexpr int flash2_bwd_dq_block_rows(int d) { return 16 * flash2_bwd_dq_warps(d); }
constexpr int flash2_bwd_dq_block_cols(int /*d*/) { return 64; }
constexpr int flash2_bwd_dq_kv_stages(int /*d*/) { return 2; }
constexpr int flash2_bwd_dq_smem_bytes(int d) {
  return (2 * flash2_bwd_dq_block_rows(d) * d + 2 * flash2_bwd_dq_kv_stages(d) * flash2_bwd_dq_block_cols(d) * d) *
             2 +
         2 * flash2_bwd_dq_block_rows(d) * 4;
}
// Workspace of the backward: Delta (fp32, batch*heads*N, 256-aligned region),
// then the fp32 dQ accumulator (batch*heads*N*d) unless deterministic.
// Returns 0 for invalid shapes.
constexpr std::size_t workspace_bytes_backward(std::int64_t batch, std::int64_t heads, std::int64_t n,
                                               std::int64_t d, bool deterministic) {
  if (batch < 1 || heads < 1 || n < 1 || d < 1) return 0;
  const auto rows = static_cast<std::size_t>(batch) * static_cast<std::size_t>(heads) * static_cast<std::size_t>(n);
  return align_up(rows * 4, 256) + (deterministic ? 0 : align_up(rows * static_cast<std::size_t>(d) * 4, 256));
}

}  // namespace iolab::kernels
