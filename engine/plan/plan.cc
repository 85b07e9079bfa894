#include "engine/plan/plan.h"

namespace crosslink::plan {

bool Plan::HasChanges() const {
  for (const ResourceChange& c : changes) {
    if (c.action == ChangeAction::kNoOp) {
      if (c.orphan) return true;  // adoption: apply records it in state
      if (c.refresh_dependencies) return true;  // apply rewrites its state entry
      continue;
    }
    if (c.action == ChangeAction::kRead) continue;
    return true;
  }
  return false;
}

size_t Plan::Count(ChangeAction a) const {
  size_t n = 0;
  for (const ResourceChange& c : changes) {
    if (c.action == a) ++n;
  }
  return n;
}

}  // namespace crosslink::plan
