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

std::string EsErrorReason(const Value& json) {
  if (!json.is_object() || !json.contains("error")) return "";
  const Value& error = json["error"];
  if (error.is_string()) return error.get<std::string>();
  if (!error.is_object()) return "";
  std::string out = error.value("type", "");
  std::string reason = error.value("reason", "");
  if (!reason.empty()) out += (out.empty() ? "" : ": ") + reason;
  if (error.contains("caused_by") && error["caused_by"].is_object()) {
    std::string cause = error["caused_by"].value("reason", "");
    if (!cause.empty() && cause != reason) out += " (caused by: " + cause + ")";
  }
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
      return Status::PermissionDenied(who + " refused to " + what + " (" + status + detail +
                                      "): the user needs the " + privilege +
                                      " cluster privilege (and a license that allows the feature)");
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
