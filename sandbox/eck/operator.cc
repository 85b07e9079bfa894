#include "sandbox/eck/operator.h"

#include <openssl/evp.h>

#include "engine/core/http.h"
#include "engine/core/logging.h"
#include "sandbox/eck/internal.h"
#include "sandbox/k8s/objects.h"

namespace crosslink::sandbox::eck {

using k8s::ApiServer;
using k8s::NameOf;
using k8s::NamespaceOf;

std::string ServiceName(const std::string& es, const std::string& suffix) { return es + "-es-" + suffix; }

std::vector<std::string> PodNames(const Value& es) {
  std::vector<std::string> out;
  const std::string name = NameOf(es);
  for (const Value& set : es["spec"].value("nodeSets", Value::array())) {
    const int count = set.value("count", 1);
    for (int i = 0; i < count; ++i) out.push_back(name + "-es-" + set.value("name", "default") + "-" + std::to_string(i));
  }
  return out;
}

int NodeCount(const Value& es) {
  int n = 0;
  for (const Value& set : es["spec"].value("nodeSets", Value::array())) n += set.value("count", 1);
  return n;
}

namespace {
void Flatten(const Value& v, const std::string& prefix, Value* out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) Flatten(*it, prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else {
    (*out)[prefix] = v;
  }
}

// The elastic user's password: 24 characters without look-alikes (0/O, 1/l/I).
std::string RandomPassword() {
  return RandomString(24, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789");
}

Value OwnerRef(const Value& es) {
  return Value::array({{{"apiVersion", "elasticsearch.k8s.elastic.co/v1"}, {"kind", "Elasticsearch"}, {"name", NameOf(es)},
                        {"uid", es["metadata"].value("uid", "")}, {"controller", true}, {"blockOwnerDeletion", true}}});
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + ",";
  return out;
}
}  // namespace

Value FlattenConfig(const Value& config) {
  Value out = Value::object();
  if (config.is_object()) Flatten(config, "", &out);
  return out;
}

std::string Fingerprint(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

bool RcsEnabled(const Value& es, const OperatorOptions& options) {
  if (!options.operator_version.AtLeast(2, 16)) return false;  // field unknown before 2.16
  return es["spec"].value("remoteClusterServer", Value::object()).value("enabled", false);
}

Operator::Operator(OperatorOptions options, ApiServer& api, Host& host)
    : options_(std::move(options)), api_(api), host_(host) {
  api_.Subscribe([this](const k8s::WatchEvent&) {
    std::lock_guard<std::mutex> lock(wake_mu_);
    dirty_ = true;
    wake_.notify_all();
  });
}

Operator::~Operator() { Stop(); }

void Operator::SetClusterKey(const std::string& ns, const std::string& name, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  keys_[ns + "/" + name] = key;
}

void Operator::Start() {
  std::lock_guard<std::mutex> lock(wake_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Operator::Stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, lb] : lbs_) {
    for (auto& [listener, _] : lb->listeners) host_.server().Close(listener);
  }
  lbs_.clear();
  for (auto& [id, c] : clusters_) {
    for (const std::string& l : c->listeners) host_.server().Close(l);
    c->listeners.clear();
  }
}

void Operator::Run() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(wake_mu_);
      wake_.wait_for(lock, options_.resync, [this] { return dirty_ || stopping_; });
      if (stopping_) return;
      dirty_ = false;
    }
    Pass();
  }
}

void Operator::ReconcileNow() { Pass(); }

void Operator::Pass() {
  std::lock_guard<std::mutex> lock(mu_);
  k8s::ApiResult list = api_.List(ApiServer::Elasticsearches(), "");
  if (!list.ok()) return;
  std::vector<Value> all(list.object["items"].begin(), list.object["items"].end());
  std::set<std::string> seen;
  for (const Value& es : all) {
    seen.insert(NamespaceOf(es) + "/" + NameOf(es));
    ReconcileCluster(es);
  }
  std::vector<std::string> gone;
  for (const auto& [id, c] : clusters_) {
    if (seen.count(id) == 0) gone.push_back(id);
  }
  for (const std::string& id : gone) RemoveCluster(id);
  ReconcileRemoteClusters(all);
  ReconcileLoadBalancers();
}

