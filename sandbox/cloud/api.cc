// The Cloud API handlers (ECH and ECE): authentication, routing and checking
// through the Swagger contract, then one method per served operation.

#include <regex>

#include "sandbox/cloud/internal.h"
#include "sandbox/util.h"

namespace crosslink::sandbox::cloud {

namespace {

ApiError Error(int status, std::string code, std::string message, std::vector<std::string> fields = {}) {
  ApiError e;
  e.status = status;
  e.code = std::move(code);
  e.message = std::move(message);
  e.fields = std::move(fields);
  return e;
}

net::HttpResponse DeploymentNotFound(const std::string& id) {
  return Error(404, "deployments.deployment_not_found",
               "The requested deployment [" + id + "] could not be found")
      .ToResponse();
}

bool QueryFlag(const net::HttpRequest& request, const std::string& name, bool fallback) {
  if (!request.HasQuery(name)) return fallback;
  return request.Query(name) == "true";
}

bool Compatible(const std::string& a, const std::string& b) {
  auto major = [](const std::string& v) { return std::atoi(v.c_str()); };
  int ma = major(a), mb = major(b);
  if (ma == mb) return true;
  // 7.17 <-> 8.x; 8.18/8.19 <-> 9.x (DOMAIN.md §0).
  const std::string& older = ma < mb ? a : b;
  int newer = std::max(ma, mb);
  if (newer - std::min(ma, mb) != 1) return false;
  if (newer == 8) return VersionAtLeast(older, 7, 17);
  return VersionAtLeast(older, newer - 1, 18);
}

}  // namespace

net::HttpResponse Environment::HandleApi(const net::HttpRequest& request) {
  const std::string& base = options_.swagger->base_path();
  std::string auth = request.Header("authorization");
  const std::string prefix = "ApiKey ";
  if (auth.rfind(prefix, 0) != 0 || !(Secret(auth.substr(prefix.size())) == options_.api_key)) {
    return Error(401, "root.unauthorized", "The supplied authentication is invalid").ToResponse();
  }
  if (request.path.rfind(base + "/", 0) != 0) {
    return Error(404, "root.resource_not_found", "The requested resource could not be found").ToResponse();
  }
  std::string path = request.path.substr(base.size());
  bool path_exists = false;
  std::optional<Swagger::Match> match = options_.swagger->Find(request.method, path, &path_exists);
  if (!match) {
    if (path_exists) {
      return Error(405, "root.method_not_allowed",
                   "HTTP method [" + request.method + "] is not supported by [" + request.path + "]")
          .ToResponse();
    }
    return Error(404, "root.resource_not_found", "The requested resource could not be found").ToResponse();
  }
  Value body;
  if (std::optional<ApiError> invalid = options_.swagger->Validate(*match, request, &body)) {
    return invalid->ToResponse();
  }
  try {
    return Dispatch(*match, request, body);
  } catch (const nlohmann::json::exception& e) {
    // A shape the schema allowed but a handler did not expect: a twin bug.
    return Error(500, "root.internal_error", std::string("Internal error: ") + e.what()).ToResponse();
  }
}

net::HttpResponse Environment::Dispatch(const Swagger::Match& match, const net::HttpRequest& request,
                                        const Value& body) {
  const std::string& op = match.operation->operation_id;
  auto param = [&](const char* name) {
    auto it = match.path_params.find(name);
    return it == match.path_params.end() ? std::string() : it->second;
  };
  if (op == "list-deployments") return ListDeployments();
  if (op == "get-tls-certificate") return GetTlsCertificate(param("service_name"));
  if (op == "get-trust-relationships") return ListTrustRelationships(request);
  if (op == "get-trust-relationship") return GetTrustRelationship(param("trust_relationship_id"), request);
  if (op == "create-trust-relationship") return CreateTrustRelationship(body);
  if (op == "update-trust-relationship") return UpdateTrustRelationship(param("trust_relationship_id"), body);
  if (op == "delete-trust-relationship") return DeleteTrustRelationship(param("trust_relationship_id"));

  static const std::vector<std::string> kDeploymentOps = {
      "get-deployment", "update-deployment", "get-deployment-certificate-authority"};
  static const std::vector<std::string> kResourceOps = {
      "get-deployment-es-resource-info", "get-deployment-es-resource-keystore",
      "set-deployment-es-resource-keystore", "restart-deployment-es-resource",
      "get-deployment-es-resource-remote-clusters", "set-deployment-es-resource-remote-clusters"};
  bool deployment_op = std::find(kDeploymentOps.begin(), kDeploymentOps.end(), op) != kDeploymentOps.end();
  bool resource_op = std::find(kResourceOps.begin(), kResourceOps.end(), op) != kResourceOps.end();
  if (!deployment_op && !resource_op) {
    return Error(501, "root.not_implemented",
                 "The sandbox does not simulate the operation [" + op + "]")
        .ToResponse();
  }
  Deployment* d = FindDeployment(param("deployment_id"));
  if (d == nullptr) return DeploymentNotFound(param("deployment_id"));
  if (resource_op) {
    std::string ref = param("ref_id");
    if (ref != kMainRefId && ref != "_main") {
      return Error(404, "deployments.deployment_resource_not_found",
                   "The requested resource [" + ref + "] of kind [elasticsearch] could not be found in deployment [" + d->id + "]")
          .ToResponse();
    }
  }
  if (op == "get-deployment") return GetDeployment(*d, request);
  if (op == "update-deployment") return UpdateDeployment(*d, request, body);
  if (op == "get-deployment-certificate-authority") return GetCertificateAuthority(*d);
  if (op == "get-deployment-es-resource-info") return GetEsResource(*d, request);
  if (op == "get-deployment-es-resource-keystore") return GetKeystore(*d);
  if (op == "set-deployment-es-resource-keystore") return PatchKeystore(*d, body);
  if (op == "restart-deployment-es-resource") return Restart(*d);
  if (op == "get-deployment-es-resource-remote-clusters") return GetRemoteClusters(*d);
  return SetRemoteClusters(*d, body);
}

// --- deployments -------------------------------------------------------------

Value Environment::PlanLocked(const Deployment& d) const {
  Value info = {{"healthy", true},
                {"plan_attempt_id", d.plan_attempt_id},
                {"attempt_start_time", d.plan_started},
                {"attempt_end_time", d.plan_started},
                {"plan_attempt_log", Value::array()},
                {"warnings", Value::array()},
                {"plan", d.plan}};
  return info;
}

Value Environment::EsResourceInfoLocked(const Deployment& d, const net::HttpRequest& request) const {
  bool ece = options_.flavor == Flavor::kEce;
  Value plan_info = {{"healthy", true}, {"history", Value::array()}};
  if (QueryFlag(request, "show_plans", true)) plan_info["current"] = PlanLocked(d);
  Value metadata = {{"version", d.metadata_version},
                    {"last_modified", d.last_modified},
                    {"endpoint", d.endpoint},
                    {"aliased_endpoint", d.aliased_endpoint},
                    {"service_url", ServiceUrl(d)},
                    {"aliased_url", "https://" + d.aliased_endpoint + ":" + std::to_string(proxy_https_port_)},
                    {"ports", {{"http", 9200}, {"https", proxy_https_port_}, {"transport_passthrough", kTransportProxyPort}}}};
  if (QueryFlag(request, "show_metadata", false)) {
    metadata["raw"] = {{"resources", {{"elasticsearch", {{"cluster_id", d.cluster_id}, {"version", d.version}}}}}};
  }
  Value instance = {{"instance_name", "instance-0000000000"},
                    {"healthy", true},
                    {"maintenance_mode", false},
                    {"container_started", true},
                    {"service_running", true},
                    {"instance_configuration", {{"id", ece ? "data.default" : "aws.es.datahot.c6gd"}, {"name", "data"}, {"resource", "memory"}}},
                    {"service_version", d.version},
                    {"zone", ece ? "ece-zone-1" : options_.region + "a"},
                    {"service_roles", Value::array({"master", "data", "ingest"})}};
  Value info = {{"cluster_id", d.cluster_id},
                {"cluster_name", d.name},
                {"deployment_id", d.id},
                {"healthy", true},
                {"status", "started"},
                {"plan_info", plan_info},
                {"elasticsearch",
                 {{"healthy", true},
                  {"shard_info", {{"healthy", true}, {"available_shards", Value::array()}, {"unavailable_shards", Value::array()}, {"unavailable_replicas", Value::array()}}},
                  {"master_info", {{"healthy", true}, {"masters", Value::array()}, {"instances_with_no_master", Value::array()}}},
                  {"blocking_issues", {{"healthy", true}, {"cluster_level", Value::array()}, {"index_level", Value::array()}}}}},
                {"metadata", metadata},
                {"topology", {{"healthy", true}, {"instances", Value::array({instance})}}},
                {"associated_kibana_clusters", Value::array()},
                {"associated_apm_clusters", Value::array()},
                {"associated_appsearch_clusters", Value::array()},
                {"associated_enterprise_search_clusters", Value::array()},
                {"snapshots", {{"healthy", true}, {"count", 0}, {"recent_success", false}}},
                {"external_links", Value::array()},
                {"region", options_.region}};
  if (ece) info["locked"] = false;
  if (QueryFlag(request, "show_settings", false)) info["settings"] = {{"trust", d.trust}};
  return {{"ref_id", std::string(kMainRefId)}, {"id", d.cluster_id}, {"region", options_.region}, {"info", info}};
}

net::HttpResponse Environment::ListDeployments() {
  std::lock_guard<std::mutex> lock(mu_);
  Value list = Value::array();
  for (const auto& d : deployments_) {
    list.push_back({{"id", d->id},
                    {"name", d->name},
                    {"resources", Value::array({Value{{"ref_id", std::string(kMainRefId)},
                                                      {"id", d->cluster_id},
                                                      {"kind", "elasticsearch"},
                                                      {"region", options_.region}}})}});
  }
  return net::HttpResponse::Json(200, Value{{"deployments", list}});
}

net::HttpResponse Environment::GetDeployment(Deployment& d, const net::HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  Value resources = {{"elasticsearch", Value::array({EsResourceInfoLocked(d, request)})},
                     {"kibana", Value::array()},
                     {"apm", Value::array()},
                     {"appsearch", Value::array()},
                     {"enterprise_search", Value::array()},
                     {"integrations_server", Value::array()}};
  Value out = {{"id", d.id}, {"name", d.name}, {"alias", d.alias}, {"healthy", true}, {"resources", resources}};
  net::HttpResponse r = net::HttpResponse::Json(200, out);
  r.headers["x-cloud-resource-version"] = std::to_string(d.resource_version);
  r.headers["x-cloud-resource-created"] = d.created;
  r.headers["x-cloud-resource-last-modified"] = d.last_modified;
  return r;
}

net::HttpResponse Environment::GetEsResource(Deployment& d, const net::HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  return net::HttpResponse::Json(200, EsResourceInfoLocked(d, request));
}

net::HttpResponse Environment::UpdateDeployment(Deployment& d, const net::HttpRequest& request,
                                                const Value& body) {
  std::lock_guard<std::mutex> lock(mu_);
  if (request.HasQuery("version") && request.Query("version") != std::to_string(d.resource_version)) {
    return Error(409, "deployments.version_conflict",
                 "The version you sent [" + request.Query("version") +
                     "] does not match the persisted version [" + std::to_string(d.resource_version) + "]")
        .ToResponse();
  }
  bool prune = body.value("prune_orphans", false);
  const Value* payload = nullptr;
  std::string field;
  if (body.contains("resources") && body["resources"].is_object()) {
    const Value& resources = body["resources"];
    for (const char* kind : {"kibana", "apm", "appsearch", "enterprise_search", "integrations_server"}) {
      if (resources.contains(kind) && resources[kind].is_array() && !resources[kind].empty()) {
        return Error(400, "root.invalid_data", std::string("The sandbox does not simulate ") + kind + " resources",
                     {std::string("resources.") + kind})
            .ToResponse();
      }
    }
    if (resources.contains("elasticsearch") && resources["elasticsearch"].is_array()) {
      const Value& list = resources["elasticsearch"];
      for (size_t i = 0; i < list.size(); ++i) {
        std::string f = "resources.elasticsearch[" + std::to_string(i) + "]";
        std::string ref = list[i].value("ref_id", "");
        if (ref != kMainRefId) {
          return Error(400, "root.invalid_data",
                       "Creating Elasticsearch resource [" + ref + "] is not simulated: deployment [" + d.id +
                           "] has the single resource [" + std::string(kMainRefId) + "]",
                       {f + ".ref_id"})
              .ToResponse();
        }
        if (payload != nullptr) {
          return Error(400, "root.invalid_data", "Duplicate ref_id [" + ref + "]", {f + ".ref_id"}).ToResponse();
        }
        payload = &list[i];
        field = f;
      }
    }
  }
  if (prune && payload == nullptr) {
    return Error(400, "root.invalid_data",
                 "prune_orphans=true without the Elasticsearch resource would shut it down; the sandbox does not simulate that",
                 {"resources.elasticsearch"})
        .ToResponse();
  }
  Value new_plan = d.plan;
  Value new_trust = d.trust;
  bool keystore_patch = false;
  if (payload != nullptr) {
    if (payload->value("region", "") != options_.region) {
      return Error(400, "root.invalid_data",
                   "The region [" + payload->value("region", "") + "] does not match the region [" + options_.region + "] of the resource",
                   {field + ".region"})
          .ToResponse();
    }
    new_plan = (*payload)["plan"];
    std::string version = new_plan.contains("elasticsearch") && new_plan["elasticsearch"].is_object()
                              ? new_plan["elasticsearch"].value("version", "") : "";
    if (!version.empty() && version != d.version) {
      return Error(400, "root.invalid_data",
                   "Changing the version from [" + d.version + "] to [" + version + "] is not simulated by the sandbox",
                   {field + ".plan.elasticsearch.version"})
          .ToResponse();
    }
    if (new_plan["cluster_topology"].empty()) {
      return Error(400, "root.invalid_data", "The plan must have at least one topology element",
                   {field + ".plan.cluster_topology"})
          .ToResponse();
    }
    new_plan["elasticsearch"]["version"] = d.version;
    if (payload->contains("settings") && (*payload)["settings"].is_object()) {
      const Value& settings = (*payload)["settings"];
      if (settings.contains("trust")) {
        if (settings["trust"].is_null()) {
          new_trust = DefaultTrust(options_.scope_id);
        } else {
          if (auto invalid = CheckTrust(settings["trust"], field + ".settings.trust", relationships_)) {
            return invalid->ToResponse();
          }
          new_trust = NormalizeTrust(settings["trust"], relationships_, [this] { return NewId(); });
        }
      }
      keystore_patch = settings.contains("keystore_contents") && settings["keystore_contents"].is_object();
    }
  }
  Value response_resources = Value::array({Value{{"ref_id", std::string(kMainRefId)},
                                                 {"id", d.cluster_id},
                                                 {"kind", "elasticsearch"},
                                                 {"region", options_.region}}});
  std::string new_name = body.contains("name") && body["name"].is_string() ? body["name"].get<std::string>() : d.name;
  if (QueryFlag(request, "validate_only", false)) {
    return net::HttpResponse::Json(200, Value{{"id", d.id}, {"name", new_name}, {"alias", d.alias}, {"resources", response_resources}});
  }
  bool plan_change = new_plan != d.plan || new_trust != d.trust;
  d.name = new_name;
  d.plan = new_plan;
  d.trust = new_trust;
  if (keystore_patch) ApplyKeystorePatchLocked(d, (*payload)["settings"]["keystore_contents"]["secrets"]);
  d.resource_version++;
  d.last_modified = Now();
  if (plan_change) {
    // A plan change is a rolling restart with the new node configuration
    // (keystore included).
    d.metadata_version++;
    d.plan_attempt_id = NewId();
    d.plan_started = d.last_modified;
    d.twin->Restart(BuildNodeConfigLocked(d));
  } else if (keystore_patch) {
    ReloadKeystoreLocked(d);
  }
  net::HttpResponse r = net::HttpResponse::Json(
      200, Value{{"id", d.id}, {"name", d.name}, {"alias", d.alias}, {"resources", response_resources}});
  r.headers["x-cloud-resource-version"] = std::to_string(d.resource_version);
  r.headers["x-cloud-resource-created"] = d.created;
  r.headers["x-cloud-resource-last-modified"] = d.last_modified;
  return r;
}

// --- keystore ----------------------------------------------------------------

net::HttpResponse Environment::GetKeystore(Deployment& d) {
  std::lock_guard<std::mutex> lock(mu_);
  Value secrets = Value::object();
  for (const auto& [name, entry] : d.keystore) secrets[name] = {{"as_file", entry.as_file}};
  return net::HttpResponse::Json(200, Value{{"secrets", secrets}});
}

void Environment::ApplyKeystorePatchLocked(Deployment& d, const Value& secrets) {
  for (const auto& [name, entry] : secrets.items()) {
    if (entry.is_null() || !entry.is_object() || !entry.contains("value") || entry["value"].is_null()) {
      d.keystore.erase(name);  // unspecified value: removed
      continue;
    }
    const Value& v = entry["value"];
    KeystoreEntry e;
    e.value = Secret(v.is_string() ? v.get<std::string>() : v.dump());
    e.as_file = entry.contains("as_file") && entry["as_file"].is_boolean() ? entry["as_file"].get<bool>()
                                                                            : !v.is_string();
    d.keystore[name] = std::move(e);
  }
}

void Environment::ReloadKeystoreLocked(Deployment& d) {
  // Cloud reloads secure settings automatically from 8.14; older versions
  // pick the keystore up at the next restart.
  if (VersionAtLeast(d.version, 8, 14)) d.twin->SetKeystore(KeystoreLocked(d));
}

net::HttpResponse Environment::PatchKeystore(Deployment& d, const Value& body) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, entry] : body["secrets"].items()) {
    if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos) {
      return Error(400, "root.invalid_data", "Invalid keystore setting name [" + name + "]", {"secrets." + name}).ToResponse();
    }
  }
  ApplyKeystorePatchLocked(d, body["secrets"]);
  ReloadKeystoreLocked(d);
  Value secrets = Value::object();
  for (const auto& [name, entry] : d.keystore) secrets[name] = {{"as_file", entry.as_file}};
  return net::HttpResponse::Json(200, Value{{"secrets", secrets}});
}

