// What goes into the pods of one Elasticsearch resource: the es::NodeConfig
// the operator twin restarts the twin with, computed like ECK computes the
// pod template (certificates, elasticsearch.yml, mounted volumes, keystore).
#include "sandbox/eck/internal.h"
#include "sandbox/k8s/crd_schema.h"
#include "sandbox/k8s/objects.h"

namespace crosslink::sandbox::eck {

using k8s::ApiServer;

namespace {

// The files a pod sees, resolved from the podTemplate's volumes and mounts.
class PodFiles {
 public:
  PodFiles(k8s::ApiServer& api, std::string ns, const Value& node_set) : api_(api), ns_(std::move(ns)) {
    const Value pod_spec = node_set.value("podTemplate", Value::object()).value("spec", Value::object());
    for (const Value& v : pod_spec.value("volumes", Value::array())) volumes_[v.value("name", "")] = v;
    for (const Value& container : pod_spec.value("containers", Value::array())) {
      if (container.value("name", "") != "elasticsearch") continue;
      for (const Value& m : container.value("volumeMounts", Value::array())) mounts_.push_back(m);
    }
  }

  // Adds a file the operator itself mounts.
  void AddOperatorFile(const std::string& path, std::string content) { operator_files_[path] = std::move(content); }

  // The content of `path` (relative paths are under the config directory).
  Result<std::string> Read(std::string path) const {
    if (path.empty() || path[0] != '/') path = std::string(kConfigDir) + "/" + path;
    auto op = operator_files_.find(path);
    if (op != operator_files_.end()) return op->second;
    for (const Value& m : mounts_) {
      std::string dir = m.value("mountPath", "");
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      std::string file;
      if (!m.value("subPath", "").empty()) {
        if (path != dir) continue;
        file = m["subPath"];
      } else {
        if (path.rfind(dir + "/", 0) != 0) continue;
        file = path.substr(dir.size() + 1);
      }
      auto vit = volumes_.find(m.value("name", ""));
      if (vit == volumes_.end()) return Status::FailedPrecondition("volume \"" + m.value("name", "") + "\" not found");
      return ReadFromVolume(vit->second, file, path);
    }
    return Status::FailedPrecondition("file " + path + " does not exist in the pod (no volume mounted there)");
  }

 private:
  Result<std::string> ReadFromVolume(const Value& volume, const std::string& file, const std::string& path) const {
    const bool is_secret = volume.contains("secret");
    const Value src = is_secret ? volume["secret"] : volume.value("configMap", Value());
    if (!src.is_object()) return Status::FailedPrecondition("volume \"" + volume.value("name", "") + "\" is neither a Secret nor a ConfigMap");
    const std::string obj_name = is_secret ? src.value("secretName", "") : src.value("name", "");
    k8s::ApiResult obj = api_.Get(is_secret ? ApiServer::Secrets() : ApiServer::ConfigMaps(), ns_, obj_name);
    if (!obj.ok()) {
      return Status::NotFound(is_secret ? "Secret \"" + obj_name + "\" not found" : "configmaps \"" + obj_name + "\" not found");
    }
    std::string key = file;
    if (src.contains("items")) {
      key.clear();
      for (const Value& item : src["items"]) {
        if (item.value("path", "") == file) key = item.value("key", "");
      }
    }
    std::optional<std::string> content;
    if (is_secret) {
      content = k8s::SecretData(obj.object, key);
    } else {
      const Value data = obj.object.value("data", Value::object());
      if (data.contains(key) && data[key].is_string()) content = data[key].get<std::string>();
    }
    if (!content) return Status::NotFound("file " + path + " not found: key \"" + key + "\" is missing in " + (is_secret ? "Secret \"" : "ConfigMap \"") + obj_name + "\"");
    return *content;
  }

  k8s::ApiServer& api_;
  std::string ns_;
  std::map<std::string, Value> volumes_;
  std::vector<Value> mounts_;
  std::map<std::string, std::string> operator_files_;
};

std::vector<std::string> AsList(const Value& v) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const Value& e : v) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

std::string SettingString(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const Value& e : v) out += (out.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
    return out;
  }
  return v.dump();
}

}  // namespace

