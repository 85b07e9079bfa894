#include "providers/eck/eck_resources.h"

#include <openssl/sha.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "engine/graph/catalogue.h"
#include "engine/graph/resource.h"

namespace crosslink::providers::eck {
namespace {

constexpr char kRcsPath[] = "spec.remoteClusterServer";
constexpr char kClientTls[] = "client_tls";
constexpr char kCloudTrust[] = "cloud_trust";
constexpr char kClientTlsVolume[] = "crosslink-remote-ca";
constexpr char kCloudCaVolume[] = "crosslink-cloud-ca";
constexpr char kTrustVolume[] = "crosslink-trust";
constexpr char kClientCaKey[] = "xpack.security.remote_cluster_client.ssl.certificate_authorities";
constexpr char kClientEnabledKey[] = "xpack.security.remote_cluster_client.ssl.enabled";
constexpr char kTransportCaKey[] = "xpack.security.transport.ssl.certificate_authorities";
constexpr char kTrustPathKey[] = "xpack.security.transport.ssl.trust_restrictions.path";
constexpr int kRcsPort = 9443;
constexpr int kTransportPort = 9300;

// ---------------------------------------------------------------- JSON helpers

const Value& Null() {
  static const Value null;
  return null;
}

// v[k1][k2]... or null.
const Value& At(const Value& v, std::initializer_list<const char*> path) {
  const Value* cur = &v;
  for (const char* k : path) {
    if (!cur->is_object()) return Null();
    auto it = cur->find(k);
    if (it == cur->end()) return Null();
    cur = &*it;
  }
  return *cur;
}

// v[k1][k2]..., created as objects where missing (or not objects).
Value& Ensure(Value& v, std::initializer_list<const char*> path) {
  Value* cur = &v;
  for (const char* k : path) {
    if (!cur->is_object()) *cur = Value::object();
    Value& next = (*cur)[k];
    if (next.is_null()) next = Value::object();
    cur = &next;
  }
  if (!cur->is_object()) *cur = Value::object();
  return *cur;
}

std::string Str(const Value& v) { return v.is_string() ? v.get<std::string>() : ""; }

bool Bool(const Value& v) { return v.is_boolean() && v.get<bool>(); }

// Erases v[path...][last] and then every object on the path left empty.
void EraseAndPrune(Value& v, std::vector<std::string> path) {
  if (path.empty()) return;
  std::vector<Value*> chain = {&v};
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    Value* cur = chain.back();
    if (!cur->is_object() || !cur->contains(path[i])) return;
    chain.push_back(&(*cur)[path[i]]);
  }
  if (chain.back()->is_object()) chain.back()->erase(path.back());
  for (size_t i = chain.size() - 1; i > 0; --i) {
    if (chain[i]->is_object() && chain[i]->empty()) {
      chain[i - 1]->erase(path[i - 1]);
    } else {
      break;
    }
  }
}

std::string Annotation(const Value& object, const std::string& key) {
  return Str(At(object, {"metadata", "annotations", key.c_str()}));
}

void SetAnnotation(Value& object, const std::string& key, const std::string& value) {
  if (value.empty()) {
    if (At(object, {"metadata", "annotations"}).is_object()) {
      object["metadata"]["annotations"].erase(key);
    }
    return;
  }
  Ensure(object, {"metadata", "annotations"})[key] = value;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, ',')) {
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void AddToListAnnotation(Value& es, const char* key, const std::string& item) {
  std::vector<std::string> items = SplitList(Annotation(es, key));
  if (!Contains(items, item)) items.push_back(item);
  SetAnnotation(es, key, JoinList(items));
}

void RemoveFromListAnnotation(Value& es, const char* key, const std::string& item) {
  std::vector<std::string> items = SplitList(Annotation(es, key));
  items.erase(std::remove(items.begin(), items.end(), item), items.end());
  SetAnnotation(es, key, JoinList(items));
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// Nested config objects as dotted keys ("a: {b: 1}" -> "a.b": 1).
void FlattenInto(const Value& v, const std::string& prefix, Value* out) {
  if (!v.is_object()) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object() && !it->empty()) {
      FlattenInto(*it, key, out);
    } else {
      (*out)[key] = *it;
    }
  }
}

Value FlattenConfig(const Value& config) {
  Value out = Value::object();
  FlattenInto(config, "", &out);
  return out;
}

// "true" and true, "a" and ["a"] are the same setting value.
bool SameSetting(const Value& a, const Value& b) {
  auto norm = [](const Value& v) -> Value {
    if (v.is_string() && (v == "true" || v == "false")) return v == "true";
    if (v.is_string()) return Value::array({v});
    return v;
  };
  return norm(a) == norm(b);
}

// ---------------------------------------------------------------- marks

Value Marks(const Target& t, const std::string& address) {
  return Value{{"labels", {{kManagedByLabel, kManagedByValue}, {kClusterNameLabel, t.name}}},
               {"annotations", {{kAnnAddress, address}}}};
}

Value NewObject(const std::string& kind, const std::string& name, const Target& t,
                const std::string& address) {
  Value meta = Marks(t, address);
  meta["name"] = name;
  meta["namespace"] = t.ns;
  return Value{{"apiVersion", "v1"}, {"kind", kind}, {"metadata", meta}};
}

Value SecretObject(const std::string& name, const Target& t, const std::string& address,
                   const std::map<std::string, std::string>& data) {
  Value s = NewObject("Secret", name, t, address);
  s["type"] = "Opaque";
  Value d = Value::object();
  for (const auto& [k, v] : data) d[k] = http::Base64Encode(v);
  s["data"] = d;
  return s;
}

Value ConfigMapObject(const std::string& name, const Target& t, const std::string& address,
                      const std::map<std::string, std::string>& data) {
  Value c = NewObject("ConfigMap", name, t, address);
  Value d = Value::object();
  for (const auto& [k, v] : data) d[k] = v;
  c["data"] = d;
  return c;
}

std::string DecodeSecret(const Value& secret, const std::string& key) {
  const Value& v = At(secret, {"data", key.c_str()});
  if (!v.is_string()) return "";
  return http::Base64Decode(v.get<std::string>()).value_or("");
}

// An existing object at crosslink's name that crosslink did not make.
Status Foreign(const std::string& kind, const Target& t, const std::string& name) {
  return Status::FailedPrecondition(
      kind + " " + t.ns + "/" + name + " exists but is not crosslink's (no label " +
      kManagedByLabel + "=" + kManagedByValue + "); crosslink never overwrites it: rename or " +
      "delete it, or label it if it is a leftover of crosslink");
}

// The LoadBalancer address of a Service, "" while pending.
std::string IngressHost(const Value* svc) {
  if (svc == nullptr) return "";
  const Value& ingress = At(*svc, {"status", "loadBalancer", "ingress"});
  if (!ingress.is_array() || ingress.empty()) return "";
  std::string ip = Str(At(ingress[0], {"ip"}));
  return ip.empty() ? Str(At(ingress[0], {"hostname"})) : ip;
}

int FirstPort(const Value& spec, int fallback) {
  const Value& ports = At(spec, {"ports"});
  if (ports.is_array() && !ports.empty() && At(ports[0], {"port"}).is_number_integer()) {
    return At(ports[0], {"port"}).get<int>();
  }
  return fallback;
}

std::string Attr(const Value& attributes, const char* key) {
  return Str(At(attributes, {key}));
}

// attributes.port when it is a TCP port number, else `fallback`.
int PortAttr(const Value& attributes, int fallback) {
  const Value& p = At(attributes, {"port"});
  if (!p.is_number_integer()) return fallback;
  const int64_t port = p.get<int64_t>();
  return port > 0 && port < 65536 ? static_cast<int>(port) : fallback;
}

// ---------------------------------------------------------------- nodeSets

struct NodeSetWant {
  Value config = Value::object();  // flat key -> value
  std::vector<Value> volumes;      // pod volumes
  std::vector<Value> mounts;       // volumeMounts of container "elasticsearch"
};

Value NodeSetRecords(const Value& es) {
  auto parsed = ParseJson(Annotation(es, kAnnNodeSets));
  return parsed.ok() && parsed->is_object() ? *parsed : Value::object();
}

void SetNodeSetRecords(Value& es, const Value& records) {
  SetAnnotation(es, kAnnNodeSets, records.empty() ? "" : DumpJson(records));
}

