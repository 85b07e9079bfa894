#include "providers/provider.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/graph/catalogue.h"

namespace crosslink::providers {

const char* ChangeActionName(ChangeAction a) {
  switch (a) {
    case ChangeAction::kNoOp:
      return "no-op";
    case ChangeAction::kCreate:
      return "create";
    case ChangeAction::kUpdate:
      return "update";
    case ChangeAction::kReplace:
      return "replace";
    case ChangeAction::kDelete:
      return "delete";
    case ChangeAction::kRead:
      return "read";
  }
  return "unknown";
}

namespace {

// True when `v` is, or contains, a reference object (a value known only at
// apply time).
bool ContainsRef(const Value& v) {
  graph::Reference ref;
  if (graph::IsRef(v, &ref)) return true;
  if (v.is_object() || v.is_array()) {
    for (const auto& item : v) {
      if (ContainsRef(item)) return true;
    }
  }
  return false;
}

// Whether an attribute is unchanged. Lists of a "shared (lists merged)"
// resource are unions in first-seen order, an order that follows the
// topology's list of connections (docs/resources.md "Sharing") and nothing
// on the platform: reordering connections must not change (and restart)
// anything, so their items are compared as a set.
bool SameAttribute(const Value& current, const Value& desired, bool lists_are_sets) {
  if (!lists_are_sets || !current.is_array() || !desired.is_array()) return current == desired;
  if (current.size() != desired.size()) return false;
  auto items = [](const Value& list) {
    std::vector<std::string> out;
    for (const Value& item : list) out.push_back(item.dump());
    std::sort(out.begin(), out.end());
    return out;
  };
  return items(current) == items(desired);
}

}  // namespace

PlanResponse Provider::DefaultPlan(const PlanRequest& req) {
  PlanResponse resp;
  if (req.desired == nullptr) {
    // To be destroyed: only managed objects (and orphans, which have no
    // prior state and are always crosslink's own) exist on the platform.
    const bool managed = req.prior == nullptr || req.prior->mode == graph::ResourceMode::kManaged;
    resp.action = managed ? ChangeAction::kDelete : ChangeAction::kNoOp;
    return resp;
  }
  const bool data = req.desired->mode == graph::ResourceMode::kData;
  const ChangeAction change = data ? ChangeAction::kRead : ChangeAction::kUpdate;

  // What exists now: the refreshed object when there is one, else what the
  // last run recorded.
  const Value* current = nullptr;
  if (req.live != nullptr) {
    if (req.live->exists) current = &req.live->attributes;
  } else if (req.prior != nullptr) {
    current = &req.prior->attributes;
  }
  if (current == nullptr) {
    resp.action = data ? ChangeAction::kRead : ChangeAction::kCreate;
    return resp;
  }
  if (!req.attributes.is_object()) {
    resp.action = change;
    return resp;
  }
  const graph::ResourceTypeInfo* info = graph::FindResourceType(req.desired->type);
  const bool lists_are_sets = info != nullptr && info->sharing == graph::Sharing::kSharedUnion;
  for (auto it = req.attributes.begin(); it != req.attributes.end(); ++it) {
    if (ContainsRef(it.value())) {
      resp.action = change;
      return resp;
    }
    if (!current->is_object() || !current->contains(it.key()) ||
        !SameAttribute((*current)[it.key()], it.value(), lists_are_sets)) {
      resp.action = change;
      return resp;
    }
  }
  // Keys crosslink set last time but the topology no longer does: removing
  // them is a change while the object still has them.
  if (req.prior != nullptr && req.prior->attributes.is_object() && current->is_object()) {
    for (auto it = req.prior->attributes.begin(); it != req.prior->attributes.end(); ++it) {
      if (req.attributes.contains(it.key())) continue;
      auto cur = current->find(it.key());
      if (cur != current->end() && !cur->is_null()) {
        resp.action = change;
        return resp;
      }
    }
  }
  resp.action = ChangeAction::kNoOp;
  return resp;
}

Provider* ProviderSet::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<std::string> ProviderSet::names() const {
  std::vector<std::string> out;
  out.reserve(by_name_.size());
  for (const auto& [name, provider] : by_name_) out.push_back(name);
  return out;
}

}  // namespace crosslink::providers

namespace crosslink::providers {

std::vector<ApplyResponse> Provider::ApplyGroup(const std::vector<GroupChange>& changes) {
  std::vector<ApplyResponse> out;
  out.reserve(changes.size());
  for (const GroupChange& c : changes) {
    switch (c.action) {
      case ChangeAction::kCreate:
        out.push_back(Create(c.request));
        break;
      case ChangeAction::kUpdate:
        out.push_back(Update(c.request));
        break;
      case ChangeAction::kDelete:
        out.push_back(Delete(c.request));
        break;
      case ChangeAction::kReplace: {
        // The old object is found by what it was (as the one-by-one path
        // deletes it), the new one made from what is desired.
        ApplyRequest del = c.request;
        if (del.prior != nullptr) del.attributes = del.prior->attributes;
        ApplyResponse deleted = Delete(del);
        if (!deleted.status.ok() || deleted.diagnostics.has_errors()) {
          out.push_back(std::move(deleted));
          break;
        }
        ApplyRequest create = c.request;
        create.prior = nullptr;
        out.push_back(Create(create));
        break;
      }
      case ChangeAction::kNoOp:
      case ChangeAction::kRead: {
        ApplyResponse bad;
        bad.status = Status::Internal(c.address + ": " + ChangeActionName(c.action) +
                                      " cannot be part of a restart group");
        out.push_back(std::move(bad));
        break;
      }
    }
  }
  return out;
}

}  // namespace crosslink::providers
