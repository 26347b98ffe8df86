// The cache level: LRU and Belady replacement, sectors, write-back, per-tensor
// counters, Mattson stack distances, and the Sleator-Tarjan relation.
#include <catch2/catch.hpp>

#include <bit>
#include <random>
#include <algorithm>
#include <set>

#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/cache/cache_model.hpp"
#include "iolab/sim/cache/line_trace.hpp"
#include "iolab/sim/cache/stack_distance.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/machine.hpp"

using namespace iolab::sim;
using namespace iolab::sim::cache;

namespace {

std::vector<TensorRange> one_tensor() { return {{"T", 0, 1 << 30}}; }

std::vector<LineAccess> reads(std::initializer_list<std::uint64_t> lines) {
  std::vector<LineAccess> t;
  for (auto l : lines) t.push_back({l, 1u, 0, false});
  return t;
}

/// Random traces with locality: a working set that drifts, some writes.
std::vector<LineAccess> random_trace(std::uint64_t seed, std::size_t n, std::uint64_t universe) {
  std::mt19937_64 rng(seed);
  std::vector<LineAccess> t;
  std::uint64_t base = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (rng() % 50 == 0) base = rng() % universe;
    const std::uint64_t line = (base + rng() % (1 + universe / 4)) % universe;
    t.push_back({line, 1u, static_cast<std::uint16_t>(line % 2), rng() % 5 == 0});
  }
  return t;
}

CacheConfig cfg(std::uint64_t lines, std::uint32_t ways, std::uint32_t line_bytes = 64, std::uint32_t sector = 64) {
  CacheConfig c;
  c.line_bytes = line_bytes;
  c.sector_bytes = sector;
  c.capacity_bytes = lines * line_bytes;
  c.ways = ways;
  return c;
}

}  // namespace

TEST_CASE("LRU and Belady on a textbook sequence", "[cache]") {
  // 3 lines, fully associative; classic reference string.
  const auto t = reads({1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5});
  const auto lru = simulate_lru(cfg(3, 0), t, one_tensor());
  const auto opt = simulate_belady(cfg(3, 0), t, one_tensor());
  CHECK(lru.misses == 10);
  CHECK(opt.misses == 7);
  CHECK(lru.hits + lru.misses == 12);
  CHECK(opt.evictions == 4);
  // Same sequence, 4 lines: Belady's anomaly does not affect LRU (a stack algorithm).
  CHECK(simulate_lru(cfg(4, 0), t, one_tensor()).misses == 8);
  CHECK(simulate_belady(cfg(4, 0), t, one_tensor()).misses == 6);
}

TEST_CASE("set-associative LRU maps lines to sets", "[cache]") {
  // 2 sets x 1 way: lines 0 and 2 conflict, 1 does not.
  const auto t = reads({0, 2, 0, 1, 1, 2});
  const auto s = simulate_lru(cfg(2, 1), t, one_tensor());
  CHECK(s.misses == 5);
  CHECK(s.hits == 1);
  // Fully associative with 2 lines: 0,2 miss, 0 hit, 1 miss (evicts 2), 1 hit, 2 miss.
  CHECK(simulate_lru(cfg(2, 0), t, one_tensor()).misses == 4);
}

TEST_CASE("sectors are fetched on demand and dirty sectors written back", "[cache]") {
  CacheConfig c = cfg(2, 0, 128, 32);
  std::vector<LineAccess> t{
      {0, 0b0001, 0, false},  // miss, fetch 1 sector
      {0, 0b0011, 0, false},  // present but sector 1 missing: miss, fetch 1
      {0, 0b0011, 0, false},  // hit
      {1, 0b1111, 1, true},   // write miss: allocate, no fetch, 4 dirty sectors
      {2, 0b0001, 0, false},  // miss, evicts line 0 (clean)
      {3, 0b0001, 0, false},  // miss, evicts line 1 (4 dirty sectors written back)
  };
  std::vector<TensorRange> ts{{"A", 0, 1024}, {"B", 1024, 1024}};
  const auto s = simulate_lru(c, t, ts);
  CHECK(s.hits == 1);
  CHECK(s.misses == 5);
  CHECK(s.hbm_read_bytes == 4 * 32);
  CHECK(s.hbm_write_bytes == 4 * 32);
  CHECK(s.tensors[1].hbm_write_bytes == 128);
  CHECK(s.tensors[1].evictions == 1);
  CHECK(s.tensors[0].evictions == 1);
  const auto f = simulate_lru(c, t, ts, /*flush_at_end=*/true);
  CHECK(f.hbm_write_bytes == 128);  // lines 2, 3 are clean
  const auto b = simulate_belady(c, t, ts);
  CHECK(b.hbm_read_bytes == s.hbm_read_bytes);
}

TEST_CASE("Mattson stack distances give LRU misses at every size", "[cache]") {
  for (std::uint64_t seed : {1, 2, 3}) {
    const auto t = random_trace(seed, 5000, 300);
    const StackDistances sd(t);
    CHECK(sd.accesses() == t.size());
    for (std::uint64_t lines : {1, 2, 7, 16, 50, 100, 299, 300, 1000}) {
      INFO("seed " << seed << " lines " << lines);
      CHECK(sd.lru_misses(lines) == simulate_lru(cfg(lines, 0), t, {{"a", 0, 1}, {"b", 0, 1}}).misses);
    }
    CHECK(sd.lru_misses(1'000'000) == sd.cold_misses());
  }
}

