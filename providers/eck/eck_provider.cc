// The ECK provider: Kubernetes clients per environment, batched Read per
// cluster, restart groups (objects, one Elasticsearch update, one wait for
// Ready) and the EndpointResolver. The resource logic is eck_resources.cc.

#include "providers/eck/eck_provider.h"

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <set>

#include "engine/topology/secret_ref.h"
#include "providers/eck/eck_resources.h"

namespace crosslink::providers::eck {
namespace {

std::string Seconds(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

std::string Str(const Value& v) { return v.is_string() ? v.get<std::string>() : ""; }

const Value& Field(const Value& v, const char* a, const char* b = nullptr) {
  static const Value null;
  if (!v.is_object() || !v.contains(a)) return null;
  const Value& x = v[a];
  if (b == nullptr) return x;
  if (!x.is_object() || !x.contains(b)) return null;
  return x[b];
}

ApplyResponse Failed(const Status& status) {
  ApplyResponse r;
  r.status = status;
  return r;
}

Kind KindOf(const std::string& kind) {
  if (kind == "Secret") return Kind::Secret();
  if (kind == "ConfigMap") return Kind::ConfigMap();
  return Kind::Service();
}

class EckProviderImpl : public EckProvider, public elasticsearch::EndpointResolver {
 public:
  explicit EckProviderImpl(EckProviderOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "eck"; }
  elasticsearch::EndpointResolver* endpoints() override { return this; }

  Status Configure(const ConfigureRequest& req) override {
    if (req.topology == nullptr || req.clock == nullptr || req.fs == nullptr) {
      return Status::Internal("eck provider: Configure needs a topology, a clock and a filesystem");
    }
    topology_ = req.topology;
    clock_ = req.clock;
    fs_ = req.fs;
    getenv_ = req.getenv ? req.getenv : [](const char* n) -> const char* { return ::getenv(n); };
    topology_dir_ = topology::TopologyDirectory(topology_->file);
    return Status::Ok();
  }

  ReadResponse Read(const ReadRequest& req) override {
    ReadResponse resp;
    const Value* first = nullptr;
    for (const ReadItem& item : req.items) {
      first = item.desired ? &item.desired->attributes
              : item.prior ? &item.prior->attributes
                           : first;
      if (first != nullptr) break;
    }
    Result<Target> target = TargetFor(req.cluster, req.environment, first ? *first : Value());
    if (!target.ok()) {
      resp.status = target.status();
      return resp;
    }
    Result<KubeClient*> client = Client(target->environment);
    if (!client.ok()) {
      resp.status = client.status();
      return resp;
    }
    bool only_state = !req.items.empty();
    for (const ReadItem& item : req.items) only_state &= item.desired == nullptr;
    Result<Snapshot> snap = Fetch(**client, *target, only_state);
    if (!snap.ok()) {
      resp.status = snap.status();
      return resp;
    }
    std::vector<std::string> known;
    for (const ReadItem& item : req.items) {
      known.push_back(item.address);
      const Value& attrs = item.desired ? item.desired->attributes
                           : item.prior ? item.prior->attributes
                                        : Value::object();
      if (item.type == "eck_transport_ca") EnsureSecretLoaded(**client, *target, attrs, &*snap);
      LiveObject live =
          ReadResource(item.type, item.address, attrs, *target, *snap, &resp.diagnostics);
      if (item.prior != nullptr) EchoEquivalentCaLists(item.prior->attributes, &live);
      resp.objects[item.address] = std::move(live);
    }
    resp.orphans = FindOrphans(*target, *snap, known, &resp.diagnostics);
    return resp;
  }

  PlanResponse Plan(const PlanRequest& req) override { return PlanResource(req); }

  ApplyResponse Create(const ApplyRequest& req) override { return One(ChangeAction::kCreate, req); }
  ApplyResponse Update(const ApplyRequest& req) override { return One(ChangeAction::kUpdate, req); }
  ApplyResponse Delete(const ApplyRequest& req) override { return One(ChangeAction::kDelete, req); }

  std::vector<ApplyResponse> ApplyGroup(const std::vector<GroupChange>& changes) override {
    std::vector<ApplyResponse> out(changes.size());
    // Normally one cluster; grouped anyway.
    std::map<std::string, std::vector<size_t>> by_cluster;
    std::map<std::string, Target> targets;
    for (size_t i = 0; i < changes.size(); ++i) {
      const ApplyRequest& r = changes[i].request;
      std::string cluster = r.desired ? r.desired->cluster : r.prior ? r.prior->cluster : "";
      std::string env = r.desired ? r.desired->environment : r.prior ? r.prior->environment : "";
      Result<Target> t = TargetFor(cluster, env, r.attributes);
      if (!t.ok()) {
        out[i] = Failed(t.status().WithContext(changes[i].address));
        continue;
      }
      const std::string key = t->environment + "/" + t->ns + "/" + t->name;
      targets[key] = *t;
      by_cluster[key].push_back(i);
    }
    for (const auto& [key, indexes] : by_cluster)
      ApplyCluster(targets[key], changes, indexes, &out);
    return out;
  }

  // ---------------------------------------------------------------- endpoints

  // Cached per cluster for the run (the ES provider asks once per call).
  Result<elasticsearch::Endpoint> Resolve(const topology::Cluster& cluster) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
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
  Result<elasticsearch::Endpoint> ResolveUncached(const topology::Cluster& cluster) {
    if (topology_ == nullptr) return Status::Internal("eck provider used before Configure");
    Result<Target> target = TargetFor(cluster.name, cluster.environment, Value());
    if (!target.ok()) return target.status();
    Result<KubeClient*> client = Client(target->environment);
    if (!client.ok()) return client.status();
    KubeClient& kube = **client;
    const std::string es = target->name, ns = target->ns;
    elasticsearch::Endpoint ep;
    std::string credentials_from, ca_from;
    const std::string prefix = "cluster \"" + cluster.name + "\" (ECK " + ns + "/" + es + ")";

    // Credentials: the topology's, else the operator's elastic user.
    if (!cluster.credentials.username.empty()) {
      Result<Secret> pw =
          topology::ResolveSecret(cluster.credentials.password, topology_dir_, *fs_, getenv_);
      if (!pw.ok()) return pw.status().WithContext(prefix);
      ep.username = cluster.credentials.username;
      ep.password = *pw;
      credentials_from = "user " + ep.username + " from the topology";
    } else if (cluster.credentials.api_key.present()) {
      Result<Secret> key =
          topology::ResolveSecret(cluster.credentials.api_key, topology_dir_, *fs_, getenv_);
      if (!key.ok()) return key.status().WithContext(prefix);
      ep.api_key = *key;
      credentials_from = "API key from the topology";
    } else {
      const std::string name = es + "-es-elastic-user";
      Result<Value> secret = kube.Get(Kind::Secret(), ns, name);
      if (!secret.ok()) {
        return secret.status().WithContext(
            prefix + ": reading the elastic user's password (Secret " + ns + "/" + name +
            "); set `credentials` of the cluster in the topology if the operator's user is "
            "disabled");
      }
      std::optional<std::string> pw = SecretValue(*secret, "elastic");
      if (!pw || pw->empty()) {
        return Status::FailedPrecondition(
            prefix + ": Secret " + ns + "/" + name +
            " has no key \"elastic\"; set `credentials` in the topology");
      }
      ep.username = "elastic";
      ep.password = Secret(*pw);
      credentials_from = "user elastic from Secret " + name;
    }

    // CA: the topology's ca_file, else the operator's HTTP CA.
    if (!cluster.ca_file.empty()) {
      const std::string path = topology::ResolveTopologyPath(topology_dir_, cluster.ca_file);
      Result<std::string> pem = fs_->ReadFile(path);
      if (!pem.ok())
        return pem.status().WithContext(prefix + ": reading ca_file " + cluster.ca_file);
      ep.options.ca_pem = *pem;
      ep.options.trust_system_cas = false;
      ca_from = "CA from " + cluster.ca_file;
    } else {
      const std::string name = es + "-es-http-certs-public";
      Result<Value> secret = kube.Get(Kind::Secret(), ns, name);
      std::optional<std::string> ca;
      if (secret.ok()) ca = SecretValue(*secret, "ca.crt");
      if (!secret.ok() && secret.status().code() != StatusCode::kNotFound) {
        return secret.status().WithContext(prefix + ": reading the HTTP CA (Secret " + ns + "/" +
                                           name + ")");
      }
      if (ca && !ca->empty()) {
        ep.options.ca_pem = *ca;
        ep.options.trust_system_cas = false;
        ca_from = "CA from Secret " + name;
      } else {
        ca_from = "system CAs";
      }
    }

    // URL: the HTTP Service.
    const std::string svc_name = es + "-es-http";
    Result<Value> svc = kube.Get(Kind::Service(), ns, svc_name);
    if (!svc.ok()) {
      return svc.status().WithContext(
          prefix + ": reading Service " + ns + "/" + svc_name +
          "; is the Elasticsearch resource reconciled by the operator?");
    }
    int port = 9200;
    const Value& ports = Field(*svc, "spec", "ports");
    if (ports.is_array() && !ports.empty() && Field(ports[0], "port").is_number_integer()) {
      port = Field(ports[0], "port").get<int>();
    }
    const std::string svc_host = svc_name + "." + ns + ".svc";
    const Value& ingress = Field(Field(*svc, "status"), "loadBalancer", "ingress");
    std::string ip, hostname;
    if (ingress.is_array() && !ingress.empty()) {
      ip = Str(Field(ingress[0], "ip"));
      hostname = Str(Field(ingress[0], "hostname"));
    }
    std::string how;
    if (!ip.empty()) {
      // Dial the LoadBalancer IP but verify the certificate against the
      // Service name, which ECK's HTTP certificate carries.
      ep.url = "https://" + svc_host + ":" + std::to_string(port);
      ep.options.resolve.push_back(svc_host + ":" + std::to_string(port) + ":" + ip);
      how = "LoadBalancer " + ip;
    } else if (!hostname.empty()) {
      ep.url = "https://" + hostname + ":" + std::to_string(port);
      how = "LoadBalancer " + hostname;
    } else {
      ep.url = "https://" + svc_host + ":" + std::to_string(port);
      how = "in-cluster address: works only where Kubernetes service names resolve; expose " +
            svc_name + " (spec.http.service type LoadBalancer) or set `url` in the topology";
    }
    ep.description =
        prefix + ", " + ep.url + " (" + how + "), " + credentials_from + ", " + ca_from;
    return ep;
  }

  struct EnvClient {
    Status status;
    KubeConfig config;
    std::unique_ptr<KubeClient> client;
  };

  Result<Target> TargetFor(const std::string& cluster, const std::string& env_hint,
                           const Value& attributes) {
    if (topology_ == nullptr) return Status::Internal("eck provider used before Configure");
    Target t;
    t.cluster = cluster;
    t.environment = env_hint;
    const topology::Cluster* c = topology_->FindCluster(cluster);
    if (c != nullptr) {
      if (t.environment.empty()) t.environment = c->environment;
      t.ns = c->namespace_.empty() ? "default" : c->namespace_;
      t.name = c->es_name.empty() ? c->name : c->es_name;
    }
    if (!Str(Field(attributes, "namespace")).empty()) t.ns = Str(Field(attributes, "namespace"));
    if (!Str(Field(attributes, "name")).empty()) t.name = Str(Field(attributes, "name"));
    if (t.name.empty()) {
      return Status::InvalidArgument(
          "cluster \"" + cluster + "\" is not an ECK cluster of the topology (no namespace/name)");
    }
    const topology::Environment* env = topology_->FindEnvironment(t.environment);
    if (env == nullptr) {
      return Status::InvalidArgument("cluster \"" + cluster + "\": environment \"" + t.environment +
                                     "\" is not in the topology");
    }
    t.operator_version = env->version;
    return t;
  }

  Result<KubeClient*> Client(const std::string& env_name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = clients_[env_name];
    if (!slot) {
      slot = std::make_unique<EnvClient>();
      const topology::Environment* env = topology_->FindEnvironment(env_name);
      if (env == nullptr) {
        slot->status =
            Status::InvalidArgument("environment \"" + env_name + "\" is not in the topology");
      } else {
        const std::string path =
            env->kubeconfig.empty() ? ""
                                    : topology::ResolveTopologyPath(topology_dir_, env->kubeconfig);
        Result<KubeConfig> config = LoadKubeConfig(path, env->context, *fs_, getenv_);
        if (!config.ok()) {
          slot->status = config.status().WithContext(
              "environment \"" + env_name + "\" (kubeconfig " +
              (env->kubeconfig.empty() ? "$KUBECONFIG or ~/.kube/config" : env->kubeconfig) +
              ", context " + (env->context.empty() ? "current-context" : env->context) + ")");
        } else {
          slot->config = *config;
          slot->client = options_.kube_factory ? options_.kube_factory(*config, *clock_)
                                               : NewKubeClient(*config, *clock_);
        }
      }
    }
    if (!slot->status.ok()) return slot->status;
    return slot->client.get();
  }

  std::string Where(const Target& t) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(t.environment);
    std::string where = "environment \"" + t.environment + "\"";
    if (it != clients_.end() && it->second->client) {
      where += " (" + it->second->client->Describe() + ")";
    }
    return where;
  }

  // `allow_missing`: only removing things, so a deleted Elasticsearch
  // resource is not an error (its crosslink objects are still listed: they
  // carry no ownerReferences); `*missing` says so.
  Result<Snapshot> Fetch(KubeClient& kube, const Target& t, bool allow_missing = false,
                         bool* missing = nullptr) {
    Snapshot snap;
    Result<Value> es = kube.Get(Kind::Elasticsearch(), t.ns, t.name);
    if (missing != nullptr) *missing = false;
    if (!es.ok() && allow_missing && es.status().code() == StatusCode::kNotFound) {
      if (missing != nullptr) *missing = true;
      es = Value{{"metadata", {{"name", t.name}, {"namespace", t.ns}}}};
    }
    if (!es.ok()) {
      if (es.status().code() == StatusCode::kNotFound) {
        return Status::NotFound("Elasticsearch " + t.ns + "/" + t.name + " of cluster \"" +
                                t.cluster + "\" not found in " + Where(t) +
                                ": check `namespace`/`name` of the cluster in the topology "
                                "(and the kubeconfig context)");
      }
      return es.status().WithContext("cluster \"" + t.cluster + "\" in " + Where(t));
    }
    snap.es = *es;
    const std::string mine = std::string(kManagedByLabel) + "=" + kManagedByValue + "," +
                             kClusterNameLabel + "=" + t.name;
    const std::string all = std::string(kClusterNameLabel) + "=" + t.name;
    struct L {
      Kind kind;
      std::string selector;
      std::vector<Value>* out;
    };
    for (const L& l :
         {L{Kind::Secret(), all, &snap.secrets}, L{Kind::ConfigMap(), mine, &snap.config_maps},
          L{Kind::Service(), all, &snap.services}}) {
      Result<Value> items = kube.List(l.kind, t.ns, l.selector);
      if (!items.ok()) return items.status().WithContext("cluster \"" + t.cluster + "\"");
      for (const Value& item : items->is_array() ? *items : Value::array()) {
        Value v = item;
        v["kind"] = l.kind.name;  // list items come without kind
        l.out->push_back(std::move(v));
      }
    }
    return snap;
  }

  // The transport CA Secret may carry no cluster-name label (another name).
  void EnsureSecretLoaded(KubeClient& kube, const Target& t, const Value& attrs, Snapshot* snap) {
    std::string name = Str(Field(attrs, "secret"));
    if (name.empty() || snap->Find("Secret", name) != nullptr) return;
    Result<Value> s = kube.Get(Kind::Secret(), t.ns, name);
    if (!s.ok()) return;
    Value v = *s;
    v["kind"] = "Secret";
    snap->secrets.push_back(std::move(v));
  }

  ApplyResponse One(ChangeAction action, const ApplyRequest& req) {
    GroupChange change;
    change.action = action;
    change.address = req.desired ? req.desired->address : req.prior ? req.prior->address : "";
    change.request = req;
    return ApplyGroup({change})[0];
  }

  static std::string TypeOf(const GroupChange& c) {
    const ApplyRequest& r = c.request;
    if (r.desired) return r.desired->type;
    if (r.prior && !r.prior->type.empty()) return r.prior->type;
    return c.address.substr(0, c.address.find('.'));
  }

  // Writes a whole Secret / ConfigMap / Service (creating or replacing).
  Status Upsert(KubeClient& kube, const Target& t, Value object, Snapshot* view) {
    const std::string kind = Str(object["kind"]);
    const std::string name = ObjectName(object);
    const Kind k = KindOf(kind);
    Result<Value> current = kube.Get(k, t.ns, name);
    Result<Value> written = Status::Internal("unset");
    if (current.ok()) {
      if (!IsCrosslinks(*current)) {
        return Status::FailedPrecondition(
            kind + " " + t.ns + "/" + name +
            " exists but is not crosslink's; crosslink never overwrites it: rename or delete it");
      }
      const std::string owner = Str(Field(Field(*current, "metadata", "annotations"), kAnnAddress));
      const std::string mine = Str(Field(Field(object, "metadata", "annotations"), kAnnAddress));
      if (!owner.empty() && owner != mine) {
        return Status::FailedPrecondition(
            kind + " " + t.ns + "/" + name + " in " + Where(t) + " belongs to crosslink's " +
            owner + "; give " + mine + " another name in the topology");
      }
      object["metadata"]["resourceVersion"] = Field(*current, "metadata", "resourceVersion");
      if (kind == "Service") {
        // Keep what the API server allocated.
        const Value& spec = Field(*current, "spec");
        for (const char* f : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"}) {
          if (spec.contains(f)) object["spec"][f] = spec[f];
        }
        const Value& ports = Field(*current, "spec", "ports");
        if (ports.is_array() && ports.size() == object["spec"]["ports"].size()) {
          for (size_t i = 0; i < ports.size(); ++i) {
            if (ports[i].contains("nodePort"))
              object["spec"]["ports"][i]["nodePort"] = ports[i]["nodePort"];
          }
        }
      }
      written = kube.Replace(k, t.ns, name, object);
    } else if (current.status().code() == StatusCode::kNotFound) {
      written = kube.Create(k, t.ns, object);
    } else {
      return current.status();
    }
    if (!written.ok()) return written.status();
    Value stored = *written;
    stored["kind"] = kind;
    std::vector<Value>& list = kind == "Secret"      ? view->secrets
                               : kind == "ConfigMap" ? view->config_maps
                                                     : view->services;
    for (Value& v : list) {
      if (ObjectName(v) == name) {
        v = stored;
        return Status::Ok();
      }
    }
    list.push_back(stored);
    return Status::Ok();
  }

  using Progress = std::function<void(const std::string& message)>;

  Status WaitReady(KubeClient& kube, const Target& t, int64_t generation,
                   const Progress& progress) {
    const auto start = clock_->Now();
    const auto deadline = start + options_.ready_timeout;
    while (true) {
      Result<Value> es = kube.Get(Kind::Elasticsearch(), t.ns, t.name);
      std::string phase = "unknown";
      int64_t observed = -1;
      if (es.ok()) {
        const Value& status = Field(*es, "status");
        phase = Str(Field(status, "phase"));
        if (phase.empty()) phase = "unknown";
        const Value& og = Field(status, "observedGeneration");
        observed = og.is_number_integer() ? og.get<int64_t>() : -1;
        if (phase == "Ready" && observed >= generation) return Status::Ok();
      } else if (!es.status().retryable()) {
        return es.status().WithContext("waiting for " + t.Describe() + " to be Ready");
      }
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now() - start);
      if (clock_->Now() >= deadline) {
        return Status::DeadlineExceeded(
            t.Describe() + " is not Ready " + Seconds(elapsed) + " after the change (phase " +
            phase + ", observedGeneration " + std::to_string(observed) +
            ", waiting for generation " + std::to_string(generation) +
            "); check the operator: kubectl describe elasticsearch -n " + t.ns + " " + t.name);
      }
      spdlog::info("waiting for {}/{} to be Ready (phase {}, {})", t.ns, t.name, phase,
                   Seconds(elapsed));
      progress("waiting for " + t.ns + "/" + t.name + " to be Ready (phase " + phase +
               (phase == "Ready" ? ", the operator has not seen the change yet)" : ")"));
      clock_->Sleep(options_.poll_interval);
    }
  }

