#pragma once
// MakePlan: desired resources + prior state + live state -> Plan.
//
//   1. Refresh (unless -refresh=false): every address crosslink cares about
//      (the desired resources, and the managed resources of the prior state)
//      is grouped by scope — (provider, cluster), or (provider, environment)
//      for environment-level resources — and each scope is read with ONE
//      Provider::Read. Scopes are read concurrently, at most
//      `parallelism` at a time. A failed Read fails the plan: crosslink never
//      guesses what it could not see.
//   2. Drift: prior state vs refreshed live objects, for the top-level
//      attributes crosslink manages (and a data resource's outputs) ->
//      Plan::drift, shown apart from the intended changes.
//   3. Desired resources, in the given (dependency) order: references are
//      resolved from the best known outputs; Provider::Plan decides the
//      action, adjusted by -replace, unknown values and requires_replace.
//   4. Resources in state but not desired (all of them with destroy) are
//      deleted; data and check resources are only forgotten (no provider
//      call at apply). Orphans reported by Read are adopted when desired,
//      else deleted. Only objects carrying crosslink's marks
//      (LiveObject::managed_by_crosslink) are adopted or deleted without
//      state; an unmarked object at a managed resource's address is a plan
//      error. A managed producer whose state lacks a sensitive output that
//      a secret_inputs needs is replaced (secrets are returned only at
//      creation). A no-op whose state records other dependencies gets
//      refresh_dependencies (apply rewrites the state entry only).
//   5. -target narrows the plan; wait_for (nearest changed ancestors through
//      no-op resources), restarts and restart groups (restart_groups.h) are
//      filled last.
//
// The plan carries the prior state's lineage and serial, and the topology
// file name and digest given in PlanOptions (the caller may also set them on
// the returned Plan). tool_version is this build's version.
//
// Cost: O(n log n) in resources plus one Read per scope and one
// Provider::Plan per resource.
//
// Thread-safety: MakePlan may run Provider::Read on several threads at once
// (the providers are thread-safe by contract); PlanHooks calls are serialised
// (never concurrent) but may come from any of those threads.

#include <cstddef>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/graph/resource.h"
#include "engine/plan/plan.h"
#include "providers/provider.h"
#include "state/state.h"

namespace crosslink::plan {

struct PlanOptions {
  bool destroy = false;  // plan to remove everything in state (and orphans)
  bool refresh = true;   // false: plan against prior state only, no Read
  // -target: addresses, or prefixes of whole address parts ("type.name"
  // selects "type.name.other"). Keeps these changes and what they need.
  std::vector<std::string> targets;
  std::vector<std::string> replace;  // -replace: exact addresses
  int parallelism = 10;              // concurrent Reads; values < 1 mean 1
  std::string topology_file;         // copied into Plan::topology_file
  std::string topology_digest;       // copied into Plan::topology_digest
};

// Progress of the refresh, for the UI. Default implementations do nothing.
class PlanHooks {
 public:
  virtual ~PlanHooks() = default;
  // `cluster` is empty for an environment-level scope.
  virtual void OnRefreshStart(const std::string& provider, const std::string& cluster,
                              size_t n_items) {
    (void)provider, (void)cluster, (void)n_items;
  }
  virtual void OnRefreshDone(const std::string& provider, const std::string& cluster,
                             const Status& status) {
    (void)provider, (void)cluster, (void)status;
  }
};

// Errors (the plan is not made):
//   kFailedPrecondition  a resource needs a provider this build lacks:
//                        no provider "eck" is available in this build (needed by <address>)
//   the Read's code      reading a scope failed; the message names provider,
//                        scope and the provider's message
//   kInternal            `desired` is not in dependency order or repeats an
//                        address, or a provider answered nonsense
// Provider diagnostics (warnings and errors) are collected in
// Plan::diagnostics; a plan whose diagnostics have errors must not be applied.
// `hooks` may be null.
Result<Plan> MakePlan(const std::vector<graph::ResourceSpec>& desired, const state::State& prior,
                      providers::ProviderSet& providers, const PlanOptions& opts,
                      PlanHooks* hooks = nullptr);

}  // namespace crosslink::plan
