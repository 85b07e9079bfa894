#pragma once
// Saved plan files (`crosslink plan -out FILE`, `crosslink apply FILE`).
//
// Format: JSON, "kind": "crosslink-plan", format_version 2 (kPlanFormatVersion;
// 2 added "restart_groups"), documented in docs/plan-file.md. The file carries the whole Plan,
// including each change's desired ResourceSpec, so that apply executes it
// without reading or expanding the topology again; and the state lineage +
// serial and topology digest it was made from, so that apply refuses it
// when any of them moved (CheckPlanFresh). A plan file holds no secret:
// plans carry none (sensitive inputs are references resolved at apply).
//
// Thread-safety: free functions; the FileSystem must be thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/filesystem.h"
#include "engine/core/status.h"
#include "engine/core/value.h"
#include "engine/plan/plan.h"

namespace crosslink::plan {

inline constexpr char kPlanFileKind[] = "crosslink-plan";

// Writes atomically (temp file, fsync, rename) with mode 0600.
Status WritePlanFile(FileSystem& fs, const std::string& path, const Plan& plan);

// Reads a plan written by WritePlanFile. Errors:
//   the FileSystem's error (e.g. kNotFound), with the path;
//   kInvalidArgument     not JSON, not a crosslink plan, or a malformed field;
//   kFailedPrecondition  another format_version, or made by another
//                        crosslink version ("run crosslink plan again").
Result<Plan> ReadPlanFile(FileSystem& fs, const std::string& path);

// The JSON document of a plan file, and back (no version checks).
Value PlanToFileJson(const Plan& plan);

// The fields every JSON form of a plan starts with (format and tool version,
// destroy, refreshed, state lineage/serial, topology file/digest, targets,
// replace); shared by the plan file and `plan -json`.
Value PlanHeaderJson(const Plan& plan);
Result<Plan> PlanFromFileJson(const Value& doc);

// [{"provider", "cluster", "members": [address, ...]}, ...]: the plan file's
// and `plan -json`'s "restart_groups".
Value RestartGroupsToJson(const std::vector<RestartGroup>& groups);

// OK when the plan was made from this state and this topology. Otherwise
// kFailedPrecondition, e.g.
//   saved plan is stale: the state changed since it was made (serial 4, plan
//   made at serial 3); run crosslink plan again
// (and variants naming the lineage or the topology digest).
Status CheckPlanFresh(const Plan& plan, const std::string& lineage, uint64_t serial,
                      const std::string& topology_digest);

}  // namespace crosslink::plan
