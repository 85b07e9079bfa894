#pragma once
// One Elastic Cloud API client for Elastic Cloud Hosted (ECH) and Elastic
// Cloud Enterprise (ECE): DOMAIN.md §2.4, contracts/cloud-api/ENDPOINTS.md
// (apidocs-user.json = ECH, apidocs.json = ECE; every request this client
// sends must match them).
//
//   Authorization: ApiKey <key>   (the topology's api_key; ECH default ${env:EC_API_KEY})
//   <endpoint>/api/v1<path>       (ECH https://api.elastic-cloud.com; ECE the coordinator)
//
// Retries: 429 / 502 / 503 / 504 and connection errors are retried by the
// HTTP client with backoff, honouring Retry-After (http.h). Reads, PUT,
// DELETE, the keystore PATCH (it sets values) and _restart are idempotent;
// POST trust-relationships is not (a lost answer could create two).
//
// Errors: every non-2xx answer becomes a Status whose message names the
// environment, the deployment (when there is one) and the Cloud error
// (BasicFailedReply errors[].code/message/fields), and says how to fix it:
//   401 -> kPermissionDenied  "the Elastic Cloud API key of environment "cloud"
//          was refused (expired, revoked or for another organization): create
//          a key in the Cloud console (Organization > API keys) and set
//          EC_API_KEY" (names the topology field / reference actually used)
//   403 -> kPermissionDenied  the key lacks a role on the deployment
//          ("Editor" / "Admin" for deployment changes)
//   404 on a deployment -> kNotFound  "deployment <id> (cluster "x") does not
//          exist in environment "cloud" or the API key cannot see it: check
//          clusters.x.deployment_id (32 hex characters, console > Manage)"
//   409 -> kConflict (retryable: optimistic concurrency lost)
//   429 / 5xx after the retries -> kUnavailable (retryable)
//   other 4xx -> kInvalidArgument with the Cloud message and fields
// A TLS failure to the API names `ca_file` (ECE coordinators often use a
// private CA).
//
// Secrets: the API key is a Secret; messages and logs never show it, nor
// keystore values (both are cut out of every error, server text included).
//
// Thread-safety: thread-safe (the HttpClient is).

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/http.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/core/value.h"

namespace crosslink::providers::cloud {

enum class Flavor { kEch, kEce };
const char* FlavorName(Flavor f);  // "ech", "ece"

// How to reach one environment's API.
struct ApiTarget {
  std::string environment;  // topology environment name (messages)
  Flavor flavor = Flavor::kEch;
  // "https://api.elastic-cloud.com"; a trailing "/" or "/api/v1" is dropped.
  std::string endpoint;
  Secret api_key;
  std::string api_key_source;  // "${env:EC_API_KEY}" (topology SecretRef::Describe, for messages)
  // ca_file as written in the topology (messages); its PEM is in the client options.
  std::string ca_file;
};

// One answer of the API (2xx only; errors are Statuses).
struct Reply {
  long status = 0;
  Value body;                    // parsed JSON (null when the body is empty)
  std::string resource_version;  // x-cloud-resource-version header, when sent
};

// One Elasticsearch resource of a deployment, with what crosslink needs.
struct Deployment {
  std::string deployment_id;
  std::string name;
  std::string ref_id;
  std::string region;
  std::string cluster_id;   // info.cluster_id (the ES cluster id of allowlists)
  std::string endpoint;     // info.metadata.endpoint, "<cluster_id>.<domain>"
  std::string service_url;  // info.metadata.service_url (the REST URL)
  // plan_info.current.plan.elasticsearch.version (else an instance's service_version).
  std::string version;
  int transport_port = 9400;         // metadata.ports.transport_passthrough
  Value plan;                        // plan_info.current.plan (resent with a trust update)
  Value trust;                       // info.settings.trust (object; {} when absent)
  bool plan_pending = false;         // plan_info.pending present: a change is being applied
  std::string resource_version;      // x-cloud-resource-version of the GET (optimistic concurrency)
  std::vector<std::string> ref_ids;  // every Elasticsearch resource's ref_id
  std::string cluster;               // topology cluster name given to GetDeployment (messages)
  // "deployment <full id> (ref_id main-elasticsearch)" (no cluster name)
  std::string Describe() const;
};

class CloudClient {
 public:
  // `http` is made with the environment's CA (ca_file) in its options.
  CloudClient(ApiTarget target, std::unique_ptr<http::HttpClient> http);
  const ApiTarget& target() const { return target_; }