TEST_CASE("Sleator-Tarjan: LRU misses at 2M <= 2 x OPT misses at M", "[cache]") {
  int checked = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto t = random_trace(seed, 3000, 40 + 20 * seed);
    const std::vector<TensorRange> ts{{"a", 0, 1}, {"b", 0, 1}};
    for (std::uint64_t M : {1, 2, 4, 8, 16, 32}) {
      const auto opt = simulate_belady(cfg(M, 0), t, ts).misses;
      const auto lru2 = simulate_lru(cfg(2 * M, 0), t, ts).misses;
      INFO("seed " << seed << " M " << M << " LRU(2M) " << lru2 << " OPT(M) " << opt);
      CHECK(lru2 <= 2 * opt);
      CHECK(opt <= simulate_lru(cfg(M, 0), t, ts).misses);  // OPT is optimal
      ++checked;
    }
  }
  CHECK(checked == 120);
}

TEST_CASE("Belady is never worse than LRU, set-associative too", "[cache]") {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto t = random_trace(seed, 4000, 500);
    const std::vector<TensorRange> ts{{"a", 0, 1}, {"b", 0, 1}};
    for (std::uint32_t ways : {1u, 2u, 4u, 8u}) {
      const auto c = cfg(64, ways);
      CHECK(simulate_belady(c, t, ts).misses <= simulate_lru(c, t, ts).misses);
    }
  }
}

TEST_CASE("a flash2 trace: Q, K, V are read from HBM once when the cache holds them", "[cache]") {
  AttentionProblem p;
  p.algo = "flash2";
  p.N = 512;
  p.d = 64;
  p.M = 20000;
  LineTrace trace(128, 32);
  SimOptions o;
  o.observer = &trace;
  const auto r = simulate(p, o);
  REQUIRE(trace.tensors().size() == 5);
  // Bytes requested of Q, K, V (rows of 128 B, sector-aligned) equal the
  // simulator's counts times 2 (fp16). (L's 4-byte rows straddle sectors.)
  std::uint64_t requested = 0;
  for (const auto& a : trace.accesses())
    if (a.tensor < 3) requested += static_cast<std::uint64_t>(std::popcount(a.sectors)) * 32;
  CHECK(requested == 2 * (r.tensors[0].reads_elems + r.tensors[1].reads_elems + r.tensors[2].reads_elems));
  // A 4 MiB, 16-way cache holds Q, K, V (64 KiB each): DRAM reads are compulsory only.
  CacheConfig big;
  big.capacity_bytes = 4 << 20;
  const auto s = simulate_lru(big, trace, /*flush_at_end=*/true);
  CHECK(s.hbm_read_bytes == 3ull * 512 * 64 * 2);
  CHECK(s.hbm_write_bytes == 512ull * 64 * 2 + 512 * 4);  // O and L written back once
  CHECK(s.tensors[1].name == "K");
  CHECK(s.tensors[1].misses == 512ull * 64 * 2 / 128);  // each K line missed once
  // A tiny cache re-reads K and V from HBM on every pass.
  CacheConfig tiny;
  tiny.capacity_bytes = 16 * 1024;
  tiny.ways = 4;
  const auto small = simulate_lru(tiny, trace);
  CHECK(small.hbm_read_bytes > 2 * s.hbm_read_bytes);
}

TEST_CASE("bad cache geometry is refused", "[cache]") {
  CacheConfig c;
  c.capacity_bytes = 1000;
  CHECK_THROWS_AS(c.validate(), InputError);
  c.capacity_bytes = 128 * 24;
  c.ways = 16;
  CHECK_THROWS_AS(c.validate(), InputError);
  c.line_bytes = 96;
  CHECK_THROWS_AS(c.validate(), InputError);
  CHECK_THROWS_AS(LineTrace(128, 2), InputError);
}

// ---- Thrash-resistant replacement (CacheConfig::replacement) ----

namespace {

/// `rounds` passes over lines 0 .. n-1.
std::vector<LineAccess> cyclic(std::uint64_t n, int rounds, std::uint64_t stride = 1) {
  std::vector<LineAccess> t;
  for (int r = 0; r < rounds; ++r)
    for (std::uint64_t l = 0; l < n; ++l) t.push_back({l * stride, 1u, 0, false});
  return t;
}

CacheConfig with(CacheConfig c, Replacement r, double eps = 0) {
  c.replacement = r;
  c.epsilon = eps;
  return c;
}

}  // namespace

