// The Kubernetes REST client of kube.h over crosslink::http.

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <utility>

#include "providers/eck/kube.h"

namespace crosslink::providers::eck {

Kind Kind::Secret() { return {"api/v1", "secrets", "Secret", "v1"}; }
Kind Kind::ConfigMap() { return {"api/v1", "configmaps", "ConfigMap", "v1"}; }
Kind Kind::Service() { return {"api/v1", "services", "Service", "v1"}; }
Kind Kind::Elasticsearch() {
  return {"apis/elasticsearch.k8s.elastic.co/v1", "elasticsearches", "Elasticsearch",
          "elasticsearch.k8s.elastic.co/v1"};
}

namespace {

// "https://host:port/prefix" split for tls-server-name handling.
struct ServerUrl {
  std::string scheme;  // "https://"
  std::string host;    // without brackets
  bool bracketed = false;
  std::string port;    // empty = scheme default
  std::string rest;    // path prefix, may be empty
};

ServerUrl ParseServer(const std::string& server) {
  ServerUrl url;
  size_t scheme_end = server.find("://");
  size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  url.scheme = server.substr(0, start);
  size_t path = server.find('/', start);
  std::string authority = server.substr(start, path == std::string::npos ? std::string::npos
                                                                         : path - start);
  url.rest = path == std::string::npos ? "" : server.substr(path);
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    url.host = authority.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    url.bracketed = true;
    if (close != std::string::npos && close + 1 < authority.size() && authority[close + 1] == ':') {
      url.port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) url.port = authority.substr(colon + 1);
  }
  if (url.port.empty()) url.port = url.scheme == "http://" ? "80" : "443";
  return url;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The first address of `host` (numeric), for a CURLOPT_RESOLVE entry.
Result<std::string> ResolveHost(const std::string& host) {
  if (IsIpLiteral(host)) return host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (rc != 0 || result == nullptr) {
    return Status::Unavailable("cannot resolve the API server host " + host + ": " +
                               gai_strerror(rc));
  }
  char text[INET6_ADDRSTRLEN] = {0};
  const void* addr = result->ai_family == AF_INET6
                         ? static_cast<const void*>(
                               &reinterpret_cast<sockaddr_in6*>(result->ai_addr)->sin6_addr)
                         : static_cast<const void*>(
                               &reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr);
  inet_ntop(result->ai_family, addr, text, sizeof(text));
  freeaddrinfo(result);
  return std::string(text);
}

std::string ObjectName(const Kind& kind, const std::string& ns, const std::string& name) {
  std::string out = kind.name + " ";
  if (!ns.empty()) out += ns + "/";
  return out + name;
}

class CurlKubeClient : public KubeClient {
 public:
  CurlKubeClient(KubeConfig config, std::string base_url, std::unique_ptr<http::HttpClient> http,
                 Status setup_error)
      : config_(std::move(config)),
        base_url_(std::move(base_url)),
        http_(std::move(http)),
        setup_error_(std::move(setup_error)) {}

  Result<Value> Get(const Kind& kind, const std::string& ns, const std::string& name) override {
    return Call("GET", Path(kind, ns, name), "", "", ObjectName(kind, ns, name), "get", kind, ns);
  }

  Result<Value> List(const Kind& kind, const std::string& ns,
                     const std::string& label_selector) override {
    std::string path = Path(kind, ns, "");
    if (!label_selector.empty()) path += "?labelSelector=" + http::UrlEncode(label_selector);
    std::string what =
        kind.name + " list in " + (ns.empty() ? "all namespaces" : "namespace " + ns);
    if (!label_selector.empty()) what += " (labels " + label_selector + ")";
    Result<Value> list = Call("GET", path, "", "", what, "list", kind, ns);
    if (!list.ok()) return list;
    if (!list->is_object() || !list->contains("items") || (*list)["items"].is_null()) {
      return Value::array();
    }
    if (!(*list)["items"].is_array()) {
      return Status::Internal(what + " from " + Describe() + ": `items` is not a list");
    }
    return std::move((*list)["items"]);
  }

  Result<Value> Create(const Kind& kind, const std::string& ns, const Value& object) override {
    Value body = WithType(kind, object);
    std::string name;
    if (body.contains("metadata") && body["metadata"].is_object() &&
        body["metadata"].contains("name") && body["metadata"]["name"].is_string()) {
      name = body["metadata"]["name"].get<std::string>();
    }
    return Call("POST", Path(kind, ns, ""), DumpJson(body), "application/json",
                ObjectName(kind, ns, name), "create", kind, ns);
  }