Operator::Cluster* Operator::ClusterFor(const std::string& ns, const std::string& name) {
  auto it = clusters_.find(ns + "/" + name);
  return it == clusters_.end() ? nullptr : it->second.get();
}

void Operator::Event(const std::string& type, const std::string& reason, const std::string& object, const std::string& message) {
  const std::string dedup = object + "|" + reason;
  if (last_event_[dedup] == message) return;
  last_event_[dedup] = message;
  Value e = {{"kind", "k8s_event"}, {"platform", "eck"}, {"environment", options_.environment}, {"type", type},
             {"reason", reason}, {"object", object}, {"message", message}, {"time", FormatUtc(host_.clock().WallNow())}};
  events_.push_back(e);
  host_.RecordEvent(e);
}

void Operator::RemoveCluster(const std::string& id) {
  auto it = clusters_.find(id);
  if (it == clusters_.end()) return;
  Cluster& c = *it->second;
  for (const std::string& l : c.listeners) host_.server().Close(l);
  for (const std::string& d : c.dns) host_.RemoveDnsName(d);
  // Garbage collection of what the resource owned.
  for (const k8s::ResourceType* t : {&ApiServer::Secrets(), &ApiServer::Services()}) {
    k8s::ApiResult owned = api_.List(*t, c.ns, std::string(kClusterNameLabel) + "=" + c.name);
    for (const Value& o : owned.object.value("items", Value::array())) {
      for (const Value& ref : o["metadata"].value("ownerReferences", Value::array())) {
        if (ref.value("uid", "") == c.uid) api_.Delete(*t, c.ns, NameOf(o));
      }
    }
  }
  Event("Normal", "Deleted", id, "Elasticsearch cluster deleted");
  // The twin object stays alive until Stop (FindTwin callers may hold it).
  graveyard_.push_back(std::move(c.twin));
  clusters_.erase(it);
}

Status Operator::RotateTransportCa(const std::string& ns, const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Cluster* c = ClusterFor(ns, name);
    if (c == nullptr) return Status::NotFound("elasticsearches.elasticsearch.k8s.elastic.co \"" + name + "\" not found");
    pki::CertificateSpec spec;
    spec.common_name = name + "-transport";
    spec.organization = name;
    spec.is_ca = true;
    Result<pki::Identity> ca = pki::CreateCa(spec);
    if (!ca.ok()) return ca.status();
    c->transport_ca = *ca;
    c->transport_sans.clear();  // forces a new node certificate
    Event("Normal", "CARotated", ns + "/" + name, "transport CA rotated");
  }
  Pass();
  return Status::Ok();
}

// ---- one resource ----