TEST_CASE("a cyclic working set of capacity + 1 lines: LRU misses every access, BIP and BRRIP keep capacity - 1 hits a pass",
          "[cache]") {
  // 4 lines, lines 0..4 ten times. LRU: 50 misses. BIP (epsilon 0) inserts at the LRU end, so line 4 keeps
  // taking the slot line 3 had and then line 3 line 4's: after the first pass, 0, 1, 2 hit and 3, 4 miss
  // (5 + 2 x 9 = 23 misses). BRRIP (epsilon 0) inserts at RRPV 3; evicting the newest line at RRPV 3 (one set
  // of a 4-way cache: the lowest way; fully associative: rrip_newest_first) gives the same 23, and so does
  // SRRIP (insert at RRPV 2) with that victim order. Evicting the oldest line at RRPV 3 (the fully associative
  // default) makes both FIFO on this trace: 50 misses.
  for (std::uint32_t ways : {0u, 4u}) {
    const std::uint64_t stride = ways == 0 ? 1 : 2;  // one set of a 2-set cache: even lines
    const auto c = cfg(ways == 0 ? 4 : 8, ways);
    const auto t = cyclic(5, 10, stride);
    CHECK(simulate_lru(c, t, one_tensor()).misses == 50);
    CHECK(simulate_lru(with(c, Replacement::lru), t, one_tensor()).misses == 50);
    CHECK(simulate_lru(with(c, Replacement::bip), t, one_tensor()).misses == 23);
    auto newest = c;
    newest.rrip_newest_first = true;
    CHECK(simulate_lru(with(newest, Replacement::brrip), t, one_tensor()).misses == 23);
    if (ways == 0) {
      CHECK(simulate_lru(with(newest, Replacement::srrip), t, one_tensor()).misses == 23);
      CHECK(simulate_lru(with(c, Replacement::srrip), t, one_tensor()).misses == 50);
      CHECK(simulate_lru(with(c, Replacement::brrip), t, one_tensor()).misses == 50);
    }
    // epsilon 1: BIP is LRU, BRRIP is SRRIP.
    CHECK(simulate_lru(with(c, Replacement::bip, 1.0), t, one_tensor()).misses == 50);
    CHECK(simulate_lru(with(c, Replacement::brrip, 1.0), t, one_tensor()).misses ==
          simulate_lru(with(c, Replacement::srrip), t, one_tensor()).misses);
  }
}

TEST_CASE("random replacement degrades gracefully past the capacity and is deterministic for a seed", "[cache]") {
  // 64 lines, a cycle of 65 lines 100 times: LRU misses all 6,500; random keeps most lines between passes.
  const auto c = cfg(64, 0);
  const auto t = cyclic(65, 100);
  const auto lru = simulate_lru(c, t, one_tensor());
  const auto rnd = simulate_lru(with(c, Replacement::random), t, one_tensor());
  CHECK(lru.misses == 6500);
  CHECK(rnd.misses < 6500 / 4);
  CHECK(rnd.misses > 65);  // not Belady either
  CHECK(simulate_lru(with(c, Replacement::random), t, one_tensor()).misses == rnd.misses);
  auto other = with(c, Replacement::random);
  other.seed = 12345;
  CHECK(simulate_lru(other, t, one_tensor()).misses != rnd.misses);
  // Within the capacity nothing is evicted: only the first pass misses, under every policy.
  for (auto r : {Replacement::random, Replacement::bip, Replacement::srrip, Replacement::brrip})
    CHECK(simulate_lru(with(c, r, 1.0 / 32), cyclic(64, 10), one_tensor()).misses == 64);
}

TEST_CASE("SRRIP keeps a re-referenced working set through a scan that LRU lets evict it", "[cache]") {
  // 4 lines: A B A B, a scan of 4 lines used once, A B again. LRU: the scan evicts A and B (8 misses).
  // SRRIP: A and B sit at RRPV 0, the scan's lines enter at 2 and evict each other (6 misses).
  for (std::uint32_t ways : {0u, 4u}) {
    const auto c = cfg(4, ways);
    const auto t = reads({100, 101, 100, 101, 1, 2, 3, 4, 100, 101});
    CHECK(simulate_lru(c, t, one_tensor()).misses == 8);
    CHECK(simulate_lru(with(c, Replacement::srrip), t, one_tensor()).misses == 6);
    auto newest = c;
    newest.rrip_newest_first = true;
    CHECK(simulate_lru(with(newest, Replacement::srrip), t, one_tensor()).misses == 6);
  }
}

