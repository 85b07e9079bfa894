// es_cross_cluster_api_key: a cross-cluster API key on the REMOTE cluster
// (DOMAIN.md ES.APIKEY.CREATE / UPDATE / INVALIDATE).
//
// Discovery: ONE POST /_security/_query/api_key per cluster lists every
// active cross-cluster key marked metadata.managed-by=crosslink; items match
// keys by name. Several active keys for one address (a crash between create
// and state save, then another create) are resolved by this rule: the key
// whose id the state records wins, else the newest (creation time); every
// other one is an orphan at "<address>.dup-<id>" (lower-cased id) so that the
// planner invalidates it. Marked keys of addresses no item names are orphans
// at es_cross_cluster_api_key.<metadata.local>.<metadata.alias>.

#include <algorithm>
#include <cctype>
#include <map>

#include "engine/core/http.h"
#include "providers/elasticsearch/resources.h"

namespace crosslink::providers::elasticsearch {

namespace {

constexpr char kPrivilege[] = "manage_security";
constexpr int kQuerySize = 10000;  // index.max_result_window

Value NormalizeEntry(const Value& entry, bool search) {
  if (!entry.is_object()) return entry;
  Value out = Value::object();
  Value names = entry.value("names", Value::array());
  if (names.is_string()) names = Value::array({names});
  out["names"] = names;
  out["allow_restricted_indices"] = JsonBool(entry, "allow_restricted_indices", false);
  if (search) {
    for (const char* k : {"field_security", "query"}) {
      if (entry.contains(k) && !entry[k].is_null() && !(entry[k].is_object() && entry[k].empty())) {
        out[k] = entry[k];
      }
    }
  }
  return out;
}

Value DesiredMetadata(const Value& attributes) {
  Value m = attributes.is_object() ? attributes.value("metadata", Value::object()) : Value();
  if (!m.is_object()) m = Value::object();
  m[kManagedByKey] = kManagedByValue;
  return m;
}

// The request body of create (with name) or update (without).
Value KeyBody(const Value& attributes, bool with_name) {
  Value access = NormalizeAccess(attributes.value("access", Value::object()));
  Value metadata = DesiredMetadata(attributes);
  metadata["config-hash"] = AccessHash(access);
  Value body = {{"access", access}, {"metadata", metadata}};
  if (with_name) body["name"] = JsonString(attributes, "name");
  return body;
}

struct LiveKey {
  std::string id;
  std::string name;
  int64_t creation = 0;
  Value access;
  Value metadata;
};

LiveObject ToLive(const LiveKey& k) {
  LiveObject live;
  live.exists = true;
  Value metadata = k.metadata.is_object() ? k.metadata : Value::object();
  metadata.erase("config-hash");
  live.attributes = {
      {"name", k.name}, {"access", NormalizeAccess(k.access)}, {"metadata", metadata}};
  live.outputs = {{"id", k.id}, {"name", k.name}};
  live.managed_by_crosslink = JsonString(k.metadata, kManagedByKey) == kManagedByValue;
  return live;
}

std::string DupSuffix(const std::string& id) {
  std::string out = "dup-";
  for (char c : id) {
    unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  return out;
}

Orphan ToOrphan(const std::string& address, const LiveKey& k) {
  Orphan o;
  o.address = address;
  o.type = kApiKeyType;
  o.description = "API key '" + k.name + "' (id " + k.id + ")";
  o.live = ToLive(k);
  return o;
}

// Every active (not invalidated, not expired) crosslink key of the cluster.
Result<std::vector<LiveKey>> QueryKeys(const ClusterClient& client, Clock& clock,
                                       const std::string& name = "") {
  Value filter = Value::array({Value{{"term", {{"type", "cross_cluster"}}}},
                               Value{{"term", {{"metadata.managed-by", kManagedByValue}}}},
                               Value{{"term", {{"invalidated", false}}}}});
  if (!name.empty()) filter.push_back(Value{{"term", {{"name", name}}}});
  Value body = {{"query", {{"bool", {{"filter", filter}}}}},
                {"size", kQuerySize},
                {"sort", Value::array({Value{{"creation", {{"order", "asc"}}}}})}};
  Result<EsReply> reply = client.Expect("list crosslink's cross-cluster API keys", kPrivilege,
                                        "POST", "/_security/_query/api_key", body);
  if (!reply.ok()) return reply.status();
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.WallNow().time_since_epoch())
          .count();
  std::vector<LiveKey> out;
  const Value& keys =
      reply->json.is_object() ? reply->json.value("api_keys", Value::array()) : Value::array();
  for (const Value& k : keys) {
    if (!k.is_object() || JsonBool(k, "invalidated", false)) continue;
    const int64_t expiration = JsonInt(k, "expiration", 0);
    if (expiration > 0 && expiration <= now) continue;
    LiveKey key;
    key.id = JsonString(k, "id");
    key.name = JsonString(k, "name");
    key.creation = JsonInt(k, "creation", 0);
    key.access = k.value("access", Value::object());
    key.metadata = k.value("metadata", Value::object());
    if (!key.id.empty()) out.push_back(std::move(key));
  }
  return out;
}

std::string PriorId(const state::ResourceState* prior) {
  return prior != nullptr ? JsonString(prior->outputs, "id") : "";
}

// "es_cross_cluster_api_key.<local>.<alias>" -> "crosslink-<local>-<alias>".
std::string DefaultKeyName(const std::string& address) {
  auto parts = AddressParts(address);
  return parts.size() == 3 ? "crosslink-" + parts[1] + "-" + parts[2] : std::string();
}

std::string KeyName(const ApplyRequest& req) {
  return ApplyString(req, "name", DefaultKeyName(ApplyAddress(req)));
}

}  // namespace

Value NormalizeAccess(const Value& access) {
  Value out = Value::object();
  if (!access.is_object()) return out;
  for (const char* kind : {"search", "replication"}) {
    if (!access.contains(kind) || !access[kind].is_array() || access[kind].empty()) continue;
    Value list = Value::array();
    for (const Value& e : access[kind]) list.push_back(NormalizeEntry(e, kind[0] == 's'));
    out[kind] = std::move(list);
  }
  return out;
}

std::string AccessHash(const Value& access) { return Sha256Hex(DumpJson(NormalizeAccess(access))); }

Status ReadApiKeys(const ClusterClient& client, const std::vector<const ReadItem*>& items,
                   Clock& clock, ReadResponse* out) {
  Result<std::vector<LiveKey>> keys = QueryKeys(client, clock);
  if (!keys.ok()) return keys.status();

  std::vector<bool> used(keys->size(), false);
  for (const ReadItem* item : items) {
    const std::string name = ItemString(*item, "name", DefaultKeyName(item->address));
    const std::string prior_id = PriorId(item->prior);
    int chosen = -1;
    std::vector<int> matches;
    for (size_t i = 0; i < keys->size(); ++i) {
      if ((*keys)[i].name != name) continue;
      matches.push_back(static_cast<int>(i));
      used[i] = true;
      if (!prior_id.empty() && (*keys)[i].id == prior_id) chosen = static_cast<int>(i);
    }
    if (chosen < 0 && !matches.empty()) chosen = matches.back();  // sorted by creation: newest
    LiveObject live;
    if (chosen >= 0) live = ToLive((*keys)[chosen]);
    out->objects[item->address] = std::move(live);
    for (int m : matches) {
      if (m == chosen) continue;
      out->orphans.push_back(ToOrphan(item->address + "." + DupSuffix((*keys)[m].id), (*keys)[m]));
    }
  }
  // Marked keys no item named, by the address their marks give.
  std::map<std::string, int> seen;
  for (size_t i = keys->size(); i-- > 0;) {  // newest first
    if (used[i]) continue;
    const LiveKey& k = (*keys)[i];
    const std::string local = JsonString(k.metadata, "local");
    const std::string alias = JsonString(k.metadata, "alias");
    if (!ValidNamePart(local) || !ValidNamePart(alias)) {
      out->diagnostics.Warning(
          SourceLocation{}, "",
          "cluster \"" + client.cluster() + "\": API key '" + k.name + "' (id " + k.id +
              ") is marked managed-by crosslink but has no valid "
              "metadata.local / metadata.alias: left alone",
          "invalidate it by hand if it is not used: DELETE /_security/api_key");
      continue;
    }
    std::string address = std::string(kApiKeyType) + "." + local + "." + alias;
    if (seen[address]++ > 0) address += "." + DupSuffix(k.id);
    out->orphans.push_back(ToOrphan(address, k));
  }
  return Status::Ok();
}

PlanResponse PlanApiKey(const PlanRequest& req) {
  if (req.desired == nullptr || req.live == nullptr || !req.live->exists ||
      HasRef(req.attributes)) {
    return Provider::DefaultPlan(req);
  }
  PlanResponse resp;
  const Value& live = req.live->attributes;
  const Value& want = req.attributes;
  if (JsonString(want, "name") != JsonString(live, "name")) {
    // The update API cannot rename a key.
    resp.action = ChangeAction::kReplace;
    resp.requires_replace.push_back("name");
    return resp;
  }
  Value want_meta = DesiredMetadata(want);
  Value live_meta = live.value("metadata", Value::object());
  const bool same = NormalizeAccess(want.value("access", Value::object())) ==
                        NormalizeAccess(live.value("access", Value::object())) &&
                    want_meta == live_meta;
  resp.action = same ? ChangeAction::kNoOp : ChangeAction::kUpdate;
  return resp;
}

ApplyResponse CreateApiKey(const ClusterClient& client, const ApplyRequest& req) {
  const std::string name = KeyName(req);
  if (!client.endpoint().has_user_credentials()) {
    return Failed(Status::FailedPrecondition(
        "cannot create the cross-cluster API key '" + name + "' on cluster \"" + client.cluster() +
        "\": Elasticsearch accepts only user credentials (not an API key) for this; set "
        "credentials.username/password for cluster \"" +
        client.cluster() + "\" (a user with the manage_security privilege)"));
  }
  Value attrs = req.attributes;
  attrs["name"] = name;
  Result<EsReply> reply =
      client.Expect("create the cross-cluster API key '" + name + "'", kPrivilege, "POST",
                    "/_security/cross_cluster/api_key", KeyBody(attrs, true));
  if (!reply.ok()) return Failed(reply.status());
  const Value& j = reply->json;
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("encoded") ||
      !j["encoded"].is_string()) {
    return Failed(Status::Internal("cluster \"" + client.cluster() +
                                   "\": the create cross-cluster API key response has no id or "
                                   "encoded value"));
  }
  ApplyResponse r;
  r.result.exists = true;
  r.result.managed_by_crosslink = true;
  r.result.attributes = {{"name", name},
                         {"access", NormalizeAccess(attrs.value("access", Value::object()))},
                         {"metadata", DesiredMetadata(attrs)}};
  r.result.outputs = {{"id", j["id"]}, {"name", name}};
  r.result.sensitive_outputs["encoded"] = Secret(j["encoded"].get<std::string>());
  return r;
}

