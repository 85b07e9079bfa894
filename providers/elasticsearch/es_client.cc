#include "providers/elasticsearch/es_client.h"

#include <utility>

namespace crosslink::providers::elasticsearch {

ClusterClient::ClusterClient(std::string cluster, Endpoint endpoint,
                             std::unique_ptr<http::HttpClient> http)
    : cluster_(std::move(cluster)), endpoint_(std::move(endpoint)), http_(std::move(http)) {}

Result<EsReply> ClusterClient::Call(const std::string& method, const std::string& path_and_query,
                                    const Value& body) const {
  http::Request request;
  request.method = method;
  request.url = endpoint_.url + path_and_query;
  request.headers = {{"Accept", "application/json"}};
  // POSTs that only read or converge (the API-key query, a keystore reload)
  // are safe to send again after a 429/5xx; creating a key is not.
  request.idempotent = path_and_query.rfind("/_security/_query/", 0) == 0 ||
                       path_and_query.find("/reload_secure_settings") != std::string::npos;
  if (!body.is_null()) {
    request.body = DumpJson(body);
    request.headers.emplace_back("Content-Type", "application/json");
  }
  if (endpoint_.has_user_credentials()) {
    request.SetBasicAuth(endpoint_.username, endpoint_.password);
  } else if (!endpoint_.api_key.empty()) {
    request.SetApiKey(endpoint_.api_key);
  }
  Result<http::Response> response = http_->Send(request);
  const std::string where = "cluster \"" + cluster_ + "\" at " + endpoint_.url;
  if (!response.ok()) {
    const Status& s = response.status();
    if (s.code() == StatusCode::kFailedPrecondition) {
      return Status::FailedPrecondition(
          "cannot verify the TLS certificate of " + where + ": " + s.message() +
          " (check the CA crosslink trusts for it: " + endpoint_.description + ")");
    }
    if (s.code() == StatusCode::kInvalidArgument) {
      return Status::InvalidArgument("bad URL for " + where + ": " + s.message());
    }
    return Status::Error(
        s.code() == StatusCode::kDeadlineExceeded ? StatusCode::kDeadlineExceeded
                                                  : StatusCode::kUnavailable,
        "cannot reach " + where + ": " + s.message() + " (is the url right and the cluster up?)",
        true);
  }
  EsReply reply;
  reply.status = response->status;
  if (!response->body.empty()) {
    Result<Value> json = ParseJson(response->body);
    if (json.ok()) reply.json = std::move(json).value();
  }
  return reply;
}

std::string JsonString(const Value& obj, const char* key, const std::string& fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool JsonBool(const Value& obj, const char* key, bool fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

int64_t JsonInt(const Value& obj, const char* key, int64_t fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return fallback;
  return it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
}

std::string EsErrorReason(const Value& json) {
  if (!json.is_object() || !json.contains("error")) return "";
  const Value& error = json["error"];
  if (error.is_string()) return error.get<std::string>();
  std::string out = JsonString(error, "type");
  const std::string reason = JsonString(error, "reason");
  if (!reason.empty()) out += (out.empty() ? "" : ": ") + reason;
  const std::string cause = error.is_object() && error.contains("caused_by")
                                ? JsonString(error["caused_by"], "reason")
                                : "";
  if (!cause.empty() && cause != reason) out += " (caused by: " + cause + ")";
  return out;
}

Status ClusterClient::ErrorFor(const std::string& what, const std::string& privilege,
                               const EsReply& reply) const {
  const std::string who = "cluster \"" + cluster_ + "\"";
  std::string reason = EsErrorReason(reply.json);
  const std::string detail = reason.empty() ? "" : ": " + reason;
  const std::string status = "HTTP " + std::to_string(reply.status);
  switch (reply.status) {
    case 401:
      return Status::PermissionDenied("credentials for " + who +
                                      " were rejected (check credentials.* of the cluster: " +
                                      endpoint_.description + ")" + detail);
    case 403:
      return Status::PermissionDenied(
          who + " refused to " + what + " (" + status + detail +
          "): " + (endpoint_.has_user_credentials() ? "the user" : "the API key") + " needs the " +
          privilege + " cluster privilege (and a license that allows the feature)");
    case 400:
      return Status::InvalidArgument(who + " rejected the request to " + what + " (" + status +
                                     detail + "): check the resource's attributes");
    case 404:
      return Status::NotFound(who + ": cannot " + what + " (" + status + detail + ")");
    case 409:
      return Status::Conflict(who + ": cannot " + what + " (" + status + detail + ")");
    default:
      break;
  }
  if (http::IsRetryableStatus(reply.status) || reply.status >= 500) {
    return Status::Unavailable(who + ": cannot " + what + " (" + status + detail + ")");
  }
  return Status::FailedPrecondition(who + ": cannot " + what + " (" + status + detail + ")");
}

Result<EsReply> ClusterClient::Expect(const std::string& what, const std::string& privilege,
                                      const std::string& method, const std::string& path_and_query,
                                      const Value& body, long also_ok) const {
  Result<EsReply> reply = Call(method, path_and_query, body);
  if (!reply.ok()) return reply.status().WithContext("cannot " + what);
  if (reply->ok() || (also_ok != 0 && reply->status == also_ok)) return reply;
  return ErrorFor(what, privilege, *reply);
}

}  // namespace crosslink::providers::elasticsearch
