#pragma once
// The Elastic Cloud resource types other than the trust entries (trust.h)
// as pure functions over what the Cloud API returned: the outputs of the
// data sources, the live state of a keystore entry and of an ECE trust
// relationship, the request bodies, and the per-type plan. No I/O here:
// cloud_provider.cc fetches (one deployment GET per cluster, one trust
// relationship list per ECE environment) and writes.
//
// Marks: a keystore entry carries none (the Cloud keystore holds names and
// values only): it is crosslink's when the state says so. An ECE trust
// relationship is crosslink's when its name starts with "crosslink-".
//
// Thread-safety: pure functions.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/core/value.h"
#include "providers/cloud/cloud_client.h"
#include "providers/provider.h"

namespace crosslink::providers::cloud {

inline constexpr int kRemoteClusterPort = 9443;
inline constexpr char kMarkPrefix[] = "crosslink-";
// Below this Elasticsearch version the keystore is reloaded only on a
// restart (ec_restart's default below_version).
inline constexpr char kDefaultRestartBelow[] = "8.14.0";

// "*.node.<cluster_id>.cluster.<scope>.account" -> "<scope>" ("" when the
// pattern does not have that shape).
std::string ScopeOfTrustRestriction(const std::string& restriction);

// ec_deployment outputs: endpoint, cluster_id, account_id, version,
// remote_cluster_address (<endpoint>:9443), transport_address
// (<endpoint>:<transport port>).
Value DeploymentOutputs(const Deployment& d, const std::string& account_id);

// ec_certificate_authority outputs from a CertificateAuthority answer:
// ca_pems (every public certificate, active or not, normalised, unique) and
// trust_restriction (recommended_trust_restriction).
Value CertificateAuthorityOutputs(const Value& ca);

// ece_proxy_ca outputs from a TlsPublicCertChain answer (leaf first):
// ca_pems = [root] and private_ca_pems = [root], or [] when the chain is
// publicly trusted. kFailedPrecondition for an empty chain.
Result<Value> ProxyCaOutputs(const Value& chain, bool publicly_trusted);
// The PEMs of a TlsPublicCertChain answer, leaf first.
std::vector<std::string> ChainPems(const Value& chain);

// ece_installation outputs from the installation's trust relationships
// (the local one): installation_id, environment_id (the installation id:
// what ECE trust settings call the environment / scope id), account_id
// (its first account id, else the installation id), ca_pems.
// kFailedPrecondition when there is no local relationship.
Result<Value> InstallationOutputs(const Value& relationships, const std::string& environment);

// ec_keystore_credential as live: exists when `names` holds the setting;
// crosslink's (attributes and key_id from the state) only with a prior.
LiveObject ReadKeystoreCredential(const Value& attributes, const state::ResourceState* prior,
                                  const std::set<std::string>& names);

// ece_trust_relationship as live: the non-local relationship named
// attributes.name, in the state's shape (certificates echo the prior's when
// equivalent); output `id`.
LiveObject ReadTrustRelationship(const Value& attributes, const state::ResourceState* prior,
                                 const Value& relationships);
// The relationship entry named `name` (null when absent).
const Value* FindRelationship(const Value& relationships, const std::string& name);
// The TrustRelationshipCreateRequest / UpdateRequest body of the resource.
// kInvalidArgument when it has no name or no certificate.
Result<Value> TrustRelationshipBody(const Value& attributes);

// Relationships named "crosslink-<peer>" that no known address names:
// ece_trust_relationship.<env>.<peer>.
std::vector<Orphan> RelationshipOrphans(const std::string& environment, const Value& relationships,
                                        const std::set<std::string>& known);

// "8.12.0" < "8.14.0": true / false; nullopt when either is not a version.
std::optional<bool> VersionBelow(const std::string& version, const std::string& bound);
// ec_restart's below_version (kDefaultRestartBelow when unset).
std::string RestartBound(const Value& attributes);
// Whether an ec_restart change restarts: version below below_version, and
// (for an update) the credential_key_ids differ from the prior's. `version`
// is the one to compare (attributes.version, or the live one when the
// attribute is not a version).
bool RestartNeeded(ChangeAction action, const Value& attributes, const Value* prior_attributes,
                   const std::string& version);

// PlanResponse for every ech/ece type: DefaultPlan, plus a reason for
// ec_restart saying whether the deployment will really restart.
PlanResponse PlanResource(const PlanRequest& req);

}  // namespace crosslink::providers::cloud