  // Same-operator API keys: the operator creates the key and writes it to
  // the aggregate secure settings; only then does the rollout start.
  Status WaitKeystore(KubeClient& kube, const Target& t, const std::string& setting, bool present,
                      const Progress& progress) {
    const auto start = clock_->Now();
    const std::string name = t.name + "-es-secure-settings";
    while (true) {
      Result<Value> s = kube.Get(Kind::Secret(), t.ns, name);
      bool has = s.ok() && Field(*s, "data").is_object() && Field(*s, "data").contains(setting);
      if (has == present) return Status::Ok();
      if (clock_->Now() >= start + options_.ready_timeout) {
        return Status::DeadlineExceeded(
            "the ECK operator did not " + std::string(present ? "add " : "remove ") + setting +
            (present ? " to " : " from ") + "Secret " + t.ns + "/" + name + " within " +
            Seconds(options_.ready_timeout) +
            "; check the operator's events (license: same-operator "
            "remote clusters need an enterprise license) with kubectl describe elasticsearch -n " +
            t.ns + " " + t.name);
      }
      spdlog::info("waiting for the operator to {} {} in {}/{}", present ? "store" : "remove",
                   setting, t.ns, name);
      progress("waiting for the ECK operator to " + std::string(present ? "store " : "remove ") +
               setting + (present ? " in" : " from") + " Secret " + t.ns + "/" + name);
      clock_->Sleep(options_.poll_interval);
    }
  }

