#include "iolab/sim/gpu/kernel_replay.hpp"

#include <algorithm>
#include <vector>

#include "iolab/kernels/tiling.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim::gpu {
namespace {

namespace k = iolab::kernels;
using u64 = std::uint64_t;

constexpr u64 kSmemPerSm = 228ull << 10;  // Hopper: 228 KiB shared memory per SM
constexpr u64 kThreadsPerSm = 2048;
constexpr u64 kGemmTile = 128;  // modelled cuBLAS output tile (rows and columns) and k-chunk

TileTransfer rows_of(std::uint16_t tensor, bool write, u64 row0, u64 rows, u64 row_bytes) {
  return {tensor, write, row0 * row_bytes, rows * row_bytes, 1, rows * row_bytes};
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
    const u64 gx = (N + BR - 1) / BR;
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
    // count at launch; both GPU presets (gpu_spec.cpp) have 132 SMs.
    constexpr int kSms = 132;
    const auto t = k::tiling(k::KernelKind::flash1, static_cast<int>(d), k::DType::f16);
    const u64 BR = static_cast<u64>(t.B_r), BC = static_cast<u64>(t.B_c);
    const u64 tr = (N + BR - 1) / BR;
    const u64 S = static_cast<u64>(k::flash1_splits(static_cast<std::int64_t>(BH), s.N, static_cast<int>(d), kSms));
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
    for (u64 x = 0; x < S; ++x)
      for (u64 i : blocks_of(x))
        for (u64 j0 = 0; j0 < N && visits(i, j0); j0 += BC)
          split_flops[x] += 4.0 * static_cast<double>(std::min(BR, N - i * BR) * std::min(BC, N - j0) * d);
    LaunchReplay L;
    L.name = "flash1_fwd";
    L.ctas = S * BH;
    // flash1.cu: __launch_bounds__(128, 2); 255 (d = 128) and 210 (d = 64) registers per thread allow 2 CTAs.
    L.ctas_per_sm = static_cast<std::uint32_t>(std::min<u64>(ctas_per_sm_for(t, 8), 2));
    for (double f : split_flops) L.flops += f;
    L.flops *= static_cast<double>(BH);
    L.work = [=](u64 cta) {
      const double f = split_flops[static_cast<std::size_t>(cta % S)];
      return std::pair{f, f / (4.0 * static_cast<double>(d))};
    };
    L.program = [=](u64 cta, std::vector<TileTransfer>& out) {
      const u64 x = cta % S, base = (cta / S) * N;  // blockIdx.x = split fastest, then head, then batch
      const std::vector<u64> mine = blocks_of(x);
      for (u64 i : mine) {  // line 2: this split's rows of O, l, m initialised in HBM
        const u64 r0 = base + i * BR, rows_i = std::min(BR, N - i * BR);
        out.push_back(rows_of(5, true, r0, rows_i, row32));
        out.push_back(rows_of(6, true, r0, rows_i, 4));
        out.push_back(rows_of(7, true, r0, rows_i, 4));
      }
      for (u64 j0 = 0; j0 < N && visits(mine.back(), j0); j0 += BC) {
        const u64 rows_j = std::min(BC, N - j0);
        out.push_back(rows_of(1, false, base + j0, rows_j, row));
        out.push_back(rows_of(2, false, base + j0, rows_j, row));
        for (u64 i : mine) {
          if (!visits(i, j0)) continue;
          const u64 r0 = base + i * BR, rows_i = std::min(BR, N - i * BR);
          out.push_back(rows_of(0, false, r0, rows_i, row));
          out.push_back(rows_of(5, false, r0, rows_i, row32));
          out.push_back(rows_of(6, false, r0, rows_i, 4));
          out.push_back(rows_of(7, false, r0, rows_i, 4));
          out.push_back(rows_of(5, true, r0, rows_i, row32));
          out.push_back(rows_of(6, true, r0, rows_i, 4));
          out.push_back(rows_of(7, true, r0, rows_i, 4));
        }
      }
      for (u64 i : mine) {  // line 16: O -> output dtype, LSE = m + log l
        const u64 r0 = base + i * BR, rows_i = std::min(BR, N - i * BR);
        out.push_back(rows_of(5, false, r0, rows_i, row32));
        out.push_back(rows_of(3, true, r0, rows_i, row));
        out.push_back(rows_of(7, false, r0, rows_i, 4));
        out.push_back(rows_of(6, false, r0, rows_i, 4));
        out.push_back(rows_of(4, true, r0, rows_i, 4));
      }
    };
    r.launches.push_back(std::move(L));
    return r;
  }