TEST_CASE("DRRIP inserts like BRRIP on a thrashing cycle and like SRRIP where that misses less", "[cache]") {
  const double eps = 1.0 / 32;
  for (std::uint32_t ways : {0u, 16u}) {
    const auto c = cfg(4096, ways);
    // A cycle of 1.25x the capacity, 40 passes: SRRIP (oldest line at RRPV 3 first) and LRU miss every
    // access; BRRIP keeps most of the cycle resident. The monitor's SRRIP shadow misses more, so DRRIP
    // inserts as BRRIP and ends within a few percent of it.
    const auto thrash = cyclic(5120, 40);
    const auto srrip = simulate_lru(with(c, Replacement::srrip, eps), thrash, one_tensor()).misses;
    const auto brrip = simulate_lru(with(c, Replacement::brrip, eps), thrash, one_tensor()).misses;
    LruCache drrip(with(c, Replacement::drrip, eps), one_tensor());
    for (const auto& a : thrash) drrip.access(a);
    INFO("ways " << ways << ": srrip " << srrip << ", brrip " << brrip << ", drrip " << drrip.stats().misses);
    if (ways == 0) CHECK(srrip == thrash.size());
    CHECK(10 * brrip < 6 * srrip);
    CHECK(drrip.stats().misses < brrip + brrip / 10);
    REQUIRE(drrip.dueling_monitor() != nullptr);
    CHECK(drrip.dueling_monitor()->bimodal(2));  // set 2: a follower

    // A working set of 0.5x the capacity re-read between scans of new lines, each read twice 0.25x the
    // capacity apart. 16-way: BRRIP inserts the scans' lines at RRPV 3, where in a set they push out each
    // other before their second read; SRRIP misses half as often, and DRRIP follows it. Fully associative
    // (oldest RRPV-3 line first) both keep the second reads: equal.
    std::vector<LineAccess> mixed;
    std::uint64_t fresh = 1 << 20;
    for (int round = 0; round < 40; ++round) {
      for (std::uint64_t l = 0; l < 2048; ++l) mixed.push_back({l, 1u, 0, false});
      for (std::uint64_t k = 0; k < 1024; ++k) mixed.push_back({fresh + k, 1u, 0, false});
      for (std::uint64_t k = 0; k < 1024; ++k) mixed.push_back({fresh + k, 1u, 0, false});
      fresh += 1024;
    }
    const auto s2 = simulate_lru(with(c, Replacement::srrip, eps), mixed, one_tensor()).misses;
    const auto b2 = simulate_lru(with(c, Replacement::brrip, eps), mixed, one_tensor()).misses;
    LruCache d2(with(c, Replacement::drrip, eps), one_tensor());
    for (const auto& a : mixed) d2.access(a);
    INFO("mixed: srrip " << s2 << ", brrip " << b2 << ", drrip " << d2.stats().misses);
    CHECK(s2 <= b2);
    if (ways != 0) CHECK(2 * s2 < b2 + b2 / 10);
    CHECK(d2.stats().misses < s2 + s2 / 10);
    CHECK(!d2.dueling_monitor()->bimodal(2));
  }
}

TEST_CASE("the dueling monitor: shadows of 1/32 of a fully associative cache, leader sets otherwise", "[cache]") {
  std::uint64_t n = 0;
  for (std::uint64_t l = 0; l < (1u << 16); ++l) n += DuelingMonitor::sampled(l);
  CHECK(n > (1u << 16) / 32 - 256);
  CHECK(n < (1u << 16) / 32 + 256);
  {
    LruCache cache(with(cfg(4096, 0), Replacement::drrip, 1.0 / 32), one_tensor());
    const DuelingMonitor& m = *cache.dueling_monitor();
    REQUIRE(m.srrip_shadow() != nullptr);
    std::uint64_t sampled = 0;
    for (std::uint64_t l = 0; l < 10000; ++l) {
      cache.access({l, 1u, 0, false});
      sampled += DuelingMonitor::sampled(l);
    }
    CHECK(m.srrip_shadow()->stats().accesses == sampled);
    CHECK(m.brrip_shadow()->stats().accesses == sampled);
    CHECK(m.srrip_shadow()->stats().misses == sampled);  // all distinct lines
    CHECK(m.selector() == 0);                            // both shadows missed every one
    // The shadows hold 4096 / 32 = 128 lines: a cycle of the first 128 sampled lines stays resident.
    std::vector<LineAccess> cycle;
    for (std::uint64_t l = 1 << 20; cycle.size() < 128; ++l)
      if (DuelingMonitor::sampled(l)) cycle.push_back({l, 1u, 0, false});
    LruCache fresh(with(cfg(4096, 0), Replacement::drrip, 1.0 / 32), one_tensor());
    for (int pass = 0; pass < 3; ++pass)
      for (const auto& a : cycle) fresh.access(a);
    CHECK(fresh.dueling_monitor()->srrip_shadow()->stats().misses == 128);
  }
  {
    // 16-way, 256 sets: misses in set 0 (mod 32) count for SRRIP, set 1 for BRRIP, others not at all.
    CacheConfig c = with(cfg(4096, 16), Replacement::drrip, 1.0 / 32);
    LruCache cache(c, one_tensor());
    const DuelingMonitor& m = *cache.dueling_monitor();
    CHECK(m.srrip_shadow() == nullptr);
    for (std::uint64_t k = 0; k < 5; ++k) cache.access({k * 256, 1u, 0, false});      // set 0: +5
    CHECK(m.selector() == 5);
    CHECK(m.bimodal(2));
    CHECK(!m.bimodal(32));
    CHECK(m.bimodal(33));
    for (std::uint64_t k = 0; k < 7; ++k) cache.access({1 + k * 256, 1u, 0, false});  // set 1: -7
    for (std::uint64_t k = 0; k < 9; ++k) cache.access({2 + k * 256, 1u, 0, false});  // set 2: 0
    CHECK(m.selector() == -2);
    CHECK(!m.bimodal(2));
    CHECK_NOTHROW(LruCache(with(cfg(1024, 16), Replacement::drrip), one_tensor()));              // 64 sets
    CHECK_THROWS_AS(LruCache(with(cfg(512, 16), Replacement::drrip), one_tensor()), InputError);  // 32 sets
  }
  CHECK(LruCache(with(cfg(64, 0), Replacement::srrip), one_tensor()).dueling_monitor() == nullptr);
}

