// NewEckPlatform: one ECK environment = the Kubernetes API server twin (on
// its own HTTPS listener) + the ECK operator twin.
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

#include "engine/core/filesystem.h"
#include "engine/core/http.h"
#include "sandbox/eck/internal.h"
#include "sandbox/k8s/es_webhook.h"
#include "sandbox/k8s/objects.h"
#include "sandbox/platform.h"
#include "sandbox/util.h"

namespace crosslink::sandbox {
namespace {

using k8s::ApiServer;

enum class SettingType { kString, kInteger, kBool };

// The settings of one environment or cluster (docs/sandbox.md, "The config
// file"): every key must be one of `known` and have its JSON type, so that a
// typo or a wrong type is an error naming "<field>.<key>", never ignored.
Status CheckSettings(const Value& settings, const std::string& field,
                     std::initializer_list<std::pair<std::string_view, SettingType>> known) {
  if (settings.is_null()) return Status::Ok();
  if (!settings.is_object()) return Status::InvalidArgument(field + ": must be a mapping");
  for (auto it = settings.begin(); it != settings.end(); ++it) {
    const std::pair<std::string_view, SettingType>* match = nullptr;
    for (const auto& k : known) {
      if (k.first == it.key()) match = &k;
    }
    const std::string where = field + "." + it.key();
    if (match == nullptr) return Status::InvalidArgument(where + " is not a setting of this platform");
    switch (match->second) {
      case SettingType::kString:
        if (!it->is_string()) return Status::InvalidArgument(where + ": must be a string");
        break;
      case SettingType::kInteger:
        if (!it->is_number_integer()) return Status::InvalidArgument(where + ": must be an integer");
        break;
      case SettingType::kBool:
        if (!it->is_boolean()) return Status::InvalidArgument(where + ": must be true or false");
        break;
    }
  }
  return Status::Ok();
}

// API server bearer tokens: 48 characters of [a-z0-9] from the CSPRNG.
constexpr std::string_view kTokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

class EckPlatform : public Platform {
 public:
  EckPlatform(EnvironmentConfig env, PlatformContext ctx, eck::OperatorOptions options, std::shared_ptr<const k8s::CrdSchema> crd)
      : env_(std::move(env)), ctx_(std::move(ctx)), token_(RandomString(48, kTokenAlphabet)) {
    ApiServer::Options api;
    api.token = token_.expose();
    api.elasticsearch_crd = std::move(crd);
    api.webhooks.push_back(k8s::ElasticsearchWebhook());
    Host* host = ctx_.host;
    api.allocate_load_balancer_ip = [host] { return host->AllocateAddress(); };
    api_ = std::make_unique<ApiServer>(std::move(api), ctx_.host->clock());
    operator_ = std::make_unique<eck::Operator>(std::move(options), *api_, *ctx_.host);
  }
  ~EckPlatform() override { Stop(); }

  const std::string& key() const override { return env_.key; }