void Operator::ReconcileCluster(const Value& es) {
  const std::string ns = NamespaceOf(es), name = NameOf(es);
  const std::string id = ns + "/" + name;
  Cluster* c = ClusterFor(ns, name);
  if (c != nullptr && c->uid != es["metadata"].value("uid", "")) {  // deleted and re-created between passes
    RemoveCluster(id);
    c = nullptr;
  }
  if (c == nullptr) {
    auto fresh = std::make_unique<Cluster>();
    fresh->ns = ns;
    fresh->name = name;
    fresh->uid = es["metadata"].value("uid", "");
    std::string key = keys_.count(id) > 0 ? keys_[id] : name;
    for (const auto& [other_id, other] : clusters_) {
      if (other->key == key) key = ns + "-" + name;
    }
    fresh->key = key;
    fresh->pod_address = host_.AllocateAddress();
    fresh->elastic_password = Secret(RandomPassword());
    for (auto [ca, suffix] : {std::pair{&fresh->transport_ca, "transport"}, std::pair{&fresh->http_ca, "http"}}) {
      pki::CertificateSpec spec;
      spec.common_name = name + "-" + suffix;
      spec.organization = name;
      spec.is_ca = true;
      Result<pki::Identity> created = pki::CreateCa(spec);
      if (!created.ok()) {
        Event("Warning", "ReconciliationError", id, "creating the " + std::string(suffix) + " CA: " + created.status().message());
        return;
      }
      *ca = *created;
    }
    es::TwinOptions topts;
    topts.name = name;
    topts.version = es["spec"].value("version", "8.15.0");
    topts.license = options_.license;
    topts.platform = "eck";
    topts.users["elastic"] = fresh->elastic_password;
    topts.public_ca_pems = {host_.public_ca().LeafPem()};
    Host* host = &host_;
    fresh->twin = std::make_unique<es::Twin>(
        topts, host_.clock(),
        [host](const std::string& h, uint16_t port, net::DialOptions o, std::string_view line) {
          return host->Dial(h, port, std::move(o), line);
        });
    c = fresh.get();
    clusters_[id] = std::move(fresh);
    Event("Normal", "Created", id, "Elasticsearch cluster created");
  }
  c->generation = es["metadata"].value("generation", 1);

  Status s = EnsureCertificates(*c, es);
  if (s.ok()) s = EnsureSecrets(*c, es);
  if (s.ok()) s = EnsureServices(*c, es);
  if (!s.ok()) {
    Event("Warning", "ReconciliationError", id, s.message());
    return;
  }
  // DNS: services and pods resolve to the pod address.
  std::set<std::string> names = {ServiceName(name, "http") + "." + ns + ".svc", ServiceName(name, "internal-http") + "." + ns + ".svc",
                                 ServiceName(name, "transport") + "." + ns + ".svc"};
  if (RcsEnabled(es, options_)) names.insert(ServiceName(name, "remote-cluster") + "." + ns + ".svc");
  for (const Value& set : es["spec"].value("nodeSets", Value::array())) {
    const std::string sset = ServiceName(name, set.value("name", "default"));
    for (int i = 0; i < set.value("count", 1); ++i) names.insert(sset + "-" + std::to_string(i) + "." + sset + "." + ns + ".svc");
  }
  for (const std::string& d : c->dns) {
    if (names.count(d) == 0) host_.RemoveDnsName(d);
  }
  for (const std::string& d : names) host_.AddDnsName(d, c->pod_address);
  c->dns = names;

  // What the pods run with; a change is a rolling restart.
  std::string hash;
  Result<es::NodeConfig> config = DesiredConfig(*c, es, &hash);
  const auto now = host_.clock().Now();
  if (!config.ok()) {
    c->blocked = config.status().message();
    Event("Warning", "Unexpected", id, c->blocked);
  } else {
    c->blocked.clear();
    // The aggregate the keystore init container reads.
    std::map<std::string, std::string> keystore;
    for (const auto& [k, v] : config->keystore) keystore[k] = v.expose();
    Status s = EnsureSecret(ns, ServiceName(name, "secure-settings"),
                            {{kClusterNameLabel, name}, {kTypeLabel, "elasticsearch"}}, nullptr, keystore, true, es);
    if (!s.ok()) Event("Warning", "ReconciliationError", id, s.message());
    if (hash != c->applied_hash && hash != c->pending_hash) {
      c->pending = *config;
      c->pending_hash = hash;
      c->pending_until = now + options_.restart;
    } else if (hash == c->applied_hash && c->pending) {
      c->pending.reset();  // changed back before the restart happened
      c->pending_hash.clear();
    }
  }
  if (c->pending && now >= c->pending_until) {
    c->twin->Restart(*c->pending);
    c->applied_hash = c->pending_hash;
    c->pending.reset();
    c->pending_hash.clear();
    ++c->restarts;
    host_.RecordEvent({{"kind", "restart"}, {"platform", "eck"}, {"environment", options_.environment}, {"cluster", c->key},
                       {"namespace", ns}, {"name", name}, {"restarts", c->restarts}, {"time", FormatUtc(host_.clock().WallNow())}});
    if (!c->started) {
      c->started = true;
      es::Twin* twin = c->twin.get();
      struct Port {
        const char* suffix;
        uint16_t port;
        net::Protocol protocol;
        std::shared_ptr<const net::TlsRoute> (es::Twin::*route)() const;
      };
      for (const Port& p : {Port{"rest", 9200, net::Protocol::kHttps, &es::Twin::RestRoute},
                            Port{"transport", 9300, net::Protocol::kTls, &es::Twin::TransportRoute},
                            Port{"rcs", 9443, net::Protocol::kTls, &es::Twin::RemoteClusterRoute}}) {
        net::ListenerOptions lo;
        lo.name = "es/" + c->key + "/" + p.suffix;
        lo.address = c->pod_address;
        lo.port = p.port;
        lo.protocol = p.protocol;
        auto route = p.route;
        lo.router = [twin, route](std::string_view) { return (twin->*route)(); };
        Result<uint16_t> bound = host_.server().Listen(lo);
        if (!bound.ok()) {
          Event("Warning", "ReconciliationError", id, "binding " + lo.name + ": " + bound.status().message());
        } else {
          c->listeners.insert(lo.name);
        }
      }
    }
  }
  UpdateStatus(*c, es);
}

