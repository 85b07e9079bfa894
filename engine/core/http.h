#pragma once
// crosslink::http: the one HTTP client of the project (DESIGN decision 2),
// on libcurl: TLS verification on (off only for an explicit kubeconfig
// insecure-skip-tls-verify: ClientOptions::insecure_skip_verify), extra CA
// bundles, client certificates, connection reuse, timeouts, retries with
// backoff and jitter on 429/502/503/504 and connection errors (Retry-After
// honoured).
//
// HttpClient is the seam: providers take an HttpClient&, tests give a fake.
// Thread-safety: a CurlClient may be used from many threads at once (each call
// takes a pooled easy handle that keeps its own live connections; DNS and TLS
// sessions are shared per client through a locked CURLSH).
//
// Secrets: the Authorization header is a Secret; the client logs method, URL
// (without query string values) and status at debug level, never headers or
// bodies.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/pki.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"

namespace crosslink::http {

struct Request {
  std::string method = "GET";  // GET, PUT, POST, PATCH, DELETE, HEAD
  std::string url;             // absolute https:// or http:// URL, query included
  std::vector<std::pair<std::string, std::string>> headers;  // not Authorization
  std::optional<Secret> authorization;  // full header value, e.g. "Basic ...", "ApiKey ..."
  // Sent when non-empty (POST/PUT/PATCH always send one, maybe empty). Without
  // a Content-Type header, "application/json" is sent.
  std::string body;
  // When true a 429/5xx/connection error is retried even for POST/PATCH. GET,
  // HEAD, PUT and DELETE are always retried.
  bool idempotent = false;

  static Request Json(std::string method, std::string url, std::string json_body);
  void SetBasicAuth(const std::string& user, const Secret& password);  // "Basic base64(u:p)"
  void SetApiKey(const Secret& encoded);                              // "ApiKey <encoded>"
  void SetBearer(const Secret& token);                                // "Bearer <token>"
};

struct Response {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  // The first header named `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

struct RetryPolicy {
  int max_attempts = 4;  // 1 = no retry
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
};

struct ClientOptions {
  // Extra trusted CAs (PEM, may hold several). Empty: the system store only.
  std::string ca_pem;
  // When false, only ca_pem is trusted (the system store is not).
  bool trust_system_cas = true;
  // Skips certificate and host name verification. Only for a kubeconfig that
  // says `insecure-skip-tls-verify: true` explicitly (kubectl honours it);
  // nothing else in crosslink sets it.
  bool insecure_skip_verify = false;
  // Client certificate for mutual TLS (Kubernetes client certs).
  std::optional<pki::Identity> client_identity;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};
  // libcurl CURLOPT_RESOLVE entries "host:port:address", e.g. to reach a
  // Kubernetes service name through a load balancer address.
  std::vector<std::string> resolve;
  RetryPolicy retry;
  std::string user_agent = "crosslink";
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request`, retrying per the policy. An HTTP error status is NOT an
  // error here: it comes back as a Response. The Status is non-OK only when
  // no response was received (kUnavailable, retryable: connect refused,
  // reset, timeout — kDeadlineExceeded; TLS verification failure:
  // kFailedPrecondition, not retryable), after the last attempt.
  virtual Result<Response> Send(const Request& request) = 0;
};

std::unique_ptr<HttpClient> NewCurlClient(ClientOptions options, Clock& clock);

// Helpers shared by every REST client built on HttpClient.
// True for 429, 502, 503, 504.
bool IsRetryableStatus(long status);
// "https://h:1/p?q" -> "https://h:1/p" (for logs and messages).
std::string StripQuery(std::string_view url);
// Percent-encodes one path segment or query value.
std::string UrlEncode(std::string_view text);
std::string Base64Encode(std::string_view bytes);
// Empty optional on malformed input.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace crosslink::http
