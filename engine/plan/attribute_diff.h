#pragma once
// Attribute diffs and value helpers shared by the planner, the renderers and
// the plan file: how two attribute documents are compared leaf by leaf, how
// unknown ("known after apply") and sensitive values are represented.
//
// Conventions:
//   - Objects are compared key by key and recursed into; arrays and scalars
//     are compared whole. A path joins object keys with '.', e.g.
//     "access.search" (an array value) or "settings.mode".
//   - A reference object ({"$ref", "output"}, engine/graph/resource.h) is an
//     unknown value: a change whose `after` holds one is "(known after apply)".
//   - Sensitive values never enter a plan. Where the UI must say that a
//     sensitive input changes, the value is the marker {"$sensitive": true}
//     (SensitiveMarker), rendered "(sensitive)".
//
// Thread-safety: pure functions.

#include <string>
#include <vector>

#include "engine/core/value.h"
#include "engine/plan/plan.h"

namespace crosslink::plan {

// {"$sensitive": true}
Value SensitiveMarker();
bool IsSensitiveMarker(const Value& v);

// True when `v` is or contains a reference (a value unknown until apply).
bool ContainsUnknown(const Value& v);

// True when `path` is `prefix` or lies under it ("a.b" is under "a").
bool PathIsUnder(const std::string& path, const std::string& prefix);

// Appends the leaf differences between `before` and `after` at `path`
// (null stands for "absent"). Equal values add nothing.
void DiffValues(const std::string& path, const Value& before, const Value& after,
                std::vector<AttributeChange>* out);

// Differences between two attribute documents, restricted to the top-level
// keys crosslink manages: every key of `after` plus every key of `managed`
// (typically the prior state's attributes, so that a key the topology no
// longer sets shows as removed). Keys only `before` has are ignored: they
// belong to someone else. Sorted by path.
std::vector<AttributeChange> DiffAttributes(const Value& before, const Value& after,
                                            const Value& managed);

// Drift of one managed object: prior vs live for the keys present in prior.
std::vector<AttributeChange> DiffManagedKeys(const Value& prior, const Value& live);

// Marks changes under any of `requires_replace` as forcing a replacement.
void MarkForcesReplace(const std::vector<std::string>& requires_replace,
                       std::vector<AttributeChange>* changes);

}  // namespace crosslink::plan
