#include "engine/topology/schema.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <set>

#include "engine/topology/yaml_document.h"

namespace crosslink::topology {

namespace {

const Value* Child(const Value& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// "#/definitions/x" -> the node, or nullptr.
const Value* ResolveRef(const std::string& ref) {
  if (ref.empty() || ref[0] != '#') return nullptr;
  const Value* v = &TopologySchema();
  for (const std::string& token : SplitPointer(ref.substr(1))) {
    v = Child(*v, token);
    if (v == nullptr) return nullptr;
  }
  return v;
}

void Expand(const Value* schema, std::vector<const Value*>* out, int depth = 0) {
  if (schema == nullptr || !schema->is_object() || depth > 16) return;
  if (const Value* ref = Child(*schema, "$ref"); ref != nullptr && ref->is_string()) {
    Expand(ResolveRef(ref->get<std::string>()), out, depth + 1);
    return;  // draft-07: siblings of $ref are ignored
  }
  if (std::find(out->begin(), out->end(), schema) != out->end()) return;
  out->push_back(schema);
  if (const Value* all = Child(*schema, "allOf"); all != nullptr && all->is_array()) {
    for (const Value& member : *all) Expand(&member, out, depth + 1);
  }
  Expand(Child(*schema, "then"), out, depth + 1);
  Expand(Child(*schema, "else"), out, depth + 1);
}

}  // namespace

const Value& TopologySchema() {
  static const Value schema = [] {
    Result<Value> parsed = ParseJson(kTopologySchemaJson);
    assert(parsed.ok() && "schema/topology.schema.json is not valid JSON");
    return parsed.ok() ? std::move(parsed).value() : Value::object();
  }();
  return schema;
}

std::vector<const Value*> SchemasAt(const std::string& pointer) {
  std::vector<const Value*> current;
  Expand(&TopologySchema(), &current);
  for (const std::string& token : SplitPointer(pointer)) {
    std::vector<const Value*> next;
    for (const Value* s : current) {
      const Value* props = Child(*s, "properties");
      if (const Value* p = props ? Child(*props, token) : nullptr) {
        Expand(p, &next);
        continue;
      }
      if (const Value* extra = Child(*s, "additionalProperties"); extra && extra->is_object()) {
        Expand(extra, &next);
      }
      if (const Value* items = Child(*s, "items"); items && items->is_object()) {
        Expand(items, &next);
      }
    }
    current = std::move(next);
    if (current.empty()) break;
  }
  return current;
}

AllowedFields AllowedFieldsAt(const std::string& pointer) {
  AllowedFields allowed;
  std::set<std::string> names;
  for (const Value* s : SchemasAt(pointer)) {
    if (const Value* props = Child(*s, "properties"); props && props->is_object()) {
      for (auto it = props->begin(); it != props->end(); ++it) names.insert(it.key());
    }
    const Value* extra = Child(*s, "additionalProperties");
    if (extra != nullptr && !(extra->is_boolean() && !extra->get<bool>())) allowed.open = true;
  }
  allowed.names.assign(names.begin(), names.end());
  return allowed;
}

const Value* DefinitionField(std::string_view definition, std::string_view field) {
  const Value* defs = Child(TopologySchema(), "definitions");
  const Value* def = defs ? Child(*defs, definition) : nullptr;
  const Value* props = def ? Child(*def, "properties") : nullptr;
  return props ? Child(*props, field) : nullptr;
}

Value DefinitionDefault(std::string_view definition, std::string_view field) {
  const Value* f = DefinitionField(definition, field);
  const Value* d = f ? Child(*f, "default") : nullptr;
  return d ? *d : Value(nullptr);
}

std::vector<std::string> DefinitionPlatforms(std::string_view definition, std::string_view field) {
  std::vector<std::string> out;
  const Value* f = DefinitionField(definition, field);
  const Value* platforms = f ? Child(*f, "x-platforms") : nullptr;
  if (platforms != nullptr && platforms->is_array()) {
    for (const Value& p : *platforms) {
      if (p.is_string()) out.push_back(p.get<std::string>());
    }
  }
  return out;
}

std::string ShortDescription(const Value& schema) {
  const Value* d = Child(schema, "description");
  if (d == nullptr || !d->is_string()) return "";
  std::string text = d->get<std::string>();
  // First sentence: up to the first ". " that does not end "e.g." or "i.e.".
  size_t end = text.find(". ");
  while (end != std::string::npos && end >= 3 &&
         (text.compare(end - 3, 3, "e.g") == 0 || text.compare(end - 3, 3, "i.e") == 0)) {
    end = text.find(". ", end + 2);
  }
  if (end != std::string::npos) text = text.substr(0, end);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

}  // namespace crosslink::topology
