// The ech / ece providers: one CloudClient per environment, batched Read per
// cluster (one deployment GET) and per ECE environment (one trust
// relationship list), serialized read-modify-writes of a deployment's trust,
// and the EndpointResolver. The resource logic is cloud_resources.cc and
// trust.cc.

#include "providers/cloud/cloud_provider.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "engine/topology/secret_ref.h"
#include "providers/ca_lists.h"
#include "providers/cloud/cloud_resources.h"
#include "providers/cloud/system_trust.h"
#include "providers/cloud/trust.h"

namespace crosslink::providers::cloud {
namespace {

constexpr char kDefaultEchEndpoint[] = "https://api.elastic-cloud.com";

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

std::string Str(const Value& v, const char* key) {
  if (!v.is_object() || !v.contains(key) || !v[key].is_string()) return "";
  return v[key].get<std::string>();
}

ApplyResponse Failed(const Status& status) {
  ApplyResponse r;
  r.status = status;
  return r;
}

const Value& AttributesOf(const ReadItem& item) {
  static const Value empty = Value::object();
  if (item.desired != nullptr) return item.desired->attributes;
  if (item.prior != nullptr) return item.prior->attributes;
  return empty;
}

std::string TypeOf(const ApplyRequest& req) {
  if (req.desired != nullptr) return req.desired->type;
  if (req.prior != nullptr) return req.prior->type;
  return "";
}

std::string AddressOf(const ApplyRequest& req) {
  if (req.desired != nullptr) return req.desired->address;
  if (req.prior != nullptr) return req.prior->address;
  return "";
}

bool IsDataType(const std::string& type) {
  return type == "ec_deployment" || type == "ec_certificate_authority" || type == "ece_proxy_ca" ||
         type == "ece_installation";
}

// "https://x/api/v1/" -> "https://x".
std::string NormalizeEndpoint(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const std::string suffix = "/api/v1";
  if (endpoint.size() > suffix.size() &&
      endpoint.compare(endpoint.size() - suffix.size(), suffix.size(), suffix) == 0) {
    endpoint.resize(endpoint.size() - suffix.size());
  }
  return endpoint;
}

// A data source's live object: it exists, with the given outputs.
LiveObject DataSource(const Value& attributes, Value outputs) {
  LiveObject live;
  live.exists = true;
  live.attributes = attributes;
  live.outputs = std::move(outputs);
  return live;
}

// A Cloud API answer fetched at most once, on first use (one Read).
template <typename T>
class Lazy {
 public:
  explicit Lazy(std::function<Result<T>()> fetch) : fetch_(std::move(fetch)) {}
  const Result<T>& get() {
    if (!value_) value_ = fetch_();
    return *value_;
  }

 private:
  std::function<Result<T>()> fetch_;
  std::optional<Result<T>> value_;
};

// Reads every item with `read_one(item, attributes) -> Result<LiveObject>`;
// the first failure fails the whole Read, named by the item's address.
// Returns the addresses of the request (what is not an orphan).
template <typename ReadOne>
std::set<std::string> ReadItems(const ReadRequest& req, ReadResponse* resp, ReadOne read_one) {
  std::set<std::string> known;
  for (const ReadItem& item : req.items) {
    known.insert(item.address);
    Result<LiveObject> live = read_one(item, AttributesOf(item));
    if (!live.ok()) {
      resp->status = live.status().WithContext(item.address);
      return known;
    }
    resp->objects[item.address] = std::move(live).value();
  }
  return known;
}

// Which deployment a cluster-scoped resource acts on.
struct Where {
  std::string cluster;
  std::string environment;
  std::string deployment_id;
  std::string ref_id;
};

class CloudProviderImpl : public CloudProvider, public elasticsearch::EndpointResolver {
 public:
  explicit CloudProviderImpl(CloudProviderOptions options) : options_(std::move(options)) {}

  std::string name() const override { return FlavorName(options_.flavor); }
  elasticsearch::EndpointResolver* endpoints() override { return this; }

