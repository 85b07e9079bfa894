// TopologyBuilder: the `connections` section and its checks.
#include <map>
#include <utility>

#include "engine/topology/model_builder.h"
#include "engine/topology/schema.h"
#include "engine/topology/suggest.h"

namespace crosslink::topology {

namespace {

const std::vector<int> kApiKeyMinEs = {8, 14, 0};
const std::vector<int> kRemoteClusterPrivilegeMinEs = {8, 15, 0};
const std::vector<int> kCertificateDeprecatedEs = {9, 0, 0};
const std::vector<int> kApiKeyMinEck = {2, 16, 0};

// Whether clusters of versions `a` and `b` can be remote clusters of each
// other, either way (DOMAIN.md §0, [S9]): the same major always; 7.17 with
// 8.x; 8.18 with 9.0 only; 8.19 with 9.x. Majors two apart never. Pairs the
// table does not cover (before 7, after 9) are not refused.
bool RemoteCompatible(std::vector<int> a, std::vector<int> b) {
  if (a[0] == b[0]) return true;
  if (a[0] > b[0]) std::swap(a, b);
  if (b[0] - a[0] >= 2) return false;
  if (a[0] == 7) return a[1] == 17;
  if (a[0] == 8) return a[1] == 19 || (a[1] == 18 && b[1] == 0);
  return true;
}

std::vector<std::string> Names(const Value& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array()) {
    for (const Value& x : v) {
      if (x.is_string()) out.push_back(x.get<std::string>());
    }
  }
  return out;
}

IndexAccess BuildIndexAccess(const Value& entry, const SourceLocation& location) {
  IndexAccess a;
  a.location = location;
  if (!entry.is_object()) return a;
  if (entry.contains("names")) a.names = Names(entry["names"]);
  if (entry.contains("allow_restricted_indices") &&
      entry["allow_restricted_indices"].is_boolean()) {
    a.allow_restricted_indices = entry["allow_restricted_indices"].get<bool>();
  }
  if (entry.contains("field_security")) a.field_security = entry["field_security"];
  if (entry.contains("query")) a.query = entry["query"];
  return a;
}

}  // namespace

Connection TopologyBuilder::BuildConnection(const std::string& pointer, const Value& obj) {
  Connection c;
  c.location = doc_.ValueLocation(pointer);
  c.local = StringField(obj, "local");
  c.remote = StringField(obj, "remote");
  c.alias = obj.contains("alias") ? StringField(obj, "alias") : c.remote;
  std::string security = StringField(obj, "security");
  if (security.empty()) security = DefinitionDefault("connection", "security").get<std::string>();
  c.security = security == "certificate" ? SecurityModel::kCertificate : SecurityModel::kApiKey;
  std::string mode = StringField(obj, "mode");
  if (mode.empty()) mode = DefinitionDefault("connection", "mode").get<std::string>();
  c.mode = mode == "sniff" ? ConnectionMode::kSniff : ConnectionMode::kProxy;
  if (obj.contains("skip_unavailable") && obj["skip_unavailable"].is_boolean()) {
    c.skip_unavailable = obj["skip_unavailable"].get<bool>();
  }
  c.server_name = StringField(obj, "server_name");
  c.proxy_address = StringField(obj, "proxy_address");
  if (obj.contains("seeds")) c.seeds = Names(obj["seeds"]);
  if (obj.contains("access") && obj["access"].is_object()) {
    const Value& access = obj["access"];
    const std::string access_ptr = AppendPointer(pointer, "access");
    for (const char* kind : {"search", "replication"}) {
      if (!access.contains(kind) || !access[kind].is_array()) continue;
      std::vector<IndexAccess>& out =
          std::string(kind) == "search" ? c.access.search : c.access.replication;
      const std::string list_ptr = AppendPointer(access_ptr, kind);
      for (size_t i = 0; i < access[kind].size(); ++i) {
        out.push_back(
            BuildIndexAccess(access[kind][i], doc_.ValueLocation(AppendPointer(list_ptr, i))));
      }
    }
  }
  if (obj.contains("roles") && obj["roles"].is_array()) {
    const std::string roles_ptr = AppendPointer(pointer, "roles");
    for (size_t i = 0; i < obj["roles"].size(); ++i) {
      const Value& r = obj["roles"][i];
      Role role;
      role.location = doc_.ValueLocation(AppendPointer(roles_ptr, i));
      role.name = StringField(r, "name");
      role.body = r.is_object() ? r : Value::object();
      role.body.erase("name");
      c.roles.push_back(std::move(role));
    }
  }
  return c;
}

