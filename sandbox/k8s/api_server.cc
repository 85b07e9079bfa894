#include "sandbox/k8s/api_server.h"

#include <sstream>

#include "engine/core/http.h"
#include "sandbox/k8s/objects.h"
#include "sandbox/util.h"

namespace crosslink::sandbox::k8s {
namespace {

const ResourceType kNamespaces{"", "v1", "namespaces", "Namespace", false, false};
const ResourceType kSecrets{"", "v1", "secrets", "Secret", true, false};
const ResourceType kConfigMaps{"", "v1", "configmaps", "ConfigMap", true, false};
const ResourceType kServices{"", "v1", "services", "Service", true, true};
const ResourceType kElasticsearches{"elasticsearch.k8s.elastic.co", "v1", "elasticsearches", "Elasticsearch", true, true};
const ResourceType* const kAll[] = {&kNamespaces, &kSecrets, &kConfigMaps, &kServices, &kElasticsearches};

ApiError MakeError(int code, std::string reason, std::string message, Value details = nullptr) {
  return ApiError{code, std::move(reason), std::move(message), std::move(details)};
}

Value Details(const ResourceType& type, const std::string& name) {
  Value d = {{"name", name}, {"kind", type.plural}};
  if (!type.group.empty()) d["group"] = type.group;
  return d;
}

ApiError NotFound(const ResourceType& type, const std::string& name) {
  return MakeError(404, "NotFound", type.qualified() + " \"" + name + "\" not found", Details(type, name));
}

ApiError NamespaceNotFound(const std::string& ns) {
  return MakeError(404, "NotFound", "namespaces \"" + ns + "\" not found", Details(kNamespaces, ns));
}

ApiError ConflictError(const ResourceType& type, const std::string& name) {
  return MakeError(409, "Conflict",
                   "Operation cannot be fulfilled on " + type.qualified() + " \"" + name +
                       "\": the object has been modified; please apply your changes to the latest version and try again",
                   Details(type, name));
}

// 422 Invalid with every cause, worded like apierrors.NewInvalid.
ApiError Invalid(const ResourceType& type, const std::string& name, const std::vector<FieldError>& errors,
                 const std::string& prefix = "") {
  std::string qualified_kind = type.group.empty() ? type.kind : type.kind + "." + type.group;
  std::string list;
  Value causes = Value::array();
  for (const FieldError& e : errors) {
    list += (list.empty() ? "" : ", ") + e.ToString();
    causes.push_back({{"reason", e.reason}, {"message", e.detail}, {"field", e.field}});
  }
  if (errors.size() > 1) list = "[" + list + "]";
  Value details = {{"name", name}, {"kind", type.kind}, {"causes", causes}};
  if (!type.group.empty()) details["group"] = type.group;
  return MakeError(422, "Invalid", prefix + qualified_kind + " \"" + name + "\" is invalid: " + list, details);
}

std::string Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

// A version-4 UUID, as metadata.uid.
std::string NewUid() {
  constexpr std::string_view kHex = "0123456789abcdef";
  return RandomString(8, kHex) + "-" + RandomString(4, kHex) + "-4" + RandomString(3, kHex) + "-a" +
         RandomString(3, kHex) + "-" + RandomString(12, kHex);
}

// Equality ignoring the fields the server owns.
bool SameContent(const Value& a, const Value& b) {
  Value x = a, y = b;
  for (Value* v : {&x, &y}) {
    if (v->contains("metadata") && (*v)["metadata"].is_object()) {
      (*v)["metadata"].erase("resourceVersion");
      (*v)["metadata"].erase("managedFields");
    }
  }
  return x == y;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream ss(path);
  std::string seg;
  while (std::getline(ss, seg, '/')) {
    if (!seg.empty()) out.push_back(seg);
  }
  return out;
}

net::HttpResponse ErrorResponse(const ApiError& e) { return net::HttpResponse::Json(e.code, e.ToStatus()); }

}  // namespace

Value ApiError::ToStatus() const {
  Value s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Value::object()}, {"status", "Failure"},
             {"message", message}, {"reason", reason}, {"code", code}};
  if (!details.is_null()) s["details"] = details;
  return s;
}

const ResourceType& ApiServer::Namespaces() { return kNamespaces; }
const ResourceType& ApiServer::Secrets() { return kSecrets; }
const ResourceType& ApiServer::ConfigMaps() { return kConfigMaps; }
const ResourceType& ApiServer::Services() { return kServices; }
const ResourceType& ApiServer::Elasticsearches() { return kElasticsearches; }

const ResourceType* ApiServer::Find(const std::string& group, const std::string& plural) {
  for (const ResourceType* t : kAll) {
    if (t->group == group && t->plural == plural) return t;
  }
  return nullptr;
}

