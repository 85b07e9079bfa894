// Twin: routing, authentication, the small read-only endpoints, lifecycle
// (Restart / keystore / reload) and inspection. Endpoint families live in
// api_keys.cc, api_key_query.cc, settings.cc, remote_info.cc and roles.cc.

#include <algorithm>
#include <set>

#include "engine/core/pki.h"
#include "sandbox/es/internal.h"

namespace crosslink::sandbox::es {

namespace {

// The user CallInternal() acts as (what the ECK operator / Cloud control plane use).
constexpr const char* kInternalUser = "elastic-internal";

// Query parameters every REST endpoint accepts (RestRequest / filter_path support).
const std::set<std::string>& CommonParams() {
  static const std::set<std::string> kParams = {"pretty", "human", "error_trace", "filter_path", "format"};
  return kParams;
}

std::vector<std::string> PathSegments(const std::string& path) {
  std::vector<std::string> out;
  for (auto& s : SplitString(path, '/')) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// Literal segments win over placeholders (as in ES's PathTrie); returns the
// number of literal matches, or -1 when the pattern does not match.
int MatchPattern(const std::string& pattern, const std::vector<std::string>& segments,
                 std::map<std::string, std::string>* params) {
  auto parts = PathSegments(pattern);
  if (parts.size() != segments.size()) return -1;
  int literal = 0;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].front() == '{') {
      found[parts[i].substr(1, parts[i].size() - 2)] = segments[i];
    } else if (parts[i] == segments[i]) {
      ++literal;
    } else {
      return -1;
    }
  }
  if (params) *params = found;
  return literal;
}

std::string UriOf(const net::HttpRequest& request) {
  std::string uri = request.path.empty() ? "/" : request.path;
  if (!request.query.empty()) {
    std::vector<std::string> pairs;
    for (const auto& [k, v] : request.query) pairs.push_back(v.empty() ? k : k + "=" + v);
    uri += "?" + JoinStrings(pairs, "&");
  }
  return uri;
}


}  // namespace

// ------------------------------------------------------------------ State

auto Twin::State::Endpoints() -> const std::vector<Endpoint>& {
  using S = State;
  static const std::vector<Endpoint> kEndpoints = {
      {"GET", "/", {}, &S::Info},
      {"GET", "/_cluster/health",
       {"level", "local", "master_timeout", "timeout", "wait_for_active_shards", "wait_for_nodes", "wait_for_events",
        "wait_for_no_relocating_shards", "wait_for_no_initializing_shards", "wait_for_status", "expand_wildcards"},
       &S::Health},
      {"GET", "/_security/_authenticate", {}, &S::WhoAmI},
      {"POST", "/_security/api_key", {"refresh"}, &S::CreateRestKey},
      {"PUT", "/_security/api_key", {"refresh"}, &S::CreateRestKey},
      {"GET", "/_security/api_key",
       {"id", "name", "username", "realm_name", "owner", "with_limited_by", "with_profile_uid", "active_only"},
       &S::GetKeys},
      {"DELETE", "/_security/api_key", {"refresh"}, &S::InvalidateKeys},
      {"POST", "/_security/cross_cluster/api_key", {"refresh"}, &S::CreateCrossClusterKey, true, 8, 10},
      {"PUT", "/_security/cross_cluster/api_key/{id}", {"refresh"}, &S::UpdateCrossClusterKey, true, 8, 10},
      {"GET", "/_security/_query/api_key", {"with_limited_by", "with_profile_uid", "typed_keys"}, &S::QueryKeys},
      {"POST", "/_security/_query/api_key", {"with_limited_by", "with_profile_uid", "typed_keys"}, &S::QueryKeys},
      {"GET", "/_cluster/settings", {"flat_settings", "include_defaults", "master_timeout", "timeout"},
       &S::GetSettings},
      {"PUT", "/_cluster/settings", {"flat_settings", "master_timeout", "timeout"}, &S::PutSettings},
      {"GET", "/_remote/info", {}, &S::RemoteInfo, false},
      // Reading the keystore may be slow (file, key derivation): it runs
      // without mu, so routers and stream handlers on the event loop never wait.
      {"POST", "/_nodes/reload_secure_settings", {"timeout"}, &S::ReloadSecureSettings, false},
      {"POST", "/_nodes/{node_id}/reload_secure_settings", {"timeout"}, &S::ReloadSecureSettings, false},
      {"GET", "/_security/role", {}, &S::GetRoles},
      {"GET", "/_security/role/{name}", {}, &S::GetRoles},
      {"PUT", "/_security/role/{name}", {"refresh"}, &S::PutRole},
      {"POST", "/_security/role/{name}", {"refresh"}, &S::PutRole},
      {"DELETE", "/_security/role/{name}", {"refresh"}, &S::DeleteRole},
  };
  return kEndpoints;
}


