#include "iolab/proofs/solver.hpp"

#include <bit>
#include <chrono>
#include <deque>
#include <limits>
#include <queue>
#include <unordered_map>

#include "iolab/sim/errors.hpp"

namespace iolab::proofs {
namespace {

using mask = std::uint64_t;

inline mask bit(unsigned v) { return mask{1} << v; }

struct Packed {
  unsigned n = 0;
  std::vector<mask> pred, anc;
  mask inputs = 0, outputs = 0;
};

Packed pack(const Cdag& g, unsigned limit) {
  if (g.size() > limit)
    throw sim::InputError("the exact solver handles at most " + std::to_string(limit) + " vertices; '" + g.title() +
                          "' has " + std::to_string(g.size()));
  Packed p;
  p.n = static_cast<unsigned>(g.size());
  p.pred.assign(p.n, 0);
  p.anc.assign(p.n, 0);
  for (Vertex v = 0; v < p.n; ++v) {
    for (Vertex u : g.preds(v)) p.pred[v] |= bit(static_cast<unsigned>(u));
    if (g.is_input(v)) p.inputs |= bit(static_cast<unsigned>(v));
    if (g.is_output(v)) p.outputs |= bit(static_cast<unsigned>(v));
  }
  for (Vertex v : g.topological_order()) {
    mask a = bit(static_cast<unsigned>(v));
    for (Vertex u : g.preds(v)) a |= p.anc[u];
    p.anc[v] = a;
  }
  return p;
}

struct Key {
  mask R, B, C;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept {
    std::uint64_t h = k.R * 0x9E3779B97F4A7C15ull;
    h ^= (k.B + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
    h ^= (k.C + 0x165667B19E3779F9ull) * 0xD6E8FEB86659FD93ull;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

template <class F>
inline void for_bits(mask m, F&& f) {
  while (m) {
    const unsigned v = static_cast<unsigned>(std::countr_zero(m));
    m &= m - 1;
    f(v);
  }
}

class Astar {
 public:
  Astar(const Packed& p, std::size_t M, Game game) : p_(p), M_(M), one_shot_(game == Game::one_shot) {}

  mask relevant(mask B) const {
    mask rel = 0;
    for_bits(p_.outputs & ~B, [&](unsigned o) { rel |= p_.anc[o]; });
    return rel;
  }

  Key canonical(Key k) const {
    const mask rel = relevant(k.B);
    k.R &= rel;
    k.B &= rel | p_.outputs;
    k.C &= rel;
    return k;
  }

  static constexpr int kInf = std::numeric_limits<int>::max() / 4;

  int heuristic(const Key& k) const { return one_shot_ ? frontier_heuristic(k) : cut_heuristic(k); }

  /// Recomputation game: |U| + a minimum vertex cut, in the graph of vertices
  /// without a red pebble, between the inputs and the unfinished outputs U,
  /// where only inputs and blue vertices may be cut (capacity 1; the others
  /// must be computed again and cannot be cut). Every future game loads at
  /// least one cuttable vertex on each input-to-output path (proofs/pebbling.md).
  int cut_heuristic(const Key& k) const {
    const mask U = p_.outputs & ~k.B;
    // Active vertices: reached backwards from U through non-red vertices.
    mask active = U, frontier = U;
    while (frontier) {
      mask next = 0;
      for_bits(frontier, [&](unsigned x) { next |= p_.pred[x]; });
      next &= ~k.R & ~active;
      active |= next;
      frontier = next & ~p_.inputs;
    }
    const mask sources = active & p_.inputs;
    if (!sources) return std::popcount(U);
    // Local ids; node 2i = in, 2i+1 = out, S = 2m, T = 2m+1.
    int local[64];
    unsigned verts[64];
    int m = 0;
    for_bits(active, [&](unsigned v) {
      local[v] = m;
      verts[m++] = v;
    });
    const int S = 2 * m, T = 2 * m + 1, nn = 2 * m + 2;
    constexpr int INF = 1 << 20;
    // Forward-star residual graph in reused buffers (no allocation per call).
    thread_local std::vector<int> head, nxt, to, cap, prev_edge, queue;
    head.assign(static_cast<std::size_t>(nn), -1);
    nxt.clear();
    to.clear();
    cap.clear();
    auto add_edge = [&](int a, int b, int c) {
      to.push_back(b), cap.push_back(c), nxt.push_back(head[a]), head[a] = static_cast<int>(to.size()) - 1;
      to.push_back(a), cap.push_back(0), nxt.push_back(head[b]), head[b] = static_cast<int>(to.size()) - 1;
    };
    for (int i = 0; i < m; ++i) {
      const unsigned v = verts[i];
      const bool cuttable = (p_.inputs | k.B) & bit(v);
      add_edge(2 * i, 2 * i + 1, cuttable ? 1 : INF);
      if (p_.inputs & bit(v)) add_edge(S, 2 * i, INF);
      if (U & bit(v)) add_edge(2 * i + 1, T, INF);
      if (!(p_.inputs & bit(v))) for_bits(p_.pred[v] & active, [&](unsigned u) { add_edge(2 * local[u] + 1, 2 * i, INF); });
    }
    int flow = 0;
    prev_edge.resize(static_cast<std::size_t>(nn));
    queue.resize(static_cast<std::size_t>(nn));
    for (;;) {
      std::fill(prev_edge.begin(), prev_edge.end(), -1);
      int qh = 0, qt = 0;
      queue[qt++] = S;
      prev_edge[S] = -2;
      while (qh < qt && prev_edge[T] == -1) {
        const int a = queue[qh++];
        for (int e = head[a]; e >= 0; e = nxt[e])
          if (cap[e] > 0 && prev_edge[to[e]] == -1) {
            prev_edge[to[e]] = e;
            queue[qt++] = to[e];
          }
      }
      if (prev_edge[T] == -1) break;
      int push = INF;
      for (int x = T; x != S; x = to[prev_edge[x] ^ 1]) push = std::min(push, cap[prev_edge[x]]);
      for (int x = T; x != S; x = to[prev_edge[x] ^ 1]) {
        cap[prev_edge[x]] -= push;
        cap[prev_edge[x] ^ 1] += push;
      }
      flow += push;
      if (flow >= INF) return kInf;  // cannot happen: every path starts at an input of capacity 1
    }
    return std::popcount(U) + flow;
  }

  /// One-shot game: |U| + every input or stored vertex reached backwards from U
  /// through vertices with neither pebble (each must be loaded: it cannot be
  /// computed again); a needed vertex computed before and now lost is a dead end.
  int frontier_heuristic(const Key& k) const {
    const mask U = p_.outputs & ~k.B;
    int need = std::popcount(U);
    mask visited = U, frontier = U;
    while (frontier) {
      mask next = 0;
      for_bits(frontier, [&](unsigned x) { next |= p_.pred[x]; });
      next &= ~visited;
      visited |= next;
      next &= ~k.R;
      const mask must_load = next & (p_.inputs | (one_shot_ ? k.B : 0));
      need += std::popcount(must_load);
      next &= ~(p_.inputs | k.B);  // these must be computed in the future
      if (one_shot_ && (next & k.C)) return kInf;  // needed again, lost for good
      frontier = next;
    }
    return need;
  }

  struct MacroMove {
    std::int8_t victim = -1;   ///< evicted vertex or -1
    bool victim_stored = false;
    std::uint8_t v = 0;
    bool load = false;         ///< load (else compute)
  };

  struct Node {
    Key key;
    int g;
    int h;
    std::int32_t parent;
    MacroMove mv;
    bool closed = false;
  };

  SolveResult run(const SolveOptions& opt) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    SolveResult res;
    const Key start = canonical({0, p_.inputs, 0});
    // f, then -g, then the number of relevant vertices with neither pebble
    // (ties on a zero-cost plateau go to the configuration with more done).
    using Entry = std::tuple<int, int, int, std::int32_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
    auto add = [&](const Key& k, int g, std::int32_t parent, MacroMove mv) {
      auto it = index_.find(k);
      int h;
      if (it == index_.end()) {
        h = heuristic(k);
        if (h >= kInf) return;
        it = index_.emplace(k, static_cast<std::int32_t>(nodes_.size())).first;
        nodes_.push_back({k, g, h, parent, mv, false});
      } else {
        Node& n = nodes_[it->second];
        if (g >= n.g) return;
        h = n.h;
        n.g = g;
        n.parent = parent;
        n.mv = mv;
        n.closed = false;
      }
      open.emplace(g + h, -g, std::popcount(relevant(k.B) & ~k.R & ~k.B), it->second);
    };
    add(start, 0, -1, {});
    std::int32_t goal = -1;
    while (!open.empty()) {
      const auto [f, ng, todo, idx] = open.top();
      open.pop();
      if (nodes_[idx].closed || -ng != nodes_[idx].g) continue;
      nodes_[idx].closed = true;
      const Key k = nodes_[idx].key;
      const int g = nodes_[idx].g;
      if ((p_.outputs & ~k.B) == 0) {
        goal = idx;
        break;
      }
      ++res.expanded;
      if ((res.expanded & 4095) == 0) {
        const double s = std::chrono::duration<double>(clock::now() - t0).count();
        if (s > opt.time_limit_s) {
          res.gave_up_reason = "time limit of " + std::to_string(opt.time_limit_s) + " s reached";
          break;
        }
      }
      if (nodes_.size() > opt.max_states) {
        res.gave_up_reason = "more than " + std::to_string(opt.max_states) + " configurations";
        break;
      }
      expand(k, g, idx, add);
    }
    res.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    res.stored = nodes_.size();
    if (goal < 0) {
      if (res.gave_up_reason.empty()) res.infeasible = true;
      return res;
    }
    res.solved = true;
    res.min_io = static_cast<std::uint64_t>(nodes_[goal].g);
    std::vector<MacroMove> path;
    for (std::int32_t i = goal; nodes_[i].parent >= 0; i = nodes_[i].parent) path.push_back(nodes_[i].mv);
    res.moves = replay({path.rbegin(), path.rend()});
    return res;
  }

 private:
  template <class Add>
  void expand(const Key& k, int g, std::int32_t idx, Add& add) {
    const mask rel = relevant(k.B);
    const std::size_t r = static_cast<std::size_t>(std::popcount(k.R));
    mask candidates = rel & ~k.R;
    // Forced move: an unfinished output whose predecessors are all red, with a
    // free pebble, is computed and stored now (its store is paid in every
    // completion, and its red pebble is gone right after; proofs/pebbling.md).
    if (r < M_) {
      const mask U = p_.outputs & ~k.B;
      for_bits(U, [&](unsigned o) {
        if ((p_.pred[o] & ~k.R) == 0 && !(p_.inputs & bit(o)) && candidates != bit(o) &&
            (candidates & bit(o)))
          candidates = bit(o);
      });
    }
    for_bits(candidates, [&](unsigned v) {
      const bool is_out = p_.outputs & bit(v);
      const bool can_compute =
          !(p_.inputs & bit(v)) && (p_.pred[v] & ~k.R) == 0 && !(one_shot_ && (k.C & bit(v)));
      // With a free pebble, computing (cost 0) dominates loading the same
      // vertex; with M pebbles placed it does not (a compute must keep its
      // predecessors red, so fewer victims are allowed).
      const bool can_load = (k.B & bit(v)) && !(can_compute && !one_shot_ && r < M_);
      for (int how = 0; how < 2; ++how) {
        const bool load = how == 0;
        if (load ? !can_load : !can_compute) continue;
        auto emit = [&](int victim, bool stored) {
          Key n = k;
          int cost = load ? 1 : 0;
          if (victim >= 0) {
            n.R &= ~bit(static_cast<unsigned>(victim));
            if (stored) {
              n.B |= bit(static_cast<unsigned>(victim));
              ++cost;
            }
          }
          if (!load && one_shot_) n.C |= bit(v);
          if (is_out) {
            n.B |= bit(v);
            ++cost;
          } else {
            n.R |= bit(v);
          }
          MacroMove mv;
          mv.victim = static_cast<std::int8_t>(victim);
          mv.victim_stored = stored;
          mv.v = static_cast<std::uint8_t>(v);
          mv.load = load;
          add(canonical(n), g + cost, idx, mv);
        };
        if (r < M_) {
          emit(-1, false);
          continue;
        }
        const mask victims = k.R & ~(load ? mask{0} : p_.pred[v]);
        for_bits(victims, [&](unsigned u) {
          emit(static_cast<int>(u), false);
          if (!(k.B & bit(u))) emit(static_cast<int>(u), true);
        });
      }
    });
  }

  /// Turns macro moves into primitive moves on the real (non-canonical) game.
  std::vector<Move> replay(const std::vector<MacroMove>& path) const {
    std::vector<Move> out;
    mask R = 0, B = p_.inputs;
    auto drop_irrelevant = [&] {
      const mask rel = relevant(B);
      for_bits(R & ~rel, [&](unsigned u) { out.push_back({Op::remove, u}); });
      R &= rel;
    };
    drop_irrelevant();
    for (const MacroMove& m : path) {
      if (m.victim >= 0) {
        const unsigned u = static_cast<unsigned>(m.victim);
        if (m.victim_stored) {
          out.push_back({Op::store, u});
          B |= bit(u);
        }
        out.push_back({Op::remove, u});
        R &= ~bit(u);
      }
      out.push_back({m.load ? Op::load : Op::compute, m.v});
      R |= bit(m.v);
      if (p_.outputs & bit(m.v)) {
        out.push_back({Op::store, m.v});
        B |= bit(m.v);
        out.push_back({Op::remove, m.v});
        R &= ~bit(m.v);
      }
      drop_irrelevant();
    }
    return out;
  }

  const Packed& p_;
  std::size_t M_;
  bool one_shot_;
  std::vector<Node> nodes_;
  std::unordered_map<Key, std::int32_t, KeyHash> index_;
};

}  // namespace

SolveResult solve(const Cdag& g, std::size_t M, Game game, const SolveOptions& opt) {
  require_playable(g, M);
  const Packed p = pack(g, 64);
  Astar a(p, M, game);
  return a.run(opt);
}

std::optional<std::uint64_t> brute_force(const Cdag& g, std::size_t M, Game game, std::uint64_t max_states) {
  const Packed p = pack(g, 20);
  const bool one_shot = game == Game::one_shot;
  auto enc = [](mask R, mask B, mask C) { return Key{R, B, C}; };
  std::unordered_map<Key, std::uint64_t, KeyHash> dist;
  std::deque<std::pair<Key, std::uint64_t>> dq;
  const Key s = enc(0, p.inputs, 0);
  dist[s] = 0;
  dq.push_back({s, 0});
  while (!dq.empty()) {
    auto [k, d] = dq.front();
    dq.pop_front();
    if (dist[k] != d) continue;
    if ((p.outputs & ~k.B) == 0) return d;
    if (dist.size() > max_states) throw std::runtime_error("brute_force: state limit exceeded");
    const std::size_t r = static_cast<std::size_t>(std::popcount(k.R));
    auto relax = [&](const Key& n, std::uint64_t nd, bool zero) {
      auto it = dist.find(n);
      if (it != dist.end() && it->second <= nd) return;
      dist[n] = nd;
      if (zero)
        dq.push_front({n, nd});
      else
        dq.push_back({n, nd});
    };
    for (unsigned v = 0; v < p.n; ++v) {
      const mask b = bit(v);
      if (k.R & b) {
        relax(enc(k.R & ~b, k.B, k.C), d, true);                       // delete
        if (!(k.B & b)) relax(enc(k.R, k.B | b, k.C), d + 1, false);  // store
      } else if (r < M) {
        if (k.B & b) relax(enc(k.R | b, k.B, k.C), d + 1, false);  // load
        if (!(p.inputs & b) && (p.pred[v] & ~k.R) == 0 && !(one_shot && (k.C & b)))
          relax(enc(k.R | b, k.B, one_shot ? (k.C | b) : 0), d, true);  // compute
      }
    }
  }
  return std::nullopt;
}

}  // namespace iolab::proofs
