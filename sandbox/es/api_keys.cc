// API keys: create (REST and cross-cluster), update cross-cluster, get,
// invalidate, and credential checks for REST auth and the RCS handshake.
// Only a SHA-256 of each secret is kept: a secret is returned once, at
// creation, and never logged.

#include <algorithm>
#include <set>

#include "sandbox/es/internal.h"

namespace crosslink::sandbox::es {

namespace {

// xpack.security.authc.api_key.delete.retention_period default.
constexpr int64_t kRetentionMillis = 7LL * 24 * 3600 * 1000;

std::optional<net::HttpResponse> CheckFields(const Value& body, const std::set<std::string>& allowed,
                                             const std::string& parser) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (!allowed.count(it.key())) return UnknownField(parser, it.key());
  }
  return std::nullopt;
}

// names: string or array of strings -> array; nullopt when missing/invalid/empty.
std::optional<Value> NamesArray(const Value& entry) {
  if (!entry.contains("names")) return std::nullopt;
  const Value& names = entry["names"];
  if (names.is_string()) return Value::array({names});
  if (!names.is_array() || names.empty()) return std::nullopt;
  for (const auto& n : names) {
    if (!n.is_string()) return std::nullopt;
  }
  return names;
}

net::HttpResponse ParseError(const std::string& reason) { return EsError(400, "parse_exception", reason); }

// Validates `access` and derives the normalized access and the
// "cross_cluster" role descriptor the way ES's CrossClusterApiKeyRoleDescriptorBuilder does.
std::optional<net::HttpResponse> BuildAccess(const Value& access, const EsVersion& version, Value* normalized,
                                             Value* role_descriptors) {
  if (access.is_null()) {
    return EsError(400, "x_content_parse_exception", "access doesn't support values of type: VALUE_NULL");
  }
  if (!access.is_object()) return EsError(400, "x_content_parse_exception", "[access] must be an object");
  if (auto e = CheckFields(access, {"search", "replication"}, "access")) return e;
  Value search = access.value("search", Value::array());
  Value replication = access.value("replication", Value::array());
  if (!search.is_array() || !replication.is_array()) {
    return EsError(400, "x_content_parse_exception", "[search] and [replication] must be arrays");
  }
  if (search.empty() && replication.empty()) {
    return BadRequest("must specify non-empty access for either [search] or [replication]");
  }
  Value out = Value::object();
  Value cluster = Value::array();
  Value indices = Value::array();
  if (!search.empty()) {
    Value entries = Value::array();
    for (const auto& entry : search) {
      if (!entry.is_object()) return ParseError("failed to parse indices privileges for role [cross_cluster]");
      for (auto it = entry.begin(); it != entry.end(); ++it) {
        static const std::set<std::string> kAllowed = {"names", "field_security", "query", "allow_restricted_indices"};
        if (!kAllowed.count(it.key())) {
          return ParseError("failed to parse indices privileges for role [cross_cluster]. unexpected field [" +
                            it.key() + "]");
        }
      }
      auto names = NamesArray(entry);
      if (!names) {
        return ParseError("failed to parse indices privileges for role [cross_cluster]. missing required [names] field");
      }
      if (!replication.empty() && (entry.contains("query") || entry.contains("field_security"))) {
        return BadRequest("search does not support document or field level security if replication is assigned");
      }
      Value n = {{"names", *names}};
      if (entry.contains("field_security")) n["field_security"] = entry["field_security"];
      if (entry.contains("query")) n["query"] = entry["query"];
      const Value& restricted = entry.value("allow_restricted_indices", Value(false));
      if (!restricted.is_boolean()) return ParseError("[allow_restricted_indices] must be a boolean");
      n["allow_restricted_indices"] = restricted;
      entries.push_back(n);
      Value index = {{"names", *names}, {"privileges", {"read", "read_cross_cluster", "view_index_metadata"}}};
      if (entry.contains("field_security")) index["field_security"] = entry["field_security"];
      if (entry.contains("query")) index["query"] = entry["query"];
      index["allow_restricted_indices"] = restricted;
      indices.push_back(index);
    }
    out["search"] = entries;
    cluster.push_back("cross_cluster_search");
    if (version.AtLeast(8, 12)) cluster.push_back("monitor_enrich");
  }
  if (!replication.empty()) {
    Value entries = Value::array();
    for (const auto& entry : replication) {
      if (!entry.is_object()) return ParseError("failed to parse indices privileges for role [cross_cluster]");
      if (entry.contains("query") || entry.contains("field_security")) {
        return BadRequest("replication does not support document or field level security");
      }
      if (auto e = CheckFields(entry, {"names", "allow_restricted_indices"}, "replication")) return e;
      auto names = NamesArray(entry);
      if (!names) {
        return ParseError("failed to parse indices privileges for role [cross_cluster]. missing required [names] field");
      }
      const Value& restricted = entry.value("allow_restricted_indices", Value(false));
      if (!restricted.is_boolean()) return ParseError("[allow_restricted_indices] must be a boolean");
      entries.push_back({{"names", *names}, {"allow_restricted_indices", restricted}});
      indices.push_back({{"names", *names},
                         {"privileges", {"cross_cluster_replication", "cross_cluster_replication_internal"}},
                         {"allow_restricted_indices", restricted}});
    }
    out["replication"] = entries;
    cluster.push_back("cross_cluster_replication");
  }
  *normalized = out;
  *role_descriptors = {{"cross_cluster",
                        {{"cluster", cluster},
                         {"indices", indices},
                         {"applications", Value::array()},
                         {"run_as", Value::array()},
                         {"metadata", Value::object()},
                         {"transient_metadata", {{"enabled", true}}}}}};
  return std::nullopt;
}

