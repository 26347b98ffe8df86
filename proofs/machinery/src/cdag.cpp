#include "iolab/proofs/cdag.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/graph/graphviz.hpp>
#include <boost/graph/topological_sort.hpp>
#include <boost/property_map/dynamic_property_map.hpp>

#include "iolab/sim/errors.hpp"

namespace iolab::proofs {

using sim::InputError;

std::string_view name_of(NodeKind k) {
  switch (k) {
    case NodeKind::input: return "input";
    case NodeKind::mul: return "mul";
    case NodeKind::add: return "add";
    case NodeKind::max: return "max";
    case NodeKind::exp: return "exp";
    case NodeKind::div: return "div";
    case NodeKind::op: return "op";
  }
  return "op";
}

NodeKind parse_kind(std::string_view s) {
  for (auto k : {NodeKind::input, NodeKind::mul, NodeKind::add, NodeKind::max, NodeKind::exp, NodeKind::div})
    if (s == name_of(k)) return k;
  return NodeKind::op;
}

Vertex Cdag::add(std::string name, NodeKind kind, const std::vector<Vertex>& preds, std::string label) {
  if (index_.count(name)) throw std::logic_error("duplicate CDAG vertex name '" + name + "'");
  const Vertex v = boost::add_vertex(g_);
  g_[v].name = name;
  g_[v].label = label.empty() ? name : std::move(label);
  g_[v].kind = std::string(name_of(kind));
  std::vector<Vertex> seen;
  for (Vertex p : preds) {
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
    seen.push_back(p);
    boost::add_edge(p, v, g_);
  }
  index_.emplace(std::move(name), v);
  return v;
}

void Cdag::alias(std::string name, Vertex v) {
  if (index_.count(name)) throw std::logic_error("duplicate CDAG vertex name '" + name + "'");
  index_.emplace(std::move(name), v);
}

std::vector<Vertex> Cdag::preds(Vertex v) const {
  std::vector<Vertex> r;
  for (auto [it, end] = boost::in_edges(v, g_); it != end; ++it) r.push_back(boost::source(*it, g_));
  return r;
}

std::vector<Vertex> Cdag::succs(Vertex v) const {
  std::vector<Vertex> r;
  for (auto [it, end] = boost::out_edges(v, g_); it != end; ++it) r.push_back(boost::target(*it, g_));
  return r;
}

std::vector<Vertex> Cdag::inputs() const {
  std::vector<Vertex> r;
  for (Vertex v = 0; v < size(); ++v)
    if (is_input(v)) r.push_back(v);
  return r;
}

std::vector<Vertex> Cdag::outputs() const {
  std::vector<Vertex> r;
  for (Vertex v = 0; v < size(); ++v)
    if (is_output(v)) r.push_back(v);
  return r;
}

std::size_t Cdag::max_in_degree() const {
  std::size_t m = 0;
  for (Vertex v = 0; v < size(); ++v) m = std::max<std::size_t>(m, boost::in_degree(v, g_));
  return m;
}

std::optional<Vertex> Cdag::find(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

Vertex Cdag::at(std::string_view name) const {
  if (auto v = find(name)) return *v;
  throw std::out_of_range("no CDAG vertex named '" + std::string(name) + "'");
}

std::vector<Vertex> Cdag::topological_order() const {
  std::vector<Vertex> rev;
  try {
    boost::topological_sort(g_, std::back_inserter(rev));
  } catch (const boost::not_a_dag&) {
    throw InputError("the graph '" + title_ + "' has a cycle; a computation DAG must be acyclic");
  }
  std::reverse(rev.begin(), rev.end());
  return rev;
}

void Cdag::reindex() {
  index_.clear();
  for (Vertex v = 0; v < size(); ++v) {
    if (!index_.emplace(g_[v].name, v).second) throw InputError("duplicate node id '" + g_[v].name + "'");
  }
}

// ---- builders --------------------------------------------------------------

namespace {

std::string id(std::string_view base, std::initializer_list<int> ix) {
  std::string s(base);
  for (int i : ix) s += "_" + std::to_string(i);
  return s;
}

std::string lab(std::string_view base, std::initializer_list<int> ix) {
  std::string s(base);
  s += "[";
  bool first = true;
  for (int i : ix) {
    if (!first) s += ",";
    s += std::to_string(i);
    first = false;
  }
  return s + "]";
}

void check_dims(int N, int d) {
  if (N < 1 || d < 1) throw InputError("attention CDAG needs N >= 1 and d >= 1");
  if (static_cast<long>(N) * N * d > 200000) throw InputError("attention CDAG with N^2 d > 200000 is too large");
}

struct Inputs {
  std::vector<std::vector<Vertex>> q, k, v;
};

Inputs add_qkv(Cdag& g, int N, int d) {
  Inputs in;
  auto mk = [&](std::string_view b, std::vector<std::vector<Vertex>>& m) {
    m.assign(N, std::vector<Vertex>(d));
    for (int i = 0; i < N; ++i)
      for (int c = 0; c < d; ++c) m[i][c] = g.add(id(b, {i, c}), NodeKind::input, {}, lab(b, {i, c}));
  };
  mk("q", in.q);
  mk("k", in.k);
  mk("v", in.v);
  return in;
}

/// s[i,j] = sum_t q[i,t] k[j,t]: products then a chain of additions; the last
/// vertex is named s_i_j (for d = 1 the single product is).
Vertex add_score(Cdag& g, const Inputs& in, int i, int j, int d) {
  const std::string s = id("s", {i, j});
  if (d == 1) return g.add(s, NodeKind::mul, {in.q[i][0], in.k[j][0]}, lab("s", {i, j}) + "=q*k");
  std::vector<Vertex> prod(d);
  for (int t = 0; t < d; ++t)
    prod[t] = g.add(id("qk", {i, j, t}), NodeKind::mul, {in.q[i][t], in.k[j][t]}, lab("qk", {i, j, t}));
  Vertex acc = prod[0];
  for (int t = 1; t < d; ++t) {
    const bool last = t == d - 1;
    acc = g.add(last ? s : id("ps", {i, j, t}), NodeKind::add, {acc, prod[t]},
                last ? lab("s", {i, j}) : lab("ps", {i, j, t}));
  }
  return acc;
}

int parse_int(std::string_view s, std::string_view what, std::string_view spec) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 1)
    throw InputError("bad " + std::string(what) + " '" + std::string(s) + "' in DAG spec '" + std::string(spec) +
                     "' (a positive integer)");
  return v;
}

}  // namespace

