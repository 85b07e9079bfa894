#pragma once
// The topology file's JSON Schema (draft-07), compiled into the binary from
// schema/topology.schema.json at build time (see embed_schema.cmake), and a
// few read-only lookups into it: the loader uses the schema both to validate
// and as the source of defaults, per-platform applicability (the
// "x-platforms" annotation) and field descriptions used in hints.
//
// Thread-safety: everything here is immutable after first use; the parsed
// schema is built once, thread-safely.

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/value.h"

namespace crosslink::topology {

// The schema text, byte for byte as in schema/topology.schema.json.
extern const char* const kTopologySchemaJson;

// kTopologySchemaJson parsed. A schema that does not parse is a build bug
// (the tests load it), so this asserts.
const Value& TopologySchema();

// The (sub)schemas that describe the value at `pointer` (JSON pointer into a
// topology document), following properties, additionalProperties and items,
// resolving $ref, and including allOf members and if/then/else branches.
// Empty when the schema says nothing about that place.
std::vector<const Value*> SchemasAt(const std::string& pointer);

// Field names the schema allows in the object at `pointer`, sorted.
// `open` is true when any name is allowed (maps such as `clusters`).
struct AllowedFields {
  std::vector<std::string> names;
  bool open = false;
};
AllowedFields AllowedFieldsAt(const std::string& pointer);

// The schema of property `field` of `definitions/<definition>`, or nullptr.
const Value* DefinitionField(std::string_view definition, std::string_view field);

// Its "default" (null when none).
Value DefinitionDefault(std::string_view definition, std::string_view field);

// Its "x-platforms" annotation: the platforms the field applies to; empty
// when it applies to every platform.
std::vector<std::string> DefinitionPlatforms(std::string_view definition, std::string_view field);

// The first sentence of a schema's "description", without its final period;
// empty when there is none.
std::string ShortDescription(const Value& schema);

}  // namespace crosslink::topology
