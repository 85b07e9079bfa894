#pragma once
// ClusterClient: one cluster's Elasticsearch REST API as the provider uses
// it: authenticated JSON calls, and the translation of failures into
// Statuses that name the cluster and say what to check (401: credentials,
// 403: the missing privilege, 400: the resource's attributes, no answer:
// the URL, TLS: the CA).
//
// Secrets: the Authorization header is built from the Endpoint's Secrets;
// no message ever includes a request or response body.
// Thread-safety: thread-safe (the HttpClient is).

#include <cstdint>
#include <memory>
#include <string>

#include "engine/core/http.h"
#include "engine/core/status.h"
#include "engine/core/value.h"
#include "providers/elasticsearch/endpoint.h"

namespace crosslink::providers::elasticsearch {

struct EsReply {
  long status = 0;
  Value json;  // null when the body is empty or not JSON
  bool ok() const { return status >= 200 && status < 300; }
};

class ClusterClient {
 public:
  ClusterClient(std::string cluster, Endpoint endpoint, std::unique_ptr<http::HttpClient> http);
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  // Sends `method path_and_query` with `body` (null = no body). A reply of
  // any HTTP status is a value; only "no reply" is an error (Unavailable
  // naming the URL; FailedPrecondition naming the CA for TLS failures).
  Result<EsReply> Call(const std::string& method, const std::string& path_and_query,
                       const Value& body = Value()) const;

  // The Status for a non-2xx reply to `what` (e.g. "create the cross-cluster
  // API key 'crosslink-a-b'"); `privilege` is the cluster privilege the call
  // needs, named on 403.
  Status ErrorFor(const std::string& what, const std::string& privilege,
                  const EsReply& reply) const;

  // Call + ErrorFor for any status not in [200, 300) and not `also_ok`.
  Result<EsReply> Expect(const std::string& what, const std::string& privilege,
                         const std::string& method, const std::string& path_and_query,
                         const Value& body = Value(), long also_ok = 0) const;

  const std::string& cluster() const { return cluster_; }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  std::string cluster_;
  Endpoint endpoint_;
  std::unique_ptr<http::HttpClient> http_;
};

// "type: reason (caused by: ...)" of an Elasticsearch error body; "" when the
// body has no error object.
std::string EsErrorReason(const Value& json);

// Non-throwing reads of one field of a JSON object (Elasticsearch replies,
// resource attributes): `fallback` when `obj` is not an object, has no `key`,
// or holds another type there (nlohmann's value() would throw).
std::string JsonString(const Value& obj, const char* key, const std::string& fallback = "");
bool JsonBool(const Value& obj, const char* key, bool fallback);
int64_t JsonInt(const Value& obj, const char* key, int64_t fallback);

}  // namespace crosslink::providers::elasticsearch