net::HttpResponse Environment::Restart(Deployment& d) {
  std::lock_guard<std::mutex> lock(mu_);
  d.twin->Restart(BuildNodeConfigLocked(d));
  d.last_modified = Now();
  return net::HttpResponse::Json(202, Value::object());
}

// --- certificates ------------------------------------------------------------

net::HttpResponse Environment::GetCertificateAuthority(Deployment& d) {
  std::string pem = transport_ca_->LeafPem();
  Result<pki::CertificateInfo> info = pki::InspectCertificate(pem);
  if (!info.ok()) return Error(500, "deployments.metadata_internal_error", info.status().message()).ToResponse();
  Value cert = {{"pem", pem},
                {"active", true},
                {"metadata", {{"fingerprint", info->sha256_fingerprint},
                              {"valid_from", FormatUtc(info->not_before)},
                              {"valid_to", FormatUtc(info->not_after)}}}};
  return net::HttpResponse::Json(
      200, Value{{"public_certificates", Value::array({cert})},
                 {"recommended_trust_restriction",
                  "*.node." + d.cluster_id + ".cluster." + options_.scope_id + ".account"}});
}

net::HttpResponse Environment::GetTlsCertificate(const std::string& service) {
  std::vector<std::string> chain;
  if (service == "proxy") {
    chain = pki::SplitPemCertificates(proxy_identity_->chain_pem);
  } else if (service == "internalca") {
    chain = {transport_ca_->LeafPem()};
  } else {  // adminconsole, ui: the coordinator certificate
    chain = pki::SplitPemCertificates(api_identity_->chain_pem);
  }
  Value status = Value::object();
  std::chrono::system_clock::time_point first{};
  for (const std::string& pem : chain) {
    Result<pki::CertificateInfo> info = pki::InspectCertificate(pem);
    if (!info.ok()) continue;
    if (status.empty() || info->not_after < first) {
      first = info->not_after;
      status = {{"expiration_date", FormatUtc(info->not_after)}, {"first_certificate_to_expire", info->subject}};
    }
  }
  Value out = {{"chain", chain}, {"user_supplied", false}, {"api_managed", true}};
  if (!status.empty()) out["chain_status"] = status;
  return net::HttpResponse::Json(200, out);
}