TEST_CASE("replacement policies keep the write-back accounting and names", "[cache]") {
  // Writes then reads over 2x the capacity: every policy writes back exactly the dirty lines it evicts,
  // and flush() writes the rest: all 16 written lines once in total.
  std::vector<LineAccess> t;
  for (std::uint64_t l = 0; l < 16; ++l) t.push_back({l, 1u, 0, true});
  for (auto r : {Replacement::lru, Replacement::random, Replacement::bip, Replacement::srrip, Replacement::brrip,
                 Replacement::drrip}) {
    for (std::uint32_t ways : {0u, 2u}) {
      if (r == Replacement::drrip && ways != 0) continue;  // 4 sets: too few for leader sets (tested above)
      const auto s = simulate_lru(with(cfg(8, ways), r, 0.5), t, one_tensor(), /*flush_at_end=*/true);
      CHECK(s.hbm_write_bytes == 16 * 64);
      CHECK(s.evictions == 8);
      CHECK(parse_replacement(to_string(r)) == r);
    }
  }
  CHECK_THROWS_AS(parse_replacement("plru"), InputError);
  auto bad = cfg(4, 0);
  bad.epsilon = 1.5;
  CHECK_THROWS_AS(bad.validate(), InputError);
  bad.epsilon = 0;
  bad.seed = 0;
  CHECK_THROWS_AS(bad.validate(), InputError);
}

TEST_CASE("a dirty limit cleans the line dirtied longest ago and keeps it resident", "[cache]") {
  // 8 lines of 64 B, one sector each; at most 2 dirty lines (128 B).
  for (auto r : {Replacement::lru, Replacement::srrip}) {
    for (std::uint32_t ways : {0u, 2u}) {
      CacheConfig c = with(cfg(8, ways), r);
      c.dirty_limit_bytes = 128;
      LruCache cache(c, one_tensor());
      for (std::uint64_t l = 0; l < 4; ++l) cache.access({l, 1u, 0, true});  // writes 0..3: 0 and 1 cleaned
      CHECK(cache.stats().hbm_write_bytes == 2 * 64);
      CHECK(cache.stats().cleanings == 2);
      CHECK(cache.dirty_bytes() == 128);
      CHECK(cache.stats().evictions == 0);
      for (std::uint64_t l = 0; l < 4; ++l) cache.access({l, 1u, 0, false});  // all four still resident
      CHECK(cache.stats().hits == 4);
      CHECK(cache.stats().hbm_read_bytes == 0);
      cache.access({2, 1u, 0, true});  // already dirty: no new entry, no cleaning
      CHECK(cache.stats().cleanings == 2);
      cache.access({0, 1u, 0, true});  // 0 dirty again: 3 dirty lines, the oldest (2) is cleaned
      CHECK(cache.stats().cleanings == 3);
      CHECK(cache.stats().hbm_write_bytes == 3 * 64);
      cache.flush();  // 3 and 0 still dirty
      CHECK(cache.stats().hbm_write_bytes == 5 * 64);
      CHECK(cache.dirty_bytes() == 0);
    }
  }
}

TEST_CASE("a dirty limit bounds resident dirty bytes and adds write-backs only, on random traces", "[cache]") {
  // Same reads, hits and misses with and without the limit (cleaning never evicts); writes >= the
  // unlimited run's, and flush() brings both to the same bytes written once every write-back is counted
  // per dirtying: limited writes - unlimited writes == cleanings' bytes that were dirtied again later.
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const auto t = random_trace(seed, 20000, 300);
    for (std::uint32_t ways : {0u, 4u}) {
      for (auto r : {Replacement::lru, Replacement::srrip})
      for (auto clean : {DirtyClean::oldest, DirtyClean::random, DirtyClean::set_oldest, DirtyClean::per_set_random,
                         DirtyClean::per_set_oldest}) {
        CacheConfig c = with(cfg(64, ways), r);
        const auto free = simulate_lru(c, t, {{"A", 0, 1 << 20}, {"B", 1 << 20, 1 << 20}}, true);
        c.dirty_limit_bytes = 16 * 64;
        c.dirty_clean = clean;
        LruCache lim(c, {{"A", 0, 1 << 20}, {"B", 1 << 20, 1 << 20}});
        for (const auto& a : t) {
          lim.access(a);
          REQUIRE(lim.dirty_bytes() <= c.dirty_limit_bytes);
        }
        lim.flush();
        const auto& s = lim.stats();
        CHECK(s.misses == free.misses);
        CHECK(s.hbm_read_bytes == free.hbm_read_bytes);
        CHECK(s.evictions == free.evictions);
        CHECK(s.cleanings > 0);
        CHECK(s.hbm_write_bytes > free.hbm_write_bytes);
        CHECK(s.tensors[0].hbm_write_bytes + s.tensors[1].hbm_write_bytes == s.hbm_write_bytes);
      }
    }
  }
  auto c = cfg(4, 0);
  c.dirty_limit_bytes = 64;
  CHECK_THROWS_AS(simulate_belady(c, reads({1, 2}), one_tensor()), InputError);
  for (auto clean : {DirtyClean::oldest, DirtyClean::random, DirtyClean::set_oldest, DirtyClean::per_set_random,
                     DirtyClean::per_set_oldest})
    CHECK(parse_dirty_clean(to_string(clean)) == clean);
  CHECK_THROWS_AS(parse_dirty_clean("newest"), InputError);
}

