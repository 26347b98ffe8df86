#include "iolab/sim/gpu/gpu_model.hpp"

#include <algorithm>
#include <list>
#include <memory>
#include <queue>
#include <unordered_map>

#include "iolab/sim/cache/cache_model.hpp"
#include "iolab/sim/gpu/l2_model.hpp"
#include "iolab/sim/errors.hpp"

namespace iolab::sim::gpu {
namespace {

using u64 = std::uint64_t;

/// InputError unless the transfer names one of the replay's tensors and lies within its bytes (a transfer past
/// a tensor's end would be counted against the next tensor's lines).
void check_transfer(const TileTransfer& t, const std::vector<TensorDesc>& tensors, const std::string& launch, u64 cta) {
  const auto where = [&] { return "GPU model: launch " + launch + ", CTA " + std::to_string(cta) + ": a transfer "; };
  if (t.tensor >= tensors.size())
    throw InputError(where() + "of tensor " + std::to_string(t.tensor) + " of " + std::to_string(tensors.size()));
  if (t.rows == 0 || t.row_bytes == 0) return;  // moves nothing
  const u64 last = t.offset + (t.rows - 1) * t.stride + t.row_bytes;
  if (last > tensors[t.tensor].bytes)
    throw InputError(where() + "ends at byte " + std::to_string(last) + " of tensor '" + tensors[t.tensor].name +
                     "' (" + std::to_string(tensors[t.tensor].bytes) + " B)");
}

struct Streamer {
  L2Model& l2;
  std::vector<u64> base;  // block-aligned base address of each tensor
  u64 block;
  void apply(const TileTransfer& t, unsigned side) {
    const u64 start = base[t.tensor] + t.offset;
    for (u64 r = 0; r < t.rows; ++r) {
      const u64 begin = start + r * t.stride, end = begin + t.row_bytes;
      for (u64 b = begin / block; b * block < end; ++b) {
        const u64 lo = std::max(begin, b * block) - b * block, hi = std::min(end, (b + 1) * block) - b * block;
        const auto s0 = static_cast<std::uint32_t>(lo / 32), s1 = static_cast<std::uint32_t>((hi - 1) / 32);
        const std::uint32_t mask = (s1 - s0 == 31 ? ~0u : ((1u << (s1 - s0 + 1)) - 1u)) << s0;
        l2.access({b, mask, t.tensor, t.write}, side);
      }
    }
  }
};

// An SM's L1 for plain global loads and stores: fully associative LRU over 128-byte lines with 32-byte
// sectors. A load hits when the line holds every requested sector; otherwise it fetches them from the L2
// and allocates the line. Stores write through: they update a line that is present and allocate none (the
// L1 does not allocate on a store miss).
class L1Lru {
 public:
  explicit L1Lru(u64 bytes) : lines_(std::max<u64>(1, bytes / 128)) {}
  /// true when the access must go on to the L2 (a load that misses; every store).
  bool access(u64 line, std::uint32_t mask, bool write) {
    auto it = map_.find(line);
    if (write) {
      if (it != map_.end()) it->second->valid |= mask;
      return true;
    }
    if (it != map_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      const bool hit = (it->second->valid & mask) == mask;
      it->second->valid |= mask;
      return !hit;
    }
    if (map_.size() == lines_) {
      map_.erase(order_.back().line);
      order_.pop_back();
    }
    order_.push_front({line, mask});
    map_[line] = order_.begin();
    return true;
  }

