#pragma once
// Private to sandbox/es: the twin's state and the helpers its source files
// share. Not part of the contract (twin.h / wire.h are).
//
// Thread-safety: Twin::State::mu guards every mutable field below; handlers
// take it for their whole (non-blocking) body. Outbound dials for
// `GET _remote/info` run without it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/http.h"
#include "engine/core/secret.h"
#include "engine/core/value.h"
#include "sandbox/es/twin.h"
#include "sandbox/net/net.h"
#include "sandbox/util.h"

namespace crosslink::sandbox::es {

// ---------------------------------------------------------------- util.cc
using http::Base64Encode;
// Standard alphabet, padding optional (as Java's Base64 decoder); nullopt on
// invalid input. Pads and calls http::Base64Decode.
std::optional<std::string> Base64Decode(std::string_view text);
std::string Sha256Hex(std::string_view bytes);
// Random URL-safe base64 text of `bytes` random bytes (no padding).
std::string RandomToken(size_t bytes);
// Constant-time equality of two equal-length strings (false if lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// Elasticsearch time values: "365d", "1h", "30m", "10s", "500ms", "-1".
// Returns milliseconds, nullopt when the unit is missing or unknown.
std::optional<int64_t> ParseTimeValueMillis(std::string_view text);
std::vector<std::string> SplitString(std::string_view text, char sep);
std::string JoinStrings(const std::vector<std::string>& parts, std::string_view sep);
using EsVersion = Version;  // sandbox/util.h: ParseVersion("8.15.0")
int64_t EpochMillis(Clock& clock);

// -------------------------------------------------------------- errors.cc
using net::EsError;  // {"error":{"root_cause":[..],"type","reason",..extra},"status":N}
net::HttpResponse BadRequest(const std::string& reason);  // illegal_argument_exception
net::HttpResponse ValidationFailed(const std::vector<std::string>& errors);  // action_request_validation_exception
net::HttpResponse UnknownField(const std::string& parser, const std::string& field);
net::HttpResponse NoHandler(const std::string& uri, const std::string& method);
net::HttpResponse MethodNotAllowed(const std::string& uri, const std::string& method,
                                   const std::vector<std::string>& allowed);
// 401 security_exception with the WWW-Authenticate challenge ES sends.
net::HttpResponse Unauthorized(const std::string& reason, const Value& extra = Value::object());
net::HttpResponse Forbidden(const std::string& reason);
// The JSON body of a request: null when empty. `*error` set on bad JSON, or
// (required) on an empty body.
bool ParseBody(const net::HttpRequest& request, bool required, Value* out, net::HttpResponse* error);

// ------------------------------------------------------------ state types
struct Principal {
  std::string username;
  std::string realm;       // authentication realm name
  std::string realm_type;
  bool via_api_key = false;
  std::string api_key_id;
  std::string api_key_name;
  std::string api_key_owner_realm;  // for API keys: the owner's realm
};

struct ApiKeyRecord {
  std::string id;
  std::string name;
  std::string type;         // "rest" | "cross_cluster"
  std::string secret_hash;  // SHA-256 hex of the secret part; the secret is never kept
  int64_t creation = 0;
  std::optional<int64_t> expiration;
  bool invalidated = false;
  std::optional<int64_t> invalidation;
  std::string username;
  std::string realm;
  std::string realm_type;
  Value metadata = Value::object();
  Value access;                          // cross_cluster keys: normalized access
  Value role_descriptors = Value::object();
  std::optional<std::string> certificate_identity;
  bool Expired(int64_t now) const { return expiration && now > *expiration; }
};

// Why an API key credential was refused (empty = accepted).
struct KeyCheck {
  const ApiKeyRecord* key = nullptr;
  std::string failure;  // ES reason text
  bool wrong_type = false;
};

struct RequestContext {
  const net::HttpRequest& request;
  std::string uri;  // path with query, as ES quotes it
  std::map<std::string, std::string> params;  // path parameters
  Principal principal;
};

struct Twin::State {
  State(TwinOptions opts, Clock& c, Dialer d);