std::optional<net::HttpResponse> CheckMetadata(const Value& body, Value* metadata) {
  if (!body.contains("metadata") || body["metadata"].is_null()) return std::nullopt;
  if (!body["metadata"].is_object()) {
    return EsError(400, "x_content_parse_exception", "[metadata] must be an object");
  }
  for (auto it = body["metadata"].begin(); it != body["metadata"].end(); ++it) {
    if (!it.key().empty() && it.key()[0] == '_') {
      return ValidationFailed({"API key metadata keys may not start with [_]"});
    }
  }
  *metadata = body["metadata"];
  return std::nullopt;
}

std::optional<net::HttpResponse> CheckExpiration(const Value& body, int64_t now, std::optional<int64_t>* out) {
  if (!body.contains("expiration") || body["expiration"].is_null()) return std::nullopt;
  if (!body["expiration"].is_string()) {
    return EsError(400, "x_content_parse_exception", "[expiration] must be a time value string");
  }
  std::string text = body["expiration"].get<std::string>();
  auto millis = ParseTimeValueMillis(text);
  if (!millis || *millis <= 0) {
    return EsError(400, "parse_exception",
                   "failed to parse setting [expiration] with value [" + text +
                       "] as a time value: unit is missing or unrecognized");
  }
  *out = now + *millis;
  return std::nullopt;
}

std::optional<net::HttpResponse> CheckName(const Value& body) {
  if (!body.contains("name")) return BadRequest("Required [name]");
  if (!body["name"].is_string()) return EsError(400, "x_content_parse_exception", "[name] must be a string");
  std::string name = body["name"].get<std::string>();
  std::vector<std::string> errors;
  if (name.empty()) errors.push_back("api key name is required");
  if (name.size() > 1024) errors.push_back("api key name may not be more than [1024] characters long");
  if (!name.empty() && (name.front() == ' ' || name.back() == ' ')) {
    errors.push_back("api key name may not begin or end with whitespace");
  }
  if (!name.empty() && name.front() == '_') errors.push_back("api key name may not begin with an underscore");
  if (!errors.empty()) return ValidationFailed(errors);
  return std::nullopt;
}

bool ParseBoolParam(const std::string& text) { return text == "true" || text.empty(); }

}  // namespace

void Twin::State::PurgeRetiredKeys() {
  int64_t now = EpochMillis(clock);
  for (auto it = api_keys.begin(); it != api_keys.end();) {
    const ApiKeyRecord& k = it->second;
    bool retired = (k.invalidated && k.invalidation && now - *k.invalidation > kRetentionMillis) ||
                   (k.expiration && now - *k.expiration > kRetentionMillis);
    it = retired ? api_keys.erase(it) : std::next(it);
  }
}

KeyCheck Twin::State::CheckKeyCredential(std::string_view encoded, const std::string& expected_type) {
  PurgeRetiredKeys();
  KeyCheck check;
  auto decoded = Base64Decode(encoded);
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (!decoded || colon == std::string::npos || colon == 0) {
    check.failure = "invalid ApiKey value";
    return check;
  }
  std::string id = decoded->substr(0, colon);
  std::string secret = decoded->substr(colon + 1);
  auto it = api_keys.find(id);
  if (it == api_keys.end()) {
    check.failure = "unable to find apikey with id " + id;
    return check;
  }
  const ApiKeyRecord& key = it->second;
  check.key = &key;
  if (key.type != expected_type) {
    check.wrong_type = true;
    check.failure = "authentication expected API key type of [" + expected_type + "], but API key [" + id +
                    "] has type [" + key.type + "]";
    return check;
  }
  if (key.invalidated) {
    check.failure = "api key [" + id + "] has been invalidated";
    return check;
  }
  if (!ConstantTimeEquals(Sha256Hex(secret), key.secret_hash)) {
    check.failure = "invalid credentials for API key [" + id + "]";
    return check;
  }
  if (key.Expired(EpochMillis(clock))) {
    check.failure = "api key is expired";
    return check;
  }
  return check;
}