Twin::State::State(TwinOptions opts, Clock& c, Dialer d)
    : options(std::move(opts)), clock(c), dialer(std::move(d)) {
  version = ParseVersion(options.version);
  uuid = RandomToken(16);
  node_id = RandomToken(16);
  node_name = options.name + "-es-default-0";
}

void Twin::State::RebuildRoutes() {
  Twin* self = twin;
  auto rest = std::make_shared<net::TlsRoute>();
  rest->name = "es/" + options.name + "/rest";
  rest->identity = config.http_identity;
  rest->client_auth = net::ClientAuth::kNone;
  rest->http = [self](const net::HttpRequest& r) { return self->HandleRest(r); };
  rest_route = rest;

  if (config.rcs_enabled) {
    auto rcs = std::make_shared<net::TlsRoute>();
    rcs->name = "es/" + options.name + "/rcs";
    rcs->identity = config.rcs_identity;
    rcs->client_auth = net::ClientAuth::kNone;
    rcs->stream = [self](const net::StreamPeer& p, std::string_view l) { return self->HandleRemoteClusterServer(p, l); };
    rcs_route = rcs;
  } else {
    rcs_route = nullptr;
  }

  auto transport = std::make_shared<net::TlsRoute>();
  transport->name = "es/" + options.name + "/transport";
  transport->identity = config.transport_identity;
  transport->client_auth = net::ClientAuth::kRequired;
  transport->client_ca_pems = config.transport_ca_pems;
  transport->stream = [self](const net::StreamPeer& p, std::string_view l) { return self->HandleTransport(p, l); };
  transport_route = transport;
}

net::HttpResponse Twin::State::Dispatch(const net::HttpRequest& request, const Principal* internal) {
  std::string uri = UriOf(request);
  auto segments = PathSegments(request.path);
  // Find the best-matching pattern among the endpoints this version has.
  int best = -1;
  std::string best_pattern;
  for (const auto& e : Endpoints()) {
    if (!version.AtLeast(e.since_major, e.since_minor)) continue;
    int score = MatchPattern(e.pattern, segments, nullptr);
    if (score > best) {
      best = score;
      best_pattern = e.pattern;
    }
  }
  if (best < 0) return NoHandler(uri, request.method);
  const Endpoint* endpoint = nullptr;
  std::vector<std::string> allowed;
  for (const auto& e : Endpoints()) {
    if (e.pattern != best_pattern || !version.AtLeast(e.since_major, e.since_minor)) continue;
    allowed.push_back(e.method);
    if (e.method == request.method) endpoint = &e;
  }
  if (endpoint == nullptr) return MethodNotAllowed(uri, request.method, allowed);

  RequestContext ctx{request, uri, {}, {}};
  MatchPattern(endpoint->pattern, segments, &ctx.params);
  for (const auto& [key, value] : request.query) {
    (void)value;
    if (CommonParams().count(key) ||
        std::find(endpoint->params.begin(), endpoint->params.end(), key) != endpoint->params.end()) {
      continue;
    }
    return BadRequest("request [" + request.path + "] contains unrecognized parameter: [" + key + "]");
  }
  net::HttpResponse response;
  {
    std::unique_lock<std::mutex> lock(mu);
    if (internal != nullptr) {
      ctx.principal = *internal;
    } else {
      auto denied = Authenticate(request, request.path, &ctx.principal);
      if (denied.status != 0) return denied;
    }
    if (endpoint->locked) {
      response = (this->*(endpoint->handler))(ctx);
    } else {
      lock.unlock();
      response = (this->*(endpoint->handler))(ctx);
    }
  }
  if (request.HasQuery("filter_path") && response.status < 300 && !response.body.empty()) {
    auto parsed = ParseJson(response.body);
    if (parsed.ok()) {
      response.body = DumpJson(ApplyFilterPath(*parsed, request.Query("filter_path")));
    }
  }
  return response;
}

