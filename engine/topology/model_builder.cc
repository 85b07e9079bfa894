#include "engine/topology/model_builder.h"

#include <algorithm>
#include <cctype>

#include "engine/core/secret.h"
#include "engine/topology/interpolate.h"
#include "engine/topology/schema.h"
#include "engine/topology/secret_ref.h"
#include "engine/topology/suggest.h"

namespace crosslink::topology {

namespace {

constexpr size_t kMaxEckNameLength = 36;

bool IsName(const std::string& s) {  // ^[a-z0-9][a-z0-9_-]*$
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

bool IsKubernetesName(const std::string& s) {  // ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// "Logs Prod" -> "logs-prod".
std::string NameLike(const std::string& s, bool kubernetes) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (!kubernetes && (c == '_' || c == '-') && !out.empty()) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "name" : out;
}

std::string ShortKubernetesName(const std::string& s) {
  std::string out = NameLike(s, true).substr(0, kMaxEckNameLength);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::optional<Platform> PlatformFromName(const std::string& name) {
  if (name == "eck") return Platform::kEck;
  if (name == "ech") return Platform::kEch;
  if (name == "ece") return Platform::kEce;
  if (name == "self") return Platform::kSelf;
  return std::nullopt;
}

// "eck", "ech", "ece", "self-managed".
std::string Display(const std::string& platform) {
  return platform == "self" ? "self-managed" : platform;
}

// "eck", "ech or ece", "ech, ece or self-managed".
std::string OneOf(const std::vector<std::string>& platforms) {
  std::string out;
  for (size_t i = 0; i < platforms.size(); ++i) {
    if (i > 0) out += i + 1 == platforms.size() ? " or " : ", ";
    out += Display(platforms[i]);
  }
  return out;
}

std::string Article(const std::string& word) {
  return (!word.empty() && std::string("aeiou").find(word[0]) != std::string::npos ? "an " : "a ") +
         word;
}

}  // namespace

std::optional<std::vector<int>> ParseVersion(const std::string& text) {
  std::vector<int> parts;
  size_t i = 0;
  while (i < text.size() && parts.size() < 3) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) break;
    int n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = std::min(n * 10 + (text[i] - '0'), 1000000);
      ++i;
    }
    parts.push_back(n);
    if (i < text.size() && text[i] == '.') {
      ++i;
    } else {
      break;
    }
  }
  if (parts.size() < 2) return std::nullopt;
  while (parts.size() < 3) parts.push_back(0);
  return parts;
}