ApplyResponse UpdateApiKey(const ClusterClient& client, const ApplyRequest& req, Clock& clock) {
  const std::string name = KeyName(req);
  std::string id = PriorId(req.prior);
  if (id.empty()) {
    // Adopting a key the state did not know: find it by name.
    Result<std::vector<LiveKey>> keys = QueryKeys(client, clock, name);
    if (!keys.ok()) return Failed(keys.status());
    if (keys->empty()) {
      return Failed(Status::NotFound("cluster \"" + client.cluster() +
                                     "\": no active crosslink API key named '" + name +
                                     "' to update (it was invalidated or expired meanwhile)"));
    }
    id = keys->back().id;
  }
  if (!client.endpoint().has_user_credentials()) {
    return Failed(Status::FailedPrecondition("cannot update the cross-cluster API key '" + name +
                                             "' on cluster \"" + client.cluster() +
                                             "\": only its owner user can (not an API key); set "
                                             "credentials.username/password for cluster \"" +
                                             client.cluster() + "\""));
  }
  Result<EsReply> reply = client.Expect(
      "update the cross-cluster API key '" + name + "' (id " + id + ")", kPrivilege, "PUT",
      "/_security/cross_cluster/api_key/" + http::UrlEncode(id), KeyBody(req.attributes, false));
  if (!reply.ok()) return Failed(reply.status());
  ApplyResponse r;
  r.result.exists = true;
  r.result.managed_by_crosslink = true;
  r.result.attributes = {
      {"name", name},
      {"access", NormalizeAccess(req.attributes.value("access", Value::object()))},
      {"metadata", DesiredMetadata(req.attributes)}};
  r.result.outputs = {{"id", id}, {"name", name}};
  return r;
}

