#include "iolab/proofs/schedule_converter.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "iolab/sim/attention/algorithm.hpp"
#include "iolab/sim/attention/simulate.hpp"
#include "iolab/sim/attention/tiled_gemm.hpp"
#include "iolab/sim/errors.hpp"
#include "iolab/sim/hbm_tensor.hpp"
#include "iolab/sim/sram.hpp"

namespace iolab::proofs {

using sim::InputError;

void ScheduleRecorder::on_transfer(const sim::TransferEvent& e) {
  events_.push_back({e.direction == sim::Direction::load ? RecordedTransfer::Kind::load : RecordedTransfer::Kind::store,
                     e.tensor->name(), e.tile->id(), e.row0, e.rows, e.col0, e.cols});
}

void ScheduleRecorder::on_sram_free(const sim::SramTile& t, sim::count_t) {
  events_.push_back({RecordedTransfer::Kind::free, {}, t.id()});
}

Cdag cdag_for_schedule(const std::string& algo, int N, int d) {
  if (algo == "flash1") return attention_online(N, d);
  if (algo == "standard") return attention_textbook(N, d);
  throw InputError("schedule conversion supports flash1 and standard, not '" + algo + "'");
}

namespace {

class Converter {
 public:
  Converter(const Cdag& g, const std::string& algo) : g_(g), algo_(algo), red_(g.size(), 0), blue_(g.size(), 0) {
    for (Vertex v = 0; v < g.size(); ++v) blue_[v] = g.is_input(v);
  }

  ConvertedSchedule run(const std::vector<RecordedTransfer>& ev) {
    ConvertedSchedule out;
    for (std::size_t i = 0; i < ev.size();) {
      const auto& e = ev[i];
      if (e.kind == RecordedTransfer::Kind::free) {
        tiles_.erase(e.tile_id);
        drop_unheld();
        ++i;
      } else if (e.kind == RecordedTransfer::Kind::load) {
        out.sim_transfer_elems += static_cast<std::uint64_t>(e.rows * e.cols);
        load(e, out);
        ++i;
      } else {
        std::size_t j = i;
        while (j < ev.size() && ev[j].kind == RecordedTransfer::Kind::store) {
          out.sim_transfer_elems += static_cast<std::uint64_t>(ev[j].rows * ev[j].cols);
          ++j;
        }
        store_run(ev, i, j, out);
        i = j;
      }
    }
    out.moves = std::move(moves_);
    return out;
  }

 private:
  std::optional<Vertex> resolve(const RecordedTransfer& e, std::int64_t r, std::int64_t c) const {
    try {
      return resolve_name(e, r, c);
    } catch (const std::out_of_range& x) {
      throw InputError("cannot convert the " + algo_ + " schedule onto '" + g_.title() + "': " + x.what());
    }
  }

  std::optional<Vertex> resolve_name(const RecordedTransfer& e, std::int64_t r, std::int64_t c) const {
    const std::string rc = std::to_string(r) + "_" + std::to_string(c);
    if (e.tensor == "Q") return g_.at("q_" + rc);
    if (e.tensor == "K") return g_.at("k_" + rc);
    if (e.tensor == "V") return g_.at("v_" + rc);
    if (algo_ == "standard") {
      if (e.tensor == "S") return g_.at("s_" + rc);
      if (e.tensor == "P") return g_.at("p_" + rc);
      if (e.tensor == "O") return g_.at("o_" + rc);
    } else if (algo_ == "flash1") {
      if (kj_ < 0) return std::nullopt;  // line 2: the initial O = 0, l = 0, m = -inf
      const std::int64_t j = e.kind == RecordedTransfer::Kind::load ? kj_ - 1 : kj_;
      if (j < 0) return std::nullopt;  // first step reads those constants
      const std::string rj = std::to_string(r) + "_" + std::to_string(j);
      if (e.tensor == "O") return g_.at("o_" + rj + "_" + std::to_string(c));
      if (e.tensor == "l") return g_.at("l_" + rj);
      if (e.tensor == "m") return g_.at("m_" + rj);
    }
    throw InputError("cannot convert the " + algo_ + " schedule: no CDAG vertex for tensor '" + e.tensor + "'");
  }

  std::vector<Vertex> resolve_all(const RecordedTransfer& e, ConvertedSchedule& out) const {
    std::vector<Vertex> vs;
    for (std::int64_t r = e.row0; r < e.row0 + e.rows; ++r)
      for (std::int64_t c = e.col0; c < e.col0 + e.cols; ++c) {
        if (auto v = resolve(e, r, c))
          vs.push_back(*v);
        else
          ++out.constant_elems;
      }
    return vs;
  }

  bool held(Vertex v) const {
    for (const auto& [id, vs] : tiles_)
      if (std::find(vs.begin(), vs.end(), v) != vs.end()) return true;
    return false;
  }

  void emit(Op op, Vertex v) {
    moves_.push_back({op, v});
    if (op == Op::load || op == Op::compute) red_[v] = 1;
    if (op == Op::remove) red_[v] = 0;
    if (op == Op::store) blue_[v] = 1;
  }

  void drop_unheld() {
    for (Vertex v = 0; v < g_.size(); ++v)
      if (red_[v] && !held(v)) emit(Op::remove, v);
  }