Cdag attention_textbook(int N, int d) {
  check_dims(N, d);
  Cdag g("attention:N=" + std::to_string(N) + ",d=" + std::to_string(d));
  const Inputs in = add_qkv(g, N, d);
  for (int i = 0; i < N; ++i) {
    std::vector<Vertex> s(N), e(N), p(N);
    for (int j = 0; j < N; ++j) s[j] = add_score(g, in, i, j, d);
    Vertex m = s[0];
    for (int j = 1; j < N; ++j)
      m = g.add(j == N - 1 ? id("m", {i}) : id("mx", {i, j}), NodeKind::max, {m, s[j]},
                j == N - 1 ? lab("m", {i}) : lab("mx", {i, j}));
    if (N == 1) g.alias(id("m", {i}), m);
    for (int j = 0; j < N; ++j)
      e[j] = g.add(id("e", {i, j}), NodeKind::exp, {s[j], m}, "exp(" + lab("s", {i, j}) + "-" + lab("m", {i}) + ")");
    Vertex l = e[0];
    for (int j = 1; j < N; ++j)
      l = g.add(j == N - 1 ? id("l", {i}) : id("ls", {i, j}), NodeKind::add, {l, e[j]},
                j == N - 1 ? lab("l", {i}) : lab("ls", {i, j}));
    if (N == 1) g.alias(id("l", {i}), l);
    for (int j = 0; j < N; ++j) p[j] = g.add(id("p", {i, j}), NodeKind::div, {e[j], l}, lab("p", {i, j}));
    for (int c = 0; c < d; ++c) {
      Vertex acc = 0;
      for (int j = 0; j < N; ++j) {
        const bool single = N == 1;
        const Vertex u = g.add(single ? id("o", {i, c}) : id("u", {i, j, c}), NodeKind::mul, {p[j], in.v[j][c]},
                               single ? lab("o", {i, c}) : lab("u", {i, j, c}));
        if (j == 0) {
          acc = u;
        } else {
          const bool last = j == N - 1;
          acc = g.add(last ? id("o", {i, c}) : id("os", {i, j, c}), NodeKind::add, {acc, u},
                      last ? lab("o", {i, c}) : lab("os", {i, j, c}));
        }
      }
    }
  }
  return g;
}

