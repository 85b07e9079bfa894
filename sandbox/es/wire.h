#pragma once
// The line protocol spoken on the twins' remote cluster server (RCS, 9443
// semantics) and transport (9300/9400 semantics) ports, after the real TLS
// handshake. It stands in for Elasticsearch's binary transport handshake:
// one JSON object per line each way.
//
//   client -> {"type":"handshake","profile":"_remote_cluster"|"default",
//              "credential":"<encoded cross-cluster API key>" (API key model only),
//              "from":"<local cluster name>"}
//   server -> {"ok":true,"cluster_name":"prod","cluster_uuid":"...","version":"8.15.0"}
//          |  {"ok":false,"error":{"type":"security_exception","reason":"..."}}
//
// The RCS port expects profile "_remote_cluster" and a credential; the
// transport port expects profile "default", a verified client certificate
// (mutual TLS) and no credential. Reasons use Elasticsearch's own words
// (DOMAIN.md §4 pitfall 8).

#include <optional>
#include <string>
#include <string_view>

#include "engine/core/value.h"

namespace crosslink::sandbox::es {

inline constexpr std::string_view kRemoteClusterProfile = "_remote_cluster";
inline constexpr std::string_view kDefaultProfile = "default";

struct HandshakeRequest {
  std::string profile;
  std::optional<std::string> credential;
  std::string from;
};

struct HandshakeResponse {
  bool ok = false;
  std::string cluster_name;
  std::string cluster_uuid;
  std::string version;
  std::string error_type;
  std::string error_reason;
};

std::string EncodeHandshakeRequest(const HandshakeRequest& request);
std::optional<HandshakeRequest> DecodeHandshakeRequest(std::string_view line);
std::string EncodeHandshakeResponse(const HandshakeResponse& response);
std::optional<HandshakeResponse> DecodeHandshakeResponse(std::string_view line);

}  // namespace crosslink::sandbox::es