Value* FindNamed(Value& list, const std::string& name) {
  if (!list.is_array()) return nullptr;
  for (Value& v : list) {
    if (v.is_object() && Str(At(v, {"name"})) == name) return &v;
  }
  return nullptr;
}

void EraseNamed(Value& list, const std::string& name) {
  if (!list.is_array()) return;
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->is_object() && Str(At(*it, {"name"})) == name) {
      list.erase(it);
      return;
    }
  }
}

// Removes empty leftovers of a nodeSet (config, volumes, mounts, the
// container crosslink added).
void PruneNodeSet(Value& set, bool container_added) {
  if (set.contains("config") && set["config"].is_object() && set["config"].empty()) {
    set.erase("config");
  }
  Value& pod = set["podTemplate"];
  if (pod.is_object()) {
    Value& spec = pod["spec"];
    if (spec.is_object()) {
      if (spec.contains("volumes") && spec["volumes"].empty()) spec.erase("volumes");
      Value& containers = spec["containers"];
      if (containers.is_array()) {
        Value* c = FindNamed(containers, "elasticsearch");
        if (c != nullptr && c->contains("volumeMounts") && (*c)["volumeMounts"].empty()) {
          c->erase("volumeMounts");
        }
        if (c != nullptr && container_added && c->size() == 1)
          EraseNamed(containers, "elasticsearch");
        if (containers.empty()) spec.erase("containers");
      } else {
        spec.erase("containers");
      }
      if (spec.empty()) pod.erase("spec");
    } else {
      pod.erase("spec");
    }
    const Value& ann = At(pod, {"metadata", "annotations"});
    if (ann.is_object() && ann.empty()) pod["metadata"].erase("annotations");
    if (pod.contains("metadata") && pod["metadata"].empty()) pod.erase("metadata");
    if (pod.empty()) set.erase("podTemplate");
  } else {
    set.erase("podTemplate");
  }
}

// Puts the `want` entries into `list` (by name): an entry of that name that
// crosslink did not record and that differs is refused (`what` names where);
// one it recorded and no longer wants goes. `new_names` gets the names
// crosslink now owns (an identical preexisting entry stays the user's).
Status MergeNamed(Value& list, const std::vector<Value>& want, const Value& recorded,
                  const std::string& what, Value* new_names) {
  if (!list.is_array()) list = Value::array();
  auto is_recorded = [&](const std::string& name) {
    for (const Value& v : recorded) {
      if (v == name) return true;
    }
    return false;
  };
  std::set<std::string> wanted;
  for (const Value& w : want) {
    const std::string name = Str(At(w, {"name"}));
    wanted.insert(name);
    Value* cur = FindNamed(list, name);
    if (cur != nullptr && !is_recorded(name) && *cur != w) {
      return Status::FailedPrecondition(what + " named \"" + name +
                                        "\" that is not crosslink's; rename it");
    }
    if (cur == nullptr || is_recorded(name)) new_names->push_back(name);
    if (cur != nullptr) {
      *cur = w;
    } else {
      list.push_back(w);
    }
  }
  for (const Value& n : recorded) {
    if (n.is_string() && wanted.count(n.get<std::string>()) == 0) EraseNamed(list, n);
  }
  return Status::Ok();
}

Status ApplyNodeSets(Value& es, const std::string& feature, const NodeSetWant& want,
                     const std::string& owner) {
  Value records = NodeSetRecords(es);
  Value& sets = Ensure(es, {"spec"})["nodeSets"];
  if (!sets.is_array() || sets.empty()) {
    return Status::FailedPrecondition("the Elasticsearch resource has no spec.nodeSets");
  }
  Value feature_records = At(records, {feature.c_str()});
  if (!feature_records.is_object()) feature_records = Value::object();
  for (Value& set : sets) {
    const std::string set_name = Str(At(set, {"name"}));
    const std::string where = "spec.nodeSets[" + set_name + "]";
    if (!set.is_object() || set_name.empty()) {
      return Status::FailedPrecondition(
          "spec.nodeSets has an entry that is not an object with a `name`; fix the "
          "Elasticsearch resource (kubectl edit elasticsearch)");
    }
    const Value rec = At(feature_records, {set_name.c_str()});
    auto recorded = [&](const char* list, const std::string& item) {
      for (const Value& v : At(rec, {list})) {
        if (v == item) return true;
      }
      return false;
    };
    Value new_rec = {{"config", Value::array()},
                     {"volumes", Value::array()},
                     {"mounts", Value::array()},
                     {"container", Bool(At(rec, {"container"}))}};
    // config
    Value& config = set["config"];
    if (!config.is_object()) config = Value::object();
    const Value flat = FlattenConfig(config);
    for (auto it = want.config.begin(); it != want.config.end(); ++it) {
      const std::string& key = it.key();
      if (recorded("config", key)) {
        config[key] = *it;
        new_rec["config"].push_back(key);
      } else if (flat.contains(key)) {
        if (!SameSetting(flat[key], *it)) {
          return Status::FailedPrecondition(
              where + ".config." + key + " is already set to " + flat[key].dump() +
              " (not by crosslink); " + owner + " needs " + it->dump() +
              ": remove the setting from the nodeSet (crosslink then manages it) or drop the "
              "connection that needs it");
        }
      } else {
        config[key] = *it;
        new_rec["config"].push_back(key);
      }
    }
    for (const Value& k : At(rec, {"config"})) {
      if (k.is_string() && !want.config.contains(k.get<std::string>()))
        config.erase(k.get<std::string>());
    }
    Value& pod_spec = Ensure(set, {"podTemplate", "spec"});
    CROSSLINK_RETURN_IF_ERROR(MergeNamed(pod_spec["volumes"], want.volumes, At(rec, {"volumes"}),
                                         where + ".podTemplate.spec.volumes has a volume",
                                         &new_rec["volumes"]));
    Value& containers = pod_spec["containers"];
    if (!containers.is_array()) containers = Value::array();
    Value* container = FindNamed(containers, "elasticsearch");
    if (container == nullptr) {
      containers.push_back(Value{{"name", "elasticsearch"}});
      container = &containers.back();
      new_rec["container"] = true;
    }
    CROSSLINK_RETURN_IF_ERROR(
        MergeNamed((*container)["volumeMounts"], want.mounts, At(rec, {"mounts"}),
                   where + " container elasticsearch has a volumeMount", &new_rec["mounts"]));
    PruneNodeSet(set, new_rec["container"].get<bool>());
    feature_records[set_name] = new_rec;
  }
  records[feature] = feature_records;
  SetNodeSetRecords(es, records);
  return Status::Ok();
}

void RemoveNodeSets(Value& es, const std::string& feature) {
  Value records = NodeSetRecords(es);
  if (!records.contains(feature)) return;
  const Value feature_records = records[feature];
  Value& sets = Ensure(es, {"spec"})["nodeSets"];
  if (sets.is_array()) {
    for (Value& set : sets) {
      const std::string set_name = Str(At(set, {"name"}));
      const Value& rec = At(feature_records, {set_name.c_str()});
      if (!set.is_object() || !rec.is_object() || rec.empty()) continue;
      if (set.contains("config") && set["config"].is_object()) {
        for (const Value& k : At(rec, {"config"})) {
          if (k.is_string()) set["config"].erase(k.get<std::string>());
        }
      }
      Value& pod_spec = Ensure(set, {"podTemplate", "spec"});
      for (const Value& n : At(rec, {"volumes"})) {
        if (n.is_string()) EraseNamed(pod_spec["volumes"], n);
      }
      Value* container = FindNamed(pod_spec["containers"], "elasticsearch");
      if (container != nullptr) {
        for (const Value& n : At(rec, {"mounts"})) {
          if (n.is_string()) EraseNamed((*container)["volumeMounts"], n);
        }
      }
      PruneNodeSet(set, Bool(At(rec, {"container"})));
    }
  }
  records.erase(feature);
  SetNodeSetRecords(es, records);
}

