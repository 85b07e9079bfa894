// CloudPlatform: one ECH organisation/region or one ECE installation as a
// sandbox Platform. It binds the listeners and hands requests to the
// Environment (environment.h):
//   cloud/<env>/api             kHttps 127.0.0.1:<ephemeral>   the Cloud API
//   cloud/<env>/proxy-rest      kHttps 127.0.0.1:<ephemeral>   deployments' REST, by SNI
//   cloud/<env>/proxy-rcs       kTls   <allocated>:9443        remote cluster server, by SNI
//   cloud/<env>/proxy-transport kTls   <allocated>:9400        transport passthrough, by SNI
// and the sandbox DNS name "*.<domain>" -> <allocated> (what twins dial).
// Client code reaches https://<cluster_id>.<domain>:<proxy-rest port> because
// libcurl resolves *.localhost to loopback.
//
// Environment settings: ECH {region (default eu-west-1), organization_id
// (digits, default random 10 digits), api_key}; ECE {environment_id (32
// lower-case hex, default random), api_key}. Cluster settings: deployment_id,
// cluster_id (32 lower-case hex), password, name.

#include <set>

#include "engine/core/filesystem.h"
#include "sandbox/cloud/environment.h"
#include "sandbox/es/twin.h"
#include "sandbox/platform.h"
#include "sandbox/util.h"

