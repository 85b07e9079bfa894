#include "engine/plan/restart_groups.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace crosslink::plan {

namespace {

// The wait_for graph of a plan over change indices: out[i] = the changes i
// waits for (addresses outside the plan are ignored), in[j] = the changes
// that wait for j.
struct WaitGraph {
  std::vector<std::vector<size_t>> out;
  std::vector<std::vector<size_t>> in;
};

WaitGraph BuildWaitGraph(const std::vector<ResourceChange>& changes) {
  std::unordered_map<std::string, size_t> index;
  index.reserve(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) index.emplace(changes[i].address, i);
  WaitGraph g;
  g.out.resize(changes.size());
  g.in.resize(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    for (const std::string& dep : changes[i].wait_for) {
      auto it = index.find(dep);
      if (it == index.end() || it->second == i) continue;
      g.out[i].push_back(it->second);
    }
    std::sort(g.out[i].begin(), g.out[i].end());
    g.out[i].erase(std::unique(g.out[i].begin(), g.out[i].end()), g.out[i].end());
    for (size_t j : g.out[i]) g.in[j].push_back(i);
  }
  return g;
}

// The candidates of one bucket that wait, through any path of the plan, for
// another candidate of the bucket: everything that reaches a candidate
// through at least one edge (reverse search from the candidates).
std::vector<size_t> WithoutWaiters(const std::vector<size_t>& candidates, const WaitGraph& g) {
  std::vector<bool> reaches(g.out.size(), false);
  std::vector<size_t> stack;
  for (size_t m : candidates) stack.insert(stack.end(), g.in[m].begin(), g.in[m].end());
  while (!stack.empty()) {
    const size_t n = stack.back();
    stack.pop_back();
    if (reaches[n]) continue;
    reaches[n] = true;
    stack.insert(stack.end(), g.in[n].begin(), g.in[n].end());
  }
  std::vector<size_t> kept;
  for (size_t m : candidates) {
    if (!reaches[m]) kept.push_back(m);
  }
  return kept;
}

// Strongly connected components (Tarjan, iterative): component id per node.
std::vector<size_t> Components(const std::vector<std::vector<size_t>>& adj, size_t* count) {
  const size_t n = adj.size();
  constexpr size_t kUnvisited = static_cast<size_t>(-1);
  std::vector<size_t> order(n, kUnvisited), low(n, 0), comp(n, kUnvisited);
  std::vector<bool> on_stack(n, false);
  std::vector<size_t> stack;
  std::vector<std::pair<size_t, size_t>> frames;  // (node, next edge)
  size_t next_order = 0;
  *count = 0;
  for (size_t root = 0; root < n; ++root) {
    if (order[root] != kUnvisited) continue;
    frames.emplace_back(root, 0);
    order[root] = low[root] = next_order++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!frames.empty()) {
      auto& [v, e] = frames.back();
      if (e < adj[v].size()) {
        const size_t w = adj[v][e++];
        if (order[w] == kUnvisited) {
          order[w] = low[w] = next_order++;
          stack.push_back(w);
          on_stack[w] = true;
          frames.emplace_back(w, 0);
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], order[w]);
        }
        continue;
      }
      const size_t done = v;
      frames.pop_back();
      if (!frames.empty()) {
        const size_t parent = frames.back().first;
        low[parent] = std::min(low[parent], low[done]);
      }
      if (low[done] == order[done]) {
        while (true) {
          const size_t w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          comp[w] = *count;
          if (w == done) break;
        }
        ++*count;
      }
    }
  }
  return comp;
}

// Dissolves every group that sits on a cycle of the wait_for graph
// condensed by the active groups; true when one was dissolved.
bool DissolveCycles(const WaitGraph& g, const std::vector<std::vector<size_t>>& groups,
                    std::vector<bool>* active) {
  const size_t n = g.out.size();
  std::vector<size_t> node(n);
  for (size_t i = 0; i < n; ++i) node[i] = i;
  for (size_t k = 0; k < groups.size(); ++k) {
    if (!(*active)[k]) continue;
    for (size_t m : groups[k]) node[m] = n + k;
  }
  std::vector<std::vector<size_t>> adj(n + groups.size());
  for (size_t i = 0; i < n; ++i) {
    for (size_t j : g.out[i]) {
      if (node[i] != node[j]) adj[node[i]].push_back(node[j]);
    }
  }
  size_t count = 0;
  std::vector<size_t> comp = Components(adj, &count);
  std::vector<size_t> size(count, 0);
  for (size_t v = 0; v < adj.size(); ++v) {
    // Members are represented by their group node: do not count them.
    if (v < n && node[v] != v) continue;
    ++size[comp[v]];
  }
  bool dissolved = false;
  for (size_t k = 0; k < groups.size(); ++k) {
    if ((*active)[k] && size[comp[n + k]] > 1) {
      (*active)[k] = false;
      dissolved = true;
    }
  }
  return dissolved;
}

