#pragma once
// Computation DAGs (CDAGs) at scalar granularity, stored as a Boost.Graph
// adjacency_list. A vertex is one scalar value: an input element, or the
// result of one operation (a product, a sum of two terms, a max of two terms,
// an exponential of a difference, a quotient). An edge u -> v means that the
// operation producing v reads u.
//
// Conventions used by every other part of iolab::proofs:
//  * inputs are the sources (in-degree 0), outputs are the sinks (out-degree 0);
//  * vertex names are unique identifiers usable as Graphviz node ids;
//  * builders create vertices in a topological order (predecessors first);
//  * an operation reading the same value twice gets one edge (the pebble game
//    only cares about which values must be in fast memory).
//
// Families (see family_from_spec):
//   attention:N=2,d=1         textbook attention: a row's softmax needs all its
//                             scores (max over the row, exps, sum, division, P V)
//   attention-online:N=2,d=1  online softmax as FlashAttention (Algorithm 1) with
//                             B_c = 1 evaluates it: running max, rescaled running
//                             sum and normalised running output, one key at a time
//   chain:n   tree:n   matmul:n   diamond
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace iolab::proofs {

enum class NodeKind { input, mul, add, max, exp, div, op };

std::string_view name_of(NodeKind k);
/// Parses a kind name; unknown names give NodeKind::op.
NodeKind parse_kind(std::string_view s);

struct NodeProps {
  std::string name;    ///< unique id (Graphviz node id)
  std::string label;   ///< human-readable label, e.g. "exp(s[0,1]-m[0])"
  std::string kind = "op";  ///< name_of(NodeKind), kept as text for Graphviz I/O
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, NodeProps>;
using Vertex = Graph::vertex_descriptor;

class Cdag {
 public:
  Cdag() = default;
  explicit Cdag(std::string title) : title_(std::move(title)) {}

  /// Adds a vertex whose predecessors are `preds` (duplicates collapse).
  /// Throws std::logic_error on a duplicate name.
  Vertex add(std::string name, NodeKind kind, const std::vector<Vertex>& preds, std::string label = {});
  /// Another name for an existing vertex (e.g. the running max after one key
  /// is the score itself); used by the schedule converter to resolve names.
  void alias(std::string name, Vertex v);

  const Graph& graph() const { return g_; }
  Graph& graph() { return g_; }
  const std::string& title() const { return title_; }
  void set_title(std::string t) { title_ = std::move(t); }

  std::size_t size() const { return boost::num_vertices(g_); }
  std::size_t edges() const { return boost::num_edges(g_); }
  const std::string& name(Vertex v) const { return g_[v].name; }
  NodeKind kind(Vertex v) const { return parse_kind(g_[v].kind); }
  bool is_input(Vertex v) const { return boost::in_degree(v, g_) == 0; }
  bool is_output(Vertex v) const { return boost::out_degree(v, g_) == 0; }
  std::vector<Vertex> preds(Vertex v) const;
  std::vector<Vertex> succs(Vertex v) const;
  std::vector<Vertex> inputs() const;
  std::vector<Vertex> outputs() const;
  std::size_t max_in_degree() const;

  /// Vertex by name or alias.
  std::optional<Vertex> find(std::string_view name) const;
  /// Vertex by name or alias; std::out_of_range naming it otherwise.
  Vertex at(std::string_view name) const;

  /// A topological order; InputError if the graph has a cycle.
  std::vector<Vertex> topological_order() const;

  /// Rebuilds the name index after the graph was filled from outside.
  void reindex();

 private:
  Graph g_;
  std::string title_;
  std::map<std::string, Vertex, std::less<>> index_;
};

// ---- builders --------------------------------------------------------------

/// Textbook attention O = softmax(Q K^T) V for Q, K, V of N x d (the softmax
/// scale is folded into Q and not a vertex). Per row i:
///   s[i,j]   = sum_t q[i,t] k[j,t]     (d products, d-1 additions)
///   m[i]     = max_j s[i,j]            (N-1 maxima)
///   e[i,j]   = exp(s[i,j] - m[i])
///   l[i]     = sum_j e[i,j]            (N-1 additions)
///   p[i,j]   = e[i,j] / l[i]
///   o[i,c]   = sum_j p[i,j] v[j,c]     (N products, N-1 additions)
/// Vertices: 3Nd + N^2 d + N^2 (d-1) + N(N-1) + N^2 + N(N-1) + N^2 + N^2 d + N d (N-1).
Cdag attention_textbook(int N, int d);

/// Online attention, one key at a time (Algorithm 1 with B_c = 1, constants
/// folded). Per row i, for j = 0: m[i,0] = s[i,0], b[i,0] = exp(s[i,0]-m[i,0]),
/// l[i,0] = b[i,0], x[i,0,c] = b[i,0] v[0,c], o[i,0,c] = x[i,0,c] / l[i,0]; for j >= 1:
///   m[i,j] = max(m[i,j-1], s[i,j])      a[i,j] = exp(m[i,j-1] - m[i,j])
///   b[i,j] = exp(s[i,j] - m[i,j])       g[i,j] = a[i,j] l[i,j-1]
///   l[i,j] = g[i,j] + b[i,j]
///   w[i,j,c] = g[i,j] o[i,j-1,c]        x[i,j,c] = b[i,j] v[j,c]
///   y[i,j,c] = w[i,j,c] + x[i,j,c]      o[i,j,c] = y[i,j,c] / l[i,j]
/// The outputs are o[i,N-1,c]. Aliases m_i_0 (= s_i_0) and l_i_0 (= b_i_0).
Cdag attention_online(int N, int d);

Cdag chain(int n);                 ///< v0 -> v1 -> ... -> v(n-1)
Cdag reduction_tree(int leaves);   ///< pairwise sums, level by level (balanced for powers of two)
Cdag matmul(int n);                ///< C = A B, n x n, products then a chain of sums per c[i,j]
Cdag diamond();                    ///< a -> b, a -> c, b -> d, c -> d

/// "attention:N=2,d=1", "attention-online:N=2,d=1", "chain:8", "tree:8",
/// "matmul:2", "diamond". InputError (one line) for anything else.
Cdag family_from_spec(std::string_view spec);
/// The list of family specs, for help texts.
std::string family_help();

// ---- Graphviz ----------------------------------------------------------------

/// Writes the DAG as a Graphviz digraph (boost::write_graphviz): node ids are
/// the vertex names, with label and kind attributes; inputs are drawn as
/// boxes and outputs as double circles.
void write_dot(std::ostream& os, const Cdag& g);
std::string to_dot(const Cdag& g);

/// Reads a Graphviz digraph (boost::read_graphviz). Node ids become names;
/// optional attributes `label` and `kind` are kept. Throws InputError with a
/// one-line message for malformed text, an undirected graph, a cycle or an
/// empty graph.
Cdag read_dot(std::istream& is, std::string title = "dot");
Cdag read_dot_file(const std::string& path);

}  // namespace iolab::proofs
