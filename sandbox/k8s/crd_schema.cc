#include "sandbox/k8s/crd_schema.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <regex>
#include <sstream>

namespace crosslink::sandbox::k8s {
namespace {

// ---- YAML -> JSON (yaml-cpp exceptions stay in this file) ----

Value ScalarToValue(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: always a string
  if (s == "~" || s == "null" || s == "Null" || s == "NULL" || s.empty()) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kInt)) {
    try {
      return static_cast<int64_t>(std::stoll(s));
    } catch (const std::exception&) {
      return s;
    }
  }
  if (std::regex_match(s, kFloat)) {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      return s;
    }
  }
  return s;
}

Value NodeToValue(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return ScalarToValue(node);
    case YAML::NodeType::Sequence: {
      Value out = Value::array();
      for (const auto& item : node) out.push_back(NodeToValue(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Value out = Value::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = NodeToValue(kv.second);
      return out;
    }
  }
  return nullptr;
}

// ---- validation ----

// How field.Invalid prints a value (Go %#v for scalars).
std::string Render(const Value& v) {
  if (v.is_string() || v.is_number() || v.is_boolean() || v.is_null()) return v.dump();
  return "\"" + JsonTypeName(v) + "\"";
}

bool HasType(const Value& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return true;
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool Flag(const Value& schema, const char* key) {
  auto it = schema.find(key);
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

class Walker {
 public:
  explicit Walker(SchemaOutcome* out) : out_(out) {}

  void Walk(const Value& schema, Value& v, const std::string& path) {
    if (v.is_null()) {
      if (!Flag(schema, "nullable")) Error("FieldValueInvalid", path, "Invalid value: \"null\": " + path + " in body must be of type " + schema.value("type", "object") + ": \"null\"");
      return;
    }
    if (Flag(schema, "x-kubernetes-int-or-string")) {
      if (!v.is_number_integer() && !v.is_string()) {
        Error("FieldValueInvalid", path, "Invalid value: " + Render(v) + ": " + path + " in body must be of type integer,string: " + Render(Value(JsonTypeName(v))));
      }
      return;
    }
    std::string type = schema.value("type", "");
    if (!type.empty() && !HasType(v, type)) {
      Error("FieldValueInvalid", path,
            "Invalid value: " + Render(Value(JsonTypeName(v))) + ": " + path + " in body must be of type " + type + ": " +
                Render(Value(JsonTypeName(v))));
      return;
    }
    if (schema.contains("enum") && schema["enum"].is_array()) {
      bool found = false;
      std::string supported;
      for (const auto& e : schema["enum"]) {
        if (e == v) found = true;
        supported += (supported.empty() ? "" : ", ") + e.dump();
      }
      if (!found) Error("FieldValueNotSupported", path, "Unsupported value: " + Render(v) + ": supported values: " + supported);
    }
    if (v.is_string()) CheckString(schema, v.get<std::string>(), path);
    if (v.is_number()) CheckNumber(schema, v, path);
    if (v.is_array()) WalkArray(schema, v, path);
    if (v.is_object()) WalkObject(schema, v, path);
  }

 private:
  void Error(const std::string& reason, const std::string& path, const std::string& detail) {
    out_->errors.push_back(FieldError{reason, path, detail});
  }

  void CheckString(const Value& schema, const std::string& s, const std::string& path) {
    if (schema.contains("maxLength") && schema["maxLength"].is_number_integer() &&
        Utf8Length(s) > schema["maxLength"].get<size_t>()) {
      Error("FieldValueTooLong", path, "Too long: may not be more than " + std::to_string(schema["maxLength"].get<int64_t>()) + " bytes");
    }
    if (schema.contains("minLength") && schema["minLength"].is_number_integer() &&
        Utf8Length(s) < schema["minLength"].get<size_t>()) {
      Error("FieldValueInvalid", path,
            "Invalid value: " + Value(s).dump() + ": " + path + " in body should be at least " +
                std::to_string(schema["minLength"].get<int64_t>()) + " chars long");
    }
    if (schema.contains("pattern") && schema["pattern"].is_string()) {
      const std::string pattern = schema["pattern"].get<std::string>();
      bool match = false;
      try {
        match = std::regex_search(s, std::regex(pattern, std::regex::ECMAScript));
      } catch (const std::regex_error&) {
        match = true;  // a pattern we cannot compile is not the user's fault
      }
      if (!match) {
        Error("FieldValueInvalid", path, "Invalid value: " + Value(s).dump() + ": " + path + " in body should match '" + pattern + "'");
      }
    }
  }

  void CheckNumber(const Value& schema, const Value& v, const std::string& path) {
    const double d = v.get<double>();
    if (schema.contains("minimum") && schema["minimum"].is_number() && d < schema["minimum"].get<double>()) {
      Error("FieldValueInvalid", path,
            "Invalid value: " + v.dump() + ": " + path + " in body should be greater than or equal to " + schema["minimum"].dump());
    }
    if (schema.contains("maximum") && schema["maximum"].is_number() && d > schema["maximum"].get<double>()) {
      Error("FieldValueInvalid", path,
            "Invalid value: " + v.dump() + ": " + path + " in body should be less than or equal to " + schema["maximum"].dump());
    }
    const std::string format = schema.value("format", "");
    if (format == "int32" && v.is_number_integer()) {
      const int64_t i = v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
      if (i < INT32_MIN || i > INT32_MAX) {
        Error("FieldValueInvalid", path, "Invalid value: " + v.dump() + ": " + path + " in body must be of type int32: \"" + v.dump() + "\"");
      }
    }
    if (format == "int64" && v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      Error("FieldValueInvalid", path, "Invalid value: " + v.dump() + ": " + path + " in body must be of type int64: \"" + v.dump() + "\"");
    }
  }

  void WalkArray(const Value& schema, Value& v, const std::string& path) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>()) {
      Error("FieldValueInvalid", path,
            "Invalid value: " + std::to_string(v.size()) + ": " + path + " in body should have at least " +
                std::to_string(schema["minItems"].get<int64_t>()) + " items");
    }
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<size_t>()) {
      Error("FieldValueTooMany", path,
            "Too many: " + std::to_string(v.size()) + ": must have at most " + std::to_string(schema["maxItems"].get<int64_t>()) + " items");
    }
    auto items = schema.find("items");
    if (items == schema.end() || !items->is_object()) return;
    for (size_t i = 0; i < v.size(); ++i) Walk(*items, v[i], path + "[" + std::to_string(i) + "]");
  }

  void WalkObject(const Value& schema, Value& v, const std::string& path) {
    const bool preserve = Flag(schema, "x-kubernetes-preserve-unknown-fields");
    const Value* props = schema.contains("properties") && schema["properties"].is_object() ? &schema["properties"] : nullptr;
    const Value* additional = schema.contains("additionalProperties") ? &schema["additionalProperties"] : nullptr;
    std::vector<std::string> keys;
    for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
    for (const std::string& key : keys) {
      const Value* sub = nullptr;
      if (props != nullptr && props->contains(key)) {
        sub = &(*props)[key];
      } else if (additional != nullptr && additional->is_object()) {
        sub = additional;
      }
      const std::string child = additional != nullptr && props == nullptr ? path + "[" + key + "]" : Child(path, key);
      if (sub == nullptr) {
        if (preserve || (additional != nullptr && additional->is_boolean() && additional->get<bool>())) continue;
        out_->unknown_fields.push_back(child);
        v.erase(key);
        continue;
      }
      if (v[key].is_null() && !Flag(*sub, "nullable")) {
        v.erase(key);  // the API server drops nulls of non-nullable fields
        continue;
      }
      Walk(*sub, v[key], child);
    }
    if (props != nullptr) {
      for (auto it = props->begin(); it != props->end(); ++it) {
        if (!v.contains(it.key()) && it->contains("default")) v[it.key()] = (*it)["default"];
      }
    }
    if (schema.contains("required") && schema["required"].is_array()) {
      for (const auto& r : schema["required"]) {
        if (r.is_string() && !v.contains(r.get<std::string>())) Error("FieldValueRequired", Child(path, r.get<std::string>()), "Required value");
      }
    }
  }

  SchemaOutcome* out_;
};

}  // namespace