void TopologyBuilder::BuildConnections(Topology* t) {
  const Value& root = doc_.root();
  if (!root.is_object() || !root.contains("connections")) return;
  const Value& list = root["connections"];
  if (!list.is_array()) return;
  // (local, alias) -> index of the first connection using it.
  std::map<std::pair<std::string, std::string>, size_t> aliases;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string pointer = AppendPointer("/connections", i);
    if (!list[i].is_object()) continue;
    Connection c = BuildConnection(pointer, list[i]);
    CheckConnection(pointer, c, *t);
    const std::string alias_ptr =
        AppendPointer(pointer, list[i].contains("alias") ? "alias" : "remote");
    if (!c.local.empty() && !c.alias.empty() && Usable(alias_ptr) &&
        Usable(AppendPointer(pointer, "local"))) {
      auto [it, inserted] = aliases.emplace(std::make_pair(c.local, c.alias), i);
      if (!inserted) {
        Error(alias_ptr,
              "alias \"" + c.alias + "\" is already used on cluster \"" + c.local + "\" by " +
                  doc_.FieldPath(AppendPointer("/connections", it->second)),
              list[i].contains("alias")
                  ? "give each remote of a cluster its own alias"
                  : "the alias defaults to the remote's name; set \"alias\" to tell the two apart");
      }
    }
    t->connections.push_back(std::move(c));
  }
}

bool TopologyBuilder::CheckReference(const std::string& pointer, const std::string& name,
                                     const Topology& t) {
  if (!Usable(pointer) || !clusters_usable_ || name.empty()) return false;
  if (t.FindCluster(name) != nullptr) return true;
  std::vector<std::string> known;
  for (const auto& [n, c] : t.clusters) known.push_back(n);
  Error(pointer, "unknown cluster \"" + name + "\"", SuggestName(name, known, "known clusters"));
  return false;
}

void TopologyBuilder::CheckConnection(const std::string& pointer, const Connection& c,
                                      const Topology& t) {
  const Value& obj = *doc_.Find(pointer);
  const bool local_ok = CheckReference(AppendPointer(pointer, "local"), c.local, t);
  const bool remote_ok = CheckReference(AppendPointer(pointer, "remote"), c.remote, t);
  if (local_ok && remote_ok && c.local == c.remote) {
    Error(AppendPointer(pointer, "remote"), "a cluster cannot be connected to itself",
          "\"local\" and \"remote\" must name two different clusters");
  }

  const std::string access_ptr = AppendPointer(pointer, "access");
  const std::string security_ptr = AppendPointer(pointer, "security");
  if (Usable(security_ptr) && Usable(access_ptr)) {
    if (c.security == SecurityModel::kApiKey && c.access.empty() && Complete(pointer) &&
        Complete(access_ptr)) {
      Error(obj.contains("access") ? access_ptr : pointer,
            "the api_key security model needs \"access\" with at least one search or replication "
            "entry",
            "say what the local cluster may use on the remote, e.g. access: { search: [ { names: "
            "[\"logs-*\"] } ] }",
            obj.contains("access"));
    }
    if (c.security == SecurityModel::kCertificate && obj.contains("access")) {
      Warning(access_ptr, "\"access\" is ignored with security: certificate",
              "with the certificate model the privileges come from roles; declare them under "
              "\"roles\"",
              true);
    }
  }
  if (c.security == SecurityModel::kCertificate && Usable(security_ptr)) {
    for (size_t i = 0; i < c.roles.size(); ++i) {
      const std::string role_ptr = AppendPointer(AppendPointer(pointer, "roles"), i);
      for (const char* field : {"remote_indices", "remote_cluster"}) {
        if (!c.roles[i].body.contains(field) || !Usable(AppendPointer(role_ptr, field))) continue;
        Error(AppendPointer(role_ptr, field),
              "\"" + std::string(field) + "\" only works with security: api_key",
              "with the certificate model the role is created on both clusters; grant index "
              "privileges with \"indices\"",
              true);
      }
    }
  }

  const std::string mode_ptr = AppendPointer(pointer, "mode");
  if (Usable(mode_ptr)) {
    const bool sniff = c.mode == ConnectionMode::kSniff;
    for (const char* field : {"proxy_address", "server_name", "seeds"}) {
      const bool for_sniff = std::string(field) == "seeds";
      if (!obj.contains(field) || for_sniff == sniff) continue;
      Error(AppendPointer(pointer, field),
            "\"" + std::string(field) + "\" applies to mode: " + (for_sniff ? "sniff" : "proxy"),
            std::string("remove it, or set mode: ") + (for_sniff ? "sniff" : "proxy"), true);
    }
    if (local_ok && remote_ok && sniff) {
      CheckMode(pointer, *t.FindCluster(c.local), *t.FindCluster(c.remote));
    }
  }
  if (local_ok && remote_ok) CheckVersions(pointer, c, t);
  if (local_ok && remote_ok && c.security == SecurityModel::kCertificate &&
      Usable(security_ptr)) {
    CheckCertificateDelivery(security_ptr, *t.FindCluster(c.local));
    CheckCertificateDelivery(security_ptr, *t.FindCluster(c.remote));
  }
}

