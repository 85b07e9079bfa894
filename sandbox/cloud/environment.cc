// Environment setup: certificates, deployments and their twins, node
// configuration, proxy routing, inspection. The API handlers are in api.cc.

#include <algorithm>

#include "sandbox/cloud/internal.h"
#include "sandbox/util.h"

namespace crosslink::sandbox::cloud {

namespace {

bool IsHex32(const std::string& s) {
  if (s.size() != 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string HostOf(std::string_view host_header) {
  std::string h(host_header);
  if (!h.empty() && h.front() == '[') return h;  // IPv6 literal: never a deployment
  size_t colon = h.find(':');
  if (colon != std::string::npos) h.resize(colon);
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

}  // namespace

Environment::Environment(EnvironmentOptions options, Clock& clock, es::Dialer dialer)
    : options_(std::move(options)), clock_(clock), dialer_(std::move(dialer)) {}

Environment::~Environment() = default;

Result<std::unique_ptr<Environment>> Environment::Create(EnvironmentOptions options, Clock& clock,
                                                         es::Dialer dialer) {
  if (options.swagger == nullptr) return Status::InvalidArgument("cloud environment needs its Swagger contract");
  if (options.scope_id.empty() || options.domain.empty()) {
    return Status::InvalidArgument("cloud environment needs a scope id and a domain");
  }
  std::unique_ptr<Environment> env(new Environment(std::move(options), clock, std::move(dialer)));
  const EnvironmentOptions& o = env->options_;
  bool ece = o.flavor == Flavor::kEce;
  pki::CertificateSpec ca_spec;
  ca_spec.is_ca = true;
  ca_spec.validity = std::chrono::hours(24 * 365 * 3);
  if (ece) {
    ca_spec.common_name = "ECE root CA " + o.scope_id;
    ca_spec.organization = "Elastic Cloud Enterprise";
  } else {
    ca_spec.common_name = "Elastic Cloud " + o.region + " transport CA";
    ca_spec.organization = "Elastic Cloud";
  }
  if (o.transport_ca != nullptr) {
    env->transport_ca_ = o.transport_ca;
  } else {
    Result<pki::Identity> created = pki::CreateCa(ca_spec);
    if (!created.ok()) return created.status().WithContext("creating the " + o.key + " CA");
    env->transport_ca_ = std::make_shared<const pki::Identity>(std::move(*created));
  }
  const pki::Identity* ca = env->transport_ca_.get();

  pki::CertificateSpec proxy_spec;
  proxy_spec.common_name = "*." + o.domain;
  proxy_spec.dns_names = {"*." + o.domain, o.domain};
  pki::CertificateSpec api_spec;
  api_spec.ip_addresses = {"127.0.0.1"};
  Result<pki::Identity> proxy = Status::Internal("unset");
  Result<pki::Identity> api = Status::Internal("unset");
  if (ece) {
    pki::CertificateSpec inter_spec;
    inter_spec.common_name = "ECE proxy intermediate CA " + o.scope_id;
    inter_spec.organization = "Elastic Cloud Enterprise";
    inter_spec.is_ca = true;
    Result<pki::Identity> inter = pki::IssueCertificate(inter_spec, *ca);
    if (!inter.ok()) return inter.status().WithContext("creating the ECE proxy intermediate CA");
    proxy = pki::IssueCertificate(proxy_spec, *inter);
    api_spec.common_name = o.key + ".ece.localhost";
    api_spec.dns_names = {o.key + ".ece.localhost"};
    api = pki::IssueCertificate(api_spec, *ca);
  } else {
    proxy = pki::IssueCertificate(proxy_spec, o.public_ca);
    api_spec.common_name = "api." + o.key + ".localhost";
    api_spec.dns_names = {"api." + o.key + ".localhost"};
    api = pki::IssueCertificate(api_spec, o.public_ca);
  }
  if (!proxy.ok()) return proxy.status().WithContext("creating the proxy certificate");
  if (!api.ok()) return api.status().WithContext("creating the API certificate");
  env->proxy_identity_ = std::make_shared<const pki::Identity>(*proxy);
  env->api_identity_ = std::make_shared<const pki::Identity>(*api);
  env->created_ = env->Now();
  if (ece) {
    TrustRelationship local;
    local.id = env->NewId();
    local.name = o.key + " (local)";
    local.installation_id = o.scope_id;
    local.public_ca_cert = ca->LeafPem();
    local.account_ids = {o.scope_id};
    local.trust_by_default = true;
    local.local = true;
    local.last_modified = env->created_;
    env->relationships_[local.id] = local;
  }
  return env;
}

std::string Environment::NewId() const { return RandomString(32, "0123456789abcdef"); }

std::string Environment::Now() const { return FormatUtc(clock_.WallNow()); }

std::string Environment::client_ca_pem() const {
  return options_.flavor == Flavor::kEce ? transport_ca_->LeafPem() : options_.public_ca.LeafPem();
}

std::string Environment::ServiceUrl(const Deployment& d) const {
  return "https://" + d.endpoint + ":" + std::to_string(proxy_https_port_);
}

Status Environment::AddDeployment(DeploymentSpec spec) {
  if (spec.deployment_id.empty()) spec.deployment_id = NewId();
  if (spec.cluster_id.empty()) spec.cluster_id = NewId();
  if (!IsHex32(spec.deployment_id)) {
    return Status::InvalidArgument("cluster " + spec.key + ": settings.deployment_id must be 32 lower-case hex characters");
  }
  if (!IsHex32(spec.cluster_id)) {
    return Status::InvalidArgument("cluster " + spec.key + ": settings.cluster_id must be 32 lower-case hex characters");
  }
  for (const auto& d : deployments_) {
    if (d->key == spec.key) return Status::Error(StatusCode::kAlreadyExists, "cluster " + spec.key + " already added");
    if (d->id == spec.deployment_id) return Status::InvalidArgument("cluster " + spec.key + ": deployment id " + spec.deployment_id + " already used by " + d->key);
  }
  if (spec.password.empty()) spec.password = Secret(RandomString(24, kAlphanumeric));
  auto d = std::make_unique<Deployment>();
  d->key = spec.key;
  d->id = spec.deployment_id;
  d->cluster_id = spec.cluster_id;
  d->name = spec.name.empty() ? spec.key : spec.name;
  std::string alias;
  for (char c : spec.key) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    alias.push_back(std::isalnum(static_cast<unsigned char>(l)) ? l : '-');
  }
  d->alias = alias;
  d->version = spec.version;
  d->password = spec.password;
  d->endpoint = d->cluster_id + "." + options_.domain;
  d->aliased_endpoint = d->alias + "." + options_.domain;
  d->created = Now();
  d->last_modified = d->created;
  d->plan_attempt_id = NewId();
  d->plan_started = d->created;
  d->trust = DefaultTrust(options_.scope_id);

  bool ece = options_.flavor == Flavor::kEce;
  Value topology = {{"id", "hot_content"},
                    {"zone_count", 1},
                    {"instance_configuration_id", ece ? "data.default" : "aws.es.datahot.c6gd"},
                    {"node_roles", Value::array({"master", "ingest", "data_hot", "data_content",
                                                 "remote_cluster_client", "transform"})},
                    {"size", {{"value", 4096}, {"resource", "memory"}}},
                    {"elasticsearch", {{"node_attributes", {{"data", "hot"}}}}}};
  d->plan = {{"cluster_topology", Value::array({topology})},
             {"elasticsearch", {{"version", spec.version}}},
             {"deployment_template", {{"id", ece ? "default" : "aws-storage-optimized"}}}};

  pki::CertificateSpec node_spec;
  // The full node name does not fit the 64-character CN bound: the CN is the
  // instance name, the otherName carries the Elastic pattern (trust.h).
  node_spec.common_name = "instance-0000000000";
  node_spec.organization = ece ? "Elastic Cloud Enterprise" : "Elastic Cloud";
  node_spec.other_names = {NodeOtherName("instance-0000000000", d->cluster_id, options_.scope_id)};
  node_spec.dns_names = {d->endpoint, "*." + options_.domain};
  Result<pki::Identity> node = pki::IssueCertificate(node_spec, *transport_ca_);
  if (!node.ok()) return node.status().WithContext("cluster " + spec.key + ": transport certificate");
  d->transport_identity = std::make_shared<const pki::Identity>(*node);

  es::TwinOptions twin_options;
  twin_options.name = d->cluster_id;  // Cloud clusters are named after their id
  twin_options.version = spec.version;
  twin_options.license = spec.license;
  twin_options.platform = ece ? "ece" : "ech";
  twin_options.users["elastic"] = d->password;
  twin_options.public_ca_pems = {options_.public_ca.LeafPem()};
  d->twin = std::make_unique<es::Twin>(std::move(twin_options), clock_, dialer_);

  es::Twin* twin = d->twin.get();
  auto route = std::make_shared<net::TlsRoute>();
  route->name = "cloud/" + options_.key + "/" + d->key + "/rest";
  route->identity = proxy_identity_;
  Environment* self = this;
  route->http = [self, twin](const net::HttpRequest& request) {
    // The proxy routes by Host header when it names another deployment.
    Deployment* by_host = self->FindBySni(HostOf(request.Header("host")));
    return by_host != nullptr ? by_host->twin->HandleRest(request) : twin->HandleRest(request);
  };
  d->rest_route = route;
  {
    std::lock_guard<std::mutex> lock(mu_);
    d->twin->Restart(BuildNodeConfigLocked(*d));
  }
  deployments_.push_back(std::move(d));
  return Status::Ok();
}

void Environment::SetProxyHttpsPort(uint16_t port) { proxy_https_port_ = port; }

Environment::Deployment* Environment::FindDeployment(const std::string& id) const {
  for (const auto& d : deployments_) {
    if (d->id == id) return d.get();
  }
  return nullptr;
}

Environment::Deployment* Environment::FindBySni(std::string_view sni) const {
  if (sni.empty()) return nullptr;
  for (const auto& d : deployments_) {
    if (sni == d->endpoint || sni == d->aliased_endpoint) return d.get();
  }
  return nullptr;
}

es::Twin* Environment::FindTwin(const std::string& cluster_key) const {
  for (const auto& d : deployments_) {
    if (d->key == cluster_key) return d->twin.get();
  }
  return nullptr;
}

std::vector<std::string> Environment::deployment_keys() const {
  std::vector<std::string> out;
  for (const auto& d : deployments_) out.push_back(d->key);
  return out;
}

std::vector<DeploymentView> Environment::Deployments() const {
  std::vector<DeploymentView> out;
  for (const auto& d : deployments_) {
    out.push_back({d->key, d->id, d->cluster_id, d->endpoint, ServiceUrl(*d), d->password});
  }
  return out;
}

std::map<std::string, Secret> Environment::KeystoreLocked(const Deployment& d) const {
  std::map<std::string, Secret> out;
  for (const auto& [name, entry] : d.keystore) out[name] = entry.value;
  return out;
}

es::NodeConfig Environment::BuildNodeConfigLocked(const Deployment& d) const {
  es::NodeConfig config;
  config.http_identity = proxy_identity_;
  config.transport_identity = d.transport_identity;
  config.rcs_enabled = VersionAtLeast(d.version, 8, 10);
  config.rcs_identity = proxy_identity_;
  DerivedTrust trust = DeriveTrust(d.trust, d.cluster_id, options_.scope_id, relationships_);
  config.transport_ca_pems.push_back(transport_ca_->LeafPem());
  for (const std::string& pem : trust.transport_ca_pems) {
    if (pem != transport_ca_->LeafPem()) config.transport_ca_pems.push_back(pem);
  }
  config.transport_verify_hostname = false;
  config.transport_trust_restrictions = trust.transport_trust_restrictions;
  config.rcs_client_ca_pems = trust.rcs_client_ca_pems;
  config.keystore = KeystoreLocked(d);
  return config;
}

std::shared_ptr<const net::TlsRoute> Environment::RestRoute(std::string_view sni) const {
  Deployment* d = FindBySni(sni);
  return d == nullptr ? nullptr : d->rest_route;
}

std::shared_ptr<const net::TlsRoute> Environment::RemoteClusterRoute(std::string_view sni) const {
  Deployment* d = FindBySni(sni);
  if (d == nullptr) return nullptr;
  std::shared_ptr<const net::TlsRoute> rcs = d->twin->RemoteClusterRoute();
  if (rcs == nullptr) return nullptr;
  auto route = std::make_shared<net::TlsRoute>(*rcs);
  route->name = "cloud/" + options_.key + "/" + d->key + "/rcs";
  route->identity = proxy_identity_;  // TLS terminates at the proxy
  route->client_auth = net::ClientAuth::kNone;
  route->client_ca_pems.clear();
  return route;
}

std::shared_ptr<const net::TlsRoute> Environment::TransportRoute(std::string_view sni) const {
  Deployment* d = FindBySni(sni);
  if (d == nullptr) return nullptr;
  std::shared_ptr<const net::TlsRoute> transport = d->twin->TransportRoute();
  if (transport == nullptr) return nullptr;
  auto route = std::make_shared<net::TlsRoute>(*transport);
  route->name = "cloud/" + options_.key + "/" + d->key + "/transport";
  return route;
}

Value Environment::Inspect() const {
  std::lock_guard<std::mutex> lock(mu_);
  Value out = {{"platform", options_.flavor == Flavor::kEce ? "ece" : "ech"},
               {"key", options_.key},
               {options_.flavor == Flavor::kEce ? "environment_id" : "organization_id", options_.scope_id},
               {"region", options_.region},
               {"domain", options_.domain},
               {"proxy_https_port", proxy_https_port_}};
  Value deployments = Value::array();
  for (const auto& d : deployments_) {
    es::NodeConfig effective = d->twin->config();
    Value pending = Value::array();
    for (const auto& [name, entry] : d->keystore) {
      auto it = effective.keystore.find(name);
      if (it == effective.keystore.end() || it->second != entry.value) pending.push_back(name);
    }
    for (const auto& [name, value] : effective.keystore) {
      if (d->keystore.count(name) == 0) pending.push_back(name);
    }
    Value keys = Value::array();
    for (const auto& [name, entry] : d->keystore) keys.push_back(name);
    Value remotes = Value::array();
    for (const Value& r : d->remotes) remotes.push_back(r);
    deployments.push_back({{"key", d->key},
                           {"deployment_id", d->id},
                           {"cluster_id", d->cluster_id},
                           {"name", d->name},
                           {"version", d->version},
                           {"endpoint", d->endpoint},
                           {"service_url", ServiceUrl(*d)},
                           {"resource_version", d->resource_version},
                           {"keystore_keys", keys},
                           {"pending_keystore_keys", pending},
                           {"restarts", d->twin->restarts()},
                           {"trust", d->trust},
                           {"transport_trust_restrictions", effective.transport_trust_restrictions},
                           {"remote_clusters", remotes}});
  }
  out["deployments"] = deployments;
  if (options_.flavor == Flavor::kEce) {
    Value rels = Value::array();
    for (const auto& [id, r] : relationships_) rels.push_back(TrustRelationshipJson(r, false));
    out["trust_relationships"] = rels;
  }
  return out;
}

net::HttpResponse Environment::HandleControl(const net::HttpRequest& request, std::string_view rest) {
  if (request.method == "GET" && (rest.empty() || rest == "deployments")) {
    return net::HttpResponse::Json(200, Inspect());
  }
  return net::HttpResponse::Json(
      404, Value{{"error", "no control endpoint " + request.method + " " + std::string(rest)}, {"status", 404}});
}

}  // namespace crosslink::sandbox::cloud
