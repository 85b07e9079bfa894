#include "engine/graph/graph.h"

#include <algorithm>
#include <map>

namespace crosslink::graph {

namespace {

// "dependency cycle: a -> b -> a" -> "a"
std::string FirstInCycle(const std::string& message) {
  const std::string prefix = "dependency cycle: ";
  std::string rest = message.substr(std::min(prefix.size(), message.size()));
  return rest.substr(0, rest.find(" -> "));
}

std::string NodeAttributes(const ResourceSpec& r) {
  std::string label = r.address;
  if (r.restarts_cluster) {
    label += "\n(restarts " + (r.cluster.empty() ? std::string("cluster") : r.cluster) + ")";
  }
  std::string out = "label=" + Dag::DotQuote(label);
  switch (r.mode) {
    case ResourceMode::kData:
      out += ", shape=ellipse, style=dashed";
      break;
    case ResourceMode::kCheck:
      out += ", shape=diamond, style=bold";
      break;
    case ResourceMode::kManaged:
      break;
  }
  if (r.restarts_cluster) out += ", penwidth=2, color=firebrick";
  return out;
}

}  // namespace

std::optional<ResourceGraph> ResourceGraph::Build(std::vector<ResourceSpec> specs,
                                                  Diagnostics* diags) {
  const size_t errors_before = diags->error_count();
  ResourceGraph g;

  std::vector<ResourceSpec> unique;
  unique.reserve(specs.size());
  for (ResourceSpec& s : specs) {
    if (!g.dag_.AddNode(s.address)) {
      diags->Error(
          s.origin, s.address, "duplicate resource address \"" + s.address + "\"",
          "every resource needs its own address; shared resources must be merged into one");
      continue;
    }
    unique.push_back(std::move(s));
  }
  for (const ResourceSpec& s : unique) {
    for (const std::string& dep : s.AllDependencies()) {
      if (!g.dag_.AddEdge(s.address, dep)) {
        diags->Error(
            s.origin, s.address,
            "resource \"" + s.address + "\" depends on unknown resource \"" + dep + "\"",
            "every address in depends_on and in references must be a resource of the graph");
      }
    }
  }
  if (diags->error_count() > errors_before) return std::nullopt;

  std::string cycle;
  std::optional<std::vector<std::string>> order = g.dag_.TopologicalOrder(&cycle);
  if (!order) {
    std::unordered_map<std::string, const ResourceSpec*> by_address;
    for (const ResourceSpec& s : unique) by_address.emplace(s.address, &s);
    auto first = by_address.find(FirstInCycle(cycle));
    SourceLocation where = first != by_address.end() ? first->second->origin : SourceLocation{};
    diags->Error(where, "", cycle, "a resource cannot (indirectly) depend on itself");
    return std::nullopt;
  }

  std::unordered_map<std::string, size_t> position;
  position.reserve(unique.size());
  for (size_t i = 0; i < unique.size(); ++i) position.emplace(unique[i].address, i);
  g.resources_.reserve(unique.size());
  for (const std::string& address : *order) {
    g.index_.emplace(address, g.resources_.size());
    g.resources_.push_back(std::move(unique[position[address]]));
  }
  return g;
}

const ResourceSpec* ResourceGraph::Find(const std::string& address) const {
  auto it = index_.find(address);
  return it == index_.end() ? nullptr : &resources_[it->second];
}

std::vector<std::string> ResourceGraph::Dependents(const std::string& address) const {
  return dag_.Dependents(address);
}

std::vector<std::string> ResourceGraph::Dependencies(const std::string& address) const {
  return dag_.Dependencies(address);
}

std::vector<std::string> ResourceGraph::DestroyOrder() const {
  // Build guaranteed an acyclic graph.
  return dag_.ReverseOrder().value_or(std::vector<std::string>{});
}

std::string ResourceGraph::ToDot() const {
  // Group node lines by box; std::map keeps boxes and their nodes sorted.
  std::map<std::string, std::map<std::string, std::string>> boxes;  // box id -> address -> line
  std::map<std::string, std::string> box_labels;
  std::map<std::string, std::string> loose;
  for (const ResourceSpec& r : resources_) {
    std::string line = Dag::DotQuote(r.address) + " [" + NodeAttributes(r) + "];";
    if (!r.cluster.empty()) {
      std::string box = "cluster_" + r.cluster;
      boxes[box][r.address] = line;
      box_labels[box] = "cluster " + r.cluster;
    } else if (!r.environment.empty()) {
      std::string box = "cluster_env_" + r.environment;
      boxes[box][r.address] = line;
      box_labels[box] = "environment " + r.environment;
    } else {
      loose[r.address] = line;
    }
  }

  std::vector<std::pair<std::string, std::string>> edges;
  for (const ResourceSpec& r : resources_) {
    for (const std::string& dep : r.AllDependencies()) edges.emplace_back(r.address, dep);
  }
  std::sort(edges.begin(), edges.end());

  std::string out;
  out += "// crosslink resource graph. An edge a -> b reads \"a must happen after b\".\n";
  out += "// Boxes are clusters; dashed ellipses are data sources (read only), diamonds are\n";
  out += "// post-apply checks, thick red outlines restart their cluster.\n";
  out += "digraph crosslink {\n";
  out += "  rankdir=RL;\n";
  out += "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [color=gray40];\n";
  for (const auto& [box, nodes] : boxes) {
    out += "  subgraph " + Dag::DotQuote(box) + " {\n";
    out += "    label=" + Dag::DotQuote(box_labels[box]) + ";\n";
    out += "    style=rounded;\n";
    for (const auto& [address, line] : nodes) out += "    " + line + "\n";
    out += "  }\n";
  }
  for (const auto& [address, line] : loose) out += "  " + line + "\n";
  for (const auto& [from, to] : edges) {
    out += "  " + Dag::DotQuote(from) + " -> " + Dag::DotQuote(to) + ";\n";
  }
  out += "}\n";
  return out;
}

}  // namespace crosslink::graph