Value Twin::State::KeyToJson(const ApiKeyRecord& key, bool with_limited_by) const {
  Value v = {{"id", key.id}, {"name", key.name}, {"type", key.type}, {"creation", key.creation}};
  if (key.expiration) v["expiration"] = *key.expiration;
  v["invalidated"] = key.invalidated;
  if (key.invalidation) v["invalidation"] = *key.invalidation;
  v["username"] = key.username;
  v["realm"] = key.realm;
  v["realm_type"] = key.realm_type;
  v["metadata"] = key.metadata;
  v["role_descriptors"] = key.role_descriptors;
  if (key.type == "cross_cluster") v["access"] = key.access;
  if (key.certificate_identity) v["certificate_identity"] = *key.certificate_identity;
  if (with_limited_by && key.type == "rest") {
    v["limited_by"] = Value::array({{{"superuser",
                                      {{"cluster", {"all"}},
                                       {"indices", Value::array({{{"names", {"*"}},
                                                                  {"privileges", {"all"}},
                                                                  {"allow_restricted_indices", true}}})},
                                       {"applications", Value::array({{{"application", "*"},
                                                                       {"privileges", {"*"}},
                                                                       {"resources", {"*"}}}})},
                                       {"run_as", {"*"}},
                                       {"metadata", {{"_reserved", true}}},
                                       {"transient_metadata", {{"enabled", true}}}}}}});
  }
  return v;
}

// Creates the record and the one-time response. The secret goes to the caller only.
net::HttpResponse Twin::State::IssueKey(ApiKeyRecord record) {
  Twin::State& state = *this;
  record.id = RandomToken(15);  // 20 characters, like ES's ids
  while (state.api_keys.count(record.id)) record.id = RandomToken(15);
  std::string secret = RandomToken(16);  // 22 characters
  record.secret_hash = Sha256Hex(secret);
  Value response = {{"id", record.id}, {"name", record.name}, {"api_key", secret}};
  if (record.expiration) response["expiration"] = *record.expiration;
  response["encoded"] = Base64Encode(record.id + ":" + secret);
  state.api_keys[record.id] = std::move(record);
  return net::HttpResponse::Json(200, response);
}

namespace {
void SetOwner(const Principal& p, ApiKeyRecord* record) {
  record->username = p.username;
  record->realm = p.via_api_key ? p.api_key_owner_realm : p.realm;
  record->realm_type = record->realm == "reserved" ? "reserved" : record->realm == "file" ? "file" : "native";
}

bool OwnedBy(const ApiKeyRecord& key, const Principal& p) {
  std::string realm = p.via_api_key ? p.api_key_owner_realm : p.realm;
  return key.username == p.username && key.realm == realm;
}
}  // namespace

net::HttpResponse Twin::State::CreateRestKey(const RequestContext& ctx) {
  Value body;
  net::HttpResponse error;
  if (!ParseBody(ctx.request, true, &body, &error)) return error;
  if (auto e = CheckFields(body, {"name", "expiration", "role_descriptors", "metadata"}, "api_key_request")) return *e;
  if (!body.contains("name")) return ValidationFailed({"api key name is required"});
  if (auto e = CheckName(body)) return *e;
  ApiKeyRecord record;
  record.type = "rest";
  record.name = body["name"].get<std::string>();
  record.creation = EpochMillis(clock);
  if (auto e = CheckExpiration(body, record.creation, &record.expiration)) return *e;
  if (auto e = CheckMetadata(body, &record.metadata)) return *e;
  if (body.contains("role_descriptors") && !body["role_descriptors"].is_null()) {
    if (!body["role_descriptors"].is_object()) {
      return EsError(400, "x_content_parse_exception", "[role_descriptors] must be an object");
    }
    record.role_descriptors = body["role_descriptors"];
  }
  SetOwner(ctx.principal, &record);
  return IssueKey(std::move(record));
}

