#include "engine/core/value.h"

namespace crosslink {

Result<Value> ParseJson(std::string_view text) {
  Value v = Value::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) {
    // Re-parse with exceptions to get the position; caught here, never escapes.
    try {
      Value ignored = Value::parse(text.begin(), text.end());
      (void)ignored;
    } catch (const nlohmann::json::parse_error& e) {
      return Status::InvalidArgument("invalid JSON at byte " + std::to_string(e.byte));
    }
    return Status::InvalidArgument("invalid JSON");
  }
  return v;
}

std::string DumpJson(const Value& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DumpJsonPretty(const Value& v) {
  return v.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string JsonTypeName(const Value& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

}  // namespace crosslink
