// Native roles: PUT|POST|GET|DELETE /_security/role[/{name}], with
// RoleDescriptor's parsing rules (unknown fields, required fields, known
// privileges) and the version gates of remote_indices / remote_cluster.

#include <algorithm>
#include <set>

#include "sandbox/es/internal.h"

namespace crosslink::sandbox::es {

namespace {

const std::vector<std::string>& ClusterPrivileges() {
  static const std::vector<std::string> kNames = {
      "all", "cancel_task", "create_snapshot", "cross_cluster_replication", "cross_cluster_search", "grant_api_key",
      "manage", "manage_api_key", "manage_autoscaling", "manage_ccr", "manage_enrich", "manage_ilm",
      "manage_index_templates", "manage_inference", "manage_ingest_pipelines", "manage_logstash_pipelines",
      "manage_ml", "manage_oidc", "manage_own_api_key", "manage_pipeline", "manage_rollup", "manage_saml",
      "manage_search_application", "manage_security", "manage_service_account", "manage_slm", "manage_token",
      "manage_transform", "manage_user_profile", "manage_watcher", "monitor", "monitor_enrich", "monitor_inference",
      "monitor_ml", "monitor_rollup", "monitor_snapshot", "monitor_stats", "monitor_text_structure",
      "monitor_transform", "monitor_watcher", "none", "read_ccr", "read_fleet_secrets", "read_ilm",
      "read_pipeline", "read_security", "read_slm", "transport_client"};
  return kNames;
}

const std::vector<std::string>& IndexPrivileges() {
  static const std::vector<std::string> kNames = {
      "all", "auto_configure", "create", "create_doc", "create_index", "cross_cluster_replication",
      "cross_cluster_replication_internal", "delete", "delete_index", "index", "maintenance", "manage",
      "manage_data_stream_lifecycle", "manage_follow_index", "manage_ilm", "manage_leader_index", "monitor", "none",
      "read", "read_cross_cluster", "view_index_metadata", "write"};
  return kNames;
}

const std::set<std::string>& ReservedRoles() {
  static const std::set<std::string> kNames = {"superuser", "kibana_system", "viewer", "editor",
                                               "remote_monitoring_agent", "monitoring_user", "kibana_admin"};
  return kNames;
}

Value SuperuserRole() {
  return {{"cluster", {"all"}},
          {"indices", Value::array({{{"names", {"*"}}, {"privileges", {"all"}}, {"allow_restricted_indices", true}}})},
          {"applications",
           Value::array({{{"application", "*"}, {"privileges", {"*"}}, {"resources", {"*"}}}})},
          {"run_as", {"*"}},
          {"metadata", {{"_reserved", true}}},
          {"transient_metadata", {{"enabled", true}}},
          {"remote_indices",
           Value::array({{{"names", {"*"}}, {"privileges", {"all"}}, {"allow_restricted_indices", false},
                          {"clusters", {"*"}}}})}};
}

struct RoleError {
  std::string type;
  std::string reason;
};

bool StringArray(const Value& v) {
  if (!v.is_array()) return false;
  return std::all_of(v.begin(), v.end(), [](const Value& x) { return x.is_string(); });
}

std::optional<RoleError> CheckIndexPrivileges(const Value& privileges) {
  for (const auto& p : privileges) {
    std::string name = p.get<std::string>();
    const auto& known = IndexPrivileges();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    if (name.rfind("indices:", 0) == 0 || name.rfind("internal:transport/proxy/indices:", 0) == 0) continue;
    return RoleError{"illegal_argument_exception",
                     "unknown index privilege [" + name +
                         "]. a privilege must be either one of the predefined fixed indices privileges [" +
                         JoinStrings(known, ",") + "] or a pattern over one of the available index actions"};
  }
  return std::nullopt;
}

// Parses one indices / remote_indices entry into its normalized form.
std::optional<RoleError> ParseIndices(const std::string& role, const Value& entry, bool remote, Value* out) {
  std::string what = remote ? "remote indices privileges" : "indices privileges";
  std::string prefix = "failed to parse " + what + " for role [" + role + "]. ";
  if (!entry.is_object()) return RoleError{"parse_exception", prefix + "expected an object"};
  static const std::set<std::string> kFields = {"names", "privileges", "field_security", "query",
                                                "allow_restricted_indices"};
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    if (kFields.count(it.key()) || (remote && it.key() == "clusters")) continue;
    return RoleError{"parse_exception", prefix + "unexpected field [" + it.key() + "]"};
  }
  Value names = entry.value("names", Value());
  if (names.is_string()) names = Value::array({names});
  if (!StringArray(names) || names.empty()) {
    return RoleError{"parse_exception", prefix + "missing required [names] field"};
  }
  if (!entry.contains("privileges") || !StringArray(entry["privileges"]) || entry["privileges"].empty()) {
    return RoleError{"parse_exception", prefix + "missing required [privileges] field"};
  }
  if (auto e = CheckIndexPrivileges(entry["privileges"])) return e;
  Value n = {{"names", names}, {"privileges", entry["privileges"]}};
  if (entry.contains("field_security")) n["field_security"] = entry["field_security"];
  if (entry.contains("query")) n["query"] = entry["query"];
  Value restricted = entry.value("allow_restricted_indices", Value(false));
  if (!restricted.is_boolean()) return RoleError{"parse_exception", prefix + "[allow_restricted_indices] must be a boolean"};
  n["allow_restricted_indices"] = restricted;
  if (remote) {
    Value clusters = entry.value("clusters", Value());
    if (clusters.is_string()) clusters = Value::array({clusters});
    if (!StringArray(clusters) || clusters.empty()) {
      return RoleError{"parse_exception", prefix + "missing required [clusters] field"};
    }
    n["clusters"] = clusters;
  }
  *out = n;
  return std::nullopt;
}

std::optional<RoleError> ParseRole(const std::string& name, const Value& body, const EsVersion& version,
                                   Value* out) {
  std::set<std::string> fields = {"cluster", "indices", "applications", "run_as",
                                  "metadata", "transient_metadata", "global"};
  if (version.AtLeast(8, 14)) fields.insert("remote_indices");
  if (version.AtLeast(8, 15)) {
    fields.insert("remote_cluster");
    fields.insert("description");
  }
  std::string prefix = "failed to parse role [" + name + "]. ";
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (!fields.count(it.key())) return RoleError{"parse_exception", prefix + "unexpected field [" + it.key() + "]"};
  }
  Value role = {{"cluster", Value::array()}, {"indices", Value::array()}, {"applications", Value::array()},
                {"run_as", Value::array()},  {"metadata", Value::object()}, {"transient_metadata", {{"enabled", true}}}};
  if (body.contains("description")) {
    if (!body["description"].is_string()) return RoleError{"parse_exception", prefix + "[description] must be a string"};
    role["description"] = body["description"];
  }
  if (body.contains("cluster")) {
    if (!StringArray(body["cluster"])) return RoleError{"parse_exception", prefix + "[cluster] must be an array of strings"};
    for (const auto& p : body["cluster"]) {
      std::string priv = p.get<std::string>();
      const auto& known = ClusterPrivileges();
      if (std::find(known.begin(), known.end(), priv) != known.end()) continue;
      if (priv.rfind("cluster:", 0) == 0 || priv.rfind("indices:admin/template/", 0) == 0 ||
          priv.rfind("indices:admin/index_template/", 0) == 0) {
        continue;
      }
      return RoleError{"illegal_argument_exception",
                       "unknown cluster privilege [" + priv +
                           "]. a privilege must be either one of the predefined cluster privilege names [" +
                           JoinStrings(known, ",") + "] or a pattern over one of the available cluster actions"};
    }
    role["cluster"] = body["cluster"];
  }
  for (const char* key : {"indices", "remote_indices"}) {
    if (!body.contains(key)) continue;
    if (!body[key].is_array()) return RoleError{"parse_exception", prefix + "[" + key + "] must be an array"};
    Value list = Value::array();
    for (const auto& entry : body[key]) {
      Value n;
      if (auto e = ParseIndices(name, entry, std::string(key) == "remote_indices", &n)) return e;
      list.push_back(n);
    }
    role[key] = list;
  }
  if (body.contains("remote_cluster")) {
    if (!body["remote_cluster"].is_array()) return RoleError{"parse_exception", prefix + "[remote_cluster] must be an array"};
    std::vector<std::string> allowed = {"monitor_enrich"};
    if (version.AtLeast(8, 17)) allowed.push_back("monitor_stats");
    Value list = Value::array();
    for (const auto& entry : body["remote_cluster"]) {
      std::string p = "failed to parse remote_cluster for role [" + name + "]. ";
      if (!entry.is_object()) return RoleError{"parse_exception", p + "expected an object"};
      for (auto it = entry.begin(); it != entry.end(); ++it) {
        if (it.key() != "clusters" && it.key() != "privileges") {
          return RoleError{"parse_exception", p + "unexpected field [" + it.key() + "]"};
        }
      }
      if (!entry.contains("clusters") || !StringArray(entry["clusters"]) || entry["clusters"].empty()) {
        return RoleError{"parse_exception", p + "missing required [clusters] field"};
      }
      if (!entry.contains("privileges") || !StringArray(entry["privileges"]) || entry["privileges"].empty()) {
        return RoleError{"parse_exception", p + "missing required [privileges] field"};
      }
      std::vector<std::string> bad;
      for (const auto& priv : entry["privileges"]) {
        if (std::find(allowed.begin(), allowed.end(), priv.get<std::string>()) == allowed.end()) {
          bad.push_back(priv.get<std::string>());
        }
      }
      if (!bad.empty()) {
        return RoleError{"illegal_argument_exception",
                         "Invalid remote_cluster permissions found. Please remove the following: [" +
                             JoinStrings(bad, ", ") + "] Only [" + JoinStrings(allowed, ", ") + "] are allowed"};
      }
      list.push_back({{"privileges", entry["privileges"]}, {"clusters", entry["clusters"]}});
    }
    role["remote_cluster"] = list;
  }
  for (const char* key : {"applications", "run_as"}) {
    if (body.contains(key)) {
      if (!body[key].is_array()) return RoleError{"parse_exception", prefix + "[" + key + "] must be an array"};
      role[key] = body[key];
    }
  }
  if (body.contains("metadata")) {
    if (!body["metadata"].is_object()) return RoleError{"parse_exception", prefix + "[metadata] must be an object"};
    for (auto it = body["metadata"].begin(); it != body["metadata"].end(); ++it) {
      if (!it.key().empty() && it.key()[0] == '_') {
        return RoleError{"action_request_validation_exception",
                         "Validation Failed: 1: role metadata keys may not start with [_];"};
      }
    }
    role["metadata"] = body["metadata"];
  }
  if (body.contains("global")) role["global"] = body["global"];
  *out = role;
  return std::nullopt;
}

