#include "sandbox/self/install.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include "engine/core/filesystem.h"
#include "sandbox/self/keystore.h"
#include "sandbox/util.h"

namespace crosslink::sandbox::self {
namespace {

constexpr const char* kHttpSsl = "xpack.security.http.ssl";
constexpr const char* kTransportSsl = "xpack.security.transport.ssl";
constexpr const char* kRcsSsl = "xpack.security.remote_cluster_server.ssl";
constexpr const char* kRcsClientSsl = "xpack.security.remote_cluster_client.ssl";

Status WriteFile(const std::string& path, const std::string& data, uint32_t mode) {
  return NewPosixFileSystem()->WriteFileAtomic(path, data, mode);
}

Status Flatten(const YAML::Node& node, const std::string& prefix, FlatSettings* out) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      for (const auto& kv : node) {
        std::string key = kv.first.as<std::string>();
        CROSSLINK_RETURN_IF_ERROR(Flatten(kv.second, prefix.empty() ? key : prefix + "." + key, out));
      }
      return Status::Ok();
    case YAML::NodeType::Sequence: {
      std::vector<std::string> values;
      for (const auto& item : node) {
        if (!item.IsScalar()) return Status::InvalidArgument("setting [" + prefix + "] must be a list of values");
        values.push_back(item.Scalar());
      }
      if (out->count(prefix)) return Status::InvalidArgument("duplicate settings key [" + prefix + "]");
      (*out)[prefix] = values;
      return Status::Ok();
    }
    case YAML::NodeType::Scalar:
      if (out->count(prefix)) return Status::InvalidArgument("duplicate settings key [" + prefix + "]");
      (*out)[prefix] = {node.Scalar()};
      return Status::Ok();
    default:  // null: the setting is unset
      return Status::Ok();
  }
}

// Reads settings and files of one node home.
class NodeReader {
 public:
  NodeReader(std::string home, FlatSettings settings, std::map<std::string, Secret> keystore)
      : home_(std::move(home)), settings_(std::move(settings)), keystore_(std::move(keystore)) {}