// --- remote clusters ---------------------------------------------------------

net::HttpResponse Environment::GetRemoteClusters(Deployment& d) {
  Value remotes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    remotes = d.remotes;
  }
  // Connection state comes from the local cluster itself (it dials: no lock).
  net::HttpResponse info = d.twin->CallInternal("GET", "/_remote/info", std::nullopt);
  Value remote_info = Value::object();
  if (info.status == 200) {
    Result<Value> parsed = ParseJson(info.body);
    if (parsed.ok() && parsed->is_object()) remote_info = *parsed;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (Value& r : remotes) {
    Deployment* remote = FindDeployment(r.value("deployment_id", ""));
    std::string alias = r.value("alias", "");
    bool connected = remote_info.contains(alias) && remote_info[alias].is_object() &&
                     remote_info[alias].value("connected", false);
    r["info"] = {{"healthy", remote != nullptr},
                 {"connected", connected},
                 {"compatible", remote != nullptr && Compatible(d.version, remote->version)},
                 {"trusted", remote != nullptr && TrustsCluster(d.trust, d.cluster_id, options_.scope_id, relationships_, remote->cluster_id, options_.scope_id)},
                 {"trusted_back", remote != nullptr && TrustsCluster(remote->trust, remote->cluster_id, options_.scope_id, relationships_, d.cluster_id, options_.scope_id)}};
  }
  return net::HttpResponse::Json(200, Value{{"resources", remotes}});
}