Status Operator::EnsureCertificates(Cluster& c, const Value& es) {
  const std::string& ns = c.ns;
  const std::string& name = c.name;
  // Transport: one certificate for the twin, valid for every pod.
  pki::CertificateSpec t;
  std::vector<std::string> pods;
  for (const Value& set : es["spec"].value("nodeSets", Value::array())) {
    const std::string sset = ServiceName(name, set.value("name", "default"));
    for (int i = 0; i < set.value("count", 1); ++i) {
      const std::string pod = sset + "-" + std::to_string(i);
      pods.push_back(pod);
      t.dns_names.push_back(pod + "." + sset + "." + ns + ".svc");
      t.other_names.push_back(pod + ".node." + name + "." + ns + ".es.local");
    }
  }
  t.common_name = (pods.empty() ? name : pods[0]) + ".node." + name + "." + ns + ".es.local";
  t.dns_names.push_back(ServiceName(name, "transport") + "." + ns + ".svc");
  if (RcsEnabled(es, options_)) t.dns_names.push_back(ServiceName(name, "remote-cluster") + "." + ns + ".svc");
  const Value tls = es["spec"].value("transport", Value::object()).value("tls", Value::object());
  for (const Value& san : tls.value("subjectAltNames", Value::array())) {
    if (san.contains("dns")) t.dns_names.push_back(san["dns"]);
    if (san.contains("ip")) t.ip_addresses.push_back(san["ip"]);
  }
  t.ip_addresses.push_back(c.pod_address);
  const std::string tkey = t.common_name + "|" + Join(t.dns_names) + "|" + Join(t.ip_addresses) + "|" + Join(t.other_names);
  if (tkey != c.transport_sans || c.transport_cert == nullptr) {
    Result<pki::Identity> cert = pki::IssueCertificate(t, c.transport_ca);
    if (!cert.ok()) return cert.status().WithContext("issuing the transport certificate");
    c.transport_cert = std::make_shared<const pki::Identity>(*cert);
    c.transport_sans = tkey;
  }
  // HTTP.
  pki::CertificateSpec h;
  h.common_name = ServiceName(name, "http") + "." + ns + ".es.local";
  h.dns_names = {ServiceName(name, "http") + "." + ns + ".svc", ServiceName(name, "http") + "." + ns, ServiceName(name, "http"),
                 ServiceName(name, "internal-http") + "." + ns + ".svc"};
  const Value self_signed = es["spec"].value("http", Value::object()).value("tls", Value::object()).value("selfSignedCertificate", Value::object());
  for (const Value& san : self_signed.value("subjectAltNames", Value::array())) {
    if (san.contains("dns")) h.dns_names.push_back(san["dns"]);
    if (san.contains("ip")) h.ip_addresses.push_back(san["ip"]);
  }
  h.ip_addresses.push_back(c.pod_address);
  const std::string hkey = Join(h.dns_names) + "|" + Join(h.ip_addresses);
  if (hkey != c.http_sans || c.http_cert == nullptr) {
    Result<pki::Identity> cert = pki::IssueCertificate(h, c.http_ca);
    if (!cert.ok()) return cert.status().WithContext("issuing the HTTP certificate");
    c.http_cert = std::make_shared<const pki::Identity>(*cert);
    c.http_sans = hkey;
  }
  return Status::Ok();
}

