#pragma once
// Emitter (internal to engine/graph): collects the specs that expansion
// rules produce and merges the ones that share an address, following the
// type's Sharing (catalogue.h):
//   kPerConnection  a second connection producing the address is an error;
//   kSharedEqual    attributes must be equal;
//   kSharedUnion    objects merge key by key, arrays become the union of
//                   their elements (first-seen order), scalars must be equal.
// Every kind unions needed_by and depends_on (returned sorted), merges
// secret_inputs (same input name must name the same output), ORs
// restarts_cluster and keeps the step and origin of the first connection.
// Conflicts are error diagnostics at the later connection's location.
//
// Cost: O(size of the incoming spec) per Emit, whatever the number of
// connections already merged into the address.
//
// Thread-safety: not thread-safe.

#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/graph/resource.h"

namespace crosslink::graph {

class Emitter {
 public:
  explicit Emitter(Diagnostics* diags) : diags_(diags) {}

  // Adds `spec` or merges it into the spec already at its address. Returns
  // the address.
  std::string Emit(ResourceSpec spec);

  bool Has(const std::string& address) const { return index_.count(address) > 0; }
  size_t size() const { return entries_.size(); }

  // Every spec, in first-emitted order; the Emitter is left empty.
  std::vector<ResourceSpec> Finish();

 private:
  struct Entry {
    ResourceSpec spec;
    std::set<std::string> needed_by;
    std::set<std::string> depends_on;
    // JSON pointer of an array attribute -> its elements, serialised.
    std::unordered_map<std::string, std::unordered_set<std::string>> array_members;
  };

  void Merge(Entry* into, ResourceSpec incoming);
  // Merges `incoming` into `into` at `path`; false on a scalar conflict
  // (`conflict_path` then names it).
  bool MergeUnion(Entry* entry, Value* into, const Value& incoming, const std::string& path,
                  std::string* conflict_path);
  void Conflict(const Entry& entry, const ResourceSpec& incoming, const std::string& what);

  Diagnostics* diags_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<Entry> entries_;
};

}  // namespace crosslink::graph