net::HttpResponse Environment::SetRemoteClusters(Deployment& d, const Value& body) {
  static const std::regex kAlias("^[A-Za-z0-9_-]+$");
  Value settings = Value::object();
  {
    std::lock_guard<std::mutex> lock(mu_);
    Value next = Value::array();
    std::vector<std::string> aliases;
    const Value& list = body["resources"];
    for (size_t i = 0; i < list.size(); ++i) {
      std::string f = "resources[" + std::to_string(i) + "]";
      const Value& r = list[i];
      std::string alias = r.value("alias", "");
      if (!std::regex_match(alias, kAlias)) {
        return Error(400, "root.invalid_data",
                     "Alias [" + alias + "] must only contain letters, digits, dashes and underscores", {f + ".alias"})
            .ToResponse();
      }
      if (std::find(aliases.begin(), aliases.end(), alias) != aliases.end()) {
        return Error(400, "root.invalid_data", "Duplicate alias [" + alias + "]", {f + ".alias"}).ToResponse();
      }
      aliases.push_back(alias);
      std::string id = r.value("deployment_id", "");
      Deployment* remote = FindDeployment(id);
      if (remote == nullptr) {
        // Only deployments of the same organisation / installation are visible.
        return Error(404, "deployments.deployment_not_found",
                     "The requested deployment [" + id + "] could not be found", {f + ".deployment_id"})
            .ToResponse();
      }
      std::string ref = r.value("elasticsearch_ref_id", "");
      if (ref != kMainRefId && ref != "_main") {
        return Error(404, "deployments.deployment_resource_not_found",
                     "The requested resource [" + ref + "] of kind [elasticsearch] could not be found in deployment [" + id + "]",
                     {f + ".elasticsearch_ref_id"})
            .ToResponse();
      }
      bool skip = r.value("skip_unavailable", false);
      next.push_back({{"deployment_id", id}, {"elasticsearch_ref_id", std::string(kMainRefId)}, {"alias", alias}, {"skip_unavailable", skip}});
      std::string prefix = "cluster.remote." + alias + ".";
      settings[prefix + "mode"] = "proxy";
      settings[prefix + "proxy_address"] = remote->endpoint + ":" + std::to_string(kTransportProxyPort);
      settings[prefix + "server_name"] = remote->endpoint;
      settings[prefix + "skip_unavailable"] = skip;
    }
    for (const Value& old : d.remotes) {
      std::string alias = old.value("alias", "");
      if (std::find(aliases.begin(), aliases.end(), alias) != aliases.end()) continue;
      for (const char* key : {"mode", "proxy_address", "server_name", "skip_unavailable"}) {
        settings["cluster.remote." + alias + "." + key] = nullptr;
      }
    }
    d.remotes = next;
    d.last_modified = Now();
  }
  if (!settings.empty()) {
    net::HttpResponse r = d.twin->CallInternal("PUT", "/_cluster/settings", Value{{"persistent", settings}});
    if (r.status != 200) {
      return Error(500, "deployments.metadata_internal_error",
                   "Applying the remote cluster settings failed with status " + std::to_string(r.status) + ": " + r.body)
          .ToResponse();
    }
  }
  return net::HttpResponse::Json(202, Value::object());
}

