#pragma once
// Internals shared by the ECK operator twin's source files. Not a public API.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/core/pki.h"
#include "engine/core/secret.h"
#include "engine/core/value.h"
#include "sandbox/eck/operator.h"
#include "sandbox/es/twin.h"

namespace crosslink::sandbox::eck {

inline constexpr char kClusterNameLabel[] = "elasticsearch.k8s.elastic.co/cluster-name";
inline constexpr char kTypeLabel[] = "common.k8s.elastic.co/type";
inline constexpr char kConfigDir[] = "/usr/share/elasticsearch/config";
inline constexpr char kManagedRemotesAnnotation[] = "elasticsearch.k8s.elastic.co/managed-remote-clusters";
inline constexpr char kRemoteApiKeysAnnotation[] = "elasticsearch.k8s.elastic.co/remote-cluster-api-keys";

// Everything the operator keeps about one Elasticsearch resource.
struct Operator::Cluster {
  std::string ns, name, key, uid;
  std::string pod_address;
  pki::Identity transport_ca, http_ca;
  std::shared_ptr<const pki::Identity> transport_cert, http_cert;
  std::string transport_sans, http_sans;  // what the current certs were issued for
  Secret elastic_password;
  std::unique_ptr<es::Twin> twin;
  bool started = false;                    // first Restart done, listeners bound
  std::set<std::string> listeners;
  std::set<std::string> dns;
  std::string applied_hash, pending_hash;
  std::optional<es::NodeConfig> pending;
  std::chrono::steady_clock::time_point pending_until;
  int restarts = 0;
  std::string blocked;                      // why the pods cannot be (re)started
  std::map<std::string, std::string> applied_seeds;  // alias -> seeds JSON
  int64_t generation = 0;
};

// A Service of type LoadBalancer with listeners on its address.
struct Operator::LbBinding {
  std::string address;
  std::map<std::string, std::string> listeners;  // listener name -> "<port>:<target>:<cluster id>"
};

std::string ServiceName(const std::string& es, const std::string& suffix);  // "<es>-es-<suffix>"
std::vector<std::string> PodNames(const Value& es);                         // "<es>-es-<nodeset>-<i>"
int NodeCount(const Value& es);
// Flattens nested config maps to dotted keys ({"a":{"b":1}} -> {"a.b":1}).
Value FlattenConfig(const Value& config);
std::string Fingerprint(const std::string& text);  // short stable hash (hex)
bool RcsEnabled(const Value& es, const OperatorOptions& options);

}  // namespace crosslink::sandbox::eck
