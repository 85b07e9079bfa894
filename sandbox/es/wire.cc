// The one-line JSON handshake of the twins' RCS and transport ports (wire.h).

#include "sandbox/es/wire.h"

namespace crosslink::sandbox::es {

namespace {
std::optional<Value> ParseObject(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  auto parsed = ParseJson(line);
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  return std::move(parsed).value();
}
}  // namespace

std::string EncodeHandshakeRequest(const HandshakeRequest& request) {
  Value v = {{"type", "handshake"}, {"profile", request.profile}, {"from", request.from}};
  if (request.credential) v["credential"] = *request.credential;
  return DumpJson(v);
}

std::optional<HandshakeRequest> DecodeHandshakeRequest(std::string_view line) {
  auto v = ParseObject(line);
  if (!v) return std::nullopt;
  if (!v->contains("type") || (*v)["type"] != "handshake") return std::nullopt;
  if (!v->contains("profile") || !(*v)["profile"].is_string()) return std::nullopt;
  HandshakeRequest request;
  request.profile = (*v)["profile"].get<std::string>();
  if (v->contains("credential")) {
    if (!(*v)["credential"].is_string()) return std::nullopt;
    request.credential = (*v)["credential"].get<std::string>();
  }
  if (v->contains("from") && (*v)["from"].is_string()) request.from = (*v)["from"].get<std::string>();
  return request;
}

std::string EncodeHandshakeResponse(const HandshakeResponse& response) {
  if (response.ok) {
    return DumpJson(Value{{"ok", true},
                          {"cluster_name", response.cluster_name},
                          {"cluster_uuid", response.cluster_uuid},
                          {"version", response.version}});
  }
  return DumpJson(Value{{"ok", false}, {"error", {{"type", response.error_type}, {"reason", response.error_reason}}}});
}

std::optional<HandshakeResponse> DecodeHandshakeResponse(std::string_view line) {
  auto v = ParseObject(line);
  if (!v || !v->contains("ok") || !(*v)["ok"].is_boolean()) return std::nullopt;
  HandshakeResponse response;
  response.ok = (*v)["ok"].get<bool>();
  auto str = [&](const Value& obj, const char* key) {
    return obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : std::string();
  };
  if (response.ok) {
    response.cluster_name = str(*v, "cluster_name");
    response.cluster_uuid = str(*v, "cluster_uuid");
    response.version = str(*v, "version");
  } else {
    if (!v->contains("error") || !(*v)["error"].is_object()) return std::nullopt;
    response.error_type = str((*v)["error"], "type");
    response.error_reason = str((*v)["error"], "reason");
  }
  return response;
}

}  // namespace crosslink::sandbox::es
