#pragma once
// Dag: a directed graph over string node ids where an edge `from -> to`
// means "`from` must happen after `to`" (from depends on to). It answers the
// questions the engine asks of a dependency graph: an apply order, a destroy
// order, the exact cycle when there is one, direct dependencies/dependents,
// and a DOT rendering.
//
// Orders are deterministic: among nodes that are ready at the same time the
// smallest id (byte-wise) comes first. Every query is O((V + E) log V) or
// better, so graphs of ~100k nodes stay cheap.
//
// Boost.Graph is an implementation detail (dag.cc); this header does not
// expose it.
//
// Thread-safety: const methods may run concurrently; mutation is not
// synchronised.

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace crosslink::graph {

class Dag {
 public:
  Dag();
  ~Dag();
  Dag(const Dag& other);
  Dag& operator=(const Dag& other);
  Dag(Dag&& other) noexcept;
  Dag& operator=(Dag&& other) noexcept;

  // Adds a node; returns false (and changes nothing) when it already exists.
  bool AddNode(const std::string& id);
  bool HasNode(const std::string& id) const;

  // Records that `from` must happen after `to`. Both nodes must exist;
  // returns false otherwise. Adding the same edge twice keeps one edge.
  // A self edge (from == to) is accepted and reported as a cycle.
  bool AddEdge(const std::string& from, const std::string& to);

  size_t node_count() const;
  size_t edge_count() const;

  // Every node after all of its dependencies. On a cycle returns nullopt
  // and, when `cycle` is not null, sets it to the exact message
  //   "dependency cycle: a -> b -> a"
  // naming, among all nodes that lie on a cycle, the smallest id first and
  // then the shortest way back to it (each arrow reads "must happen after").
  std::optional<std::vector<std::string>> TopologicalOrder(std::string* cycle = nullptr) const;

  // The destroy order: every node before all of its dependencies (dependents
  // first), ties broken by id. Same cycle reporting as TopologicalOrder.
  std::optional<std::vector<std::string>> ReverseOrder(std::string* cycle = nullptr) const;

  // The cycle message described above, or "" when the graph is acyclic.
  std::string FindCycle() const;

  // Direct neighbours, sorted by id; empty for an unknown node.
  std::vector<std::string> Dependencies(const std::string& id) const;  // what `id` needs
  std::vector<std::string> Dependents(const std::string& id) const;    // what needs `id`

  // Every node id and every edge in DOT, sorted, e.g.
  //   digraph {
  //     "a";
  //     "b";
  //     "a" -> "b";
  //   }
  std::string ToDot() const;

  // Quotes `s` as a DOT string ("a \"b\"").
  static std::string DotQuote(const std::string& s);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crosslink::graph