Cdag attention_online(int N, int d) {
  check_dims(N, d);
  Cdag g("attention-online:N=" + std::to_string(N) + ",d=" + std::to_string(d));
  const Inputs in = add_qkv(g, N, d);
  for (int i = 0; i < N; ++i) {
    // j = 0: the running statistics start from the first score.
    const Vertex s0 = add_score(g, in, i, 0, d);
    g.alias(id("m", {i, 0}), s0);
    const Vertex b0 = g.add(id("b", {i, 0}), NodeKind::exp, {s0}, "exp(" + lab("s", {i, 0}) + "-" + lab("m", {i, 0}) + ")");
    g.alias(id("l", {i, 0}), b0);
    Vertex m = s0, l = b0;
    std::vector<Vertex> o(d);
    for (int c = 0; c < d; ++c) {
      const Vertex x = g.add(id("x", {i, 0, c}), NodeKind::mul, {b0, in.v[0][c]}, lab("x", {i, 0, c}));
      o[c] = g.add(id("o", {i, 0, c}), NodeKind::div, {x, l}, lab("o", {i, 0, c}));
    }
    for (int j = 1; j < N; ++j) {
      const Vertex s = add_score(g, in, i, j, d);
      const Vertex mj = g.add(id("m", {i, j}), NodeKind::max, {m, s}, lab("m", {i, j}));
      const Vertex a = g.add(id("a", {i, j}), NodeKind::exp, {m, mj},
                             "exp(" + lab("m", {i, j - 1}) + "-" + lab("m", {i, j}) + ")");
      const Vertex b = g.add(id("b", {i, j}), NodeKind::exp, {s, mj}, "exp(" + lab("s", {i, j}) + "-" + lab("m", {i, j}) + ")");
      const Vertex gg = g.add(id("g", {i, j}), NodeKind::mul, {a, l}, lab("g", {i, j}));
      const Vertex lj = g.add(id("l", {i, j}), NodeKind::add, {gg, b}, lab("l", {i, j}));
      for (int c = 0; c < d; ++c) {
        const Vertex w = g.add(id("w", {i, j, c}), NodeKind::mul, {gg, o[c]}, lab("w", {i, j, c}));
        const Vertex x = g.add(id("x", {i, j, c}), NodeKind::mul, {b, in.v[j][c]}, lab("x", {i, j, c}));
        const Vertex y = g.add(id("y", {i, j, c}), NodeKind::add, {w, x}, lab("y", {i, j, c}));
        o[c] = g.add(id("o", {i, j, c}), NodeKind::div, {y, lj}, lab("o", {i, j, c}));
      }
      m = mj;
      l = lj;
    }
  }
  return g;
}

Cdag chain(int n) {
  if (n < 1) throw InputError("chain needs n >= 1");
  if (n > 100000) throw InputError("chain:n is limited to 100000 vertices");
  Cdag g("chain:" + std::to_string(n));
  Vertex prev = g.add("v0", NodeKind::input, {});
  for (int i = 1; i < n; ++i) prev = g.add("v" + std::to_string(i), NodeKind::op, {prev});
  return g;
}

Cdag reduction_tree(int leaves) {
  if (leaves < 1) throw InputError("tree needs at least 1 leaf");
  if (leaves > 100000) throw InputError("tree:n is limited to 100000 leaves");
  Cdag g("tree:" + std::to_string(leaves));
  std::vector<Vertex> level;
  for (int i = 0; i < leaves; ++i) level.push_back(g.add("x" + std::to_string(i), NodeKind::input, {}));
  int depth = 0;
  while (level.size() > 1) {
    ++depth;
    std::vector<Vertex> next;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2)
      next.push_back(g.add("t" + std::to_string(depth) + "_" + std::to_string(i / 2), NodeKind::add,
                           {level[i], level[i + 1]}));
    if (level.size() % 2) next.push_back(level.back());
    level = std::move(next);
  }
  return g;
}

Cdag matmul(int n) {
  if (n < 1) throw InputError("matmul needs n >= 1");
  if (n > 40) throw InputError("matmul:n is limited to n <= 40");
  Cdag g("matmul:" + std::to_string(n));
  std::vector<std::vector<Vertex>> A(n, std::vector<Vertex>(n)), B = A;
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) A[i][k] = g.add(id("a", {i, k}), NodeKind::input, {}, lab("a", {i, k}));
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < n; ++j) B[k][j] = g.add(id("b", {k, j}), NodeKind::input, {}, lab("b", {k, j}));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      Vertex acc = 0;
      for (int k = 0; k < n; ++k) {
        const bool single = n == 1;
        const Vertex p = g.add(single ? id("c", {i, j}) : id("p", {i, k, j}), NodeKind::mul, {A[i][k], B[k][j]},
                               single ? lab("c", {i, j}) : lab("p", {i, k, j}));
        if (k == 0) {
          acc = p;
        } else {
          const bool last = k == n - 1;
          acc = g.add(last ? id("c", {i, j}) : id("cs", {i, j, k}), NodeKind::add, {acc, p},
                      last ? lab("c", {i, j}) : lab("cs", {i, j, k}));
        }
      }
    }
  return g;
}

Cdag diamond() {
  Cdag g("diamond");
  const Vertex a = g.add("a", NodeKind::input, {});
  const Vertex b = g.add("b", NodeKind::op, {a});
  const Vertex c = g.add("c", NodeKind::op, {a});
  g.add("d", NodeKind::op, {b, c});
  return g;
}

std::string family_help() {
  return "attention:N=<n>,d=<d> (textbook), attention-online:N=<n>,d=<d> (online softmax), chain:<n>, tree:<n>, "
         "matmul:<n>, diamond";
}

