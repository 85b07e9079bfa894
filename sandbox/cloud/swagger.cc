// Swagger 2.0 routing and request checking for the Cloud API twins.

#include "sandbox/cloud/swagger.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace crosslink::sandbox::cloud {

namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsTemplate(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string TypeName(const Value& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool EnumContains(const Value& enumeration, const Value& v) {
  for (const Value& e : enumeration) {
    if (e == v) return true;
  }
  return false;
}

std::string Join(const Value& enumeration) {
  std::string out;
  for (const Value& e : enumeration) {
    if (!out.empty()) out += ", ";
    out += e.is_string() ? e.get<std::string>() : e.dump();
  }
  return out;
}

// Checks a path/query/header parameter value (always a string on the wire).
std::optional<std::string> CheckSimpleParam(const Value& param, const std::string& raw) {
  std::string type = param.value("type", "string");
  Value typed;
  if (type == "boolean") {
    if (raw != "true" && raw != "false") return "must be a boolean (true or false), got [" + raw + "]";
    typed = raw == "true";
  } else if (type == "integer") {
    errno = 0;
    char* end = nullptr;
    long long n = std::strtoll(raw.c_str(), &end, 10);
    if (raw.empty() || errno != 0 || *end != '\0') return "must be an integer, got [" + raw + "]";
    typed = n;
  } else if (type == "number") {
    char* end = nullptr;
    double d = std::strtod(raw.c_str(), &end);
    if (raw.empty() || *end != '\0') return "must be a number, got [" + raw + "]";
    typed = d;
  } else {
    typed = raw;
  }
  if (param.contains("enum") && !EnumContains(param["enum"], typed)) {
    return "must be one of [" + Join(param["enum"]) + "], got [" + raw + "]";
  }
  return std::nullopt;
}

}  // namespace

net::HttpResponse ApiError::ToResponse() const {
  Value element = {{"code", code}, {"message", message}};
  if (!fields.empty()) element["fields"] = fields;
  net::HttpResponse r = net::HttpResponse::Json(status, Value{{"errors", Value::array({element})}});
  r.headers["x-cloud-error-codes"] = code;
  return r;
}

Result<std::shared_ptr<const Swagger>> Swagger::Load(const std::string& file,
                                                     const std::string& expected_title) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Status::NotFound("cannot read the Cloud API contract " + file +
                            " (the sandbox checks requests against it; is --contracts right?)");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  Result<Value> doc = ParseJson(buffer.str());
  if (!doc.ok()) return doc.status().WithContext(file);
  Result<std::shared_ptr<const Swagger>> swagger = FromJson(std::move(doc).value());
  if (!swagger.ok()) return swagger.status().WithContext(file);
  if (!expected_title.empty() && (*swagger)->title() != expected_title) {
    return Status::InvalidArgument(file + ": info.title is \"" + (*swagger)->title() +
                                   "\", expected \"" + expected_title + "\"");
  }
  return swagger;
}

Result<std::shared_ptr<const Swagger>> Swagger::FromJson(Value doc) {
  if (!doc.is_object() || doc.value("swagger", "") != "2.0" || !doc.contains("paths") ||
      !doc["paths"].is_object()) {
    return Status::InvalidArgument("not a Swagger 2.0 document with paths");
  }
  std::shared_ptr<Swagger> s(new Swagger());
  s->title_ = doc.contains("info") && doc["info"].is_object() ? doc["info"].value("title", "") : "";
  s->base_path_ = doc.value("basePath", "");
  if (doc.contains("definitions") && doc["definitions"].is_object()) {
    s->definitions_ = std::move(doc["definitions"]);
  }
  Value global_params = doc.contains("parameters") ? doc["parameters"] : Value::object();
  for (auto& [path, item] : doc["paths"].items()) {
    if (!item.is_object()) continue;
    Value common = item.contains("parameters") ? item["parameters"] : Value::array();
    for (auto& [method, op] : item.items()) {
      if (method == "parameters" || !op.is_object()) continue;
      Operation operation;
      operation.method = Upper(method);
      operation.path = path;
      operation.operation_id = op.value("operationId", "");
      Value params = common;
      if (op.contains("parameters") && op["parameters"].is_array()) {
        for (const Value& p : op["parameters"]) params.push_back(p);
      }
      for (Value& p : params) {
        if (p.contains("$ref") && p["$ref"].is_string()) {
          std::string ref = p["$ref"];
          const std::string prefix = "#/parameters/";
          if (ref.rfind(prefix, 0) == 0 && global_params.contains(ref.substr(prefix.size()))) {
            p = global_params[ref.substr(prefix.size())];
          }
        }
      }
      operation.parameters = std::move(params);
      s->segments_.push_back(SplitPath(path));
      s->operations_.push_back(std::move(operation));
    }
  }
  return std::shared_ptr<const Swagger>(std::move(s));
}