  Result<Value> Replace(const Kind& kind, const std::string& ns, const std::string& name,
                        const Value& object) override {
    return Call("PUT", Path(kind, ns, name), DumpJson(WithType(kind, object)), "application/json",
                ObjectName(kind, ns, name), "update", kind, ns);
  }

  Result<Value> MergePatch(const Kind& kind, const std::string& ns, const std::string& name,
                           const Value& patch) override {
    return Call("PATCH", Path(kind, ns, name), DumpJson(patch), "application/merge-patch+json",
                ObjectName(kind, ns, name), "patch", kind, ns);
  }

  Status Delete(const Kind& kind, const std::string& ns, const std::string& name) override {
    Result<Value> r = Call("DELETE", Path(kind, ns, name), "", "", ObjectName(kind, ns, name),
                           "delete", kind, ns);
    return r.ok() ? Status::Ok() : r.status();
  }

  std::string Describe() const override {
    return config_.server + " (context " + config_.context + ", " + config_.path + ")";
  }

 private:
  std::string Path(const Kind& kind, const std::string& ns, const std::string& name) const {
    std::string path = base_url_ + "/" + kind.api;
    if (!ns.empty()) path += "/namespaces/" + http::UrlEncode(ns);
    path += "/" + kind.plural;
    if (!name.empty()) path += "/" + http::UrlEncode(name);
    return path;
  }

  // Objects crosslink sends carry their apiVersion and kind.
  static Value WithType(const Kind& kind, const Value& object) {
    Value body = object;
    if (!body.is_object()) return body;
    if (!body.contains("apiVersion")) body["apiVersion"] = kind.api_version;
    if (!body.contains("kind")) body["kind"] = kind.name;
    return body;
  }

  Result<Value> Call(const std::string& method, const std::string& url, const std::string& body,
                     const std::string& content_type, const std::string& what,
                     const std::string& verb, const Kind& kind, const std::string& ns) {
    if (!setup_error_.ok()) return setup_error_.WithContext(verb + " " + what);
    http::Request request;
    request.method = method;
    request.url = url;
    request.body = body;
    request.headers.push_back({"Accept", "application/json"});
    if (!content_type.empty()) request.headers.push_back({"Content-Type", content_type});
    // A merge patch gives the same result when applied twice.
    request.idempotent = method != "POST";
    if (!config_.token.empty()) {
      request.SetBearer(config_.token);
    } else if (!config_.username.empty()) {
      request.SetBasicAuth(config_.username, config_.password);
    }
    Result<http::Response> response = http_->Send(request);
    if (!response.ok()) {
      Status s = response.status().WithContext("cannot " + verb + " " + what + " on " +
                                                Describe());
      if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded) {
        // No answer at all: say what to check, as kubectl users would.
        return Status::Error(s.code(),
                             s.message() + " (is the API server up and reachable from here? " +
                                 "check the `server` of this context, e.g. with `kubectl " +
                                 "cluster-info`)",
                             s.retryable());
      }
      return s;
    }
    if (response->status >= 200 && response->status < 300) {
      if (response->body.empty()) return Value::object();
      Result<Value> json = ParseJson(response->body);
      if (!json.ok()) {
        return Status::Unavailable("cannot " + verb + " " + what + " on " + Describe() +
                                   ": the API server answered HTTP " +
                                   std::to_string(response->status) + " with invalid JSON (" +
                                   json.status().message() + ")");
      }
      return json;
    }
    return ErrorStatus(*response, what, verb, kind, ns);
  }