net::HttpResponse Twin::State::CreateCrossClusterKey(const RequestContext& ctx) {
  if (ctx.principal.via_api_key) {
    return BadRequest("authentication via API key not supported: An API key cannot be used to create a cross-cluster "
                      "API key");
  }
  if (!LicenseAllowsRcs()) {
    return Forbidden("current license is non-compliant for [advanced-remote-cluster-security]");
  }
  Value body;
  net::HttpResponse error;
  if (!ParseBody(ctx.request, true, &body, &error)) return error;
  std::set<std::string> allowed = {"name", "access", "expiration", "metadata"};
  if (version.AtLeast(9, 3)) allowed.insert("certificate_identity");
  if (auto e = CheckFields(body, allowed, "cross_cluster_api_key_request")) return *e;
  if (!body.contains("access")) return BadRequest("Required [access]");
  if (auto e = CheckName(body)) return *e;
  ApiKeyRecord record;
  record.type = "cross_cluster";
  record.name = body["name"].get<std::string>();
  record.creation = EpochMillis(clock);
  if (auto e = BuildAccess(body["access"], version, &record.access, &record.role_descriptors)) return *e;
  if (auto e = CheckExpiration(body, record.creation, &record.expiration)) return *e;
  if (auto e = CheckMetadata(body, &record.metadata)) return *e;
  if (body.contains("certificate_identity") && !body["certificate_identity"].is_null()) {
    if (!body["certificate_identity"].is_string()) {
      return EsError(400, "x_content_parse_exception", "[certificate_identity] must be a string");
    }
    record.certificate_identity = body["certificate_identity"].get<std::string>();
  }
  SetOwner(ctx.principal, &record);
  return IssueKey(std::move(record));
}

net::HttpResponse Twin::State::UpdateCrossClusterKey(const RequestContext& ctx) {
  if (ctx.principal.via_api_key) {
    return BadRequest("authentication via API key not supported: only the owner user can update an API key");
  }
  Value body;
  net::HttpResponse error;
  if (!ParseBody(ctx.request, true, &body, &error)) return error;
  std::set<std::string> allowed = {"access", "expiration", "metadata"};
  if (version.AtLeast(9, 3)) allowed.insert("certificate_identity");
  if (auto e = CheckFields(body, allowed, "update_cross_cluster_api_key_request")) return *e;
  bool has_access = body.contains("access");
  bool has_metadata = body.contains("metadata") && !body["metadata"].is_null();
  bool has_expiration = body.contains("expiration") && !body["expiration"].is_null();
  bool has_identity = body.contains("certificate_identity");
  if (!has_access && !has_metadata && !has_expiration && !has_identity) {
    return ValidationFailed({"must update either [access] or [metadata] for cross-cluster API keys"});
  }
  Value access, role_descriptors, metadata;
  if (has_access) {
    if (auto e = BuildAccess(body["access"], version, &access, &role_descriptors)) return *e;
  }
  if (auto e = CheckMetadata(body, &metadata)) return *e;
  PurgeRetiredKeys();
  const std::string& id = ctx.params.at("id");
  auto it = api_keys.find(id);
  if (it == api_keys.end() || !OwnedBy(it->second, ctx.principal)) {
    return EsError(404, "resource_not_found_exception", "no API key owned by requesting user found for ID [" + id + "]");
  }
  ApiKeyRecord& key = it->second;
  if (key.type != "cross_cluster") {
    return BadRequest("cannot update API key of type [" + key.type + "] while expected type is [cross_cluster]");
  }
  if (key.invalidated) return BadRequest("cannot update invalidated API key [" + id + "]");
  int64_t now = EpochMillis(clock);
  if (key.Expired(now)) return BadRequest("cannot update expired API key [" + id + "]");
  std::optional<int64_t> expiration;
  if (auto e = CheckExpiration(body, now, &expiration)) return *e;
  bool updated = false;
  if (has_access && access != key.access) {
    key.access = access;
    key.role_descriptors = role_descriptors;
    updated = true;
  }
  if (has_metadata && metadata != key.metadata) {
    key.metadata = metadata;
    updated = true;
  }
  if (has_expiration && expiration != key.expiration) {
    key.expiration = expiration;
    updated = true;
  }
  if (has_identity) {
    std::optional<std::string> identity;
    if (body["certificate_identity"].is_string()) identity = body["certificate_identity"].get<std::string>();
    if (identity != key.certificate_identity) {
      key.certificate_identity = identity;
      updated = true;
    }
  }
  return net::HttpResponse::Json(200, Value{{"updated", updated}});
}

