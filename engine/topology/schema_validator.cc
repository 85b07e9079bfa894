#include "engine/topology/schema_validator.h"

// valijson reports schema bugs by exception when asked to (instead of
// aborting); they are caught in this file.
#define VALIJSON_USE_EXCEPTIONS 1
#include <cassert>
#include <cctype>
#include <memory>
#include <set>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "engine/topology/schema.h"
#include "engine/topology/suggest.h"

namespace crosslink::topology {

bool ReportedPlaces::Covers(const std::string& pointer) const {
  if (places_.empty()) return false;
  std::string p = pointer;
  while (true) {
    if (places_.count(p) > 0) return true;
    if (p.empty()) return false;
    p = ParentPointer(p);
  }
}

namespace {

// The compiled schema, built once.
const valijson::Schema* CompiledSchema() {
  static const std::unique_ptr<valijson::Schema> schema =
      []() -> std::unique_ptr<valijson::Schema> {
    auto s = std::make_unique<valijson::Schema>();
    try {
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      valijson::adapters::NlohmannJsonAdapter adapter(TopologySchema());
      parser.populateSchema(adapter, *s);
    } catch (const std::exception&) {
      assert(false && "schema/topology.schema.json cannot be compiled by valijson");
      return nullptr;
    }
    return s;
  }();
  return schema.get();
}

enum class Kind {
  kNoise,  // a summary of nested errors ("Failed to validate item #1")
  kUnknownField,
  kMissingField,
  kType,
  kEnum,
  kPattern,
  kMinLength,
  kMaxLength,
  kMinItems,
  kMinimum,
  kMaximum,
  kOther,
};

struct Finding {
  std::string pointer;
  Kind kind = Kind::kOther;
  std::string detail;  // property name, limit, or valijson's text
};

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Text between the last pair of single quotes: "... property 'x'." -> "x".
std::string Quoted(const std::string& s) {
  size_t end = s.rfind('\'');
  if (end == std::string::npos || end == 0) return "";
  size_t start = s.rfind('\'', end - 1);
  if (start == std::string::npos) return "";
  return s.substr(start + 1, end - start - 1);
}

std::string FirstNumber(const std::string& s) {
  std::string digits;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (!digits.empty()) {
      break;
    }
  }
  return digits;
}

Finding Classify(const valijson::ValidationResults::Error& error) {
  Finding f;
  // context: "<root>", "[connections]", "[1]", "[alias]"
  for (size_t i = 1; i < error.context.size(); ++i) {
    const std::string& c = error.context[i];
    std::string token =
        c.size() >= 2 && c.front() == '[' && c.back() == ']' ? c.substr(1, c.size() - 2) : c;
    f.pointer = AppendPointer(f.pointer, token);
  }
  const std::string& d = error.description;
  if (StartsWith(d, "Failed to validate") || StartsWith(d, "Cannot validate item")) {
    f.kind = Kind::kNoise;
  } else if (StartsWith(d, "Object contains a property that could not be validated")) {
    f.kind = Kind::kUnknownField;
    f.detail = Quoted(d);
  } else if (StartsWith(d, "Missing required property")) {
    f.kind = Kind::kMissingField;
    f.detail = Quoted(d);
  } else if (StartsWith(d, "Value type not permitted")) {
    f.kind = Kind::kType;
  } else if (StartsWith(d, "Failed to match against any enum values")) {
    f.kind = Kind::kEnum;
  } else if (StartsWith(d, "Failed to match regex")) {
    f.kind = Kind::kPattern;
  } else if (StartsWith(d, "String should be no fewer than")) {
    f.kind = Kind::kMinLength;
    f.detail = FirstNumber(d);
  } else if (StartsWith(d, "String should be no more than")) {
    f.kind = Kind::kMaxLength;
    f.detail = FirstNumber(d);
  } else if (StartsWith(d, "Array should contain no fewer than")) {
    f.kind = Kind::kMinItems;
    f.detail = FirstNumber(d);
  } else if (StartsWith(d, "Expected number greater than or equal to")) {
    f.kind = Kind::kMinimum;
    f.detail = FirstNumber(d);  // the schema's limits are whole numbers
  } else if (StartsWith(d, "Expected number less than or equal to")) {
    f.kind = Kind::kMaximum;
    f.detail = FirstNumber(d);
  } else {
    f.kind = Kind::kOther;
    f.detail = d;
  }
  return f;
}

std::string Describe(const std::string& json_type) {
  if (json_type == "string") return "a string";
  if (json_type == "integer") return "an integer";
  if (json_type == "number") return "a number";
  if (json_type == "boolean") return "a boolean (true or false)";
  if (json_type == "object") return "a mapping";
  if (json_type == "array") return "a list";
  if (json_type == "null") return "nothing";
  return json_type;
}

std::string DescribeGot(const Value& v) {
  if (v.is_null()) return "nothing";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  return Describe(JsonTypeName(v));
}

// The last token of `pointer` that is a field name (skips list indexes).
std::string FieldName(const YamlDocument& doc, const std::string& pointer) {
  std::string p = pointer;
  while (!p.empty()) {
    std::string parent = ParentPointer(p);
    const Value* container = doc.Find(parent);
    std::vector<std::string> tokens = SplitPointer(p);
    if (container == nullptr || !container->is_array()) return tokens.empty() ? "" : tokens.back();
    p = parent;
  }
  return "";
}

// The value as it may appear in a message: strings quoted, others as JSON.
std::string Show(const Value& v) {
  if (v.is_string()) return "\"" + v.get<std::string>() + "\"";
  return DumpJson(v);
}

// "Logs.Prod" -> "logs-prod": what an alias could look like.
std::string AliasLike(const std::string& s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (c == '_' || c == '-') {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  return out.empty() ? "logs" : out;
}

struct FormatText {
  std::string noun;  // "alias" -> "\"X\" is not a valid alias"
  std::string hint;
};

FormatText FormatFor(const std::string& field, const Value& v) {
  const std::string kAddress =
      "write host:port, e.g. \"es1.example.com:9443\" (an IPv6 address as \"[::1]:9443\")";
  if (field == "alias") {
    return {"alias", "use lower-case letters, digits, '-' and '_' only, e.g. \"" +
                         AliasLike(v.is_string() ? v.get<std::string>() : "") + "\""};
  }
  if (field == "local" || field == "remote") {
    return {"cluster name", "cluster names use lower-case letters, digits, '-' and '_'"};
  }
  if (field == "environment") {
    return {"environment name", "environment names use lower-case letters, digits, '-' and '_'"};
  }
  if (field == "deployment_id") {
    return {"deployment id",
            "a deployment id is 32 lower-case hexadecimal characters, as shown in the console"};
  }
  if (field == "version" || field == "operator_version") {
    return {"version", "write the version in quotes, e.g. \"8.15.0\""};
  }
  if (field == "namespace" || field == "name") {
    return {"Kubernetes name",
            "use lower-case letters, digits and '-', starting and ending with a letter or digit"};
  }
  if (field == "url" || field == "endpoint") {
    return {"URL", "write the full address with its scheme, e.g. \"https://es1.example.com:9200\""};
  }
  if (field == "proxy_address" || field == "seeds" || field == "transport_address" ||
      field == "remote_cluster_address") {
    return {"address", kAddress};
  }
  if (field == "organization_id") {
    return {"organization id",
            "an organization id is a number; write it in quotes, e.g. \"1053523734\""};
  }
  return {"value", ""};
}

class Translator {
 public:
  Translator(const YamlDocument& doc, Diagnostics* diags, ReportedPlaces* reported)
      : doc_(doc), diags_(diags), reported_(reported) {}

  void Translate(const std::vector<Finding>& findings) {
    std::set<std::string> type_errors;
    for (const Finding& f : findings) {
      if (f.kind == Kind::kType) type_errors.insert(f.pointer);
    }
    for (const Finding& f : findings) {
      if (f.kind == Kind::kNoise) continue;
      if (f.kind != Kind::kType && type_errors.count(f.pointer) > 0) continue;
      switch (f.kind) {
        case Kind::kUnknownField:
          UnknownFields(f.pointer);
          break;
        case Kind::kMissingField:
          MissingField(f.pointer, f.detail);
          break;
        case Kind::kType:
          TypeMismatch(f.pointer);
          break;
        case Kind::kEnum:
          NotAllowed(f.pointer);
          break;
        case Kind::kPattern:
          BadFormat(f.pointer);
          break;
        case Kind::kMinLength:
          Report(f, f.pointer, "must not be empty", "give a value, or remove the field");
          break;
        case Kind::kMaxLength: {
          const Value* v = doc_.Find(f.pointer);
          Report(f, f.pointer,
                 (v ? Show(*v) + " is" : "the value is") + std::string(" longer than ") + f.detail +
                     " characters",
                 "use at most " + f.detail + " characters");
          break;
        }
        case Kind::kMinItems:
          Report(f, f.pointer,
                 f.detail == "1" ? "the list must not be empty"
                                 : "the list needs at least " + f.detail + " entries",
                 "add entries, or remove the field");
          break;
        case Kind::kMinimum:
        case Kind::kMaximum: {
          const Value* v = doc_.Find(f.pointer);
          const bool min = f.kind == Kind::kMinimum;
          Report(f, f.pointer,
                 (v ? Show(*v) : std::string("the value")) + " is too " +
                     (min ? "small" : "large") + ": it must be at " + (min ? "least " : "most ") +
                     f.detail,
                 std::string("give a number ") + (min ? ">= " : "<= ") + f.detail);
          break;
        }
        case Kind::kOther:
          Report(f, f.pointer, "does not match the schema: " + f.detail, "");
          break;
        case Kind::kNoise:
          break;
      }
    }
  }

 private:
  // Adds one diagnostic per distinct (kind, place, detail).
  bool Once(const std::string& key) { return seen_.insert(key).second; }

  void Report(const Finding& f, const std::string& pointer, std::string summary, std::string hint) {
    if (!Once(std::to_string(static_cast<int>(f.kind)) + "\n" + pointer + "\n" + summary)) return;
    diags_->Error(doc_.ValueLocation(pointer), doc_.FieldPath(pointer), std::move(summary),
                  std::move(hint));
    reported_->Add(pointer);
  }

  // valijson names only the first unknown field of an object; report them all.
  void UnknownFields(const std::string& pointer) {
    if (!Once("unknown\n" + pointer)) return;
    const Value* object = doc_.Find(pointer);
    if (object == nullptr || !object->is_object()) return;
    AllowedFields allowed = AllowedFieldsAt(pointer);
    if (allowed.open) return;
    for (auto it = object->begin(); it != object->end(); ++it) {
      if (std::binary_search(allowed.names.begin(), allowed.names.end(), it.key())) continue;
      std::string child = AppendPointer(pointer, it.key());
      diags_->Error(doc_.KeyLocation(child), doc_.FieldPath(pointer),
                    "unknown field \"" + it.key() + "\"",
                    SuggestName(it.key(), allowed.names, "allowed fields"));
      reported_->Add(child);
      reported_->AddUnknownFieldIn(pointer);
    }
  }

  void MissingField(const std::string& pointer, const std::string& field) {
    if (!Once("missing\n" + pointer + "\n" + field)) return;
    std::string hint = "add \"" + field + "\"";
    if (pointer.empty() && field == "version") hint = "start the file with \"version: 1\"";
    for (const Value* s : SchemasAt(AppendPointer(pointer, field))) {
      if (pointer.empty() && field == "version") break;
      std::string description = ShortDescription(*s);
      if (!description.empty()) {
        hint += ". " + description;
        break;
      }
    }
    diags_->Error(doc_.KeyLocation(pointer), doc_.FieldPath(pointer),
                  "missing required field \"" + field + "\"", hint);
    reported_->Add(AppendPointer(pointer, field));
  }

  void TypeMismatch(const std::string& pointer) {
    if (!Once("type\n" + pointer)) return;
    const Value* v = doc_.Find(pointer);
    if (v == nullptr) return;
    std::vector<std::string> expected;
    for (const Value* s : SchemasAt(pointer)) {
      auto t = s->find("type");
      if (t == s->end()) continue;
      if (t->is_string()) expected.push_back(t->get<std::string>());
      if (t->is_array()) {
        for (const Value& x : *t) {
          if (x.is_string()) expected.push_back(x.get<std::string>());
        }
      }
      if (!expected.empty()) break;
    }
    std::string want;
    for (size_t i = 0; i < expected.size(); ++i) {
      if (i > 0) want += i + 1 == expected.size() ? " or " : ", ";
      want += Describe(expected[i]);
    }
    if (want.empty()) want = "another kind of value";
    std::string hint;
    const std::string& first = expected.empty() ? std::string() : expected.front();
    if (v->is_null()) {
      hint = "give a value, or remove the field";
    } else if (first == "string" && doc_.IsImplicitlyTyped(pointer)) {
      hint = "put the value in quotes to make it a string";
    } else if (first == "array") {
      hint = "write a list: [a, b], or one \"- item\" per line";
    } else if (first == "object") {
      hint = pointer.empty()
                 ? "a topology file is a mapping that starts with \"version: 1\""
                 : "write the fields on the following lines, indented: \"field: value\"";
    } else if (first == "boolean") {
      hint = "write true or false, without quotes";
    } else if (first == "integer" || first == "number") {
      hint = "write the number without quotes";
    }
    diags_->Error(doc_.ValueLocation(pointer), doc_.FieldPath(pointer),
                  "expected " + want + ", got " + DescribeGot(*v), hint);
    reported_->Add(pointer);
  }

  void NotAllowed(const std::string& pointer) {
    if (!Once("enum\n" + pointer)) return;
    const Value* v = doc_.Find(pointer);
    if (v == nullptr) return;
    std::vector<std::string> allowed;
    for (const Value* s : SchemasAt(pointer)) {
      auto e = s->find("enum");
      if (e == s->end() || !e->is_array()) continue;
      for (const Value& x : *e) {
        allowed.push_back(x.is_string() ? x.get<std::string>() : DumpJson(x));
      }
      break;
    }
    std::string summary = Show(*v) + " is not an allowed value";
    std::string hint = "allowed values: " + JoinNames(allowed);
    if (v->is_string()) {
      if (auto match = ClosestMatch(v->get<std::string>(), allowed)) {
        hint = "did you mean \"" + *match + "\"? " + hint;
      }
    }
    std::vector<std::string> tokens = SplitPointer(pointer);
    if (pointer == "/version") {
      summary = "unsupported topology file version " + Show(*v);
      hint = "this crosslink reads \"version: 1\" files";
    } else if (tokens.size() == 3 && tokens[0] == "clusters" && tokens[2] == "platform") {
      hint =
          "platform is only for self-managed clusters (\"platform: self\"); a cluster on eck, "
          "ech or ece names its environment instead: \"environment: NAME\"";
    }
    diags_->Error(doc_.ValueLocation(pointer), doc_.FieldPath(pointer), summary, hint);
    reported_->Add(pointer);
  }

  void BadFormat(const std::string& pointer) {
    if (!Once("pattern\n" + pointer)) return;
    const Value* v = doc_.Find(pointer);
    if (v == nullptr) return;
    FormatText text = FormatFor(FieldName(doc_, pointer), *v);
    std::string hint = text.hint;
    if (hint.empty()) {
      for (const Value* s : SchemasAt(pointer)) {
        auto p = s->find("pattern");
        if (p != s->end() && p->is_string()) {
          hint = "the value must match " + p->get<std::string>();
          break;
        }
      }
    }
    diags_->Error(doc_.ValueLocation(pointer), doc_.FieldPath(pointer),
                  Show(*v) + " is not a valid " + text.noun, hint);
    reported_->Add(pointer);
  }

  const YamlDocument& doc_;
  Diagnostics* diags_;
  ReportedPlaces* reported_;
  std::set<std::string> seen_;
};

}  // namespace

bool ValidateAgainstSchema(const YamlDocument& doc, Diagnostics* diags, ReportedPlaces* reported) {
  const valijson::Schema* schema = CompiledSchema();
  if (schema == nullptr) {
    diags->Error(SourceLocation{doc.file(), 0, 0}, "",
                 "internal error: the topology schema cannot be compiled");
    return false;
  }
  valijson::ValidationResults results;
  bool valid = false;
  try {
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::adapters::NlohmannJsonAdapter target(doc.root());
    valid = validator.validate(*schema, target, &results);
  } catch (const std::exception& e) {
    diags->Error(SourceLocation{doc.file(), 0, 0}, "",
                 std::string("internal error while validating against the schema: ") + e.what());
    return false;
  }
  if (valid) return true;
  std::vector<Finding> findings;
  findings.reserve(results.numErrors());
  for (const auto& error : results) findings.push_back(Classify(error));
  Translator(doc, diags, reported).Translate(findings);
  return false;
}

}  // namespace crosslink::topology
