// GET /_remote/info (the client side: dial every configured alias through the
// Dialer with the TLS options the node's configuration implies) and the
// server side of the remote cluster server and transport handshakes.

#include <algorithm>
#include <thread>

#include "engine/core/pki.h"
#include "sandbox/es/internal.h"
#include "sandbox/es/wire.h"

namespace crosslink::sandbox::es {

struct RemoteTarget {
  std::string alias;
  std::string mode;  // "sniff" | "proxy"
  bool api_key_model = false;
  std::vector<std::string> addresses;  // proxy: {proxy_address}; sniff: seeds
  Value seeds = Value::array();
  std::string server_name;
  bool verify_hostname = false;
  int sockets = 18;        // proxy_socket_connections
  int node_connections = 3;
  bool skip_unavailable = true;
  std::string initial_connect_timeout = "30s";
  net::DialOptions options;
  // Certificate model: the local's xpack.security.transport.ssl
  // trust_restrictions, which judge the remote's certificate too.
  std::vector<std::string> trust_restrictions;
  std::string line;  // holds the credential: never logged
  // Outcome.
  bool connected = false;
  std::string failure;
  Value remote;  // {cluster_name, cluster_uuid, version} when connected
};

namespace {

constexpr const char* kHandshakeAction = "cluster:internal/remote_cluster/handshake";

bool SplitHostPort(const std::string& address, std::string* host, uint16_t* port) {
  std::string p;
  if (!address.empty() && address[0] == '[') {
    auto close = address.find(']');
    if (close == std::string::npos || close + 2 > address.size()) return false;
    *host = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    *host = address.substr(0, colon);
    p = address.substr(colon + 1);
  }
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
  int n = std::stoi(p);
  if (n <= 0 || n > 65535) return false;
  *port = static_cast<uint16_t>(n);
  return true;
}

std::string Failure(const std::string& type, const std::string& reason) {
  HandshakeResponse r;
  r.ok = false;
  r.error_type = type;
  r.error_reason = reason;
  return EncodeHandshakeResponse(r);
}

std::string Accepted(const std::string& cluster_name, const std::string& cluster_uuid, const std::string& version) {
  HandshakeResponse r;
  r.ok = true;
  r.cluster_name = cluster_name;
  r.cluster_uuid = cluster_uuid;
  r.version = version;
  return EncodeHandshakeResponse(r);
}

// Elasticsearch's restricted trust manager: a peer certificate is trusted
// when one of its otherName subject alternative names (never the CN: stock
// certutil certificates without otherName fail, DOMAIN.md) matches one of
// the patterns.
bool MatchesRestrictions(const pki::CertificateInfo& info,
                         const std::vector<std::string>& patterns) {
  for (const auto& pattern : patterns) {
    for (const auto& name : info.other_names) {
      if (net::GlobMatch(pattern, name)) return true;
    }
  }
  return false;
}

// The same check on the server's certificate of an outgoing connection
// (Elasticsearch judges both directions). "" when trusted, else the failure
// in Elasticsearch's words.
std::string CheckServerRestrictions(const RemoteTarget& t, const std::string& server_pem) {
  if (t.trust_restrictions.empty()) return "";
  auto info = pki::InspectCertificate(server_pem);
  if (!info.ok()) return "unable to read the server certificate";
  if (MatchesRestrictions(*info, t.trust_restrictions)) return "";
  return "Certificate for " + info->subject + " with subject alternative names [" +
         JoinStrings(info->other_names, ",") + "] does not match the trusted names [" +
         JoinStrings(t.trust_restrictions, ",") + "]";
}

void DialTarget(const Dialer& dialer, RemoteTarget* t) {
  for (const auto& address : t->addresses) {
    std::string host;
    uint16_t port = 0;
    if (!SplitHostPort(address, &host, &port)) {
      t->failure = "invalid address [" + address + "]";
      continue;
    }
    net::DialOptions options = t->options;
    if (t->mode == "sniff") options.sni.clear();
    // Hostname verification (verification_mode: full) checks the SNI name when
    // one is sent, else the host dialed.
    options.verify_name = t->verify_hostname ? (options.sni.empty() ? host : options.sni) : "";
    net::DialResult result = dialer(host, port, options, t->line);
    if (!result.ok()) {
      t->failure = result.error.empty() ? "connect failed" : result.error;
      continue;
    }
    std::string untrusted = CheckServerRestrictions(*t, result.server_certificate_pem);
    if (!untrusted.empty()) {
      t->failure = untrusted;
      continue;
    }
    auto response = DecodeHandshakeResponse(result.response_line);
    if (!response) {
      t->failure = "invalid handshake response";
      continue;
    }
    if (!response->ok) {
      t->failure = response->error_reason;
      continue;
    }
    t->connected = true;
    t->failure.clear();
    t->remote = {{"cluster_name", response->cluster_name},
                 {"cluster_uuid", response->cluster_uuid},
                 {"version", response->version}};
    return;
  }
}

std::string AsString(const Value& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A count setting; static settings (elasticsearch.yml) are not validated by
// PUT _cluster/settings, so a malformed one falls back to the default.
int CountOr(const Value& v, int fallback) {
  std::string text = AsString(v);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return fallback;
  int n = std::stoi(text);
  return n >= 1 ? n : fallback;
}

}  // namespace

net::HttpResponse Twin::State::RemoteInfo(const RequestContext&) {
  std::vector<RemoteTarget> targets;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto settings = EffectiveSettings();
    std::map<std::string, std::map<std::string, Value>> by_alias;
    const std::string prefix = "cluster.remote.";
    for (const auto& [key, value] : settings) {
      if (key.rfind(prefix, 0) != 0) continue;
      std::string rest = key.substr(prefix.size());
      auto dot = rest.find('.');
      if (dot == std::string::npos) continue;
      std::string alias = rest.substr(0, dot);
      if (alias == "node" || alias == "initial_connect_timeout" || alias == "connections_per_cluster") continue;
      by_alias[alias][rest.substr(dot + 1)] = value;
    }
    std::string timeout = EffectiveString("cluster.remote.initial_connect_timeout");
    for (auto& [alias, s] : by_alias) {
      RemoteTarget t;
      t.alias = alias;
      t.mode = s.count("mode") ? AsString(s["mode"]) : "sniff";
      std::transform(t.mode.begin(), t.mode.end(), t.mode.begin(), ::tolower);
      if (t.mode == "proxy") {
        if (!s.count("proxy_address") || AsString(s["proxy_address"]).empty()) continue;  // not enabled
        t.addresses.push_back(AsString(s["proxy_address"]));
        if (s.count("server_name")) t.server_name = AsString(s["server_name"]);
        if (s.count("proxy_socket_connections")) t.sockets = CountOr(s["proxy_socket_connections"], t.sockets);
      } else {
        if (!s.count("seeds")) continue;
        const Value& seeds = s["seeds"];
        if (seeds.is_array()) {
          for (const auto& v : seeds) t.addresses.push_back(AsString(v));
        } else {
          for (auto& part : SplitString(AsString(seeds), ',')) {
            if (!part.empty()) t.addresses.push_back(part);
          }
        }
        if (t.addresses.empty()) continue;
        for (const auto& a : t.addresses) t.seeds.push_back(a);
        if (s.count("node_connections")) t.node_connections = CountOr(s["node_connections"], t.node_connections);
      }
      t.skip_unavailable = s.count("skip_unavailable") ? AsString(s["skip_unavailable"]) == "true"
                                                       : version.AtLeast(8, 15);
      if (!timeout.empty()) t.initial_connect_timeout = timeout;
      auto credential = keystore.find("cluster.remote." + alias + ".credentials");
      t.api_key_model = credential != keystore.end();
      HandshakeRequest request;
      request.from = options.name;
      t.options.timeout = std::chrono::milliseconds(1000);
      t.options.sni = t.server_name;
      if (t.api_key_model) {
        request.profile = std::string(kRemoteClusterProfile);
        request.credential = credential->second.expose();
        t.options.trusted_ca_pems = config.rcs_client_ca_pems.empty() ? options.public_ca_pems
                                                                      : config.rcs_client_ca_pems;
        t.verify_hostname = true;  // remote_cluster_client.ssl.verification_mode: full
      } else {
        request.profile = std::string(kDefaultProfile);
        t.options.trusted_ca_pems = config.transport_ca_pems;
        t.options.client_identity = config.transport_identity;
        t.verify_hostname = config.transport_verify_hostname;
        t.trust_restrictions = config.transport_trust_restrictions;
      }
      t.line = EncodeHandshakeRequest(request);
      targets.push_back(std::move(t));
    }
  }
  // Dial without the lock, several aliases at a time.
  constexpr size_t kParallel = 16;
  for (size_t start = 0; start < targets.size(); start += kParallel) {
    std::vector<std::thread> threads;
    for (size_t i = start; i < std::min(targets.size(), start + kParallel); ++i) {
      threads.emplace_back([this, &targets, i] { DialTarget(dialer, &targets[i]); });
    }
    for (auto& th : threads) th.join();
  }
  Value out = Value::object();
  std::lock_guard<std::mutex> lock(mu);
  for (auto& t : targets) {
    if (t.connected) {
      remote_failures.erase(t.alias);
      remote_connected[t.alias] = t.remote;
    } else {
      remote_failures[t.alias] = t.failure;
      remote_connected.erase(t.alias);
    }
    Value v = {{"connected", t.connected}, {"mode", t.mode}};
    if (t.mode == "proxy") {
      v["proxy_address"] = t.addresses.front();
      v["server_name"] = t.server_name;
      v["num_proxy_sockets_connected"] = t.connected ? t.sockets : 0;
      v["max_proxy_socket_connections"] = t.sockets;
    } else {
      v["seeds"] = t.seeds;
      v["num_nodes_connected"] = t.connected ? 1 : 0;
      v["max_connections_per_cluster"] = t.node_connections;
    }
    v["initial_connect_timeout"] = t.initial_connect_timeout;
    v["skip_unavailable"] = t.skip_unavailable;
    if (t.api_key_model) v["cluster_credentials"] = "::es_redacted::";
    out[t.alias] = v;
  }
  // Aliases no longer configured have no failure to report.
  for (auto it = remote_failures.begin(); it != remote_failures.end();) {
    it = out.contains(it->first) ? std::next(it) : remote_failures.erase(it);
  }
  return net::HttpResponse::Json(200, out);
}

std::string Twin::State::ServeRemoteCluster(const net::StreamPeer& peer, std::string_view line) {
  (void)peer;
  std::lock_guard<std::mutex> lock(mu);
  if (!config.rcs_enabled) return Failure("connect_transport_exception", "remote cluster server is not enabled");
  auto request = DecodeHandshakeRequest(line);
  if (!request) return Failure("illegal_argument_exception", "invalid handshake request");
  if (!request->credential || request->credential->empty()) {
    return Failure("security_exception",
                   "Cross cluster requests through the dedicated remote cluster server port require transport header "
                   "[_cross_cluster_access_credentials] but none found. Please ensure you have configured remote "
                   "cluster credentials on the cluster originating the request.");
  }
  if (request->profile != kRemoteClusterProfile) {
    return Failure("illegal_argument_exception",
                   "remote cluster handshake action requires channel profile to be [_remote_cluster], but got [" +
                       request->profile + "]");
  }
  if (!LicenseAllowsRcs()) {
    return Failure("security_exception", "current license is non-compliant for [advanced-remote-cluster-security]");
  }
  KeyCheck check = CheckKeyCredential(*request->credential, "cross_cluster");
  if (check.wrong_type) return Failure("security_exception", check.failure);
  if (check.key == nullptr || !check.failure.empty()) {
    return Failure("security_exception",
                   "unable to authenticate with provided credentials and anonymous access is not allowed for this "
                   "request [" + std::string(kHandshakeAction) + "]; API key: " + check.failure);
  }
  return Accepted(options.name, uuid, options.version);
}

std::string Twin::State::ServeTransport(const net::StreamPeer& peer, std::string_view line) {
  std::lock_guard<std::mutex> lock(mu);
  auto request = DecodeHandshakeRequest(line);
  if (!request) return Failure("illegal_argument_exception", "invalid handshake request");
  if (request->profile == kRemoteClusterProfile || request->credential) {
    return Failure("illegal_argument_exception",
                   "remote cluster handshake action requires channel profile to be [_remote_cluster], but got [" +
                       std::string(kDefaultProfile) + "]");
  }
  if (peer.client_chain_pem.empty()) return Failure("ssl_handshake_exception", "Empty client certificate chain");
  if (!config.transport_trust_restrictions.empty()) {
    auto info = pki::InspectCertificate(peer.client_chain_pem.front());
    if (!info.ok()) return Failure("ssl_handshake_exception", "unable to read the client certificate");
    if (!MatchesRestrictions(*info, config.transport_trust_restrictions)) {
      return Failure("ssl_handshake_exception",
                     "failed to establish trust with client at [" + peer.peer_address +
                         "]; the client provided a certificate with subject name [" + info->subject +
                         "] and subject alternative names [" + JoinStrings(info->other_names, ",") +
                         "] which are not trusted by the restrictions [" +
                         JoinStrings(config.transport_trust_restrictions, ",") + "]");
    }
  }
  return Accepted(options.name, uuid, options.version);
}

}  // namespace crosslink::sandbox::es