  TwinOptions options;
  Clock& clock;
  Dialer dialer;
  EsVersion version;
  std::string uuid;
  std::string node_id;
  std::string node_name;
  Twin* twin = nullptr;

  mutable std::mutex mu;
  NodeConfig config;
  std::map<std::string, Secret> keystore;
  int restarts = 0;
  ReloadSource reload_source;
  std::map<std::string, ApiKeyRecord> api_keys;  // by id
  std::map<std::string, Value> persistent;        // flat key -> string or [string]
  std::map<std::string, Value> transient;
  std::map<std::string, Value> roles;             // name -> normalized descriptor
  std::map<std::string, std::string> remote_failures;  // alias -> last failure reason
  std::map<std::string, Value> remote_connected;       // alias -> remote cluster info
  std::shared_ptr<const net::TlsRoute> rest_route, rcs_route, transport_route;

  // One REST endpoint of the subset (twin.cc).
  struct Endpoint {
    std::string method;
    std::string pattern;  // "/_security/role/{name}"
    std::vector<std::string> params;  // accepted query parameters
    net::HttpResponse (State::*handler)(const RequestContext&);
    bool locked = true;  // run under mu (RemoteInfo and ReloadSecureSettings manage it themselves)
    int since_major = 0, since_minor = 0;  // first version that has it
  };
  static const std::vector<Endpoint>& Endpoints();
  // Stores a new key and answers with its one-time secret (api_keys.cc).
  net::HttpResponse IssueKey(ApiKeyRecord record);

  bool LicenseAllowsRcs() const { return options.license == "enterprise" || options.license == "trial"; }
  void RebuildRoutes();

  // twin.cc
  net::HttpResponse Dispatch(const net::HttpRequest& request, const Principal* internal);
  net::HttpResponse Authenticate(const net::HttpRequest& request, const std::string& uri, Principal* out);
  net::HttpResponse Info(const RequestContext& ctx);
  net::HttpResponse Health(const RequestContext& ctx);
  net::HttpResponse WhoAmI(const RequestContext& ctx);
  net::HttpResponse ReloadSecureSettings(const RequestContext& ctx);
  Value InspectLocked() const;

  // api_keys.cc (mu held)
  void PurgeRetiredKeys();
  KeyCheck CheckKeyCredential(std::string_view encoded, const std::string& expected_type);
  net::HttpResponse CreateRestKey(const RequestContext& ctx);
  net::HttpResponse CreateCrossClusterKey(const RequestContext& ctx);
  net::HttpResponse UpdateCrossClusterKey(const RequestContext& ctx);
  net::HttpResponse GetKeys(const RequestContext& ctx);
  net::HttpResponse InvalidateKeys(const RequestContext& ctx);
  Value KeyToJson(const ApiKeyRecord& key, bool with_limited_by) const;
  // api_key_query.cc (mu held)
  net::HttpResponse QueryKeys(const RequestContext& ctx);

  // settings.cc (mu held)
  net::HttpResponse GetSettings(const RequestContext& ctx);
  net::HttpResponse PutSettings(const RequestContext& ctx);
  std::map<std::string, Value> EffectiveSettings() const;
  std::string EffectiveString(const std::string& key) const;  // "" when unset

  // remote_info.cc
  net::HttpResponse RemoteInfo(const RequestContext& ctx);  // takes mu itself
  std::string ServeRemoteCluster(const net::StreamPeer& peer, std::string_view line);
  std::string ServeTransport(const net::StreamPeer& peer, std::string_view line);

  // roles.cc (mu held)
  net::HttpResponse PutRole(const RequestContext& ctx);
  net::HttpResponse GetRoles(const RequestContext& ctx);
  net::HttpResponse DeleteRole(const RequestContext& ctx);
};

// settings.cc: filter_path applied to a response body ("a.b,c.*").
Value ApplyFilterPath(const Value& body, const std::string& filter_path);

}  // namespace crosslink::sandbox::es
