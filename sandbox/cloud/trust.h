#pragma once
// Deployment trust settings (ElasticsearchClusterTrustSettings: accounts,
// external, direct) on the Cloud twins: the rules the real API enforces on
// top of the schema, the server-generated fields, and what a trust object
// means for the Elasticsearch nodes (CAs and trust restrictions).
//
// Node names. DOMAIN.md §3 gives Elastic Cloud node names as
// <node>.node.<cluster_id>.cluster.<scope_id> (scope = ECH organization id /
// ECE environment id). The sandbox's node certificates carry
//   otherName = <node>.node.<cluster_id>.cluster.<scope_id>.account
//   CN        = <node> (the full name exceeds X.509's 64-character CN bound)
// The `.account` suffix is what every Cloud-generated trust.yml pattern
// carries (DOMAIN.md §3, seeds 003/004), and trust restrictions match the
// otherName, so the patterns below match these nodes.
//
// Derivation (the sandbox's model of the control plane; DOMAIN.md marks the
// details as inferred):
//  - own cluster always: "*.node.<own cluster_id>.cluster.<own scope>.account";
//  - accounts[]: trust_all -> "*.node.*.cluster.<account_id>.account", else one
//    "*.node.<cluster_id>.cluster.<account_id>.account" per allowlist entry;
//    no CA (same environment: same CA);
//  - external[] (ECE trust relationships): the relationship's CA; scope = its
//    installation_id, patterns as for accounts;
//  - direct[] (not proxy): its certificates become transport CAs; scope_id
//    patterns as for accounts; for type "generic" also
//    "*.node.*.<scope_id>" / "*.node.<id>.<scope_id>" so that ECK nodes
//    (<pod>.node.<es>.<ns>.es.local, scope "<ns>.es.local") are accepted as
//    the ECH->ECK guide promises; additional_node_names are literal patterns;
//  - direct[] of type "proxy" (EC.TRUST.APIKEYCA, inferred mapping): its
//    certificates are the remote cluster client's CAs
//    (xpack.security.remote_cluster_client.ssl.certificate_authorities), no
//    transport trust.
//
// Thread-safety: pure functions.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/value.h"
#include "sandbox/cloud/swagger.h"

namespace crosslink::sandbox::cloud {

// An ECE platform trust relationship (another installation this one trusts).
struct TrustRelationship {
  std::string id;
  std::string name;
  std::string installation_id;
  std::string public_ca_cert;
  std::vector<std::string> account_ids;
  bool trust_by_default = false;
  bool local = false;
  std::string last_modified;
};
using TrustRelationships = std::map<std::string, TrustRelationship>;

struct DerivedTrust {
  std::vector<std::string> transport_ca_pems;          // besides the own CA
  std::vector<std::string> transport_trust_restrictions;  // including the own cluster
  std::vector<std::string> rcs_client_ca_pems;
};

// "<node>.node.<cluster_id>.cluster.<scope_id>" and its otherName form.
std::string NodeCommonName(const std::string& node, const std::string& cluster_id,
                           const std::string& scope_id);
std::string NodeOtherName(const std::string& node, const std::string& cluster_id,
                          const std::string& scope_id);

// The trust a new deployment gets: all deployments of its own account.
Value DefaultTrust(const std::string& own_account_id);

// The semantic rules (scope_id format, proxy constraints, node names without
// wildcards, parseable certificates, known trust relationships). `field` is
// the trust object's path in the request, used in ApiError::fields.
std::optional<ApiError> CheckTrust(const Value& trust, const std::string& field,
                                   const TrustRelationships& relationships);

// Adds what the server generates: direct[].uid (kept when sent),
// certificates[].metadata, external[].name. `new_uid` makes fresh uids.
Value NormalizeTrust(Value trust, const TrustRelationships& relationships,
                     const std::function<std::string()>& new_uid);

DerivedTrust DeriveTrust(const Value& trust, const std::string& own_cluster_id,
                         const std::string& own_scope_id,
                         const TrustRelationships& relationships);

// Whether a node of (cluster_id, scope_id) passes the restrictions derived
// from `trust` (the node's CA being trusted is assumed: same environment).
bool TrustsCluster(const Value& trust, const std::string& own_cluster_id,
                   const std::string& own_scope_id, const TrustRelationships& relationships,
                   const std::string& cluster_id, const std::string& scope_id);

}  // namespace crosslink::sandbox::cloud