  Result<std::string> WaitService(KubeClient& kube, const Target& t, const std::string& name,
                                  const Progress& progress) {
    const auto start = clock_->Now();
    while (true) {
      Result<Value> svc = kube.Get(Kind::Service(), t.ns, name);
      if (svc.ok()) {
        const Value& ingress = Field(Field(*svc, "status"), "loadBalancer", "ingress");
        if (ingress.is_array() && !ingress.empty()) {
          std::string host = Str(Field(ingress[0], "ip"));
          if (host.empty()) host = Str(Field(ingress[0], "hostname"));
          if (!host.empty()) return host;
        }
      } else if (svc.status().code() != StatusCode::kNotFound && !svc.status().retryable()) {
        return svc.status();
      }
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now() - start);
      if (elapsed >= options_.ready_timeout) {
        return Status::DeadlineExceeded("Service " + t.ns + "/" + name +
                                        " has no LoadBalancer address after " + Seconds(elapsed) +
                                        "; check that the Kubernetes cluster provisions "
                                        "LoadBalancers (kubectl describe service -n " +
                                        t.ns + " " + name + ")");
      }
      spdlog::info("waiting for a LoadBalancer address of Service {}/{} ({})", t.ns, name,
                   Seconds(elapsed));
      progress("waiting for a LoadBalancer address of Service " + t.ns + "/" + name);
      clock_->Sleep(options_.poll_interval);
    }
  }

