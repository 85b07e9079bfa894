#pragma once
// The resource type catalogue: every resource type that expansion (expand.h)
// can produce, with the provider that implements it, its mode, how instances
// are shared between connections, the DOMAIN.md step it performs and whether
// applying it restarts the cluster it acts on. docs/resources.md documents
// each type's attributes and outputs; providers implement exactly these
// types.
//
// Thread-safety: immutable static data.

#include <string_view>
#include <vector>

#include "engine/graph/resource.h"

namespace crosslink::graph {

// How instances of a type relate to connections.
enum class Sharing {
  kPerConnection,  // one instance per connection (address ends in <local>.<alias>)
  kSharedEqual,    // one instance per cluster/environment; every user must want the same attributes
  kSharedUnion,    // one instance per cluster/environment; list attributes are the union of every
                   // user's
};
const char* SharingName(Sharing s);  // "per-connection", "shared", "shared (lists merged)"

struct ResourceTypeInfo {
  const char* type;      // "es_cross_cluster_api_key"
  const char* provider;  // "elasticsearch", "eck", "ece", "self", "pki"; "" = the cluster's
                         // platform ("ech" or "ece")
  ResourceMode mode;
  Sharing sharing;
  const char* step;       // DOMAIN.md step id, e.g. "ES.APIKEY.CREATE"
  bool restarts_cluster;  // applying it (rolling-)restarts the cluster it acts on
  const char* summary;    // one line
};

// Every type, grouped by provider, in a stable order.
const std::vector<ResourceTypeInfo>& ResourceCatalogue();

// Null for an unknown type.
const ResourceTypeInfo* FindResourceType(std::string_view type);

}  // namespace crosslink::graph