Status Operator::EnsureSecret(const std::string& ns, const std::string& name, const Value& labels, const Value& annotations,
                              const std::map<std::string, std::string>& data, bool owned, const Value& owner) {
  Value obj = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"type", "Opaque"},
               {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}}};
  if (!annotations.is_null() && !annotations.empty()) obj["metadata"]["annotations"] = annotations;
  if (owned) obj["metadata"]["ownerReferences"] = OwnerRef(owner);
  Value d = Value::object();
  for (const auto& [k, v] : data) d[k] = http::Base64Encode(v);
  if (!d.empty()) obj["data"] = d;
  k8s::ApiResult current = api_.Get(ApiServer::Secrets(), ns, name);
  if (!current.ok()) {
    k8s::ApiResult r = api_.Create(ApiServer::Secrets(), ns, obj);
    return r.ok() ? Status::Ok() : Status::Internal(r.error->message);
  }
  const Value& cur = current.object;
  if (cur.value("data", Value::object()) == obj.value("data", Value::object()) &&
      cur["metadata"].value("labels", Value::object()) == labels &&
      cur["metadata"].value("annotations", Value::object()) == obj["metadata"].value("annotations", Value::object())) {
    return Status::Ok();
  }
  obj["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"];
  k8s::ApiResult r = api_.Replace(ApiServer::Secrets(), ns, name, obj);
  return r.ok() || r.error->code == 409 ? Status::Ok() : Status::Internal(r.error->message);  // 409: next pass
}

Status Operator::EnsureSecrets(Cluster& c, const Value& es) {
  const Value labels = {{kClusterNameLabel, c.name}, {kTypeLabel, "elasticsearch"}};
  // Public transport CA: own CA + spec.transport.tls.certificateAuthorities.
  std::string ca = c.transport_ca.LeafPem();
  const Value cas = es["spec"].value("transport", Value::object()).value("tls", Value::object()).value("certificateAuthorities", Value::object());
  if (cas.contains("configMapName")) {
    k8s::ApiResult cm = api_.Get(ApiServer::ConfigMaps(), c.ns, cas["configMapName"]);
    if (cm.ok() && cm.object.value("data", Value::object()).contains("ca.crt")) ca += cm.object["data"]["ca.crt"].get<std::string>();
  }
  CROSSLINK_RETURN_IF_ERROR(EnsureSecret(c.ns, ServiceName(c.name, "transport-certs-public"), labels, nullptr, {{"ca.crt", ca}}, false, es));
  CROSSLINK_RETURN_IF_ERROR(EnsureSecret(c.ns, ServiceName(c.name, "http-certs-public"), labels, nullptr,
                                         {{"tls.crt", c.http_cert->chain_pem}, {"ca.crt", c.http_ca.LeafPem()}}, false, es));
  k8s::ApiResult user = api_.Get(ApiServer::Secrets(), c.ns, ServiceName(c.name, "elastic-user"));
  if (!user.ok()) {
    CROSSLINK_RETURN_IF_ERROR(EnsureSecret(c.ns, ServiceName(c.name, "elastic-user"), labels, nullptr,
                                           {{"elastic", c.elastic_password.expose()}}, true, es));
  }
  // Aggregated remote CAs: every labelled copy, or the own CA when none.
  k8s::ApiResult copies = api_.List(ApiServer::Secrets(), c.ns,
                                    std::string(kClusterNameLabel) + "=" + c.name + "," + kTypeLabel + "=remote-ca");
  std::string remote_ca;
  for (const Value& s : copies.object.value("items", Value::array())) remote_ca += k8s::SecretData(s, "ca.crt").value_or("");
  if (remote_ca.empty()) remote_ca = c.transport_ca.LeafPem();
  return EnsureSecret(c.ns, ServiceName(c.name, "remote-ca"), labels, nullptr, {{"ca.crt", remote_ca}}, true, es);
}

