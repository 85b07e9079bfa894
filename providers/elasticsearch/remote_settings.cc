// es_remote_cluster: cluster.remote.<alias>.* persistent settings on the
// LOCAL cluster (DOMAIN.md ES.REMOTE.PUT / ES.REMOTE.DELETE).
//
// Cluster settings carry no marks, so "crosslink's" means: the alias is in
// the state, or its live settings already equal the desired ones (an
// interrupted run). Anything else configured under the alias is someone
// else's, and Plan says so. Desired values that are references (known only
// at apply time) are left out of that comparison.

#include <set>

#include "providers/elasticsearch/resources.h"

namespace crosslink::providers::elasticsearch {

namespace {

constexpr char kPrivilege[] = "manage";
constexpr char kReadPath[] =
    "/_cluster/settings?flat_settings=true&filter_path=persistent.cluster.remote";

std::string Prefix(const std::string& alias) { return "cluster.remote." + alias + "."; }

// Keys that belong to one connection mode only.
const std::set<std::string>& ProxyOnly() {
  static const std::set<std::string> k = {"proxy_address", "proxy_socket_connections",
                                          "server_name"};
  return k;
}
const std::set<std::string>& SniffOnly() {
  static const std::set<std::string> k = {"seeds", "node_connections"};
  return k;
}

Value FromSettingString(const std::string& key, const Value& v) {
  if (v.is_array()) {
    Value out = Value::array();
    for (const Value& item : v) out.push_back(item.is_string() ? item : Value(item.dump()));
    return out;
  }
  if (!v.is_string()) return v;
  const std::string s = v.get<std::string>();
  if (key == "skip_unavailable") {
    if (s == "true") return true;
    if (s == "false") return false;
  }
  if (key == "node_connections" || key == "proxy_socket_connections") {
    if (!s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoi(s);
    }
  }
  if (key == "seeds") {
    Value out = Value::array();
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      std::string part =
          s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }
  return v;
}

std::string AliasOf(const std::string& address, const Value& attrs) {
  return NameOf(address, attrs, "alias");
}

// True when every literal desired key has the same value in `live`.
bool MatchesDesired(const Value& live, const Value& desired) {
  if (!live.is_object() || !desired.is_object()) return false;
  for (auto it = desired.begin(); it != desired.end(); ++it) {
    if (it.key() == "alias" || HasRef(it.value())) continue;
    auto l = live.find(it.key());
    if (l == live.end() || *l != it.value()) return false;
  }
  return true;
}

Result<Value> ReadFlat(const ClusterClient& client) {
  Result<EsReply> reply =
      client.Expect("read the cluster.remote settings", kPrivilege, "GET", kReadPath);
  if (!reply.ok()) return reply.status();
  const Value& j = reply->json;
  if (j.is_object() && j.contains("persistent") && j["persistent"].is_object()) {
    return j["persistent"];
  }
  return Value::object();
}

}  // namespace

Value RemoteAttributesFromSettings(const Value& flat_persistent, const std::string& alias) {
  Value attrs = Value::object();
  if (!flat_persistent.is_object()) return attrs;
  const std::string prefix = Prefix(alias);
  for (auto it = flat_persistent.begin(); it != flat_persistent.end(); ++it) {
    if (it.key().rfind(prefix, 0) != 0 || it.value().is_null()) continue;
    const std::string key = it.key().substr(prefix.size());
    attrs[key] = FromSettingString(key, it.value());
  }
  if (attrs.empty()) return attrs;
  attrs["alias"] = alias;
  if (!attrs.contains("mode")) attrs["mode"] = "sniff";  // Elasticsearch's default
  return attrs;
}

Value RemoteSettingsBody(const std::string& alias, const Value& desired, const Value& previous) {
  Value settings = Value::object();
  const std::string prefix = Prefix(alias);
  const std::string mode = JsonString(desired, "mode", "sniff");
  for (const std::string& k : mode == "proxy" ? SniffOnly() : ProxyOnly()) {
    settings[prefix + k] = nullptr;
  }
  if (previous.is_object()) {
    for (auto it = previous.begin(); it != previous.end(); ++it) {
      if (it.key() == "alias" || desired.contains(it.key())) continue;
      settings[prefix + it.key()] = nullptr;
    }
  }
  for (auto it = desired.begin(); it != desired.end(); ++it) {
    if (it.key() == "alias" || it.value().is_null()) continue;
    settings[prefix + it.key()] = it.value();
  }
  return Value{{"persistent", settings}};
}

Status ReadRemoteClusters(const ClusterClient& client, const std::vector<const ReadItem*>& items,
                          ReadResponse* out) {
  Result<Value> flat = ReadFlat(client);
  if (!flat.ok()) return flat.status();
  for (const ReadItem* item : items) {
    const std::string alias = AliasOf(item->address, ItemAttributes(*item));
    LiveObject live;
    live.attributes = RemoteAttributesFromSettings(*flat, alias);
    live.exists = !live.attributes.empty();
    if (live.exists) {
      live.managed_by_crosslink =
          item->prior != nullptr ||
          (item->desired != nullptr && MatchesDesired(live.attributes, item->desired->attributes));
    }
    out->objects[item->address] = std::move(live);
  }
  return Status::Ok();
}

PlanResponse PlanRemoteCluster(const PlanRequest& req) {
  PlanResponse resp = Provider::DefaultPlan(req);
  if (req.desired != nullptr && req.prior == nullptr && req.live != nullptr && req.live->exists &&
      !req.live->managed_by_crosslink) {
    const std::string alias = AliasOf(req.desired->address, req.desired->attributes);
    std::string have;
    for (const char* k : {"mode", "proxy_address", "server_name", "seeds"}) {
      if (req.live->attributes.contains(k)) {
        have += std::string(have.empty() ? "" : ", ") + k + " " + req.live->attributes[k].dump();
      }
    }
    resp.diagnostics.Error(
        SourceLocation{}, req.desired->address,
        "alias \"" + alias + "\" is already configured on cluster \"" + req.desired->cluster +
            "\" by someone else (" + have + "), differently from what crosslink would set",
        "remove it from the cluster (PUT _cluster/settings with cluster.remote." + alias +
            ".* set to null) or pick another alias for this connection");
  }
  return resp;
}

ApplyResponse PutRemoteCluster(const ClusterClient& client, const ApplyRequest& req) {
  const std::string address = ApplyAddress(req);
  const std::string alias = AliasOf(address, req.attributes);
  if (HasRef(req.attributes)) {
    return Failed(Status::Internal(address + ": attributes still hold unresolved references"));
  }
  const Value previous = req.prior != nullptr ? req.prior->attributes : Value::object();
  Result<EsReply> reply =
      client.Expect("set the cluster.remote." + alias + ".* settings", kPrivilege, "PUT",
                    "/_cluster/settings", RemoteSettingsBody(alias, req.attributes, previous));
  if (!reply.ok()) return Failed(reply.status());
  ApplyResponse r;
  r.result.exists = true;
  r.result.managed_by_crosslink = true;
  r.result.attributes = req.attributes;
  return r;
}

ApplyResponse DeleteRemoteCluster(const ClusterClient& client, const ApplyRequest& req) {
  const std::string address = ApplyAddress(req);
  const Value& attrs = req.prior != nullptr ? req.prior->attributes : req.attributes;
  const std::string alias = AliasOf(address, attrs);
  Result<Value> flat = ReadFlat(client);
  if (!flat.ok()) return Failed(flat.status());
  Value nulls = Value::object();
  const std::string prefix = Prefix(alias);
  for (auto it = flat->begin(); it != flat->end(); ++it) {
    if (it.key().rfind(prefix, 0) == 0) nulls[it.key()] = nullptr;
  }
  ApplyResponse r;
  if (nulls.empty()) return r;  // nothing left for the alias
  Result<EsReply> reply =
      client.Expect("remove the cluster.remote." + alias + ".* settings", kPrivilege, "PUT",
                    "/_cluster/settings", Value{{"persistent", nulls}});
  if (!reply.ok()) return Failed(reply.status());
  return r;
}

}  // namespace crosslink::providers::elasticsearch
