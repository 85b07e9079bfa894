#include "sandbox/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace crosslink::sandbox {
namespace {

// Errors carry "file:line:col: field: message" so a user finds the spot.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  Status Error(const YAML::Node& node, const std::string& field, const std::string& message) const {
    const YAML::Mark mark = node.Mark();
    std::string where = file_;
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    return Status::InvalidArgument(where + ": " + field + ": " + message);
  }

  // YAML scalar/sequence/mapping -> JSON. Scalars stay strings unless they
  // are plain booleans or integers (so `nodes: 3` is a number, `"3"` a string).
  static Value ToJson(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        Value out = Value::object();
        for (const auto& kv : node) out[kv.first.as<std::string>()] = ToJson(kv.second);
        return out;
      }
      case YAML::NodeType::Sequence: {
        Value out = Value::array();
        for (const auto& item : node) out.push_back(ToJson(item));
        return out;
      }
      case YAML::NodeType::Scalar: {
        const std::string& text = node.Scalar();
        if (node.Tag() == "!") return text;  // quoted
        if (text == "true") return true;
        if (text == "false") return false;
        static const std::regex kInt("^-?[0-9]+$");
        static const std::regex kFloat("^-?[0-9]+\\.[0-9]+$");
        if (std::regex_match(text, kInt)) return std::stoll(text);
        if (std::regex_match(text, kFloat)) return std::stod(text);
        return text;
      }
      default:
        return nullptr;
    }
  }

 private:
  std::string file_;
};

const std::regex& KeyPattern() {
  static const std::regex kKey("^[a-z0-9][a-z0-9-]*$");
  return kKey;
}

Status ReadEnvironments(const Reader& r, const YAML::Node& node, SandboxConfig* config) {
  if (!node.IsMap()) return r.Error(node, "environments", "must be a mapping of environment names");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const std::string field = "environments." + key;
    if (!std::regex_match(key, KeyPattern()) || key == "self") {
      return r.Error(kv.first, field,
                     "environment names are lower-case letters, digits and '-' (and not \"self\")");
    }
    if (!kv.second.IsMap()) return r.Error(kv.second, field, "must be a mapping");
    EnvironmentConfig env;
    env.key = key;
    env.settings = Reader::ToJson(kv.second);
    const YAML::Node platform = kv.second["platform"];
    if (!platform) return r.Error(kv.second, field + ".platform", "is required (eck, ech or ece)");
    env.platform = platform.as<std::string>();
    if (env.platform != "eck" && env.platform != "ech" && env.platform != "ece") {
      return r.Error(platform, field + ".platform",
                     "must be eck, ech or ece (self-managed clusters take `platform: self` and no environment)");
    }
    config->environments.push_back(std::move(env));
  }
  return Status::Ok();
}

Status ReadClusters(const Reader& r, const YAML::Node& node, SandboxConfig* config) {
  if (!node.IsMap()) return r.Error(node, "clusters", "must be a mapping of cluster names");
  std::set<std::string> environments;
  for (const auto& env : config->environments) environments.insert(env.key);
  static const std::regex kVersion("^[0-9]+\\.[0-9]+\\.[0-9]+$");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const std::string field = "clusters." + key;
    if (!std::regex_match(key, KeyPattern())) {
      return r.Error(kv.first, field, "cluster names are lower-case letters, digits and '-'");
    }
    if (!kv.second.IsMap()) return r.Error(kv.second, field, "must be a mapping");
    ClusterConfig cluster;
    cluster.key = key;
    cluster.settings = Reader::ToJson(kv.second);
    const YAML::Node env = kv.second["environment"];
    const YAML::Node platform = kv.second["platform"];
    if (env && platform) {
      return r.Error(kv.second, field, "give either environment or platform: self, not both");
    }
    if (env) {
      cluster.environment = env.as<std::string>();
      if (!environments.count(cluster.environment)) {
        return r.Error(env, field + ".environment",
                       "no environment \"" + cluster.environment + "\" is defined under environments");
      }
    } else if (!platform || platform.as<std::string>() != "self") {
      return r.Error(kv.second, field,
                     "needs environment: <name> (eck, ech, ece) or platform: self");
    }
    if (const YAML::Node version = kv.second["version"]) {
      cluster.version = version.as<std::string>();
      if (!std::regex_match(cluster.version, kVersion)) {
        return r.Error(version, field + ".version", "must look like \"8.15.0\" (quote it)");
      }
    }
    if (const YAML::Node license = kv.second["license"]) {
      cluster.license = license.as<std::string>();
      static const std::set<std::string> kLicenses = {"basic", "gold", "platinum", "enterprise", "trial"};
      if (!kLicenses.count(cluster.license)) {
        return r.Error(license, field + ".license", "must be basic, gold, platinum, enterprise or trial");
      }
    }
    config->clusters.push_back(std::move(cluster));
  }
  return Status::Ok();
}

Status ReadFaults(const Reader& r, const YAML::Node& node, SandboxConfig* config) {
  if (!node.IsSequence()) return r.Error(node, "faults", "must be a list");
  int index = 0;
  for (const auto& item : node) {
    const std::string field = "faults[" + std::to_string(index++) + "]";
    if (!item.IsMap() || !item["target"]) {
      return r.Error(item, field, "needs target: <listener or route glob>, e.g. \"es/prod/*\"");
    }
    Value json = Reader::ToJson(item);
    FaultRule rule;
    rule.target = json["target"].get<std::string>();
    json.erase("target");
    auto spec = net::FaultSpec::FromJson(json);
    if (!spec.ok()) return r.Error(item, field, spec.status().message());
    rule.spec = *spec;
    config->faults.push_back(std::move(rule));
  }
  return Status::Ok();
}

}  // namespace

Result<SandboxConfig> LoadSandboxConfigString(const std::string& text, const std::string& file_name) {
  Reader r(file_name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) return r.Error(root, "(top)", "the sandbox config must be a mapping");
  SandboxConfig config;
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      Status s;
      if (key == "environments") {
        s = ReadEnvironments(r, kv.second, &config);
      } else if (key == "clusters") {
        s = ReadClusters(r, kv.second, &config);
      } else if (key == "faults") {
        s = ReadFaults(r, kv.second, &config);
      } else if (key == "workers") {
        config.workers = kv.second.as<int>();
        if (config.workers < 1 || config.workers > 256) {
          s = r.Error(kv.second, "workers", "must be between 1 and 256");
        }
      } else {
        s = r.Error(kv.first, key, "unknown field (expected environments, clusters, faults, workers)");
      }
      if (!s.ok()) return s;
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (config.clusters.empty()) {
    return r.Error(root, "clusters", "define at least one cluster to simulate");
  }
  return config;
}

Result<SandboxConfig> LoadSandboxConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open the sandbox config");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadSandboxConfigString(buffer.str(), path);
}

}  // namespace crosslink::sandbox