Status Operator::EnsureService(const std::string& ns, const Value& desired) {
  const std::string name = NameOf(desired);
  k8s::ApiResult current = api_.Get(ApiServer::Services(), ns, name);
  if (!current.ok()) {
    k8s::ApiResult r = api_.Create(ApiServer::Services(), ns, desired);
    return r.ok() ? Status::Ok() : Status::Internal("creating Service " + name + ": " + r.error->message);
  }
  const Value& cur = current.object;
  const Value& want = desired["spec"];
  bool same = cur["spec"].value("type", "") == want.value("type", "ClusterIP") &&
              cur["spec"].value("selector", Value::object()) == want.value("selector", Value::object()) &&
              (cur["spec"].value("clusterIP", "") == "None") == (want.value("clusterIP", "") == "None") &&
              cur["spec"].value("loadBalancerIP", "") == want.value("loadBalancerIP", "") &&
              cur["metadata"].value("labels", Value::object()) == desired["metadata"].value("labels", Value::object());
  const Value cur_ports = cur["spec"].value("ports", Value::array());
  const Value want_ports = want.value("ports", Value::array());
  same = same && cur_ports.size() == want_ports.size();
  for (size_t i = 0; same && i < want_ports.size(); ++i) {
    for (const char* f : {"name", "port", "targetPort", "protocol"}) {
      if (want_ports[i].contains(f) && cur_ports[i].value(f, Value()) != want_ports[i][f]) same = false;
    }
  }
  if (same) return Status::Ok();
  if ((cur["spec"].value("clusterIP", "") == "None") != (want.value("clusterIP", "") == "None")) {
    // clusterIP is immutable: ECK re-creates the Service.
    api_.Delete(ApiServer::Services(), ns, name);
    k8s::ApiResult r = api_.Create(ApiServer::Services(), ns, desired);
    return r.ok() ? Status::Ok() : Status::Internal("re-creating Service " + name + ": " + r.error->message);
  }
  Value next = desired;
  next["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"];
  next["spec"]["clusterIP"] = cur["spec"].value("clusterIP", "");
  k8s::ApiResult r = api_.Replace(ApiServer::Services(), ns, name, next);
  return r.ok() || r.error->code == 409 ? Status::Ok() : Status::Internal("updating Service " + name + ": " + r.error->message);
}