Cdag family_from_spec(std::string_view spec) {
  const auto colon = spec.find(':');
  const std::string_view fam = spec.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  auto need_arg = [&] {
    if (arg.empty()) throw InputError("DAG spec '" + std::string(spec) + "' needs a size, e.g. " + std::string(fam) + ":8");
  };
  if (fam == "chain") return need_arg(), chain(parse_int(arg, "size", spec));
  if (fam == "tree") return need_arg(), reduction_tree(parse_int(arg, "size", spec));
  if (fam == "matmul") return need_arg(), matmul(parse_int(arg, "size", spec));
  if (fam == "diamond") {
    if (!arg.empty()) throw InputError("DAG spec 'diamond' takes no argument");
    return diamond();
  }
  if (fam == "attention" || fam == "attention-online") {
    need_arg();
    int N = 0, d = 0;
    std::string_view rest = arg;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      const auto eq = item.find('=');
      if (eq == std::string_view::npos)
        throw InputError("bad item '" + std::string(item) + "' in DAG spec '" + std::string(spec) + "' (want N=..,d=..)");
      const std::string_view key = item.substr(0, eq), val = item.substr(eq + 1);
      if (key == "N")
        N = parse_int(val, "N", spec);
      else if (key == "d")
        d = parse_int(val, "d", spec);
      else
        throw InputError("unknown key '" + std::string(key) + "' in DAG spec '" + std::string(spec) + "' (want N, d)");
    }
    if (N == 0 || d == 0) throw InputError("DAG spec '" + std::string(spec) + "' needs both N=.. and d=..");
    return fam == "attention" ? attention_textbook(N, d) : attention_online(N, d);
  }
  throw InputError("unknown DAG family '" + std::string(fam) + "'; known: " + family_help());
}

// ---- Graphviz ----------------------------------------------------------------

namespace {

std::string quoted(const std::string& s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r + "\"";
}

}  // namespace

void write_dot(std::ostream& os, const Cdag& c) {
  const Graph& g = c.graph();
  auto vertex_writer = [&](std::ostream& out, Vertex v) {
    out << "[label=" << quoted(g[v].label) << ", kind=" << quoted(g[v].kind);
    if (c.is_input(v))
      out << ", shape=box";
    else if (c.is_output(v))
      out << ", shape=doublecircle";
    out << "]";
  };
  auto graph_writer = [&](std::ostream& out) {
    out << "label=" << quoted(c.title()) << ";\nrankdir=TB;\n";
  };
  boost::write_graphviz(os, g, vertex_writer, boost::default_writer(), graph_writer,
                        boost::get(&NodeProps::name, g));
}

std::string to_dot(const Cdag& g) {
  std::ostringstream os;
  write_dot(os, g);
  return os.str();
}

Cdag read_dot(std::istream& is, std::string title) {
  Cdag c(std::move(title));
  Graph& g = c.graph();
  boost::dynamic_properties dp(boost::ignore_other_properties);
  dp.property("node_id", boost::get(&NodeProps::name, g));
  dp.property("label", boost::get(&NodeProps::label, g));
  dp.property("kind", boost::get(&NodeProps::kind, g));
  const std::string text((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  try {
    if (!boost::read_graphviz(text, g, dp, "node_id"))
      throw InputError("could not parse the Graphviz input '" + c.title() + "'");
  } catch (const boost::undirected_graph_error&) {
    throw InputError("'" + c.title() + "' is an undirected graph; a computation DAG must be a digraph");
  } catch (const boost::bad_graphviz_syntax& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    throw InputError("malformed Graphviz in '" + c.title() + "': " + msg);
  } catch (const boost::graph_exception& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    throw InputError("cannot read Graphviz '" + c.title() + "': " + msg);
  }
  if (c.size() == 0) throw InputError("the graph '" + c.title() + "' has no vertices");
  for (Vertex v = 0; v < c.size(); ++v) {
    if (g[v].label.empty()) g[v].label = g[v].name;
    if (g[v].kind.empty() || g[v].kind == "op") g[v].kind = c.is_input(v) ? "input" : "op";
  }
  c.reindex();
  c.topological_order();  // throws InputError on a cycle
  // Collapse parallel edges: the game only cares about which values are read.
  for (Vertex v = 0; v < c.size(); ++v) {
    auto ps = c.preds(v);
    std::sort(ps.begin(), ps.end());
    if (std::adjacent_find(ps.begin(), ps.end()) != ps.end()) {
      boost::clear_in_edges(v, g);
      ps.erase(std::unique(ps.begin(), ps.end()), ps.end());
      for (Vertex p : ps) boost::add_edge(p, v, g);
    }
  }
  return c;
}

Cdag read_dot_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot open DAG file '" + path + "'");
  return read_dot(in, path);
}

}  // namespace iolab::proofs
