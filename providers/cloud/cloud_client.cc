// The Elastic Cloud / ECE API client: requests, error mapping and the
// deployment facts crosslink needs (cloud_client.h).

#include "providers/cloud/cloud_client.h"

#include <algorithm>
#include <utility>

namespace crosslink::providers::cloud {

namespace {

constexpr const char* kApiBase = "/api/v1";
constexpr size_t kMaxRawErrorText = 200;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

const Value* Member(const Value& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string StringAt(const Value& obj, const char* key) {
  const Value* v = Member(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

// obj[k1][k2]... or a null Value.
const Value& Path(const Value& obj, std::initializer_list<const char*> keys) {
  static const Value kNull;
  const Value* cur = &obj;
  for (const char* k : keys) {
    cur = Member(*cur, k);
    if (cur == nullptr) return kNull;
  }
  return *cur;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

// What identifies the object of a request in messages, and the secret the
// request carries besides the API key (never shown).
struct Context {
  std::string text;              // "deployment <id> (cluster "x")", may be empty
  std::string cluster;           // topology cluster name, may be empty
  std::string deployment_id;     // may be empty
  std::string ref_id;            // may be empty
  const Secret* sent = nullptr;  // e.g. the keystore value of a PATCH; may be null
};

std::string DeploymentText(const std::string& id, const std::string& cluster) {
  std::string out = "deployment " + id;
  if (!cluster.empty()) out += " (cluster " + Quote(cluster) + ")";
  return out;
}

Context ContextOf(const Deployment& d) {
  return {DeploymentText(d.deployment_id, d.cluster), d.cluster, d.deployment_id, d.ref_id};
}

// The Cloud error of a reply: BasicFailedReply errors[] as
// "code: message (fields: a, b)"; an Elasticsearch-shaped or plain body as a
// short text. `codes` receives every errors[].code.
std::string CloudErrorText(const std::string& raw, std::vector<std::string>* codes) {
  Result<Value> parsed = ParseJson(raw);
  if (parsed.ok()) {
    const Value* errors = Member(*parsed, "errors");
    if (errors != nullptr && errors->is_array() && !errors->empty()) {
      std::vector<std::string> parts;
      for (const Value& e : *errors) {
        std::string code = StringAt(e, "code");
        std::string message = StringAt(e, "message");
        if (!code.empty()) codes->push_back(code);
        std::string part = code.empty() ? message : message.empty() ? code : code + ": " + message;
        const Value* fields = Member(e, "fields");
        if (fields != nullptr && fields->is_array() && !fields->empty()) {
          std::vector<std::string> names;
          for (const Value& f : *fields) {
            if (f.is_string()) names.push_back(f.get<std::string>());
          }
          if (!names.empty()) part += " (fields: " + Join(names, ", ") + ")";
        }
        if (!part.empty()) parts.push_back(part);
      }
      if (!parts.empty()) return Join(parts, "; ");
    }
    const Value& error = Path(*parsed, {"error"});
    if (error.is_string()) return error.get<std::string>();
    std::string reason = StringAt(error, "reason");
    if (!reason.empty()) return reason;
  }
  std::string text = raw.substr(0, kMaxRawErrorText);
  text.erase(
      std::remove_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }),
      text.end());
  return raw.size() > kMaxRawErrorText ? text + "..." : text;
}

bool HasCode(const std::vector<std::string>& codes, const std::string& code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

}  // namespace

const char* FlavorName(Flavor f) { return f == Flavor::kEce ? "ece" : "ech"; }

std::string Deployment::Describe() const {
  std::string out = "deployment " + deployment_id;
  if (!ref_id.empty()) out += " (ref_id " + ref_id + ")";
  return out;
}

// --- private helpers (file-local, need the target) ---------------------------

namespace {

std::string ApiName(const ApiTarget& t) {
  return std::string(t.flavor == Flavor::kEce ? "ECE API" : "Elastic Cloud API") +
         " of environment " + Quote(t.environment);
}

// How to replace the API key, from where the topology takes it.
std::string KeyFix(const ApiTarget& t) {
  const std::string& source = t.api_key_source;
  std::string where;
  if (source.rfind("${env:", 0) == 0 && source.back() == '}') {
    where = "set " + source.substr(6, source.size() - 7);
  } else if (source.rfind("${file:", 0) == 0 && source.back() == '}') {
    where = "write it to " + source.substr(7, source.size() - 8);
  } else if (source.empty()) {
    where = "set environments." + t.environment + ".api_key";
  } else {
    where = "update environments." + t.environment + ".api_key (" + source + ")";
  }
  if (t.flavor == Flavor::kEce) {
    return "create a key in the ECE Cloud UI (user menu > API keys) and " + where;
  }
  return "create a key in the Cloud console (Organization > API keys) and " + where;
}

std::string KeyName(const ApiTarget& t) {
  std::string out = std::string(t.flavor == Flavor::kEce ? "the ECE" : "the Elastic Cloud") +
                    " API key of environment " + Quote(t.environment);
  if (!t.api_key_source.empty()) out += " (" + t.api_key_source + ")";
  return out;
}

Status ErrorFor(const ApiTarget& t, const std::string& method, const std::string& path,
                const Context& ctx, long status, const std::string& raw_body) {
  std::vector<std::string> codes;
  const std::string cloud = CloudErrorText(raw_body, &codes);
  const std::string request = method + " " + http::StripQuery(path);
  const std::string detail =
      " [HTTP " + std::to_string(status) + (cloud.empty() ? "" : " " + cloud) + "]";
  const std::string on = ctx.text.empty() ? "" : " on " + ctx.text;
  const std::string cluster_field =
      ctx.cluster.empty() ? "the cluster's " : "clusters." + ctx.cluster + ".";
  if (status == 401) {
    return Status::PermissionDenied(KeyName(t) + " was refused (expired, revoked or for another " +
                                    (t.flavor == Flavor::kEce ? "installation" : "organization") +
                                    ")" + detail + ": " + KeyFix(t));
  }
  if (status == 403) {
    return Status::PermissionDenied(
        KeyName(t) + " may not " + request + on + detail +
        ": give the key a role on the deployment (\"Editor\" or \"Admin\" for deployment " +
        "changes, \"Viewer\" to read), or " + KeyFix(t) + " with such a role");
  }
  if (status == 404 && !ctx.deployment_id.empty() &&
      HasCode(codes, "deployments.deployment_resource_not_found")) {
    return Status::NotFound(DeploymentText(ctx.deployment_id, ctx.cluster) + " in environment " +
                            Quote(t.environment) + " has no Elasticsearch resource " +
                            Quote(ctx.ref_id) + detail + ": check " + cluster_field + "ref_id");
  }
  if (status == 404 && !ctx.deployment_id.empty() &&
      (codes.empty() || HasCode(codes, "deployments.deployment_not_found"))) {
    return Status::NotFound(DeploymentText(ctx.deployment_id, ctx.cluster) +
                            " does not exist in environment " + Quote(t.environment) +
                            " or the API key cannot see it" + detail + ": check " + cluster_field +
                            "deployment_id (32 hex characters, console > Manage)");
  }
  if (status == 404) {
    return Status::NotFound("the " + ApiName(t) + " found nothing for " + request + on + detail);
  }
  if (status == 409) {
    return Status::Conflict((ctx.text.empty() ? "the object of " + request : ctx.text) +
                            " in environment " + Quote(t.environment) +
                            " was changed by someone else since it was read" + detail +
                            ": read it again, re-apply the change and retry");
  }
  if (status == 429 || status >= 500) {
    return Status::Unavailable("the " + ApiName(t) + " is unavailable for " + request + on +
                               detail + " after retries: try again later");
  }
  return Status::InvalidArgument("the " + ApiName(t) + " rejected " + request + on + detail +
                                 ": check the fields named (a deployment shape crosslink does "
                                 "not support, or a bug to report)");
}

// `text` without the API key or the secret the request sent: nothing here
// quotes them, but a server's error body or a transport message could.
std::string RedactText(const ApiTarget& t, const Context& ctx, const std::string& text) {
  const std::string placeholder(Secret::Placeholder());
  std::string out = ReplaceAll(text, t.api_key.expose(), placeholder);
  if (ctx.sent != nullptr) out = ReplaceAll(out, ctx.sent->expose(), placeholder);
  return out;
}

Status Redacted(const ApiTarget& t, const Context& ctx, const Status& s) {
  return Status::Error(s.code(), RedactText(t, ctx, s.message()), s.retryable());
}

Status TransportError(const ApiTarget& t, const std::string& method, const std::string& path,
                      const Context& ctx, const Status& s) {
  const std::string request = method + " " + http::StripQuery(path);
  const std::string where = "the " + ApiName(t) + " at " + t.endpoint;
  const std::string on = ctx.text.empty() ? "" : " (" + ctx.text + ")";
  if (s.code() == StatusCode::kFailedPrecondition) {
    std::string fix =
        t.ca_file.empty()
            ? "set environments." + t.environment +
                  ".ca_file to the PEM of the CA that signed the API certificate (ECE " +
                  "coordinators often use a private CA)"
            : "check that ca_file " + t.ca_file + " of environment " + Quote(t.environment) +
                  " holds the CA that signed the API certificate (ECE coordinators often use a "
                  "private CA)";
    return Status::FailedPrecondition("cannot verify the TLS certificate of " + where + " for " +
                                      request + on + ": " + s.message() + ": " + fix);
  }
  if (s.code() == StatusCode::kInvalidArgument) {
    return Status::InvalidArgument("bad endpoint for " + where + ": " + s.message() +
                                   ": check environments." + t.environment + ".endpoint");
  }
  return Status::Error(s.code() == StatusCode::kDeadlineExceeded ? StatusCode::kDeadlineExceeded
                                                                 : StatusCode::kUnavailable,
                       "cannot reach " + where + " for " + request + on + ": " + s.message() +
                           " (check environments." + t.environment + ".endpoint and the network)",
                       true);
}

}  // namespace

// --- CloudClient -------------------------------------------------------------

CloudClient::CloudClient(ApiTarget target, std::unique_ptr<http::HttpClient> http)
    : target_(std::move(target)), http_(std::move(http)) {
  // "https://host/" and "https://host/api/v1" (the base URL as the docs give
  // it) both mean https://host.
  std::string& endpoint = target_.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const std::string base = kApiBase;
  if (endpoint.size() > base.size() &&
      endpoint.compare(endpoint.size() - base.size(), base.size(), base) == 0) {
    endpoint.erase(endpoint.size() - base.size());
  }
}

namespace {

Result<Reply> Send(const ApiTarget& t, http::HttpClient& http, const std::string& method,
                   const std::string& path, const Value* body, bool idempotent,
                   const Context& ctx) {
  http::Request request;
  request.method = method;
  request.url = t.endpoint + kApiBase + path;
  request.headers = {{"Accept", "application/json"}};
  request.idempotent = idempotent;
  if (body != nullptr && !body->is_null()) {
    request.body = DumpJson(*body);
    request.headers.emplace_back("Content-Type", "application/json");
  }
  request.SetApiKey(t.api_key);
  Result<http::Response> response = http.Send(request);
  if (!response.ok()) {
    return Redacted(t, ctx, TransportError(t, method, path, ctx, response.status()));
  }
  if (response->status < 200 || response->status >= 300) {
    // The raw body too: a shortened one could keep part of a secret.
    return Redacted(
        t, ctx,
        ErrorFor(t, method, path, ctx, response->status, RedactText(t, ctx, response->body)));
  }
  Reply reply;
  reply.status = response->status;
  reply.resource_version = response->Header("x-cloud-resource-version");
  if (response->body.find_first_not_of(" \t\r\n") != std::string::npos) {
    Result<Value> json = ParseJson(response->body);
    if (!json.ok()) {
      return Status::Unavailable(
          "the " + ApiName(t) + " answered " + method + " " + http::StripQuery(path) +
          (ctx.text.empty() ? "" : " (" + ctx.text + ")") + " with a body that is not JSON (HTTP " +
          std::to_string(response->status) + "): try again later");
    }
    reply.body = std::move(json).value();
  }
  return reply;
}

std::string DeploymentPath(const std::string& id) { return "/deployments/" + http::UrlEncode(id); }

std::string ResourcePath(const Deployment& d) {
  return DeploymentPath(d.deployment_id) + "/elasticsearch/" + http::UrlEncode(d.ref_id);
}

}  // namespace

Result<Reply> CloudClient::Call(const std::string& method, const std::string& path,
                                const Value* body, bool idempotent,
                                const std::string& deployment_context) const {
  return Send(target_, *http_, method, path, body, idempotent,
              Context{deployment_context, "", "", ""});
}

namespace {

// Fills `d` from one resources.elasticsearch[] element.
void FillDeployment(const Value& resource, Deployment* d) {
  const Value& info = Path(resource, {"info"});
  d->ref_id = StringAt(resource, "ref_id");
  d->region = StringAt(resource, "region");
  if (d->region.empty()) d->region = StringAt(info, "region");
  d->cluster_id = StringAt(info, "cluster_id");
  if (d->cluster_id.empty()) d->cluster_id = StringAt(resource, "id");
  const Value& metadata = Path(info, {"metadata"});
  d->endpoint = StringAt(metadata, "endpoint");
  d->service_url = StringAt(metadata, "service_url");
  if (d->service_url.empty()) d->service_url = StringAt(metadata, "aliased_url");
  const Value& port = Path(metadata, {"ports", "transport_passthrough"});
  if (port.is_number_integer() && port.get<int64_t>() > 0 && port.get<int64_t>() < 65536) {
    d->transport_port = static_cast<int>(port.get<int64_t>());
  }
  const Value& current = Path(info, {"plan_info", "current", "plan"});
  d->plan = current.is_object() ? current : Value();
  d->version = StringAt(Path(d->plan, {"elasticsearch"}), "version");
  if (d->version.empty()) {
    const Value& instances = Path(info, {"topology", "instances"});
    if (instances.is_array()) {
      for (const Value& instance : instances) {
        d->version = StringAt(instance, "service_version");
        if (!d->version.empty()) break;
      }
    }
  }
  const Value& trust = Path(info, {"settings", "trust"});
  d->trust = trust.is_object() ? trust : Value::object();
  const Value& pending = Path(info, {"plan_info", "pending"});
  d->plan_pending = !pending.is_null();
}

}  // namespace

Result<Deployment> CloudClient::GetDeployment(const std::string& cluster,
                                              const std::string& deployment_id,
                                              const std::string& ref_id) const {
  const std::string who = DeploymentText(deployment_id, cluster);
  const std::string field = cluster.empty() ? "the cluster's " : "clusters." + cluster + ".";
  if (deployment_id.empty()) {
    return Status::InvalidArgument("cluster " + Quote(cluster) + " of environment " +
                                   Quote(target_.environment) + " has no deployment_id: set " +
                                   field + "deployment_id (32 hex characters, console > Manage)");
  }
  Context ctx{who, cluster, deployment_id, ref_id};
  Result<Reply> reply = Send(
      target_, *http_, "GET",
      DeploymentPath(deployment_id) + "?show_settings=true&show_plans=true&clear_transient=true",
      nullptr, true, ctx);
  if (!reply.ok()) return reply.status();
  const Value& list = Path(reply->body, {"resources", "elasticsearch"});
  std::vector<const Value*> resources;
  Deployment d;
  if (list.is_array()) {
    for (const Value& r : list) {
      resources.push_back(&r);
      d.ref_ids.push_back(StringAt(r, "ref_id"));
    }
  }
  if (resources.empty()) {
    return Status::FailedPrecondition(who + " in environment " + Quote(target_.environment) +
                                      " has no Elasticsearch resource: point " + field +
                                      "deployment_id at a deployment with Elasticsearch");
  }
  const Value* chosen = nullptr;
  if (ref_id.empty() || ref_id == "_main") {
    if (resources.size() > 1) {
      return Status::InvalidArgument(who + " in environment " + Quote(target_.environment) +
                                     " has " + std::to_string(resources.size()) +
                                     " Elasticsearch resources (ref_id " + Join(d.ref_ids, ", ") +
                                     "): set " + field + "ref_id to the one to connect");
    }
    chosen = resources.front();
  } else {
    for (size_t i = 0; i < resources.size(); ++i) {
      if (d.ref_ids[i] == ref_id) chosen = resources[i];
    }
    if (chosen == nullptr) {
      return Status::InvalidArgument(who + " in environment " + Quote(target_.environment) +
                                     " has no Elasticsearch resource with ref_id " + Quote(ref_id) +
                                     " (it has " + Join(d.ref_ids, ", ") + "): set " + field +
                                     "ref_id to one of them");
    }
  }
  d.deployment_id = StringAt(reply->body, "id");
  if (d.deployment_id.empty()) d.deployment_id = deployment_id;
  d.name = StringAt(reply->body, "name");
  d.cluster = cluster;
  d.resource_version = reply->resource_version;
  FillDeployment(*chosen, &d);
  if (d.endpoint.empty() || d.cluster_id.empty()) {
    return Status::FailedPrecondition(
        who + " in environment " + Quote(target_.environment) +
        " reports no Elasticsearch endpoint or cluster id yet (is it still being created?): "
        "wait until the console shows it running, then run crosslink again");
  }
  return d;
}

Result<std::set<std::string>> CloudClient::KeystoreNames(const Deployment& d) const {
  Result<Reply> reply =
      Send(target_, *http_, "GET", ResourcePath(d) + "/keystore", nullptr, true, ContextOf(d));
  if (!reply.ok()) return reply.status();
  std::set<std::string> names;
  const Value& secrets = Path(reply->body, {"secrets"});
  if (secrets.is_object()) {
    for (auto it = secrets.begin(); it != secrets.end(); ++it) names.insert(it.key());
  }
  return names;
}

Status CloudClient::SetKeystoreEntry(const Deployment& d, const std::string& setting,
                                     const Secret* value) const {
  if (setting.empty()) {
    return Status::InvalidArgument("empty keystore setting name for " + ContextOf(d).text);
  }
  Value entry;  // null: removed
  if (value != nullptr) entry = Value{{"value", value->expose()}, {"as_file", false}};
  Value body = {{"secrets", {{setting, entry}}}};
  Context ctx = ContextOf(d);
  ctx.sent = value;
  return Send(target_, *http_, "PATCH", ResourcePath(d) + "/keystore", &body, true, ctx).status();
}

Result<Value> CloudClient::CertificateAuthority(const Deployment& d) const {
  Result<Reply> reply =
      Send(target_, *http_, "GET", DeploymentPath(d.deployment_id) + "/certificate-authority",
           nullptr, true, ContextOf(d));
  if (!reply.ok()) return reply.status();
  if (!reply->body.is_object()) {
    return Status::Unavailable("the " + ApiName(target_) +
                               " returned no certificate authority for " + ContextOf(d).text +
                               ": try again later");
  }
  return std::move(reply).value().body;
}

Status CloudClient::Restart(const Deployment& d) const {
  return Send(target_, *http_, "POST", ResourcePath(d) + "/_restart", nullptr, true, ContextOf(d))
      .status();
}

Status CloudClient::PutTrust(const Deployment& d, const Value& trust) const {
  const Context ctx = ContextOf(d);
  if (!d.plan.is_object() || d.plan.empty()) {
    return Status::FailedPrecondition(ctx.text + " in environment " + Quote(target_.environment) +
                                      " returned no current plan, which a trust update must "
                                      "resend: wait until its first plan has finished");
  }
  if (d.region.empty()) {
    return Status::FailedPrecondition(
        ctx.text + " in environment " + Quote(target_.environment) +
        " reports no region for its Elasticsearch resource " + Quote(d.ref_id) +
        ", which a trust update must resend: " +
        "check the deployment in the console, then run crosslink again");
  }
  if (!trust.is_object()) {
    return Status::InvalidArgument("the trust settings for " + ctx.text + " must be an object");
  }
  Value resource = {{"ref_id", d.ref_id},
                    {"region", d.region},
                    {"plan", d.plan},
                    {"settings", {{"trust", trust}}}};
  Value body = {{"prune_orphans", false},
                {"resources", {{"elasticsearch", Value::array({resource})}}}};
  std::string path = DeploymentPath(d.deployment_id);
  if (!d.resource_version.empty()) path += "?version=" + http::UrlEncode(d.resource_version);
  return Send(target_, *http_, "PUT", path, &body, true, ctx).status();
}

// --- ECE platform --------------------------------------------------------------

namespace {

Status RequireEce(const ApiTarget& t, const std::string& what) {
  if (t.flavor == Flavor::kEce) return Status::Ok();
  return Status::FailedPrecondition("environment " + Quote(t.environment) +
                                    " is Elastic Cloud Hosted: " + what +
                                    " exists only on ECE (platform: ece)");
}

std::string TrustRelationshipPath(const std::string& id) {
  return "/platform/configuration/trust-relationships/" + http::UrlEncode(id);
}

}  // namespace

Result<Value> CloudClient::ProxyChain() const {
  CROSSLINK_RETURN_IF_ERROR(RequireEce(target_, "the platform proxy certificate chain"));
  Result<Reply> reply = Send(target_, *http_, "GET", "/platform/configuration/security/tls/proxy",
                             nullptr, true, Context{});
  if (!reply.ok()) return reply.status();
  const Value& chain = Path(reply->body, {"chain"});
  if (!chain.is_array() || chain.empty()) {
    return Status::FailedPrecondition("the " + ApiName(target_) +
                                      " returned an empty proxy certificate chain: check "
                                      "Platform > Settings > TLS certificates > Proxy");
  }
  return std::move(reply).value().body;
}

Result<Value> CloudClient::TrustRelationships(bool local_only) const {
  CROSSLINK_RETURN_IF_ERROR(RequireEce(target_, "trust relationships"));
  std::string path = "/platform/configuration/trust-relationships?include_certificate=true";
  if (local_only) path += "&filter=local";
  Result<Reply> reply = Send(target_, *http_, "GET", path, nullptr, true, Context{});
  if (!reply.ok()) return reply.status();
  const Value& list = Path(reply->body, {"trust_relationships"});
  return list.is_array() ? list : Value::array();
}

Result<Value> CloudClient::CreateTrustRelationship(const Value& body) const {
  CROSSLINK_RETURN_IF_ERROR(RequireEce(target_, "trust relationships"));
  const std::string name = StringAt(body, "name");
  Context ctx{"trust relationship " + Quote(name), "", "", ""};
  Result<Reply> reply = Send(target_, *http_, "POST", "/platform/configuration/trust-relationships",
                             &body, false, ctx);
  if (!reply.ok()) return reply.status();
  if (StringAt(reply->body, "id").empty()) {
    return Status::Unavailable("the " + ApiName(target_) + " created " + ctx.text +
                               " but returned no id: look for it under Platform > Trust "
                               "Management");
  }
  return std::move(reply).value().body;
}

Status CloudClient::UpdateTrustRelationship(const std::string& id, const Value& body) const {
  CROSSLINK_RETURN_IF_ERROR(RequireEce(target_, "trust relationships"));
  Context ctx{"trust relationship " + id, "", "", ""};
  return Send(target_, *http_, "PUT", TrustRelationshipPath(id), &body, true, ctx).status();
}

Status CloudClient::DeleteTrustRelationship(const std::string& id) const {
  CROSSLINK_RETURN_IF_ERROR(RequireEce(target_, "trust relationships"));
  Context ctx{"trust relationship " + id, "", "", ""};
  return Send(target_, *http_, "DELETE", TrustRelationshipPath(id), nullptr, true, ctx).status();
}

// --- WaitForPlan ---------------------------------------------------------------

Result<Deployment> WaitForPlan(const CloudClient& client, const std::string& cluster,
                               const Deployment& d, Clock& clock, std::chrono::milliseconds timeout,
                               std::chrono::milliseconds poll,
                               const std::function<void(const std::string&)>& progress) {
  const auto start = clock.Now();
  const std::string who = DeploymentText(d.deployment_id, cluster);
  bool told = false;
  if (poll.count() <= 0) poll = std::chrono::milliseconds(1);
  for (;;) {
    Result<Deployment> current = client.GetDeployment(cluster, d.deployment_id, d.ref_id);
    if (!current.ok() || !current->plan_pending) return current;
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now() - start);
    if (waited >= timeout) {
      const std::string console = client.target().flavor == Flavor::kEce
                                      ? "the ECE Cloud UI (Deployments > "
                                      : "the Cloud console (Deployments > ";
      return Status::DeadlineExceeded(
          who + " in environment " + Quote(client.target().environment) +
          " is still applying a plan after " + std::to_string(waited.count() / 1000) +
          " s: look at " + console + (current->name.empty() ? d.deployment_id : current->name) +
          " > Activity) and run crosslink again once the plan has finished");
    }
    if (!told && progress) {
      progress("waiting for " + who + " to finish its plan");
      told = true;
    }
    clock.Sleep(std::min(poll, timeout - waited));
  }
}

}  // namespace crosslink::providers::cloud