// "" when every nodeSet has what `want` says, else what is missing.
std::string NodeSetDrift(const Value& es, const NodeSetWant& want) {
  const Value& sets = At(es, {"spec", "nodeSets"});
  if (!sets.is_array()) return "";
  for (const Value& set : sets) {
    const std::string set_name = Str(At(set, {"name"}));
    const Value flat = FlattenConfig(At(set, {"config"}));
    for (auto it = want.config.begin(); it != want.config.end(); ++it) {
      if (!flat.contains(it.key()) || !SameSetting(flat[it.key()], *it)) {
        return "nodeSet " + set_name + " lacks " + it.key();
      }
    }
    Value copy = set;
    Value& volumes = Ensure(copy, {"podTemplate", "spec"})["volumes"];
    for (const Value& v : want.volumes) {
      Value* cur = FindNamed(volumes, Str(v["name"]));
      if (cur == nullptr || *cur != v)
        return "nodeSet " + set_name + " lacks volume " + Str(v["name"]);
    }
    Value* container = FindNamed(copy["podTemplate"]["spec"]["containers"], "elasticsearch");
    for (const Value& m : want.mounts) {
      Value* cur =
          container == nullptr ? nullptr : FindNamed((*container)["volumeMounts"], Str(m["name"]));
      if (cur == nullptr || *cur != m)
        return "nodeSet " + set_name + " lacks volumeMount " + Str(m["name"]);
    }
  }
  return "";
}

// "" when the pods' inputs hash matches the Secrets / ConfigMaps crosslink
// feeds them (else an earlier apply wrote an object but not the resource,
// and the pods still run with the old content).
std::string InputsDrift(const Value& es, const Snapshot& snap);

std::string MountDir(const char* volume) { return std::string(kConfigDir) + "/" + volume; }

NodeSetWant ClientTlsWant(const std::string& config_map, bool has_cas) {
  NodeSetWant w;
  w.config[kClientEnabledKey] = true;
  if (has_cas) w.config[kClientCaKey] = Value::array({MountDir(kClientTlsVolume) + "/ca.crt"});
  w.volumes.push_back({{"name", kClientTlsVolume}, {"configMap", {{"name", config_map}}}});
  w.mounts.push_back(
      {{"name", kClientTlsVolume}, {"mountPath", MountDir(kClientTlsVolume)}, {"readOnly", true}});
  return w;
}

NodeSetWant CloudTrustWant(const std::string& secret, const std::string& config_map) {
  NodeSetWant w;
  w.config[kTransportCaKey] = Value::array({MountDir(kCloudCaVolume) + "/ca.crt"});
  w.config[kTrustPathKey] = MountDir(kTrustVolume) + "/trust.yml";
  w.volumes.push_back({{"name", kCloudCaVolume}, {"secret", {{"secretName", secret}}}});
  w.volumes.push_back({{"name", kTrustVolume}, {"configMap", {{"name", config_map}}}});
  w.mounts.push_back(
      {{"name", kCloudCaVolume}, {"mountPath", MountDir(kCloudCaVolume)}, {"readOnly", true}});
  w.mounts.push_back(
      {{"name", kTrustVolume}, {"mountPath", MountDir(kTrustVolume)}, {"readOnly", true}});
  return w;
}

std::string JoinPems(const std::vector<std::string>& pems) {
  std::string out;
  for (const std::string& p : pems) out += p;
  return out;
}


// trust.yml as ES reads it.
std::string TrustYml(const std::vector<std::string>& names) {
  std::string out = "trust.subject_name:\n";
  for (const std::string& n : names) out += "  - " + Value(n).dump() + "\n";
  return out;
}

std::vector<std::string> ParseTrustYml(const std::string& yml) {
  std::vector<std::string> out;
  std::istringstream in(yml);
  std::string line;
  while (std::getline(in, line)) {
    size_t dash = line.find("- ");
    if (dash == std::string::npos) continue;
    std::string item = line.substr(dash + 2);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\r')) item.pop_back();
    auto parsed = ParseJson(item);
    out.push_back(parsed.ok() && parsed->is_string() ? parsed->get<std::string>() : item);
  }
  return out;
}

// ---------------------------------------------------------------- service templates

// spec.<field>.service.spec.type LoadBalancer (ECK >= 3.3 for RCS).
Status ExposeTemplate(Value& es, const char* field, const char* mark, int port, int target_port,
                      const char* port_name) {
  const Value& spec = At(es, {"spec", field, "service", "spec"});
  const std::string current_mark = Annotation(es, mark);
  if (current_mark.empty() && Str(At(spec, {"type"})) == "LoadBalancer") {
    SetAnnotation(es, mark, "preexisting");
    return Status::Ok();
  }
  if (current_mark == "preexisting") return Status::Ok();
  if (current_mark.empty() && spec.is_object() && spec.contains("type")) {
    return Status::FailedPrecondition(std::string("spec.") + field + ".service.spec.type is " +
                                      spec["type"].dump() + " (not set by crosslink), which " +
                                      "crosslink would change to LoadBalancer: set it to " +
                                      "LoadBalancer yourself, or remove it");
  }
  Value& s = Ensure(es, {"spec", field, "service", "spec"});
  s["type"] = "LoadBalancer";
  if (port != target_port) {
    s["ports"] = Value::array(
        {{{"name", port_name}, {"port", port}, {"targetPort", target_port}, {"protocol", "TCP"}}});
  } else {
    s.erase("ports");
  }
  SetAnnotation(es, mark, "enabled");
  return Status::Ok();
}

void UnexposeTemplate(Value& es, const char* field, const char* mark) {
  if (Annotation(es, mark) == "enabled") {
    EraseAndPrune(es, {"spec", field, "service", "spec", "type"});
    EraseAndPrune(es, {"spec", field, "service", "spec", "ports"});
  }
  SetAnnotation(es, mark, "");
}

std::string OwnRcsServiceName(const Target& t) { return t.name + "-es-remote-cluster-crosslink"; }

bool UseRcsTemplate(const Target& t) { return VersionAtLeast(t.operator_version, 3, 3); }

// ---------------------------------------------------------------- reads

LiveObject Absent() { return LiveObject{}; }

LiveObject ReadRcs(const Value& attrs, const Target& t, const Snapshot& snap) {
  LiveObject live;
  const bool enabled = At(snap.es, {"spec", "remoteClusterServer", "enabled"}) == true;
  const std::string mark = Annotation(snap.es, kAnnRcs);
  if (!enabled) return live;
  live.exists = true;
  live.managed_by_crosslink = true;  // unmarked = preexisting: adopted, never disabled
  live.attributes = {{"namespace", t.ns}, {"name", t.name}, {"enabled", true}};
  (void)attrs;
  live.outputs["preexisting"] = mark != "enabled";
  return live;
}

LiveObject ReadRcsService(const Value& attrs, const Target& t, const Snapshot& snap,
                          Diagnostics* diags) {
  LiveObject live;
  const std::string service =
      Attr(attrs, "service").empty() ? t.name + "-es-remote-cluster" : Attr(attrs, "service");
  const Value* own = snap.Find("Service", OwnRcsServiceName(t));
  if (own != nullptr) {
    if (!IsCrosslinks(*own)) {
      diags->Error({}, "", Foreign("Service", t, OwnRcsServiceName(t)).message());
      live.exists = true;
      return live;
    }
    live.exists = true;
    live.managed_by_crosslink = true;
    const Value& spec = At(*own, {"spec"});
    live.attributes = {{"namespace", t.ns},
                       {"name", t.name},
                       {"service", service},
                       {"type", Str(At(spec, {"type"}))},
                       {"port", FirstPort(spec, kRcsPort)}};
    const std::string host = IngressHost(own);
    live.outputs["service_name"] = OwnRcsServiceName(t);
    if (!host.empty())
      live.outputs["proxy_address"] = host + ":" + std::to_string(FirstPort(spec, kRcsPort));
    return live;
  }
  const Value& tmpl = At(snap.es, {"spec", "remoteClusterServer", "service", "spec"});
  if (Str(At(tmpl, {"type"})) != "LoadBalancer") return live;
  live.exists = true;
  live.managed_by_crosslink = true;
  const int port = FirstPort(tmpl, kRcsPort);
  live.attributes = {{"namespace", t.ns},
                     {"name", t.name},
                     {"service", service},
                     {"type", "LoadBalancer"},
                     {"port", port}};
  live.outputs["preexisting"] = Annotation(snap.es, kAnnRcsService) != "enabled";
  live.outputs["service_name"] = t.name + "-es-remote-cluster";
  const std::string host = IngressHost(snap.Find("Service", t.name + "-es-remote-cluster"));
  if (!host.empty()) live.outputs["proxy_address"] = host + ":" + std::to_string(port);
  return live;
}