Result<es::NodeConfig> Operator::DesiredConfig(Cluster& c, const Value& es, std::string* hash) {
  es::NodeConfig config;
  config.http_identity = c.http_cert;
  config.transport_identity = c.transport_cert;
  config.rcs_enabled = RcsEnabled(es, options_);
  config.rcs_identity = c.transport_cert;

  // Operator-mounted files.
  k8s::ApiResult pub = api_.Get(ApiServer::Secrets(), c.ns, ServiceName(c.name, "transport-certs-public"));
  k8s::ApiResult remote_ca = api_.Get(ApiServer::Secrets(), c.ns, ServiceName(c.name, "remote-ca"));
  const std::string transport_ca = pub.ok() ? k8s::SecretData(pub.object, "ca.crt").value_or("") : c.transport_ca.LeafPem();
  const std::string remote_cas = remote_ca.ok() ? k8s::SecretData(remote_ca.object, "ca.crt").value_or("") : "";
  for (const std::string& p : pki::SplitPemCertificates(transport_ca)) config.transport_ca_pems.push_back(p);
  for (const std::string& p : pki::SplitPemCertificates(remote_cas)) {
    if (std::find(config.transport_ca_pems.begin(), config.transport_ca_pems.end(), p) == config.transport_ca_pems.end()) {
      config.transport_ca_pems.push_back(p);
    }
  }

  // ECK's own remote-cluster-client settings when it manages API keys.
  bool has_api_key_remotes = false;
  if (options_.operator_version.AtLeast(2, 16)) {
    for (const Value& r : es["spec"].value("remoteClusters", Value::array())) has_api_key_remotes |= r.contains("apiKey");
  }
  std::vector<std::string> rcs_client_cas;
  if (has_api_key_remotes) {
    rcs_client_cas.push_back(transport_ca);
    rcs_client_cas.push_back(remote_cas);
  }

  // User configuration of every nodeSet (union), resolved through its volumes.
  std::string config_text;
  for (const Value& set : es["spec"].value("nodeSets", Value::array())) {
    PodFiles files(api_, c.ns, set);
    files.AddOperatorFile(std::string(kConfigDir) + "/transport-certs/ca.crt", transport_ca);
    files.AddOperatorFile(std::string(kConfigDir) + "/transport-remote-certs/ca.crt", remote_cas);
    files.AddOperatorFile(std::string(kConfigDir) + "/http-certs/ca.crt", c.http_ca.LeafPem());
    const Value flat = FlattenConfig(set.value("config", Value::object()));
    config_text += flat.dump();
    for (auto it = flat.begin(); it != flat.end(); ++it) {
      const std::string& k = it.key();
      if (k == "xpack.security.remote_cluster_client.ssl.certificate_authorities" ||
          k == "xpack.security.transport.ssl.certificate_authorities") {
        for (const std::string& path : AsList(*it)) {
          Result<std::string> pem = files.Read(path);
          if (!pem.ok()) return pem.status();
          if (k.find("remote_cluster_client") != std::string::npos) {
            rcs_client_cas.push_back(*pem);
          } else {
            for (const std::string& p : pki::SplitPemCertificates(*pem)) config.transport_ca_pems.push_back(p);
          }
        }
      } else if (k == "xpack.security.transport.ssl.trust_restrictions.path") {
        Result<std::string> yml = files.Read(SettingString(*it));
        if (!yml.ok()) return yml.status();
        Result<std::vector<Value>> docs = k8s::ParseYamlDocuments(*yml);
        if (!docs.ok() || docs->empty()) return Status::FailedPrecondition("cannot parse trust restrictions file " + SettingString(*it));
        Value names = (*docs)[0].value("trust.subject_name", Value());
        if (names.is_null()) names = FlattenConfig((*docs)[0]).value("trust.subject_name", Value());
        for (const std::string& n : AsList(names)) config.transport_trust_restrictions.push_back(n);
      } else if (k == "xpack.security.transport.ssl.verification_mode") {
        config.transport_verify_hostname = SettingString(*it) == "full";
      } else if (k.rfind("cluster.remote.", 0) == 0) {
        config.static_settings[k] = SettingString(*it);
      }
    }
  }
  for (const std::string& bundle : rcs_client_cas) {
    for (const std::string& p : pki::SplitPemCertificates(bundle)) {
      if (std::find(config.rcs_client_ca_pems.begin(), config.rcs_client_ca_pems.end(), p) == config.rcs_client_ca_pems.end()) {
        config.rcs_client_ca_pems.push_back(p);
      }
    }
  }

  // Keystore: spec.secureSettings + the operator's remote API keys.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> sources;  // secret, (key, entry)
  const Value secure = es["spec"].value("secureSettings", Value::array());
  for (size_t i = 0; i < secure.size(); ++i) {
    const std::string secret_name = secure[i].value("secretName", "");
    k8s::ApiResult s = api_.Get(ApiServer::Secrets(), c.ns, secret_name);
    if (!s.ok()) return Status::NotFound("Secret \"" + secret_name + "\" not found (spec.secureSettings[" + std::to_string(i) + "])");
    const Value data = s.object.value("data", Value::object());
    if (secure[i].contains("entries")) {
      for (const Value& e : secure[i]["entries"]) {
        const std::string key = e.value("key", "");
        std::optional<std::string> v = k8s::SecretData(s.object, key);
        if (!v) return Status::NotFound("key \"" + key + "\" not found in Secret \"" + secret_name + "\"");
        config.keystore[e.value("path", key).empty() ? key : e.value("path", key)] = Secret(*v);
      }
    } else {
      for (auto it = data.begin(); it != data.end(); ++it) config.keystore[it.key()] = Secret(k8s::SecretData(s.object, it.key()).value_or(""));
    }
  }
  k8s::ApiResult keys = api_.Get(ApiServer::Secrets(), c.ns, ServiceName(c.name, "remote-api-keys"));
  if (keys.ok()) {
    const Value data = keys.object.value("data", Value::object());
    for (auto it = data.begin(); it != data.end(); ++it) config.keystore[it.key()] = Secret(k8s::SecretData(keys.object, it.key()).value_or(""));
  }

  // The pod template hash: everything above.
  std::string text = config.http_identity->chain_pem + config.transport_identity->chain_pem + (config.rcs_enabled ? "rcs" : "") +
                     config_text + (config.transport_verify_hostname ? "full" : "");
  for (const auto& v : {config.transport_ca_pems, config.rcs_client_ca_pems, config.transport_trust_restrictions}) {
    for (const std::string& s : v) text += "|" + s;
  }
  for (const auto& [k, v] : config.keystore) text += "|" + k + "=" + Fingerprint(v.expose());
  for (const auto& [k, v] : config.static_settings) text += "|" + k + "=" + v;
  *hash = Fingerprint(text);
  return config;
}

}  // namespace crosslink::sandbox::eck
