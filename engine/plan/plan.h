#pragma once
// Plan: the data a plan run produces and an apply run executes. "A plan is
// data; apply only executes it" (STYLE.md 6): everything apply needs is in
// here, so a saved plan (-out FILE) can be applied later by another process,
// which refuses it when the state's lineage/serial or the topology digest
// moved since (stale plan).
//
// Saved plan file format (JSON, format_version 2) — see docs/plan-file.md;
// serialisation lives in plan_file.h. A plan never contains a secret value:
// sensitive inputs are references to other resources' outputs, resolved at
// apply time from state.
//
// Thread-safety: plain values.

#include <optional>
#include <string>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/core/value.h"
#include "engine/graph/resource.h"
#include "providers/provider.h"

namespace crosslink::plan {

// 2: restart_groups added.
inline constexpr int kPlanFormatVersion = 2;

using providers::ChangeAction;

// One attribute that changes, for the per-attribute diff in the UI.
struct AttributeChange {
  std::string path;   // "access.search[0].names"
  Value before;       // null when absent before
  Value after;        // null when removed; a reference object when unknown until apply
  bool unknown_after = false;   // after is "(known after apply)"
  bool forces_replace = false;  // this path is in requires_replace
};

struct ResourceChange {
  std::string address;
  std::string type;
  std::string provider;
  std::string cluster;
  graph::ResourceMode mode = graph::ResourceMode::kManaged;
  ChangeAction action = ChangeAction::kNoOp;
  std::optional<graph::ResourceSpec> desired;  // absent for kDelete
  Value before = Value();  // live (or prior when not refreshed) attributes; null when absent
  Value after = Value();   // desired attributes with known references resolved; null for kDelete
  // Non-sensitive outputs of the object `before` describes (live, or prior
  // when not refreshed); null when absent. Lets apply record an adopted
  // orphan in state, or delete an orphan, without prior state.
  Value before_outputs = Value();
  std::vector<AttributeChange> attribute_changes;
  std::vector<std::string> requires_replace;
  // Addresses this change must wait for. For create/update/replace: the
  // resource's dependencies; for delete: its dependents (reverse edges).
  std::vector<std::string> wait_for;
  bool restarts_cluster = false;
  std::string reason;  // e.g. "replacement requested with -replace", "not in the topology any more"
  bool orphan = false;  // found by discovery, not in state: adopted (no-op) or removed
  // kNoOp whose state entry records other dependencies than the topology
  // now gives it: apply only rewrites the state entry's dependencies (so
  // that destroy orders deletes correctly). No provider call.
  bool refresh_dependencies = false;
};

// Changes that restart one cluster through one provider, applied as ONE
// Provider::ApplyGroup call so that the cluster restarts once for all of
// them (restart_groups.h says how groups are formed). Members never wait for
// each other; apply runs the group once every member's wait_for is done,
// and what waits for a member waits for the whole group.
struct RestartGroup {
  std::string provider;
  std::string cluster;
  std::vector<std::string> members;  // addresses of changes of the plan, in plan order (>= 2)

  bool operator==(const RestartGroup& o) const {
    return provider == o.provider && cluster == o.cluster && members == o.members;
  }
};

// A difference between the state crosslink saved and what the platform
// reports now: "changed outside crosslink". Shown apart from intended changes.
struct Drift {
  std::string address;
  enum class Kind { kChanged, kDeleted } kind = Kind::kChanged;
  std::vector<AttributeChange> attribute_changes;
};

struct Plan {
  int format_version = kPlanFormatVersion;
  std::string tool_version;
  bool destroy = false;
  bool refreshed = true;                // false with -refresh=false
  std::string state_lineage;            // empty when no state existed
  uint64_t state_serial = 0;
  std::string topology_file;
  std::string topology_digest;          // hex SHA-256 of the topology file
  std::vector<std::string> targets;     // -target addresses (and prefixes)
  std::vector<std::string> replace;     // -replace addresses
  std::vector<ResourceChange> changes;  // every resource considered, in dependency order
  std::vector<Drift> drift;
  std::vector<std::string> restarts;    // clusters this plan will restart (sorted, unique)
  // Restart groups, sorted by (cluster, provider). A restarting change in
  // no group restarts its cluster on its own.
  std::vector<RestartGroup> restart_groups;
  Diagnostics diagnostics;              // warnings and errors found while planning

  // True when at least one change is not kNoOp (kRead of data sources
  // does not count as a change). An adopted orphan (kNoOp with orphan=true)
  // counts: apply must record it in state; so does a dependency refresh
  // (kNoOp with refresh_dependencies).
  bool HasChanges() const;
  size_t Count(ChangeAction a) const;
};

}  // namespace crosslink::plan