// --- ECE trust relationships ---------------------------------------------------

Value Environment::TrustRelationshipJson(const TrustRelationship& r, bool include_certificate) const {
  Value out = {{"id", r.id},
               {"name", r.name},
               {"trust_by_default", r.trust_by_default},
               {"account_ids", r.account_ids},
               {"local", r.local},
               {"installation_id", r.installation_id},
               {"last_modified", r.last_modified}};
  if (include_certificate) out["public_ca_cert"] = r.public_ca_cert;
  return out;
}

net::HttpResponse Environment::ListTrustRelationships(const net::HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string filter = request.Query("filter", "all");
  bool include = QueryFlag(request, "include_certificate", false);
  Value list = Value::array();
  for (const auto& [id, r] : relationships_) {
    if ((filter == "local" && !r.local) || (filter == "non-local" && r.local)) continue;
    list.push_back(TrustRelationshipJson(r, include));
  }
  return net::HttpResponse::Json(200, Value{{"trust_relationships", list}});
}

net::HttpResponse Environment::GetTrustRelationship(const std::string& id, const net::HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = relationships_.find(id);
  if (it == relationships_.end()) {
    return Error(404, "trust_relationships.not_found", "The trust relationship [" + id + "] could not be found").ToResponse();
  }
  net::HttpResponse r = net::HttpResponse::Json(200, TrustRelationshipJson(it->second, QueryFlag(request, "include_certificate", false)));
  r.headers["x-cloud-resource-last-modified"] = it->second.last_modified;
  return r;
}

