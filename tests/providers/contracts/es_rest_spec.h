#pragma once
// A checker of Elasticsearch requests against the REST API specification
// files (shared/contracts/es-rest-api-spec/*.json, rest-api-spec format):
// the method and path (with {parts}) must match an endpoint, the query
// parameters must be the endpoint's or the global ones (filter_path, pretty,
// human, error_trace, format), the body must be present when the spec
// requires one and absent when it allows none, and - for the endpoints
// crosslink sends bodies to - the body's top-level shape must be the API's:
//   security.create_cross_cluster_api_key / update: access (required) with
//     search / replication entries that have names;
//   cluster.put_settings: only persistent / transient objects;
//   security.invalidate_api_key: ids or name, not both;
//   security.query_api_keys: query, size, from, sort, search_after, ...;
//   security.put_role: known role descriptor fields.
//
// RecordingClient wraps an HttpClient and records every request it sends,
// so that a test suite can check them all at the end.
//
// Thread-safety: EsRestSpec is immutable after Load; RecordingLog is
// thread-safe.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/core/http.h"
#include "engine/core/status.h"
#include "engine/core/value.h"

namespace crosslink::contracts {

struct SpecPath {
  std::string path;  // "/_security/role/{name}"
  std::vector<std::string> methods;
};

struct SpecEndpoint {
  std::string name;  // "security.put_role"
  std::vector<SpecPath> paths;
  std::vector<std::string> params;
  bool body_allowed = false;
  bool body_required = false;
};

class EsRestSpec {
 public:
  // Loads every *.json file of `dir`.
  static Result<EsRestSpec> Load(const std::string& dir);

  // The problems of one request (empty = conforms). `url` may be a full URL
  // or a path with a query string; `body` is the raw body ("" = none).
  std::vector<std::string> Check(const std::string& method, const std::string& url,
                                 const std::string& body) const;
  // The endpoint name a method + path matches, or "".
  std::string Match(const std::string& method, const std::string& path) const;

  size_t size() const { return endpoints_.size(); }

 private:
  const SpecEndpoint* Find(const std::string& path, std::string* pattern) const;
  std::vector<SpecEndpoint> endpoints_;
};

// The body shape rules above, for endpoint `name` (empty = fine).
std::vector<std::string> CheckBodyShape(const std::string& name, const Value& body);

struct RecordedRequest {
  std::string method;
  std::string url;
  std::string body;
};

class RecordingLog {
 public:
  void Add(RecordedRequest r);
  std::vector<RecordedRequest> requests() const;
  void Clear();

 private:
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
};

class RecordingClient : public http::HttpClient {
 public:
  RecordingClient(std::unique_ptr<http::HttpClient> inner, std::shared_ptr<RecordingLog> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}
  Result<http::Response> Send(const http::Request& request) override {
    log_->Add({request.method, request.url, request.body});
    return inner_->Send(request);
  }

 private:
  std::unique_ptr<http::HttpClient> inner_;
  std::shared_ptr<RecordingLog> log_;
};

}  // namespace crosslink::contracts