LiveObject ReadTransportService(const Target& t, const Snapshot& snap) {
  LiveObject live;
  const Value& tmpl = At(snap.es, {"spec", "transport", "service", "spec"});
  if (Str(At(tmpl, {"type"})) != "LoadBalancer") return live;
  live.exists = true;
  live.managed_by_crosslink = true;
  const int port = FirstPort(tmpl, kTransportPort);
  live.attributes = {{"namespace", t.ns},
                     {"name", t.name},
                     {"service", t.name + "-es-transport"},
                     {"type", "LoadBalancer"},
                     {"port", port}};
  live.outputs["preexisting"] = Annotation(snap.es, kAnnTransportService) != "enabled";
  const std::string host = IngressHost(snap.Find("Service", t.name + "-es-transport"));
  if (!host.empty()) live.outputs["proxy_address"] = host + ":" + std::to_string(port);
  return live;
}

LiveObject ReadTransportCa(const Value& attrs, const Target& t, const Snapshot& snap) {
  LiveObject live;
  std::string name = Attr(attrs, "secret");
  if (name.empty()) name = t.name + "-es-transport-certs-public";
  const Value* secret = snap.Find("Secret", name);
  if (secret == nullptr) return live;
  std::vector<std::string> certs = pki::SplitPemCertificates(DecodeSecret(*secret, "ca.crt"));
  if (certs.empty()) return live;
  // The operator's own CA comes first; CAs appended from
  // spec.transport.tls.certificateAuthorities follow and are not echoed.
  const std::string own = NormalizePem(certs[0]);
  live.exists = true;
  live.attributes = {{"namespace", t.ns}, {"name", t.name}, {"secret", name}};
  live.outputs["ca_pems"] = Value::array({own});
  auto info = pki::InspectCertificate(own);
  if (info.ok()) live.outputs["fingerprint"] = info->sha256_fingerprint;
  return live;
}

// Common part of objects crosslink owns at a fixed name.
const Value* OwnObject(const std::string& kind, const std::string& name, const Target& t,
                       const Snapshot& snap, LiveObject* live, Diagnostics* diags) {
  const Value* obj = snap.Find(kind, name);
  if (obj == nullptr) return nullptr;
  if (!IsCrosslinks(*obj)) {
    diags->Error({}, "", Foreign(kind, t, name).message());
    live->exists = true;
    live->managed_by_crosslink = false;
    return nullptr;
  }
  return obj;
}

bool HasSecureSetting(const Value& es, const std::string& secret_name) {
  for (const Value& e : At(es, {"spec", "secureSettings"}).is_array() ? es["spec"]["secureSettings"]
                                                                      : Value::array()) {
    if (Str(At(e, {"secretName"})) == secret_name) return true;
  }
  return false;
}

LiveObject ReadCredential(const Value& attrs, const Target& t, const Snapshot& snap,
                          Diagnostics* diags) {
  LiveObject live;
  const std::string secret_name = Attr(attrs, "secret_name");
  const Value* secret = OwnObject("Secret", secret_name, t, snap, &live, diags);
  if (secret == nullptr) return live;
  const bool referenced = HasSecureSetting(snap.es, secret_name);
  const Value& data = At(*secret, {"data"});
  std::string setting = Attr(attrs, "setting");
  if (setting.empty() && data.is_object() && data.size() == 1) setting = data.begin().key();
  if (!referenced || !data.is_object() || !data.contains(setting)) return live;
  live.exists = true;
  live.managed_by_crosslink = true;
  const std::string key_id = Annotation(*secret, kAnnKeyId);
  live.attributes = {{"namespace", t.ns},
                     {"name", t.name},
                     {"secret_name", secret_name},
                     {"setting", setting},
                     {"key_id", key_id}};
  live.outputs["key_id"] = key_id;
  std::string drift = InputsDrift(snap.es, snap);
  if (!drift.empty()) live.outputs["drift"] = drift;
  return live;
}

LiveObject ReadClientTls(const Value& attrs, const Target& t, const Snapshot& snap,
                         Diagnostics* diags) {
  LiveObject live;
  const std::string cm_name = Attr(attrs, "config_map");
  const Value* cm = OwnObject("ConfigMap", cm_name, t, snap, &live, diags);
  if (cm == nullptr || !NodeSetRecords(snap.es).contains(kClientTls)) return live;
  std::vector<std::string> pems = FlattenPems(Str(At(*cm, {"data", "ca.crt"})));
  live.exists = true;
  live.managed_by_crosslink = true;
  live.attributes = {{"namespace", t.ns},
                     {"name", t.name},
                     {"config_map", cm_name},
                     {"certificate_authorities", pems}};
  std::string drift = NodeSetDrift(snap.es, ClientTlsWant(cm_name, !pems.empty()));
  if (drift.empty()) drift = InputsDrift(snap.es, snap);
  if (!drift.empty()) live.outputs["drift"] = drift;
  return live;
}

LiveObject ReadSameOperator(const Value& attrs, const Target& t, const Snapshot& snap) {
  LiveObject live;
  const std::string alias = Attr(attrs, "alias");
  const Value& remotes = At(snap.es, {"spec", "remoteClusters"});
  if (!remotes.is_array()) return live;
  for (const Value& r : remotes) {
    if (Str(At(r, {"name"})) != alias) continue;
    live.exists = true;
    live.managed_by_crosslink = Contains(SplitList(Annotation(snap.es, kAnnRemoteClusters)), alias);
    const Value& ref = At(r, {"elasticsearchRef"});
    std::string ns = Str(At(ref, {"namespace"}));
    live.attributes = {
        {"namespace", t.ns},
        {"name", t.name},
        {"alias", alias},
        {"remote", {{"namespace", ns.empty() ? t.ns : ns}, {"name", Str(At(ref, {"name"}))}}}};
    if (r.contains("apiKey")) {
      live.attributes["api_key"] = {{"access", FromEckAccess(At(r, {"apiKey", "access"}))}};
    }
    return live;
  }
  return live;
}

LiveObject ReadTransportTrust(const Value& attrs, const Target& t, const Snapshot& snap,
                              Diagnostics* diags) {
  LiveObject live;
  const std::string current =
      Str(At(snap.es, {"spec", "transport", "tls", "certificateAuthorities", "configMapName"}));
  // A name crosslink set earlier (the topology renamed it) is drift, not a foreign value.
  const bool set_by_crosslink =
      !current.empty() && current == Annotation(snap.es, kAnnTransportCa);
  const std::string cm_name = set_by_crosslink ? current : Attr(attrs, "config_map");
  const Value* cm = OwnObject("ConfigMap", cm_name, t, snap, &live, diags);
  if (!current.empty() && current != cm_name) {
    diags->Error({}, "",
                 t.Describe() + ": spec.transport.tls.certificateAuthorities.configMapName is \"" +
                     current + "\" (not crosslink's)",
                 "add the peer CAs to that ConfigMap yourself and drop the connection's "
                 "transport trust, or remove the field so that crosslink manages it");
    return live;
  }
  if (cm == nullptr || current != cm_name) return live;
  live.exists = true;
  live.managed_by_crosslink = true;
  live.attributes = {{"namespace", t.ns},
                     {"name", t.name},
                     {"config_map", cm_name},
                     {"certificate_authorities", FlattenPems(Str(At(*cm, {"data", "ca.crt"})))}};
  std::string drift = InputsDrift(snap.es, snap);
  if (!drift.empty()) live.outputs["drift"] = drift;
  return live;
}

LiveObject ReadCloudTrust(const Value& attrs, const Target& t, const Snapshot& snap,
                          Diagnostics* diags) {
  LiveObject live;
  const std::string secret_name = Attr(attrs, "secret");
  const std::string cm_name = Attr(attrs, "config_map");
  const Value* secret = OwnObject("Secret", secret_name, t, snap, &live, diags);
  const Value* cm = OwnObject("ConfigMap", cm_name, t, snap, &live, diags);
  if (secret == nullptr || cm == nullptr || !NodeSetRecords(snap.es).contains(kCloudTrust)) {
    return live;
  }
  live.exists = true;
  live.managed_by_crosslink = true;
  live.attributes = {{"namespace", t.ns},
                     {"name", t.name},
                     {"secret", secret_name},
                     {"config_map", cm_name},
                     {"certificate_authorities", FlattenPems(DecodeSecret(*secret, "ca.crt"))},
                     {"trust_restrictions", ParseTrustYml(Str(At(*cm, {"data", "trust.yml"})))}};
  std::string drift = NodeSetDrift(snap.es, CloudTrustWant(secret_name, cm_name));
  if (drift.empty()) drift = InputsDrift(snap.es, snap);
  if (!drift.empty()) live.outputs["drift"] = drift;
  return live;
}

