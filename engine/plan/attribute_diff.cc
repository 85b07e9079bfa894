#include "engine/plan/attribute_diff.h"

#include <algorithm>
#include <set>

#include "engine/graph/resource.h"

namespace crosslink::plan {

namespace {

constexpr const char kSensitiveKey[] = "$sensitive";

// An object whose members are diffed one by one (not a reference, not the
// sensitive marker).
bool IsPlainObject(const Value& v) {
  return v.is_object() && !graph::IsRef(v, nullptr) && !IsSensitiveMarker(v);
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

const Value& Member(const Value& v, const std::string& key) {
  static const Value kNull;
  if (!v.is_object()) return kNull;
  auto it = v.find(key);
  return it == v.end() ? kNull : *it;
}

}  // namespace

Value SensitiveMarker() {
  Value v = Value::object();
  v[kSensitiveKey] = true;
  return v;
}

bool IsSensitiveMarker(const Value& v) {
  if (!v.is_object() || v.size() != 1) return false;
  auto it = v.find(kSensitiveKey);
  return it != v.end() && it->is_boolean() && it->get<bool>();
}

bool ContainsUnknown(const Value& v) {
  if (graph::IsRef(v, nullptr)) return true;
  if (v.is_object() || v.is_array()) {
    for (const auto& item : v) {
      if (ContainsUnknown(item)) return true;
    }
  }
  return false;
}

bool PathIsUnder(const std::string& path, const std::string& prefix) {
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  if (path.size() == prefix.size()) return true;
  const char next = path[prefix.size()];
  return next == '.' || next == '[';
}

void DiffValues(const std::string& path, const Value& before, const Value& after,
                std::vector<AttributeChange>* out) {
  const bool before_obj = IsPlainObject(before) && !before.empty();
  const bool after_obj = IsPlainObject(after) && !after.empty();
  if ((before_obj || before.is_null()) && (after_obj || after.is_null()) &&
      (before_obj || after_obj)) {
    std::set<std::string> keys;
    if (before_obj) {
      for (auto it = before.begin(); it != before.end(); ++it) keys.insert(it.key());
    }
    if (after_obj) {
      for (auto it = after.begin(); it != after.end(); ++it) keys.insert(it.key());
    }
    for (const std::string& k : keys) {
      DiffValues(Join(path, k), Member(before, k), Member(after, k), out);
    }
    return;
  }
  const bool unknown = ContainsUnknown(after);
  if (!unknown && before == after) return;
  AttributeChange c;
  c.path = path;
  c.before = before;
  c.after = after;
  c.unknown_after = unknown;
  out->push_back(std::move(c));
}

std::vector<AttributeChange> DiffAttributes(const Value& before, const Value& after,
                                            const Value& managed) {
  std::set<std::string> keys;
  for (const Value* doc : {&after, &managed}) {
    if (!doc->is_object()) continue;
    for (auto it = doc->begin(); it != doc->end(); ++it) keys.insert(it.key());
  }
  std::vector<AttributeChange> out;
  for (const std::string& k : keys) DiffValues(k, Member(before, k), Member(after, k), &out);
  return out;
}

std::vector<AttributeChange> DiffManagedKeys(const Value& prior, const Value& live) {
  std::vector<AttributeChange> out;
  if (!prior.is_object()) return out;
  for (auto it = prior.begin(); it != prior.end(); ++it) {
    DiffValues(it.key(), it.value(), Member(live, it.key()), &out);
  }
  return out;
}

void MarkForcesReplace(const std::vector<std::string>& requires_replace,
                       std::vector<AttributeChange>* changes) {
  for (AttributeChange& c : *changes) {
    c.forces_replace = std::any_of(
        requires_replace.begin(), requires_replace.end(),
        [&](const std::string& p) { return PathIsUnder(c.path, p) || PathIsUnder(p, c.path); });
  }
}

}  // namespace crosslink::plan