// Returns status 0 when authenticated (principal filled), else the 401.
net::HttpResponse Twin::State::Authenticate(const net::HttpRequest& request, const std::string& path,
                                            Principal* out) {
  net::HttpResponse ok;
  ok.status = 0;
  std::string header = request.Header("authorization");
  if (header.empty()) {
    return Unauthorized("missing authentication credentials for REST request [" + path + "]");
  }
  auto space = header.find(' ');
  std::string scheme = header.substr(0, space);
  std::string value = space == std::string::npos ? "" : header.substr(space + 1);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme == "basic") {
    auto decoded = Base64Decode(value);
    std::string user, password;
    if (decoded) {
      auto colon = decoded->find(':');
      if (colon != std::string::npos) {
        user = decoded->substr(0, colon);
        password = decoded->substr(colon + 1);
      }
    }
    if (user.empty()) {
      return Unauthorized("missing authentication credentials for REST request [" + path + "]");
    }
    auto it = options.users.find(user);
    // Always compare (against a dummy when the user is unknown) so timing does
    // not reveal which users exist.
    Secret offered(password);
    bool match = false;
    if (it != options.users.end()) {
      match = it->second == offered;
    } else {
      static const Secret kDummy(std::string(32, 'x'));
      (void)(kDummy == offered);
    }
    if (!match) {
      return Unauthorized("unable to authenticate user [" + user + "] for REST request [" + path + "]");
    }
    out->username = user;
    if (user == "elastic") {
      out->realm = "reserved";
      out->realm_type = "reserved";
    } else {
      out->realm = "default_native";
      out->realm_type = "native";
    }
    return ok;
  }
  if (scheme == "apikey") {
    KeyCheck check = CheckKeyCredential(value, "rest");
    if (check.key == nullptr || !check.failure.empty()) {
      if (check.wrong_type) return Unauthorized(check.failure);
      Value extra = Value::object();
      if (!check.failure.empty()) extra["additional_unsuccessful_credentials"] = "API key: " + check.failure;
      return Unauthorized("unable to authenticate with provided credentials and anonymous access is not allowed for "
                          "this request",
                          extra);
    }
    out->username = check.key->username;
    out->realm = "_es_api_key";
    out->realm_type = "_es_api_key";
    out->via_api_key = true;
    out->api_key_id = check.key->id;
    out->api_key_name = check.key->name;
    out->api_key_owner_realm = check.key->realm;
    return ok;
  }
  return Unauthorized("missing authentication credentials for REST request [" + path + "]");
}

net::HttpResponse Twin::State::Info(const RequestContext&) {
  bool nine = version.major >= 9;
  Value v = {
      {"name", node_name},
      {"cluster_name", options.name},
      {"cluster_uuid", uuid},
      {"version",
       {{"number", options.version},
        {"build_flavor", "default"},
        {"build_type", "docker"},
        {"build_hash", Sha256Hex(options.version).substr(0, 40)},
        {"build_date", "2025-01-01T00:00:00.000000000Z"},
        {"build_snapshot", false},
        {"lucene_version", nine ? "10.2.2" : "9.12.0"},
        {"minimum_wire_compatibility_version", nine ? "8.18.0" : "7.17.0"},
        {"minimum_index_compatibility_version", nine ? "8.0.0" : "7.0.0"}}},
      {"tagline", "You Know, for Search"}};
  return net::HttpResponse::Json(200, v);
}

net::HttpResponse Twin::State::Health(const RequestContext&) {
  Value v = {{"cluster_name", options.name},
             {"status", "green"},
             {"timed_out", false},
             {"number_of_nodes", 1},
             {"number_of_data_nodes", 1},
             {"active_primary_shards", 0},
             {"active_shards", 0},
             {"relocating_shards", 0},
             {"initializing_shards", 0},
             {"unassigned_shards", 0},
             {"delayed_unassigned_shards", 0},
             {"number_of_pending_tasks", 0},
             {"number_of_in_flight_fetch", 0},
             {"task_max_waiting_in_queue_millis", 0},
             {"active_shards_percent_as_number", 100.0}};
  return net::HttpResponse::Json(200, v);
}