// ---------------------------------------------------------------- edits

using Mutation = std::function<Status(Value&)>;

// An update that renames crosslink's object (attribute `attr`): the old one
// goes after the rollout, if it is crosslink's. Returns the old name ("" =
// not renamed).
std::string DeleteRenamed(const char* kind, const char* attr, const Value& attrs,
                          const Value* prior, const Snapshot& snap, Edit* e) {
  const std::string old_name = prior != nullptr ? Attr(*prior, attr) : "";
  if (old_name.empty() || old_name == Attr(attrs, attr)) return "";
  const Value* old = snap.Find(kind, old_name);
  if (old != nullptr && IsCrosslinks(*old)) e->deletes.push_back({kind, old_name});
  return old_name;
}

Edit EditRcs(ChangeAction action) {
  Edit e;
  if (action == ChangeAction::kDelete) {
    e.mutate = [](Value& es) {
      if (Annotation(es, kAnnRcs) == "enabled") {
        EraseAndPrune(es, {"spec", "remoteClusterServer", "enabled"});
      }
      SetAnnotation(es, kAnnRcs, "");
      return Status::Ok();
    };
    return e;
  }
  e.mutate = [](Value& es) {
    const std::string mark = Annotation(es, kAnnRcs);
    if (mark.empty() && At(es, {"spec", "remoteClusterServer", "enabled"}) == true) {
      SetAnnotation(es, kAnnRcs, "preexisting");
      return Status::Ok();
    }
    Ensure(es, {"spec", "remoteClusterServer"})["enabled"] = true;
    if (mark != "preexisting") SetAnnotation(es, kAnnRcs, "enabled");
    return Status::Ok();
  };
  return e;
}

Result<Edit> EditRcsService(ChangeAction action, const Value& attrs, const Target& t,
                            const Snapshot& snap, const std::string& address) {
  Edit e;
  const int port = PortAttr(attrs, kRcsPort);
  const Value* own = snap.Find("Service", OwnRcsServiceName(t));
  if (own != nullptr && !IsCrosslinks(*own)) return Foreign("Service", t, OwnRcsServiceName(t));
  if (action == ChangeAction::kDelete) {
    if (own != nullptr) e.deletes.push_back({"Service", OwnRcsServiceName(t)});
    e.mutate = [](Value& es) {
      UnexposeTemplate(es, "remoteClusterServer", kAnnRcsService);
      return Status::Ok();
    };
    return e;
  }
  e.wait_service = true;
  if (UseRcsTemplate(t) && own == nullptr) {
    e.service_name = t.name + "-es-remote-cluster";
    e.mutate = [port](Value& es) {
      return ExposeTemplate(es, "remoteClusterServer", kAnnRcsService, port, kRcsPort, "rcs");
    };
    return e;
  }
  // ECK < 3.3 (or unknown): crosslink's own LoadBalancer Service.
  e.service_name = OwnRcsServiceName(t);
  Value svc = NewObject("Service", OwnRcsServiceName(t), t, address);
  svc["spec"] = {
      {"type", Attr(attrs, "type").empty() ? "LoadBalancer" : Attr(attrs, "type")},
      {"selector", {{kTypeLabel, "elasticsearch"}, {kClusterNameLabel, t.name}}},
      {"ports",
       Value::array(
           {{{"name", "rcs"}, {"port", port}, {"targetPort", kRcsPort}, {"protocol", "TCP"}}})}};
  e.upserts.push_back(std::move(svc));
  e.mutate = [](Value&) { return Status::Ok(); };
  return e;
}

Edit EditTransportService(ChangeAction action, const Value& attrs, const Target& t) {
  Edit e;
  e.service_name = t.name + "-es-transport";
  if (action == ChangeAction::kDelete) {
    e.mutate = [](Value& es) {
      UnexposeTemplate(es, "transport", kAnnTransportService);
      return Status::Ok();
    };
    return e;
  }
  const int port = PortAttr(attrs, kTransportPort);
  e.wait_service = true;
  e.mutate = [port](Value& es) {
    return ExposeTemplate(es, "transport", kAnnTransportService, port, kTransportPort,
                          "tls-transport");
  };
  return e;
}

Result<Edit> EditCredential(ChangeAction action, const Value& attrs,
                            const std::map<std::string, Secret>& secret_inputs, const Value* prior,
                            const Target& t, const Snapshot& snap, const std::string& address) {
  Edit e;
  e.restarts = true;
  const std::string secret_name = Attr(attrs, "secret_name");
  const std::string setting = Attr(attrs, "setting");
  if (secret_name.empty())
    return Status::InvalidArgument(address + ": attribute secret_name is empty");
  if (secret_name == t.name + "-es-remote-api-keys" ||
      secret_name == t.name + "-es-secure-settings") {
    return Status::InvalidArgument(address + ": Secret " + secret_name +
                                   " belongs to the operator");
  }
  const Value* existing = snap.Find("Secret", secret_name);
  if (existing != nullptr && !IsCrosslinks(*existing)) return Foreign("Secret", t, secret_name);
  auto remove = [](const std::string& name) {
    return [name](Value& es) {
      if (Contains(SplitList(Annotation(es, kAnnSecureSettings)), name)) {
        Value& list = Ensure(es, {"spec"})["secureSettings"];
        if (list.is_array()) {
          for (auto it = list.begin(); it != list.end();) {
            it = Str(At(*it, {"secretName"})) == name ? list.erase(it) : it + 1;
          }
          if (list.empty()) es["spec"].erase("secureSettings");
        }
      }
      RemoveFromListAnnotation(es, kAnnSecureSettings, name);
      return Status::Ok();
    };
  };
  if (action == ChangeAction::kDelete) {
    if (existing != nullptr) e.deletes.push_back({"Secret", secret_name});
    e.mutate = remove(secret_name);
    return e;
  }
  // Operator-managed aliases (pitfall 13).
  const std::string managed =
      Annotation(snap.es, "elasticsearch.k8s.elastic.co/managed-remote-clusters");
  const std::string prefix = "cluster.remote.";
  if (setting.rfind(prefix, 0) == 0) {
    std::string alias = setting.substr(prefix.size());
    alias = alias.substr(0, alias.find('.'));
    if (Contains(SplitList(managed), alias)) {
      return Status::FailedPrecondition(
          t.Describe() + ": alias \"" + alias + "\" is managed by the ECK operator " +
          "(spec.remoteClusters); use another alias for this connection");
    }
  }
  auto cred = secret_inputs.find("credentials");
  std::string value;
  if (cred != secret_inputs.end() && !cred->second.empty()) {
    value = cred->second.expose();
  } else if (existing != nullptr && !DecodeSecret(*existing, setting).empty()) {
    value = DecodeSecret(*existing, setting);  // unchanged credential
  } else {
    return Status::InvalidArgument(address +
                                   ": the secret input `credentials` (the cross-cluster "
                                   "API key) is not available; re-create the API key");
  }
  Value secret = SecretObject(secret_name, t, address, {{setting, value}});
  secret["metadata"]["annotations"][kAnnKeyId] = Attr(attrs, "key_id");
  e.upserts.push_back(std::move(secret));
  Mutation remove_old = [](Value&) { return Status::Ok(); };
  const std::string old_name = DeleteRenamed("Secret", "secret_name", attrs, prior, snap, &e);
  if (!old_name.empty()) remove_old = remove(old_name);
  e.mutate = [secret_name, remove_old](Value& es) {
    CROSSLINK_RETURN_IF_ERROR(remove_old(es));
    if (!HasSecureSetting(es, secret_name)) {
      Value& list = Ensure(es, {"spec"})["secureSettings"];
      if (!list.is_array()) list = Value::array();
      list.push_back({{"secretName", secret_name}});
    }
    AddToListAnnotation(es, kAnnSecureSettings, secret_name);
    return Status::Ok();
  };
  return e;
}