std::string CheckRoleName(const std::string& name) {
  if (name.empty() || name.size() > 507) {
    return "Role names must be at least 1 and no more than 507 characters.";
  }
  if (ReservedRoles().count(name)) return "Role [" + name + "] is reserved and may not be used.";
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return "Role names must contain only printable characters.";
    }
  }
  return "";
}

}  // namespace

net::HttpResponse Twin::State::PutRole(const RequestContext& ctx) {
  const std::string& name = ctx.params.at("name");
  if (std::string e = CheckRoleName(name); !e.empty()) return ValidationFailed({e});
  Value body;
  net::HttpResponse error;
  if (!ParseBody(ctx.request, true, &body, &error)) return error;
  Value role;
  if (auto e = ParseRole(name, body, version, &role)) {
    if (e->type == "action_request_validation_exception") return EsError(400, e->type, e->reason);
    return EsError(400, e->type, e->reason);
  }
  bool created = roles.count(name) == 0;
  roles[name] = role;
  return net::HttpResponse::Json(200, Value{{"role", {{"created", created}}}});
}

net::HttpResponse Twin::State::GetRoles(const RequestContext& ctx) {
  Value out = Value::object();
  auto add = [&](const std::string& name) {
    if (name == "superuser") {
      out[name] = SuperuserRole();
    } else if (roles.count(name)) {
      out[name] = roles.at(name);
    }
  };
  if (!ctx.params.count("name")) {
    add("superuser");
    for (const auto& [name, role] : roles) {
      (void)role;
      add(name);
    }
    return net::HttpResponse::Json(200, out);
  }
  for (const auto& name : SplitString(ctx.params.at("name"), ',')) {
    if (name.find('*') != std::string::npos) {
      if (net::GlobMatch(name, "superuser")) add("superuser");
      for (const auto& [n, role] : roles) {
        (void)role;
        if (net::GlobMatch(name, n)) add(n);
      }
    } else {
      add(name);
    }
  }
  if (out.empty()) return net::HttpResponse::Json(404, Value::object());
  return net::HttpResponse::Json(200, out);
}

net::HttpResponse Twin::State::DeleteRole(const RequestContext& ctx) {
  const std::string& name = ctx.params.at("name");
  if (ReservedRoles().count(name)) return BadRequest("role [" + name + "] is reserved and cannot be deleted");
  bool found = roles.erase(name) > 0;
  return net::HttpResponse::Json(found ? 200 : 404, Value{{"found", found}});
}

}  // namespace crosslink::sandbox::es
