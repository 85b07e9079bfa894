// es_role: roles crosslink keeps (DOMAIN.md ES.ROLE.PUT / ES.ROLE.PUT.TLS),
// marked with metadata {"managed-by": "crosslink"}.
//
// Discovery is ONE GET /_security/role per cluster: it answers every item
// and, through the marks, finds the orphans (crosslink's roles no item names)
// in the same request. Bodies compare semantically (NormalizeRole): what
// Elasticsearch adds when it stores a role is not a difference.

#include <set>

#include "engine/core/http.h"
#include "providers/elasticsearch/resources.h"

namespace crosslink::providers::elasticsearch {

namespace {

constexpr char kPrivilege[] = "manage_security";

Value NormalizeIndices(const Value& list) {
  if (!list.is_array()) return list;
  Value out = Value::array();
  for (const Value& e : list) {
    if (!e.is_object()) {
      out.push_back(e);
      continue;
    }
    Value n = Value::object();
    for (auto it = e.begin(); it != e.end(); ++it) {
      const Value& v = it.value();
      if (it.key() == "names" || it.key() == "clusters") {
        n[it.key()] = v.is_string() ? Value::array({v}) : v;
      } else if (it.key() == "allow_restricted_indices") {
        if (v.is_boolean() && v.get<bool>()) n[it.key()] = true;
      } else if (v.is_null() || ((v.is_object() || v.is_array()) && v.empty())) {
        continue;
      } else {
        n[it.key()] = v;
      }
    }
    out.push_back(std::move(n));
  }
  return out;
}

std::string RoleName(const std::string& address, const Value& attrs) {
  return NameOf(address, attrs, "name");
}

bool Marked(const Value& role) {
  return role.is_object() && role.contains("metadata") &&
         JsonString(role["metadata"], kManagedByKey) == kManagedByValue;
}

// The role descriptor of es_role attributes ({} when there is none).
Value BodyOf(const Value& attrs) {
  if (!attrs.is_object() || !attrs.contains("body") || !attrs["body"].is_object()) {
    return Value::object();
  }
  return attrs["body"];
}

LiveObject ToLive(const std::string& name, const Value& role) {
  LiveObject live;
  live.exists = true;
  live.attributes = {{"name", name}, {"body", NormalizeRole(role)}};
  live.outputs = {{"name", name}};
  live.managed_by_crosslink = Marked(role);
  return live;
}

}  // namespace

Value NormalizeRole(const Value& body) {
  if (!body.is_object()) return Value::object();
  Value out = Value::object();
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    Value v = it.value();
    if (key == "transient_metadata") continue;
    if (key == "metadata" && v.is_object()) v.erase(kManagedByKey);
    if (key == "indices" || key == "remote_indices" || key == "remote_cluster") {
      v = NormalizeIndices(v);
    }
    if (v.is_null() || ((v.is_object() || v.is_array()) && v.empty())) continue;
    out[key] = std::move(v);
  }
  return out;
}

Status ReadRoles(const ClusterClient& client, const std::vector<const ReadItem*>& items,
                 ReadResponse* out) {
  Result<EsReply> reply =
      client.Expect("list the security roles", kPrivilege, "GET", "/_security/role", Value(), 404);
  if (!reply.ok()) return reply.status();
  const Value roles =
      reply->status == 200 && reply->json.is_object() ? reply->json : Value::object();
  std::set<std::string> named;
  for (const ReadItem* item : items) {
    const std::string name = RoleName(item->address, ItemAttributes(*item));
    named.insert(name);
    auto it = roles.find(name);
    LiveObject live = it != roles.end() ? ToLive(name, *it) : LiveObject{};
    // State keeps the body as the topology wrote it; when Elasticsearch's
    // answer means the same, report that body so the plan shows no drift.
    if (live.exists && item->prior != nullptr &&
        NormalizeRole(BodyOf(item->prior->attributes)) == live.attributes["body"]) {
      live.attributes["body"] = BodyOf(item->prior->attributes);
    }
    out->objects[item->address] = std::move(live);
  }
  for (auto it = roles.begin(); it != roles.end(); ++it) {
    if (named.count(it.key()) != 0 || !Marked(it.value()) || !ValidNamePart(it.key())) continue;
    Orphan o;
    o.address = std::string(kRoleType) + "." + client.cluster() + "." + it.key();
    o.type = kRoleType;
    o.description = "role '" + it.key() + "' on cluster \"" + client.cluster() + "\"";
    o.live = ToLive(it.key(), it.value());
    out->orphans.push_back(std::move(o));
  }
  return Status::Ok();
}

PlanResponse PlanRole(const PlanRequest& req) {
  if (req.desired == nullptr || req.live == nullptr || !req.live->exists ||
      HasRef(req.attributes)) {
    return Provider::DefaultPlan(req);
  }
  PlanResponse resp;
  const bool same =
      NormalizeRole(BodyOf(req.attributes)) == NormalizeRole(BodyOf(req.live->attributes)) &&
      (req.live->managed_by_crosslink || req.prior == nullptr);
  resp.action = same ? ChangeAction::kNoOp : ChangeAction::kUpdate;
  return resp;
}

ApplyResponse PutRole(const ClusterClient& client, const ApplyRequest& req) {
  const std::string address = ApplyAddress(req);
  const std::string name = RoleName(address, req.attributes);
  Value body = BodyOf(req.attributes);
  Value metadata = body.contains("metadata") ? body["metadata"] : Value::object();
  if (!metadata.is_object()) metadata = Value::object();
  metadata[kManagedByKey] = kManagedByValue;
  body["metadata"] = metadata;
  Result<EsReply> reply = client.Expect("put the role '" + name + "'", kPrivilege, "PUT",
                                        "/_security/role/" + http::UrlEncode(name), body);
  if (!reply.ok()) return Failed(reply.status());
  ApplyResponse r;
  r.result = ToLive(name, body);
  return r;
}

ApplyResponse DeleteRole(const ClusterClient& client, const ApplyRequest& req) {
  const std::string address = ApplyAddress(req);
  const Value& attrs = req.prior != nullptr ? req.prior->attributes : req.attributes;
  const std::string name = RoleName(address, attrs);
  Result<EsReply> reply = client.Expect("delete the role '" + name + "'", kPrivilege, "DELETE",
                                        "/_security/role/" + http::UrlEncode(name), Value(), 404);
  if (!reply.ok()) return Failed(reply.status());
  return ApplyResponse{};
}

}  // namespace crosslink::providers::elasticsearch
