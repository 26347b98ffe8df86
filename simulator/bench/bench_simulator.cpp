// Google Benchmark programs for count-only simulation speed. Targets (issue 2):
//   * at least 50 million counted tile transfers per second;
//   * flash1 at N = 65536, d = 128, M = 96 KiB (fp16) in under 50 ms;
//   * a 1,000-configuration sweep up to N = 65536 in under 10 s on 2 cores.
// Results are recorded in simulator/bench/RESULTS.md with date and machine.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "iolab/analysis/sweep.hpp"
#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/cache/cache_model.hpp"
#include "iolab/sim/cache/line_trace.hpp"
#include "iolab/sim/cache/stack_distance.hpp"
#include "iolab/sim/gpu/l2_model.hpp"

using namespace iolab;

namespace {

sim::Plan plan_of(const char* algo, std::int64_t N, std::int64_t d, sim::count_t M) {
  sim::AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.M = M;
  return sim::algorithm(algo).plan(p);
}

void run_plan(benchmark::State& state, const sim::Plan& plan) {
  sim::count_t transfers = 0;
  for (auto _ : state) {
    const auto r = sim::simulate_plan(plan);
    transfers += r.transfers;
    benchmark::DoNotOptimize(r.reads_elems);
  }
  state.counters["transfers/s"] = benchmark::Counter(static_cast<double>(transfers), benchmark::Counter::kIsRate);
  state.counters["transfers"] = static_cast<double>(transfers / state.iterations());
}

void BM_Flash1_N65536_d128_96KiB(benchmark::State& state) {
  run_plan(state, plan_of("flash1", 65536, 128, 96 * 1024 / 2));
}
BENCHMARK(BM_Flash1_N65536_d128_96KiB)->Unit(benchmark::kMillisecond);

// Many small transfers: flash1 with a small SRAM (M = 4 KiB of fp16, d = 64).
void BM_TransferRate_Flash1_SmallM(benchmark::State& state) { run_plan(state, plan_of("flash1", 8192, 64, 2048)); }
BENCHMARK(BM_TransferRate_Flash1_SmallM)->Unit(benchmark::kMillisecond);

void BM_TransferRate_Flash2_SmallM(benchmark::State& state) { run_plan(state, plan_of("flash2", 8192, 64, 2048)); }
BENCHMARK(BM_TransferRate_Flash2_SmallM)->Unit(benchmark::kMillisecond);

void BM_TransferRate_Standard(benchmark::State& state) { run_plan(state, plan_of("standard", 8192, 64, 8192)); }
BENCHMARK(BM_TransferRate_Standard)->Unit(benchmark::kMillisecond);

// The 1,000-configuration sweep: 3 algorithms (flash in both tilings: 5
// series) x N in {512, 1024, ..., 65536} (8) x d in {64, 128} x M in 13 sizes
// from 32 KiB to 512 KiB = 1,040 configurations, on 2 threads.
analysis::SweepSpec sweep_1000() {
  analysis::SweepSpec s;
  s.algos = {"standard", "flash1", "flash2"};
  s.tilings = {sim::Tiling::fit, sim::Tiling::paper};
  s.Ns = {512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};
  s.ds = {64, 128};
  for (sim::count_t kib : {32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 320, 384, 512}) s.Ms.push_back(kib * 512);
  s.threads = 2;
  return s;
}

void BM_Sweep1000_TwoThreads(benchmark::State& state) {
  const auto spec = sweep_1000();
  std::size_t configs = 0;
  for (auto _ : state) {
    const auto out = analysis::run_sweep(spec);
    configs = out.rows.size() + out.skipped.size();
    benchmark::DoNotOptimize(out.rows.data());
  }
  state.counters["configs"] = static_cast<double>(configs);
}
BENCHMARK(BM_Sweep1000_TwoThreads)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// Trace-driven cache simulation (target: >= 20 million line accesses per
// second for LRU). The trace: flash2 at N = 8192, d = 64, M = 96 KiB, 128-byte
// lines with 32-byte sectors.
const sim::cache::LineTrace& flash2_trace() {
  static const sim::cache::LineTrace trace = [] {
    sim::cache::LineTrace t(128, 32);
    sim::SimOptions o;
    o.observer = &t;
    sim::simulate_plan(plan_of("flash2", 8192, 64, 96 * 1024 / 2), o);
    return t;
  }();
  return trace;
}

void cache_bench(benchmark::State& state, std::uint32_t ways, std::uint64_t capacity,
                 sim::cache::Replacement replacement = sim::cache::Replacement::lru) {
  const auto& trace = flash2_trace();
  sim::cache::CacheConfig cfg;
  cfg.capacity_bytes = capacity;
  cfg.ways = ways;
  cfg.replacement = replacement;
  for (auto _ : state) {
    const auto s = sim::cache::simulate_lru(cfg, trace);
    benchmark::DoNotOptimize(s.misses);
  }
  state.counters["line_accesses/s"] = benchmark::Counter(
      static_cast<double>(trace.accesses().size() * state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Lru_16way_4MiB(benchmark::State& state) { cache_bench(state, 16, 4ull << 20); }
BENCHMARK(BM_Lru_16way_4MiB)->Unit(benchmark::kMillisecond);
void BM_Lru_16way_60MB(benchmark::State& state) { cache_bench(state, 16, 60ull * 1024 * 1024); }
BENCHMARK(BM_Lru_16way_60MB)->Unit(benchmark::kMillisecond);
void BM_Lru_FullyAssociative_4MiB(benchmark::State& state) { cache_bench(state, 0, 4ull << 20); }
BENCHMARK(BM_Lru_FullyAssociative_4MiB)->Unit(benchmark::kMillisecond);
// The GPU model's L2 policy (SRRIP, fully associative) and DRRIP (two sampled shadow caches on top).
void BM_Srrip_FullyAssociative_4MiB(benchmark::State& state) {
  cache_bench(state, 0, 4ull << 20, sim::cache::Replacement::srrip);
}
BENCHMARK(BM_Srrip_FullyAssociative_4MiB)->Unit(benchmark::kMillisecond);
void BM_Drrip_FullyAssociative_4MiB(benchmark::State& state) {
  cache_bench(state, 0, 4ull << 20, sim::cache::Replacement::drrip);
}
BENCHMARK(BM_Drrip_FullyAssociative_4MiB)->Unit(benchmark::kMillisecond);
void BM_Drrip_16way_4MiB(benchmark::State& state) { cache_bench(state, 16, 4ull << 20, sim::cache::Replacement::drrip); }
BENCHMARK(BM_Drrip_16way_4MiB)->Unit(benchmark::kMillisecond);

// The GPU model's L2 as H100/H200 use it (sim/gpu/gpu_spec.cpp): two partitions of half the capacity, near
// copies of far blocks kept on writes, 32-way hashed LRU sets, a dirty limit of 0.424 of the capacity with a
// random line cleaned. The same trace, the accesses alternating between the two sides of the SMs.
void l2_model_bench(benchmark::State& state, std::uint32_t partitions) {
  const auto& trace = flash2_trace();
  sim::cache::CacheConfig cfg;
  cfg.capacity_bytes = 4ull << 20;
  cfg.ways = 32;
  cfg.set_index = sim::cache::SetIndex::hashed;
  cfg.dirty_limit_bytes = static_cast<std::uint64_t>(0.424 * static_cast<double>(cfg.capacity_bytes));
  cfg.dirty_clean = sim::cache::DirtyClean::random;
  std::uint64_t blocks = 0;
  for (const auto& a : trace.accesses()) blocks = std::max<std::uint64_t>(blocks, a.line + 1);
  for (auto _ : state) {
    sim::gpu::L2Model l2(cfg, trace.tensors(), partitions, sim::gpu::L2Model::Copies::always, blocks, 1.0,
                         sim::gpu::L2Model::WriteCopies::keep);
    unsigned side = 0;
    for (const auto& a : trace.accesses()) l2.access(a, side ^= 1u);
    benchmark::DoNotOptimize(l2.hbm_read_bytes());
  }
  state.counters["line_accesses/s"] = benchmark::Counter(
      static_cast<double>(trace.accesses().size() * state.iterations()), benchmark::Counter::kIsRate);
}
void BM_GpuL2_TwoPartitions_32way_4MiB(benchmark::State& state) { l2_model_bench(state, 2); }
BENCHMARK(BM_GpuL2_TwoPartitions_32way_4MiB)->Unit(benchmark::kMillisecond);
void BM_GpuL2_OnePartition_32way_4MiB(benchmark::State& state) { l2_model_bench(state, 1); }
BENCHMARK(BM_GpuL2_OnePartition_32way_4MiB)->Unit(benchmark::kMillisecond);

void BM_Belady_16way_4MiB(benchmark::State& state) {
  const auto& trace = flash2_trace();
  sim::cache::CacheConfig cfg;
  cfg.capacity_bytes = 4ull << 20;
  for (auto _ : state) benchmark::DoNotOptimize(sim::cache::simulate_belady(cfg, trace.accesses(), trace.tensors()).misses);
  state.counters["line_accesses/s"] = benchmark::Counter(
      static_cast<double>(trace.accesses().size() * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Belady_16way_4MiB)->Unit(benchmark::kMillisecond);

void BM_MattsonStackDistances(benchmark::State& state) {
  const auto& trace = flash2_trace();
  for (auto _ : state) benchmark::DoNotOptimize(sim::cache::StackDistances(trace.accesses()).cold_misses());
  state.counters["line_accesses/s"] = benchmark::Counter(
      static_cast<double>(trace.accesses().size() * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MattsonStackDistances)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