  Status Configure(const ConfigureRequest& req) override {
    if (req.topology == nullptr || req.clock == nullptr || req.fs == nullptr) {
      return Status::Internal(name() +
                              " provider: Configure needs a topology, a clock and a filesystem");
    }
    std::lock_guard<std::mutex> lock(mu_);
    topology_ = req.topology;
    clock_ = req.clock;
    fs_ = req.fs;
    getenv_ = req.getenv ? req.getenv : [](const char* n) -> const char* { return ::getenv(n); };
    topology_dir_ = topology::TopologyDirectory(topology_->file);
    clients_.clear();
    endpoints_.clear();
    locks_.clear();
    const topology::Platform platform =
        options_.flavor == Flavor::kEce ? topology::Platform::kEce : topology::Platform::kEch;
    for (const auto& [env_name, env] : topology_->environments) {
      if (env.platform != platform) continue;
      Result<std::unique_ptr<Env>> made = MakeEnv(env);
      if (!made.ok()) return made.status();
      clients_[env_name] = std::move(made).value();
    }
    return Status::Ok();
  }

  ReadResponse Read(const ReadRequest& req) override {
    if (req.cluster.empty()) return ReadEnvironment(req);
    return ReadCluster(req);
  }

  PlanResponse Plan(const PlanRequest& req) override { return PlanResource(req); }

  ApplyResponse Create(const ApplyRequest& req) override {
    return Apply(ChangeAction::kCreate, req);
  }
  ApplyResponse Update(const ApplyRequest& req) override {
    return Apply(ChangeAction::kUpdate, req);
  }
  ApplyResponse Delete(const ApplyRequest& req) override {
    return Apply(ChangeAction::kDelete, req);
  }

  // ---------------------------------------------------------------- endpoints

  Result<elasticsearch::Endpoint> Resolve(const topology::Cluster& cluster) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (topology_ == nullptr) return Status::Internal(name() + " provider used before Configure");
      auto it = endpoints_.find(cluster.name);
      if (it != endpoints_.end()) return it->second;
    }
    Result<elasticsearch::Endpoint> ep = ResolveUncached(cluster);
    if (ep.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      endpoints_.emplace(cluster.name, *ep);
    }
    return ep;
  }

 private:
  struct Env {
    std::unique_ptr<CloudClient> client;
    std::string organization_id;  // ECH
    std::string ca_pem;           // the environment's ca_file (ECE coordinator / proxy CA)
  };