net::HttpResponse Twin::State::WhoAmI(const RequestContext& ctx) {
  const Principal& p = ctx.principal;
  Value v = {{"username", p.username},
             {"roles", p.via_api_key ? Value::array() : Value::array({"superuser"})},
             {"full_name", nullptr},
             {"email", nullptr},
             {"metadata", Value::object()},
             {"enabled", true},
             {"authentication_realm", {{"name", p.realm}, {"type", p.realm_type}}},
             {"lookup_realm", {{"name", p.realm}, {"type", p.realm_type}}},
             {"authentication_type", p.via_api_key ? "api_key" : "realm"}};
  if (p.via_api_key) {
    v["api_key"] = {{"id", p.api_key_id}, {"name", p.api_key_name}};
    v["metadata"] = Value::object();
  }
  return net::HttpResponse::Json(200, v);
}

net::HttpResponse Twin::State::ReloadSecureSettings(const RequestContext& ctx) {
  Value body;
  net::HttpResponse error;
  if (!ParseBody(ctx.request, false, &body, &error)) return error;
  std::optional<Secret> password;
  if (body.is_object()) {
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (it.key() != "secure_settings_password") return UnknownField("reload_secure_settings", it.key());
    }
    if (body.contains("secure_settings_password")) {
      if (!body["secure_settings_password"].is_string()) {
        return BadRequest("[secure_settings_password] must be a string");
      }
      password = Secret(body["secure_settings_password"].get<std::string>());
    }
  }
  Value nodes = Value::object();
  Value node = {{"name", node_name}};
  bool selected = true;
  if (ctx.params.count("node_id")) {
    const std::string& want = ctx.params.at("node_id");
    selected = false;
    for (const auto& part : SplitString(want, ',')) {
      if (part == "_all" || part == "_local" || part == "*" || part == node_id || part == node_name ||
          net::GlobMatch(part, node_name)) {
        selected = true;
      }
    }
  }
  if (selected) {
    ReloadSource source;
    {
      std::lock_guard<std::mutex> lock(mu);
      source = reload_source;
    }
    std::optional<Result<std::map<std::string, Secret>>> loaded;
    if (source) loaded = source(password);  // unlocked (node_id/node_name never change)
    std::lock_guard<std::mutex> lock(mu);
    if (loaded && loaded->ok()) {
      keystore = std::move(*loaded).value();
    } else if (loaded) {
      bool wrong_password = loaded->status().code() == StatusCode::kPermissionDenied;
      node["reload_exception"] = {{"type", wrong_password ? "security_exception" : "exception"},
                                  {"reason", loaded->status().message()}};
    }
    Value names = Value::array();
    for (const auto& [k, v] : keystore) {
      (void)v;
      names.push_back(k);
    }
    if (!node.contains("reload_exception")) node["secure_setting_names"] = names;
    nodes[node_id] = node;
  }
  int total = selected ? 1 : 0;
  Value v = {{"_nodes", {{"total", total}, {"successful", total}, {"failed", 0}}},
             {"cluster_name", options.name},
             {"nodes", nodes}};
  // ES reports a reload failure inside the node entry; the node call itself succeeded.
  return net::HttpResponse::Json(200, v);
}