namespace {

/// A cache of configuration `c` with the dirty-line cleaning `clean`, after full-line writes of `writes` in order.
LruCache dirty_writes(CacheConfig c, DirtyClean clean, std::initializer_list<std::uint64_t> writes) {
  c.dirty_clean = clean;
  LruCache cache(c, one_tensor());
  for (auto l : writes) cache.access({l, 1u, 0, true});
  return cache;
}

}  // namespace

TEST_CASE("dirty-line cleaning orders: the oldest, one at random, the oldest of the set written", "[cache]") {
  // 4 sets x 4 ways of 64 B lines, at most 3 dirty lines. Lines 0, 4, 8 share set 0; 1 is in set 1.
  auto c = cfg(16, 4);
  c.dirty_limit_bytes = 3 * 64;
  auto run = [&](DirtyClean clean, std::initializer_list<std::uint64_t> writes) { return dirty_writes(c, clean, writes); };
  // Writes 1, 0, 4, 8: the fourth dirty line makes one too many. oldest: line 1; set-oldest: line 0, the
  // oldest dirty line of set 0 (the set of line 8).
  auto oldest = run(DirtyClean::oldest, {1, 0, 4, 8});
  auto in_set = run(DirtyClean::set_oldest, {1, 0, 4, 8});
  CHECK(oldest.stats().cleanings == 1);
  CHECK(in_set.stats().cleanings == 1);
  oldest.flush();
  in_set.flush();
  CHECK(oldest.stats().hbm_write_bytes == 4 * 64);  // every line written back once in all
  CHECK(in_set.stats().hbm_write_bytes == 4 * 64);
  // Which line was cleaned shows when it is written again: a cleaned line is dirtied anew (a new cleaning
  // later), one still dirty is not. Writes 1, 0, 4, 8, then 1 again.
  auto o2 = run(DirtyClean::oldest, {1, 0, 4, 8, 1});    // 1 was clean: dirty again, 0 cleaned next
  auto s2 = run(DirtyClean::set_oldest, {1, 0, 4, 8, 1});  // 1 still dirty: nothing new
  CHECK(o2.stats().cleanings == 2);
  CHECK(s2.stats().cleanings == 1);
  // Random: a different line for different seeds, never more than the limit dirty.
  c.dirty_clean = DirtyClean::random;
  std::set<std::uint64_t> outcomes;  // cleanings after writing 1 again: 2 if 1 was the line cleaned, else 1
  for (std::uint64_t seed = 1; seed <= 16; ++seed) {
    c.seed = seed;
    LruCache cache(c, one_tensor());
    for (std::uint64_t l : {1, 0, 4, 8}) cache.access({l, 1u, 0, true});
    CHECK(cache.dirty_bytes() == 3 * 64);
    cache.access({1, 1u, 0, true});
    CHECK(cache.dirty_bytes() == 3 * 64);
    outcomes.insert(cache.stats().cleanings);
  }
  CHECK(outcomes == std::set<std::uint64_t>{1, 2});
}

TEST_CASE("hashed set indexing spreads a strided pattern that modulo indexing maps to one set", "[cache]") {
  // 16 sets x 2 ways; lines 0, 16, 32, ... all map to set 0 under line % sets.
  std::vector<LineAccess> t;
  for (int pass = 0; pass < 3; ++pass)
    for (std::uint64_t l = 0; l < 8; ++l) t.push_back({l * 16, 1u, 0, false});
  auto c = cfg(32, 2);
  CHECK(simulate_lru(c, t, one_tensor()).misses == 24);  // 8 lines cycling through 2 ways
  c.set_index = SetIndex::hashed;
  std::vector<int> per_set(16, 0);
  for (std::uint64_t l = 0; l < 8; ++l) ++per_set[c.set_of(l * 16)];
  int worst = 0;
  for (int n : per_set) worst = std::max(worst, n);
  const auto s = simulate_lru(c, t, one_tensor());
  CHECK(worst <= 2);       // with this hash no set gets more than its 2 ways of these 8 lines...
  CHECK(s.misses == 8);    // ...so only the first pass misses
  CHECK(simulate_belady(c, t, one_tensor()).misses == 8);
  for (std::uint64_t l = 0; l < 1000; ++l) CHECK(c.set_of(l) < c.sets());
}