namespace crosslink::sandbox {

namespace {

Result<std::string> StringSetting(const Value& settings, const std::string& field, const std::string& key,
                                  const std::string& fallback) {
  if (!settings.is_object() || !settings.contains(key) || settings[key].is_null()) return fallback;
  const Value& v = settings[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  return Status::InvalidArgument(field + "." + key + " must be a string");
}

Status RejectUnknown(const Value& settings, const std::string& field, const std::set<std::string>& known) {
  if (!settings.is_object()) return Status::Ok();
  for (auto it = settings.begin(); it != settings.end(); ++it) {
    if (!known.count(it.key())) return Status::InvalidArgument(field + "." + it.key() + " is not a setting of this platform");
  }
  return Status::Ok();
}

class CloudPlatform : public Platform {
 public:
  CloudPlatform(EnvironmentConfig env, PlatformContext ctx, std::unique_ptr<cloud::Environment> environment)
      : env_(std::move(env)), ctx_(std::move(ctx)), environment_(std::move(environment)) {}
  ~CloudPlatform() override { Stop(); }

  const std::string& key() const override { return env_.key; }

  Status AddCluster(const ClusterConfig& cluster) override {
    std::string field = "clusters." + cluster.key;
    CROSSLINK_RETURN_IF_ERROR(RejectUnknown(
        cluster.settings, field,
        {"environment", "version", "license", "deployment_id", "cluster_id", "password", "name"}));
    cloud::DeploymentSpec spec;
    spec.key = cluster.key;
    spec.version = cluster.version;
    spec.license = cluster.license;
    Result<std::string> id = StringSetting(cluster.settings, field, "deployment_id", "");
    Result<std::string> cluster_id = StringSetting(cluster.settings, field, "cluster_id", "");
    Result<std::string> password = StringSetting(cluster.settings, field, "password", "");
    Result<std::string> name = StringSetting(cluster.settings, field, "name", "");
    for (const auto* r : {&id, &cluster_id, &password, &name}) {
      if (!r->ok()) return r->status();
    }
    spec.deployment_id = *id;
    spec.cluster_id = *cluster_id;
    spec.password = Secret(*password);
    spec.name = *name;
    return environment_->AddDeployment(std::move(spec));
  }

  // Binds one listener on the sandbox server and remembers it for Stop().
  Result<uint16_t> Bind(const std::string& name, const std::string& address, uint16_t port,
                        net::Protocol protocol, net::TlsRouter router) {
    net::ListenerOptions options;
    options.name = name;
    options.address = address;
    options.port = port;
    options.protocol = protocol;
    options.router = std::move(router);
    Result<uint16_t> bound = ctx_.host->server().Listen(options);
    if (!bound.ok()) return bound.status().WithContext(name);
    listeners_.push_back(name);
    return bound;
  }

  Status Start() override {
    Host* host = ctx_.host;
    const std::string prefix = "cloud/" + env_.key + "/";
    cloud::Environment* environment = environment_.get();

    auto api_route = std::make_shared<net::TlsRoute>();
    api_route->name = prefix + "api";
    api_route->identity = std::make_shared<const pki::Identity>(environment->api_identity());
    api_route->http = [environment](const net::HttpRequest& request) { return environment->HandleApi(request); };
    auto api_port = Bind(prefix + "api", "127.0.0.1", 0, net::Protocol::kHttps,
                         [api_route](std::string_view) { return std::shared_ptr<const net::TlsRoute>(api_route); });
    if (!api_port.ok()) return api_port.status();
    api_port_ = *api_port;

    auto rest_port = Bind(prefix + "proxy-rest", "127.0.0.1", 0, net::Protocol::kHttps,
                          [environment](std::string_view sni) { return environment->RestRoute(sni); });
    if (!rest_port.ok()) return rest_port.status();
    environment_->SetProxyHttpsPort(*rest_port);

    proxy_address_ = host->AllocateAddress();
    auto rcs_port = Bind(prefix + "proxy-rcs", proxy_address_, cloud::kRemoteClusterProxyPort, net::Protocol::kTls,
                         [environment](std::string_view sni) { return environment->RemoteClusterRoute(sni); });
    if (!rcs_port.ok()) return rcs_port.status();
    auto transport_port = Bind(prefix + "proxy-transport", proxy_address_, cloud::kTransportProxyPort,
                               net::Protocol::kTls,
                               [environment](std::string_view sni) { return environment->TransportRoute(sni); });
    if (!transport_port.ok()) return transport_port.status();

    host->AddDnsName("*." + environment_->domain(), proxy_address_);
    started_ = true;
    return Status::Ok();
  }

  Status WriteClientFiles(ClientFiles* files) override {
    const std::string env = EnvPrefix(env_.key);
    bool ece = environment_->flavor() == cloud::Flavor::kEce;
    std::string ca_file = files->dir + "/ca/public-ca.pem";  // written by the sandbox
    if (ece) {
      auto fs = NewPosixFileSystem();
      std::string dir = files->dir + "/" + env_.key;
      CROSSLINK_RETURN_IF_ERROR(fs->MakeDirs(dir, 0755));
      ca_file = dir + "/ca.pem";
      CROSSLINK_RETURN_IF_ERROR(fs->WriteFileAtomic(ca_file, environment_->client_ca_pem(), 0644));
    }
    files->env.emplace_back(env + "_ENDPOINT", "https://127.0.0.1:" + std::to_string(api_port_));
    files->env.emplace_back(env + "_API_KEY", environment_->api_key().expose());
    files->env.emplace_back(env + "_CA_FILE", ca_file);
    files->env.emplace_back(env + (ece ? "_ENVIRONMENT_ID" : "_ORGANIZATION_ID"), environment_->scope_id());
    for (const cloud::DeploymentView& d : environment_->Deployments()) {
      const std::string c = EnvPrefix(d.key);
      files->env.emplace_back(c + "_DEPLOYMENT_ID", d.deployment_id);
      files->env.emplace_back(c + "_PASSWORD", d.password.expose());
      files->env.emplace_back(c + "_URL", d.service_url);
      files->env.emplace_back(c + "_CA_FILE", ca_file);
    }
    return Status::Ok();
  }

  es::Twin* FindTwin(const std::string& cluster_key) override { return environment_->FindTwin(cluster_key); }
  std::vector<std::string> cluster_keys() const override { return environment_->deployment_keys(); }

  Value Inspect() const override {
    Value out = environment_->Inspect();
    out["api_port"] = api_port_;
    out["proxy_address"] = proxy_address_;
    out["listeners"] = listeners_;
    return out;
  }

  net::HttpResponse HandleControl(const net::HttpRequest& request, std::string_view rest) override {
    if (request.method == "GET" && (rest.empty() || rest == "deployments")) {
      return net::HttpResponse::Json(200, Inspect());
    }
    return environment_->HandleControl(request, rest);
  }

  void Stop() override {
    if (!started_) return;
    started_ = false;
    for (const std::string& name : listeners_) ctx_.host->server().Close(name);
    ctx_.host->RemoveDnsName("*." + environment_->domain());
  }

 private:
  EnvironmentConfig env_;
  PlatformContext ctx_;
  std::unique_ptr<cloud::Environment> environment_;
  uint16_t api_port_ = 0;
  std::string proxy_address_;
  std::vector<std::string> listeners_;
  bool started_ = false;
};

}  // namespace

Result<std::unique_ptr<Platform>> NewCloudPlatform(const EnvironmentConfig& env, const PlatformContext& ctx) {
  if (ctx.host == nullptr) return Status::InvalidArgument("cloud platform needs a Host");
  const std::string field = "environments." + env.key;
  bool ece = env.platform == "ece";
  if (!ece && env.platform != "ech") return Status::InvalidArgument(field + ".platform must be ech or ece");
  CROSSLINK_RETURN_IF_ERROR(RejectUnknown(
      env.settings, field,
      ece ? std::set<std::string>{"platform", "environment_id", "api_key"}
          : std::set<std::string>{"platform", "region", "organization_id", "api_key"}));

  cloud::EnvironmentOptions options;
  options.key = env.key;
  options.flavor = ece ? cloud::Flavor::kEce : cloud::Flavor::kEch;
  Result<std::string> api_key = StringSetting(env.settings, field, "api_key", "");
  if (!api_key.ok()) return api_key.status();
  options.api_key = Secret(api_key->empty() ? RandomString(64, kAlphanumeric) : *api_key);
  if (ece) {
    Result<std::string> id = StringSetting(env.settings, field, "environment_id", RandomString(32, "0123456789abcdef"));
    if (!id.ok()) return id.status();
    bool hex = id->size() == 32 && id->find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex) return Status::InvalidArgument(field + ".environment_id must be 32 lower-case hex characters");
    options.scope_id = *id;
    options.region = "ece-region";
    options.domain = env.key + ".ece.localhost";
  } else {
    std::string random_org = RandomString(1, "123456789") + RandomString(9, "0123456789");  // 10 digits
    Result<std::string> org = StringSetting(env.settings, field, "organization_id", random_org);
    if (!org.ok()) return org.status();
    if (org->empty() || org->size() > 32 || org->find_first_not_of("0123456789") != std::string::npos) {
      return Status::InvalidArgument(field + ".organization_id must be digits, e.g. \"1053523734\"");
    }
    Result<std::string> region = StringSetting(env.settings, field, "region", "eu-west-1");
    if (!region.ok()) return region.status();
    bool region_ok = !region->empty() && region->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
    if (!region_ok) return Status::InvalidArgument(field + ".region must be lower-case letters, digits and '-'");
    options.scope_id = *org;
    options.region = *region;
    options.domain = *region + "." + env.key + ".ech.localhost";
    // One Elastic Cloud Hosted: the organizations of a region share its CA.
    Result<std::shared_ptr<const pki::Identity>> ca =
        ctx.host->SharedCa("ECH " + *region + " transport CA", [&]() {
          pki::CertificateSpec spec;
          spec.is_ca = true;
          spec.validity = std::chrono::hours(24 * 365 * 3);
          spec.common_name = "Elastic Cloud " + *region + " transport CA";
          spec.organization = "Elastic Cloud";
          return pki::CreateCa(spec);
        });
    if (!ca.ok()) return ca.status();
    options.transport_ca = *ca;
  }
  options.public_ca = ctx.host->public_ca();
  // The two contract files' names are reversed (ENDPOINTS.md).
  const std::string file = ctx.contracts_dir + "/cloud-api/" + (ece ? "apidocs.json" : "apidocs-user.json");
  Result<std::shared_ptr<const cloud::Swagger>> swagger =
      cloud::Swagger::Load(file, ece ? "Elastic Cloud Enterprise API" : "Elastic Cloud API");
  if (!swagger.ok()) return swagger.status();
  options.swagger = *swagger;
  Host* host = ctx.host;
  es::Dialer dialer = [host](const std::string& h, uint16_t port, net::DialOptions o, std::string_view line) {
    return host->Dial(h, port, std::move(o), line);
  };
  Result<std::unique_ptr<cloud::Environment>> environment =
      cloud::Environment::Create(std::move(options), host->clock(), std::move(dialer));
  if (!environment.ok()) return environment.status();
  return std::unique_ptr<Platform>(new CloudPlatform(env, ctx, std::move(*environment)));
}

}  // namespace crosslink::sandbox