  // One change of a restart group, once its edit is built.
  struct Member {
    size_t index;
    ChangeAction action;
    std::string type;
    Edit edit;
    bool ok = true;
    bool changed = false;  // its own edit changed the Elasticsearch resource
    Progress progress;     // its change's ApplyRequest::progress (may be empty)
  };
  using Fail = std::function<void(size_t index, const Status& status)>;

  void ApplyCluster(const Target& t, const std::vector<GroupChange>& changes,
                    const std::vector<size_t>& indexes, std::vector<ApplyResponse>* out) {
    auto fail_all = [&](const Status& s) {
      for (size_t i : indexes) {
        if ((*out)[i].status.ok() && !(*out)[i].diagnostics.has_errors()) (*out)[i] = Failed(s);
      }
    };
    Result<KubeClient*> client = Client(t.environment);
    if (!client.ok()) return fail_all(client.status());
    KubeClient& kube = **client;
    // Every failure names the change, the Elasticsearch resource and where it is.
    const std::string where = t.Describe() + " in " + Where(t);
    Fail fail = [&](size_t i, const Status& s) {
      const std::string& address = changes[i].address;
      const bool named = s.message().rfind(address, 0) == 0;
      (*out)[i] = Failed(s.WithContext(named ? where : address + " (" + where + ")"));
    };
    bool only_deletes = true;
    for (size_t i : indexes) only_deletes &= changes[i].action == ChangeAction::kDelete;
    bool es_missing = false;
    Result<Snapshot> snap = Fetch(kube, t, only_deletes, &es_missing);
    if (!snap.ok()) return fail_all(snap.status());
    std::vector<Member> members = BuildMembers(kube, t, changes, indexes, &*snap, out, fail);
    if (members.empty()) return;

    // 1. Secrets, ConfigMaps, Services.
    Snapshot view = *snap;
    for (Member& m : members) {
      for (const Value& obj : m.edit.upserts) {
        Status s = Upsert(kube, t, obj, &view);
        if (!s.ok()) {
          fail(m.index, s);
          m.ok = false;
          break;
        }
      }
    }
    // 2. One update of the Elasticsearch resource; 3. the rollout, once.
    bool es_changed = false;
    Result<int64_t> generation = Result<int64_t>(0);
    if (!es_missing) generation = UpdateResource(kube, t, view, &members, &es_changed, fail);
    if (!generation.ok()) return;
    WaitRollout(kube, t, *generation, es_changed, &members, fail);

    // 4. What the pods no longer use.
    for (Member& m : members) {
      if (!m.ok) continue;
      for (const auto& [kind, name] : m.edit.deletes) {
        Status s = kube.Delete(KindOf(kind), t.ns, name);
        if (!s.ok() && s.code() != StatusCode::kNotFound) {
          fail(m.index, s);
          m.ok = false;
          break;
        }
      }
    }

    // 5. The result: what a Read now reports.
    Result<Snapshot> after = Fetch(kube, t, only_deletes);
    for (Member& m : members) {
      if (!m.ok || m.action == ChangeAction::kDelete) continue;
      if (!after.ok()) {
        fail(m.index, after.status());
        continue;
      }
      const GroupChange& c = changes[m.index];
      (*out)[m.index].result = ReadResource(m.type, c.address, c.request.attributes, t, *after,
                                            &(*out)[m.index].diagnostics);
    }
  }