  Result<std::unique_ptr<Env>> MakeEnv(const topology::Environment& env) {
    const std::string who = "environment " + Quote(env.name) + " (" + name() + ")";
    ApiTarget target;
    target.environment = env.name;
    target.flavor = options_.flavor;
    target.endpoint = NormalizeEndpoint(env.endpoint);
    if (target.endpoint.empty()) {
      if (options_.flavor == Flavor::kEce) {
        return Status::InvalidArgument(
            who + " has no endpoint: set environments." + env.name +
            ".endpoint to the ECE coordinator's API address (https://<coordinator>:12443)");
      }
      target.endpoint = kDefaultEchEndpoint;
    }
    topology::SecretRef key_ref = env.api_key;
    if (!key_ref.present()) {
      if (options_.flavor == Flavor::kEce) {
        return Status::InvalidArgument(who + " has no api_key: set environments." + env.name +
                                       ".api_key (e.g. ${env:ECE_API_KEY}) to an ECE API key");
      }
      key_ref.kind = topology::SecretRef::Kind::kEnv;
      key_ref.name = "EC_API_KEY";
      key_ref.location = env.location;
    }
    if (key_ref.field.empty()) key_ref.field = "environments." + env.name + ".api_key";
    Result<Secret> key = topology::ResolveSecret(key_ref, topology_dir_, *fs_, getenv_);
    if (!key.ok()) {
      const std::string console =
          options_.flavor == Flavor::kEce
              ? "an ECE API key (admin console > API keys)"
              : "an Elastic Cloud API key (console > Organization > API keys)";
      return Status::Error(
          key.status().code(),
          who + ": " + key.status().message() + "; set it to " + console +
              (env.api_key.present()
                   ? ""
                   : ", or set environments." + env.name + ".api_key (default ${env:EC_API_KEY})"));
    }
    target.api_key = *key;
    target.api_key_source = key_ref.Describe();
    auto out = std::make_unique<Env>();
    out->organization_id = env.organization_id;
    http::ClientOptions http_options;
    if (!env.ca_file.empty()) {
      const std::string path = topology::ResolveTopologyPath(topology_dir_, env.ca_file);
      Result<std::string> pem = fs_->ReadFile(path);
      if (!pem.ok()) {
        return pem.status().WithContext(who + ": reading ca_file " + path + " (environments." +
                                        env.name + ".ca_file)");
      }
      if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return Status::InvalidArgument(who + ": ca_file " + path +
                                       " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
      out->ca_pem = *pem;
      http_options.ca_pem = *pem;
      target.ca_file = env.ca_file;
    }
    std::unique_ptr<http::HttpClient> http = options_.client_factory
                                                 ? options_.client_factory(http_options)
                                                 : http::NewCurlClient(http_options, *clock_);
    out->client = std::make_unique<CloudClient>(std::move(target), std::move(http));
    return out;
  }

  Result<Env*> EnvFor(const std::string& environment, const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (topology_ == nullptr) return Status::Internal(name() + " provider used before Configure");
    auto it = clients_.find(environment);
    if (it == clients_.end()) {
      return Status::InvalidArgument(
          what + ": environment " + Quote(environment) + " is not an " +
          (options_.flavor == Flavor::kEce ? "ECE" : "ECH") +
          " environment of the topology (check its `platform` and the cluster's `environment`)");
    }
    return it->second.get();
  }

  // The deployment a cluster-scoped resource acts on: its attributes, else
  // the topology's cluster.
  Where WhereOf(const std::string& cluster, const std::string& environment,
                const Value& attributes) {
    Where w;
    w.cluster = cluster;
    w.environment = environment;
    const topology::Cluster* c = topology_ != nullptr ? topology_->FindCluster(cluster) : nullptr;
    if (c != nullptr) {
      if (w.environment.empty()) w.environment = c->environment;
      w.deployment_id = c->deployment_id;
      w.ref_id = c->ref_id;
    }
    if (!Str(attributes, "deployment_id").empty()) {
      w.deployment_id = Str(attributes, "deployment_id");
    }
    if (!Str(attributes, "ref_id").empty()) w.ref_id = Str(attributes, "ref_id");
    return w;
  }

  Where WhereOf(const ApplyRequest& req) {
    std::string cluster, environment;
    if (req.desired != nullptr) {
      cluster = req.desired->cluster;
      environment = req.desired->environment;
    } else if (req.prior != nullptr) {
      cluster = req.prior->cluster;
      environment = req.prior->environment;
    }
    const Value& attrs =
        !req.attributes.empty() || req.prior == nullptr ? req.attributes : req.prior->attributes;
    return WhereOf(cluster, environment, attrs);
  }

  // Writes to one deployment are serialized whatever ref_id they name
  // (spelled, empty or "_main"): a trust PUT carries the resource version of
  // the whole deployment.
  std::mutex& DeploymentLock(const Where& w) {
    return LockFor("deployment " + w.environment + "/" + w.deployment_id);
  }
  // The trust relationships of one ECE environment.
  std::mutex& EnvironmentLock(const std::string& environment) {
    return LockFor("environment " + environment);
  }
  std::mutex& LockFor(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = locks_[key];
    if (!slot) slot = std::make_unique<std::mutex>();
    return *slot;
  }

  // ------------------------------------------------------------------- read

  ReadResponse ReadCluster(const ReadRequest& req) {
    ReadResponse resp;
    static const Value kNone = Value::object();
    const Value& first = req.items.empty() ? kNone : AttributesOf(req.items.front());
    std::string environment = req.environment;
    for (const ReadItem& item : req.items) {
      if (!environment.empty()) break;
      if (item.desired != nullptr) environment = item.desired->environment;
      if (environment.empty() && item.prior != nullptr) environment = item.prior->environment;
    }
    const Where w = WhereOf(req.cluster, environment, first);
    Result<Env*> env = EnvFor(w.environment, "cluster " + Quote(req.cluster));
    if (!env.ok()) {
      resp.status = env.status();
      return resp;
    }
    const CloudClient& client = *(*env)->client;
    bool only_state = !req.items.empty();
    for (const ReadItem& item : req.items) only_state &= item.desired == nullptr;
    Result<Deployment> d = client.GetDeployment(req.cluster, w.deployment_id, w.ref_id);
    if (!d.ok()) {
      if (only_state && d.status().code() == StatusCode::kNotFound) {
        // Only removing: a deleted deployment holds nothing of crosslink's.
        for (const ReadItem& item : req.items) resp.objects[item.address] = LiveObject();
        return resp;
      }
      resp.status = d.status();
      return resp;
    }
    // Fetched once, and only when an item needs them.
    Lazy<std::set<std::string>> names([&] { return client.KeystoreNames(*d); });
    Lazy<Value> ca([&] { return client.CertificateAuthority(*d); });
    const std::set<std::string> known =
        ReadItems(req, &resp, [&](const ReadItem& item, const Value& attrs) -> Result<LiveObject> {
          if (item.type == "ec_deployment") {
            Result<std::string> account = AccountId(**env, *d, ca);
            if (!account.ok()) return account.status();
            return DataSource(attrs, DeploymentOutputs(*d, *account));
          }
          if (item.type == "ec_certificate_authority") {
            if (!ca.get().ok()) return ca.get().status();
            return DataSource(attrs, CertificateAuthorityOutputs(*ca.get()));
          }
          if (item.type == "ec_keystore_credential") {
            if (!names.get().ok()) return names.get().status();
            return ReadKeystoreCredential(attrs, item.prior, *names.get());
          }
          if (item.type == "ec_restart") {
            // Nothing on the platform to read: it exists once crosslink made it.
            LiveObject live;
            live.exists = item.prior != nullptr;
            live.managed_by_crosslink = live.exists;
            if (live.exists) live.attributes = item.prior->attributes;
            return live;
          }
          if (IsTrustType(item.type)) {
            return ReadTrustResource(item.type, attrs, item.prior, d->trust);
          }
          return NoSuchType(item.type);
        });
    if (!resp.status.ok()) return resp;
    Value deployment_attributes{{"deployment_id", w.deployment_id}};
    if (!w.ref_id.empty()) deployment_attributes["ref_id"] = w.ref_id;
    resp.orphans = TrustOrphans(req.cluster, deployment_attributes, d->trust, known);
    return resp;
  }

  // ec_deployment.account_id: the ECH organization when the topology names
  // it, else the scope of the deployment's recommended trust restriction.
  Result<std::string> AccountId(const Env& env, const Deployment& d, Lazy<Value>& ca) {
    if (options_.flavor == Flavor::kEch && !env.organization_id.empty()) {
      return env.organization_id;
    }
    const Result<Value>& authority = ca.get();
    if (!authority.ok()) return authority.status();
    const std::string restriction = Str(*authority, "recommended_trust_restriction");
    std::string scope = ScopeOfTrustRestriction(restriction);
    if (scope.empty()) {
      return Status::FailedPrecondition(
          d.Describe() + ": cannot tell its account id from the recommended trust restriction " +
          Quote(restriction) +
          (options_.flavor == Flavor::kEch
               ? "; set environments." + env.client->target().environment +
                     ".organization_id (Cloud console > Organization)"
               : ""));
    }
    return scope;
  }

  ReadResponse ReadEnvironment(const ReadRequest& req) {
    ReadResponse resp;
    Result<Env*> env = EnvFor(req.environment, "environment scope");
    if (!env.ok()) {
      resp.status = env.status();
      return resp;
    }
    const CloudClient& client = *(*env)->client;
    if (options_.flavor != Flavor::kEce) {
      resp.status =
          Status::InvalidArgument("the ech provider has no environment-level resources (" +
                                  (req.items.empty() ? "" : req.items[0].address) + ")");
      return resp;
    }
    Lazy<Value> relationships([&] { return client.TrustRelationships(/*local_only=*/false); });
    const std::set<std::string> known =
        ReadItems(req, &resp, [&](const ReadItem& item, const Value& attrs) -> Result<LiveObject> {
          if (item.type == "ece_proxy_ca") {
            Result<Value> chain = client.ProxyChain();
            if (!chain.ok()) return chain.status();
            Result<Value> outputs =
                ProxyCaOutputs(*chain, ChainTrustedBySystem(ChainPems(*chain)));
            if (!outputs.ok()) return outputs.status();
            return DataSource(attrs, *outputs);
          }
          if (item.type != "ece_installation" && item.type != "ece_trust_relationship") {
            return NoSuchType(item.type);
          }
          const Result<Value>& list = relationships.get();
          if (!list.ok()) return list.status();
          if (item.type == "ece_trust_relationship") {
            return ReadTrustRelationship(attrs, item.prior, *list);
          }
          Result<Value> outputs = InstallationOutputs(*list, req.environment);
          if (!outputs.ok()) return outputs.status();
          return DataSource(attrs, *outputs);
        });
    if (!resp.status.ok()) return resp;
    // Orphans need the list even when no item did: a failure then only
    // hides them (a warning), it does not fail the reads that succeeded.
    const Result<Value>& list = relationships.get();
    if (list.ok()) {
      resp.orphans = RelationshipOrphans(req.environment, *list, known);
    } else {
      resp.diagnostics.Warning(SourceLocation{}, "environments." + req.environment,
                               "could not list the trust relationships of ECE environment " +
                                   Quote(req.environment) + " to look for crosslink's leftovers",
                               list.status().message());
    }
    return resp;
  }

  // ------------------------------------------------------------------ apply

  ApplyResponse Apply(ChangeAction action, const ApplyRequest& req) {
    const std::string type = TypeOf(req);
    const std::string address = AddressOf(req);
    ApplyResponse out;
    if (IsDataType(type)) {
      if (action != ChangeAction::kDelete) out = ReadAsApply(req, type, address);
    } else if (type == "ece_trust_relationship") {
      out = ApplyRelationship(action, req);
    } else if (type == "ec_keystore_credential") {
      out = ApplyKeystore(action, req);
    } else if (type == "ec_restart") {
      out = ApplyRestart(action, req);
    } else if (IsTrustType(type)) {
      out = ApplyTrust(action, type, req);
    } else {
      out = Failed(NoSuchType(type));
    }
    if (!out.status.ok() && out.status.message().rfind(address, 0) != 0) {
      out.status = out.status.WithContext(address);
    }
    return out;
  }

  Status NoSuchType(const std::string& type) const {
    return Status::InvalidArgument("the " + name() + " provider has no resource type " +
                                   Quote(type) + ": a crosslink bug (the type's provider)");
  }

  // A data source asked to apply: what a Read reports.
  ApplyResponse ReadAsApply(const ApplyRequest& req, const std::string& type,
                            const std::string& address) {
    ReadRequest read;
    read.cluster = req.desired != nullptr ? req.desired->cluster : "";
    read.environment = req.desired != nullptr ? req.desired->environment : "";
    read.items.push_back({address, type, req.desired, req.prior});
    ReadResponse r = Read(read);
    ApplyResponse out;
    out.status = r.status;
    out.diagnostics = r.diagnostics;
    if (r.status.ok() && r.objects.count(address) > 0) out.result = r.objects[address];
    return out;
  }

  ApplyResponse ApplyKeystore(ChangeAction action, const ApplyRequest& req) {
    const Where w = WhereOf(req);
    Result<Env*> env = EnvFor(w.environment, "cluster " + Quote(w.cluster));
    if (!env.ok()) return Failed(env.status());
    const CloudClient& client = *(*env)->client;
    const Value& attrs = action == ChangeAction::kDelete && req.prior != nullptr
                             ? req.prior->attributes
                             : req.attributes;
    const std::string setting = Str(attrs, "setting");
    if (setting.empty()) {
      return Failed(Status::InvalidArgument("no keystore `setting` in the resource's attributes"));
    }
    const Secret* value = nullptr;
    if (action != ChangeAction::kDelete) {
      auto it = req.secret_inputs.find("credentials");
      if (it == req.secret_inputs.end() || it->second.empty()) {
        return Failed(Status::FailedPrecondition(
            "the cross-cluster API key's encoded value (secret input `credentials`) is not "
            "available; it is only known when the key is created: re-create the key "
            "(crosslink apply -replace=<its address>)"));
      }
      value = &it->second;
    }
    std::lock_guard<std::mutex> lock(DeploymentLock(w));
    Result<Deployment> d = client.GetDeployment(w.cluster, w.deployment_id, w.ref_id);
    if (!d.ok()) {
      if (action == ChangeAction::kDelete && d.status().code() == StatusCode::kNotFound) {
        spdlog::info("{}: deployment {} is gone; nothing to remove", AddressOf(req),
                     w.deployment_id);
        return ApplyResponse();
      }
      return Failed(d.status());
    }
    Status s = client.SetKeystoreEntry(*d, setting, value);
    if (!s.ok()) return Failed(s);
    // A renamed setting: the entry crosslink wrote before goes.
    const std::string old_setting =
        req.prior != nullptr ? Str(req.prior->attributes, "setting") : "";
    if (action == ChangeAction::kUpdate && !old_setting.empty() && old_setting != setting) {
      s = client.SetKeystoreEntry(*d, old_setting, nullptr);
      if (!s.ok()) return Failed(s.WithContext("removing the previous entry " + old_setting));
    }
    ApplyResponse out;
    if (action != ChangeAction::kDelete) {
      out.result.exists = true;
      out.result.managed_by_crosslink = true;
      out.result.attributes = attrs;
      out.result.outputs = Value{
          {"key_id", attrs.is_object() && attrs.contains("key_id") ? attrs["key_id"] : Value()}};
    }
    return out;
  }

  ApplyResponse ApplyRestart(ChangeAction action, const ApplyRequest& req) {
    ApplyResponse out;
    if (action == ChangeAction::kDelete) return out;  // nothing to undo
    const Where w = WhereOf(req);
    const Value& attrs = req.attributes;
    out.result.exists = true;
    out.result.managed_by_crosslink = true;
    out.result.attributes = attrs;
    std::string version = Str(attrs, "version");
    const std::string bound = RestartBound(attrs);
    const Value* prior = req.prior != nullptr ? &req.prior->attributes : nullptr;
    const bool known = VersionBelow(version, bound).has_value();
    if (known && !RestartNeeded(action, attrs, prior, version)) {
      out.result.outputs = Value{{"restarted", false}};
      return out;
    }
    Result<Env*> env = EnvFor(w.environment, "cluster " + Quote(w.cluster));
    if (!env.ok()) return Failed(env.status());
    const CloudClient& client = *(*env)->client;
    std::lock_guard<std::mutex> lock(DeploymentLock(w));
    Result<Deployment> d = client.GetDeployment(w.cluster, w.deployment_id, w.ref_id);
    if (!d.ok()) return Failed(d.status());
    if (!known) version = d->version;  // the attribute is not a version: the live one decides
    if (!RestartNeeded(action, attrs, prior, version)) {
      out.result.outputs = Value{{"restarted", false}};
      return out;
    }
    if (req.progress) {
      req.progress("restarting " + d->Describe() + " (Elasticsearch " + version +
                   " loads keystore changes only on a restart)");
    }
    spdlog::info("restarting {} (Elasticsearch {} < {})", d->Describe(), version, bound);
    Status s = client.Restart(*d);
    if (!s.ok()) return Failed(s);
    Result<Deployment> done = WaitForPlan(client, w.cluster, *d, *clock_, options_.plan_timeout,
                                          options_.poll_interval, req.progress);
    if (!done.ok()) return Failed(done.status());
    out.result.outputs = Value{{"restarted", true}};
    return out;
  }

  // One read-modify-write of the deployment's trust, serialized per
  // deployment; a lost optimistic-concurrency race re-reads and re-applies.
  ApplyResponse ApplyTrust(ChangeAction action, const std::string& type, const ApplyRequest& req) {
    const Where w = WhereOf(req);
    Result<Env*> env = EnvFor(w.environment, "cluster " + Quote(w.cluster));
    if (!env.ok()) return Failed(env.status());
    const CloudClient& client = *(*env)->client;
    const ChangeAction edit = action == ChangeAction::kReplace ? ChangeAction::kUpdate : action;
    const Value& attrs =
        edit == ChangeAction::kDelete && req.prior != nullptr && req.attributes.empty()
            ? req.prior->attributes
            : req.attributes;
    std::lock_guard<std::mutex> lock(DeploymentLock(w));
    Status last = Status::Ok();
    const int attempts = std::max(options_.conflict_retries, 0) + 1;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      Result<Deployment> d = client.GetDeployment(w.cluster, w.deployment_id, w.ref_id);
      if (!d.ok()) {
        if (edit == ChangeAction::kDelete && d.status().code() == StatusCode::kNotFound) {
          return ApplyResponse();  // the deployment and its trust are gone
        }
        return Failed(d.status());
      }
      if (d->plan_pending) {
        d = WaitForPlan(client, w.cluster, *d, *clock_, options_.plan_timeout,
                        options_.poll_interval, req.progress);
        if (!d.ok()) return Failed(d.status());
      }
      Result<TrustChange> change = ApplyTrustChange(edit, type, attrs, req.prior, d->trust);
      if (!change.ok()) return Failed(change.status().WithContext(d->Describe()));
      ApplyResponse out;
      if (edit != ChangeAction::kDelete) {
        out.result.exists = true;
        out.result.managed_by_crosslink = true;
        out.result.attributes = change->attributes;
        out.result.outputs = change->outputs.is_object() ? change->outputs : Value::object();
      }
      if (!change->changed) return out;
      last = client.PutTrust(*d, change->trust);
      if (last.code() == StatusCode::kConflict) {
        spdlog::info("{}: the deployment changed since it was read; re-reading (attempt {})",
                     d->Describe(), attempt + 1);
        continue;
      }
      if (!last.ok()) return Failed(last);
      Result<Deployment> done = WaitForPlan(client, w.cluster, *d, *clock_, options_.plan_timeout,
                                            options_.poll_interval, req.progress);
      if (!done.ok()) return Failed(done.status());
      return out;
    }
    return Failed(Status::Conflict(
        "the trust settings of deployment " + w.deployment_id + " (cluster " + Quote(w.cluster) +
        ") kept changing while crosslink updated them (" +
        std::to_string(attempts) +
        " attempts); another tool is editing them: run crosslink again once it is done (" +
        last.message() + ")"));
  }

