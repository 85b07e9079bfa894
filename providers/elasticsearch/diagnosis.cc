#include "providers/elasticsearch/diagnosis.h"

#include <functional>

#include "providers/elasticsearch/es_client.h"

namespace crosslink::providers::elasticsearch {

namespace {

std::string Port(const std::string& address) {
  // The port of the first address ("h:9443", "[::1]:9300", "a:1,b:2").
  std::string first = address.substr(0, address.find(','));
  auto colon = first.rfind(':');
  auto bracket = first.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) return "";
  return first.substr(colon + 1);
}

bool TransportPort(const std::string& p) { return p == "9300" || p == "9400"; }

struct Rule {
  const char* id;
  std::function<bool(const RemoteObservation&)> when;
  std::function<std::string(const RemoteObservation&)> text;
};

std::string Q(const std::string& s) { return "\"" + s + "\""; }

const std::vector<Rule>& Rules() {
  static const std::vector<Rule> kRules = {
      {"alias-missing", [](const RemoteObservation& o) { return !o.present; },
       [](const RemoteObservation& o) {
         return "alias " + Q(o.alias) + " is not configured on cluster " + Q(o.local_cluster) +
                " (no cluster.remote." + o.alias +
                ".* settings): apply the es_remote_cluster "
                "resource first, or check that the alias is spelled the same everywhere";
       }},
      {"no-credential",
       [](const RemoteObservation& o) {
         return o.present && o.expect_credentials && !o.has_credentials;
       },
       [](const RemoteObservation& o) {
         return "cluster " + Q(o.local_cluster) + " has no credential for " + Q(o.alias) +
                " (no cluster_credentials): the keystore setting cluster.remote." + o.alias +
                ".credentials is missing or not loaded yet - add the encoded cross-cluster API "
                "key under exactly that name, then reload (self-managed: POST "
                "_nodes/reload_secure_settings; ECK: the pods must restart to pick up "
                "spec.secureSettings; ECH/ECE before 8.14: restart the deployment)";
       }},
      {"unexpected-credential",
       [](const RemoteObservation& o) {
         return o.present && !o.expect_credentials && o.has_credentials;
       },
       [](const RemoteObservation& o) {
         return "cluster " + Q(o.local_cluster) + " holds a credential cluster.remote." + o.alias +
                ".credentials, so it uses the API key model, but this connection uses "
                "the certificate model: remove that keystore entry (or switch the connection "
                "to security: api_key)";
       }},
      {"api-key-to-transport-port",
       [](const RemoteObservation& o) {
         return o.present && !o.connected && o.has_credentials && TransportPort(Port(o.address));
       },
       [](const RemoteObservation& o) {
         return "address " + o.address +
                " is a transport port (9300/9400), but the API key "
                "model connects to the remote cluster server, port 9443 (\"requires channel "
                "profile to be [_remote_cluster]\")";
       }},
      {"certificate-to-rcs-port",
       [](const RemoteObservation& o) {
         return o.present && !o.connected && !o.expect_credentials && Port(o.address) == "9443";
       },
       [](const RemoteObservation& o) {
         return "address " + o.address +
                " is the remote cluster server port 9443, but the "
                "certificate model connects to the transport port (9300, or 9400 on ECH/ECE)";
       }},
      {"tls-trust-or-server-name",
       [](const RemoteObservation& o) { return o.present && !o.connected && o.mode == "proxy"; },
       [](const RemoteObservation& o) {
         std::string name =
             o.server_name.empty() ? "the host of " + o.address : "server_name " + Q(o.server_name);
         return "TLS: the certificate the remote presents must be trusted by " +
                Q(o.local_cluster) +
                " (remote_cluster_client CA for API keys, transport CA "
                "for certificates) and must name " +
                name +
                " - ECK certificates cover "
                "<es>-es-remote-cluster.<ns>.svc / <es>-es-transport.<ns>.svc, not a load "
                "balancer address; ECH/ECE use the deployment endpoint";
       }},
      {"sniff-unreachable",
       [](const RemoteObservation& o) { return o.present && !o.connected && o.mode == "sniff"; },
       [](const RemoteObservation& o) {
         return "sniff mode needs the seeds (" + o.address +
                ") and the remote nodes' publish "
                "addresses to be reachable from " +
                Q(o.local_cluster) +
                "; ECK/ECH/ECE remotes "
                "from outside their network need mode proxy";
       }},
      {"key-rejected",
       [](const RemoteObservation& o) { return o.present && !o.connected && o.has_credentials; },
       [](const RemoteObservation&) {
         return std::string(
             "the remote may reject the API key: invalidated or expired, or not a "
             "cross-cluster key (re-create it: crosslink apply -replace on its "
             "es_cross_cluster_api_key)");
       }},
      {"remote-down", [](const RemoteObservation& o) { return o.present && !o.connected; },
       [](const RemoteObservation& o) {
         return "the remote may be down, its remote cluster server disabled "
                "(remote_cluster_server.enabled), or " +
                o.address + " unreachable from " + Q(o.local_cluster) +
                " (DNS, firewall, traffic filters on the remote)";
       }},
  };
  return kRules;
}

}  // namespace

RemoteObservation ObserveRemote(const Value& remote_info, const std::string& local_cluster,
                                const std::string& alias, bool expect_credentials) {
  RemoteObservation o;
  o.local_cluster = local_cluster;
  o.alias = alias;
  o.expect_credentials = expect_credentials;
  if (!remote_info.is_object() || !remote_info.contains(alias) || !remote_info[alias].is_object()) {
    return o;
  }
  const Value& info = remote_info[alias];
  o.present = true;
  o.mode = JsonString(info, "mode", "sniff");
  o.connected = JsonBool(info, "connected", false);
  o.has_credentials =
      info.contains("cluster_credentials") && !info["cluster_credentials"].is_null();
  o.server_name = JsonString(info, "server_name");
  if (info.contains("proxy_address") && info["proxy_address"].is_string()) {
    o.address = info["proxy_address"].get<std::string>();
  } else if (info.contains("seeds") && info["seeds"].is_array()) {
    for (const Value& s : info["seeds"]) {
      if (!s.is_string()) continue;
      o.address += (o.address.empty() ? "" : ",") + s.get<std::string>();
    }
  }
  return o;
}

bool ConnectionSatisfied(const RemoteObservation& o) {
  return o.present && o.connected && (!o.expect_credentials || o.has_credentials);
}

std::vector<LikelyCause> LikelyCauses(const RemoteObservation& o) {
  std::vector<LikelyCause> out;
  if (ConnectionSatisfied(o)) return out;
  for (const Rule& r : Rules()) {
    if (r.when(o)) out.push_back({r.id, r.text(o)});
  }
  return out;
}

std::string DescribeObservation(const RemoteObservation& o) {
  if (!o.present) return "alias \"" + o.alias + "\" not configured";
  std::string out = "mode " + o.mode;
  out += o.mode == "proxy" ? ", proxy_address " : ", seeds ";
  out += o.address.empty() ? "(none)" : o.address;
  if (o.mode == "proxy")
    out += ", server_name " + (o.server_name.empty() ? "(none)" : o.server_name);
  out += std::string(", connected ") + (o.connected ? "true" : "false");
  out += std::string(", credentials ") + (o.has_credentials ? "present" : "absent");
  return out;
}

}  // namespace crosslink::providers::elasticsearch
