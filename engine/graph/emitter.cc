#include "engine/graph/emitter.h"

#include <utility>

#include "engine/graph/catalogue.h"

namespace crosslink::graph {

namespace {

std::string FirstOf(const std::set<std::string>& s) {
  return s.empty() ? std::string() : *s.begin();
}

}  // namespace

std::string Emitter::Emit(ResourceSpec spec) {
  std::string address = spec.address;
  auto it = index_.find(address);
  if (it == index_.end()) {
    Entry e;
    e.needed_by.insert(spec.needed_by.begin(), spec.needed_by.end());
    e.depends_on.insert(spec.depends_on.begin(), spec.depends_on.end());
    e.spec = std::move(spec);
    index_.emplace(address, entries_.size());
    entries_.push_back(std::move(e));
  } else {
    Merge(&entries_[it->second], std::move(spec));
  }
  return address;
}

void Emitter::Conflict(const Entry& entry, const ResourceSpec& incoming, const std::string& what) {
  std::string first = FirstOf(entry.needed_by);
  std::string second =
      incoming.needed_by.empty() ? std::string("another connection") : incoming.needed_by.front();
  diags_->Error(
      incoming.origin, incoming.address,
      "connections \"" + first + "\" and \"" + second + "\" " + what + " in shared resource \"" +
          incoming.address + "\"",
      "make the connections agree on it (a role of one name must have the same body everywhere)");
}

void Emitter::Merge(Entry* entry, ResourceSpec incoming) {
  ResourceSpec& have = entry->spec;
  const ResourceTypeInfo* info = FindResourceType(have.type);
  Sharing sharing = info != nullptr ? info->sharing : Sharing::kSharedEqual;

  bool same_connection = true;
  for (const std::string& n : incoming.needed_by) same_connection &= entry->needed_by.count(n) > 0;
  if (sharing == Sharing::kPerConnection && !same_connection) {
    diags_->Error(incoming.origin, incoming.address,
                  "connections \"" + FirstOf(entry->needed_by) + "\" and \"" +
                      (incoming.needed_by.empty() ? std::string() : incoming.needed_by.front()) +
                      "\" both produce resource \"" + incoming.address + "\"",
                  "each connection needs its own (local cluster, alias) pair");
    return;
  }
  if (have.type != incoming.type || have.provider != incoming.provider ||
      have.cluster != incoming.cluster || have.environment != incoming.environment ||
      have.mode != incoming.mode) {
    Conflict(*entry, incoming, "produce different kinds of resource at one address");
    return;
  }

  if (sharing == Sharing::kSharedUnion) {
    std::string conflict_path;
    if (!MergeUnion(entry, &have.attributes, incoming.attributes, "", &conflict_path)) {
      Conflict(*entry, incoming, "need different values of \"" + conflict_path + "\"");
      return;
    }
  } else if (have.attributes != incoming.attributes) {
    Conflict(*entry, incoming, "need different attributes");
    return;
  }

  for (auto& [name, ref] : incoming.secret_inputs) {
    auto [it, inserted] = have.secret_inputs.emplace(name, ref);
    if (!inserted && !(it->second == ref)) {
      Conflict(*entry, incoming, "need different secret input \"" + name + "\"");
      return;
    }
  }
  entry->needed_by.insert(incoming.needed_by.begin(), incoming.needed_by.end());
  entry->depends_on.insert(incoming.depends_on.begin(), incoming.depends_on.end());
  have.restarts_cluster = have.restarts_cluster || incoming.restarts_cluster;
}

bool Emitter::MergeUnion(Entry* entry, Value* into, const Value& incoming, const std::string& path,
                         std::string* conflict_path) {
  const bool ref = IsRef(*into, nullptr) || IsRef(incoming, nullptr);
  if (!ref && into->is_object() && incoming.is_object()) {
    for (auto it = incoming.begin(); it != incoming.end(); ++it) {
      auto mine = into->find(it.key());
      if (mine == into->end()) {
        (*into)[it.key()] = it.value();
      } else if (!MergeUnion(entry, &*mine, it.value(), path + "/" + it.key(), conflict_path)) {
        return false;
      }
    }
    return true;
  }
  if (!ref && into->is_array() && incoming.is_array()) {
    auto [members, fresh] = entry->array_members.try_emplace(path);
    if (fresh) {
      for (const Value& v : *into) members->second.insert(DumpJson(v));
    }
    for (const Value& v : incoming) {
      if (members->second.insert(DumpJson(v)).second) into->push_back(v);
    }
    return true;
  }
  if (*into == incoming) return true;
  *conflict_path = path.empty() ? std::string("/") : path;
  return false;
}

std::vector<ResourceSpec> Emitter::Finish() {
  std::vector<ResourceSpec> out;
  out.reserve(entries_.size());
  for (Entry& e : entries_) {
    e.spec.needed_by.assign(e.needed_by.begin(), e.needed_by.end());
    e.spec.depends_on.assign(e.depends_on.begin(), e.depends_on.end());
    out.push_back(std::move(e.spec));
  }
  entries_.clear();
  index_.clear();
  return out;
}

}  // namespace crosslink::graph