  if (s.kernel == "standard") {
    const u64 T = kGemmTile, nt = (N + T - 1) / T;
    const u64 srow = N * eb;  // bytes of one row of S or P
    r.tensors = {{"Q", BH * N * row}, {"K", BH * N * row}, {"V", BH * N * row}, {"S", BH * N * srow},
                 {"P", BH * N * srow}, {"O", BH * N * row}, {"LSE", BH * N * 4}};
    LaunchReplay g1;
    g1.name = "gemm_QKt";
    g1.ctas = BH * nt * nt;
    g1.ctas_per_sm = 1;
    g1.engine = LaunchReplay::MatrixEngine::cublas;
    g1.flops = 2.0 * static_cast<double>(BH) * static_cast<double>(N) * static_cast<double>(N) * static_cast<double>(d);
    g1.work = [=](u64 cta) {
      const u64 qt = (cta / nt) % nt, kt = cta % nt;
      return std::pair{2.0 * static_cast<double>(std::min(T, N - qt * T) * std::min(T, N - kt * T) * d), 0.0};
    };
    g1.program = [=](u64 cta, std::vector<TileTransfer>& out) {
      const u64 bh = cta / (nt * nt), qt = (cta / nt) % nt, kt = cta % nt;  // key tiles fastest (column-major S^T)
      const u64 q0 = qt * T, k0 = kt * T, qr = std::min(T, N - q0), kr = std::min(T, N - k0);
      out.push_back(rows_of(1, false, bh * N + k0, kr, row));
      out.push_back(rows_of(0, false, bh * N + q0, qr, row));
      out.push_back({3, true, (bh * N + q0) * srow + k0 * eb, kr * eb, qr, srow});
    };
    LaunchReplay sm;
    sm.name = "row_softmax";
    sm.ctas = BH * N;
    sm.ctas_per_sm = 16;
    sm.work = [=](u64 rowid) {
      const u64 q = rowid % N;
      return std::pair{0.0, static_cast<double>(causal ? q + 1 : N)};
    };
    sm.program = [=](u64 rowid, std::vector<TileTransfer>& out) {
      const u64 q = rowid % N, limit = causal ? q + 1 : N;
      out.push_back({3, false, rowid * srow, limit * eb, 1, srow});  // both passes (the second hits L1)
      out.push_back({4, true, rowid * srow, srow, 1, srow});
      out.push_back({6, true, rowid * 4, 4, 1, 4});
    };
    LaunchReplay g3;
    g3.name = "gemm_PV";
    g3.ctas = BH * nt;
    g3.ctas_per_sm = 1;
    g3.engine = LaunchReplay::MatrixEngine::cublas;
    g3.flops = g1.flops;
    g3.work = [=](u64 cta) {
      const u64 q0 = (cta % nt) * T;
      return std::pair{2.0 * static_cast<double>(std::min(T, N - q0) * N * d), 0.0};
    };
    g3.program = [=](u64 cta, std::vector<TileTransfer>& out) {
      const u64 bh = cta / nt, q0 = (cta % nt) * T, qr = std::min(T, N - q0);
      for (u64 k0 = 0; k0 < N; k0 += T) {
        const u64 kr = std::min(T, N - k0);
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
