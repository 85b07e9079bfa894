#pragma once
// Refresh: the discovery step of planning (internal to engine/plan; callers
// use MakePlan). Resources are grouped into read scopes and every scope is
// read with one Provider::Read, scopes concurrently.
//
// A scope is (provider, cluster); resources with no cluster (environment
// level) are scoped by (provider, environment) instead. All the resources of
// one cluster therefore share one Read per provider, however many
// connections use them.
//
// Thread-safety: Refresh runs Provider::Read on up to `parallelism` threads;
// hook calls are serialised by an internal mutex.

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/core/status.h"
#include "engine/plan/planner.h"
#include "providers/provider.h"

namespace crosslink::plan::internal {

struct ReadScope {
  std::string provider;
  std::string cluster;      // may be empty
  std::string environment;  // first non-empty environment of its resources
  providers::Provider* impl = nullptr;
  std::vector<providers::ReadItem> items;
};

// An orphan with the scope that reported it.
struct OrphanRecord {
  std::string provider;
  std::string cluster;
  std::string environment;
  providers::Orphan orphan;
};

struct LiveView {
  // Every object the providers reported, by address (exists or not). An
  // address absent here was not read, or its provider could not tell.
  std::unordered_map<std::string, providers::LiveObject> objects;
  // Orphans by address; when two scopes report the same address the first
  // scope (in scope order) wins.
  std::map<std::string, OrphanRecord> orphans;
  Diagnostics diagnostics;  // from every Read, in scope order
};

// Groups items into scopes, in a deterministic order (sorted by scope key;
// items keep the order in which they were added).
class ScopeBuilder {
 public:
  void Add(const std::string& provider, providers::Provider* impl, const std::string& cluster,
           const std::string& environment, providers::ReadItem item);
  std::vector<ReadScope> Take();

 private:
  std::map<std::string, ReadScope> scopes_;  // by "provider\0cluster\0environment"
};

// Reads every scope. The first failed Read (in scope order) fails the whole
// refresh, with a message naming provider and scope, and the code and
// retryability of the provider's Status.
Result<LiveView> Refresh(std::vector<ReadScope>& scopes, int parallelism, PlanHooks* hooks);

}  // namespace crosslink::plan::internal
