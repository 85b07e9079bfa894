#pragma once
// ResourceSpec: one desired resource instance, the unit the whole engine
// works on. Expansion (expand.h) turns each connection of the topology into
// specs; specs that several connections need (a cluster's remote cluster
// server, a trusted CA) share one address and are merged, keeping every
// connection that needs them in `needed_by`.
//
// Addresses are "<type>.<name>[.<name>...]", e.g.
//   es_cross_cluster_api_key.logs.analytics   (remote cluster logs, for analytics)
//   es_remote_cluster.analytics.logs          (local cluster analytics, alias logs)
// Name parts match ^[a-z0-9_-]+$ so addresses need no quoting anywhere.
//
// Data between resources flows through references: an attribute value of
// the form {"$ref": "<address>", "output": "<name>"} stands for that output
// of the referenced resource, known only once it exists (the plan shows
// "(known after apply)"). Sensitive outputs (an API key's encoded value) are
// never put in `attributes`; a consumer lists them in `secret_inputs` and
// receives them as Secrets at apply time. A consumer that must change when
// the secret changes also references a non-sensitive output of the producer
// (e.g. the key id) in its attributes.
//
// Every reference implies a dependency; `depends_on` also lists ordering-only
// dependencies. Edges mean "must happen after".
//
// Thread-safety: plain values.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/core/value.h"

namespace crosslink::graph {

enum class ResourceMode {
  kManaged,  // created, updated and removed by crosslink
  kData,     // only read (a CA, an endpoint); never created or removed
  kCheck,    // a post-apply check (e.g. "connected"); failing it fails the run
};
const char* ResourceModeName(ResourceMode m);  // "managed", "data", "check"

struct Reference {
  std::string address;
  std::string output;
  bool operator==(const Reference& o) const { return address == o.address && output == o.output; }
};

// {"$ref": address, "output": output}
Value MakeRef(const std::string& address, const std::string& output);
// True when `v` is a reference object; fills `ref`.
bool IsRef(const Value& v, Reference* ref);
// Every reference inside `v`, depth first.
std::vector<Reference> CollectRefs(const Value& v);

// The value of output `name` in an outputs object; null when `outputs` is
// not an object or has no such output.
const Value* FindOutput(const Value& outputs, const std::string& name);

// The value a reference stands for, or null when it is not known (yet).
using OutputLookup = std::function<const Value*(const Reference&)>;

// `v` with every reference that `lookup` knows replaced by its value (a
// substituted value is not searched further). References `lookup` does not
// know stay as they are and, when `unresolved` is not null, are appended to
// it depth first (the order of CollectRefs). The one reference resolution
// of the engine: the planner (known outputs) and apply (state) use it.
Value ResolveRefs(const Value& v, const OutputLookup& lookup,
                  std::vector<Reference>* unresolved = nullptr);

struct ResourceSpec {
  std::string address;
  std::string type;      // e.g. "es_cross_cluster_api_key"
  std::string provider;  // provider name: "elasticsearch", "eck", "ech", "ece", "cloud", "self", "pki"
  std::string cluster;   // topology cluster it acts on; empty for environment-level resources
  std::string environment;  // topology environment, when relevant
  ResourceMode mode = ResourceMode::kManaged;
  std::string step;      // DOMAIN.md step id, e.g. "R:ES.APIKEY.CREATE"
  Value attributes = Value::object();  // desired, non-sensitive; may contain references
  std::map<std::string, Reference> secret_inputs;  // input name -> sensitive output of another resource
  std::vector<std::string> depends_on;  // addresses (references add theirs implicitly)
  std::vector<std::string> needed_by;   // connection descriptions, e.g. "analytics->logs"
  SourceLocation origin;  // where in the topology it comes from (the first connection)
  bool restarts_cluster = false;  // applying it causes a (rolling) restart of `cluster`

  // depends_on plus the addresses of every reference (attributes and
  // secret_inputs), sorted and unique.
  std::vector<std::string> AllDependencies() const;
};

}  // namespace crosslink::graph