  // The edits of the group's changes, each tried on the resource as read (a
  // change whose edit cannot apply fails alone).
  std::vector<Member> BuildMembers(KubeClient& kube, const Target& t,
                                   const std::vector<GroupChange>& changes,
                                   const std::vector<size_t>& indexes, Snapshot* snap,
                                   std::vector<ApplyResponse>* out, const Fail& fail) {
    std::vector<Member> members;
    Value trial = snap->es;
    for (size_t i : indexes) {
      const GroupChange& c = changes[i];
      ChangeAction action = c.action == ChangeAction::kReplace ? ChangeAction::kUpdate : c.action;
      const std::string type = TypeOf(c);
      const Value* prior = c.request.prior ? &c.request.prior->attributes : nullptr;
      const Value& attrs = action == ChangeAction::kDelete && c.request.attributes.empty() && prior
                               ? *prior
                               : c.request.attributes;
      if (type == "eck_transport_ca") {  // data: nothing to write, report what is there
        if (action != ChangeAction::kDelete) {
          EnsureSecretLoaded(kube, t, attrs, snap);
          (*out)[i].result = ReadResource(type, c.address, attrs, t, *snap, &(*out)[i].diagnostics);
        }
        continue;
      }
      Result<Edit> edit =
          BuildEdit(action, type, c.address, attrs, c.request.secret_inputs, prior, t, *snap);
      if (!edit.ok()) {
        fail(i, edit.status());
        continue;
      }
      Value before = trial;
      Status tried = edit->mutate(trial);
      if (!tried.ok()) {
        trial = before;
        fail(i, tried);
        continue;
      }
      members.push_back({i, action, type, std::move(*edit)});
      members.back().progress = c.request.progress;
    }
    return members;
  }