std::optional<Swagger::Match> Swagger::Find(const std::string& method, const std::string& path,
                                            bool* path_exists) const {
  std::vector<std::string> parts = SplitPath(path);
  *path_exists = false;
  // Among the templates matching the path, literal segments beat parameters,
  // earliest segment first ("/deployments/traffic-filter/rulesets" wins over
  // "/deployments/{deployment_id}/...").
  int best = -1;
  std::vector<bool> best_score;
  for (size_t i = 0; i < operations_.size(); ++i) {
    const std::vector<std::string>& segs = segments_[i];
    if (segs.size() != parts.size()) continue;
    std::vector<bool> score;
    bool ok = true;
    for (size_t k = 0; k < segs.size() && ok; ++k) {
      if (IsTemplate(segs[k])) {
        score.push_back(false);
      } else if (segs[k] == parts[k]) {
        score.push_back(true);
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    bool better = best < 0 || score > best_score ||
                  (score == best_score && operations_[i].method == method &&
                   operations_[best].method != method);
    if (better) {
      best = static_cast<int>(i);
      best_score = std::move(score);
    }
  }
  *path_exists = best >= 0;
  if (best < 0 || operations_[best].method != method) return std::nullopt;
  Match match;
  match.operation = &operations_[best];
  const std::vector<std::string>& segs = segments_[best];
  for (size_t k = 0; k < segs.size(); ++k) {
    if (IsTemplate(segs[k])) match.path_params[segs[k].substr(1, segs[k].size() - 2)] = parts[k];
  }
  return match;
}

const Operation* Swagger::FindById(const std::string& operation_id) const {
  for (const Operation& op : operations_) {
    if (op.operation_id == operation_id) return &op;
  }
  return nullptr;
}

const Value* Swagger::Resolve(const Value& schema) const {
  const Value* s = &schema;
  for (int hops = 0; hops < 16 && s->is_object() && s->contains("$ref"); ++hops) {
    const Value& ref = (*s)["$ref"];
    if (!ref.is_string()) return nullptr;
    std::string r = ref.get<std::string>();
    const std::string prefix = "#/definitions/";
    if (r.rfind(prefix, 0) != 0) return nullptr;
    auto it = definitions_.find(r.substr(prefix.size()));
    if (it == definitions_.end()) return nullptr;
    s = &*it;
  }
  return s;
}

void Swagger::CheckSchema(const Value& raw_schema, const Value& value, const std::string& field,
                          int depth,
                          std::vector<std::pair<std::string, std::string>>* problems) const {
  if (depth > 64) return;
  const Value* schema = Resolve(raw_schema);
  if (schema == nullptr || !schema->is_object()) return;
  std::string type = schema->value("type", "");
  if (type.empty() && (schema->contains("properties") || schema->contains("required"))) type = "object";
  auto bad_type = [&](const std::string& want) {
    problems->emplace_back(field, "instance type (" + TypeName(value) + ") does not match any allowed primitive type (allowed: [\"" + want + "\"])");
  };
  if (type == "object") {
    bool structured = schema->contains("properties") || schema->contains("additionalProperties") ||
                      schema->contains("required");
    if (!structured) return;  // free-form
    if (!value.is_object()) return bad_type("object");
    if (schema->contains("required") && (*schema)["required"].is_array()) {
      std::string missing;
      for (const Value& r : (*schema)["required"]) {
        if (!r.is_string()) continue;
        std::string name = r.get<std::string>();
        if (!value.contains(name) || value[name].is_null()) {
          problems->emplace_back(field.empty() ? name : field + "." + name,
                                 "object has missing required properties ([\"" + name + "\"])");
        }
      }
    }
    const Value* props = schema->contains("properties") && (*schema)["properties"].is_object()
                             ? &(*schema)["properties"] : nullptr;
    for (auto& [name, v] : value.items()) {
      std::string child = field.empty() ? name : field + "." + name;
      if (props != nullptr && props->contains(name)) {
        if (!v.is_null()) CheckSchema((*props)[name], v, child, depth + 1, problems);
      } else if (schema->contains("additionalProperties")) {
        const Value& ap = (*schema)["additionalProperties"];
        if (ap.is_boolean()) {
          if (!ap.get<bool>()) problems->emplace_back(child, "object instance has a property which is not allowed");
        } else if (!v.is_null()) {
          CheckSchema(ap, v, child, depth + 1, problems);
        }
      }
    }
  } else if (type == "array") {
    if (!value.is_array()) return bad_type("array");
    if (schema->contains("items")) {
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i].is_null()) {
          problems->emplace_back(field + "[" + std::to_string(i) + "]", "instance type (null) is not allowed in an array");
          continue;
        }
        CheckSchema((*schema)["items"], value[i], field + "[" + std::to_string(i) + "]", depth + 1, problems);
      }
    }
  } else if (type == "string") {
    if (!value.is_string()) return bad_type("string");
  } else if (type == "integer") {
    if (!value.is_number_integer() && !value.is_number_unsigned()) return bad_type("integer");
  } else if (type == "number") {
    if (!value.is_number()) return bad_type("number");
  } else if (type == "boolean") {
    if (!value.is_boolean()) return bad_type("boolean");
  }
  if (schema->contains("enum") && (*schema)["enum"].is_array() && !EnumContains((*schema)["enum"], value)) {
    problems->emplace_back(field, "instance value (" + value.dump() + ") not found in enum (possible values: [" + Join((*schema)["enum"]) + "])");
  }
}