Value Twin::State::InspectLocked() const {
  auto fingerprint = [](const std::shared_ptr<const pki::Identity>& id) -> Value {
    if (!id) return nullptr;
    auto info = pki::InspectCertificate(id->LeafPem());
    if (!info.ok()) return nullptr;
    return info->sha256_fingerprint;
  };
  Value keys = Value::array();
  for (const auto& [id, key] : api_keys) keys.push_back(KeyToJson(key, false));
  Value ks = Value::array();
  for (const auto& [k, v] : keystore) {
    (void)v;
    ks.push_back(k);
  }
  Value persistent_json = Value::object(), transient_json = Value::object();
  for (const auto& [k, v] : persistent) persistent_json[k] = v;
  for (const auto& [k, v] : transient) transient_json[k] = v;
  Value roles_json = Value::object();
  for (const auto& [k, v] : roles) roles_json[k] = v;
  Value failures = Value::object();
  for (const auto& [k, v] : remote_failures) failures[k] = v;
  Value connected = Value::object();
  for (const auto& [k, v] : remote_connected) connected[k] = v;
  Value statics = Value::object();
  for (const auto& [k, v] : config.static_settings) statics[k] = v;
  return Value{{"name", options.name},
               {"uuid", uuid},
               {"version", options.version},
               {"license", options.license},
               {"platform", options.platform},
               {"restarts", restarts},
               {"rcs_enabled", config.rcs_enabled},
               {"fingerprints",
                {{"http", fingerprint(config.http_identity)},
                 {"transport", fingerprint(config.transport_identity)},
                 {"rcs", fingerprint(config.rcs_identity)}}},
               {"keystore", ks},
               {"api_keys", keys},
               {"persistent", persistent_json},
               {"transient", transient_json},
               {"static_settings", statics},
               {"roles", roles_json},
               {"remote_failures", failures},
               {"remote_connected", connected}};
}

// ------------------------------------------------------------------- Twin

Twin::Twin(TwinOptions options, Clock& clock, Dialer dialer)
    : state_(std::make_unique<State>(std::move(options), clock, std::move(dialer))) {
  state_->twin = this;
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->RebuildRoutes();
}

Twin::~Twin() = default;

const std::string& Twin::name() const { return state_->options.name; }
const std::string& Twin::cluster_uuid() const { return state_->uuid; }
const std::string& Twin::version() const { return state_->options.version; }

net::HttpResponse Twin::HandleRest(const net::HttpRequest& request) { return state_->Dispatch(request, nullptr); }

std::string Twin::HandleRemoteClusterServer(const net::StreamPeer& peer, std::string_view line) {
  return state_->ServeRemoteCluster(peer, line);
}

std::string Twin::HandleTransport(const net::StreamPeer& peer, std::string_view line) {
  return state_->ServeTransport(peer, line);
}

std::shared_ptr<const net::TlsRoute> Twin::RestRoute() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->rest_route;
}

std::shared_ptr<const net::TlsRoute> Twin::RemoteClusterRoute() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->rcs_route;
}

std::shared_ptr<const net::TlsRoute> Twin::TransportRoute() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->transport_route;
}

void Twin::Restart(NodeConfig config) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->keystore = config.keystore;
  state_->config = std::move(config);
  ++state_->restarts;
  // A restart drops transient settings, as a full-cluster restart does.
  state_->transient.clear();
  state_->remote_connected.clear();
  state_->RebuildRoutes();
}

void Twin::SetKeystore(std::map<std::string, Secret> keystore) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->keystore = std::move(keystore);
}

void Twin::SetReloadSource(ReloadSource source) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->reload_source = std::move(source);
}

NodeConfig Twin::config() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  NodeConfig copy = state_->config;
  copy.keystore = state_->keystore;
  return copy;
}

int Twin::restarts() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->restarts;
}

std::vector<std::string> Twin::keystore_keys() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<std::string> out;
  for (const auto& [k, v] : state_->keystore) {
    (void)v;
    out.push_back(k);
  }
  return out;
}

net::HttpResponse Twin::CallInternal(const std::string& method, const std::string& path_and_query,
                                     const std::optional<Value>& body) {
  net::HttpRequest request;
  request.method = method;
  auto q = path_and_query.find('?');
  request.path = path_and_query.substr(0, q);
  if (q != std::string::npos) {
    for (const auto& pair : SplitString(path_and_query.substr(q + 1), '&')) {
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      request.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
    }
  }
  if (body) request.body = DumpJson(*body);
  request.headers["content-type"] = "application/json";
  Principal internal;
  internal.username = kInternalUser;
  internal.realm = "file";
  internal.realm_type = "file";
  return state_->Dispatch(request, &internal);
}

Value Twin::Inspect() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->InspectLocked();
}

}  // namespace crosslink::sandbox::es