  // A raw call: `path` below /api/v1, query included ("/deployments/x?show_settings=true").
  // `deployment_context` ("deployment <id> (cluster "x")") is named in
  // errors; may be empty. `body` may be null.
  Result<Reply> Call(const std::string& method, const std::string& path, const Value* body,
                     bool idempotent, const std::string& deployment_context) const;

  // GET /deployments/{id}?show_settings=true&show_plans=true&clear_transient=true
  // (the plan comes back safe to resend). `ref_id` empty: the deployment's
  // only Elasticsearch resource; when it has several, kInvalidArgument
  // naming them and `clusters.<cluster>.ref_id`. An unknown ref_id likewise.
  // "_main" is taken like empty; the result's ref_id is always the real one.
  // `cluster` is the topology cluster name (messages).
  Result<Deployment> GetDeployment(const std::string& cluster, const std::string& deployment_id,
                                   const std::string& ref_id) const;

  // GET …/elasticsearch/{ref_id}/keystore: the names (values are never returned).
  Result<std::set<std::string>> KeystoreNames(const Deployment& d) const;
  // PATCH …/elasticsearch/{ref_id}/keystore: `value` set (as_file false), or
  // removed when null. Other entries are untouched (the PATCH is partial).
  Status SetKeystoreEntry(const Deployment& d, const std::string& setting,
                          const Secret* value) const;
  // GET /deployments/{id}/certificate-authority (CertificateAuthority).
  Result<Value> CertificateAuthority(const Deployment& d) const;
  // POST …/elasticsearch/{ref_id}/_restart.
  Status Restart(const Deployment& d) const;
  // PUT /deployments/{id}?version=<d.resource_version> with prune_orphans
  // false and ONE Elasticsearch payload {ref_id, region, plan: d.plan,
  // settings: {trust}}. kConflict when someone changed the deployment since
  // `d` was read (re-read, re-apply the edit, retry). kFailedPrecondition,
  // without a request, when `d` has no current plan or no region to resend.
  Status PutTrust(const Deployment& d, const Value& trust) const;

  // --- ECE platform (kFailedPrecondition on ECH) ---
  // GET /platform/configuration/security/tls/proxy (TlsPublicCertChain).
  Result<Value> ProxyChain() const;
  // GET /platform/configuration/trust-relationships?include_certificate=true[&filter=local]
  // -> the trust_relationships array.
  Result<Value> TrustRelationships(bool local_only) const;
  // POST (not idempotent) -> TrustRelationshipCreateResponse (with `id`).
  Result<Value> CreateTrustRelationship(const Value& body) const;
  Status UpdateTrustRelationship(const std::string& id, const Value& body) const;
  Status DeleteTrustRelationship(const std::string& id) const;

 private:
  ApiTarget target_;
  std::unique_ptr<http::HttpClient> http_;
};

// Waits until GetDeployment reports no pending plan (a trust change or a
// restart being applied), polling every `poll` up to `timeout`; `progress`
// (may be empty) is told "waiting for deployment … to finish its plan".
// kDeadlineExceeded names the deployment and the console page to look at.
Result<Deployment> WaitForPlan(const CloudClient& client, const std::string& cluster,
                               const Deployment& d, Clock& clock, std::chrono::milliseconds timeout,
                               std::chrono::milliseconds poll,
                               const std::function<void(const std::string&)>& progress);

}  // namespace crosslink::providers::cloud
