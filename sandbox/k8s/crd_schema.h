#pragma once
// crosslink::sandbox::k8s::CrdSchema: the structural schema of one version of
// a CustomResourceDefinition (spec.versions[name].schema.openAPIV3Schema),
// applied the way the Kubernetes API server applies it to a custom object:
//
//  1. null values of non-nullable fields are dropped;
//  2. unknown fields (not in `properties`, not under an
//     `additionalProperties` schema, not under
//     `x-kubernetes-preserve-unknown-fields: true`) are pruned and reported;
//  3. `default`s are filled in;
//  4. the object is validated: type, required, enum, pattern, minimum/maximum,
//     minLength/maxLength, minItems/maxItems, format int32/int64, nullable,
//     x-kubernetes-int-or-string. Every violation is reported (not just the
//     first), worded like the API server's field errors.
//
// `metadata` is not checked here (the API server validates ObjectMeta itself).
//
// Thread-safety: immutable after loading; Validate is const and thread-safe.

#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/value.h"

namespace crosslink::sandbox::k8s {

// One field error, as k8s.io/apimachinery field.Error renders it.
struct FieldError {
  std::string reason;  // StatusCause reason: FieldValueInvalid, FieldValueRequired, ...
  std::string field;   // "spec.nodeSets[0].count"
  std::string detail;  // the message without the field: "Required value"
  // "<field>: <detail>", the text the API server puts in Status.message.
  std::string ToString() const { return field + ": " + detail; }
};

struct SchemaOutcome {
  std::vector<FieldError> errors;
  std::vector<std::string> unknown_fields;  // pruned paths, "spec.foo"
};

class CrdSchema {
 public:
  // Reads a CRD YAML file and takes versions[name == version]. A missing file
  // is kNotFound naming the path; a CRD without that version or a schema is
  // kInvalidArgument.
  static Result<CrdSchema> LoadFile(const std::string& path, const std::string& version = "v1");
  static Result<CrdSchema> FromYaml(const std::string& text, const std::string& version = "v1");

  const std::string& group() const { return group_; }
  const std::string& kind() const { return kind_; }
  const std::string& plural() const { return plural_; }
  const std::string& version() const { return version_; }
  bool has_status_subresource() const { return has_status_; }

  // Prunes, defaults and validates `object` in place (see the file comment).
  SchemaOutcome Apply(Value* object) const;

 private:
  Value schema_;
  std::string group_, kind_, plural_, version_;
  bool has_status_ = false;
};

// Parses a (multi-document) YAML text into JSON values, typing plain scalars
// as YAML 1.2 core schema does (true/false, integers, floats, null); quoted
// scalars stay strings. Syntax errors are kInvalidArgument with the line.
Result<std::vector<Value>> ParseYamlDocuments(const std::string& text);

}  // namespace crosslink::sandbox::k8s