net::HttpResponse Twin::State::GetKeys(const RequestContext& ctx) {
  const auto& r = ctx.request;
  if (r.HasQuery("active_only") && !version.AtLeast(8, 10)) {
    return BadRequest("request [" + r.path + "] contains unrecognized parameter: [active_only]");
  }
  std::string id = r.Query("id"), name = r.Query("name"), username = r.Query("username"),
              realm = r.Query("realm_name");
  bool owner = r.HasQuery("owner") && ParseBoolParam(r.Query("owner"));
  bool active_only = r.HasQuery("active_only") && ParseBoolParam(r.Query("active_only"));
  bool with_limited_by = r.HasQuery("with_limited_by") && ParseBoolParam(r.Query("with_limited_by"));
  std::vector<std::string> errors;
  if (!id.empty() && !name.empty()) errors.push_back("only one of [api key id, api key name] can be specified");
  if (owner && (!username.empty() || !realm.empty())) {
    errors.push_back("username or realm name must not be specified when the current user's api keys are requested");
  }
  if (!errors.empty()) return ValidationFailed(errors);
  PurgeRetiredKeys();
  int64_t now = EpochMillis(clock);
  std::vector<const ApiKeyRecord*> found;
  for (const auto& [key_id, key] : api_keys) {
    if (!id.empty() && key_id != id) continue;
    if (!name.empty() && !net::GlobMatch(name, key.name)) continue;
    if (!username.empty() && !net::GlobMatch(username, key.username)) continue;
    if (!realm.empty() && realm != key.realm) continue;
    if (owner && !OwnedBy(key, ctx.principal)) continue;
    if (active_only && (key.invalidated || key.Expired(now))) continue;
    found.push_back(&key);
  }
  std::sort(found.begin(), found.end(), [](const ApiKeyRecord* a, const ApiKeyRecord* b) {
    return a->creation != b->creation ? a->creation < b->creation : a->id < b->id;
  });
  Value keys = Value::array();
  for (const auto* key : found) keys.push_back(KeyToJson(*key, with_limited_by));
  return net::HttpResponse::Json(200, Value{{"api_keys", keys}});
}

net::HttpResponse Twin::State::InvalidateKeys(const RequestContext& ctx) {
  Value body;
  net::HttpResponse error;
  if (!ParseBody(ctx.request, true, &body, &error)) return error;
  if (auto e = CheckFields(body, {"id", "ids", "name", "realm_name", "username", "owner"}, "invalidate_api_key")) {
    return *e;
  }
  std::vector<std::string> ids;
  if (body.contains("id") && body["id"].is_string()) ids.push_back(body["id"].get<std::string>());
  if (body.contains("ids")) {
    if (!body["ids"].is_array()) return EsError(400, "x_content_parse_exception", "[ids] must be an array");
    for (const auto& v : body["ids"]) {
      if (!v.is_string()) return EsError(400, "x_content_parse_exception", "[ids] must contain strings");
      ids.push_back(v.get<std::string>());
    }
  }
  auto str = [&](const char* k) { return body.contains(k) && body[k].is_string() ? body[k].get<std::string>() : ""; };
  std::string name = str("name"), username = str("username"), realm = str("realm_name");
  bool owner = body.contains("owner") && (body["owner"] == true || body["owner"] == "true");
  std::vector<std::string> errors;
  if (ids.empty() && name.empty() && username.empty() && realm.empty() && !owner) {
    errors.push_back("One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag "
                     "is false");
  }
  if (!ids.empty() && !name.empty()) errors.push_back("only one of [api key id(s), api key name] can be specified");
  if (owner && (!username.empty() || !realm.empty())) {
    errors.push_back("username or realm name must not be specified when the current user's api keys are requested");
  }
  if (!errors.empty()) return ValidationFailed(errors);
  PurgeRetiredKeys();
  int64_t now = EpochMillis(clock);
  Value invalidated = Value::array(), previously = Value::array();
  for (auto& [key_id, key] : api_keys) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), key_id) == ids.end()) continue;
    if (!name.empty() && !net::GlobMatch(name, key.name)) continue;
    if (!username.empty() && username != key.username) continue;
    if (!realm.empty() && realm != key.realm) continue;
    if (owner && !OwnedBy(key, ctx.principal)) continue;
    if (key.invalidated) {
      previously.push_back(key_id);
    } else {
      key.invalidated = true;
      key.invalidation = now;
      invalidated.push_back(key_id);
    }
  }
  return net::HttpResponse::Json(200, Value{{"invalidated_api_keys", invalidated},
                                            {"previously_invalidated_api_keys", previously},
                                            {"error_count", 0}});
}

}  // namespace crosslink::sandbox::es