Status Operator::EnsureServices(Cluster& c, const Value& es) {
  const Value selector = {{kClusterNameLabel, c.name}, {kTypeLabel, "elasticsearch"}};
  auto make = [&](const std::string& suffix, const Value& tmpl, Value ports, bool headless_default) {
    Value spec = tmpl.value("spec", Value::object());
    Value svc = {{"apiVersion", "v1"}, {"kind", "Service"},
                 {"metadata", {{"name", ServiceName(c.name, suffix)}, {"namespace", c.ns}, {"labels", selector}}}};
    const Value md = tmpl.value("metadata", Value::object());
    const Value extra_labels = md.value("labels", Value::object());
    for (auto it = extra_labels.begin(); it != extra_labels.end(); ++it) svc["metadata"]["labels"][it.key()] = *it;
    if (md.contains("annotations")) svc["metadata"]["annotations"] = md["annotations"];
    if (!spec.contains("type")) {
      spec["type"] = "ClusterIP";
      if (headless_default) spec["clusterIP"] = "None";
    }
    if (!spec.contains("ports") || spec["ports"].empty()) spec["ports"] = ports;
    for (Value& p : spec["ports"]) {
      if (!p.contains("protocol")) p["protocol"] = "TCP";
      if (!p.contains("targetPort")) p["targetPort"] = p["port"];
    }
    spec["selector"] = selector;
    svc["spec"] = spec;
    return svc;
  };
  const Value spec = es["spec"];
  CROSSLINK_RETURN_IF_ERROR(EnsureService(c.ns, make("http", spec.value("http", Value::object()).value("service", Value::object()),
                                                     Value::array({{{"name", "https"}, {"port", 9200}, {"targetPort", 9200}}}), false)));
  CROSSLINK_RETURN_IF_ERROR(EnsureService(c.ns, make("internal-http", Value::object(),
                                                     Value::array({{{"name", "https"}, {"port", 9200}, {"targetPort", 9200}}}), false)));
  CROSSLINK_RETURN_IF_ERROR(EnsureService(c.ns, make("transport", spec.value("transport", Value::object()).value("service", Value::object()),
                                                     Value::array({{{"name", "tls-transport"}, {"port", 9300}, {"targetPort", 9300}}}), true)));
  const std::string rcs_name = ServiceName(c.name, "remote-cluster");
  if (RcsEnabled(es, options_)) {
    Value tmpl = Value::object();
    if (options_.operator_version.AtLeast(3, 3)) {
      tmpl = spec.value("remoteClusterServer", Value::object()).value("service", Value::object());
    }
    CROSSLINK_RETURN_IF_ERROR(EnsureService(c.ns, make("remote-cluster", tmpl, Value::array({{{"name", "rcs"}, {"port", 9443}, {"targetPort", 9443}}}), true)));
  } else if (api_.Get(ApiServer::Services(), c.ns, rcs_name).ok()) {
    api_.Delete(ApiServer::Services(), c.ns, rcs_name);
  }
  return Status::Ok();
}

void Operator::UpdateStatus(Cluster& c, const Value& es) {
  Value status = es.value("status", Value::object());
  const bool applying = !c.started || c.pending.has_value();
  Value want = {{"phase", applying ? "ApplyingChanges" : "Ready"},
                {"health", c.started ? "green" : "unknown"},
                {"availableNodes", c.started ? NodeCount(es) : 0},
                {"version", es["spec"].value("version", "")},
                {"observedGeneration", c.generation}};
  if (!c.blocked.empty() && !c.started) want["phase"] = "ApplyingChanges";
  bool same = true;
  for (auto it = want.begin(); it != want.end(); ++it) same = same && status.value(it.key(), Value()) == *it;
  if (same) return;
  api_.PatchStatus(ApiServer::Elasticsearches(), c.ns, c.name, {{"status", want}});
}

// ---- Services of type LoadBalancer ----

