#include "engine/graph/dag.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace crosslink::graph {

namespace {

// Edges point from a node to what it depends on; bidirectional so that
// dependents (in-edges) are as cheap to list as dependencies (out-edges).
using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
using Vertex = BoostGraph::vertex_descriptor;

}  // namespace

struct Dag::Impl {
  BoostGraph g;
  std::vector<std::string> ids;                   // vertex -> id
  std::unordered_map<std::string, Vertex> index;  // id -> vertex
  std::unordered_set<uint64_t> edges;             // (from << 32 | to), for de-duplication

  // rank[v] = position of ids[v] in byte-wise sorted order.
  std::vector<size_t> Ranks() const {
    std::vector<Vertex> by_id(ids.size());
    for (Vertex v = 0; v < by_id.size(); ++v) by_id[v] = v;
    std::sort(by_id.begin(), by_id.end(), [&](Vertex a, Vertex b) { return ids[a] < ids[b]; });
    std::vector<size_t> rank(ids.size());
    for (size_t i = 0; i < by_id.size(); ++i) rank[by_id[i]] = i;
    return rank;
  }

  // Kahn's algorithm with a min-heap on rank. `forward`: dependencies
  // first; otherwise dependents first. Returns fewer than V nodes on a cycle.
  std::vector<std::string> Order(bool forward) const {
    const std::vector<size_t> rank = Ranks();
    const size_t n = ids.size();
    std::vector<size_t> waiting(n);
    for (Vertex v = 0; v < n; ++v) {
      waiting[v] = forward ? boost::out_degree(v, g) : boost::in_degree(v, g);
    }
    auto later = [&](Vertex a, Vertex b) { return rank[a] > rank[b]; };
    std::priority_queue<Vertex, std::vector<Vertex>, decltype(later)> ready(later);
    for (Vertex v = 0; v < n; ++v) {
      if (waiting[v] == 0) ready.push(v);
    }
    std::vector<std::string> order;
    order.reserve(n);
    auto release = [&](Vertex w) {
      if (--waiting[w] == 0) ready.push(w);
    };
    while (!ready.empty()) {
      Vertex v = ready.top();
      ready.pop();
      order.push_back(ids[v]);
      if (forward) {
        for (auto [it, end] = boost::in_edges(v, g); it != end; ++it) {
          release(boost::source(*it, g));
        }
      } else {
        for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
          release(boost::target(*it, g));
        }
      }
    }
    return order;
  }

  std::string Cycle() const {
    const size_t n = ids.size();
    if (n == 0) return "";
    std::vector<size_t> component(n);
    size_t count = boost::strong_components(
        g,
        boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));
    std::vector<size_t> size(count, 0);
    for (Vertex v = 0; v < n; ++v) ++size[component[v]];
    const std::vector<size_t> rank = Ranks();

    // The smallest id on any cycle: in a component of 2+ nodes or with a self edge.
    std::optional<Vertex> start;
    for (Vertex v = 0; v < n; ++v) {
      bool on_cycle = size[component[v]] > 1 || edges.count((uint64_t{v} << 32) | v) > 0;
      if (on_cycle && (!start || rank[v] < rank[*start])) start = v;
    }
    if (!start) return "";
    const Vertex s = *start;

    // Breadth-first search along dependency edges inside s's component,
    // neighbours in id order, until an edge leads back to s: the shortest cycle.
    auto sorted_targets = [&](Vertex v) {
      std::vector<Vertex> out;
      for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
        Vertex t = boost::target(*it, g);
        if (component[t] == component[s]) out.push_back(t);
      }
      std::sort(out.begin(), out.end(), [&](Vertex a, Vertex b) { return rank[a] < rank[b]; });
      return out;
    };
    std::unordered_map<Vertex, Vertex> parent;
    std::deque<Vertex> queue{s};
    parent[s] = s;
    while (!queue.empty()) {
      Vertex v = queue.front();
      queue.pop_front();
      for (Vertex t : sorted_targets(v)) {
        if (t == s) {
          std::vector<Vertex> path;
          for (Vertex x = v; x != s; x = parent[x]) path.push_back(x);
          path.push_back(s);
          std::reverse(path.begin(), path.end());
          std::string msg = "dependency cycle: ";
          for (Vertex x : path) msg += ids[x] + " -> ";
          return msg + ids[s];
        }
        if (parent.emplace(t, v).second) queue.push_back(t);
      }
    }
    return "";  // unreachable: s lies on a cycle within its component
  }

  std::vector<std::string> Neighbours(const std::string& id, bool dependencies) const {
    std::vector<std::string> out;
    auto it = index.find(id);
    if (it == index.end()) return out;
    if (dependencies) {
      for (auto [e, end] = boost::out_edges(it->second, g); e != end; ++e) {
        out.push_back(ids[boost::target(*e, g)]);
      }
    } else {
      for (auto [e, end] = boost::in_edges(it->second, g); e != end; ++e) {
        out.push_back(ids[boost::source(*e, g)]);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

Dag::Dag() : impl_(std::make_unique<Impl>()) {}
Dag::~Dag() = default;
Dag::Dag(const Dag& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
Dag& Dag::operator=(const Dag& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
Dag::Dag(Dag&& other) noexcept : impl_(std::move(other.impl_)) {}
Dag& Dag::operator=(Dag&& other) noexcept {
  impl_ = std::move(other.impl_);
  return *this;
}

bool Dag::AddNode(const std::string& id) {
  if (impl_->index.count(id) > 0) return false;
  Vertex v = boost::add_vertex(impl_->g);
  impl_->ids.push_back(id);
  impl_->index.emplace(id, v);
  return true;
}

bool Dag::HasNode(const std::string& id) const { return impl_->index.count(id) > 0; }

bool Dag::AddEdge(const std::string& from, const std::string& to) {
  auto f = impl_->index.find(from);
  auto t = impl_->index.find(to);
  if (f == impl_->index.end() || t == impl_->index.end()) return false;
  uint64_t key = (uint64_t{f->second} << 32) | t->second;
  if (impl_->edges.insert(key).second) boost::add_edge(f->second, t->second, impl_->g);
  return true;
}

size_t Dag::node_count() const { return impl_->ids.size(); }
size_t Dag::edge_count() const { return impl_->edges.size(); }

std::optional<std::vector<std::string>> Dag::TopologicalOrder(std::string* cycle) const {
  std::vector<std::string> order = impl_->Order(/*forward=*/true);
  if (order.size() == impl_->ids.size()) return order;
  if (cycle != nullptr) *cycle = impl_->Cycle();
  return std::nullopt;
}

std::optional<std::vector<std::string>> Dag::ReverseOrder(std::string* cycle) const {
  std::vector<std::string> order = impl_->Order(/*forward=*/false);
  if (order.size() == impl_->ids.size()) return order;
  if (cycle != nullptr) *cycle = impl_->Cycle();
  return std::nullopt;
}

std::string Dag::FindCycle() const { return impl_->Cycle(); }

std::vector<std::string> Dag::Dependencies(const std::string& id) const {
  return impl_->Neighbours(id, /*dependencies=*/true);
}

std::vector<std::string> Dag::Dependents(const std::string& id) const {
  return impl_->Neighbours(id, /*dependencies=*/false);
}

std::string Dag::DotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string Dag::ToDot() const {
  std::vector<std::string> nodes = impl_->ids;
  std::sort(nodes.begin(), nodes.end());
  std::vector<std::pair<std::string, std::string>> edges;
  edges.reserve(impl_->edges.size());
  for (auto [e, end] = boost::edges(impl_->g); e != end; ++e) {
    edges.emplace_back(impl_->ids[boost::source(*e, impl_->g)],
                       impl_->ids[boost::target(*e, impl_->g)]);
  }
  std::sort(edges.begin(), edges.end());
  std::string out = "digraph {\n";
  for (const auto& n : nodes) out += "  " + DotQuote(n) + ";\n";
  for (const auto& [from, to] : edges) out += "  " + DotQuote(from) + " -> " + DotQuote(to) + ";\n";
  return out + "}\n";
}

}  // namespace crosslink::graph