  Status ErrorStatus(const http::Response& response, const std::string& what,
                     const std::string& verb, const Kind& kind, const std::string& ns) const {
    std::string message;
    std::string reason;
    Result<Value> status = ParseJson(response.body);
    if (status.ok() && status->is_object()) {
      const Value& m = (*status)["message"];
      const Value& r = (*status)["reason"];
      if (m.is_string()) message = m.get<std::string>();
      if (r.is_string()) reason = r.get<std::string>();
    }
    if (message.empty()) {
      message = response.body.size() <= 200 ? response.body : response.body.substr(0, 200) + "...";
    }
    std::string code = "HTTP " + std::to_string(response.status) +
                       (reason.empty() ? "" : " " + reason);
    const std::string prefix = what + " on " + Describe() + ": ";
    const long s = response.status;
    if (s == 404) {
      return Status::NotFound(prefix + "not found (" + message + ")");
    }
    if (s == 409 && reason == "AlreadyExists") {
      return Status::Error(StatusCode::kAlreadyExists, prefix + "already exists (" + message + ")");
    }
    if (s == 409) {
      return Status::Conflict(prefix + "changed meanwhile, " + verb + " refused (" + message +
                              "); read it again and retry");
    }
    if (s == 401) {
      return Status::PermissionDenied(
          prefix + "the API server refused the credentials of context " + config_.context + " (" +
          code + ": " + message + "); renew the token or certificate in " + config_.path);
    }
    if (s == 403) {
      return Status::PermissionDenied(
          prefix + "forbidden (" + message + "); the user of context " + config_.context +
          " needs RBAC permission to " + verb + " " + kind.plural +
          (ns.empty() ? "" : " in namespace " + ns));
    }
    if (s == 400 || s == 422) {
      return Status::InvalidArgument(prefix + "refused by the API server (" + code + "): " +
                                     message);
    }
    if (s == 429 || s >= 500) {
      return Status::Unavailable(prefix + "the API server is unavailable (" + code + ": " +
                                 message + ")");
    }
    return Status::Error(StatusCode::kFailedPrecondition,
                         prefix + "unexpected answer (" + code + ": " + message + ")");
  }

  const KubeConfig config_;
  const std::string base_url_;
  std::unique_ptr<http::HttpClient> http_;
  const Status setup_error_;  // e.g. tls-server-name host not resolvable
};

}  // namespace

std::unique_ptr<KubeClient> NewKubeClient(const KubeConfig& config, Clock& clock,
                                          std::unique_ptr<http::HttpClient> client) {
  std::string base_url = config.server;
  while (base_url.size() > 8 && base_url.back() == '/') base_url.pop_back();
  std::vector<std::string> resolve;
  Status setup_error;
  // tls-server-name: connect to the server's address, but send that name in
  // SNI and verify the certificate against it (libcurl verifies the URL's
  // host, so the URL carries the name and CURLOPT_RESOLVE pins the address).
  if (!config.tls_server_name.empty()) {
    ServerUrl url = ParseServer(base_url);
    if (url.host != config.tls_server_name) {
      Result<std::string> address = ResolveHost(url.host);
      if (address.ok()) {
        const bool v6 = address->find(':') != std::string::npos;
        resolve.push_back(config.tls_server_name + ":" + url.port + ":" +
                          (v6 ? "[" + *address + "]" : *address));
        base_url = url.scheme + config.tls_server_name + ":" + url.port + url.rest;
      } else {
        setup_error = address.status();
      }
    }
  }
  if (!client) {
    http::ClientOptions options;
    if (!config.ca_pem.empty()) {
      options.ca_pem = config.ca_pem;
      options.trust_system_cas = false;
    }
    // kubectl's insecure-skip-tls-verify, honoured only when the kubeconfig
    // sets it to true explicitly (LoadKubeConfig refuses it with a CA).
    options.insecure_skip_verify = config.insecure_skip_tls_verify;
    options.client_identity = config.client_identity;
    options.resolve = resolve;
    options.user_agent = "crosslink-eck";
    client = http::NewCurlClient(options, clock);
  }
  return std::make_unique<CurlKubeClient>(config, base_url, std::move(client), setup_error);
}

Result<Value> UpdateWithRetry(KubeClient& client, const Kind& kind, const std::string& ns,
                              const std::string& name,
                              const std::function<Result<bool>(Value& object)>& mutate,
                              int attempts) {
  if (attempts < 1) attempts = 1;
  Status last;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    Result<Value> object = client.Get(kind, ns, name);
    if (!object.ok()) return object;
    Value updated = *object;
    Result<bool> changed = mutate(updated);
    if (!changed.ok()) return changed.status();
    if (!*changed) return object;
    Result<Value> written = client.Replace(kind, ns, name, updated);
    if (written.ok() || written.status().code() != StatusCode::kConflict) return written;
    last = written.status();
  }
  return Status::Conflict(last.message() + " (gave up after " + std::to_string(attempts) +
                          " attempts: the object keeps changing)");
}

std::optional<std::string> SecretValue(const Value& secret, const std::string& key) {
  if (!secret.is_object()) return std::nullopt;
  auto data = secret.find("data");
  if (data == secret.end() || !data->is_object()) return std::nullopt;
  auto value = data->find(key);
  if (value == data->end() || !value->is_string()) return std::nullopt;
  return http::Base64Decode(value->get<std::string>());
}

}  // namespace crosslink::providers::eck
