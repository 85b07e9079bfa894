// Elasticsearch's REST error shapes (ElasticsearchException#generateFailureXContent
// and RestController's "no handler" / "Incorrect HTTP method" answers).

#include "sandbox/es/internal.h"

namespace crosslink::sandbox::es {

namespace {
// What ES answers in WWW-Authenticate for the realms a default cluster has.
constexpr const char* kChallenge =
    "Basic realm=\"security\", charset=\"UTF-8\", Bearer realm=\"security\", ApiKey";
}  // namespace

net::HttpResponse BadRequest(const std::string& reason) {
  return EsError(400, "illegal_argument_exception", reason);
}

net::HttpResponse ValidationFailed(const std::vector<std::string>& errors) {
  std::string reason = "Validation Failed: ";
  for (size_t i = 0; i < errors.size(); ++i) reason += std::to_string(i + 1) + ": " + errors[i] + ";";
  return EsError(400, "action_request_validation_exception", reason);
}

net::HttpResponse UnknownField(const std::string& parser, const std::string& field) {
  return EsError(400, "x_content_parse_exception", "[" + parser + "] unknown field [" + field + "]");
}

net::HttpResponse NoHandler(const std::string& uri, const std::string& method) {
  return net::HttpResponse::Json(
      400, Value{{"error", "no handler found for uri [" + uri + "] and method [" + method + "]"}, {"status", 400}});
}

net::HttpResponse MethodNotAllowed(const std::string& uri, const std::string& method,
                                   const std::vector<std::string>& allowed) {
  auto response = net::HttpResponse::Json(
      405, Value{{"error", "Incorrect HTTP method for uri [" + uri + "] and method [" + method + "], allowed: [" +
                               JoinStrings(allowed, ", ") + "]"},
                 {"status", 405}});
  response.headers["Allow"] = JoinStrings(allowed, ",");
  return response;
}

net::HttpResponse Unauthorized(const std::string& reason, const Value& extra) {
  Value merged = extra;
  merged["header"] = {{"WWW-Authenticate",
                       Value::array({"Basic realm=\"security\", charset=\"UTF-8\"", "Bearer realm=\"security\"",
                                     "ApiKey"})}};
  auto response = EsError(401, "security_exception", reason, merged);
  response.headers["WWW-Authenticate"] = kChallenge;
  return response;
}

net::HttpResponse Forbidden(const std::string& reason) { return EsError(403, "security_exception", reason); }

bool ParseBody(const net::HttpRequest& request, bool required, Value* out, net::HttpResponse* error) {
  bool blank = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank) {
    *out = nullptr;
    if (required) {
      *error = EsError(400, "parse_exception", "request body is required");
      return false;
    }
    return true;
  }
  auto parsed = ParseJson(request.body);
  if (!parsed.ok()) {
    *error = EsError(400, "x_content_parse_exception", "Failed to parse request body: " + parsed.status().message());
    return false;
  }
  *out = std::move(parsed).value();
  if (!out->is_object()) {
    *error = EsError(400, "parse_exception", "request body must be a JSON object");
    return false;
  }
  return true;
}

}  // namespace crosslink::sandbox::es