bool RestartsAlone(const ResourceChange& c) {
  return c.restarts_cluster && !c.cluster.empty() && c.action != ChangeAction::kNoOp &&
         c.action != ChangeAction::kRead;
}

std::string Times(size_t n) {
  if (n == 1) return "once";
  if (n == 2) return "twice";
  return std::to_string(n) + " times";
}

}  // namespace

bool IsRestartGroupCandidate(const ResourceChange& c) {
  const bool acts = c.action == ChangeAction::kCreate || c.action == ChangeAction::kUpdate ||
                    c.action == ChangeAction::kReplace || c.action == ChangeAction::kDelete;
  return acts && c.mode == graph::ResourceMode::kManaged && c.restarts_cluster &&
         !c.cluster.empty();
}

std::vector<RestartGroup> FormRestartGroups(const std::vector<ResourceChange>& changes) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> buckets;
  for (size_t i = 0; i < changes.size(); ++i) {
    if (IsRestartGroupCandidate(changes[i])) {
      buckets[{changes[i].provider, changes[i].cluster}].push_back(i);
    }
  }
  const WaitGraph g = BuildWaitGraph(changes);
  std::vector<std::vector<size_t>> groups;
  for (const auto& [key, candidates] : buckets) {
    if (candidates.size() < 2) continue;
    std::vector<size_t> kept = WithoutWaiters(candidates, g);
    if (kept.size() >= 2) groups.push_back(std::move(kept));
  }
  std::vector<bool> active(groups.size(), true);
  while (DissolveCycles(g, groups, &active)) {
  }
  std::vector<RestartGroup> out;
  for (size_t k = 0; k < groups.size(); ++k) {
    if (!active[k]) continue;
    RestartGroup group;
    group.provider = changes[groups[k].front()].provider;
    group.cluster = changes[groups[k].front()].cluster;
    for (size_t m : groups[k]) group.members.push_back(changes[m].address);
    out.push_back(std::move(group));
  }
  std::sort(out.begin(), out.end(), [](const RestartGroup& a, const RestartGroup& b) {
    return std::tie(a.cluster, a.provider) < std::tie(b.cluster, b.provider);
  });
  return out;
}

size_t ClusterRestarts::changes() const {
  size_t n = single_changes;
  for (size_t s : group_sizes) n += s;
  return n;
}

std::vector<ClusterRestarts> CountRestarts(const Plan& plan) {
  std::set<std::string> grouped;
  for (const RestartGroup& g : plan.restart_groups) {
    grouped.insert(g.members.begin(), g.members.end());
  }
  std::vector<ClusterRestarts> out;
  for (const std::string& cluster : plan.restarts) {
    ClusterRestarts r;
    r.cluster = cluster;
    for (const RestartGroup& g : plan.restart_groups) {
      if (g.cluster == cluster) r.group_sizes.push_back(g.members.size());
    }
    for (const ResourceChange& c : plan.changes) {
      if (c.cluster == cluster && RestartsAlone(c) && grouped.count(c.address) == 0) {
        ++r.single_changes;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string DescribeRestarts(const ClusterRestarts& r) {
  const size_t n = r.restarts();
  if (n == 0) return r.cluster;
  if (n == 1) {
    if (r.group_sizes.empty()) return r.cluster + " (once)";
    return r.cluster + " (once, for " + std::to_string(r.group_sizes.front()) + " changes)";
  }
  std::string parts;
  for (size_t size : r.group_sizes) {
    if (!parts.empty()) parts += ", ";
    parts += "once for " + std::to_string(size) + " changes combined";
  }
  if (r.single_changes > 0) {
    if (!parts.empty()) parts += ", ";
    parts += r.single_changes == 1 ? "once for 1 change"
                                   : Times(r.single_changes) + " for 1 change each";
  }
  return r.cluster + " (" + Times(n) + ": " + parts + ")";
}

}  // namespace crosslink::plan