Result<std::vector<Value>> ParseYamlDocuments(const std::string& text) {
  std::vector<Value> docs;
  try {
    for (const YAML::Node& node : YAML::LoadAll(text)) {
      if (node.IsNull()) continue;
      docs.push_back(NodeToValue(node));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("YAML syntax error at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return docs;
}

Result<CrdSchema> CrdSchema::LoadFile(const std::string& path, const std::string& version) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("custom resource definition not found: " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  Result<CrdSchema> schema = FromYaml(buf.str(), version);
  if (!schema.ok()) return schema.status().WithContext(path);
  return schema;
}

Result<CrdSchema> CrdSchema::FromYaml(const std::string& text, const std::string& version) {
  Result<std::vector<Value>> docs = ParseYamlDocuments(text);
  if (!docs.ok()) return docs.status();
  for (const Value& doc : *docs) {
    if (!doc.is_object() || doc.value("kind", "") != "CustomResourceDefinition") continue;
    const Value spec = doc.value("spec", Value::object());
    for (const Value& v : spec.value("versions", Value::array())) {
      if (!v.is_object() || v.value("name", "") != version) continue;
      const Value schema = v.value("schema", Value::object()).value("openAPIV3Schema", Value());
      if (!schema.is_object()) return Status::InvalidArgument("CRD version " + version + " has no openAPIV3Schema");
      CrdSchema out;
      out.schema_ = schema;
      out.group_ = spec.value("group", "");
      out.kind_ = spec.value("names", Value::object()).value("kind", "");
      out.plural_ = spec.value("names", Value::object()).value("plural", "");
      out.version_ = version;
      out.has_status_ = v.value("subresources", Value::object()).contains("status");
      return out;
    }
    return Status::InvalidArgument("CRD has no version " + version);
  }
  return Status::InvalidArgument("no CustomResourceDefinition document found");
}

SchemaOutcome CrdSchema::Apply(Value* object) const {
  SchemaOutcome out;
  if (!object->is_object()) {
    out.errors.push_back(FieldError{"FieldValueInvalid", "<root>", "Invalid value: " + Render(*object) + ": must be an object"});
    return out;
  }
  // ObjectMeta is the API server's business; validate everything else.
  Value metadata = object->contains("metadata") ? (*object)["metadata"] : Value();
  object->erase("metadata");
  Walker(&out).Walk(schema_, *object, "");
  if (!metadata.is_null()) (*object)["metadata"] = std::move(metadata);
  return out;
}

}  // namespace crosslink::sandbox::k8s
