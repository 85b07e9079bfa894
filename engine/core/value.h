#pragma once
// Value: the dynamic attribute value used for resource attributes, provider
// requests/responses and JSON documents (state, plan, -json output). It is
// nlohmann::json; code must use the non-throwing accessors (contains(),
// value(), is_*()) or catch nlohmann exceptions inside the file that calls a
// throwing one. Parsing goes through ParseJson, which never throws.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace crosslink {

using Value = nlohmann::json;

// Parses JSON text; a syntax error is kInvalidArgument with byte offset.
Result<Value> ParseJson(std::string_view text);

// Stable, compact serialisation (keys sorted, as nlohmann::json keeps them).
std::string DumpJson(const Value& v);
std::string DumpJsonPretty(const Value& v);
// The JSON Schema type name of a value: null, boolean, integer, number,
// string, array or object.
std::string JsonTypeName(const Value& v);

}  // namespace crosslink