  ApplyResponse ApplyRelationship(ChangeAction action, const ApplyRequest& req) {
    const std::string environment = req.desired != nullptr ? req.desired->environment
                                    : req.prior != nullptr ? req.prior->environment
                                                           : "";
    Result<Env*> env = EnvFor(environment, AddressOf(req));
    if (!env.ok()) return Failed(env.status());
    const CloudClient& client = *(*env)->client;
    const Value& attrs =
        action == ChangeAction::kDelete && req.prior != nullptr && req.attributes.empty()
            ? req.prior->attributes
            : req.attributes;
    const std::string rel_name = Str(attrs, "name");
    std::lock_guard<std::mutex> lock(EnvironmentLock(environment));
    Result<Value> list = client.TrustRelationships(/*local_only=*/false);
    if (!list.ok()) return Failed(list.status());
    const Value* existing = FindRelationship(*list, rel_name);
    std::string id = existing != nullptr ? Str(*existing, "id") : "";
    if (action == ChangeAction::kDelete) {
      if (id.empty()) return ApplyResponse();
      Status s = client.DeleteTrustRelationship(id);
      if (!s.ok() && s.code() != StatusCode::kNotFound) return Failed(s);
      return ApplyResponse();
    }
    Result<Value> body = TrustRelationshipBody(attrs);
    if (!body.ok()) return Failed(body.status());
    if (id.empty()) {
      Result<Value> created = client.CreateTrustRelationship(*body);
      if (!created.ok()) return Failed(created.status());
      id = Str(*created, "id");
    } else {
      Status s = client.UpdateTrustRelationship(id, *body);
      if (!s.ok()) return Failed(s);
    }
    Result<Value> after = client.TrustRelationships(/*local_only=*/false);
    ApplyResponse out;
    if (after.ok()) {
      out.result = ReadTrustRelationship(attrs, req.prior, *after);
    }
    if (!out.result.exists) {
      out.result.exists = true;
      out.result.attributes = attrs;
    }
    out.result.managed_by_crosslink = true;
    out.result.outputs = Value{{"id", id}};
    return out;
  }

