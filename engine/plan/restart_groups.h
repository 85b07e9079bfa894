#pragma once
// Restart groups: the changes of one plan that restart the same cluster
// through the same provider, applied together (Provider::ApplyGroup) so that
// the cluster restarts once for all of them instead of once per change.
//
// A restart group is formed from the changes with action create, update,
// replace or delete, mode managed, restarts_cluster true and a cluster, by
// (provider, cluster), when at least 2 of them qualify:
//   1. A candidate that waits (directly, or transitively through other
//      changes of the plan) for another candidate of the same (provider,
//      cluster) is left out: it stays a change of its own, applied after the
//      group (its own restart).
//   2. Apply runs a group as one node of the wait_for graph. Merging the
//      members must not create a cycle (two clusters whose groups wait for
//      each other through other changes): the wait_for graph condensed by
//      the groups is checked for strongly connected components; every group
//      in a component of more than one node is dissolved (its members stay
//      changes of their own), and the check repeats until no group is in one.
// The result depends only on the changes (addresses, actions, modes,
// clusters, providers, wait_for), never on hash order: groups are sorted by
// (cluster, provider), members keep plan order.
//
// Restart counts (what the plan text and -json report): a cluster restarts
// once per group plus once per restarting change outside any group.
//
// Cost: O(G * (V + E)) for step 1 (G = (provider, cluster) buckets) and
// O(R * (V + E)) for step 2 (R = rounds, at most the number of groups).
//
// Thread-safety: pure functions.

#include <cstddef>
#include <string>
#include <vector>

#include "engine/plan/plan.h"

namespace crosslink::plan {

// Whether `c` may be part of a restart group (before the wait_for rules):
// managed, restarts its cluster, acts on a cluster, and is a create,
// update, replace or delete.
bool IsRestartGroupCandidate(const ResourceChange& c);

// The restart groups of `changes` (a plan's changes with wait_for filled).
std::vector<RestartGroup> FormRestartGroups(const std::vector<ResourceChange>& changes);

// How often a plan restarts one cluster, and why.
struct ClusterRestarts {
  std::string cluster;
  std::vector<size_t> group_sizes;  // one entry per group (its member count), in group order
  size_t single_changes = 0;        // restarting changes outside any group: one restart each

  size_t restarts() const { return group_sizes.size() + single_changes; }
  size_t changes() const;  // every restarting change on the cluster
};

// Per cluster of plan.restarts (same order): its restarts, from
// plan.restart_groups and the restarting changes outside them.
std::vector<ClusterRestarts> CountRestarts(const Plan& plan);

// The cluster and its restarts, for the plan text: "logs (once)" (one
// change), "logs (once, for 3 changes)" (one group), "onprem (twice: once for
// 2 changes combined, once for 1 change)", "dc (3 times: 3 times for 1
// change each)".
std::string DescribeRestarts(const ClusterRestarts& r);

}  // namespace crosslink::plan