  std::optional<std::string> Get(const std::string& key) const {
    auto it = settings_.find(key);
    if (it == settings_.end() || it->second.empty()) return std::nullopt;
    return it->second.front();
  }
  std::vector<std::string> GetList(const std::string& key) const {
    auto it = settings_.find(key);
    if (it == settings_.end()) return {};
    std::vector<std::string> out;
    for (const std::string& v : it->second) {
      size_t start = 0;
      while (start <= v.size()) {  // "a.crt,b.crt" as ES's list parsing allows
        size_t comma = v.find(',', start);
        std::string part = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!part.empty() && part.front() == ' ') part.erase(part.begin());
        while (!part.empty() && part.back() == ' ') part.pop_back();
        if (!part.empty()) out.push_back(part);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    return out;
  }
  Result<bool> GetBool(const std::string& key, bool fallback) const {
    auto v = Get(key);
    if (!v) return fallback;
    if (*v == "true") return true;
    if (*v == "false") return false;
    return Status::FailedPrecondition("Failed to parse value [" + *v + "] as only [true] or [false] are allowed.");
  }
  std::string ConfigPath(const std::string& path) const {
    return !path.empty() && path.front() == '/' ? path : home_ + "/config/" + path;
  }
  std::optional<Secret> Secure(const std::string& key) const {
    auto it = keystore_.find(key);
    if (it == keystore_.end()) return std::nullopt;
    return it->second;
  }
  bool Has(const std::string& key) const { return settings_.count(key) > 0; }
  const FlatSettings& settings() const { return settings_; }
  const std::map<std::string, Secret>& keystore() const { return keystore_; }

  Result<std::string> ReadConfigFile(const std::string& prefix, const std::string& what, const std::string& path) const {
    auto fs = NewPosixFileSystem();
    std::string abs = ConfigPath(path);
    if (!fs->Exists(abs)) {
      return Status::FailedPrecondition("failed to load SSL configuration [" + prefix + "] - cannot read configured " +
                                        what + " [" + abs + "] because the file does not exist");
    }
    Result<std::string> data = fs->ReadFile(abs);
    if (!data.ok()) {
      return Status::FailedPrecondition("failed to load SSL configuration [" + prefix + "] - cannot read configured " +
                                        what + " [" + abs + "] because access to read the file is blocked");
    }
    return data;
  }

  // The key and certificate of an SSL context: keystore.path (PKCS#12) or
  // certificate + key (PEM). nullptr when none is configured.
  Result<std::shared_ptr<const pki::Identity>> Identity(const std::string& prefix) const {
    auto keystore_path = Get(prefix + ".keystore.path");
    if (keystore_path) {
      std::string type = Get(prefix + ".keystore.type").value_or("PKCS12");
      if (type != "PKCS12" && type != "pkcs12") {
        return Status::FailedPrecondition("failed to load SSL configuration [" + prefix + "] - the sandbox reads [PKCS12] keystores only, not [" + type + "]");
      }
      Result<std::string> der = ReadConfigFile(prefix, "[PKCS12] keystore", *keystore_path);
      if (!der.ok()) return der.status();
      Secret password = Secure(prefix + ".keystore.secure_password")
                            .value_or(Secret(Get(prefix + ".keystore.password").value_or("")));
      Result<pki::Identity> id = pki::ReadPkcs12(*der, password);
      if (!id.ok()) {
        std::string abs = ConfigPath(*keystore_path);
        if (id.status().code() == StatusCode::kPermissionDenied) {
          return Status::FailedPrecondition("failed to load SSL configuration [" + prefix +
                                            "] - cannot read configured [PKCS12] keystore [" + abs +
                                            "] - this is usually caused by an incorrect password; (a keyed PKCS12 "
                                            "keystore with no password is not supported)");
        }
        return Status::FailedPrecondition("failed to load SSL configuration [" + prefix +
                                          "] - cannot read configured [PKCS12] keystore [" + abs +
                                          "]: " + id.status().message());
      }
      return std::make_shared<const pki::Identity>(std::move(id).value());
    }
    auto cert_path = Get(prefix + ".certificate");
    auto key_path = Get(prefix + ".key");
    if (cert_path && key_path) {
      Result<std::string> cert = ReadConfigFile(prefix, "PEM certificate", *cert_path);
      if (!cert.ok()) return cert.status();
      Result<std::string> key = ReadConfigFile(prefix, "PEM private key", *key_path);
      if (!key.ok()) return key.status();
      Secret key_pem(*key);
      if (!pki::KeyMatchesCertificate(*cert, key_pem)) {
        return Status::FailedPrecondition("failed to load SSL configuration [" + prefix +
                                          "] - the configured PEM certificate [" + ConfigPath(*cert_path) +
                                          "] does not match the private key [" + ConfigPath(*key_path) + "]");
      }
      return std::make_shared<const pki::Identity>(pki::Identity{*cert, key_pem});
    }
    return std::shared_ptr<const pki::Identity>();
  }

  Result<std::shared_ptr<const pki::Identity>> RequiredIdentity(const std::string& prefix) const {
    auto id = Identity(prefix);
    if (id.ok() && !*id) {
      return Status::FailedPrecondition(
          "invalid SSL configuration for " + prefix +
          " - server ssl configuration requires a key and certificate, but these have not been configured; you "
          "must set either [" + prefix + ".keystore.path], or both [" + prefix + ".key] and [" + prefix +
          ".certificate]");
    }
    return id;
  }

  // ES's SslConfigurationLoader.buildTrustConfig: a context trusts either
  // PEM certificate_authorities or a truststore, never both (an empty list
  // still counts as set).
  Status ExclusiveTrust(const std::string& prefix) const {
    const std::string cas = prefix + ".certificate_authorities";
    const std::string truststore = prefix + ".truststore.path";
    if (Has(cas) && Has(truststore)) {
      return Status::FailedPrecondition("failed to load SSL configuration [" + prefix + "] - cannot specify both [" +
                                        cas + "] and [" + truststore + "]");
    }
    return Status::Ok();
  }

  // PEM CA files of `<prefix>.certificate_authorities`.
  Status CertificateAuthorities(const std::string& prefix, std::vector<std::string>* out) const {
    for (const std::string& path : GetList(prefix + ".certificate_authorities")) {
      Result<std::string> pem = ReadConfigFile(prefix, "PEM certificate_authorities", path);
      if (!pem.ok()) return pem.status();
      std::vector<std::string> certs = pki::SplitPemCertificates(*pem);
      if (certs.empty()) {
        return Status::FailedPrecondition("failed to load SSL configuration [" + prefix +
                                          "] - cannot load PEM certificate_authorities [" + ConfigPath(path) +
                                          "]: the file contains no certificate");
      }
      out->insert(out->end(), certs.begin(), certs.end());
    }
    return Status::Ok();
  }

 private:
  std::string home_;
  FlatSettings settings_;
  std::map<std::string, Secret> keystore_;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Status WriteInstall(const InstallSpec& spec) {
  auto fs = NewPosixFileSystem();
  for (const char* dir : {"/config/certs", "/bin", "/data", "/logs"}) {
    CROSSLINK_RETURN_IF_ERROR(fs->MakeDirs(spec.home + dir, 0750));
  }
  pki::CertificateSpec http;
  http.common_name = spec.node;
  http.dns_names = {spec.cluster + ".self.localhost", "localhost"};
  http.ip_addresses = {spec.address};
  auto http_id = pki::IssueCertificate(http, *spec.http_ca);
  if (!http_id.ok()) return http_id.status().WithContext("http certificate");
  pki::CertificateSpec transport;
  transport.common_name = spec.node;
  transport.dns_names = {spec.node};
  transport.ip_addresses = {spec.address};
  transport.other_names = {spec.node + "." + spec.cluster + ".self.localhost"};
  auto transport_id = pki::IssueCertificate(transport, *spec.transport_ca);
  if (!transport_id.ok()) return transport_id.status().WithContext("transport certificate");

  Secret http_pw(RandomString(20, kAlphanumeric)), transport_pw(RandomString(20, kAlphanumeric));
  auto http_p12 = pki::WritePkcs12(*http_id, http_pw);
  if (!http_p12.ok()) return http_p12.status();
  auto transport_p12 = pki::WritePkcs12(*transport_id, transport_pw);
  if (!transport_p12.ok()) return transport_p12.status();
  const std::string certs = spec.home + "/config/certs/";
  CROSSLINK_RETURN_IF_ERROR(WriteFile(certs + "http.p12", *http_p12, 0660));
  CROSSLINK_RETURN_IF_ERROR(WriteFile(certs + "http_ca.crt", spec.http_ca->LeafPem(), 0660));
  CROSSLINK_RETURN_IF_ERROR(WriteFile(certs + "transport.p12", *transport_p12, 0660));
  CROSSLINK_RETURN_IF_ERROR(WriteFile(certs + "transport_ca.crt", spec.transport_ca->LeafPem(), 0660));

  Keystore ks = Keystore::Create(Secret());
  ks.Set("xpack.security.http.ssl.keystore.secure_password", http_pw);
  ks.Set("xpack.security.transport.ssl.keystore.secure_password", transport_pw);
  ks.Set("xpack.security.transport.ssl.truststore.secure_password", transport_pw);
  CROSSLINK_RETURN_IF_ERROR(ks.Save(KeystorePath(spec.home)));

  std::string masters;
  for (const std::string& n : spec.initial_master_nodes) masters += (masters.empty() ? "\"" : ", \"") + n + "\"";
  std::string yml =
      "# ======================== Elasticsearch Configuration =========================\n"
      "cluster.name: " + spec.cluster + "\n"
      "node.name: " + spec.node + "\n"
      "network.host: " + spec.address + "\n"
      "http.port: 9200\n"
      "transport.port: 9300\n"
      "\n"
      "#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------\n"
      "# Enable security features\n"
      "xpack.security.enabled: true\n"
      "xpack.security.enrollment.enabled: true\n"
      "\n"
      "# Enable encryption for HTTP API client connections, such as Kibana, Logstash, and Agents\n"
      "xpack.security.http.ssl:\n"
      "  enabled: true\n"
      "  keystore.path: certs/http.p12\n"
      "\n"
      "# Enable encryption and mutual authentication between cluster nodes\n"
      "xpack.security.transport.ssl:\n"
      "  enabled: true\n"
      "  verification_mode: certificate\n"
      "  keystore.path: certs/transport.p12\n"
      "  truststore.path: certs/transport.p12\n"
      "cluster.initial_master_nodes: [" + masters + "]\n"
      "#----------------------- END SECURITY AUTO CONFIGURATION -------------------------\n";
  return WriteFile(spec.home + "/config/elasticsearch.yml", yml, 0660);
}

Status WriteInstallScripts(const std::string& home, const std::string& sandbox_binary, const std::string& restart_url) {
  std::string keystore = "#!/bin/sh\n# crosslink sandbox stand-in for elasticsearch-keystore\nexec " + Quote(sandbox_binary) +
                         " keystore --home " + Quote(home) + " \"$@\"\n";
  std::string restart =
      "#!/bin/sh\n# Restarts this node of the crosslink sandbox (re-reads config/ and the keystore).\n" +
      (restart_url.empty() ? std::string("echo 'the sandbox control URL is unknown' >&2\nexit 1\n")
                           : "exec curl -fsS -X POST " + Quote(restart_url) + "\n");
  CROSSLINK_RETURN_IF_ERROR(WriteFile(home + "/bin/elasticsearch-keystore", keystore, 0755));
  return WriteFile(home + "/bin/restart", restart, 0755);
}

Result<FlatSettings> ParseFlatYaml(const std::string& text) {
  FlatSettings out;
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsNull() && !root.IsMap()) return Status::InvalidArgument("settings must be a mapping");
    CROSSLINK_RETURN_IF_ERROR(Flatten(root, "", &out));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("malformed YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return out;
}

Result<std::map<std::string, Secret>> ReadKeystoreEntries(const std::string& home, const Secret& password) {
  Result<Keystore> ks = Keystore::Load(KeystorePath(home), password);
  if (!ks.ok()) return ks.status();
  return ks->entries();
}

Result<NodeStartConfig> ReadNodeConfig(const std::string& home) {
  auto fs = NewPosixFileSystem();
  const std::string yml_path = home + "/config/elasticsearch.yml";
  Result<std::string> yml = fs->ReadFile(yml_path);
  if (!yml.ok()) return Status::FailedPrecondition("cannot read [" + yml_path + "]: " + yml.status().message());
  Result<FlatSettings> settings = ParseFlatYaml(*yml);
  if (!settings.ok()) {
    return Status::FailedPrecondition("Failed to load settings from [" + yml_path + "]: " + settings.status().message());
  }

  // The keystore, opened with the bootstrap password file if any; ES creates
  // a missing keystore at startup.
  Secret password;
  if (fs->Exists(home + "/config/.keystore_password")) {
    Result<std::string> pw = fs->ReadFile(home + "/config/.keystore_password");
    if (!pw.ok()) return pw.status();
    std::string value = *pw;
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    password = Secret(value);
  }
  std::map<std::string, Secret> keystore;
  Result<Keystore> ks = Keystore::Load(KeystorePath(home), password);
  if (ks.ok()) {
    keystore = ks->entries();
  } else if (ks.status().code() == StatusCode::kNotFound) {
    Keystore created = Keystore::Create(password);
    CROSSLINK_RETURN_IF_ERROR(created.Save(KeystorePath(home)));
    keystore = created.entries();
  } else if (ks.status().code() == StatusCode::kPermissionDenied) {
    return Status::FailedPrecondition("ElasticsearchSecurityException: " + ks.status().message());
  } else {
    return Status::FailedPrecondition(ks.status().message());
  }

  NodeReader r(home, std::move(settings).value(), keystore);
  for (const char* prefix : {kHttpSsl, kTransportSsl, kRcsSsl, kRcsClientSsl}) {
    CROSSLINK_RETURN_IF_ERROR(r.ExclusiveTrust(prefix));
  }
  NodeStartConfig out;
  out.cluster_name = r.Get("cluster.name").value_or("elasticsearch");
  out.node_name = r.Get("node.name").value_or("node-0");
  es::NodeConfig& c = out.config;

  Result<bool> security = r.GetBool("xpack.security.enabled", true);
  if (!security.ok()) return security.status();
  Result<bool> http_ssl = r.GetBool(std::string(kHttpSsl) + ".enabled", false);
  if (!http_ssl.ok()) return http_ssl.status();
  if (!*security || !*http_ssl) {
    return Status::FailedPrecondition(
        "the sandbox simulates secured clusters only: set xpack.security.enabled and "
        "xpack.security.http.ssl.enabled to true");
  }
  auto http = r.RequiredIdentity(kHttpSsl);
  if (!http.ok()) return http.status();
  c.http_identity = *http;

  auto transport = r.RequiredIdentity(kTransportSsl);
  if (!transport.ok()) return transport.status();
  c.transport_identity = *transport;
  if (auto truststore = r.Get(std::string(kTransportSsl) + ".truststore.path")) {
    Result<std::string> der = r.ReadConfigFile(kTransportSsl, "[PKCS12] truststore", *truststore);
    if (!der.ok()) return der.status();
    Secret pw = r.Secure(std::string(kTransportSsl) + ".truststore.secure_password").value_or(Secret());
    Result<pki::Identity> trust = pki::ReadPkcs12(*der, pw);
    if (!trust.ok()) {
      return Status::FailedPrecondition("failed to load SSL configuration [" + std::string(kTransportSsl) +
                                        "] - cannot read configured [PKCS12] truststore [" + r.ConfigPath(*truststore) +
                                        "] - this is usually caused by an incorrect password");
    }
    std::vector<std::string> certs = pki::SplitPemCertificates(trust->chain_pem);
    // The trusted entries: the CA chain stored with the node's key.
    c.transport_ca_pems.insert(c.transport_ca_pems.end(), certs.size() > 1 ? certs.begin() + 1 : certs.begin(),
                               certs.end());
  }
  CROSSLINK_RETURN_IF_ERROR(r.CertificateAuthorities(kTransportSsl, &c.transport_ca_pems));
  std::string mode = r.Get(std::string(kTransportSsl) + ".verification_mode").value_or("full");
  if (mode != "full" && mode != "certificate" && mode != "none") {
    return Status::FailedPrecondition("unknown verification mode [" + mode + "] for setting [" +
                                      std::string(kTransportSsl) + ".verification_mode]");
  }
  c.transport_verify_hostname = mode == "full";
  if (auto restrictions = r.Get(std::string(kTransportSsl) + ".trust_restrictions.path")) {
    Result<std::string> text = r.ReadConfigFile(kTransportSsl, "trust restrictions", *restrictions);
    if (!text.ok()) return text.status();
    Result<FlatSettings> parsed = ParseFlatYaml(*text);
    if (!parsed.ok()) {
      return Status::FailedPrecondition("failed to load trust restrictions [" + r.ConfigPath(*restrictions) +
                                        "]: " + parsed.status().message());
    }
    auto it = parsed->find("trust.subject_name");
    if (it != parsed->end()) c.transport_trust_restrictions = it->second;
  }

  Result<bool> rcs = r.GetBool("remote_cluster_server.enabled", false);
  if (!rcs.ok()) return rcs.status();
  c.rcs_enabled = *rcs;
  if (c.rcs_enabled) {
    Result<bool> rcs_ssl = r.GetBool(std::string(kRcsSsl) + ".enabled", true);
    if (!rcs_ssl.ok()) return rcs_ssl.status();
    if (!*rcs_ssl) {
      return Status::FailedPrecondition("the sandbox simulates a TLS remote cluster server only: " +
                                        std::string(kRcsSsl) + ".enabled must be true");
    }
    auto id = r.RequiredIdentity(kRcsSsl);
    if (!id.ok()) return id.status();
    c.rcs_identity = *id;
    std::string port = r.Get("remote_cluster.port").value_or("9443");
    char* end = nullptr;
    long value = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || value < 1 || value > 65535) {
      return Status::FailedPrecondition("Failed to parse value [" + port + "] for setting [remote_cluster.port]");
    }
    out.rcs_port = static_cast<uint16_t>(value);
  }
  CROSSLINK_RETURN_IF_ERROR(r.CertificateAuthorities(kRcsClientSsl, &c.rcs_client_ca_pems));

  for (const auto& [key, values] : r.settings()) {
    if (key.rfind("cluster.remote.", 0) != 0) continue;
    std::string joined;
    for (const std::string& v : values) joined += (joined.empty() ? "" : ",") + v;
    c.static_settings[key] = joined;
  }
  c.keystore = r.keystore();
  return out;
}

}  // namespace crosslink::sandbox::self