bool VersionLess(const std::vector<int>& a, const std::vector<int>& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

std::string StringField(const Value& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

void TopologyBuilder::Error(const std::string& pointer, std::string summary, std::string hint,
                            bool at_key) {
  diags_->Error(at_key ? doc_.KeyLocation(pointer) : doc_.ValueLocation(pointer),
                doc_.FieldPath(pointer), std::move(summary), std::move(hint));
}

void TopologyBuilder::CheckNoUserInfo(const std::string& object_pointer, const Value& object,
                                      const std::string& key) {
  const std::string url = StringField(object, key.c_str());
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return;
  const size_t authority = scheme + 3;
  const std::string host_part = url.substr(authority, url.find('/', authority) - authority);
  if (host_part.find('@') == std::string::npos) return;
  Error(AppendPointer(object_pointer, key), "the URL carries a user name or password",
        "write it without \"user:password@\" and give the credentials under `credentials:` "
        "(the password as ${env:NAME} or ${file:path}); a URL is stored and shown in plain text");
}

void TopologyBuilder::Warning(const std::string& pointer, std::string summary, std::string hint,
                              bool at_key) {
  diags_->Warning(at_key ? doc_.KeyLocation(pointer) : doc_.ValueLocation(pointer),
                  doc_.FieldPath(pointer), std::move(summary), std::move(hint));
}

Topology TopologyBuilder::Build() {
  Topology t;
  t.file = doc_.file();
  const Value& root = doc_.root();
  if (root.is_object() && root.contains("version") && root["version"].is_number_integer()) {
    t.version = root["version"].get<int>();
  }
  BuildEnvironments(&t);
  BuildClusters(&t);
  BuildConnections(&t);
  return t;
}

void TopologyBuilder::CheckName(const std::string& pointer, const std::string& name,
                                const std::string& what) {
  if (IsName(name)) return;
  Error(pointer, "\"" + name + "\" is not a valid " + what + " name",
        "names use lower-case letters, digits, '-' and '_', and start with a letter or digit, "
        "e.g. \"" +
            NameLike(name, false) + "\"",
        /*at_key=*/true);
}

void TopologyBuilder::CheckApplicable(const std::string& pointer, const Value& object,
                                      const char* definition, Platform platform,
                                      const std::string& what) {
  const std::string platform_name = PlatformName(platform);
  for (auto it = object.begin(); it != object.end(); ++it) {
    std::vector<std::string> platforms = DefinitionPlatforms(definition, it.key());
    if (platforms.empty()) continue;
    if (std::find(platforms.begin(), platforms.end(), platform_name) != platforms.end()) continue;
    std::string child = AppendPointer(pointer, it.key());
    if (!Usable(child)) continue;
    Error(child,
          "\"" + it.key() + "\" does not apply to " + Article(Display(platform_name)) + " " + what,
          "\"" + it.key() + "\" is for " + OneOf(platforms) + " " + what + "s only; remove it",
          /*at_key=*/true);
  }
}

SecretRef TopologyBuilder::ParseSecret(const std::string& pointer, const Value& object,
                                       const char* key) {
  SecretRef ref;
  std::string child = AppendPointer(pointer, key);
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() || !Usable(child)) return ref;
  // The schema's "x-secret" keeps ${env:NAME} of this field from being
  // interpolated into plain text (interpolate.h): the two must agree.
  if (!IsSecretField(child)) {
    Error(child, "internal error: a secret field without \"x-secret\" in the schema",
          "report this bug; the field's value is not used");
    return ref;
  }
  Result<SecretRef> parsed = ParseSecretRef(it->get<std::string>());
  if (!parsed.ok()) {
    Error(child, parsed.status().message(),
          "write ${env:NAME} to read an environment variable, or ${file:path} to read a file");
    return ref;
  }
  ref = std::move(parsed).value();
  ref.location = doc_.ValueLocation(child);
  ref.field = doc_.FieldPath(child);
  if (ref.kind == SecretRef::Kind::kInline) {
    // Registered now so that no later log line or message can show it.
    Redactor::Register(ref.inline_value);
    Warning(child, "secret given inline; use ${env:NAME} or ${file:path}",
            "an inline secret travels with the file into version control, logs and backups");
  }
  return ref;
}

Credentials TopologyBuilder::BuildCredentials(const std::string& pointer, const Value& object) {
  Credentials cred;
  cred.location = doc_.ValueLocation(pointer);
  if (!object.is_object()) return cred;
  cred.username = StringField(object, "username");
  cred.password = ParseSecret(pointer, object, "password");
  cred.api_key = ParseSecret(pointer, object, "api_key");
  const bool has_user = object.contains("username");
  const bool has_password = object.contains("password");
  const bool has_api_key = object.contains("api_key");
  if (!Complete(pointer)) return cred;
  if (has_api_key && (has_user || has_password)) {
    Error(AppendPointer(pointer, "api_key"),
          "give either username and password, or api_key, not both",
          "keep username and password: creating cross-cluster API keys needs a user", true);
  } else if (has_user && !has_password) {
    Error(pointer, "\"username\" needs a \"password\"",
          "add password: ${env:NAME} or password: ${file:path}", true);
  } else if (has_password && !has_user) {
    Error(pointer, "\"password\" needs a \"username\"",
          "add the user's name, e.g. username: elastic", true);
  }
  return cred;
}

void TopologyBuilder::BuildEnvironments(Topology* t) {
  const Value& root = doc_.root();
  if (!root.is_object() || !root.contains("environments")) return;
  const std::string section = "/environments";
  const Value& envs = root["environments"];
  if (!envs.is_object() || !Usable(section)) {
    environments_usable_ = false;
    return;
  }
  for (auto it = envs.begin(); it != envs.end(); ++it) {
    const std::string pointer = AppendPointer(section, it.key());
    CheckName(pointer, it.key(), "environment");
    Environment env;
    env.name = it.key();
    env.location = doc_.KeyLocation(pointer);
    const Value& obj = it.value();
    if (!obj.is_object()) {
      t->environments.emplace(env.name, std::move(env));
      continue;
    }
    std::optional<Platform> platform = PlatformFromName(StringField(obj, "platform"));
    if (platform) {
      env.platform = *platform;
      CheckApplicable(pointer, obj, "environment", *platform, "environment");
    }
    env.kubeconfig = StringField(obj, "kubeconfig");
    env.context = StringField(obj, "context");
    env.endpoint = StringField(obj, "endpoint");
    CheckNoUserInfo(pointer, obj, "endpoint");
    env.organization_id = StringField(obj, "organization_id");
    env.ca_file = StringField(obj, "ca_file");
    env.version = env.platform == Platform::kEck ? StringField(obj, "operator_version")
                                                 : StringField(obj, "version");
    env.api_key = ParseSecret(pointer, obj, "api_key");
    if (platform == Platform::kEch) {
      if (env.endpoint.empty()) {
        env.endpoint = DefinitionDefault("environment", "endpoint").get<std::string>();
      }
      if (!obj.contains("api_key")) {
        Result<SecretRef> def =
            ParseSecretRef(DefinitionDefault("environment", "api_key").get<std::string>());
        if (def.ok()) {
          env.api_key = std::move(def).value();
          env.api_key.location = env.location;
          env.api_key.field = doc_.FieldPath(AppendPointer(pointer, "api_key"));
        }
      }
    }
    t->environments.emplace(env.name, std::move(env));
  }
}

void TopologyBuilder::BuildEck(const std::string& pointer, const Value& obj, Cluster* c) {
  c->namespace_ = StringField(obj, "namespace");
  if (c->namespace_.empty()) {
    c->namespace_ = DefinitionDefault("cluster", "namespace").get<std::string>();
  }
  c->es_name = StringField(obj, "name");
  if (obj.contains("name")) return;  // checked by the schema
  // The resource name defaults to the cluster's key, which must then be a
  // valid (and short enough) Kubernetes name.
  c->es_name = c->name;
  if (!IsName(c->name)) return;  // already reported as a bad cluster name
  if (!IsKubernetesName(c->name) || c->name.size() > kMaxEckNameLength) {
    std::string why = c->name.size() > kMaxEckNameLength ? "is longer than 36 characters"
                                                         : "is not a valid Kubernetes name";
    Error(pointer,
          "the cluster name \"" + c->name + "\" " + why +
              ", so it cannot be the Elasticsearch resource name",
          "set \"name\" to the resource's metadata.name (lower-case letters, digits and '-', at "
          "most 36 characters), e.g. name: " +
              ShortKubernetesName(c->name),
          /*at_key=*/true);
  }
}

// remote_cluster_certificate of the cluster `object` at `pointer` (the
// block's own pointer), or nullopt when absent. The schema checked types and
// ranges; here the renewal window is checked against the validities it
// would renew (a window at least as long would re-issue on every plan).
std::optional<RemoteClusterCertificate> TopologyBuilder::BuildRemoteClusterCertificate(
    const std::string& pointer, const Value& object) {
  auto it = object.find("remote_cluster_certificate");
  if (it == object.end() || !it->is_object() || !Usable(pointer)) return std::nullopt;
  RemoteClusterCertificate rc;
  rc.location = doc_.ValueLocation(pointer);
  const Value& block = *it;
  auto integer = [&](const char* key) -> std::optional<int> {
    auto f = block.find(key);
    if (f == block.end() || !f->is_number_integer() || !Usable(AppendPointer(pointer, key))) {
      return std::nullopt;
    }
    return f->get<int>();
  };
  if (auto k = block.find("key_type"); k != block.end() && k->is_string()) {
    rc.key_type = k->get<std::string>();
  }
  rc.validity_days = integer("validity_days");
  rc.ca_validity_days = integer("ca_validity_days");
  rc.renew_before_days = integer("renew_before_days");
  const std::string renew_ptr = AppendPointer(pointer, "renew_before_days");
  const bool renew_known = !block.contains("renew_before_days") || rc.renew_before_days;
  const int renew = rc.EffectiveRenewBeforeDays();
  auto check = [&](const char* field, bool known, int days, const char* what) {
    if (!known || renew < days) return;
    const bool given = rc.renew_before_days.has_value();
    Error(given ? renew_ptr : AppendPointer(pointer, field),
          "renew_before_days (" + std::to_string(renew) + (given ? "" : ", the default") +
              ") must be less than " + field + " (" + std::to_string(days) +
              (block.contains(field) ? "" : ", the default") + "): every plan would renew the " +
              what,
          std::string("lower renew_before_days or raise ") + field + ", e.g. renew_before_days: " +
              std::to_string(std::max(0, std::min(days / 10, 30))),
          /*at_key=*/true);
  };
  const bool validity_known = !block.contains("validity_days") || rc.validity_days;
  const bool ca_known = !block.contains("ca_validity_days") || rc.ca_validity_days;
  if (renew_known) {
    check("validity_days", validity_known, rc.EffectiveValidityDays(), "server certificate");
    if (!(renew >= rc.EffectiveValidityDays() && validity_known)) {
      check("ca_validity_days", ca_known, rc.EffectiveCaValidityDays(), "CA");
    }
  }
  return rc;
}

void TopologyBuilder::BuildClusters(Topology* t) {
  const Value& root = doc_.root();
  if (!root.is_object() || !root.contains("clusters")) return;
  const std::string section = "/clusters";
  const Value& clusters = root["clusters"];
  if (!clusters.is_object() || !Usable(section)) {
    clusters_usable_ = false;
    return;
  }
  std::vector<std::string> env_names;
  for (const auto& [name, env] : t->environments) env_names.push_back(name);

  for (auto it = clusters.begin(); it != clusters.end(); ++it) {
    const std::string pointer = AppendPointer(section, it.key());
    CheckName(pointer, it.key(), "cluster");
    Cluster c;
    c.name = it.key();
    c.location = doc_.KeyLocation(pointer);
    const Value& obj = it.value();
    if (!obj.is_object()) {
      t->clusters.emplace(c.name, std::move(c));
      continue;
    }
    c.environment = StringField(obj, "environment");
    c.version = StringField(obj, "version");
    c.url = StringField(obj, "url");
    CheckNoUserInfo(pointer, obj, "url");
    c.ca_file = StringField(obj, "ca_file");
    const bool has_env = obj.contains("environment");
    const bool has_platform = obj.contains("platform");
    const std::string env_ptr = AppendPointer(pointer, "environment");
    const std::string platform_ptr = AppendPointer(pointer, "platform");
    bool certain = false;
    if (has_env && has_platform) {
      if (Usable(platform_ptr)) {
        Error(platform_ptr, "give either \"environment\" or \"platform: self\", not both",
              "a cluster in an environment gets its platform from there; remove \"platform\"",
              true);
      }
    } else if (has_platform) {
      if (Usable(platform_ptr)) {
        c.platform = Platform::kSelf;
        certain = true;
      }
    } else if (has_env) {
      if (Usable(env_ptr) && environments_usable_) {
        const Environment* env = t->FindEnvironment(c.environment);
        if (env == nullptr) {
          Error(env_ptr, "unknown environment \"" + c.environment + "\"",
                SuggestName(c.environment, env_names, "known environments"));
        } else {
          const Value* env_obj = doc_.Find(AppendPointer("/environments", c.environment));
          c.platform = env->platform;
          certain = env_obj != nullptr && env_obj->is_object() &&
                    PlatformFromName(StringField(*env_obj, "platform")).has_value();
        }
      }
    } else if (Complete(pointer)) {
      Error(pointer, "cluster \"" + c.name + "\" has neither an environment nor \"platform: self\"",
            "add \"environment: NAME\" (known environments: " + JoinNames(env_names) +
                ") or \"platform: self\" for a self-managed cluster",
            /*at_key=*/true);
    }
    c.credentials = BuildCredentials(AppendPointer(pointer, "credentials"),
                                     obj.contains("credentials") ? obj["credentials"] : Value());
    if (certain) {
      certain_clusters_.insert(c.name);
      CheckApplicable(pointer, obj, "cluster", c.platform, "cluster");
      if (c.platform == Platform::kEck) BuildEck(pointer, obj, &c);
      if ((c.platform == Platform::kEch || c.platform == Platform::kEce) &&
          !obj.contains("deployment_id") && Complete(pointer)) {
        Error(pointer, "missing required field \"deployment_id\"",
              "add \"deployment_id\". The 32-character id of the " +
                  std::string(PlatformName(c.platform)) + " deployment, as shown in the console",
              true);
      }
    }
    c.deployment_id = StringField(obj, "deployment_id");
    c.ref_id = StringField(obj, "ref_id");
    c.transport_address = StringField(obj, "transport_address");
    c.remote_cluster_address = StringField(obj, "remote_cluster_address");
    c.remote_cluster_certificate = BuildRemoteClusterCertificate(
        AppendPointer(pointer, "remote_cluster_certificate"), obj);
    if (obj.contains("nodes") && obj["nodes"].is_array()) {
      const std::string nodes_ptr = AppendPointer(pointer, "nodes");
      const std::string default_delivery = DefinitionDefault("node", "delivery").get<std::string>();
      for (size_t i = 0; i < obj["nodes"].size(); ++i) {
        const Value& n = obj["nodes"][i];
        NodeDelivery node;
        node.location = doc_.ValueLocation(AppendPointer(nodes_ptr, i));
        node.name = StringField(n, "name");
        std::string delivery = StringField(n, "delivery");
        if (delivery.empty()) delivery = default_delivery;
        node.kind = delivery == "bundle" ? NodeDelivery::Kind::kBundle : NodeDelivery::Kind::kLocal;
        node.home = StringField(n, "home");
        node.restart = StringField(n, "restart");
        node.bundle_dir = StringField(n, "bundle_dir");
        if (n.is_object() && n.contains("hosts") && n["hosts"].is_array()) {
          for (const Value& h : n["hosts"]) {
            if (h.is_string()) node.hosts.push_back(h.get<std::string>());
          }
        }
        c.nodes.push_back(std::move(node));
      }
    }
    t->clusters.emplace(c.name, std::move(c));
  }
}

}  // namespace crosslink::topology