  void load(const RecordedTransfer& e, ConvertedSchedule& out) {
    if (algo_ == "flash1" && e.tensor == "K") {
      if (e.rows != 1) throw InputError("flash1 conversion needs B_c = 1 (one key per step)");
      kj_ = e.row0;
    }
    const std::vector<Vertex> vs = resolve_all(e, out);
    tiles_[e.tile_id] = vs;
    drop_unheld();
    for (Vertex v : vs) {
      if (red_[v]) {
        ++out.elided_loads;
        continue;
      }
      if (!blue_[v])
        throw InputError("cannot convert the " + algo_ + " schedule: it loads " + g_.name(v) +
                         " before storing it");
      emit(Op::load, v);
    }
  }

  void store_run(const std::vector<RecordedTransfer>& ev, std::size_t i0, std::size_t i1, ConvertedSchedule& out) {
    std::vector<std::vector<Vertex>> targets;
    std::set<Vertex> target_set;
    for (std::size_t i = i0; i < i1; ++i) {
      targets.push_back(resolve_all(ev[i], out));
      target_set.insert(targets.back().begin(), targets.back().end());
    }
    // Depth-first order of the vertices to compute.
    std::vector<Vertex> order;
    std::set<Vertex> in_order;
    std::vector<std::pair<Vertex, std::size_t>> stack;
    for (const auto& ts : targets)
      for (Vertex t : ts) {
        if (red_[t] || in_order.count(t)) continue;
        stack.push_back({t, 0});
        while (!stack.empty()) {
          auto& [v, next] = stack.back();
          const auto ps = g_.preds(v);
          if (next < ps.size()) {
            const Vertex p = ps[next++];
            if (red_[p] || in_order.count(p)) continue;
            if (g_.is_input(p))
              throw InputError("cannot convert the " + algo_ + " schedule: " + g_.name(t) + " is stored while input " +
                               g_.name(p) + " is not in SRAM");
            stack.push_back({p, 0});
          } else {
            if (g_.is_input(v))
              throw InputError("cannot convert the " + algo_ + " schedule: input " + g_.name(v) + " is not in SRAM");
            order.push_back(v);
            in_order.insert(v);
            stack.pop_back();
          }
        }
      }
    std::map<Vertex, std::size_t> uses;
    for (Vertex v : order)
      for (Vertex p : g_.preds(v)) ++uses[p];
    for (Vertex v : order) {
      emit(Op::compute, v);
      for (Vertex p : g_.preds(v))
        if (--uses[p] == 0 && in_order.count(p) && !target_set.count(p) && red_[p]) emit(Op::remove, p);
    }
    for (std::size_t i = i0; i < i1; ++i) {
      for (Vertex t : targets[i - i0]) emit(Op::store, t);
      tiles_[ev[i].tile_id] = targets[i - i0];
    }
    drop_unheld();
  }

  const Cdag& g_;
  std::string algo_;
  std::vector<char> red_, blue_;
  std::map<std::uint64_t, std::vector<Vertex>> tiles_;
  std::vector<Move> moves_;
  std::int64_t kj_ = -1;
};

}  // namespace

ConvertedSchedule convert_events(const Cdag& g, const std::string& algo, int N, int d,
                                 const std::vector<RecordedTransfer>& events) {
  if (algo != "flash1" && algo != "standard")
    throw InputError("schedule conversion supports flash1 and standard, not '" + algo + "'");
  Converter c(g, algo);
  ConvertedSchedule out = c.run(events);
  out.algo = algo;
  out.N = N;
  out.d = d;
  const CheckResult unbounded = check(g, g.size() + 1, Game::hong_kung, out.moves);
  if (!unbounded.ok) throw InputError("converted " + algo + " schedule is not a legal game: " + unbounded.error);
  out.peak_red = unbounded.peak_red;
  out.check = check(g, out.peak_red, Game::one_shot, out.moves);
  out.game = Game::one_shot;
  if (!out.check.ok) {
    out.game = Game::hong_kung;
    out.check = check(g, out.peak_red, Game::hong_kung, out.moves);
  }
  return out;
}

ConvertedSchedule convert_schedule(const Cdag& g, const std::string& algo, int N, int d, std::uint64_t sim_M) {
  sim::AttentionProblem p;
  p.algo = algo;
  p.N = N;
  p.d = d;
  p.dtype = sim::DType::fp32;
  if (algo == "flash1") {
    p.br = 1;
    p.bc = 1;
    p.M = sim_M ? sim_M : sim::flash1_working_set(1, 1, d);
  } else if (algo == "standard") {
    const std::int64_t big = std::max(N, d);
    p.M = sim_M ? sim_M : std::max<std::uint64_t>(3 * static_cast<std::uint64_t>(big * big), N + 2);
  } else {
    throw InputError("schedule conversion supports flash1 and standard, not '" + algo + "'");
  }
  const sim::Plan plan = sim::algorithm(algo).plan(p);
  if (algo == "standard") {
    if (plan.gemm_tile < std::max<std::int64_t>(N, d) || plan.softmax_passes != 1)
      throw InputError("standard conversion needs whole-matrix GEMM tiles and one softmax pass: M >= 3 max(N,d)^2 = " +
                       std::to_string(3 * std::max(N, d) * std::max(N, d)) + " elements");
  }
  ScheduleRecorder rec;
  sim::SimOptions so;
  so.mode = sim::Mode::count_only;
  so.observer = &rec;
  const sim::SimResult r = sim::simulate_plan(plan, so);
  ConvertedSchedule out = convert_events(g, algo, N, d, rec.events());
  out.sim_M_elems = p.M;
  if (out.sim_transfer_elems != r.reads_elems + r.writes_elems)
    throw std::logic_error("recorded transfers disagree with the simulator's counts");
  return out;
}

}  // namespace iolab::proofs