  Status AddCluster(const ClusterConfig& cluster) override {
    const std::string field = "clusters." + cluster.key;
    CROSSLINK_RETURN_IF_ERROR(CheckSettings(cluster.settings, field,
                                            {{"environment", SettingType::kString},
                                             {"version", SettingType::kString},
                                             {"license", SettingType::kString},
                                             {"namespace", SettingType::kString},
                                             {"name", SettingType::kString},
                                             {"nodes", SettingType::kInteger},
                                             {"http_service", SettingType::kString},
                                             {"remote_cluster_server", SettingType::kBool}}));
    const Value s = cluster.settings.is_object() ? cluster.settings : Value::object();
    const std::string ns = s.value("namespace", "default");
    const std::string name = s.value("name", cluster.key);
    int nodes = 1;
    if (s.contains("nodes")) {
      const int64_t count = s["nodes"].get<int64_t>();
      if (count < 1 || count > std::numeric_limits<int32_t>::max()) {
        return Status::InvalidArgument(field + ".nodes: must be a positive integer");
      }
      nodes = static_cast<int>(count);
    }
    const std::string http_service = s.value("http_service", "LoadBalancer");
    if (http_service != "LoadBalancer" && http_service != "ClusterIP" && http_service != "NodePort") {
      return Status::InvalidArgument(field + ".http_service: must be LoadBalancer, ClusterIP or NodePort");
    }
    const bool rcs = s.value("remote_cluster_server", false);
    if (!api_->Get(ApiServer::Namespaces(), "", ns).ok()) {
      k8s::ApiResult r = api_->Create(ApiServer::Namespaces(), "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
      if (!r.ok()) return Status::InvalidArgument(field + ".namespace: " + r.error->message);
    }
    Value es = {{"apiVersion", "elasticsearch.k8s.elastic.co/v1"},
                {"kind", "Elasticsearch"},
                {"metadata", {{"name", name}, {"namespace", ns}}},
                {"spec", {{"version", cluster.version}, {"nodeSets", {{{"name", "default"}, {"count", nodes}, {"config", {{"node.store.allow_mmap", false}}}}}}}}};
    std::string lb_ip;
    if (http_service == "LoadBalancer") {
      lb_ip = ctx_.host->AllocateAddress();
      es["spec"]["http"] = {{"service", {{"spec", {{"type", "LoadBalancer"}, {"loadBalancerIP", lb_ip}}}}},
                            {"tls", {{"selfSignedCertificate", {{"subjectAltNames", {{{"ip", lb_ip}}, {{"dns", "localhost"}}}}}}}}};
    } else if (http_service != "ClusterIP") {
      es["spec"]["http"] = {{"service", {{"spec", {{"type", http_service}}}}}};
    }
    if (rcs) es["spec"]["remoteClusterServer"] = {{"enabled", true}};
    operator_->SetClusterKey(ns, name, cluster.key);
    k8s::WriteOptions strict;
    strict.field_validation = k8s::FieldValidation::kStrict;
    k8s::ApiResult r = api_->Create(ApiServer::Elasticsearches(), ns, es, strict);
    if (!r.ok()) return Status::InvalidArgument(field + ": " + r.error->message);
    std::lock_guard<std::mutex> lock(mu_);
    clusters_.push_back({cluster.key, ns, name, lb_ip});
    return Status::Ok();
  }

  Status Start() override {
    pki::CertificateSpec ca_spec;
    ca_spec.common_name = "kubernetes";
    ca_spec.is_ca = true;
    Result<pki::Identity> ca = pki::CreateCa(ca_spec);
    if (!ca.ok()) return ca.status().WithContext("creating the API server CA");
    api_ca_ = *ca;
    address_ = ctx_.host->AllocateAddress();
    pki::CertificateSpec server_spec;
    server_spec.common_name = "kube-apiserver";
    server_spec.dns_names = {"kubernetes", "kubernetes.default", "kubernetes.default.svc", "localhost"};
    server_spec.ip_addresses = {address_};
    Result<pki::Identity> cert = pki::IssueCertificate(server_spec, api_ca_);
    if (!cert.ok()) return cert.status().WithContext("issuing the API server certificate");
    auto route = std::make_shared<net::TlsRoute>();
    route->name = "eck/" + env_.key + "/api";
    route->identity = std::make_shared<const pki::Identity>(*cert);
    ApiServer* api = api_.get();
    route->http = [api](const net::HttpRequest& r) { return api->Handle(r); };
    net::ListenerOptions lo;
    lo.name = "eck/" + env_.key + "/api";
    lo.address = address_;
    lo.port = 6443;
    lo.protocol = net::Protocol::kHttps;
    std::shared_ptr<const net::TlsRoute> shared = route;
    lo.router = [shared](std::string_view) { return shared; };
    Result<uint16_t> port = ctx_.host->server().Listen(lo);
    if (!port.ok()) {
      lo.port = 0;  // 6443 taken on this address: any port will do
      port = ctx_.host->server().Listen(lo);
    }
    if (!port.ok()) return port.status().WithContext("binding the Kubernetes API listener");
    port_ = *port;
    listening_ = true;
    operator_->ReconcileNow();  // Secrets exist before WriteClientFiles
    operator_->Start();
    return Status::Ok();
  }

  Status WaitUntilReady(std::chrono::milliseconds timeout) override {
    Clock& clock = ctx_.host->clock();
    const auto deadline = clock.Now() + timeout;
    std::vector<ClusterEntry> clusters;
    {
      std::lock_guard<std::mutex> lock(mu_);
      clusters = clusters_;
    }
    for (;;) {
      std::string starting;
      for (const ClusterEntry& c : clusters) {
        k8s::ApiResult es = api_->Get(ApiServer::Elasticsearches(), c.ns, c.name);
        const Value phase = es.ok() ? es.object.value("status", Value::object()).value("phase", Value()) : Value();
        if (phase != "Ready") starting += (starting.empty() ? "" : ", ") + c.ns + "/" + c.name;
      }
      if (starting.empty()) return Status::Ok();
      if (clock.Now() >= deadline) {
        return Status::DeadlineExceeded("Elasticsearch resources not Ready after " +
                                        std::to_string(timeout.count()) + " ms: " + starting);
      }
      clock.Sleep(std::chrono::milliseconds(20));
    }
  }

  Status WriteClientFiles(ClientFiles* files) override {
    const std::string dir = files->dir + "/" + env_.key;
    std::unique_ptr<FileSystem> fs = NewPosixFileSystem();
    CROSSLINK_RETURN_IF_ERROR(fs->MakeDirs(dir, 0755));
    const std::string server = "https://" + address_ + ":" + std::to_string(port_);
    std::string kubeconfig =
        "apiVersion: v1\nkind: Config\nclusters:\n- name: " + env_.key + "\n  cluster:\n    server: " + server +
        "\n    certificate-authority-data: " + http::Base64Encode(api_ca_.LeafPem()) + "\nusers:\n- name: " + env_.key +
        "-admin\n  user:\n    token: " + token_.expose() + "\ncontexts:\n- name: " + env_.key + "\n  context:\n    cluster: " +
        env_.key + "\n    user: " + env_.key + "-admin\n    namespace: default\ncurrent-context: " + env_.key + "\n";
    CROSSLINK_RETURN_IF_ERROR(fs->WriteFileAtomic(dir + "/kubeconfig", kubeconfig, 0600));
    const std::string prefix = EnvPrefix(env_.key);
    files->env.push_back({prefix + "_KUBECONFIG", dir + "/kubeconfig"});
    files->env.push_back({prefix + "_CONTEXT", env_.key});
    std::vector<ClusterEntry> clusters;
    {
      std::lock_guard<std::mutex> lock(mu_);
      clusters = clusters_;
    }
    for (const ClusterEntry& c : clusters) {
      const std::string cp = EnvPrefix(c.key);
      k8s::ApiResult pub = api_->Get(ApiServer::Secrets(), c.ns, eck::ServiceName(c.name, "http-certs-public"));
      k8s::ApiResult user = api_->Get(ApiServer::Secrets(), c.ns, eck::ServiceName(c.name, "elastic-user"));
      if (!pub.ok() || !user.ok()) return Status::FailedPrecondition("cluster " + c.key + " has no certificates yet");
      const std::string ca_file = dir + "/" + c.key + "-http-ca.crt";
      CROSSLINK_RETURN_IF_ERROR(fs->WriteFileAtomic(ca_file, k8s::SecretData(pub.object, "ca.crt").value_or(""), 0644));
      std::string host = c.lb_ip.empty() ? eck::ServiceName(c.name, "http") + "." + c.ns + ".svc" : c.lb_ip;
      files->env.push_back({cp + "_URL", "https://" + host + ":9200"});
      files->env.push_back({cp + "_CA_FILE", ca_file});
      files->env.push_back({cp + "_PASSWORD", k8s::SecretData(user.object, "elastic").value_or("")});
    }
    return Status::Ok();
  }

  es::Twin* FindTwin(const std::string& cluster_key) override { return operator_->FindTwin(cluster_key); }
  std::vector<std::string> cluster_keys() const override { return operator_->cluster_keys(); }

  Value Inspect() const override {
    Value out = operator_->Inspect();
    out["platform"] = "eck";
    out["api_server"] = listening_ ? "https://" + address_ + ":" + std::to_string(port_) : "";
    out["objects"] = api_->Dump();
    return out;
  }

  net::HttpResponse HandleControl(const net::HttpRequest& request, std::string_view rest) override {
    const std::string path(rest);
    if (request.method == "GET" && (path == "objects" || path.empty())) return net::HttpResponse::Json(200, api_->Dump());
    if (request.method == "GET" && path == "events") return net::HttpResponse::Json(200, operator_->Inspect()["events"]);
    // namespaces/<ns>/elasticsearches/<name>/rotate-ca
    std::vector<std::string> seg;
    for (size_t start = 0; start <= path.size();) {
      size_t slash = path.find('/', start);
      seg.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (seg.size() == 5 && seg[0] == "namespaces" && seg[2] == "elasticsearches" && seg[4] == "rotate-ca") {
      if (request.method != "POST") return net::HttpResponse::Json(405, {{"error", "use POST"}});
      Status s = operator_->RotateTransportCa(seg[1], seg[3]);
      if (!s.ok()) return net::HttpResponse::Json(s.code() == StatusCode::kNotFound ? 404 : 500, {{"error", s.message()}});
      return net::HttpResponse::Json(200, {{"acknowledged", true}, {"namespace", seg[1]}, {"name", seg[3]}});
    }
    return net::HttpResponse::Json(404, {{"error", "unknown control path: " + path}});
  }

  void Stop() override {
    operator_->Stop();
    if (listening_) {
      ctx_.host->server().Close("eck/" + env_.key + "/api");
      listening_ = false;
    }
  }

  ApiServer& api() { return *api_; }

 private:
  struct ClusterEntry {
    std::string key, ns, name, lb_ip;
  };
  EnvironmentConfig env_;
  PlatformContext ctx_;
  Secret token_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<eck::Operator> operator_;
  pki::Identity api_ca_;
  std::string address_;
  uint16_t port_ = 0;
  bool listening_ = false;
  mutable std::mutex mu_;
  std::vector<ClusterEntry> clusters_;
};

}  // namespace

Result<std::unique_ptr<Platform>> NewEckPlatform(const EnvironmentConfig& env, const PlatformContext& ctx) {
  if (ctx.host == nullptr) return Status::InvalidArgument("ECK platform needs a host");
  const std::string field = "environments." + env.key;
  CROSSLINK_RETURN_IF_ERROR(CheckSettings(env.settings, field,
                                          {{"platform", SettingType::kString},
                                           {"operator_version", SettingType::kString},
                                           {"license", SettingType::kString},
                                           {"restart_ms", SettingType::kInteger}}));
  const Value s = env.settings.is_object() ? env.settings : Value::object();
  eck::OperatorOptions options;
  options.environment = env.key;
  const std::string version = s.value("operator_version", "3.3.0");
  std::optional<Version> v = ParseVersionStrict(version);
  if (!v) return Status::InvalidArgument(field + ".operator_version: not a version: " + version);
  options.operator_version = *v;
  options.license = s.value("license", "enterprise");
  if (options.license != "basic" && options.license != "gold" && options.license != "platinum" && options.license != "enterprise" &&
      options.license != "trial") {
    return Status::InvalidArgument(field + ".license: must be basic, gold, platinum, enterprise or trial");
  }
  if (s.contains("restart_ms")) {
    if (s["restart_ms"].get<int64_t>() < 0) {
      return Status::InvalidArgument(field + ".restart_ms: must be a non-negative integer");
    }
    options.restart = std::chrono::milliseconds(s["restart_ms"].get<int64_t>());
  }
  options.resync = std::min(std::chrono::milliseconds(200), std::max(std::chrono::milliseconds(5), options.restart / 2));
  Result<k8s::CrdSchema> crd = k8s::CrdSchema::LoadFile(ctx.contracts_dir + "/eck-elasticsearch-crd.yaml");
  if (!crd.ok()) return crd.status().WithContext("loading the Elasticsearch CRD (check --contracts)");
  return std::unique_ptr<Platform>(
      new EckPlatform(env, ctx, std::move(options), std::make_shared<const k8s::CrdSchema>(std::move(*crd))));
}

}  // namespace crosslink::sandbox
