#include "engine/graph/resource.h"

#include <algorithm>
#include <utility>

namespace crosslink::graph {

namespace {

constexpr const char kRefKey[] = "$ref";
constexpr const char kOutputKey[] = "output";

void CollectInto(const Value& v, std::vector<Reference>* out) {
  Reference ref;
  if (IsRef(v, &ref)) {
    out->push_back(std::move(ref));
    return;
  }
  if (v.is_object() || v.is_array()) {
    for (const auto& child : v) CollectInto(child, out);
  }
}

void ResolveInPlace(Value* v, const OutputLookup& lookup, std::vector<Reference>* unresolved) {
  Reference ref;
  if (IsRef(*v, &ref)) {
    if (const Value* value = lookup(ref)) {
      *v = *value;
    } else if (unresolved != nullptr) {
      unresolved->push_back(std::move(ref));
    }
    return;
  }
  if (v->is_object() || v->is_array()) {
    for (auto& child : *v) ResolveInPlace(&child, lookup, unresolved);
  }
}

}  // namespace

const char* ResourceModeName(ResourceMode m) {
  switch (m) {
    case ResourceMode::kManaged:
      return "managed";
    case ResourceMode::kData:
      return "data";
    case ResourceMode::kCheck:
      return "check";
  }
  return "managed";
}

Value MakeRef(const std::string& address, const std::string& output) {
  Value v = Value::object();
  v[kRefKey] = address;
  v[kOutputKey] = output;
  return v;
}

bool IsRef(const Value& v, Reference* ref) {
  if (!v.is_object() || v.size() != 2) return false;
  auto a = v.find(kRefKey);
  auto o = v.find(kOutputKey);
  if (a == v.end() || o == v.end() || !a->is_string() || !o->is_string()) return false;
  if (ref != nullptr) {
    ref->address = a->get<std::string>();
    ref->output = o->get<std::string>();
  }
  return true;
}

std::vector<Reference> CollectRefs(const Value& v) {
  std::vector<Reference> out;
  CollectInto(v, &out);
  return out;
}

const Value* FindOutput(const Value& outputs, const std::string& name) {
  if (!outputs.is_object()) return nullptr;
  auto it = outputs.find(name);
  return it == outputs.end() ? nullptr : &*it;
}

Value ResolveRefs(const Value& v, const OutputLookup& lookup, std::vector<Reference>* unresolved) {
  Value out = v;
  ResolveInPlace(&out, lookup, unresolved);
  return out;
}

std::vector<std::string> ResourceSpec::AllDependencies() const {
  std::vector<std::string> deps = depends_on;
  for (const Reference& r : CollectRefs(attributes)) deps.push_back(r.address);
  for (const auto& [name, r] : secret_inputs) deps.push_back(r.address);
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  return deps;
}

}  // namespace crosslink::graph
