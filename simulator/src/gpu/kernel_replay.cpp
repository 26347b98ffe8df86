#include "iolab/sim/gpu/kernel_replay.hpp"

#include <algorithm>
#include <vector>

#include "iolab/kernels/tiling.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim::gpu {
namespace {

namespace k = iolab::kernels;
using u64 = std::uint64_t;
// The SM count flash1_splits sees (flash1.cu reads it at launch): both GPU presets (gpu_spec.cpp) have 132.
constexpr int kSms = 132;

constexpr u64 kSmemPerSm = 228ull << 10;  // Hopper: 228 KiB shared memory per SM
constexpr u64 kThreadsPerSm = 2048;

TileTransfer rows_of(std::uint16_t tensor, bool write, u64 row0, u64 rows, u64 row_bytes) {
  return {tensor, write, row0 * row_bytes, rows * row_bytes, 1, rows * row_bytes};
}

// A plain ld.global / st.global transfer, cached in the SM's L1.
TileTransfer via_l1(TileTransfer t) {
  t.l1 = true;
  return t;
}

// L1 bytes left next to `ctas` resident CTAs of `smem` bytes of shared memory each: the SM's 256 KiB
// L1/shared array less the smallest shared-memory carveout that holds them (Hopper's carveouts, CUDA C++
// Programming Guide, compute capability 9.0: 0, 8, 16, 32, 64, 100, 132, 164, 196 or 228 KiB; 1 KiB
// per CTA is reserved by the system).
u64 l1_bytes_beside(u64 ctas, u64 smem) {
  constexpr u64 kCarveoutsKiB[] = {0, 8, 16, 32, 64, 100, 132, 164, 196, 228};
  const u64 need = ctas * (smem + 1024);
  for (u64 c : kCarveoutsKiB)
    if (c * 1024 >= need) return (256 - c) * 1024;
  return (256 - 228) * 1024;
}

u64 ctas_per_sm_for(const k::KernelTiling& t, u64 cap) {
  u64 by_smem = t.smem_bytes > 0 ? kSmemPerSm / static_cast<u64>(t.smem_bytes) : cap;
  u64 by_threads = kThreadsPerSm / static_cast<u64>(t.threads);
  return std::max<u64>(1, std::min({by_smem, by_threads, cap}));
}

}  // namespace

