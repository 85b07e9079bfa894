#pragma once
// The four resource types of the Elasticsearch provider, one source file
// each (api_keys.cc, remote_settings.cc, connection_check.cc, roles.cc),
// behind the small functions the provider (elasticsearch_provider.cc)
// dispatches to. Private to providers/elasticsearch and its tests.
//
// Read functions answer every item of one cluster with ONE request (roles,
// remote info, settings) or one query (API keys) and add their objects and
// orphans to the response; on failure they return the Status that fails the
// whole scope. Apply functions act on one resource.
//
// Thread-safety: stateless functions; the ClusterClient is thread-safe.

#include <chrono>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "providers/elasticsearch/es_client.h"
#include "providers/provider.h"

namespace crosslink::providers::elasticsearch {

inline constexpr char kApiKeyType[] = "es_cross_cluster_api_key";
inline constexpr char kRemoteClusterType[] = "es_remote_cluster";
inline constexpr char kConnectionCheckType[] = "es_remote_connection_check";
inline constexpr char kRoleType[] = "es_role";
inline constexpr char kManagedByKey[] = "managed-by";
inline constexpr char kManagedByValue[] = "crosslink";

// ---- shared helpers (resources.cc)
// The name parts of an address: "t.a.b" -> {"t", "a", "b"}.
std::vector<std::string> AddressParts(const std::string& address);
// The string attribute `key` of the desired spec, else of the prior state,
// else `fallback`.
std::string ItemString(const ReadItem& item, const char* key, const std::string& fallback);
std::string ApplyString(const ApplyRequest& req, const char* key, const std::string& fallback);
// The attributes a Read item is looked up by: the desired spec's, else the
// prior state's, else an empty object.
const Value& ItemAttributes(const ReadItem& item);
// The string attribute `key` of `attrs`, else the last part of a
// "<type>.<cluster>.<name>" address, else "".
std::string NameOf(const std::string& address, const Value& attrs, const char* key);
// An ApplyResponse that failed with `s`.
ApplyResponse Failed(Status s);
// The address of the resource an ApplyRequest acts on.
std::string ApplyAddress(const ApplyRequest& req);
// True when `v` holds a reference object (known only at apply time).
bool HasRef(const Value& v);
// Lower-case hex SHA-256.
std::string Sha256Hex(const std::string& data);
// True for ^[a-z0-9_-]+$.
bool ValidNamePart(const std::string& s);

// ---- es_cross_cluster_api_key (api_keys.cc); the scope is the REMOTE.
Status ReadApiKeys(const ClusterClient& client, const std::vector<const ReadItem*>& items,
                   Clock& clock, ReadResponse* out);
PlanResponse PlanApiKey(const PlanRequest& req);
ApplyResponse CreateApiKey(const ClusterClient& client, const ApplyRequest& req);
ApplyResponse UpdateApiKey(const ClusterClient& client, const ApplyRequest& req, Clock& clock);
ApplyResponse DeleteApiKey(const ClusterClient& client, const ApplyRequest& req, Clock& clock);
// Canonical form of a cross-cluster `access` object: names always arrays,
// allow_restricted_indices always present (default false), empty lists dropped.
Value NormalizeAccess(const Value& access);
// sha256 of the canonical access JSON (metadata "config-hash").
std::string AccessHash(const Value& access);

// ---- es_remote_cluster (remote_settings.cc); the scope is the LOCAL cluster.
Status ReadRemoteClusters(const ClusterClient& client, const std::vector<const ReadItem*>& items,
                          ReadResponse* out);
PlanResponse PlanRemoteCluster(const PlanRequest& req);
ApplyResponse PutRemoteCluster(const ClusterClient& client, const ApplyRequest& req);
ApplyResponse DeleteRemoteCluster(const ClusterClient& client, const ApplyRequest& req);
// The live attributes of `alias` from flat persistent settings (strings
// converted back: booleans, integers); empty object when nothing is set.
Value RemoteAttributesFromSettings(const Value& flat_persistent, const std::string& alias);
// The PUT _cluster/settings body that makes `alias` what `desired` says,
// nulling the other mode's keys and keys of `previous` no longer desired.
Value RemoteSettingsBody(const std::string& alias, const Value& desired, const Value& previous);

// ---- es_remote_connection_check (connection_check.cc); the LOCAL cluster.
Status ReadConnectionChecks(const ClusterClient& client, const std::vector<const ReadItem*>& items,
                            ReadResponse* out);
PlanResponse PlanConnectionCheck(const PlanRequest& req);
ApplyResponse RunConnectionCheck(const ClusterClient& client, const ApplyRequest& req, Clock& clock,
                                 std::chrono::milliseconds timeout,
                                 std::chrono::milliseconds poll_interval);

// ---- es_role (roles.cc)
Status ReadRoles(const ClusterClient& client, const std::vector<const ReadItem*>& items,
                 ReadResponse* out);
PlanResponse PlanRole(const PlanRequest& req);
ApplyResponse PutRole(const ClusterClient& client, const ApplyRequest& req);
ApplyResponse DeleteRole(const ClusterClient& client, const ApplyRequest& req);
// A role descriptor without what Elasticsearch adds or crosslink marks:
// transient_metadata, metadata.managed-by, empty lists/objects; names as
// arrays; allow_restricted_indices false dropped.
Value NormalizeRole(const Value& body);

}  // namespace crosslink::providers::elasticsearch