TEST_CASE("hashed sets fill like random placement: a cyclic scan loses data gradually around the capacity",
          "[cache]") {
  // Two passes over W lines, LRU, 16 ways. A set holding more than 16 of the lines misses all of them in
  // the second pass, so the second pass's misses are the lines of overfull sets. With sets drawn like
  // random (mix64) a stream's lines spread binomially: some sets overflow below the capacity and some do not
  // above it, whatever the set count. (A multiplicative hash spreads consecutive lines evenly, so the scan
  // goes from no misses to all at the capacity, and how sharply depends on the set count.)
  for (std::uint64_t sets : {624, 632, 640, 1264}) {
    auto c = cfg(sets * 16, 16);
    c.set_index = SetIndex::hashed;
    auto second_pass_misses = [&](double fill) {
      const auto w = static_cast<std::uint64_t>(fill * static_cast<double>(sets * 16));
      std::vector<LineAccess> t;
      for (int pass = 0; pass < 2; ++pass)
        for (std::uint64_t l = 0; l < w; ++l) t.push_back({l, 1u, 0, false});
      return std::pair{simulate_lru(c, t, one_tensor()).misses - w, w};
    };
    INFO(sets << " sets");
    // 16 x sets consecutive lines: per-set counts with a binomial's spread (variance about 16), not even.
    std::vector<double> per_set(sets, 0.0);
    for (std::uint64_t l = 0; l < sets * 16; ++l) per_set[c.set_of(l)] += 1;
    double var = 0;
    for (double n : per_set) var += (n - 16) * (n - 16) / static_cast<double>(sets);
    CHECK(var > 10);
    CHECK(var < 24);
    const auto [below, w_below] = second_pass_misses(0.85);
    const auto [above, w_above] = second_pass_misses(1.15);
    CHECK(below > 0);                    // overfull sets at 85 % of the capacity
    CHECK(below < w_below / 2);
    CHECK(above < w_above - w_above / 10);  // and sets with room at 115 %
    CHECK(above > w_above / 4);
  }
}

TEST_CASE("balanced set indexing: each aligned run of `sets` lines takes every set once, so a scan keeps all "
          "that fits", "[cache]") {
  for (std::uint64_t sets : {624, 640, 1264}) {
    auto c = cfg(sets * 16, 16);
    c.set_index = SetIndex::balanced;
    INFO(sets << " sets");
    for (std::uint64_t run : {0, 1, 7, 1000}) {  // a permutation of the sets per aligned run
      std::vector<int> hits(sets, 0);
      for (std::uint64_t l = run * sets; l < (run + 1) * sets; ++l) ++hits[c.set_of(l)];
      CHECK(std::all_of(hits.begin(), hits.end(), [](int n) { return n == 1; }));
    }
    // Runs are rotated differently (not line % sets): line r x sets lands in different sets for different r.
    std::set<std::uint64_t> firsts;
    for (std::uint64_t r = 0; r < 16; ++r) firsts.insert(c.set_of(r * sets));
    CHECK(firsts.size() > 8);
    // A scan of up to the capacity from line 0 hits in its second pass; a little over it loses every line of
    // the sets it overfills (LRU), where hashed sets lose some below the capacity (previous test case).
    auto second_pass_misses = [&](std::uint64_t w) {
      std::vector<LineAccess> t;
      for (int pass = 0; pass < 2; ++pass)
        for (std::uint64_t l = 0; l < w; ++l) t.push_back({l, 1u, 0, false});
      return simulate_lru(c, t, one_tensor()).misses - w;
    };
    CHECK(second_pass_misses(sets * 16) == 0);
    CHECK(second_pass_misses(sets * 16 * 85 / 100) == 0);
    CHECK(second_pass_misses(sets * 16 + sets / 2) == (sets / 2) * 17);  // sets/2 sets of 17 lines: all missed
  }
  CHECK(parse_set_index("balanced") == SetIndex::balanced);
  for (auto i : {SetIndex::modulo, SetIndex::hashed, SetIndex::balanced}) CHECK(parse_set_index(to_string(i)) == i);
  CHECK_THROWS_AS(parse_set_index("xor"), InputError);
}

