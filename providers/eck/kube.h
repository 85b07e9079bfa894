#pragma once
// The Kubernetes API client of the ECK provider: kubeconfig as kubectl reads
// it, and the few verbs crosslink needs, over crosslink::http (libcurl).
//
// Kubeconfig (LoadKubeConfig), as kubectl does:
//   - the path: the topology's `kubeconfig` if set ("~/" expanded), else
//     $KUBECONFIG (a ':'-separated list, merged: the first file that sets a
//     map entry or current-context wins), else ~/.kube/config;
//   - the context: the topology's `context` if set, else current-context;
//     an unknown context is kNotFound naming the file and the contexts it has;
//   - cluster: `server`, `certificate-authority-data` (base64 PEM) or
//     `certificate-authority` (a file, relative to the kubeconfig's directory),
//     `insecure-skip-tls-verify` honoured only when explicitly true (and
//     refused together with a CA, as kubectl does), `tls-server-name`
//     (the URL carries that name and ClientOptions.resolve pins the server's
//     address, so SNI and verification use it);
//   - user: `token`, `tokenFile`, `client-certificate(-data)` +
//     `client-key(-data)`, `username`/`password` (basic). `exec` and
//     `auth-provider` are refused with a clear message (not supported);
//   - the context's `namespace` (default "default").
//
// KubeClient: objects are Values (nlohmann::json) exactly as the API server
// sends them. Errors map Kubernetes Status responses: 404 -> kNotFound, 409 ->
// kConflict (retryable), 401/403 -> kPermissionDenied, 422/400 ->
// kInvalidArgument (with the server's message), 429/5xx/connection ->
// kUnavailable. Every message names the object ("Secret observability/x")
// and the API server, never a secret value (Secret data is never logged).
//
// Thread-safety: a KubeClient is used from several threads at once.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/core/clock.h"
#include "engine/core/filesystem.h"
#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/core/value.h"

namespace crosslink::providers::eck {

struct KubeConfig {
  std::string path;      // the file(s) it came from, for messages
  std::string context;   // the context used
  std::string server;    // "https://host:6443"
  std::string ca_pem;    // empty = system store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  Secret token;          // bearer token (token or tokenFile)
  std::string username;  // basic auth
  Secret password;
  std::optional<pki::Identity> client_identity;  // client certificate + key
  std::string namespace_ = "default";
};

// `kubeconfig` and `context` as written in the topology (empty = defaults
// above). `getenv` empty = ::getenv.
Result<KubeConfig> LoadKubeConfig(const std::string& kubeconfig, const std::string& context,
                                  FileSystem& fs,
                                  const std::function<const char*(const char*)>& getenv);

// A kind of object: the API group path and the plural resource name.
struct Kind {
  std::string api;     // "api/v1" or "apis/elasticsearch.k8s.elastic.co/v1"
  std::string plural;  // "secrets", "configmaps", "services", "elasticsearches"
  std::string name;    // "Secret", ... for messages and for objects crosslink creates
  std::string api_version;  // "v1", "elasticsearch.k8s.elastic.co/v1"
  static Kind Secret();
  static Kind ConfigMap();
  static Kind Service();
  static Kind Elasticsearch();
};

class KubeClient {
 public:
  virtual ~KubeClient() = default;
  // kNotFound when absent.
  virtual Result<Value> Get(const Kind& kind, const std::string& ns, const std::string& name) = 0;
  // The items of a list (a JSON array), label-selected ("a=b,c=d"; empty = all).
  virtual Result<Value> List(const Kind& kind, const std::string& ns,
                             const std::string& label_selector) = 0;
  // Returns the created object. kAlreadyExists when it exists.
  virtual Result<Value> Create(const Kind& kind, const std::string& ns, const Value& object) = 0;
  // PUT of the whole object; its metadata.resourceVersion makes it
  // conditional (kConflict when the object changed meanwhile).
  virtual Result<Value> Replace(const Kind& kind, const std::string& ns, const std::string& name,
                                const Value& object) = 0;
  // application/merge-patch+json (RFC 7386: null removes a key).
  virtual Result<Value> MergePatch(const Kind& kind, const std::string& ns,
                                   const std::string& name, const Value& patch) = 0;
  // kNotFound when already gone.
  virtual Status Delete(const Kind& kind, const std::string& ns, const std::string& name) = 0;
  // "https://127.0.0.1:6443 (context prod, ~/.kube/config)" for messages.
  virtual std::string Describe() const = 0;
};

// The curl-based client for a loaded kubeconfig. `client` lets tests wrap
// or record requests; null = http::NewCurlClient with the kubeconfig's TLS
// (a given CA is the only one trusted, the client certificate, the
// tls-server-name pin). Reads are retried by the http client on 429/5xx.
std::unique_ptr<KubeClient> NewKubeClient(const KubeConfig& config, Clock& clock,
                                          std::unique_ptr<http::HttpClient> client = nullptr);

// Read-modify-write with optimistic concurrency: Get, `mutate` (returns
// false = nothing to change, Ok without a write), Replace; on kConflict
// start again, up to `attempts` times. Returns the object as written (or
// as read when nothing changed).
Result<Value> UpdateWithRetry(KubeClient& client, const Kind& kind, const std::string& ns,
                              const std::string& name,
                              const std::function<Result<bool>(Value& object)>& mutate,
                              int attempts = 5);

// Secret helpers: data values are base64 in the API.
std::optional<std::string> SecretValue(const Value& secret, const std::string& key);

}  // namespace crosslink::providers::eck
