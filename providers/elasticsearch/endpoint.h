#pragma once
// How crosslink reaches a cluster's Elasticsearch REST API. The
// Elasticsearch provider (every es_* resource, on every platform) asks an
// EndpointResolver per platform: ECK reads the Kubernetes objects
// (<es>-es-http Service, <es>-es-elastic-user, <es>-es-http-certs-public),
// Elastic Cloud reads the deployment (service_url), self-managed takes the
// topology. A cluster whose topology sets `url` is always reached through
// the topology (EndpointFromTopology), whatever its platform.
//
// Secrets: the password / API key are Secrets; Describe() never shows them.
// Thread-safety: resolvers are called from several threads at once and
// must be thread-safe (they may cache per cluster).

#include <functional>
#include <memory>
#include <string>

#include "engine/core/filesystem.h"
#include "engine/core/http.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/topology/topology.h"

namespace crosslink::providers::elasticsearch {

struct Endpoint {
  std::string url;              // "https://host:9200" (no trailing slash)
  http::ClientOptions options;  // CA to trust, CURLOPT_RESOLVE entries, timeouts
  std::string username;         // user credentials (needed to create cross-cluster keys)
  Secret password;
  Secret api_key;  // an ES API key ("encoded"), when no user credentials
  // Where the values came from, for messages: `cluster "logs" (ECK
  // observability/logs, https://logs-es-http.observability.svc:9200, user elastic
  // from Secret logs-es-elastic-user)`. Never a secret value.
  std::string description;
  bool has_user_credentials() const { return !username.empty() && !password.empty(); }
};

class EndpointResolver {
 public:
  virtual ~EndpointResolver() = default;
  // kNotFound / kPermissionDenied / kUnavailable / kInvalidArgument with a
  // message naming the cluster and what to check.
  virtual Result<Endpoint> Resolve(const topology::Cluster& cluster) = 0;
};

// The topology's own access fields: `url` (required), `ca_file` (relative to
// the topology file's directory), `credentials` (username + password, or
// api_key) resolved with topology::ResolveSecret. A cluster without
// credentials is an error naming the field to set.
Result<Endpoint> EndpointFromTopology(const topology::Cluster& cluster,
                                      const std::string& topology_file, FileSystem& fs,
                                      const std::function<const char*(const char*)>& getenv);

// Makes the HTTP client for an endpoint (tests wrap it to record requests).
using ClientFactory =
    std::function<std::unique_ptr<http::HttpClient>(const http::ClientOptions& options)>;

}  // namespace crosslink::providers::elasticsearch