  // One conditional update with every member's edit and the inputs hash
  // (re-run on a conflict). Returns the generation written.
  Result<int64_t> UpdateResource(KubeClient& kube, const Target& t, const Snapshot& view,
                                 std::vector<Member>* members, bool* es_changed,
                                 const Fail& fail) {
    std::vector<Status> errors(members->size());
    auto mutate = [&](Value& es) -> Result<bool> {
      const Value original = es;
      for (size_t k = 0; k < members->size(); ++k) {
        Member& m = (*members)[k];
        errors[k] = Status::Ok();
        m.changed = false;
        if (!m.ok) continue;
        Value before = es;
        errors[k] = m.edit.mutate(es);
        if (!errors[k].ok()) es = before;
        m.changed = errors[k].ok() && es != before;
      }
      UpdateInputsHash(es, view);
      *es_changed = es != original;
      return *es_changed;
    };
    Result<Value> written = UpdateWithRetry(kube, Kind::Elasticsearch(), t.ns, t.name, mutate);
    for (size_t k = 0; k < members->size(); ++k) {
      Member& m = (*members)[k];
      if (!m.ok) continue;
      if (!written.ok()) {
        fail(m.index, written.status().WithContext("updating the Elasticsearch resource"));
      } else if (!errors[k].ok()) {
        fail(m.index, errors[k]);
      }
      m.ok = written.ok() && errors[k].ok();
    }
    if (!written.ok()) return written.status();
    const Value& gen = Field(*written, "metadata", "generation");
    return gen.is_number_integer() ? gen.get<int64_t>() : 0;
  }

