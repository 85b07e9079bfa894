#pragma once
// The ECK resource types (docs/resources.md "ECK") as pure functions over
// Kubernetes objects: what a resource looks like live (ReadResource) and
// what creating, updating or deleting it changes (BuildEdit). No I/O here:
// eck_provider.cc fetches a Snapshot, applies the edits (objects first, then
// one update of the Elasticsearch resource) and waits for the rollout.
//
// Ownership marks (never ownerReferences):
//   - Secrets / ConfigMaps / Services crosslink creates carry the labels
//     app.kubernetes.io/managed-by=crosslink and
//     elasticsearch.k8s.elastic.co/cluster-name=<es>, and the annotation
//     crosslink.elastic.co/address = the resource address they belong to;
//   - in the Elasticsearch resource crosslink changes only its own fields /
//     list entries and records them in crosslink.elastic.co/* annotations on
//     it (see kAnn* below). A field that was already set when crosslink came
//     is recorded as "preexisting" and left as it was on delete.
// A foreign value in crosslink's way (a user's ConfigMap in
// spec.transport.tls.certificateAuthorities, an unmarked alias, an unlabelled
// Secret at crosslink's name) is an error naming the object and the fix.
//
// Thread-safety: pure functions.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/core/value.h"
#include "providers/ca_lists.h"
#include "providers/provider.h"

namespace crosslink::providers::eck {

inline constexpr char kManagedByLabel[] = "app.kubernetes.io/managed-by";
inline constexpr char kManagedByValue[] = "crosslink";
inline constexpr char kClusterNameLabel[] = "elasticsearch.k8s.elastic.co/cluster-name";
inline constexpr char kTypeLabel[] = "common.k8s.elastic.co/type";
inline constexpr char kAnnAddress[] = "crosslink.elastic.co/address";
inline constexpr char kAnnKeyId[] = "crosslink.elastic.co/key-id";
// On the Elasticsearch resource.
inline constexpr char kAnnRcs[] = "crosslink.elastic.co/remote-cluster-server";
inline constexpr char kAnnRcsService[] = "crosslink.elastic.co/remote-cluster-service";
inline constexpr char kAnnTransportService[] = "crosslink.elastic.co/transport-service";
inline constexpr char kAnnRemoteClusters[] = "crosslink.elastic.co/remote-clusters";
inline constexpr char kAnnSecureSettings[] = "crosslink.elastic.co/secure-settings";
inline constexpr char kAnnTransportCa[] = "crosslink.elastic.co/transport-ca";
inline constexpr char kAnnNodeSets[] = "crosslink.elastic.co/node-sets";
// In every nodeSet's podTemplate: a hash of the Secrets / ConfigMaps
// crosslink feeds into the pods, so that changing one is a spec change
// (the operator rolls the pods once and observedGeneration says when).
inline constexpr char kAnnInputsHash[] = "crosslink.elastic.co/inputs-hash";
inline constexpr char kConfigDir[] = "/usr/share/elasticsearch/config";

// Where the resource acts.
struct Target {
  std::string environment;
  std::string cluster;  // topology cluster name (address part)
  std::string ns;
  std::string name;              // metadata.name of the Elasticsearch resource
  std::string operator_version;  // the environment's `version` ("" = unknown)
  std::string Describe() const;  // "Elasticsearch observability/logs"
};

// Everything one batched Read (or one apply) needs of a cluster.
struct Snapshot {
  Value es = Value::object();      // the Elasticsearch resource
  std::vector<Value> secrets;      // label cluster-name=<es> (ECK's and crosslink's)
  std::vector<Value> config_maps;  // crosslink's of this cluster
  std::vector<Value> services;     // label cluster-name=<es>
  const Value* Find(const std::string& kind, const std::string& name) const;
};

// Live state of `address` (attributes: the desired or prior attributes; only
// the names in them are used). Conflicts go to `diags`.
LiveObject ReadResource(const std::string& type, const std::string& address,
                        const Value& attributes, const Target& target, const Snapshot& snap,
                        Diagnostics* diags);

// crosslink-marked objects and Elasticsearch entries whose address is not
// in `known`.
std::vector<Orphan> FindOrphans(const Target& target, const Snapshot& snap,
                                const std::vector<std::string>& known, Diagnostics* diags);

// What one change does.
struct Edit {
  std::vector<Value> upserts;  // whole Secret / ConfigMap / Service objects (kind set)
  std::vector<std::pair<std::string, std::string>> deletes;  // (kind, name), after the rollout
  // Applied to the Elasticsearch resource (re-run on a 409); false = error
  // already explains why (the change fails, the others go on).
  std::function<Status(Value& es)> mutate;
  bool restarts = false;         // the change rolls the pods
  bool wait_service = false;     // wait for a LoadBalancer address afterwards
  std::string service_name;      // ... of this Service
  std::string keystore_setting;  // same-operator API key: wait for the operator's key
  bool keystore_present = true;
};

// `action` kCreate/kUpdate (attributes: resolved desired) or kDelete
// (attributes: prior). `prior` may be null.
Result<Edit> BuildEdit(ChangeAction action, const std::string& type, const std::string& address,
                       const Value& attributes, const std::map<std::string, Secret>& secret_inputs,
                       const Value* prior_attributes, const Target& target, const Snapshot& snap);

// Sets (or removes) kAnnInputsHash in every nodeSet from the crosslink
// objects the resource references (looked up in `objects`).
void UpdateInputsHash(Value& es, const Snapshot& objects);

// PlanResponse for an eck_* resource: DefaultPlan over normalised values
// (CA lists as sets of certificates, API key access in ECK's shape), drift
// reported by Read, restarts from the catalogue.
PlanResponse PlanResource(const PlanRequest& req);

// Helpers shared with the provider and tests.
bool IsCrosslinks(const Value& object);
std::string ObjectName(const Value& object);
// The ECK remoteClusters[].apiKey.access from crosslink's access object.
Result<Value> ToEckAccess(const Value& access);
Value FromEckAccess(const Value& eck_access);
bool VersionAtLeast(const std::string& version, int major, int minor);

}  // namespace crosslink::providers::eck