ApplyResponse DeleteApiKey(const ClusterClient& client, const ApplyRequest& req, Clock& clock) {
  const std::string name = KeyName(req);
  std::vector<std::string> ids;
  if (std::string id = PriorId(req.prior); !id.empty()) {
    ids.push_back(id);
  } else {
    Result<std::vector<LiveKey>> keys = QueryKeys(client, clock, name);
    if (!keys.ok()) return Failed(keys.status());
    for (const LiveKey& k : *keys) ids.push_back(k.id);
  }
  ApplyResponse r;
  if (ids.empty()) return r;  // nothing active: already gone
  Result<EsReply> reply =
      client.Expect("invalidate the cross-cluster API key '" + name + "'", kPrivilege, "DELETE",
                    "/_security/api_key", Value{{"ids", ids}}, 404);
  if (!reply.ok()) return Failed(reply.status());
  if (reply->status == 404) return r;  // unknown id: nothing to invalidate
  const Value& j = reply->json;
  if (JsonInt(j, "error_count", 0) > 0) {
    std::string details;
    for (const Value& e : j.value("error_details", Value::array())) {
      details += (details.empty() ? "" : "; ") + EsErrorReason(Value{{"error", e}});
    }
    if (details.find("not found") == std::string::npos &&
        details.find("no such") == std::string::npos) {
      return Failed(Status::FailedPrecondition("cluster \"" + client.cluster() +
                                               "\": invalidating API key '" + name +
                                               "' failed: " + details));
    }
  }
  return r;
}

}  // namespace crosslink::providers::elasticsearch
