#include "engine/topology/interpolate.h"

#include <optional>
#include <string_view>

#include "engine/topology/schema.h"
#include "engine/topology/secret_ref.h"

namespace crosslink::topology {
namespace {

const char kLiteralHint[] =
    "write $${ for a literal \"${\", or ${env:NAME} for an environment variable";

// One string value being interpolated.
class ValueInterpolator {
 public:
  ValueInterpolator(const YamlDocument& doc, const std::string& pointer,
                    const std::function<const char*(const char*)>& getenv, bool unset_is_error,
                    Diagnostics* diags, InterpolationOutcome* outcome)
      : doc_(doc),
        pointer_(pointer),
        getenv_(getenv),
        unset_is_error_(unset_is_error),
        diags_(diags),
        outcome_(outcome) {}

  // The interpolated text, or nullopt when the value must stay as written
  // (an error or an unset variable was reported).
  std::optional<std::string> Run(std::string_view text) {
    std::string out;
    std::string sources;
    bool keep = false;
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, 3, "$${") == 0) {
        out += "${";
        i += 3;
        continue;
      }
      if (text.compare(i, 2, "${") != 0) {
        out += text[i++];
        continue;
      }
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        Error("\"${\" is not closed with '}'", kLiteralHint);
        return std::nullopt;
      }
      std::string_view body = text.substr(i + 2, close - i - 2);
      if (body.rfind("file:", 0) == 0) {
        Error("${file:...} is only for secret fields (passwords, API keys)",
              "write the path itself here, or ${env:NAME} for an environment variable");
        return std::nullopt;
      }
      if (body.rfind("env:", 0) != 0) {
        Error("\"${" + std::string(body) + "}\" is not an environment reference", kLiteralHint);
        return std::nullopt;
      }
      std::string name(body.substr(4));
      if (!IsEnvName(name)) {
        Error("invalid environment variable name in \"${" + std::string(body) + "}\"",
              "use letters, digits and '_', not starting with a digit");
        return std::nullopt;
      }
      const char* value = getenv_ ? getenv_(name.c_str()) : nullptr;
      if (value == nullptr) {
        Unset(name);
        keep = true;
      } else {
        out += value;
        outcome_->substituted[name] = value;
      }
      if (!sources.empty()) sources += ", ";
      sources += "${env:" + name + "}";
      i = close + 1;
    }
    if (keep) return std::nullopt;
    if (!sources.empty()) outcome_->sources[doc_.FieldPath(pointer_)] = sources;
    return out;
  }

 private:
  // The field keeps its text, which is not its value: its other checks are skipped.
  void Error(std::string summary, std::string hint) {
    diags_->Error(doc_.ValueLocation(pointer_), doc_.FieldPath(pointer_), std::move(summary),
                  std::move(hint));
    outcome_->skipped.insert(doc_.FieldPath(pointer_));
  }

  void Unset(const std::string& name) {
    std::string summary = "environment variable " + name + " is not set";
    if (unset_is_error_) {
      Error(summary, "export " + name + "=<value> (or write the value in the file)");
      return;
    }
    diags_->Warning(doc_.ValueLocation(pointer_), doc_.FieldPath(pointer_), summary,
                    "the checks of this field were skipped; export " + name +
                        "=<value> before plan or apply (or write the value in the file)");
    outcome_->skipped.insert(doc_.FieldPath(pointer_));
  }

  const YamlDocument& doc_;
  const std::string& pointer_;
  const std::function<const char*(const char*)>& getenv_;
  bool unset_is_error_;
  Diagnostics* diags_;
  InterpolationOutcome* outcome_;
};

// Pointers of every string value under `value`, in document order.
void CollectStrings(const Value& value, const std::string& pointer, std::vector<std::string>* out) {
  if (value.is_string()) {
    out->push_back(pointer);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      CollectStrings(it.value(), AppendPointer(pointer, it.key()), out);
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      CollectStrings(value[i], AppendPointer(pointer, i), out);
    }
  }
}

}  // namespace

bool IsSecretField(const std::string& pointer) {
  std::vector<const Value*> schemas = SchemasAt(pointer);
  // A place the schema does not know (a misspelt field, reported as such)
  // might hold a secret: it is treated as one and left alone.
  if (schemas.empty()) return true;
  for (const Value* schema : schemas) {
    if (schema->is_object() && schema->value("x-secret", false)) return true;
  }
  return false;
}

InterpolationOutcome InterpolateEnvironment(YamlDocument* doc,
                                            const std::function<const char*(const char*)>& getenv,
                                            bool unset_is_error, Diagnostics* diags) {
  InterpolationOutcome outcome;
  std::vector<std::string> pointers;
  CollectStrings(doc->root(), "", &pointers);
  for (const std::string& pointer : pointers) {
    const std::string& text = doc->Find(pointer)->get_ref<const std::string&>();
    if (text.find("${") == std::string::npos) continue;
    if (IsSecretField(pointer)) continue;
    ValueInterpolator interpolator(*doc, pointer, getenv, unset_is_error, diags, &outcome);
    std::optional<std::string> result = interpolator.Run(text);
    if (result) doc->ReplaceString(pointer, std::move(*result));
  }
  return outcome;
}

}  // namespace crosslink::topology