  // The operator's keystore entries, the rollout (when the resource
  // changed) and LoadBalancer addresses.
  void WaitRollout(KubeClient& kube, const Target& t, int64_t generation, bool es_changed,
                   std::vector<Member>* members, const Fail& fail) {
    Status waited = Status::Ok();
    // The group's waits hold up every member still on its way: each reports.
    const Progress everyone = [members](const std::string& message) {
      for (const Member& m : *members) {
        if (m.ok && m.progress) m.progress(message);
      }
    };
    // Nothing reached the resource (e.g. removing a Secret it no longer
    // referenced): no rollout to wait for.
    bool restarts = false;
    for (const Member& m : *members) restarts |= m.ok && m.edit.restarts && es_changed;
    // The operator acts on the keystore only for an entry this change wrote
    // or removed (not for one crosslink leaves alone).
    bool keystore = false;
    for (const Member& m : *members) {
      if (waited.ok() && m.ok && m.changed && !m.edit.keystore_setting.empty()) {
        waited = WaitKeystore(kube, t, m.edit.keystore_setting, m.edit.keystore_present,
                              everyone);
        keystore = true;
      }
    }
    // The operator writes the key, then starts the rollout: let it update
    // the status before it is read.
    if (keystore && waited.ok()) clock_->Sleep(options_.poll_interval);
    if (waited.ok() && restarts) waited = WaitReady(kube, t, generation, everyone);
    for (Member& m : *members) {
      if (!m.ok) continue;
      if (!waited.ok() && (m.edit.restarts || !m.edit.keystore_setting.empty())) {
        fail(m.index, waited);
        m.ok = false;
        continue;
      }
      if (m.edit.wait_service && m.action != ChangeAction::kDelete) {
        const Progress own = [&m](const std::string& message) {
          if (m.progress) m.progress(message);
        };
        Result<std::string> host = WaitService(kube, t, m.edit.service_name, own);
        if (!host.ok()) {
          fail(m.index, host.status());
          m.ok = false;
        }
      }
    }
  }

  EckProviderOptions options_;
  const topology::Topology* topology_ = nullptr;
  Clock* clock_ = nullptr;
  FileSystem* fs_ = nullptr;
  std::function<const char*(const char*)> getenv_;
  std::string topology_dir_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<EnvClient>> clients_;
  std::map<std::string, elasticsearch::Endpoint> endpoints_;
};

}  // namespace

std::unique_ptr<EckProvider> NewEckProvider(EckProviderOptions options) {
  return std::make_unique<EckProviderImpl>(std::move(options));
}

}  // namespace crosslink::providers::eck