std::optional<ApiError> Swagger::ValidateDefinition(const std::string& name, const Value& value,
                                                    const std::string& field) const {
  Value ref = {{"$ref", "#/definitions/" + name}};
  std::vector<std::pair<std::string, std::string>> problems;
  CheckSchema(ref, value, field, 0, &problems);
  if (problems.empty()) return std::nullopt;
  ApiError e;
  e.code = "root.invalid_json_request";
  std::string list;
  for (const auto& [f, p] : problems) {
    if (!list.empty()) list += ", ";
    list += (f.empty() ? std::string("<root>") : f) + ": " + p;
    e.fields.push_back(f.empty() ? "<root>" : f);
  }
  e.message = "JSON request does not comply with schema: [" + list + "]";
  return e;
}

std::optional<ApiError> Swagger::Validate(const Match& match, const net::HttpRequest& request,
                                          Value* body) const {
  *body = Value();
  auto invalid_param = [](const std::string& name, const std::string& why) {
    ApiError e;
    e.code = "root.invalid_data";
    e.message = "Invalid parameter [" + name + "]: " + why;
    e.fields = {name};
    return e;
  };
  for (const Value& p : match.operation->parameters) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) continue;
    std::string name = p["name"];
    std::string in = p.value("in", "");
    bool required = p.value("required", false);
    if (in == "path") {
      auto it = match.path_params.find(name);
      if (it == match.path_params.end() || it->second.empty()) return invalid_param(name, "is required");
      if (auto why = CheckSimpleParam(p, it->second)) return invalid_param(name, *why);
    } else if (in == "query") {
      if (!request.HasQuery(name)) {
        if (required) return invalid_param(name, "is required");
        continue;
      }
      if (auto why = CheckSimpleParam(p, request.Query(name))) return invalid_param(name, *why);
    } else if (in == "header") {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string v = request.Header(lower);
      if (v.empty()) {
        if (required) return invalid_param(name, "header is required");
        continue;
      }
      if (auto why = CheckSimpleParam(p, v)) return invalid_param(name, *why);
    } else if (in == "body") {
      bool empty = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
      if (empty) {
        if (required) {
          ApiError e;
          e.code = "root.invalid_json_request";
          e.message = "The request body is required";
          e.fields = {name};
          return e;
        }
        continue;
      }
      const Value& schema = p.contains("schema") ? p["schema"] : Value::object();
      Result<Value> parsed = ParseJson(request.body);
      if (!parsed.ok()) {
        if (Resolve(schema) != nullptr && Resolve(schema)->value("type", "") == "string") {
          *body = request.body;  // a raw string body (e.g. set-tls-certificate)
          continue;
        }
        ApiError e;
        e.code = "root.invalid_json_request";
        e.message = "Invalid JSON: " + parsed.status().message();
        return e;
      }
      std::vector<std::pair<std::string, std::string>> problems;
      CheckSchema(schema, *parsed, "", 0, &problems);
      if (!problems.empty()) {
        ApiError e;
        e.code = "root.invalid_json_request";
        std::string list;
        for (const auto& [f, why] : problems) {
          if (!list.empty()) list += ", ";
          list += (f.empty() ? std::string("<root>") : f) + ": " + why;
          e.fields.push_back(f.empty() ? "<root>" : f);
        }
        e.message = "JSON request does not comply with schema: [" + list + "]";
        return e;
      }
      *body = std::move(parsed).value();
    }
  }
  return std::nullopt;
}

}  // namespace crosslink::sandbox::cloud