Result<Edit> EditClientTls(ChangeAction action, const Value& attrs, const Value* prior,
                           const Target& t, const Snapshot& snap, const std::string& address) {
  Edit e;
  e.restarts = true;
  const std::string cm_name = Attr(attrs, "config_map");
  const Value* existing = snap.Find("ConfigMap", cm_name);
  if (existing != nullptr && !IsCrosslinks(*existing)) return Foreign("ConfigMap", t, cm_name);
  if (action == ChangeAction::kDelete) {
    if (existing != nullptr) e.deletes.push_back({"ConfigMap", cm_name});
    e.mutate = [](Value& es) {
      RemoveNodeSets(es, kClientTls);
      return Status::Ok();
    };
    return e;
  }
  const std::vector<std::string> pems =
      FlattenPems(At(attrs, {"certificate_authorities"}));
  e.upserts.push_back(ConfigMapObject(cm_name, t, address, {{"ca.crt", JoinPems(pems)}}));
  DeleteRenamed("ConfigMap", "config_map", attrs, prior, snap, &e);
  NodeSetWant want = ClientTlsWant(cm_name, !pems.empty());
  e.mutate = [want, address](Value& es) { return ApplyNodeSets(es, kClientTls, want, address); };
  return e;
}

Result<Edit> EditSameOperator(ChangeAction action, const Value& attrs, const Value* prior,
                              const Target& t) {
  Edit e;
  const std::string alias = Attr(attrs, "alias");
  const bool api_key =
      attrs.contains("api_key") || (prior != nullptr && prior->contains("api_key"));
  e.restarts = api_key;
  if (api_key) {
    e.keystore_setting = "cluster.remote." + alias + ".credentials";
    e.keystore_present = action != ChangeAction::kDelete && attrs.contains("api_key");
  }
  auto erase_entry = [alias](Value& es) {
    Value& list = Ensure(es, {"spec"})["remoteClusters"];
    if (list.is_array()) {
      EraseNamed(list, alias);
      if (list.empty()) es["spec"].erase("remoteClusters");
    } else {
      es["spec"].erase("remoteClusters");
    }
  };
  if (action == ChangeAction::kDelete) {
    e.mutate = [alias, erase_entry](Value& es) {
      if (Contains(SplitList(Annotation(es, kAnnRemoteClusters)), alias)) erase_entry(es);
      RemoveFromListAnnotation(es, kAnnRemoteClusters, alias);
      return Status::Ok();
    };
    return e;
  }
  const Value& remote = At(attrs, {"remote"});
  Value entry = {{"name", alias},
                 {"elasticsearchRef",
                  {{"name", Str(At(remote, {"name"}))},
                   {"namespace", Str(At(remote, {"namespace"})).empty()
                                     ? t.ns
                                     : Str(At(remote, {"namespace"}))}}}};
  if (attrs.contains("api_key")) {
    Result<Value> access = ToEckAccess(At(attrs, {"api_key", "access"}));
    if (!access.ok()) return access.status();
    entry["apiKey"] = {{"access", *access}};
  }
  e.mutate = [alias, entry, erase_entry, t](Value& es) {
    const bool ours = Contains(SplitList(Annotation(es, kAnnRemoteClusters)), alias);
    Value& list = Ensure(es, {"spec"})["remoteClusters"];
    if (!list.is_array()) list = Value::array();
    if (FindNamed(list, alias) != nullptr && !ours) {
      return Status::FailedPrecondition(
          t.Describe() + ": spec.remoteClusters already has an entry \"" + alias +
          "\" that crosslink did not make; remove it or use another alias for this connection");
    }
    erase_entry(es);
    Ensure(es, {"spec"})["remoteClusters"].push_back(entry);
    AddToListAnnotation(es, kAnnRemoteClusters, alias);
    return Status::Ok();
  };
  return e;
}

Result<Edit> EditTransportTrust(ChangeAction action, const Value& attrs, const Value* prior,
                                const Target& t, const Snapshot& snap,
                                const std::string& address) {
  Edit e;
  e.restarts = true;
  const std::string cm_name = Attr(attrs, "config_map");
  const Value* existing = snap.Find("ConfigMap", cm_name);
  if (existing != nullptr && !IsCrosslinks(*existing)) return Foreign("ConfigMap", t, cm_name);
  if (action == ChangeAction::kDelete) {
    if (existing != nullptr) e.deletes.push_back({"ConfigMap", cm_name});
    e.mutate = [](Value& es) {
      const std::string mark = Annotation(es, kAnnTransportCa);
      if (!mark.empty() && Str(At(es, {"spec", "transport", "tls", "certificateAuthorities",
                                       "configMapName"})) == mark) {
        EraseAndPrune(es, {"spec", "transport", "tls", "certificateAuthorities", "configMapName"});
      }
      SetAnnotation(es, kAnnTransportCa, "");
      return Status::Ok();
    };
    return e;
  }
  const std::vector<std::string> pems =
      FlattenPems(At(attrs, {"certificate_authorities"}));
  e.upserts.push_back(ConfigMapObject(cm_name, t, address, {{"ca.crt", JoinPems(pems)}}));
  DeleteRenamed("ConfigMap", "config_map", attrs, prior, snap, &e);
  e.mutate = [cm_name, t](Value& es) {
    const std::string current =
        Str(At(es, {"spec", "transport", "tls", "certificateAuthorities", "configMapName"}));
    // The name crosslink set (renamed by this update) is crosslink's.
    if (!current.empty() && current != cm_name && current != Annotation(es, kAnnTransportCa)) {
      return Status::FailedPrecondition(
          t.Describe() + ": spec.transport.tls.certificateAuthorities.configMapName is \"" +
          current + "\" (not crosslink's); add the peer CAs (key ca.crt) to that ConfigMap " +
          "yourself, or remove the field so that crosslink manages it");
    }
    Ensure(es, {"spec", "transport", "tls", "certificateAuthorities"})["configMapName"] = cm_name;
    SetAnnotation(es, kAnnTransportCa, cm_name);
    return Status::Ok();
  };
  return e;
}

Result<Edit> EditCloudTrust(ChangeAction action, const Value& attrs, const Value* prior,
                            const Target& t, const Snapshot& snap, const std::string& address) {
  Edit e;
  e.restarts = true;
  const std::string secret_name = Attr(attrs, "secret");
  const std::string cm_name = Attr(attrs, "config_map");
  const Value* secret = snap.Find("Secret", secret_name);
  const Value* cm = snap.Find("ConfigMap", cm_name);
  if (secret != nullptr && !IsCrosslinks(*secret)) return Foreign("Secret", t, secret_name);
  if (cm != nullptr && !IsCrosslinks(*cm)) return Foreign("ConfigMap", t, cm_name);
  if (action == ChangeAction::kDelete) {
    if (secret != nullptr) e.deletes.push_back({"Secret", secret_name});
    if (cm != nullptr) e.deletes.push_back({"ConfigMap", cm_name});
    e.mutate = [](Value& es) {
      RemoveNodeSets(es, kCloudTrust);
      return Status::Ok();
    };
    return e;
  }
  const std::vector<std::string> pems =
      FlattenPems(At(attrs, {"certificate_authorities"}));
  if (pems.empty()) {
    return Status::FailedPrecondition(address + ": no Elastic Cloud CA certificate to trust");
  }
  std::vector<std::string> names = FlattenStrings(At(attrs, {"trust_restrictions"}));
  e.upserts.push_back(SecretObject(secret_name, t, address, {{"ca.crt", JoinPems(pems)}}));
  e.upserts.push_back(ConfigMapObject(cm_name, t, address, {{"trust.yml", TrustYml(names)}}));
  DeleteRenamed("Secret", "secret", attrs, prior, snap, &e);
  DeleteRenamed("ConfigMap", "config_map", attrs, prior, snap, &e);
  NodeSetWant want = CloudTrustWant(secret_name, cm_name);
  e.mutate = [want, address](Value& es) { return ApplyNodeSets(es, kCloudTrust, want, address); };
  return e;
}

// Restarting types whose attributes identify them (orphans carry no type).
bool LooksRestarting(const Value& attrs) {
  return attrs.contains("enabled") || attrs.contains("setting") || attrs.contains("config_map") ||
         attrs.contains("api_key");
}