  // --------------------------------------------------------------- resolver

  Result<elasticsearch::Endpoint> ResolveUncached(const topology::Cluster& cluster) {
    const std::string who = "cluster " + Quote(cluster.name);
    Result<Env*> env = EnvFor(cluster.environment, who);
    if (!env.ok()) return env.status();
    const CloudClient& client = *(*env)->client;
    topology::Cluster copy = cluster;
    if (copy.url.empty()) {
      Result<Deployment> d =
          client.GetDeployment(cluster.name, cluster.deployment_id, cluster.ref_id);
      if (!d.ok()) return d.status();
      if (d->service_url.empty()) {
        return Status::FailedPrecondition(
            who + ": " + d->Describe() +
            " reports no service_url (metadata.service_url); set clusters." + cluster.name +
            ".url to its Elasticsearch endpoint (console > Manage > Copy endpoint)");
      }
      copy.url = d->service_url;
    }
    Result<elasticsearch::Endpoint> ep =
        elasticsearch::EndpointFromTopology(copy, topology_->file, *fs_, getenv_);
    if (!ep.ok()) return ep.status();
    if (options_.flavor == Flavor::kEce) {
      // The REST proxy presents the installation's certificate.
      std::string extra = (*env)->ca_pem;
      Result<Value> chain = client.ProxyChain();
      if (!chain.ok()) {
        return chain.status().WithContext(who + ": reading the ECE proxy certificate chain");
      }
      std::vector<std::string> pems = ChainPems(*chain);
      if (!pems.empty()) extra += NormalizePem(pems.back());
      if (!extra.empty()) {
        std::string& ca = ep->options.ca_pem;
        if (!ca.empty() && ca.back() != '\n') ca += "\n";
        ca += extra;
        ep->description += " + the ECE installation's CAs";
      }
    }
    return ep;
  }

  CloudProviderOptions options_;
  const topology::Topology* topology_ = nullptr;
  Clock* clock_ = nullptr;
  FileSystem* fs_ = nullptr;
  std::function<const char*(const char*)> getenv_;
  std::string topology_dir_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Env>> clients_;
  std::map<std::string, elasticsearch::Endpoint> endpoints_;
  // Write locks per deployment / ECE environment (never erased: a run
  // touches a bounded set).
  std::map<std::string, std::unique_ptr<std::mutex>> locks_;
};

}  // namespace

std::unique_ptr<CloudProvider> NewCloudProvider(CloudProviderOptions options) {
  return std::make_unique<CloudProviderImpl>(std::move(options));
}

}  // namespace crosslink::providers::cloud
