// CDAG builders (shape, vertex counts, and that evaluating the DAG computes
// attention) and Graphviz I/O.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>
#include <sstream>

#include "iolab/proofs/cdag.hpp"
#include "iolab/sim/attention/reference.hpp"
#include "iolab/sim/errors.hpp"

using namespace iolab::proofs;
using iolab::sim::InputError;

namespace {

/// Evaluates every vertex: inputs from `in`, operations by kind, operands in
/// edge-insertion order (exp(a - b), a / b).
std::vector<double> evaluate(const Cdag& g, const std::map<std::string, double>& in) {
  std::vector<double> val(g.size(), 0.0);
  for (Vertex v : g.topological_order()) {
    const auto ps = g.preds(v);
    std::vector<double> x;
    for (Vertex p : ps) x.push_back(val[p]);
    switch (g.kind(v)) {
      case NodeKind::input: val[v] = in.at(g.name(v)); break;
      case NodeKind::mul: val[v] = x.size() == 1 ? x[0] * x[0] : x[0] * x[1]; break;
      case NodeKind::add: val[v] = x[0] + x[1]; break;
      case NodeKind::max: val[v] = std::max(x[0], x[1]); break;
      case NodeKind::exp: val[v] = x.size() == 1 ? 1.0 : std::exp(x[0] - x[1]); break;
      case NodeKind::div: val[v] = x.size() == 1 ? 1.0 : x[0] / x[1]; break;
      case NodeKind::op: FAIL("unexpected op vertex"); break;
    }
  }
  return val;
}

void check_computes_attention(const Cdag& g, int N, int d, bool online) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> Q(N * d), K(N * d), V(N * d);
  std::map<std::string, double> in;
  for (int i = 0; i < N; ++i)
    for (int c = 0; c < d; ++c) {
      const std::string s = std::to_string(i) + "_" + std::to_string(c);
      in["q_" + s] = Q[i * d + c] = u(rng);
      in["k_" + s] = K[i * d + c] = u(rng);
      in["v_" + s] = V[i * d + c] = u(rng);
    }
  const auto val = evaluate(g, in);
  const auto ref = iolab::sim::reference_attention(Q, K, V, N, d, 1.0);
  for (int i = 0; i < N; ++i)
    for (int c = 0; c < d; ++c) {
      const std::string name = online ? "o_" + std::to_string(i) + "_" + std::to_string(N - 1) + "_" + std::to_string(c)
                                      : "o_" + std::to_string(i) + "_" + std::to_string(c);
      const Vertex o = g.at(name);
      CHECK(g.is_output(o));
      CHECK(val[o] == Approx(ref[i * d + c]).margin(1e-12));
    }
}

}  // namespace

TEST_CASE("attention CDAGs have the documented vertex counts and compute attention", "[cdag]") {
  for (int N = 1; N <= 4; ++N)
    for (int d = 1; d <= 3; ++d) {
      const Cdag t = attention_textbook(N, d);
      const std::size_t expect_t = 3 * N * d + N * N * d + N * N * (d - 1) + N * (N - 1) + N * N + N * (N - 1) +
                                   N * N + N * N * d + N * d * (N - 1);
      CHECK(t.size() == expect_t);
      CHECK(t.inputs().size() == static_cast<std::size_t>(3 * N * d));
      CHECK(t.outputs().size() == static_cast<std::size_t>(N * d));
      check_computes_attention(t, N, d, false);

      const Cdag o = attention_online(N, d);
      const std::size_t expect_o = 3 * N * d + N * N * (2 * d - 1) + N * ((1 + 2 * d) + (N - 1) * (5 + 4 * d));
      CHECK(o.size() == expect_o);
      CHECK(o.inputs().size() == static_cast<std::size_t>(3 * N * d));
      CHECK(o.outputs().size() == static_cast<std::size_t>(N * d));
      check_computes_attention(o, N, d, true);
    }
  CHECK(attention_textbook(2, 1).size() == 28);
  CHECK(attention_online(2, 1).size() == 34);
}