net::HttpResponse Environment::CreateTrustRelationship(const Value& body) {
  std::string pem = body.value("public_ca_cert", "");
  if (pki::SplitPemCertificates(pem).empty() || !pki::InspectCertificate(pem).ok()) {
    return Error(400, "root.invalid_data", "public_ca_cert is not a valid PEM encoded X509 certificate", {"public_ca_cert"}).ToResponse();
  }
  std::string installation = body.value("installation_id", "");
  if (installation == options_.scope_id) {
    return Error(400, "root.invalid_data", "installation_id [" + installation + "] is the local installation", {"installation_id"}).ToResponse();
  }
  std::lock_guard<std::mutex> lock(mu_);
  TrustRelationship r;
  r.id = NewId();
  r.name = body.value("name", "");
  r.installation_id = installation;
  r.public_ca_cert = pem;
  if (body.contains("account_ids") && body["account_ids"].is_array()) r.account_ids = body["account_ids"].get<std::vector<std::string>>();
  r.trust_by_default = body.value("trust_by_default", false);
  r.last_modified = Now();
  relationships_[r.id] = r;
  Value out = TrustRelationshipJson(r, false);
  out.erase("last_modified");
  return net::HttpResponse::Json(201, out);
}

net::HttpResponse Environment::UpdateTrustRelationship(const std::string& id, const Value& body) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = relationships_.find(id);
  if (it == relationships_.end()) {
    return Error(404, "trust_relationships.not_found", "The trust relationship [" + id + "] could not be found").ToResponse();
  }
  TrustRelationship& r = it->second;
  if (r.local && (body.contains("public_ca_cert") || body.contains("installation_id"))) {
    return Error(400, "root.invalid_data", "The local trust relationship's certificate and installation cannot be changed",
                 {body.contains("public_ca_cert") ? "public_ca_cert" : "installation_id"})
        .ToResponse();
  }
  if (body.contains("public_ca_cert") && body["public_ca_cert"].is_string()) {
    std::string pem = body["public_ca_cert"];
    if (pki::SplitPemCertificates(pem).empty() || !pki::InspectCertificate(pem).ok()) {
      return Error(400, "root.invalid_data", "public_ca_cert is not a valid PEM encoded X509 certificate", {"public_ca_cert"}).ToResponse();
    }
    r.public_ca_cert = pem;
  }
  if (body.contains("name") && body["name"].is_string()) r.name = body["name"];
  if (body.contains("installation_id") && body["installation_id"].is_string()) r.installation_id = body["installation_id"];
  if (body.contains("account_ids") && body["account_ids"].is_array()) r.account_ids = body["account_ids"].get<std::vector<std::string>>();
  if (body.contains("trust_by_default") && body["trust_by_default"].is_boolean()) r.trust_by_default = body["trust_by_default"];
  r.last_modified = Now();
  // Deployments trusting this relationship get its new CA with a restart.
  for (auto& d : deployments_) {
    for (const Value& e : d->trust.value("external", Value::array())) {
      if (e.value("trust_relationship_id", "") == id) {
        d->trust = NormalizeTrust(d->trust, relationships_, [this] { return NewId(); });
        d->twin->Restart(BuildNodeConfigLocked(*d));
        break;
      }
    }
  }
  Value out = TrustRelationshipJson(r, false);
  out.erase("last_modified");
  return net::HttpResponse::Json(200, out);
}

net::HttpResponse Environment::DeleteTrustRelationship(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = relationships_.find(id);
  if (it == relationships_.end()) {
    return Error(404, "trust_relationships.not_found", "The trust relationship [" + id + "] could not be found").ToResponse();
  }
  if (it->second.local) {
    return Error(400, "root.invalid_data", "The local trust relationship cannot be deleted").ToResponse();
  }
  for (const auto& d : deployments_) {
    for (const Value& e : d->trust.value("external", Value::array())) {
      if (e.value("trust_relationship_id", "") == id) {
        return Error(400, "root.invalid_data",
                     "The trust relationship [" + id + "] is used by deployment [" + d->id + "]; remove it from the deployment's trust settings first")
            .ToResponse();
      }
    }
  }
  relationships_.erase(it);
  return net::HttpResponse::Json(200, Value::object());
}

}  // namespace crosslink::sandbox::cloud