void Operator::ReconcileLoadBalancers() {
  k8s::ApiResult list = api_.List(ApiServer::Services(), "");
  std::map<std::string, std::pair<std::string, std::map<std::string, std::string>>> desired;  // id -> (ip, listeners)
  std::map<std::string, std::tuple<uint16_t, std::string, Cluster*>> plan;                     // listener -> binding
  for (const Value& svc : list.object.value("items", Value::array())) {
    const Value spec = svc["spec"];
    if (spec.value("type", "") != "LoadBalancer") continue;
    const Value ingress = svc["status"].value("loadBalancer", Value::object()).value("ingress", Value::array());
    if (ingress.empty() || !ingress[0].contains("ip")) continue;
    const std::string es_name = spec.value("selector", Value::object()).value(kClusterNameLabel, "");
    Cluster* c = ClusterFor(NamespaceOf(svc), es_name);
    if (c == nullptr || !c->started) continue;
    const std::string id = NamespaceOf(svc) + "/" + NameOf(svc);
    const std::string ip = ingress[0]["ip"];
    auto& entry = desired[id];
    entry.first = ip;
    for (const Value& p : spec.value("ports", Value::array())) {
      const int port = p.value("port", 0);
      Value tp = p.value("targetPort", Value(port));
      std::string target;
      if (tp.is_number_integer()) {
        const int t = tp.get<int>();
        target = t == 9200 ? "rest" : t == 9300 ? "transport" : t == 9443 ? "rcs" : "";
      } else if (tp.is_string()) {
        const std::string t = tp.get<std::string>();
        target = t == "https" || t == "http" ? "rest" : t == "tls-transport" || t == "transport" ? "transport" : t == "rcs" ? "rcs" : "";
      }
      if (target.empty()) continue;
      const std::string listener = "eck/" + options_.environment + "/lb/" + id + "/" + std::to_string(port);
      const std::string desc = std::to_string(port) + ":" + target + ":" + c->ns + "/" + c->name + "@" + ip;
      entry.second[listener] = desc;
      plan[listener] = {static_cast<uint16_t>(port), target, c};
    }
  }
  // Close what is no longer wanted (or changed), then bind what is missing.
  for (auto it = lbs_.begin(); it != lbs_.end();) {
    auto want = desired.find(it->first);
    for (auto lit = it->second->listeners.begin(); lit != it->second->listeners.end();) {
      if (want == desired.end() || want->second.second.count(lit->first) == 0 || want->second.second.at(lit->first) != lit->second) {
        host_.server().Close(lit->first);
        lit = it->second->listeners.erase(lit);
      } else {
        ++lit;
      }
    }
    if (want == desired.end()) {
      it = lbs_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, want] : desired) {
    auto& binding = lbs_[id];
    if (!binding) binding = std::make_unique<LbBinding>();
    binding->address = want.first;
    for (const auto& [listener, desc] : want.second) {
      if (binding->listeners.count(listener) > 0) continue;
      auto [port, target, c] = plan[listener];
      es::Twin* twin = c->twin.get();
      net::ListenerOptions lo;
      lo.name = listener;
      lo.address = want.first;
      lo.port = port;
      lo.protocol = target == "rest" ? net::Protocol::kHttps : net::Protocol::kTls;
      if (target == "rest") {
        lo.router = [twin](std::string_view) { return twin->RestRoute(); };
      } else if (target == "transport") {
        lo.router = [twin](std::string_view) { return twin->TransportRoute(); };
      } else {
        lo.router = [twin](std::string_view) { return twin->RemoteClusterRoute(); };
      }
      Result<uint16_t> bound = host_.server().Listen(lo);
      if (!bound.ok()) {
        Event("Warning", "LoadBalancerError", id, "binding " + want.first + ":" + std::to_string(port) + ": " + bound.status().message());
        continue;
      }
      binding->listeners[listener] = desc;
    }
  }
}

// ---- queries ----

es::Twin* Operator::FindTwin(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, c] : clusters_) {
    if (c->key == key) return c->twin.get();
  }
  return nullptr;
}

std::vector<std::string> Operator::cluster_keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, c] : clusters_) out.push_back(c->key);
  return out;
}

std::string Operator::PodAddress(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, c] : clusters_) {
    if (c->key == key) return c->pod_address;
  }
  return "";
}

std::string Operator::HttpCaPem(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, c] : clusters_) {
    if (c->key == key) return c->http_ca.LeafPem();
  }
  return "";
}

Value Operator::Inspect() const {
  std::lock_guard<std::mutex> lock(mu_);
  Value clusters = Value::array();
  for (const auto& [id, c] : clusters_) {
    clusters.push_back({{"id", id}, {"key", c->key}, {"pod_address", c->pod_address}, {"started", c->started},
                        {"restarts", c->restarts}, {"pending_restart", c->pending.has_value()}, {"blocked", c->blocked},
                        {"listeners", c->listeners}, {"dns", c->dns}});
  }
  Value lbs = Value::object();
  for (const auto& [id, b] : lbs_) {
    Value l = Value::array();
    for (const auto& [name, desc] : b->listeners) l.push_back(name);
    lbs[id] = {{"address", b->address}, {"listeners", l}};
  }
  return {{"clusters", clusters}, {"load_balancers", lbs}, {"events", events_}};
}

}  // namespace crosslink::sandbox::eck
