// Same-operator spec.remoteClusters (DOMAIN.md §2.3 ECK.SAME.APIKEY / TLS):
// transport CA copies both ways, cross-cluster API keys on the server with
// the encoded keys in the client's `<client>-es-remote-api-keys` Secret, and
// sniff seeds on the client.
#include "sandbox/eck/internal.h"
#include "sandbox/k8s/objects.h"

namespace crosslink::sandbox::eck {

using k8s::ApiServer;
using k8s::NameOf;
using k8s::NamespaceOf;

namespace {

struct Ref {
  Value client;  // the client ES object
  std::string alias;
  std::string remote_ns, remote_name;
  std::optional<Value> api_key;  // spec.remoteClusters[].apiKey
};

// The CRD's apiKey.access holds one `search` and one `replication` object;
// the Elasticsearch API takes arrays of them (ECK wraps each in a list).
Value EsAccess(const Value& api_key) {
  Value access = api_key.value("access", Value::object());
  for (const char* k : {"search", "replication"}) {
    if (access.contains(k) && access[k].is_object()) access[k] = Value::array({access[k]});
  }
  return access;
}

std::string KeyName(const Ref& r) { return "eck-" + NamespaceOf(r.client) + "-" + NameOf(r.client) + "-" + r.alias; }

}  // namespace

void Operator::ReconcileRemoteClusters(const std::vector<Value>& all) {
  const bool licensed = options_.license == "enterprise" || options_.license == "trial";
  const bool api_keys_supported = options_.operator_version.AtLeast(2, 16);
  std::vector<Ref> refs;
  for (const Value& es : all) {
    const Value remotes = es["spec"].value("remoteClusters", Value::array());
    if (remotes.empty()) continue;
    if (!licensed) {
      Event("Warning", "ReconciliationError", NamespaceOf(es) + "/" + NameOf(es),
            "remote cluster connections require an enterprise license: spec.remoteClusters ignored (license: " + options_.license + ")");
      continue;
    }
    for (const Value& r : remotes) {
      Ref ref;
      ref.client = es;
      ref.alias = r.value("name", "");
      const Value target = r.value("elasticsearchRef", Value::object());
      ref.remote_name = target.value("name", "");
      ref.remote_ns = target.value("namespace", "");
      if (ref.remote_ns.empty()) ref.remote_ns = NamespaceOf(es);
      if (r.contains("apiKey") && api_keys_supported) ref.api_key = r["apiKey"];
      if (ref.remote_name.empty()) continue;
      refs.push_back(std::move(ref));
    }
  }

  // 1. CA copies both ways; stale copies are removed.
  std::set<std::string> wanted_copies;  // "<ns>/<name>"
  auto copy_ca = [&](const std::string& local_ns, const std::string& local, const std::string& remote_ns, const std::string& remote) {
    Cluster* from = ClusterFor(remote_ns, remote);
    Cluster* to = ClusterFor(local_ns, local);
    if (from == nullptr || to == nullptr) return;
    const std::string name = local + "-" + remote_ns + "-" + remote + "-es-remote-ca";
    wanted_copies.insert(local_ns + "/" + name);
    k8s::ApiResult pub = api_.Get(ApiServer::Secrets(), remote_ns, ServiceName(remote, "transport-certs-public"));
    if (!pub.ok()) return;
    const Value labels = {{"elasticsearch.k8s.elastic.co/remote-cluster-namespace", remote_ns},
                          {"elasticsearch.k8s.elastic.co/remote-cluster-name", remote},
                          {kClusterNameLabel, local},
                          {kTypeLabel, "remote-ca"}};
    k8s::ApiResult owner = api_.Get(ApiServer::Elasticsearches(), local_ns, local);
    Status s = EnsureSecret(local_ns, name, labels, nullptr, {{"ca.crt", k8s::SecretData(pub.object, "ca.crt").value_or("")}},
                            owner.ok(), owner.object);
    if (!s.ok()) Event("Warning", "ReconciliationError", local_ns + "/" + local, s.message());
  };
  for (const Ref& r : refs) {
    copy_ca(NamespaceOf(r.client), NameOf(r.client), r.remote_ns, r.remote_name);
    copy_ca(r.remote_ns, r.remote_name, NamespaceOf(r.client), NameOf(r.client));
  }
  k8s::ApiResult copies = api_.List(ApiServer::Secrets(), "", std::string(kTypeLabel) + "=remote-ca");
  for (const Value& s : copies.object.value("items", Value::array())) {
    if (wanted_copies.count(NamespaceOf(s) + "/" + NameOf(s)) == 0) api_.Delete(ApiServer::Secrets(), NamespaceOf(s), NameOf(s));
  }

  // 2. API keys, per server cluster.
  std::map<std::string, std::vector<const Ref*>> by_server;  // "<ns>/<name>" -> refs with apiKey
  for (const Ref& r : refs) {
    if (r.api_key) by_server[r.remote_ns + "/" + r.remote_name];
  }
  for (const Ref& r : refs) {
    if (r.api_key) by_server[r.remote_ns + "/" + r.remote_name].push_back(&r);
  }
  // client "<ns>/<name>" -> alias -> (encoded or "" to keep, id)
  std::map<std::string, std::map<std::string, std::pair<std::optional<std::string>, std::string>>> client_keys;
  std::set<std::string> clients_with_keys;
  for (const Ref& r : refs) clients_with_keys.insert(NamespaceOf(r.client) + "/" + NameOf(r.client));
  std::set<std::string> pending_servers;  // servers not ready: keep the clients' keys as they are
  for (const auto& [server_id, server_refs] : by_server) {
    Cluster* server = clusters_.count(server_id) > 0 ? clusters_[server_id].get() : nullptr;
    if (server == nullptr || !server->started) {
      pending_servers.insert(server_id);
      for (const Ref* r : server_refs) {
        Event("Warning", "RemoteClusterPending", NamespaceOf(r->client) + "/" + NameOf(r->client),
              "remote cluster " + server_id + " is not ready yet (alias " + r->alias + ")");
      }
      continue;
    }
    net::HttpResponse listed = server->twin->CallInternal("GET", "/_security/api_key?active_only=true&name=eck-*", std::nullopt);
    if (listed.status != 200) {
      Event("Warning", "ReconciliationError", server_id, "listing API keys: HTTP " + std::to_string(listed.status));
      pending_servers.insert(server_id);
      continue;
    }
    Result<Value> body = ParseJson(listed.body);
    std::map<std::string, Value> existing;
    if (body.ok()) {
      for (const Value& k : body->value("api_keys", Value::array())) existing[k.value("name", "")] = k;
    }
    std::set<std::string> expected;
    for (const Ref* r : server_refs) {
      const std::string name = KeyName(*r);
      expected.insert(name);
      const std::string client_id = NamespaceOf(r->client) + "/" + NameOf(r->client);
      const std::string config_hash = Fingerprint(r->api_key->dump());
      const Value metadata = {{"elasticsearch.k8s.elastic.co/config-hash", config_hash},
                              {"elasticsearch.k8s.elastic.co/name", NameOf(r->client)},
                              {"elasticsearch.k8s.elastic.co/namespace", NamespaceOf(r->client)},
                              {"elasticsearch.k8s.elastic.co/uid", r->client["metadata"].value("uid", "")},
                              {"elasticsearch.k8s.elastic.co/managed-by", "eck"}};
      // What the client's Secret says about this alias.
      k8s::ApiResult secret = api_.Get(ApiServer::Secrets(), NamespaceOf(r->client), ServiceName(NameOf(r->client), "remote-api-keys"));
      std::string recorded_id;
      bool has_credential = false;
      if (secret.ok()) {
        Result<Value> ann = ParseJson(k8s::AnnotationOf(secret.object, kRemoteApiKeysAnnotation));
        if (ann.ok() && ann->is_object() && ann->contains(r->alias)) recorded_id = (*ann)[r->alias].value("id", "");
        has_credential = k8s::SecretData(secret.object, "cluster.remote." + r->alias + ".credentials").has_value();
      }
      auto it = existing.find(name);
      if (it != existing.end() && (it->second.value("id", "") != recorded_id || !has_credential)) {
        // Self-heal: a key the client does not hold is useless.
        server->twin->CallInternal("DELETE", "/_security/api_key", Value{{"ids", {it->second.value("id", "")}}});
        Event("Normal", "RemoteClusterApiKey", client_id, "invalidated API key " + name + " (not the one the client holds)");
        existing.erase(it);
        it = existing.end();
      }
      if (it == existing.end()) {
        Value req = {{"name", name}, {"access", EsAccess(*r->api_key)}, {"metadata", metadata}};
        net::HttpResponse created = server->twin->CallInternal("POST", "/_security/cross_cluster/api_key", req);
        Result<Value> cb = ParseJson(created.body);
        if (created.status != 200 || !cb.ok()) {
          Event("Warning", "ReconciliationError", client_id, "creating API key " + name + ": HTTP " + std::to_string(created.status) + " " + created.body);
          client_keys[client_id][r->alias] = {std::nullopt, recorded_id};
          continue;
        }
        client_keys[client_id][r->alias] = {cb->value("encoded", ""), cb->value("id", "")};
        Event("Normal", "RemoteClusterApiKey", client_id, "created API key " + name + " on " + server_id);
        continue;
      }
      const std::string id = it->second.value("id", "");
      if (it->second.value("metadata", Value::object()).value("elasticsearch.k8s.elastic.co/config-hash", "") != config_hash) {
        Value req = {{"access", EsAccess(*r->api_key)}, {"metadata", metadata}};
        net::HttpResponse updated = server->twin->CallInternal("PUT", "/_security/cross_cluster/api_key/" + id, req);
        if (updated.status != 200) {
          Event("Warning", "ReconciliationError", client_id, "updating API key " + name + ": HTTP " + std::to_string(updated.status));
        }
      }
      client_keys[client_id][r->alias] = {std::nullopt, id};  // keep the stored credential
    }
    // Unexpected keys managed by ECK: invalidate.
    for (const auto& [name, key] : existing) {
      if (expected.count(name) > 0) continue;
      if (key.value("metadata", Value::object()).value("elasticsearch.k8s.elastic.co/managed-by", "") != "eck") continue;
      server->twin->CallInternal("DELETE", "/_security/api_key", Value{{"name", name}});
      Event("Normal", "RemoteClusterApiKey", server_id, "invalidated API key " + name);
    }
  }
  // Servers that no longer have any API-key client: invalidate their ECK keys.
  for (const auto& [id, c] : clusters_) {
    if (by_server.count(id) > 0 || !c->started) continue;
    net::HttpResponse listed = c->twin->CallInternal("GET", "/_security/api_key?active_only=true&name=eck-*", std::nullopt);
    Result<Value> body = ParseJson(listed.body);
    if (listed.status != 200 || !body.ok()) continue;
    for (const Value& k : body->value("api_keys", Value::array())) {
      if (k.value("metadata", Value::object()).value("elasticsearch.k8s.elastic.co/managed-by", "") != "eck") continue;
      c->twin->CallInternal("DELETE", "/_security/api_key", Value{{"name", k.value("name", "")}});
      Event("Normal", "RemoteClusterApiKey", id, "invalidated API key " + k.value("name", ""));
    }
  }

  // 3. Client Secrets `<client>-es-remote-api-keys`.
  for (const auto& [id, c] : clusters_) {
    const std::string secret_name = ServiceName(c->name, "remote-api-keys");
    k8s::ApiResult current = api_.Get(ApiServer::Secrets(), c->ns, secret_name);
    auto want = client_keys.find(id);
    bool waiting = false;
    for (const Ref& r : refs) {
      if (NamespaceOf(r.client) + "/" + NameOf(r.client) == id && r.api_key && pending_servers.count(r.remote_ns + "/" + r.remote_name) > 0) waiting = true;
    }
    if (want == client_keys.end() && !waiting) {
      if (current.ok()) api_.Delete(ApiServer::Secrets(), c->ns, secret_name);
      continue;
    }
    std::map<std::string, std::string> data;
    Value annotation = Value::object();
    Result<Value> old_ann = current.ok() ? ParseJson(k8s::AnnotationOf(current.object, kRemoteApiKeysAnnotation)) : Result<Value>(Value::object());
    if (want != client_keys.end()) {
      for (const auto& [alias, key] : want->second) {
        const std::string entry = "cluster.remote." + alias + ".credentials";
        std::optional<std::string> value = key.first;
        if (!value && current.ok()) value = k8s::SecretData(current.object, entry);
        if (!value) continue;
        data[entry] = *value;
        annotation[alias] = {{"namespace", c->ns}, {"name", c->name}, {"id", key.second}};
      }
    }
    if (waiting && current.ok()) {  // keep what is there for servers not ready
      for (const Ref& r : refs) {
        if (NamespaceOf(r.client) + "/" + NameOf(r.client) != id || !r.api_key) continue;
        const std::string entry = "cluster.remote." + r.alias + ".credentials";
        if (data.count(entry) > 0) continue;
        if (auto v = k8s::SecretData(current.object, entry)) {
          data[entry] = *v;
          if (old_ann.ok() && old_ann->contains(r.alias)) annotation[r.alias] = (*old_ann)[r.alias];
        }
      }
    }
    if (data.empty()) {
      if (current.ok()) api_.Delete(ApiServer::Secrets(), c->ns, secret_name);
      continue;
    }
    const Value labels = {{kTypeLabel, "remote-cluster-api-keys"}, {kClusterNameLabel, c->name}, {"eck.k8s.elastic.co/credentials", "true"}};
    k8s::ApiResult owner = api_.Get(ApiServer::Elasticsearches(), c->ns, c->name);
    Status s = EnsureSecret(c->ns, secret_name, labels, {{kRemoteApiKeysAnnotation, annotation.dump()}}, data, owner.ok(), owner.object);
    if (!s.ok()) Event("Warning", "ReconciliationError", id, s.message());
  }

  // 4. Sniff seeds on the clients, tracked in the managed-remote-clusters annotation.
  for (const auto& [id, c] : clusters_) {
    if (!c->started) continue;
    k8s::ApiResult es = api_.Get(ApiServer::Elasticsearches(), c->ns, c->name);
    if (!es.ok()) continue;
    std::map<std::string, std::string> desired;  // alias -> seed
    for (const Ref& r : refs) {
      if (NamespaceOf(r.client) != c->ns || NameOf(r.client) != c->name) continue;
      desired[r.alias] = r.api_key ? ServiceName(r.remote_name, "remote-cluster") + "." + r.remote_ns + ".svc:9443"
                                   : ServiceName(r.remote_name, "transport") + "." + r.remote_ns + ".svc:9300";
    }
    std::set<std::string> managed;
    std::string ann = k8s::AnnotationOf(es.object, kManagedRemotesAnnotation);
    for (size_t start = 0; start < ann.size();) {
      size_t comma = ann.find(',', start);
      std::string alias = ann.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!alias.empty()) managed.insert(alias);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    Value remote = Value::object();
    for (const auto& [alias, seed] : desired) {
      const std::string want = Value::array({seed}).dump();
      if (c->applied_seeds[alias] != want) remote[alias] = {{"seeds", Value::array({seed})}};
    }
    for (const std::string& alias : managed) {
      if (desired.count(alias) == 0) remote[alias] = {{"seeds", nullptr}};
    }
    if (!remote.empty()) {
      net::HttpResponse r = c->twin->CallInternal("PUT", "/_cluster/settings", Value{{"persistent", {{"cluster", {{"remote", remote}}}}}});
      if (r.status != 200) {
        Event("Warning", "ReconciliationError", id, "updating remote cluster settings: HTTP " + std::to_string(r.status) + " " + r.body);
        continue;
      }
      for (auto it = remote.begin(); it != remote.end(); ++it) {
        if ((*it)["seeds"].is_null()) {
          c->applied_seeds.erase(it.key());
        } else {
          c->applied_seeds[it.key()] = (*it)["seeds"].dump();
        }
      }
    }
    std::string want_ann;
    for (const auto& [alias, seed] : desired) want_ann += (want_ann.empty() ? "" : ",") + alias;
    if (want_ann != ann) {
      Value patch = {{"metadata", {{"annotations", {{kManagedRemotesAnnotation, want_ann.empty() ? Value(nullptr) : Value(want_ann)}}}}}};
      api_.Patch(ApiServer::Elasticsearches(), c->ns, c->name, "application/merge-patch+json", patch);
    }
  }
}

}  // namespace crosslink::sandbox::eck
