#include "iolab/proofs/pebbling.hpp"

#include <sstream>

#include "iolab/sim/errors.hpp"

namespace iolab::proofs {

std::string_view name_of(Game g) { return g == Game::hong_kung ? "hong-kung" : "one-shot"; }

std::string describe(Game g) {
  return g == Game::hong_kung ? "Hong-Kung red-blue pebbling, recomputation allowed"
                              : "one-shot red-blue pebbling, each vertex computed at most once";
}

std::string_view name_of(Op o) {
  switch (o) {
    case Op::load: return "load";
    case Op::store: return "store";
    case Op::compute: return "compute";
    case Op::remove: return "delete";
  }
  return "?";
}

void require_playable(const Cdag& g, std::size_t M) {
  const std::size_t need = g.max_in_degree() + 1;
  if (M < need)
    throw sim::InputError("M = " + std::to_string(M) + " red pebbles cannot compute '" + g.title() +
                          "': a vertex of in-degree " + std::to_string(need - 1) + " needs M >= " +
                          std::to_string(need));
}

CheckResult check(const Cdag& g, std::size_t M, Game game, const std::vector<Move>& moves) {
  CheckResult r;
  const std::size_t n = g.size();
  std::vector<char> red(n, 0), blue(n, 0), computed(n, 0);
  for (Vertex v = 0; v < n; ++v) blue[v] = g.is_input(v);
  std::size_t nred = 0;
  auto fail = [&](std::size_t i, const std::string& why) {
    r.ok = false;
    r.failed_at = i;
    r.error = "move " + std::to_string(i + 1) + " (" + std::string(name_of(moves[i].op)) + " " +
              (moves[i].v < n ? g.name(moves[i].v) : std::string("?")) + "): " + why;
    return r;
  };
  for (std::size_t i = 0; i < moves.size(); ++i) {
    const Move& m = moves[i];
    if (m.v >= n) return fail(i, "no such vertex");
    const Vertex v = m.v;
    switch (m.op) {
      case Op::load:
        if (!blue[v]) return fail(i, "vertex carries no blue pebble");
        if (red[v]) return fail(i, "vertex already carries a red pebble");
        if (nred >= M) return fail(i, "would exceed M = " + std::to_string(M) + " red pebbles");
        red[v] = 1;
        ++nred;
        ++r.loads;
        break;
      case Op::store:
        if (!red[v]) return fail(i, "vertex carries no red pebble");
        blue[v] = 1;
        ++r.stores;
        break;
      case Op::compute: {
        if (g.is_input(v)) return fail(i, "inputs cannot be computed, only loaded");
        if (red[v]) return fail(i, "vertex already carries a red pebble");
        for (Vertex p : g.preds(v))
          if (!red[p]) return fail(i, "predecessor " + g.name(p) + " carries no red pebble");
        if (game == Game::one_shot && computed[v]) return fail(i, "recomputation is not allowed in the one-shot game");
        if (nred >= M) return fail(i, "would exceed M = " + std::to_string(M) + " red pebbles");
        red[v] = 1;
        computed[v] = 1;
        ++nred;
        ++r.computes;
        break;
      }
      case Op::remove:
        if (!red[v]) return fail(i, "vertex carries no red pebble");
        red[v] = 0;
        --nred;
        ++r.deletes;
        break;
    }
    r.peak_red = std::max(r.peak_red, nred);
  }
  for (Vertex v = 0; v < n; ++v)
    if (g.is_output(v) && !blue[v]) {
      r.ok = false;
      r.failed_at = moves.size();
      r.error = "output " + g.name(v) + " never stored (no blue pebble at the end)";
      return r;
    }
  r.ok = true;
  return r;
}

std::string format_moves(const Cdag& g, const std::vector<Move>& moves) {
  std::string s;
  for (const Move& m : moves) {
    s += name_of(m.op);
    s += ' ';
    s += g.name(m.v);
    s += '\n';
  }
  return s;
}

std::string moves_csv(const Cdag& g, const std::vector<Move>& moves) {
  std::string s = "step,op,node,red,io\n";
  long red = 0, io = 0, step = 0;
  for (const Move& m : moves) {
    if (m.op == Op::load || m.op == Op::compute) ++red;
    if (m.op == Op::remove) --red;
    if (m.op == Op::load || m.op == Op::store) ++io;
    s += std::to_string(++step) + "," + std::string(name_of(m.op)) + "," + g.name(m.v) + "," +
         std::to_string(red) + "," + std::to_string(io) + "\n";
  }
  return s;
}

std::vector<Move> parse_moves(const Cdag& g, std::string_view text) {
  std::vector<Move> out;
  std::istringstream in{std::string(text)};
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    for (char& c : line)
      if (c == ',' || c == '\t' || c == '\r') c = ' ';
    std::istringstream ls(line);
    std::vector<std::string> w;
    for (std::string t; ls >> t;) w.push_back(t);
    if (w.empty()) continue;
    if (w.size() >= 3 && w[0] == "step") continue;  // CSV header
    if (w.size() >= 3) w.erase(w.begin());          // "step,op,node[,red,io]"
    if (w.size() > 3) w.resize(2);
    if (w.size() == 3) w.resize(2);
    if (w.size() != 2) throw sim::InputError("moves line " + std::to_string(lineno) + ": want '<op> <node>'");
    Op op;
    if (w[0] == "load")
      op = Op::load;
    else if (w[0] == "store")
      op = Op::store;
    else if (w[0] == "compute")
      op = Op::compute;
    else if (w[0] == "delete")
      op = Op::remove;
    else
      throw sim::InputError("moves line " + std::to_string(lineno) + ": unknown op '" + w[0] +
                            "' (load, store, compute, delete)");
    auto v = g.find(w[1]);
    if (!v) throw sim::InputError("moves line " + std::to_string(lineno) + ": no vertex named '" + w[1] + "'");
    out.push_back({op, *v});
  }
  return out;
}

}  // namespace iolab::proofs