ApiServer::ApiServer(Options options, Clock& clock) : options_(std::move(options)), clock_(clock) {
  assert(options_.elasticsearch_crd != nullptr);
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    Value obj = {{"apiVersion", "v1"}, {"kind", "Namespace"},
                 {"metadata", {{"name", ns}, {"uid", NewUid()}, {"resourceVersion", std::to_string(++resource_version_)},
                               {"creationTimestamp", FormatUtc(clock_.WallNow())},
                               {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
                 {"spec", {{"finalizers", {"kubernetes"}}}}, {"status", {{"phase", "Active"}}}};
    store_["namespaces"][Key("", ns)] = obj;
  }
}

void ApiServer::Subscribe(std::function<void(const WatchEvent&)> callback) {
  std::lock_guard<std::mutex> lock(subscribers_mu_);
  subscribers_.push_back(std::move(callback));
}

void ApiServer::Notify(const WatchEvent& event) {
  std::vector<std::function<void(const WatchEvent&)>> subs;
  {
    std::lock_guard<std::mutex> lock(subscribers_mu_);
    subs = subscribers_;
  }
  for (auto& s : subs) s(event);
}

Value ApiServer::Dump() const {
  std::lock_guard<std::mutex> lock(mu_);
  Value out = Value::object();
  for (const auto& [plural, objects] : store_) {
    Value list = Value::array();
    for (const auto& [key, obj] : objects) {
      Value o = obj;
      if (plural == "secrets" && o.contains("data")) {  // never dump secret values
        for (auto it = o["data"].begin(); it != o["data"].end(); ++it) *it = std::string(Secret::Placeholder());
      }
      list.push_back(o);
    }
    out[plural] = list;
  }
  return out;
}

// ---- reads ----

ApiResult ApiServer::Get(const ResourceType& type, const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  ApiResult r;
  auto pit = store_.find(type.plural);
  const std::string key = Key(type.namespaced ? ns : "", name);
  if (pit == store_.end() || pit->second.count(key) == 0) {
    r.error = NotFound(type, name);
    return r;
  }
  r.object = pit->second.at(key);
  return r;
}

ApiResult ApiServer::List(const ResourceType& type, const std::string& ns, const std::string& label_selector,
                          const std::string& field_selector) const {
  ApiResult r;
  std::string name_eq, name_ne, ns_eq;
  if (!field_selector.empty()) {
    std::stringstream ss(field_selector);
    std::string req;
    while (std::getline(ss, req, ',')) {
      size_t ne = req.find("!=");
      size_t eq = req.find('=');
      std::string field = req.substr(0, ne != std::string::npos ? ne : eq);
      std::string value = ne != std::string::npos ? req.substr(ne + 2) : (eq == std::string::npos ? "" : req.substr(req[eq + 1] == '=' ? eq + 2 : eq + 1));
      if (eq == std::string::npos || (field != "metadata.name" && field != "metadata.namespace")) {
        r.error = MakeError(400, "BadRequest",
                            "field label not supported: " + (eq == std::string::npos ? req : field));
        return r;
      }
      if (field == "metadata.namespace") {
        ns_eq = value;
      } else if (ne != std::string::npos) {
        name_ne = value;
      } else {
        name_eq = value;
      }
    }
  }
  Value empty_labels = Value::object();
  if (!label_selector.empty()) {
    Result<bool> check = MatchesLabelSelector(label_selector, empty_labels);
    if (!check.ok()) {
      r.error = MakeError(400, "BadRequest", check.status().message());
      return r;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  Value items = Value::array();
  auto pit = store_.find(type.plural);
  if (pit != store_.end()) {
    for (const auto& [key, obj] : pit->second) {
      if (type.namespaced && !ns.empty() && NamespaceOf(obj) != ns) continue;
      if (!ns_eq.empty() && NamespaceOf(obj) != ns_eq) continue;
      if (!name_eq.empty() && NameOf(obj) != name_eq) continue;
      if (!name_ne.empty() && NameOf(obj) == name_ne) continue;
      if (!label_selector.empty()) {
        Value labels = obj["metadata"].value("labels", Value::object());
        Result<bool> m = MatchesLabelSelector(label_selector, labels);
        if (!m.ok() || !*m) continue;
      }
      items.push_back(obj);
    }
  }
  r.object = {{"kind", type.kind + "List"}, {"apiVersion", type.api_version()},
              {"metadata", {{"resourceVersion", std::to_string(resource_version_)}}}, {"items", items}};
  return r;
}

// ---- admission: defaults and validation per type ----

std::optional<ApiError> ApiServer::Admit(const ResourceType& type, const std::string& ns, Value* obj, const Value* old,
                                         WriteOptions options, std::vector<std::string>* warnings) {
  const std::string name = NameOf(*obj);
  (*obj)["apiVersion"] = type.api_version();
  (*obj)["kind"] = type.kind;
  std::vector<FieldError> errors;
  std::string err = type.plural == "namespaces" || type.plural == "services" ? ValidateDns1123Label(name)
                                                                              : ValidateDns1123Subdomain(name);
  if (name.empty()) {
    errors.push_back({"FieldValueRequired", "metadata.name", "Required value: name or generateName is required"});
  } else if (!err.empty()) {
    errors.push_back({"FieldValueInvalid", "metadata.name", "Invalid value: \"" + name + "\": " + err});
  }
  if (!errors.empty()) return Invalid(type, name, errors);
  (void)ns;

  std::vector<std::string> unknown;
  auto check_top = [&](std::initializer_list<const char*> allowed) {
    std::vector<std::string> keys;
    for (auto it = obj->begin(); it != obj->end(); ++it) keys.push_back(it.key());
    for (const std::string& k : keys) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || k == a;
      if (!ok) {
        unknown.push_back(k);
        obj->erase(k);
      }
    }
  };

  if (type.plural == "secrets") {
    check_top({"apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"});
    if (!obj->contains("type") || (*obj)["type"] == "") (*obj)["type"] = "Opaque";
    Value data = obj->value("data", Value::object());
    if (!data.is_object()) data = Value::object();
    for (auto it = data.begin(); it != data.end(); ++it) {
      std::string why;
      if (!it->is_string() || !DecodeSecretValue(it->get<std::string>(), &why)) {
        return MakeError(400, "BadRequest",
                         "Secret in version \"v1\" cannot be handled as a Secret: " +
                             (why.empty() ? std::string("json: cannot unmarshal into []byte") : why));
      }
    }
    if (obj->contains("stringData") && (*obj)["stringData"].is_object()) {
      for (auto it = (*obj)["stringData"].begin(); it != (*obj)["stringData"].end(); ++it) {
        if (it->is_string()) data[it.key()] = http::Base64Encode(it->get<std::string>());
      }
    }
    obj->erase("stringData");
    for (auto it = data.begin(); it != data.end(); ++it) {
      std::string why = ValidateConfigKey(it.key());
      if (!why.empty()) errors.push_back({"FieldValueInvalid", "data[" + it.key() + "]", "Invalid value: \"" + it.key() + "\": " + why});
    }
    if ((*obj)["type"] == "kubernetes.io/tls") {
      for (const char* k : {"tls.crt", "tls.key"}) {
        if (!data.contains(k)) errors.push_back({"FieldValueRequired", std::string("data[") + k + "]", "Required value"});
      }
    }
    if (data.empty()) {
      obj->erase("data");
    } else {
      (*obj)["data"] = data;
    }
    if (old != nullptr && old->value("immutable", false)) {
      if (old->value("data", Value::object()) != obj->value("data", Value::object())) {
        errors.push_back({"FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set"});
      }
    }
    if (old != nullptr && old->value("type", "") != (*obj)["type"]) {
      errors.push_back({"FieldValueInvalid", "type", "Invalid value: " + (*obj)["type"].dump() + ": field is immutable"});
    }
  } else if (type.plural == "configmaps") {
    check_top({"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"});
    for (const char* field : {"data", "binaryData"}) {
      if (!obj->contains(field)) continue;
      for (auto it = (*obj)[field].begin(); it != (*obj)[field].end(); ++it) {
        if (!it->is_string()) {
          return MakeError(400, "BadRequest", "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal into Go struct field ConfigMap." + std::string(field) + " of type string");
        }
        std::string why = ValidateConfigKey(it.key());
        if (!why.empty()) errors.push_back({"FieldValueInvalid", std::string(field) + "[" + it.key() + "]", "Invalid value: \"" + it.key() + "\": " + why});
      }
    }
    if (old != nullptr && old->value("immutable", false) && old->value("data", Value::object()) != obj->value("data", Value::object())) {
      errors.push_back({"FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set"});
    }
  } else if (type.plural == "namespaces") {
    check_top({"apiVersion", "kind", "metadata", "spec", "status"});
    (*obj)["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
    (*obj)["spec"] = {{"finalizers", {"kubernetes"}}};
    (*obj)["status"] = {{"phase", "Active"}};
  } else if (type.plural == "services") {
    check_top({"apiVersion", "kind", "metadata", "spec", "status"});
    Value& spec = (*obj)["spec"];
    if (!spec.is_object()) spec = Value::object();
    if (!spec.contains("type")) spec["type"] = "ClusterIP";
    const std::string stype = spec["type"].is_string() ? spec["type"].get<std::string>() : "";
    if (stype != "ClusterIP" && stype != "ExternalName" && stype != "LoadBalancer" && stype != "NodePort") {
      errors.push_back({"FieldValueNotSupported", "spec.type", "Unsupported value: " + spec["type"].dump() +
                                                                   ": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""});
    }
    if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
    Value ports = spec.value("ports", Value::array());
    if (!ports.is_array()) ports = Value::array();
    if (ports.empty() && stype != "ExternalName" && spec.value("clusterIP", "") != "None") {
      errors.push_back({"FieldValueRequired", "spec.ports", "Required value"});
    }
    for (size_t i = 0; i < ports.size(); ++i) {
      Value& p = ports[i];
      const std::string path = "spec.ports[" + std::to_string(i) + "]";
      if (!p.is_object()) p = Value::object();
      if (!p.contains("port") || !p["port"].is_number_integer()) {
        errors.push_back({"FieldValueRequired", path + ".port", "Required value"});
        continue;
      }
      int port = p["port"].get<int>();
      if (port < 1 || port > 65535) {
        errors.push_back({"FieldValueInvalid", path + ".port", "Invalid value: " + std::to_string(port) + ": must be between 1 and 65535, inclusive"});
      }
      if (!p.contains("protocol")) p["protocol"] = "TCP";
      if (!p.contains("targetPort")) p["targetPort"] = port;
      if (ports.size() > 1 && p.value("name", "").empty()) errors.push_back({"FieldValueRequired", path + ".name", "Required value"});
      if ((stype == "NodePort" || stype == "LoadBalancer") && !p.contains("nodePort")) {
        p["nodePort"] = 30000 + static_cast<int>(resource_version_ % 2767) + static_cast<int>(i);
      }
    }
    spec["ports"] = ports;
    // clusterIP is allocated once and immutable.
    std::string old_ip = old != nullptr ? (*old)["spec"].value("clusterIP", "") : "";
    std::string want_ip = spec.value("clusterIP", "");
    if (want_ip == "None" && stype != "ClusterIP" && stype != "") {
      errors.push_back({"FieldValueInvalid", "spec.clusterIP", "Invalid value: \"None\": may not be set to 'None' for " + stype + " services"});
    }
    if (!old_ip.empty() && !want_ip.empty() && want_ip != old_ip) {
      errors.push_back({"FieldValueInvalid", "spec.clusterIP", "Invalid value: \"" + want_ip + "\": field is immutable"});
    }
    if (want_ip.empty()) want_ip = !old_ip.empty() ? old_ip : "10.96." + std::to_string((resource_version_ / 250) % 250) + "." + std::to_string(resource_version_ % 250 + 1);
    spec["clusterIP"] = want_ip;
    spec["clusterIPs"] = {want_ip};
    // status.loadBalancer: kept from the old object, assigned for new LBs.
    Value status = old != nullptr ? old->value("status", Value::object()) : Value::object();
    if (stype == "LoadBalancer") {
      if (!status["loadBalancer"].is_object()) status["loadBalancer"] = Value::object();
      const Value ingress = status["loadBalancer"].value("ingress", Value::array());
      if ((!ingress.is_array() || ingress.empty()) && options_.allocate_load_balancer_ip) {
        // spec.loadBalancerIP (deprecated but honoured) asks for a specific address.
        std::string ip = spec.value("loadBalancerIP", "");
        if (ip.empty()) ip = options_.allocate_load_balancer_ip();
        status["loadBalancer"]["ingress"] = {{{"ip", ip}, {"ipMode", "VIP"}}};
      } else if (!status.contains("loadBalancer")) {
        status["loadBalancer"] = Value::object();
      }
    } else {
      status["loadBalancer"] = Value::object();
    }
    (*obj)["status"] = status;
  } else if (type.plural == "elasticsearches") {
    // Structural schema: prune, default, validate.
    SchemaOutcome outcome = options_.elasticsearch_crd->Apply(obj);
    for (const std::string& f : outcome.unknown_fields) unknown.push_back(f);
    errors.insert(errors.end(), outcome.errors.begin(), outcome.errors.end());
  }

  if (!unknown.empty()) {
    if (options.field_validation == FieldValidation::kStrict) {
      std::string list;
      for (const std::string& f : unknown) list += (list.empty() ? "" : ", ") + std::string("unknown field \"") + f + "\"";
      return MakeError(400, "BadRequest",
                       type.kind + " in version \"" + type.version + "\" cannot be handled as a " + type.kind +
                           ": strict decoding error: " + list);
    }
    if (options.field_validation == FieldValidation::kWarn) {
      for (const std::string& f : unknown) warnings->push_back("unknown field \"" + f + "\"");
    }
  }
  if (!errors.empty()) return Invalid(type, name, errors);

  if (type.plural == "elasticsearches") {
    for (const ValidatingWebhook& hook : options_.webhooks) {
      std::vector<FieldError> denied = hook.validate(*obj, old);
      if (!denied.empty()) {
        ApiError e = Invalid(type, name, denied, "admission webhook \"" + hook.name + "\" denied the request: ");
        return e;
      }
    }
  }
  return std::nullopt;
}

// ---- writes ----

ApiResult ApiServer::Write(const ResourceType& type, const std::string& ns_in, const std::string& name, const std::string& verb,
                           std::function<std::optional<ApiError>(const Value* current, Value* next)> mutate,
                           WriteOptions options, bool status_only) {
  ApiResult r;
  std::vector<WatchEvent> events;
  const std::string ns = type.namespaced ? ns_in : "";
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (type.namespaced && store_["namespaces"].count(Key("", ns)) == 0) {
      r.error = NamespaceNotFound(ns);
      return r;
    }
    auto& objects = store_[type.plural];
    const std::string key_hint = Key(ns, name);
    const Value* current = nullptr;
    if (verb != "create") {
      auto it = objects.find(key_hint);
      if (it == objects.end()) {
        r.error = NotFound(type, name);
        return r;
      }
      current = &it->second;
    }
    Value next;
    if (auto e = mutate(current, &next)) {
      r.error = *e;
      return r;
    }
    if (!next.is_object()) {
      r.error = MakeError(400, "BadRequest", "the body of the request must be a JSON object");
      return r;
    }
    if (!next["metadata"].is_object()) next["metadata"] = Value::object();
    Value& md = next["metadata"];
    if (type.namespaced) {
      std::string body_ns = md.value("namespace", "");
      if (!body_ns.empty() && body_ns != ns) {
        r.error = MakeError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
        return r;
      }
      md["namespace"] = ns;
    } else {
      md.erase("namespace");
    }
    if (verb == "create" && md.value("name", "").empty() && !md.value("generateName", "").empty()) {
      md["name"] = md["generateName"].get<std::string>() + RandomString(5, "bcdfghjklmnpqrstvwxz2456789");
    }
    const std::string obj_name = md.value("name", "");
    if (verb != "create" && obj_name != name) {
      r.error = MakeError(400, "BadRequest", "the name of the object (" + obj_name + ") does not match the name on the URL (" + name + ")");
      return r;
    }
    // Optimistic concurrency.
    if (current != nullptr) {
      const std::string want = md.value("resourceVersion", "");
      const std::string have = (*current)["metadata"].value("resourceVersion", "");
      if (!want.empty() && want != have) {
        r.error = ConflictError(type, name);
        return r;
      }
      if (want.empty() && verb == "update" && type.plural == "elasticsearches") {
        r.error = Invalid(type, name, {{"FieldValueInvalid", "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update"}});
        return r;
      }
    }
    if (status_only) {
      Value status = next.value("status", Value());
      next = *current;
      if (status.is_null()) {
        next.erase("status");
      } else {
        next["status"] = status;
      }
    } else {
      if (type.status_subresource && type.plural == "elasticsearches") {
        // The main resource ignores status (status subresource enabled).
        if (current != nullptr && current->contains("status")) {
          next["status"] = (*current)["status"];
        } else {
          next.erase("status");
        }
      }
      if (auto e = Admit(type, ns, &next, current, options, &r.warnings)) {
        r.error = *e;
        return r;
      }
    }
    const std::string key = Key(ns, NameOf(next));
    if (verb == "create" && objects.count(key) > 0) {
      r.error = MakeError(409, "AlreadyExists", type.qualified() + " \"" + NameOf(next) + "\" already exists",
                          Details(type, NameOf(next)));
      return r;
    }
    Value& nmd = next["metadata"];
    if (current != nullptr) {
      const Value& cmd = (*current)["metadata"];
      nmd["uid"] = cmd["uid"];
      nmd["creationTimestamp"] = cmd["creationTimestamp"];
      if (cmd.contains("generation")) nmd["generation"] = cmd["generation"];
      nmd.erase("generateName");
      if (cmd.contains("generateName")) nmd["generateName"] = cmd["generateName"];
      if (SameContent(*current, next)) {
        r.object = *current;  // a no-op write changes nothing, not even resourceVersion
        return r;
      }
      if (type.plural == "elasticsearches" && current->value("spec", Value()) != next.value("spec", Value())) {
        nmd["generation"] = cmd.value("generation", 1) + 1;
      }
    } else {
      nmd["uid"] = NewUid();
      nmd["creationTimestamp"] = FormatUtc(clock_.WallNow());
      if (type.plural == "elasticsearches") nmd["generation"] = 1;
    }
    nmd["resourceVersion"] = std::to_string(++resource_version_);
    if (options.dry_run) {
      r.object = next;
      r.code = verb == "create" ? 201 : 200;
      return r;
    }
    objects[key] = next;
    r.object = next;
    r.code = verb == "create" ? 201 : 200;
    events.push_back({verb == "create" ? "ADDED" : "MODIFIED", &type, next});
  }
  for (const WatchEvent& e : events) Notify(e);
  return r;
}

ApiResult ApiServer::Create(const ResourceType& type, const std::string& ns, Value object, WriteOptions options) {
  std::string name = object.is_object() && object.contains("metadata") ? NameOf(object) : "";
  return Write(type, ns, name, "create",
               [&](const Value*, Value* next) -> std::optional<ApiError> {
                 if (object.is_object()) {
                   object.erase("status");
                   if (object.contains("metadata") && object["metadata"].is_object()) object["metadata"].erase("resourceVersion");
                   if (object.contains("kind") && object["kind"].is_string() && object["kind"] != type.kind) {
                     return MakeError(400, "BadRequest", "the kind in the data (" + object["kind"].get<std::string>() + ") does not match the expected kind (" + type.kind + ")");
                   }
                 }
                 *next = object;
                 return std::nullopt;
               },
               options, false);
}

ApiResult ApiServer::Replace(const ResourceType& type, const std::string& ns, const std::string& name, Value object,
                             WriteOptions options) {
  return Write(type, ns, name, "update",
               [&](const Value*, Value* next) -> std::optional<ApiError> {
                 *next = object;
                 return std::nullopt;
               },
               options, false);
}

namespace {
std::optional<ApiError> ApplyPatch(const ResourceType& type, const std::string& content_type, const Value& patch,
                                   const Value& current, Value* next) {
  *next = current;
  if (content_type == "application/merge-patch+json" ||
      (content_type == "application/strategic-merge-patch+json" && type.group.empty())) {
    if (!patch.is_object()) return MakeError(400, "BadRequest", "json: cannot unmarshal into Go value of type map[string]interface {}");
    next->merge_patch(patch);
    return std::nullopt;
  }
  if (content_type == "application/json-patch+json") {
    try {
      *next = current.patch(patch);
    } catch (const nlohmann::json::exception& e) {
      return MakeError(422, "Invalid", std::string("the server rejected our request due to an error in our request: ") + e.what());
    }
    return std::nullopt;
  }
  return MakeError(415, "UnsupportedMediaType",
                   "the body of the request was in an unknown format - accepted media types include: "
                   "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" +
                       std::string(type.group.empty() ? ", application/strategic-merge-patch+json" : ""));
}
}  // namespace

ApiResult ApiServer::Patch(const ResourceType& type, const std::string& ns, const std::string& name,
                           const std::string& content_type, const Value& patch, WriteOptions options) {
  return Write(type, ns, name, "patch",
               [&](const Value* current, Value* next) -> std::optional<ApiError> {
                 if (auto e = ApplyPatch(type, content_type, patch, *current, next)) return e;
                 // A patch only conflicts when it names a resourceVersion itself.
                 if (!(patch.is_object() && patch.contains("metadata") && patch["metadata"].is_object() &&
                       patch["metadata"].contains("resourceVersion"))) {
                   (*next)["metadata"]["resourceVersion"] = (*current)["metadata"]["resourceVersion"];
                 }
                 return std::nullopt;
               },
               options, false);
}

ApiResult ApiServer::ReplaceStatus(const ResourceType& type, const std::string& ns, const std::string& name, Value object) {
  return Write(type, ns, name, "update-status",
               [&](const Value*, Value* next) -> std::optional<ApiError> {
                 *next = object;
                 return std::nullopt;
               },
               {}, true);
}

ApiResult ApiServer::PatchStatus(const ResourceType& type, const std::string& ns, const std::string& name,
                                 const Value& merge_patch) {
  return Write(type, ns, name, "patch-status",
               [&](const Value* current, Value* next) -> std::optional<ApiError> {
                 if (auto e = ApplyPatch(type, "application/merge-patch+json", merge_patch, *current, next)) return e;
                 (*next)["metadata"]["resourceVersion"] = (*current)["metadata"]["resourceVersion"];
                 return std::nullopt;
               },
               {}, true);
}

ApiResult ApiServer::Delete(const ResourceType& type, const std::string& ns_in, const std::string& name) {
  ApiResult r;
  std::vector<WatchEvent> events;
  const std::string ns = type.namespaced ? ns_in : "";
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& objects = store_[type.plural];
    auto it = objects.find(Key(ns, name));
    if (it == objects.end()) {
      r.error = NotFound(type, name);
      return r;
    }
    Value obj = it->second;
    objects.erase(it);
    ++resource_version_;
    if (type.plural == "namespaces") {
      // Namespace deletion removes everything in it (finalization is instant here).
      for (const ResourceType* t : kAll) {
        if (!t->namespaced) continue;
        auto& objs = store_[t->plural];
        for (auto oit = objs.begin(); oit != objs.end();) {
          if (NamespaceOf(oit->second) == name) {
            events.push_back({"DELETED", t, oit->second});
            oit = objs.erase(oit);
          } else {
            ++oit;
          }
        }
      }
      obj["status"]["phase"] = "Terminating";
      obj["metadata"]["deletionTimestamp"] = FormatUtc(clock_.WallNow());
    }
    events.push_back({"DELETED", &type, obj});
    if (type.group.empty() && type.plural != "namespaces") {
      Value details = Details(type, name);
      details["uid"] = obj["metadata"]["uid"];
      r.object = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Value::object()}, {"status", "Success"}, {"details", details}};
    } else {
      r.object = obj;
    }
  }
  for (const WatchEvent& e : events) Notify(e);
  return r;
}

// ---- REST ----

namespace {

Value Discovery(const std::string& gv, const std::vector<const ResourceType*>& types) {
  Value resources = Value::array();
  for (const ResourceType* t : types) {
    Value verbs = {"create", "delete", "get", "list", "patch", "update"};
    std::string singular = t->kind;
    for (char& c : singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Value r = {{"name", t->plural}, {"singularName", singular}, {"namespaced", t->namespaced}, {"kind", t->kind}, {"verbs", verbs}};
    if (t->plural == "elasticsearches") {
      r["shortNames"] = {"es"};
      r["categories"] = {"elastic"};
    }
    if (t->plural == "services") r["shortNames"] = {"svc"};
    if (t->plural == "configmaps") r["shortNames"] = {"cm"};
    if (t->plural == "namespaces") r["shortNames"] = {"ns"};
    resources.push_back(r);
    if (t->status_subresource) {
      resources.push_back({{"name", t->plural + "/status"}, {"singularName", ""}, {"namespaced", t->namespaced}, {"kind", t->kind}, {"verbs", {"get", "patch", "update"}}});
    }
  }
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", resources}};
}

net::HttpResponse WithWarnings(net::HttpResponse resp, const std::vector<std::string>& warnings) {
  std::string value;
  for (const std::string& w : warnings) {
    value += (value.empty() ? "" : ", ") + std::string("299 - ") + Value(w).dump();
  }
  if (!value.empty()) resp.headers["Warning"] = value;
  return resp;
}

}  // namespace

net::HttpResponse ApiServer::Handle(const net::HttpRequest& request) {
  const std::vector<std::string> seg = SplitPath(request.path);
  // Public endpoints (system:public-info-viewer).
  if (request.method == "GET" && seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "livez" || seg[0] == "readyz")) {
    return net::HttpResponse::Text(200, "ok");
  }
  if (request.method == "GET" && seg.size() == 1 && seg[0] == "version") {
    return net::HttpResponse::Json(200, {{"major", "1"}, {"minor", "31"}, {"gitVersion", options_.server_version},
                                         {"platform", "linux/amd64"}, {"goVersion", "go1.22"}, {"compiler", "gc"}});
  }
  const std::string auth = request.Header("authorization");
  if (auth.rfind("Bearer ", 0) != 0 || Secret(auth.substr(7)) != Secret(options_.token)) {
    return net::HttpResponse::Json(401, ApiError{401, "Unauthorized", "Unauthorized", nullptr}.ToStatus());
  }
  // Discovery.
  if (request.method == "GET") {
    if (seg.size() == 1 && seg[0] == "api") {
      return net::HttpResponse::Json(200, {{"kind", "APIVersions"}, {"versions", {"v1"}},
                                           {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", request.listener}}}}});
    }
    if (seg.size() == 2 && seg[0] == "api" && seg[1] == "v1") return net::HttpResponse::Json(200, Discovery("v1", {&kNamespaces, &kSecrets, &kConfigMaps, &kServices}));
    const std::string group = kElasticsearches.group;
    Value gv = {{"groupVersion", group + "/v1"}, {"version", "v1"}};
    Value group_obj = {{"name", group}, {"versions", {gv}}, {"preferredVersion", gv}};
    if (seg.size() == 1 && seg[0] == "apis") {
      return net::HttpResponse::Json(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", {group_obj}}});
    }
    if (seg.size() == 2 && seg[0] == "apis" && seg[1] == group) {
      Value g = group_obj;
      g["kind"] = "APIGroup";
      g["apiVersion"] = "v1";
      return net::HttpResponse::Json(200, g);
    }
    if (seg.size() == 3 && seg[0] == "apis" && seg[1] == group && seg[2] == "v1") {
      return net::HttpResponse::Json(200, Discovery(group + "/v1", {&kElasticsearches}));
    }
  }
  // Resource paths: /api/v1/... or /apis/<group>/<version>/...
  size_t i = 0;
  std::string group;
  if (seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1") {
    i = 2;
  } else if (seg.size() >= 3 && seg[0] == "apis" && seg[2] == "v1") {
    group = seg[1];
    i = 3;
  } else {
    return ErrorResponse(MakeError(404, "NotFound", "the server could not find the requested resource", {{"causes", {{{"reason", "UnexpectedServerResponse"}, {"message", "404 page not found"}}}}}));
  }
  std::string ns, plural, name, sub;
  std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    ns = rest[1];
    plural = rest[2];
    if (rest.size() >= 4) name = rest[3];
    if (rest.size() >= 5) sub = rest[4];
    if (rest.size() > 5) plural.clear();
  } else if (!rest.empty()) {
    plural = rest[0];
    if (rest.size() >= 2) name = rest[1];
    if (rest.size() >= 3) sub = rest[2];
    if (rest.size() > 3) plural.clear();
  }
  const ResourceType* type = plural.empty() ? nullptr : Find(group, plural);
  if (type == nullptr || (!sub.empty() && (sub != "status" || !type->status_subresource)) ||
      (!type->namespaced && !ns.empty())) {
    return ErrorResponse(MakeError(404, "NotFound", "the server could not find the requested resource"));
  }
  if (type->namespaced && ns.empty() && !name.empty()) {
    return ErrorResponse(MakeError(404, "NotFound", "the server could not find the requested resource"));
  }
  if (request.HasQuery("watch") && request.Query("watch") != "false" && request.Query("watch") != "0") {
    return ErrorResponse(MakeError(405, "MethodNotAllowed", "watch is not supported by the sandbox API server; poll with list instead"));
  }

  WriteOptions wopts;
  const std::string fv = request.Query("fieldValidation", "Warn");
  if (fv == "Strict") {
    wopts.field_validation = FieldValidation::kStrict;
  } else if (fv == "Ignore") {
    wopts.field_validation = FieldValidation::kIgnore;
  } else if (fv != "Warn") {
    return ErrorResponse(MakeError(400, "BadRequest", "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\""));
  }
  wopts.dry_run = request.Query("dryRun") == "All";

  auto parse_body = [&](Value* out) -> std::optional<ApiError> {
    std::string ct = request.Header("content-type");
    ct = ct.substr(0, ct.find(';'));
    if (request.method != "PATCH" && !ct.empty() && ct != "application/json" && ct != "application/yaml" && ct != "*/*") {
      return MakeError(415, "UnsupportedMediaType",
                       "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf");
    }
    if (ct == "application/yaml") {
      Result<std::vector<Value>> docs = ParseYamlDocuments(request.body);
      if (!docs.ok() || docs->size() != 1) return MakeError(400, "BadRequest", "error converting YAML to JSON: " + (docs.ok() ? std::string("expected one document") : docs.status().message()));
      *out = (*docs)[0];
      return std::nullopt;
    }
    Result<Value> v = ParseJson(request.body);
    if (!v.ok()) return MakeError(400, "BadRequest", "couldn't get version/kind; json parse error: " + v.status().message());
    *out = *v;
    return std::nullopt;
  };

  ApiResult result;
  const std::string& m = request.method;
  if (name.empty()) {
    if (m == "GET") {
      result = List(*type, ns, request.Query("labelSelector"), request.Query("fieldSelector"));
    } else if (m == "POST" && (!type->namespaced || !ns.empty())) {
      Value body;
      if (auto e = parse_body(&body)) return ErrorResponse(*e);
      result = Create(*type, ns, body, wopts);
    } else {
      return ErrorResponse(MakeError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
    }
  } else if (m == "GET") {
    result = Get(*type, ns, name);
  } else if (m == "PUT") {
    Value body;
    if (auto e = parse_body(&body)) return ErrorResponse(*e);
    result = sub == "status" ? ReplaceStatus(*type, ns, name, body) : Replace(*type, ns, name, body, wopts);
  } else if (m == "PATCH") {
    std::string ct = request.Header("content-type");
    ct = ct.substr(0, ct.find(';'));
    Result<Value> patch = ParseJson(request.body);
    if (!patch.ok()) return ErrorResponse(MakeError(400, "BadRequest", "error decoding patch: " + patch.status().message()));
    if (sub == "status") {
      Value next;
      if (ct != "application/merge-patch+json" && !(ct == "application/strategic-merge-patch+json" && type->group.empty())) {
        return ErrorResponse(*ApplyPatch(*type, "unsupported", *patch, Value::object(), &next));
      }
      result = PatchStatus(*type, ns, name, *patch);
    } else {
      result = Patch(*type, ns, name, ct, *patch, wopts);
    }
  } else if (m == "DELETE") {
    result = Delete(*type, ns, name);
  } else {
    return ErrorResponse(MakeError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
  }
  if (!result.ok()) return WithWarnings(ErrorResponse(*result.error), result.warnings);
  return WithWarnings(net::HttpResponse::Json(result.code, result.object), result.warnings);
}

}  // namespace crosslink::sandbox::k8s
