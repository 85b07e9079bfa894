#pragma once
// Rendering a Plan for people (Terraform-like text) and for machines (-json).
//
// Text layout, in this order:
//   1. "Objects changed outside crosslink": Plan::drift, apart from and
//      BEFORE the intended changes.
//   2. "No changes. The live clusters match the topology." — or the legend
//      of the symbols used, then one block per change in plan order:
//        # <address> will be created                         +
//        # <address> will be updated in-place                ~
//        # <address> will be destroyed                       -
//        # <address> will be removed from state              -   (data/check)
//        # <address> will be replaced (forced by: <paths>)   -/+
//        # <address> will be read during apply               <=
//        # <address> will be verified                       ~   (check)
//        # <address> will be adopted into state                  (orphan)
//      with an optional "# (<reason>)" line and the per-attribute diff
//      ("~ path = before -> after", "(known after apply)", "(sensitive)").
//   3. "These clusters will restart: logs (once, for 3 changes), onprem
//      (once)" — per cluster how often it restarts (restart_groups.h:
//      DescribeRestarts), followed, when the plan has restart groups, by a
//      line saying that changes restarting one cluster are applied together;
//      then the summary line "Plan: 3 to add, 1 to change, 2 to destroy."
// Diagnostics are not rendered: the caller prints Plan::diagnostics.
//
// JSON (-json), format_version 2 (the plan file's; 2 added the restart
// groups), stable: fields are only added.
//   { "format_version", "tool_version", "destroy", "refreshed",
//     "state": {"lineage", "serial"}, "topology": {"file", "digest"},
//     "targets": [..], "replace": [..],
//     "drift": [ {"address", "kind": "changed"|"deleted", "attribute_changes"} ],
//     "changes": [ {"address", "type", "provider", "cluster", "mode", "action",
//                   "before", "after", "attribute_changes", "requires_replace",
//                   "restarts_cluster", "reason", "orphan", "wait_for"} ],
//     "restarts": [..],
//     "restart_groups": [ {"provider", "cluster", "members": [address, ..]} ],
//     "restart_counts": { "<cluster>": {"restarts", "changes"} },
//     "summary": {"add", "change", "destroy", "read", "adopt", "has_changes"},
//     "diagnostics": [ {"severity", "location", "path", "summary", "hint"} ] }
//   attribute_changes: [ {"path", "before", "after", "unknown_after",
//                         "forces_replace", "sensitive"} ]; a sensitive
//   change has null before/after. Values unknown until apply are reference
//   objects {"$ref": address, "output": name}. No secret value can appear:
//   plans carry none.
//
// Thread-safety: pure functions.

#include <string>

#include "engine/core/value.h"
#include "engine/plan/plan.h"

namespace crosslink::plan {

struct RenderOptions {
  bool color = false;  // ANSI colours (the CLI decides: TTY and no NO_COLOR)
};

std::string RenderPlanText(const Plan& plan, const RenderOptions& options = {});

Value PlanToJson(const Plan& plan);

// One value as the text plan shows it: strings quoted, unknowns
// "(known after apply)", sensitive markers "(sensitive)".
std::string RenderValue(const Value& v);

}  // namespace crosslink::plan