bool ContainsRef(const Value& v) {
  graph::Reference ref;
  if (graph::IsRef(v, &ref)) return true;
  if (v.is_structured()) {
    for (const Value& e : v) {
      if (ContainsRef(e)) return true;
    }
  }
  return false;
}

// Values compared as the platform sees them.
Value Normalize(const Value& attrs) {
  if (!attrs.is_object()) return attrs;
  Value out = attrs;
  if (out.contains("certificate_authorities") && !ContainsRef(out["certificate_authorities"])) {
    std::vector<std::string> pems = FlattenPems(out["certificate_authorities"]);
    std::sort(pems.begin(), pems.end());
    out["certificate_authorities"] = pems;
  }
  if (out.contains("trust_restrictions") && !ContainsRef(out["trust_restrictions"])) {
    std::vector<std::string> names = FlattenStrings(out["trust_restrictions"]);
    std::sort(names.begin(), names.end());
    out["trust_restrictions"] = names;
  }
  if (out.contains("api_key") && !ContainsRef(out["api_key"])) {
    Result<Value> eck = ToEckAccess(At(out, {"api_key", "access"}));
    if (eck.ok()) out["api_key"]["access"] = FromEckAccess(*eck);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- public

std::string Target::Describe() const { return "Elasticsearch " + ns + "/" + name; }

const Value* Snapshot::Find(const std::string& kind, const std::string& name) const {
  const std::vector<Value>* list = kind == "Secret"      ? &secrets
                                   : kind == "ConfigMap" ? &config_maps
                                                         : &services;
  for (const Value& v : *list) {
    if (ObjectName(v) == name) return &v;
  }
  return nullptr;
}

bool IsCrosslinks(const Value& object) {
  return Str(At(object, {"metadata", "labels", kManagedByLabel})) == kManagedByValue;
}

std::string ObjectName(const Value& object) { return Str(At(object, {"metadata", "name"})); }



bool VersionAtLeast(const std::string& version, int major, int minor) {
  int ma = 0, mi = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &ma, &mi) < 1) return false;
  return ma > major || (ma == major && mi >= minor);
}

Result<Value> ToEckAccess(const Value& access) {
  Value out = Value::object();
  if (!access.is_object()) return out;
  // ECK takes one search and one replication entry: entries that differ
  // only in `names` are merged.
  const Value& search = At(access, {"search"});
  if (search.is_array() && !search.empty()) {
    Value merged;
    for (const Value& s : search) {
      if (!s.is_object()) {
        return Status::InvalidArgument("api_key.access.search entries must be objects, got " +
                                       s.dump());
      }
      Value rest = s;
      rest.erase("names");
      if (!rest.contains("allow_restricted_indices")) rest["allow_restricted_indices"] = false;
      if (merged.is_null()) {
        merged = rest;
        merged["names"] = Value::array();
      } else {
        Value other = merged;
        other.erase("names");
        if (other != rest) {
          return Status::InvalidArgument(
              "ECK's spec.remoteClusters[].apiKey.access.search takes one entry; the connection's "
              "search entries differ in more than `names` (field_security, query or "
              "allow_restricted_indices): make them one entry");
        }
      }
      for (const std::string& n : FlattenStrings(At(s, {"names"})))
        merged["names"].push_back(n);
    }
    if (merged.contains("field_security")) {
      Value& fs = merged["field_security"];
      if (!fs.is_object()) {
        return Status::InvalidArgument(
            "api_key.access.search[].field_security must be an object, got " + fs.dump());
      }
      if (!fs.contains("grant")) fs["grant"] = Value::array();
      if (!fs.contains("except")) fs["except"] = Value::array();
    }
    out["search"] = merged;
  }
  const Value& replication = At(access, {"replication"});
  if (replication.is_array() && !replication.empty()) {
    Value names = Value::array();
    for (const Value& r : replication) {
      if (!r.is_object()) {
        return Status::InvalidArgument(
            "api_key.access.replication entries must be objects, got " + r.dump());
      }
      if (Bool(At(r, {"allow_restricted_indices"}))) {
        return Status::InvalidArgument(
            "ECK's spec.remoteClusters[].apiKey.access.replication "
            "has no allow_restricted_indices; remove it");
      }
      for (const std::string& n : FlattenStrings(At(r, {"names"}))) names.push_back(n);
    }
    out["replication"] = {{"names", names}};
  }
  return out;
}

Value FromEckAccess(const Value& eck) {
  Value out = Value::object();
  if (!eck.is_object()) return out;
  if (eck.contains("search") && eck["search"].is_object()) {
    Value s = eck["search"];
    if (!s.contains("allow_restricted_indices")) s["allow_restricted_indices"] = false;
    out["search"] = Value::array({s});
  }
  if (eck.contains("replication") && eck["replication"].is_object()) {
    Value r = eck["replication"];
    r["allow_restricted_indices"] = false;
    out["replication"] = Value::array({r});
  }
  return out;
}


LiveObject ReadResource(const std::string& type, const std::string& address,
                        const Value& attributes, const Target& target, const Snapshot& snap,
                        Diagnostics* diags) {
  (void)address;
  if (type == "eck_remote_cluster_server") return ReadRcs(attributes, target, snap);
  if (type == "eck_remote_cluster_service") return ReadRcsService(attributes, target, snap, diags);
  if (type == "eck_transport_ca") return ReadTransportCa(attributes, target, snap);
  if (type == "eck_remote_credential") return ReadCredential(attributes, target, snap, diags);
  if (type == "eck_remote_client_tls") return ReadClientTls(attributes, target, snap, diags);
  if (type == "eck_same_operator_remote") return ReadSameOperator(attributes, target, snap);
  if (type == "eck_transport_trust") return ReadTransportTrust(attributes, target, snap, diags);
  if (type == "eck_transport_service") return ReadTransportService(target, snap);
  if (type == "eck_cloud_trust") return ReadCloudTrust(attributes, target, snap, diags);
  diags->Error({}, "", "provider eck does not implement resource type " + type);
  return Absent();
}

std::vector<Orphan> FindOrphans(const Target& target, const Snapshot& snap,
                                const std::vector<std::string>& known, Diagnostics* diags) {
  std::map<std::string, Orphan> found;
  auto add = [&](const std::string& address, const Value& attrs, const std::string& description) {
    if (address.empty() || Contains(known, address) || found.count(address) > 0) return;
    const std::string type = address.substr(0, address.find('.'));
    Diagnostics ignored;
    LiveObject live = ReadResource(type, address, attrs, target, snap, &ignored);
    if (!live.exists) {
      // Half-made (e.g. a credential Secret whose secureSettings entry was
      // never written): still crosslink's, still to be removed.
      live.exists = true;
      live.attributes = attrs;
    }
    live.managed_by_crosslink = true;
    found[address] = Orphan{address, type, description, live};
  };
  auto base = [&]() { return Value{{"namespace", target.ns}, {"name", target.name}}; };
  for (const auto* list : {&snap.secrets, &snap.config_maps, &snap.services}) {
    for (const Value& obj : *list) {
      if (!IsCrosslinks(obj)) continue;
      const std::string address = Annotation(obj, kAnnAddress);
      const std::string type = address.substr(0, address.find('.'));
      const std::string kind = Str(At(obj, {"kind"}));
      const std::string name = ObjectName(obj);
      Value attrs = base();
      if (type == "eck_remote_credential") {
        attrs["secret_name"] = name;
        const Value& data = At(obj, {"data"});
        if (data.is_object() && !data.empty()) attrs["setting"] = data.begin().key();
        attrs["key_id"] = Annotation(obj, kAnnKeyId);
      } else if (type == "eck_remote_client_tls" || type == "eck_transport_trust") {
        attrs["config_map"] = name;
      } else if (type == "eck_cloud_trust") {
        attrs[kind == "Secret" ? "secret" : "config_map"] = name;
        // The sibling object of the same address.
        for (const auto* other : {&snap.secrets, &snap.config_maps}) {
          for (const Value& o : *other) {
            if (IsCrosslinks(o) && Annotation(o, kAnnAddress) == address && ObjectName(o) != name) {
              attrs[Str(At(o, {"kind"})) == "Secret" ? "secret" : "config_map"] =
                  ObjectName(o);
            }
          }
        }
      } else if (type == "eck_remote_cluster_service") {
        attrs["service"] = target.name + "-es-remote-cluster";
        attrs["type"] = "LoadBalancer";
        attrs["port"] = kRcsPort;
      } else if (type.rfind("eck_", 0) != 0) {
        diags->Warning({}, "",
                       kind + " " + target.ns + "/" + name +
                           " is labelled as crosslink's but names no crosslink resource (" +
                           kAnnAddress + ": \"" + address + "\"); left alone");
        continue;
      }
      add(address, attrs, kind + " " + target.ns + "/" + name);
    }
  }
  const std::string c = target.cluster;
  if (Annotation(snap.es, kAnnRcs) == "enabled") {
    Value attrs = base();
    attrs["enabled"] = true;
    add("eck_remote_cluster_server." + c, attrs, target.Describe() + " spec.remoteClusterServer");
  }
  if (Annotation(snap.es, kAnnRcsService) == "enabled") {
    Value attrs = base();
    attrs["service"] = target.name + "-es-remote-cluster";
    add("eck_remote_cluster_service." + c, attrs,
        target.Describe() + " spec.remoteClusterServer.service");
  }
  if (Annotation(snap.es, kAnnTransportService) == "enabled") {
    add("eck_transport_service." + c, base(), target.Describe() + " spec.transport.service");
  }
  for (const std::string& alias : SplitList(Annotation(snap.es, kAnnRemoteClusters))) {
    Value attrs = base();
    attrs["alias"] = alias;
    add("eck_same_operator_remote." + c + "." + alias, attrs,
        target.Describe() + " spec.remoteClusters entry " + alias);
  }
  std::vector<Orphan> out;
  for (auto& [address, o] : found) out.push_back(std::move(o));
  return out;
}

