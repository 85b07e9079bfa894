#pragma once
// crosslink::sandbox::cloud::Swagger: the Cloud API contract (a Swagger 2.0
// file from contracts/cloud-api/) used to route and check every request the
// ECH/ECE twins receive, the way the real API rejects malformed input.
//
// What is checked, per operation:
//  - path parameters: present, type, enum;
//  - query parameters: type (boolean "true"/"false", integer, number), enum;
//    unknown query parameters are ignored (as the real API does);
//  - the body parameter: valid JSON, then the schema: $ref (into
//    #/definitions), type, required, properties, additionalProperties,
//    items, enum. Properties not in the schema are accepted (the spec never
//    says additionalProperties: false). JSON null is accepted for an optional
//    property (the spec documents "a null value reverts the field to the
//    default" for settings) and is a missing value for a required one.
//    `type: object` without properties nor additionalProperties is free-form
//    (any JSON value), as go-swagger (cloud-sdk-go's generator) reads it:
//    KeystoreSecret.value is such a field and is documented as "a string or
//    a JSON object".
// A violation is a 400 BasicFailedReply with code root.invalid_json_request
// (body) or root.invalid_data (parameters) naming the field.
//
// Thread-safety: immutable after Load; safe to share between threads.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/value.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox::cloud {

// A Cloud API error reply: BasicFailedReply
// {"errors":[{"code":..,"message":..,"fields":[..]}]} plus the
// x-cloud-error-codes header.
struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  std::vector<std::string> fields;

  net::HttpResponse ToResponse() const;
};

struct Operation {
  std::string method;       // upper case
  std::string path;         // template relative to basePath: "/deployments/{deployment_id}"
  std::string operation_id;
  Value parameters = Value::array();  // with $ref resolved
};

class Swagger {
 public:
  // Reads and indexes a Swagger 2.0 file. `expected_title` (info.title) guards
  // against loading the wrong one of the two (their names are reversed).
  static Result<std::shared_ptr<const Swagger>> Load(const std::string& file,
                                                     const std::string& expected_title);
  static Result<std::shared_ptr<const Swagger>> FromJson(Value doc);

  const std::string& title() const { return title_; }
  const std::string& base_path() const { return base_path_; }

  struct Match {
    const Operation* operation = nullptr;
    std::map<std::string, std::string> path_params;
  };
  // The operation for `method` and `path` (relative to basePath). When the
  // path exists with other methods only, *path_exists is set and nullopt
  // returned.
  std::optional<Match> Find(const std::string& method, const std::string& path,
                            bool* path_exists) const;
  const Operation* FindById(const std::string& operation_id) const;

  // Checks the request against the operation. On success *body holds the
  // parsed body (null when the operation has none or none was sent).
  std::optional<ApiError> Validate(const Match& match, const net::HttpRequest& request,
                                   Value* body) const;
  // Checks `value` against definition `name` (e.g. "ElasticsearchClusterTrustSettings").
  std::optional<ApiError> ValidateDefinition(const std::string& name, const Value& value,
                                             const std::string& field) const;

 private:
  Swagger() = default;
  const Value* Resolve(const Value& schema) const;
  void CheckSchema(const Value& schema, const Value& value, const std::string& field,
                   int depth, std::vector<std::pair<std::string, std::string>>* problems) const;

  std::string title_;
  std::string base_path_;
  Value definitions_ = Value::object();
  std::vector<Operation> operations_;
  std::vector<std::vector<std::string>> segments_;  // per operation
};

}  // namespace crosslink::sandbox::cloud
