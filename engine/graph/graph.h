#pragma once
// ResourceGraph: a validated set of ResourceSpecs and the "must happen after"
// edges between them (ResourceSpec::AllDependencies). It is what expansion
// produces and what planning and apply walk.
//
// Build never merges: specs that several connections share were merged by
// expansion (expand.h) into one spec with one address. Build rejects, as
// error diagnostics, duplicate addresses, dependencies on addresses that are
// not in the set, and dependency cycles ("dependency cycle: a -> b -> a").
//
// Thread-safety: immutable after Build; const methods are safe to call
// concurrently.

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/graph/dag.h"
#include "engine/graph/resource.h"

namespace crosslink::graph {

class ResourceGraph {
 public:
  // Returns nullopt when `diags` received an error. `diags` must not be null.
  static std::optional<ResourceGraph> Build(std::vector<ResourceSpec> specs, Diagnostics* diags);

  // Every resource, each after all of its dependencies; resources ready at
  // the same time are ordered by address.
  const std::vector<ResourceSpec>& resources() const { return resources_; }
  size_t size() const { return resources_.size(); }

  // Null when no resource has that address.
  const ResourceSpec* Find(const std::string& address) const;

  // Direct dependents of `address` (resources that must happen after it),
  // sorted; empty for an unknown address.
  std::vector<std::string> Dependents(const std::string& address) const;
  // Direct dependencies (ResourceSpec::AllDependencies), sorted.
  std::vector<std::string> Dependencies(const std::string& address) const;

  // Addresses in destroy order: every resource before what it depends on.
  std::vector<std::string> DestroyOrder() const;

  // Graphviz DOT, deterministic: one `subgraph "cluster_<name>"` box per
  // topology cluster (environment-level resources in `"cluster_env_<name>"`),
  // nodes labelled with their address; data sources dashed ellipses, checks
  // bold diamonds, resources that restart their cluster drawn thick. An edge
  // a -> b reads "a must happen after b".
  std::string ToDot() const;

  const Dag& dag() const { return dag_; }

 private:
  ResourceGraph() = default;

  std::vector<ResourceSpec> resources_;
  std::unordered_map<std::string, size_t> index_;  // address -> position in resources_
  Dag dag_;
};

}  // namespace crosslink::graph