 private:
  struct Line {
    u64 line;
    std::uint32_t valid;
  };
  u64 lines_;
  std::list<Line> order_;  // front: most recently used
  std::unordered_map<u64, std::list<Line>::iterator> map_;
};

}  // namespace

KernelPrediction predict(const KernelShape& shape, const GpuSpec& spec, const ModelOptions& opts) {
  KernelPrediction p = predict(replay_kernel(shape), spec, opts);
  p.shape = shape;
  return p;
}

KernelPrediction predict(const KernelReplay& replay, const GpuSpec& spec, const ModelOptions& opts) {
  if (opts.block_bytes % 32 != 0 || opts.block_bytes == 0 || opts.block_bytes > 1024)
    throw InputError("GPU model: block size must be a multiple of 32 bytes, at most 1024");
  KernelPrediction p;

  // The GPU's L2 organisation, each field overridden by the options that are set.
  const L2Organisation& org = spec.l2;
  const std::uint32_t partitions = opts.l2_partitions.value_or(org.partitions);
  const std::uint32_t ways = opts.l2_ways.value_or(org.ways);
  cache::CacheConfig cfg;
  cfg.line_bytes = opts.block_bytes;
  cfg.sector_bytes = 32;
  cfg.ways = 0;
  cfg.capacity_bytes = opts.l2_capacity_bytes.value_or(spec.l2_effective_bytes) / opts.block_bytes * opts.block_bytes;
  cfg.dirty_limit_bytes = opts.l2_dirty_limit_bytes.value_or(
      static_cast<u64>(org.dirty_limit_fraction * static_cast<double>(spec.l2_bytes)));
  cfg.dirty_clean = opts.l2_dirty_clean.value_or(org.dirty_clean);
  if (partitions != 1 && partitions != 2)
    throw InputError("GPU model: the L2 has 1 or 2 partitions, not " + std::to_string(partitions));
  if (ways > 0) {
    cfg.ways = ways;
    cfg.set_index = opts.l2_set_index.value_or(org.set_index);
    // Each partition a whole number of sets: round the capacity down to (partitions x ways) blocks.
    const u64 unit = u64{partitions} * ways * opts.block_bytes;
    cfg.capacity_bytes = cfg.capacity_bytes / unit * unit;
  }
  if (cfg.capacity_bytes < u64{partitions} * std::max<u64>(1, cfg.ways) * opts.block_bytes)
    throw InputError("GPU model: L2 capacity " + std::to_string(cfg.capacity_bytes) +
                     " B is less than one set of blocks per partition");
  cfg.replacement = opts.l2_replacement.value_or(spec.l2_replacement);
  cfg.epsilon = opts.l2_epsilon.value_or(spec.l2_epsilon);
  std::vector<cache::TensorRange> ranges;
  std::vector<u64> base;
  u64 next = 0;
  for (const auto& t : replay.tensors) {
    ranges.push_back({t.name, next, t.bytes});
    base.push_back(next);
    next += (t.bytes + opts.block_bytes - 1) / opts.block_bytes * opts.block_bytes;
  }
  const L2Copies copies = opts.l2_copies.value_or(org.copies);
  const L2WriteCopies write_copies = opts.l2_write_copies.value_or(org.write_copies);
  const double copy_fraction = opts.l2_copy_fraction.value_or(org.copy_fraction);
  const bool parity = opts.l2_sides.value_or(org.sides) == L2Sides::parity;
  const u64 blocks = next / opts.block_bytes;
  auto make_l2 = [&] {
    return std::make_unique<L2Model>(cfg, ranges, partitions, copies, blocks, copy_fraction, write_copies);
  };
  std::unique_ptr<L2Model> l2_ptr = make_l2();
  const auto sms_total = static_cast<std::size_t>(spec.sms);
  auto side_of = [&](std::size_t sm) -> unsigned { return parity ? sm % 2 : (sm < sms_total / 2 ? 0 : 1); };

  for (const auto& launch : replay.launches) {
    if (opts.flush_l2_between_launches && &launch != &replay.launches.front())
      l2_ptr = make_l2();  // invalidated; its write-backs are nobody's
    L2Model& l2 = *l2_ptr;
    Streamer st{l2, base, opts.block_bytes};
    LaunchPrediction lp;
    lp.name = launch.name;
    lp.flops = launch.flops;
    const u64 dram_r0 = l2.hbm_read_bytes(), dram_w0 = l2.hbm_write_bytes(), fabric0 = l2.fabric_bytes();
    const u64 slots = std::min<u64>(launch.ctas, static_cast<u64>(spec.sms) * launch.ctas_per_sm);
    struct Slot {
      std::vector<TileTransfer> prog;
      std::size_t pos = 0;
      bool live = false;
      double start = 0;  // CtaPacing::age: the clock at which its CTA started
      std::uint64_t cta = 0;
    };
    std::vector<Slot> active(slots);
    // The SMs' L1s (slot k runs on SM k % sms), for launches with L1-cached transfers.
    std::vector<L1Lru> l1s;
    if (opts.l1 && launch.l1_bytes > 0) l1s.assign(static_cast<std::size_t>(spec.sms), L1Lru(launch.l1_bytes));
    // A transfer through SM `sm`'s L1: loads go on to the L2 only for the 128-byte lines they miss, stores
    // always (write-through); returns the bytes that crossed between the SM and the L2.
    auto through_l1 = [&](const TileTransfer& t, std::size_t sm) -> u64 {
      L1Lru& l1 = l1s[sm];
      const u64 start = base[t.tensor] + t.offset;
      u64 crossed = 0;
      for (u64 r = 0; r < t.rows; ++r) {
        const u64 begin = start + r * t.stride, end = begin + t.row_bytes;
        for (u64 b = begin / 128; b * 128 < end; ++b) {
          const u64 lo = std::max(begin, b * 128), hi = std::min(end, (b + 1) * 128);
          const auto s0 = static_cast<std::uint32_t>((lo - b * 128) / 32);
          const auto s1 = static_cast<std::uint32_t>((hi - 1 - b * 128) / 32);
          if (l1.access(b, ((1u << (s1 - s0 + 1)) - 1u) << s0, t.write)) {
            st.apply({t.tensor, t.write, lo - base[t.tensor], hi - lo, 1, hi - lo}, side_of(sm));
            crossed += hi - lo;
          }
        }
      }
      return crossed;
    };
    std::vector<u64> cta_bytes(launch.latency_chain ? launch.ctas : 0);  // bytes each CTA moves
    u64 next_cta = 0, live = 0;
    auto refill = [&](Slot& s) {
      s.prog.clear();
      s.pos = 0;
      s.live = false;
      while (next_cta < launch.ctas && s.prog.empty()) {
        launch.program(next_cta, s.prog);
        for (const auto& t : s.prog) check_transfer(t, replay.tensors, launch.name, next_cta);
        if (launch.latency_chain)
          for (const auto& t : s.prog) cta_bytes[next_cta] += t.bytes();
        s.cta = next_cta;
        ++next_cta;
      }
      if (!s.prog.empty()) {
        s.live = true;
        ++live;
      }
    };
    // Slot k's next transfer.
    auto issue = [&](std::size_t k) {
      Slot& s = active[k];
      const TileTransfer& t = s.prog[s.pos++];
      if (t.l1 && !l1s.empty()) {
        (t.write ? lp.sram_write_bytes : lp.sram_read_bytes) += through_l1(t, k % sms_total);
      } else {
        st.apply(t, side_of(k % sms_total));
        (t.write ? lp.sram_write_bytes : lp.sram_read_bytes) += t.bytes();
      }
    };
    for (auto& s : active) refill(s);
    const std::vector<double>& rates = spec.cta_age_rates(launch.name, launch.ctas_per_sm);
    if (opts.cta_pacing == ModelOptions::CtaPacing::lockstep || rates.empty()) {
      while (live > 0) {
        for (std::size_t k = 0; k < active.size(); ++k) {
          Slot& s = active[k];
          if (!s.live) continue;
          issue(k);
          if (s.pos == s.prog.size()) {
            --live;
            refill(s);
          }
        }
      }
    } else {
      // Timed by age (ModelOptions::CtaPacing::age). Slot k runs on SM k % sms with slots k % sms + i x sms.
      // The clock advance of slot k's next transfer: 1 / share, share = n x rate(rank) / (sum of the n rates).
      auto step = [&](std::size_t k) {
        std::size_t rank = 0, n = 0;
        const Slot& me = active[k];
        double sum = 0;
        for (std::size_t i = k % sms_total; i < active.size(); i += sms_total) {
          const Slot& o = active[i];
          if (!o.live) continue;
          ++n;
          if (i != k && (o.start < me.start || (o.start == me.start && o.cta < me.cta))) ++rank;
        }
        for (std::size_t r = 0; r < n; ++r) sum += rates[std::min(r, rates.size() - 1)];
        return sum / (static_cast<double>(n) * rates[std::min(rank, rates.size() - 1)]);
      };
      using Event = std::pair<double, std::size_t>;  // (clock, slot)
      std::priority_queue<Event, std::vector<Event>, std::greater<>> ready;
      for (std::size_t k = 0; k < active.size(); ++k)
        if (active[k].live) ready.emplace(0.0, k);
      while (!ready.empty()) {
        auto [clock, k] = ready.top();
        ready.pop();
        Slot& s = active[k];
        issue(k);
        clock += step(k);
        if (s.pos == s.prog.size()) {
          --live;
          refill(s);
          s.start = clock;
        }
        if (s.live) ready.emplace(clock, k);
      }
    }
    lp.dram_read_bytes = l2.hbm_read_bytes() - dram_r0;
    lp.dram_write_bytes = l2.hbm_write_bytes() - dram_w0;
    lp.fabric_bytes = l2.fabric_bytes() - fabric0;
    // Compute: CTAs go, in dispatch order, to the SM with the least work so far
    // (list scheduling); an SM runs matrix products at 1/sms of the kernel's
    // matrix ceiling and exponentials at 1/sms of the special-function rate, one
    // after the other (FlashAttention-2 does not overlap softmax with the GEMMs).
    const double mma =
        launch.engine == LaunchReplay::MatrixEngine::mma_sync ? spec.mma_sync_flops : spec.cublas_flops;
    const double per_sm_flops = mma / spec.sms, per_sm_exps = spec.sfu_exps_per_s / spec.sms;
    // Two bounds. (a) Per SM: CTAs go, in dispatch order, to the SM with the least work (list scheduling),
    // which runs them at its full rate. (b) Per CTA: a CTA gets at most 1/k of its SM, k = the CTAs per SM
    // the launch keeps resident (min(ctas_per_sm, ceil(ctas / SMs))): the kernels are sized so that k CTAs
    // together fill an SM (their warps hide each other's latencies), so one CTA left alone in a causal tail
    // does not speed up to the whole SM. CTAs go to the least loaded of the SMs x k slots.
    const std::uint64_t cps = launch.ctas_per_sm, sms_u = static_cast<u64>(spec.sms);
    const u64 k_res = std::max<u64>(1, std::min<u64>(cps, (launch.ctas + sms_u - 1) / sms_u));
    std::vector<double> sm_time(static_cast<std::size_t>(spec.sms), 0.0);
    std::vector<double> slot_time(static_cast<std::size_t>(sms_u * k_res), 0.0);
    for (u64 c = 0; c < launch.ctas; ++c) {
      const auto [f, e] = launch.work(c);
      const double own = f / per_sm_flops + e / per_sm_exps;  // at the whole SM's rates
      double lat = 0;
      // A latency-chained CTA occupies one of the SM's resident slots for its chain.
      if (launch.latency_chain)
        lat += spec.cta_chain_latency_s + static_cast<double>(cta_bytes[c]) / spec.cta_stream_bytes_per_s;
      // Serial steps: latency and L2 round trip of each dependent step, not overlapped with the CTA's
      // own compute; the SM's other resident CTAs compute meanwhile (hence / ctas_per_sm in (a)).
      if (launch.serial) {
        const auto st = launch.serial(c);
        lat += spec.serial_cta_latency_s + st.steps * spec.serial_step_latency_s +
               st.bytes / (spec.l2_bytes_per_s / spec.sms);
      }
      *std::min_element(sm_time.begin(), sm_time.end()) += own + lat / static_cast<double>(cps);
      *std::min_element(slot_time.begin(), slot_time.end()) += own * static_cast<double>(k_res) + lat;
    }
    const double t_compute = std::max(*std::max_element(sm_time.begin(), sm_time.end()),
                                      *std::max_element(slot_time.begin(), slot_time.end()));
    // DRAM: bytes over the copy ceiling, and no faster than the writes' own ceiling.
    const double t_dram = std::max(static_cast<double>(lp.dram_read_bytes + lp.dram_write_bytes) / spec.dram_bytes_per_s,
                                   static_cast<double>(lp.dram_write_bytes) / spec.dram_write_bytes_per_s);
    const double t_l2 = static_cast<double>(lp.sram_read_bytes + lp.sram_write_bytes) / spec.l2_bytes_per_s;
    const double body = std::max({t_compute, t_dram, t_l2});
    lp.bound_by = body == t_compute && t_compute > 0 ? (launch.latency_chain || launch.serial ? "latency" : "compute")
                  : body == t_dram                       ? "dram"
                                                         : "l2";
    lp.time_s = body + spec.launch_overhead_s;
    p.sram_read_bytes += lp.sram_read_bytes;
    p.sram_write_bytes += lp.sram_write_bytes;
    p.dram_read_bytes += lp.dram_read_bytes;
    p.dram_write_bytes += lp.dram_write_bytes;
    p.fabric_bytes += lp.fabric_bytes;
    p.time_s += lp.time_s;
    p.launches.push_back(std::move(lp));
  }
  return p;
}

}  // namespace iolab::sim::gpu