Result<Edit> BuildEdit(ChangeAction action, const std::string& type, const std::string& address,
                       const Value& attributes, const std::map<std::string, Secret>& secret_inputs,
                       const Value* prior_attributes, const Target& target, const Snapshot& snap) {
  Result<Edit> e = Status::Internal("unset");
  if (type == "eck_remote_cluster_server") {
    e = EditRcs(action);
    e->restarts = true;
  } else if (type == "eck_remote_cluster_service") {
    e = EditRcsService(action, attributes, target, snap, address);
  } else if (type == "eck_transport_service") {
    e = EditTransportService(action, attributes, target);
  } else if (type == "eck_remote_credential") {
    e = EditCredential(action, attributes, secret_inputs, prior_attributes, target, snap, address);
  } else if (type == "eck_remote_client_tls") {
    e = EditClientTls(action, attributes, prior_attributes, target, snap, address);
  } else if (type == "eck_same_operator_remote") {
    e = EditSameOperator(action, attributes, prior_attributes, target);
  } else if (type == "eck_transport_trust") {
    e = EditTransportTrust(action, attributes, prior_attributes, target, snap, address);
  } else if (type == "eck_cloud_trust") {
    e = EditCloudTrust(action, attributes, prior_attributes, target, snap, address);
  } else if (type == "eck_transport_ca") {
    return Status::InvalidArgument(address + " is a data source: crosslink only reads it");
  } else {
    return Status::InvalidArgument("provider eck does not implement resource type " + type);
  }
  if (!e.ok()) return e.status().WithContext(address);
  // The credential and the ConfigMaps/Secrets reach the pods only through
  // a rollout; a preexisting server is left alone (no restart).
  if (type == "eck_remote_cluster_server") {
    e->restarts = !(action == ChangeAction::kDelete && Annotation(snap.es, kAnnRcs) != "enabled") &&
                  !(action != ChangeAction::kDelete &&
                    At(snap.es, {"spec", "remoteClusterServer", "enabled"}) == true);
  }
  return e;
}

void UpdateInputsHash(Value& es, const Snapshot& objects) {
  std::vector<std::pair<std::string, std::string>> inputs;  // (kind, name)
  for (const std::string& s : SplitList(Annotation(es, kAnnSecureSettings)))
    inputs.push_back({"Secret", s});
  if (!Annotation(es, kAnnTransportCa).empty())
    inputs.push_back({"ConfigMap", Annotation(es, kAnnTransportCa)});
  const Value records = NodeSetRecords(es);
  if (records.contains(kClientTls) || records.contains(kCloudTrust)) {
    for (const Value& set :
         At(es, {"spec", "nodeSets"}).is_array() ? es["spec"]["nodeSets"] : Value::array()) {
      for (const Value& v : At(set, {"podTemplate", "spec", "volumes"}).is_array()
                                ? set["podTemplate"]["spec"]["volumes"]
                                : Value::array()) {
        const std::string name = Str(At(v, {"name"}));
        if (name != kClientTlsVolume && name != kCloudCaVolume && name != kTrustVolume) continue;
        if (v.contains("configMap"))
          inputs.push_back({"ConfigMap", Str(At(v, {"configMap", "name"}))});
        if (v.contains("secret"))
          inputs.push_back({"Secret", Str(At(v, {"secret", "secretName"}))});
      }
      break;  // every nodeSet mounts the same
    }
  }
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  std::string text;
  for (const auto& [kind, name] : inputs) {
    const Value* obj = objects.Find(kind, name);
    text += kind + "/" + name + "=" +
            (obj == nullptr ? "-" : DumpJson(At(*obj, {"data"}))) + "\n";
  }
  const std::string hash = inputs.empty() ? "" : Sha256Hex(text).substr(0, 32);
  Value& sets = Ensure(es, {"spec"})["nodeSets"];
  if (!sets.is_array()) return;
  for (Value& set : sets) {
    if (!set.is_object()) continue;
    if (hash.empty()) {
      if (At(set, {"podTemplate", "metadata", "annotations"}).contains(kAnnInputsHash)) {
        EraseAndPrune(set, {"podTemplate", "metadata", "annotations", kAnnInputsHash});
      }
    } else {
      Ensure(set, {"podTemplate", "metadata", "annotations"})[kAnnInputsHash] = hash;
    }
  }
}

namespace {

std::string InputsDrift(const Value& es, const Snapshot& snap) {
  Value expected = es;
  UpdateInputsHash(expected, snap);
  if (expected == es) return "";
  return "the pods do not run with the current content of crosslink's Secrets / ConfigMaps "
         "(pod template annotation " + std::string(kAnnInputsHash) + " is stale)";
}

}  // namespace

PlanResponse PlanResource(const PlanRequest& req) {
  const std::string type = req.desired != nullptr ? req.desired->type
                           : req.prior != nullptr ? req.prior->type
                                                  : "";
  PlanRequest normalized = req;
  normalized.attributes = Normalize(req.attributes);
  LiveObject live_copy;
  if (req.live != nullptr) {
    live_copy = *req.live;
    live_copy.attributes = Normalize(req.live->attributes);
    normalized.live = &live_copy;
  }
  PlanResponse resp = Provider::DefaultPlan(normalized);
  if (resp.action == ChangeAction::kNoOp && req.desired != nullptr && req.live != nullptr &&
      req.live->exists && req.live->outputs.contains("drift")) {
    resp.action = ChangeAction::kUpdate;
    resp.reason = Str(req.live->outputs["drift"]);
  }
  if (resp.action == ChangeAction::kNoOp || resp.action == ChangeAction::kRead) return resp;
  const graph::ResourceTypeInfo* info = type.empty() ? nullptr : graph::FindResourceType(type);
  const Value& outputs = req.live != nullptr    ? req.live->outputs
                         : req.prior != nullptr ? req.prior->outputs
                                                : Null();
  const Value& attrs = req.desired != nullptr ? req.attributes
                       : req.prior != nullptr ? req.prior->attributes
                       : req.live != nullptr  ? req.live->attributes
                                              : Null();
  bool restarts = info != nullptr ? info->restarts_cluster : LooksRestarting(attrs);
  if (type == "eck_same_operator_remote") {
    restarts = attrs.contains("api_key") ||
               (req.prior != nullptr && req.prior->attributes.contains("api_key")) ||
               (req.live != nullptr && req.live->attributes.contains("api_key"));
  }
  if (outputs.is_object() && Bool(At(outputs, {"preexisting"}))) restarts = false;
  resp.restarts_cluster = restarts;
  return resp;
}

}  // namespace crosslink::providers::eck
