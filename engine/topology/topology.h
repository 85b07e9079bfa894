#pragma once
// The topology model: what the user declared in topology.yaml, after schema
// validation and semantic checks. Every element keeps the SourceLocation of
// the YAML node it came from, so that later stages (expansion, planning,
// providers) can still point at the exact line.
//
// Secrets are never stored here as values: a SecretRef says where to get the
// value (${env:NAME}, ${file:path}, or - discouraged - inline); resolution
// happens at run time through ResolveSecret (secret_ref.h).
//
// Thread-safety: immutable after loading; safe to share between threads.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/core/value.h"

namespace crosslink::topology {

enum class Platform { kEck, kEch, kEce, kSelf };
const char* PlatformName(Platform p);  // "eck", "ech", "ece", "self"

enum class SecurityModel { kApiKey, kCertificate };
const char* SecurityModelName(SecurityModel m);  // "api_key", "certificate"

enum class ConnectionMode { kProxy, kSniff };
const char* ConnectionModeName(ConnectionMode m);  // "proxy", "sniff"

// Where a secret value comes from.
struct SecretRef {
  enum class Kind { kNone, kEnv, kFile, kInline };
  Kind kind = Kind::kNone;
  std::string name;  // env var name, file path (as written), or empty for inline
  std::string inline_value;  // only for kInline; never printed
  SourceLocation location;
  std::string field;  // field path, e.g. "environments.cloud.api_key" (for messages)
  bool present() const { return kind != Kind::kNone; }
  // "${env:EC_API_KEY}", "${file:./pw}", "(inline)" or "" — safe to print.
  std::string Describe() const;
};

struct Credentials {
  std::string username;  // empty when api_key is used instead
  SecretRef password;
  SecretRef api_key;     // an Elasticsearch API key (not usable to create cross-cluster keys)
  SourceLocation location;
};

struct Environment {
  std::string name;
  Platform platform = Platform::kEck;
  SourceLocation location;
  // eck
  std::string kubeconfig;  // as written (may start with ~/); empty = $KUBECONFIG or ~/.kube/config
  std::string context;     // empty = current-context
  // ech / ece
  std::string endpoint;    // API base URL; ech default https://api.elastic-cloud.com
  SecretRef api_key;       // ech default ${env:EC_API_KEY}
  std::string organization_id;  // ech
  std::string ca_file;     // ece (private coordinator CA); optional for ech
  std::string version;     // platform version when known (ECK operator version, ECE version)
};

struct NodeDelivery {
  enum class Kind { kLocal, kBundle };
  std::string name;
  Kind kind = Kind::kLocal;
  std::string home;            // local: Elasticsearch home dir
  std::string restart;         // local: restart command (empty = reload only when possible)
  std::string bundle_dir;      // bundle: output directory
  std::vector<std::string> hosts;  // DNS names / IPs for generated certificates
  SourceLocation location;
};

// remote_cluster_certificate of a self-managed cluster: how crosslink
// generates the remote cluster server's CA and certificate. Each field is
// set only when the file gives it (so that a topology without it plans as
// before); the Effective* functions apply the schema defaults.
struct RemoteClusterCertificate {
  std::optional<std::string> key_type;  // "ec-p256", "ec-p384", "rsa-2048", ...
  std::optional<int> validity_days;
  std::optional<int> ca_validity_days;
  std::optional<int> renew_before_days;
  SourceLocation location;

  std::string EffectiveKeyType() const;  // default "ec-p256"
  int EffectiveValidityDays() const;     // default 365
  int EffectiveCaValidityDays() const;   // default 1095
  int EffectiveRenewBeforeDays() const;  // default 30
};

struct Cluster {
  std::string name;  // the key under `clusters:`
  std::string environment;  // empty for platform self
  Platform platform = Platform::kSelf;  // resolved from the environment when set
  SourceLocation location;
  std::string version;  // Elasticsearch version, e.g. "8.15.0"; empty = discovered
  // eck
  std::string namespace_;
  std::string es_name;  // metadata.name of the Elasticsearch resource
  // ech / ece
  std::string deployment_id;
  std::string ref_id;   // empty = the only Elasticsearch resource
  // every platform: REST access override (required for self)
  std::string url;
  std::string ca_file;
  Credentials credentials;
  // self
  std::vector<NodeDelivery> nodes;
  std::string transport_address;  // self: host:port of the transport (certificate model)
  std::string remote_cluster_address;  // self: host:port of the remote cluster server
  // self: absent when the file has no remote_cluster_certificate block.
  std::optional<RemoteClusterCertificate> remote_cluster_certificate;
};

// One entry of access.search / access.replication, as in the cross-cluster
// API key API. `extra` keeps field_security / query verbatim.
struct IndexAccess {
  std::vector<std::string> names;
  bool allow_restricted_indices = false;
  Value field_security;  // null when absent
  Value query;           // null when absent
  SourceLocation location;
};

struct Access {
  std::vector<IndexAccess> search;
  std::vector<IndexAccess> replication;
  bool empty() const { return search.empty() && replication.empty(); }
};

// A role crosslink keeps on the local cluster (API key model) or on both
// clusters (certificate model). `body` is the role descriptor as sent to
// PUT /_security/role/{name} (validated by the schema).
struct Role {
  std::string name;
  Value body;
  SourceLocation location;
};

struct Connection {
  std::string local;
  std::string remote;
  std::string alias;
  SecurityModel security = SecurityModel::kApiKey;
  ConnectionMode mode = ConnectionMode::kProxy;
  std::optional<bool> skip_unavailable;
  std::string server_name;    // override
  std::string proxy_address;  // override (proxy mode)
  std::vector<std::string> seeds;  // override (sniff mode)
  Access access;
  std::vector<Role> roles;
  SourceLocation location;
  // "analytics->logs (alias logs)"
  std::string Describe() const;
};

struct Topology {
  std::string file;  // path as given
  int version = 1;
  std::string digest;  // hex SHA-256 of the file's bytes (saved-plan staleness)
  std::map<std::string, Environment> environments;
  std::map<std::string, Cluster> clusters;
  std::vector<Connection> connections;

  const Cluster* FindCluster(const std::string& name) const;
  const Environment* FindEnvironment(const std::string& name) const;
};

}  // namespace crosslink::topology
