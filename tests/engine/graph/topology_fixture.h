#pragma once
// Builds topology::Topology values directly in C++ for the graph tests (the
// YAML loader is tested in tests/engine/topology), and renders expansion
// results as sorted text lines that tests compare with expectations.

#include <algorithm>
#include <string>
#include <vector>

#include "engine/graph/graph.h"
#include "engine/topology/topology.h"

namespace crosslink::graph::testing {

using topology::Platform;
using topology::SecurityModel;

class TopologyBuilder {
 public:
  TopologyBuilder() { t_.file = "topology.yaml"; }

  TopologyBuilder& Environment(const std::string& name, Platform p, const std::string& org = "") {
    topology::Environment e;
    e.name = name;
    e.platform = p;
    e.organization_id = org;
    if (p == Platform::kEce) e.endpoint = "https://" + name + ".example.com:12443";
    if (p == Platform::kEck) e.context = name;
    e.location = {"topology.yaml", 3, 3};
    t_.environments[name] = e;
    return *this;
  }

  // Adds a cluster; for ECK/ECH/ECE `env` must have been added.
  topology::Cluster& Cluster(const std::string& name, Platform p, const std::string& env = "") {
    topology::Cluster c;
    c.name = name;
    c.platform = p;
    c.environment = env;
    c.location = {"topology.yaml", 10 + static_cast<int>(t_.clusters.size()), 3};
    switch (p) {
      case Platform::kEck:
        c.namespace_ = "ns";
        c.es_name = name;
        break;
      case Platform::kEch:
      case Platform::kEce:
        c.deployment_id = "dep-" + name;
        break;
      case Platform::kSelf: {
        c.url = "https://" + name + ".example.com:9200";
        topology::NodeDelivery n;
        n.name = "n1";
        n.hosts = {name + ".example.com"};
        c.nodes.push_back(n);
        break;
      }
    }
    return t_.clusters[name] = c;
  }

  topology::Connection& Connect(const std::string& local, const std::string& remote,
                                const std::string& alias,
                                SecurityModel model = SecurityModel::kApiKey) {
    topology::Connection c;
    c.local = local;
    c.remote = remote;
    c.alias = alias;
    c.security = model;
    c.location = {"topology.yaml", 100 + static_cast<int>(t_.connections.size()), 5};
    topology::IndexAccess a;
    a.names = {"logs-*"};
    c.access.search.push_back(a);
    t_.connections.push_back(c);
    return t_.connections.back();
  }

  const topology::Topology& topology() const { return t_; }
  topology::Topology& mutable_topology() { return t_; }

 private:
  topology::Topology t_;
};

// One line per resource, sorted by address: "address <- dep1, dep2" (or just
// "address" without dependencies).
inline std::vector<std::string> EdgeLines(const ResourceGraph& g) {
  std::vector<std::string> lines;
  for (const ResourceSpec& r : g.resources()) {
    std::string line = r.address;
    std::vector<std::string> deps = r.AllDependencies();
    for (size_t i = 0; i < deps.size(); ++i) line += (i == 0 ? " <- " : ", ") + deps[i];
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace crosslink::graph::testing