KernelReplay replay_kernel(const KernelShape& s) {
  if (s.N < 1 || s.batch < 1 || s.heads < 1) throw InputError("GPU model: N, batch and heads must be positive");
  if (!k::head_dim_supported(static_cast<int>(s.d)))
    throw InputError("GPU model: the kernels support d = 64 or 128, got " + std::to_string(s.d));
  const u64 N = static_cast<u64>(s.N), d = static_cast<u64>(s.d), eb = s.elem_bytes;
  const u64 BH = static_cast<u64>(s.batch) * static_cast<u64>(s.heads), H = static_cast<u64>(s.heads);
  const bool causal = s.causal;
  const u64 row = d * eb;  // bytes of one row of Q, K, V, O
  KernelReplay r;

  if (s.kernel == "flash2" || s.kernel == "flash2_hopper") {
    // flash2_hopper runs flash2's schedule with its own tile sizes (TMA copies
    // move the same rows: rows past N are zero-filled on chip, not read).
    const bool hopper = s.kernel == "flash2_hopper";
    const auto t = k::tiling(hopper ? k::KernelKind::flash2_hopper : k::KernelKind::flash2, static_cast<int>(d),
                             k::DType::f16);
    const u64 BR = static_cast<u64>(t.B_r), BC = static_cast<u64>(t.B_c);
    const u64 gx = static_cast<u64>(k::forward_grid_x(t.kind, static_cast<std::int64_t>(BH), s.N, static_cast<int>(d), kSms));
    r.tensors = {{"Q", BH * N * row}, {"K", BH * N * row}, {"V", BH * N * row}, {"O", BH * N * row},
                 {"LSE", BH * N * 4}};
    LaunchReplay L;
    L.name = hopper ? "flash2_hopper_fwd" : "flash2_fwd";
    L.ctas = gx * BH;
    // flash2.cu: __launch_bounds__(128, 4) at d = 64 and (128, 2) at d = 128 (register-limited);
    // flash2_hopper.cu: __launch_bounds__(threads, flash2_hopper_ctas_per_sm(d)).
    const u64 bound = hopper ? static_cast<u64>(k::flash2_hopper_ctas_per_sm(static_cast<int>(d))) : (d == 64 ? 4 : 2);
    L.ctas_per_sm = static_cast<std::uint32_t>(std::min<u64>(ctas_per_sm_for(t, 8), bound));
    if (hopper) L.engine = LaunchReplay::MatrixEngine::wgmma;
    // No dependent steps (O stays in registers), but each CTA's prologue (Q and the first K/V block from
    // memory) and epilogue (O, LSE stored) take the fixed latency that flash1's fit gave (gpu_spec.cpp).
    L.serial = [](u64) { return LaunchReplay::SerialSteps{}; };
    for (u64 qb = 0; qb < gx; ++qb) {
      const u64 rows_i = std::min(BR, N - qb * BR);
      for (u64 j0 = 0; j0 < (causal ? std::min(N, (qb + 1) * BR) : N); j0 += BC)
        L.flops += 4.0 * static_cast<double>(rows_i * std::min(BC, N - j0) * d);
    }
    L.flops *= static_cast<double>(BH);
    L.work = [=](u64 cta) {
      const u64 x = cta % gx, qb = causal ? gx - 1 - x : x;
      const u64 rows_i = std::min(BR, N - qb * BR), kv_end = causal ? std::min(N, (qb + 1) * BR) : N;
      const double scores = static_cast<double>(rows_i * kv_end);
      return std::pair{4.0 * scores * static_cast<double>(d), scores};
    };
    L.program = [=](u64 cta, std::vector<TileTransfer>& out) {
      const u64 x = cta % gx, y = (cta / gx) % H, z = cta / (gx * H);
      const u64 qb = causal ? gx - 1 - x : x;  // heaviest Q blocks first when causal
      const u64 bh = z * H + y, base = bh * N;
      const u64 rows_i = std::min(BR, N - qb * BR);
      out.push_back(rows_of(0, false, base + qb * BR, rows_i, row));
      const u64 kv_end = causal ? std::min(N, (qb + 1) * BR) : N;  // K/V blocks at or below the diagonal
      for (u64 j0 = 0; j0 < kv_end; j0 += BC) {
        const u64 rows_j = std::min(BC, N - j0);
        out.push_back(rows_of(1, false, base + j0, rows_j, row));
        out.push_back(rows_of(2, false, base + j0, rows_j, row));
      }
      out.push_back(rows_of(3, true, base + qb * BR, rows_i, row));
      out.push_back(rows_of(4, true, base + qb * BR, rows_i, 4));
    };
    r.launches.push_back(std::move(L));
    return r;
  }

  if (s.kernel == "flash1") {
    // flash1.cu: grid (S, H, B), S = flash1_splits(B*H, N, d, SMs) thread blocks per (batch, head), split
    // x owning the Q blocks flash1_q_block(x, S, round) (snake order, tiling.hpp).  The kernel reads the SM
    // count at launch; both GPU presets (gpu_spec.cpp) have 132 SMs (kSms).
    const auto t = k::tiling(k::KernelKind::flash1, static_cast<int>(d), k::DType::f16);
    const u64 BR = static_cast<u64>(t.B_r), BC = static_cast<u64>(t.B_c);
    const u64 tr = (N + BR - 1) / BR;
    const u64 S = static_cast<u64>(k::forward_grid_x(k::KernelKind::flash1, static_cast<std::int64_t>(BH), s.N,
                                                      static_cast<int>(d), kSms));
    const u64 row32 = d * 4;
    r.tensors = {{"Q", BH * N * row},    {"K", BH * N * row},     {"V", BH * N * row},
                 {"O", BH * N * row},    {"LSE", BH * N * 4},     {"O_fp32", BH * N * row32},
                 {"l", BH * N * 4},      {"m", BH * N * 4}};
    // Q blocks of split x, increasing; the K/V rows it visits stop after its last block's last row (causal).
    auto blocks_of = [=](u64 x) {
      std::vector<u64> b(static_cast<std::size_t>(k::flash1_split_q_blocks(static_cast<std::int64_t>(x),
                                                                           static_cast<std::int64_t>(S),
                                                                           static_cast<std::int64_t>(tr))));
      for (std::size_t q = 0; q < b.size(); ++q)
        b[q] = static_cast<u64>(
            k::flash1_q_block(static_cast<std::int64_t>(x), static_cast<std::int64_t>(S), static_cast<std::int64_t>(q)));
      return b;
    };
    auto visits = [=](u64 i, u64 j0) { return !causal || i * BR + std::min(BR, N - i * BR) - 1 >= j0; };
    std::vector<double> split_flops(static_cast<std::size_t>(S), 0.0);
    std::vector<LaunchReplay::SerialSteps> split_serial(static_cast<std::size_t>(S));
    for (u64 x = 0; x < S; ++x) {
      const std::vector<u64> mine = blocks_of(x);
      for (u64 j0 = 0; j0 < N && visits(mine.back(), j0); j0 += BC)
        for (u64 i : mine) {
          if (!visits(i, j0)) continue;
          const u64 rows_i = std::min(BR, N - i * BR);
          split_flops[x] += 4.0 * static_cast<double>(rows_i * std::min(BC, N - j0) * d);
          // One dependent step: Q_i, O_i, l_i, m_i loaded, O_i, l_i, m_i stored (fp32).
          split_serial[x].steps += 1;
          split_serial[x].bytes += static_cast<double>(rows_i * (row + 2 * row32 + 4 * 4));
        }
    }
    LaunchReplay L;
    L.name = "flash1_fwd";
    L.ctas = S * BH;
    // flash1.cu: __launch_bounds__(threads, flash1_ctas_per_sm(d)): 1 CTA of 256 threads per SM at d = 128
    // (192 KiB of shared memory), 2 of 128 threads at d = 64 (80 KiB each); the shared-memory bound gives the same.
    L.ctas_per_sm = static_cast<std::uint32_t>(std::min<u64>(ctas_per_sm_for(t, 8), 2));
    // O, l and m are plain global loads and stores (flash1.cu), cached in the L1 beside the shared memory:
    // while the O, l, m rows of the SM's resident thread blocks fit there, a step's reload of O_i, l_i, m_i
    // (stored by the step before) hits the L1 and does not reach the L2. Measured (ncu_launches.csv, both
    // GPUs): SM<-L2 bytes below the schedule's by 0.8-1.1 x the step reloads of O, l, m where they fit
    // (d = 64, N <= 1024 and N = 4096 with 8 heads), by 0-0.1 x where they do not (d = 64 with 4 Q blocks
    // per thread block, 132 KiB > 92 KiB; d = 128, 130 KiB > 60 KiB).
    L.l1_bytes = l1_bytes_beside(L.ctas_per_sm, static_cast<u64>(t.smem_bytes));
    for (double f : split_flops) L.flops += f;
    L.flops *= static_cast<double>(BH);
    L.work = [=](u64 cta) {
      const double f = split_flops[static_cast<std::size_t>(cta % S)];
      return std::pair{f, f / (4.0 * static_cast<double>(d))};
    };
    // Every inner step waits on its O_i, l_i, m_i (loaded from the L2, stored again at its end): the
    // measured runtime is compute + these round trips + a fixed latency per thread block (gpu_spec.cpp).
    L.serial = [=](u64 cta) { return split_serial[static_cast<std::size_t>(cta % S)]; };
    L.program = [=](u64 cta, std::vector<TileTransfer>& out) {
      const u64 x = cta % S, base = (cta / S) * N;  // blockIdx.x = split fastest, then head, then batch
      const std::vector<u64> mine = blocks_of(x);
      for (u64 i : mine) {  // line 2: this split's rows of O, l, m initialised in HBM
        const u64 r0 = base + i * BR, rows_i = std::min(BR, N - i * BR);
        out.push_back(via_l1(rows_of(5, true, r0, rows_i, row32)));
        out.push_back(via_l1(rows_of(6, true, r0, rows_i, 4)));
        out.push_back(via_l1(rows_of(7, true, r0, rows_i, 4)));
      }
      for (u64 j0 = 0; j0 < N && visits(mine.back(), j0); j0 += BC) {
        const u64 rows_j = std::min(BC, N - j0);
        out.push_back(rows_of(1, false, base + j0, rows_j, row));
        out.push_back(rows_of(2, false, base + j0, rows_j, row));
        for (u64 i : mine) {
          if (!visits(i, j0)) continue;
          const u64 r0 = base + i * BR, rows_i = std::min(BR, N - i * BR);
          out.push_back(rows_of(0, false, r0, rows_i, row));
          out.push_back(via_l1(rows_of(5, false, r0, rows_i, row32)));
          out.push_back(via_l1(rows_of(6, false, r0, rows_i, 4)));
          out.push_back(via_l1(rows_of(7, false, r0, rows_i, 4)));
          out.push_back(via_l1(rows_of(5, true, r0, rows_i, row32)));
          out.push_back(via_l1(rows_of(6, true, r0, rows_i, 4)));
          out.push_back(via_l1(rows_of(7, true, r0, rows_i, 4)));
        }
      }
      for (u64 i : mine) {  // line 16: O -> output dtype, LSE = m + log l
        const u64 r0 = base + i * BR, rows_i = std::min(BR, N - i * BR);
        out.push_back(via_l1(rows_of(5, false, r0, rows_i, row32)));
        out.push_back(rows_of(3, true, r0, rows_i, row));
        out.push_back(via_l1(rows_of(7, false, r0, rows_i, 4)));
        out.push_back(via_l1(rows_of(6, false, r0, rows_i, 4)));
        out.push_back(rows_of(4, true, r0, rows_i, 4));
      }
    };
    r.launches.push_back(std::move(L));
    return r;
  }

  if (s.kernel == "standard") {
    // cuBLAS tiles, from the kernel names ncu recorded (analysis/measurements/*/ncu_launches.csv):
    // S^T = K Q^T runs nvjet_sm90_hsh_256x128 (H200) / 128x256 with the operands swapped (H100), output
    // tiles of 256 keys x 128 queries with k = d whole: measured SM<-L2 bytes 0.75 S (d = 64) and 1.5 S
    // (d = 128) on every configuration, = (256 + 128) d / (256 x 128) S. O^T = V^T P^T: output tiles of
    // all d columns x 256 queries (nvjet 64x256 at d = 64, 128x256 at d = 128: P read once, V once per
    // 256 queries); cuBLAS picks 64x512 or 64x128/128x128 tiles for some shapes, which the model does not
    // follow (measured 1.125-2.0 S against the modelled 1.25 and 1.5 S).
    constexpr u64 kQktKeys = 256, kQktQueries = 128, kPvQueries = 256, kPvChunk = 128;
    const u64 ntk = (N + kQktKeys - 1) / kQktKeys, ntq = (N + kQktQueries - 1) / kQktQueries;
    const u64 npv = (N + kPvQueries - 1) / kPvQueries;
    const u64 srow = N * eb;  // bytes of one row of S or P
    r.tensors = {{"Q", BH * N * row}, {"K", BH * N * row}, {"V", BH * N * row}, {"S", BH * N * srow},
                 {"P", BH * N * srow}, {"O", BH * N * row}, {"LSE", BH * N * 4}};
    LaunchReplay g1;
    g1.name = "gemm_QKt";
    g1.ctas = BH * ntq * ntk;
    g1.ctas_per_sm = 1;
    g1.engine = LaunchReplay::MatrixEngine::cublas;
    g1.flops = 2.0 * static_cast<double>(BH) * static_cast<double>(N) * static_cast<double>(N) * static_cast<double>(d);
    g1.work = [=](u64 cta) {
      const u64 qt = (cta / ntk) % ntq, kt = cta % ntk;
      return std::pair{2.0 * static_cast<double>(std::min(kQktQueries, N - qt * kQktQueries) *
                                                 std::min(kQktKeys, N - kt * kQktKeys) * d),
                       0.0};
    };
    g1.program = [=](u64 cta, std::vector<TileTransfer>& out) {
      const u64 bh = cta / (ntq * ntk), qt = (cta / ntk) % ntq, kt = cta % ntk;  // key tiles fastest (S^T column-major)
      const u64 q0 = qt * kQktQueries, k0 = kt * kQktKeys;
      const u64 qr = std::min(kQktQueries, N - q0), kr = std::min(kQktKeys, N - k0);
      out.push_back(rows_of(1, false, bh * N + k0, kr, row));
      out.push_back(rows_of(0, false, bh * N + q0, qr, row));
      out.push_back({3, true, (bh * N + q0) * srow + k0 * eb, kr * eb, qr, srow});
    };
    LaunchReplay sm;
    sm.name = "row_softmax";
    sm.ctas = BH * N;
    sm.ctas_per_sm = 16;
    sm.latency_chain = true;  // pass 2 waits for the block reduction of pass 1
    sm.work = [=](u64 rowid) {
      const u64 q = rowid % N;
      return std::pair{0.0, static_cast<double>(causal ? q + 1 : N)};
    };
    // The second (normalise) pass re-reads the row. The SM's L1 keeps kSoftmaxL1Bytes of the bytes
    // its resident rows occupy (ctas_per_sm rows x the row's allowed bytes); the rest of the row,
    // its oldest part (the start), misses L1 and is read again through the L2, where it hits or
    // goes to DRAM as the L2 replay decides. kSoftmaxL1Bytes = 29 KiB is calibrated: least squares
    // of 1 + (1 - min(1, C / (16 x row bytes))) against the softmax launch's measured
    // l1tex__m_xbar2l1tex_read_bytes / S bytes, the 28 non-causal standard configurations of
    // analysis/measurements/{h200,h100}_2026-11-21/ncu_launches.csv (measured 1.04-1.08 at
    // N = 512-1024, 1.47-1.54 at 2048, 1.79-1.85 at 4096, 1.98-2.0 at N >= 8192). It is far below
    // the 256 KiB L1/shared array: the L1 does not keep the streamed rows as an LRU would.
    constexpr u64 kSoftmaxL1Bytes = 29ull << 10;
    const u64 resident_rows = sm.ctas_per_sm;
    // Transfers follow the kernel's loops: each iteration moves 16 bytes per thread, a chunk of
    // standard_softmax_threads() x 16 bytes of the row (so the round-robin interleaving of the
    // resident rows advances in proportion to bytes moved, as the rows progress in time).
    const u64 chunk = static_cast<u64>(k::standard_softmax_threads()) * 16;
    sm.program = [=](u64 rowid, std::vector<TileTransfer>& out) {
      const u64 q = rowid % N, limit = causal ? q + 1 : N, rb = limit * eb;
      for (u64 c = 0; c < rb; c += chunk)  // pass 1: max and sum over the allowed columns
        out.push_back({3, false, rowid * srow + c, std::min(chunk, rb - c), 1, srow});
      u64 again = 0;  // pass 2 misses L1 on the row's first `again` bytes (32-byte sectors)
      const u64 footprint = resident_rows * rb;
      if (footprint > kSoftmaxL1Bytes) {
        const double miss = 1.0 - static_cast<double>(kSoftmaxL1Bytes) / static_cast<double>(footprint);
        again = std::min(rb, (static_cast<u64>(miss * static_cast<double>(rb)) + 31) / 32 * 32);
      }
      out.push_back({6, true, rowid * 4, 4, 1, 4});  // LSE, thread 0, before pass 2
      for (u64 c = 0; c < srow; c += chunk) {  // pass 2: normalise the allowed part, zeros beyond it
        if (c < again) out.push_back({3, false, rowid * srow + c, std::min(chunk, again - c), 1, srow});
        out.push_back({4, true, rowid * srow + c, std::min(chunk, srow - c), 1, srow});
      }
    };
    LaunchReplay g3;
    g3.name = "gemm_PV";
    g3.ctas = BH * npv;
    g3.ctas_per_sm = 1;
    g3.engine = LaunchReplay::MatrixEngine::cublas;
    g3.flops = g1.flops;
    g3.work = [=](u64 cta) {
      const u64 q0 = (cta % npv) * kPvQueries;
      return std::pair{2.0 * static_cast<double>(std::min(kPvQueries, N - q0) * N * d), 0.0};
    };
    g3.program = [=](u64 cta, std::vector<TileTransfer>& out) {
      const u64 bh = cta / npv, q0 = (cta % npv) * kPvQueries, qr = std::min(kPvQueries, N - q0);
      for (u64 k0 = 0; k0 < N; k0 += kPvChunk) {
        const u64 kr = std::min(kPvChunk, N - k0);
        out.push_back(rows_of(2, false, bh * N + k0, kr, row));
        out.push_back({4, false, (bh * N + q0) * srow + k0 * eb, kr * eb, qr, srow});
      }
      out.push_back(rows_of(5, true, bh * N + q0, qr, row));
    };
    r.launches.push_back(std::move(g1));
    r.launches.push_back(std::move(sm));
    r.launches.push_back(std::move(g3));
    return r;
  }
  throw InputError("GPU model: unknown kernel '" + s.kernel + "' (known: standard, flash1, flash2, flash2_hopper)");
}

}  // namespace iolab::sim::gpu