TEST_CASE("textbook softmax needs every score of the row; online needs only the ones seen", "[cdag]") {
  const Cdag t = attention_textbook(3, 1);
  // e[0,0] = exp(s[0,0] - m[0]) depends on all three scores of row 0.
  const auto e = t.at("e_0_0");
  std::vector<char> anc(t.size(), 0);
  std::vector<Vertex> st{e};
  while (!st.empty()) {
    const Vertex v = st.back();
    st.pop_back();
    for (Vertex p : t.preds(v))
      if (!anc[p]) anc[p] = 1, st.push_back(p);
  }
  for (int j = 0; j < 3; ++j) CHECK(anc[t.at("s_0_" + std::to_string(j))]);
  const Cdag o = attention_online(3, 1);
  const auto l1 = o.at("l_0_1");
  std::fill(anc.begin(), anc.end(), 0);
  anc.resize(o.size(), 0);
  st = {l1};
  while (!st.empty()) {
    const Vertex v = st.back();
    st.pop_back();
    for (Vertex p : o.preds(v))
      if (!anc[p]) anc[p] = 1, st.push_back(p);
  }
  CHECK(anc[o.at("s_0_1")]);
  CHECK_FALSE(anc[o.at("s_0_2")]);
}

TEST_CASE("families build in topological order with one source/sink convention", "[cdag]") {
  for (const char* spec : {"chain:8", "tree:8", "tree:5", "matmul:2", "diamond", "attention:N=2,d=2",
                           "attention-online:N=3,d=1"}) {
    const Cdag g = family_from_spec(spec);
    INFO(spec);
    CHECK(g.title() == spec);
    for (Vertex v = 0; v < g.size(); ++v)
      for (Vertex p : g.preds(v)) CHECK(p < v);
  }
  CHECK(chain(8).size() == 8);
  CHECK(reduction_tree(8).size() == 15);
  CHECK(reduction_tree(8).outputs().size() == 1);
  CHECK(matmul(2).size() == 20);
  CHECK(diamond().size() == 4);
  CHECK(diamond().max_in_degree() == 2);
}

TEST_CASE("bad family specs are one-line input errors", "[cdag]") {
  for (const char* spec : {"nosuch:3", "chain", "chain:0", "chain:x", "tree:-2", "attention:N=2", "attention:N=2,d=1,z=3",
                           "attention:N=2,d=0", "diamond:3", "attention-online:d=1"}) {
    INFO(spec);
    CHECK_THROWS_AS(family_from_spec(spec), InputError);
  }
}

TEST_CASE("Graphviz round trip keeps names, labels, kinds and edges", "[cdag][dot]") {
  const Cdag g = attention_online(2, 2);
  const std::string dot = to_dot(g);
  CHECK(dot.find("digraph") != std::string::npos);
  std::istringstream in(dot);
  const Cdag h = read_dot(in, "rt");
  REQUIRE(h.size() == g.size());
  CHECK(h.edges() == g.edges());
  for (Vertex v = 0; v < g.size(); ++v) {
    const Vertex w = h.at(g.name(v));
    CHECK(h.graph()[w].label == g.graph()[v].label);
    CHECK(h.kind(w) == g.kind(v));
    std::vector<std::string> a, b;
    for (Vertex p : g.preds(v)) a.push_back(g.name(p));
    for (Vertex p : h.preds(w)) b.push_back(h.name(p));
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a == b);
  }
}

TEST_CASE("read_dot accepts plain digraphs and rejects bad ones", "[cdag][dot]") {
  {
    std::istringstream in("digraph G { a -> b; a -> c; b -> d; c -> d; a -> b; }");
    const Cdag g = read_dot(in);
    CHECK(g.size() == 4);
    CHECK(g.edges() == 4);  // the parallel edge collapses
    CHECK(g.is_input(g.at("a")));
    CHECK(g.is_output(g.at("d")));
    CHECK(g.kind(g.at("a")) == NodeKind::input);
  }
  auto bad = [](const char* text) {
    std::istringstream in(text);
    return read_dot(in);
  };
  CHECK_THROWS_AS(bad("digraph G { a -> b; b -> a; }"), InputError);    // cycle
  CHECK_THROWS_AS(bad("digraph G { a -> a; }"), InputError);            // self loop
  CHECK_THROWS_AS(bad("graph G { a -- b; }"), InputError);              // undirected
  CHECK_THROWS_AS(bad("digraph G { a -> ; }"), InputError);             // malformed
  CHECK_THROWS_AS(bad("this is not dot"), InputError);
  CHECK_THROWS_AS(bad("digraph G { }"), InputError);                    // empty
  CHECK_THROWS_AS(read_dot_file("/nonexistent/x.dot"), InputError);
}