TEST_CASE("a dirty limit per set: each set keeps its share dirty, whatever the other sets hold", "[cache]") {
  // 4 sets x 4 ways of 64 B lines (one sector each), a limit of 12 lines: 3 per set. Lines 0, 4, 8, 12 share
  // set 0 (modulo index); 1 is in set 1.
  auto c = cfg(16, 4);
  c.dirty_limit_bytes = 12 * 64;
  auto run = [&](DirtyClean clean, std::initializer_list<std::uint64_t> writes) { return dirty_writes(c, clean, writes); };
  // Four dirty lines in set 0 (five in all): over the set's 3, under the global 12.
  CHECK(run(DirtyClean::oldest, {1, 0, 4, 8, 12}).stats().cleanings == 0);
  auto po = run(DirtyClean::per_set_oldest, {1, 0, 4, 8, 12});
  CHECK(po.stats().cleanings == 1);
  CHECK(po.dirty_bytes() == 4 * 64);
  // per-set-oldest cleaned line 0 (the set's oldest dirty line, not line 1 of set 1): writing 0 again dirties
  // it anew and takes set 0 over its share again; writing 1 again changes nothing.
  auto po0 = run(DirtyClean::per_set_oldest, {1, 0, 4, 8, 12, 0});
  CHECK(po0.stats().cleanings == 2);
  auto po1 = run(DirtyClean::per_set_oldest, {1, 0, 4, 8, 12, 1});
  CHECK(po1.stats().cleanings == 1);
  // per-set-random: one of 0, 4, 8 (never 12, the line written, nor a line of another set), by seed.
  std::set<std::uint64_t> outcomes;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    c.seed = seed;
    auto pr = run(DirtyClean::per_set_random, {1, 0, 4, 8, 12});
    CHECK(pr.stats().cleanings == 1);
    CHECK(pr.dirty_bytes() == 4 * 64);
    pr.access({12, 1u, 0, true});  // the line just written stayed dirty: nothing new
    CHECK(pr.stats().cleanings == 1);
    pr.access({1, 1u, 0, true});
    CHECK(pr.stats().cleanings == 1);
    for (std::uint64_t l : {0, 4, 8}) {  // the one that was cleaned is dirtied again: one more cleaning
      auto again = run(DirtyClean::per_set_random, {1, 0, 4, 8, 12, l});
      if (again.stats().cleanings == 2) outcomes.insert(l);
    }
  }
  CHECK(outcomes == std::set<std::uint64_t>{0, 4, 8});
  c.seed = 1;
  // Shares that add up to the limit: 6 lines over 4 sets are 1, 2, 1, 2 (floor(6 (i + 1) / 4) - floor(6 i / 4)).
  c.dirty_limit_bytes = 6 * 64;
  for (std::uint64_t set = 0; set < 4; ++set) {
    auto full = run(DirtyClean::per_set_oldest, {set, set + 4, set + 8, set + 12});  // four dirty lines in the set
    CHECK(full.dirty_bytes() == (set % 2 == 0 ? 1 : 2) * 64);
  }
  auto all = run(DirtyClean::per_set_random, {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15});
  CHECK(all.dirty_bytes() == 6 * 64);
  // Every set's dirty bytes stay within its share on random traces (so the total within the limit).
  for (auto clean : {DirtyClean::per_set_oldest, DirtyClean::per_set_random}) {
    auto d = cfg(64, 4);
    d.dirty_limit_bytes = 16 * 64;  // 1 line per set
    d.dirty_clean = clean;
    LruCache cache(d, {{"A", 0, 1 << 20}, {"B", 1 << 20, 1 << 20}});  // random_trace uses tensors 0 and 1
    for (const auto& a : random_trace(3, 20000, 300)) {
      cache.access(a);
      REQUIRE(cache.dirty_bytes() <= d.dirty_limit_bytes);
    }
    CHECK(cache.stats().cleanings > 0);
  }
}

TEST_CASE("an access to a tensor the cache was not given is refused, not miscounted", "[cache]") {
  for (std::uint32_t ways : {0u, 4u}) {
    LruCache c(cfg(16, ways), one_tensor());
    c.access({1, 1u, 0, false});
    CHECK_THROWS_WITH(c.access({2, 1u, 1, false}), Catch::Contains("tensor 1 of 1"));
    CHECK(c.stats().accesses == 1);
    CHECK_THROWS_AS(simulate_lru(cfg(16, ways), reads({1, 2}), {}), InputError);
  }
  std::vector<LineAccess> t = reads({1, 2, 3});
  t[2].tensor = 5;
  CHECK_THROWS_WITH(simulate_belady(cfg(16, 4), t, one_tensor()), Catch::Contains("tensor 5 of 1"));
}

TEST_CASE("contains, invalidate and peer fills", "[cache]") {
  for (auto r : {Replacement::lru, Replacement::srrip, Replacement::random, Replacement::bip}) {
    for (std::uint32_t ways : {0u, 2u}) {
      LruCache c(with(cfg(4, ways, 128, 32), r), one_tensor());
      c.access({1, 0b0011, 0, false});
      CHECK(c.contains(1, 0b0011));
      CHECK(!c.contains(1, 0b0111));  // sector 2 not valid
      CHECK(!c.contains(2, 0b0001));
      c.access({2, 0b1111, 0, true});
      c.invalidate(2);  // dirty: written back, counted as an eviction
      CHECK(!c.contains(2, 0b0001));
      CHECK(c.stats().hbm_write_bytes == 128);
      CHECK(c.stats().evictions == 1);
      c.invalidate(7);  // not resident: nothing
      CHECK(c.stats().evictions == 1);
      LineAccess peer{3, 0b1111, 0, false};
      peer.from_peer = true;
      c.access(peer);  // a miss filled from a peer: no HBM bytes
      CHECK(c.contains(3, 0b1111));
      CHECK(c.stats().hbm_read_bytes == 64);
      CHECK(c.stats().peer_read_bytes == 128);
      // Fully associative, the freed way is reused: lines 1, 3, 4, 5 fit without another eviction.
      // 2 sets x 2 ways: 1, 3 and 5 share set 1, so 5 evicts one of them.
      c.access({4, 1u, 0, false});
      c.access({5, 1u, 0, false});
      CHECK(c.stats().evictions == (ways == 0 ? 1u : 2u));
      CHECK(c.stats().misses == 5);
    }
  }
}