// The certificate model reads a self-managed cluster's own transport CA and
// node names from its nodes' files: a bundle node's files are not here.
void TopologyBuilder::CheckCertificateDelivery(const std::string& security_ptr,
                                               const Cluster& cluster) {
  if (cluster.platform != Platform::kSelf) return;
  for (const NodeDelivery& n : cluster.nodes) {
    if (n.kind != NodeDelivery::Kind::kBundle) continue;
    Error(security_ptr,
          "security: certificate needs the transport certificates of cluster \"" + cluster.name +
              "\"'s nodes, but node \"" + n.name +
              "\" has delivery: bundle (crosslink cannot read a bundle node's files)",
          "use delivery: local for the nodes of \"" + cluster.name +
              "\", or security: api_key for this connection");
    return;
  }
}

void TopologyBuilder::CheckMode(const std::string& pointer, const Cluster& local,
                                const Cluster& remote) {
  if (certain_clusters_.count(remote.name) == 0) return;
  const std::string mode_ptr = AppendPointer(pointer, "mode");
  const std::string hint =
      "use mode: proxy (the default); sniff needs the publish address of every remote node, "
      "which is internal to the platform";
  if (remote.platform == Platform::kEch || remote.platform == Platform::kEce) {
    Error(mode_ptr,
          "sniff mode cannot reach " + std::string(PlatformName(remote.platform)) + " cluster \"" +
              remote.name + "\" from outside its platform",
          hint);
    return;
  }
  if (remote.platform != Platform::kEck || certain_clusters_.count(local.name) == 0) return;
  const bool same_environment =
      local.platform == Platform::kEck && local.environment == remote.environment;
  if (!same_environment) {
    Error(mode_ptr,
          "sniff mode cannot reach eck cluster \"" + remote.name +
              "\" from outside its environment \"" + remote.environment + "\"",
          hint);
  }
}

void TopologyBuilder::CheckVersions(const std::string& pointer, const Connection& c,
                                    const Topology& t) {
  const std::string security_ptr = AppendPointer(pointer, "security");
  if (!Usable(security_ptr)) return;
  const Cluster* local = t.FindCluster(c.local);
  const Cluster* remote = t.FindCluster(c.remote);
  auto declared = [this](const Cluster& cluster) -> std::optional<std::vector<int>> {
    if (cluster.version.empty() ||
        !Usable(AppendPointer(AppendPointer("/clusters", cluster.name), "version"))) {
      return std::nullopt;
    }
    return ParseVersion(cluster.version);
  };
  if (auto l = declared(*local), r = declared(*remote); l && r && !RemoteCompatible(*l, *r)) {
    Error(AppendPointer(pointer, "remote"),
          "cluster \"" + local->name + "\" (version " + local->version +
              ") cannot connect to remote cluster \"" + remote->name + "\" (version " +
              remote->version +
              "): remote clusters need compatible versions (the same major; 7.17 with 8.x; 8.18 "
              "with 9.0; 8.19 with 9.x)",
          "upgrade one of the two clusters to a compatible version");
  }
  if (c.security == SecurityModel::kApiKey) {
    for (const Cluster* cluster : {local, remote}) {
      auto v = declared(*cluster);
      if (!v || !VersionLess(*v, kApiKeyMinEs)) continue;
      Error(security_ptr,
            "the api_key security model needs Elasticsearch 8.14 or later, but cluster \"" +
                cluster->name + "\" is version " + cluster->version,
            "upgrade \"" + cluster->name + "\", or use security: certificate");
    }
    // The remote cluster server (spec.remoteClusterServer) of an ECK remote
    // first shipped in ECK 2.16.
    if (remote->platform == Platform::kEck && certain_clusters_.count(remote->name) > 0) {
      const Environment* env = t.FindEnvironment(remote->environment);
      const std::string version_ptr =
          AppendPointer(AppendPointer("/environments", remote->environment), "operator_version");
      if (env != nullptr && !env->version.empty() && Usable(version_ptr)) {
        auto v = ParseVersion(env->version);
        if (v && VersionLess(*v, kApiKeyMinEck)) {
          Error(security_ptr,
                "the api_key security model needs ECK operator 2.16 or later, but environment \"" +
                    env->name + "\" runs operator " + env->version,
                "upgrade the ECK operator of \"" + env->name + "\", or use security: certificate");
        }
      }
    }
    if (auto v = declared(*local); v && VersionLess(*v, kRemoteClusterPrivilegeMinEs)) {
      for (size_t i = 0; i < c.roles.size(); ++i) {
        if (!c.roles[i].body.contains("remote_cluster")) continue;
        Error(AppendPointer(AppendPointer(AppendPointer(pointer, "roles"), i), "remote_cluster"),
              "\"remote_cluster\" privileges need Elasticsearch 8.15 or later, but cluster \"" +
                  local->name + "\" is version " + local->version,
              "upgrade \"" + local->name + "\", or remove \"remote_cluster\"", true);
      }
    }
  } else {
    for (const Cluster* cluster : {local, remote}) {
      auto v = declared(*cluster);
      if (!v || VersionLess(*v, kCertificateDeprecatedEs)) continue;
      Warning(security_ptr,
              "the certificate security model is deprecated since Elasticsearch 9.0 (cluster \"" +
                  cluster->name + "\" is version " + cluster->version + ")",
              "prefer security: api_key (the default)");
      break;
    }
  }
}

}  // namespace crosslink::topology
