#pragma once
// The "ech" and "ece" providers: Elastic Cloud deployments (docs/resources.md
// "Elastic Cloud API" and "ECE platform"), one implementation, two
// instances (NewCloudProvider(kEch) serves the ec_* resources of ech
// clusters; kEce those of ece clusters and every ece_* resource).
//
// Per run: one CloudClient per environment (cloud_client.h: endpoint,
// api_key, ca_file of the topology), made by Configure: an api_key that
// cannot be resolved (ECH default ${env:EC_API_KEY}; ECE has no default), an
// ECE environment without endpoint or an unreadable ca_file fail Configure
// with a message naming the environment and the field. Read is batched per
// cluster: one GET of the deployment (settings, plan, resource version),
// plus the keystore names and the certificate authority only when an item
// needs them; per environment (ece_*): the proxy chain and the trust
// relationships.
//
// Resources:
//   ec_deployment (data)      outputs endpoint, cluster_id, account_id
//                             (ECH: the environment's organization_id, else
//                             the scope of the CA's recommended trust
//                             restriction; ECE: that scope), version,
//                             remote_cluster_address (<endpoint>:9443),
//                             transport_address (<endpoint>:<transport port>).
//   ec_certificate_authority (data)  outputs ca_pems (every public
//                             certificate, active and upcoming),
//                             trust_restriction (recommended_trust_restriction).
//   ec_keystore_credential    keystore entry `setting` = secret input
//                             `credentials`; values cannot be read back, so
//                             the state's key_id is what crosslink wrote; a
//                             missing entry is drift (re-created); an entry
//                             present with no state is someone else's.
//   ec_restart                POST _restart (then wait for the plan) when
//                             version < below_version, on create and when
//                             credential_key_ids change; else nothing. A
//                             `version` that is not a version: the live one
//                             decides. Output restarted (bool).
//   ec_trust_*                trust.h; every change is a read-modify-write of
//                             the whole trust object (PUT with the resource
//                             version; a conflict re-reads and re-applies,
//                             bounded), then a wait for the plan.
//   ece_proxy_ca (data)       ca_pems = [root of the proxy chain];
//                             private_ca_pems = the same unless the chain
//                             verifies against the system trust store.
//   ece_installation (data)   from the local trust relationship:
//                             installation_id, environment_id, account_id,
//                             ca_pems.
//   ece_trust_relationship    POST/PUT/DELETE trust-relationships, named
//                             "crosslink-<peer env>" (the mark); output id.
//
// Writes to one deployment (trust, keystore, restart) are serialized by a
// lock per deployment, ECE trust relationships by one per environment.
// Deleting from a deployment that no longer exists succeeds (nothing left).
// Orphans: marked trust entries (trust.h) and "crosslink-*" relationships
// that the request does not name; keystore entries have no mark, so none.
//
// Endpoints: the provider is also the EndpointResolver of its platform for
// the Elasticsearch provider: the topology's `url` when set, else the
// deployment's service_url; credentials and ca_file from the topology
// cluster (user credentials are needed to create cross-cluster API keys);
// ECE adds the environment's ca_file and the proxy chain's root to the
// trusted CAs (the REST proxy presents the installation's certificate).
//
// Thread-safety: thread-safe after Configure.

#include <chrono>
#include <memory>

#include "engine/core/http.h"
#include "providers/cloud/cloud_client.h"
#include "providers/elasticsearch/endpoint.h"
#include "providers/provider.h"

namespace crosslink::providers::cloud {

struct CloudProviderOptions {
  Flavor flavor = Flavor::kEch;
  // Makes the HTTP client of an environment's API (tests: record requests
  // and check them against the OpenAPI contract). Empty = NewCurlClient.
  elasticsearch::ClientFactory client_factory;
  // Bound on waiting for a deployment's plan (trust change, restart).
  std::chrono::milliseconds plan_timeout{std::chrono::minutes(30)};
  std::chrono::milliseconds poll_interval{2000};
  // Optimistic-concurrency retries of a trust read-modify-write.
  int conflict_retries = 5;
};

class CloudProvider : public Provider {
 public:
  // The resolver for the Elasticsearch provider (valid after Configure;
  // owned by the provider).
  virtual elasticsearch::EndpointResolver* endpoints() = 0;
};

std::unique_ptr<CloudProvider> NewCloudProvider(CloudProviderOptions options);

}  // namespace crosslink::providers::cloud
