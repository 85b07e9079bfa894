#include "engine/plan/plan.h"

namespace crosslink::plan {

bool Plan::HasChanges() const {
  for (const ResourceChange& c : changes) {
    if (c.action == ChangeAction::kNoOp) {
      if (c.orphan) return true;  // adoption: apply records it in state
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
