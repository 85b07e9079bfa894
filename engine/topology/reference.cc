#include "engine/topology/reference.h"

#include <string_view>
#include <vector>

#include "engine/core/value.h"
#include "engine/topology/schema.h"

namespace crosslink::topology {
namespace {

constexpr std::string_view kDefinitionsPrefix = "#/definitions/";

std::string Anchor(const std::string& definition) { return "#" + definition; }

std::string Escape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string TypeOf(const Value& schema);

std::string RefName(const Value& schema) {
  std::string ref = schema.value("$ref", "");
  if (ref.rfind(kDefinitionsPrefix, 0) == 0) return ref.substr(kDefinitionsPrefix.size());
  return "";
}

std::string TypeOf(const Value& schema) {
  if (!schema.is_object()) return "";
  std::string ref = RefName(schema);
  if (!ref.empty()) return "[" + ref + "](" + Anchor(ref) + ")";
  for (const char* combiner : {"oneOf", "anyOf"}) {
    if (schema.contains(combiner) && schema[combiner].is_array()) {
      std::string out;
      for (const auto& alt : schema[combiner]) {
        std::string t = TypeOf(alt);
        if (t.empty()) continue;
        if (!out.empty()) out += " or ";
        out += t;
      }
      if (!out.empty()) return out;
    }
  }
  if (schema.contains("enum") && schema["enum"].is_array()) {
    std::string out;
    for (const auto& v : schema["enum"]) {
      if (!out.empty()) out += " \\| ";
      out += "`" + (v.is_string() ? v.get<std::string>() : DumpJson(v)) + "`";
    }
    return out;
  }
  std::vector<std::string> types;
  if (schema.contains("type")) {
    if (schema["type"].is_string()) {
      types.push_back(schema["type"].get<std::string>());
    } else if (schema["type"].is_array()) {
      for (const auto& t : schema["type"]) types.push_back(t.get<std::string>());
    }
  }
  std::string out;
  for (const auto& t : types) {
    std::string one = t;
    if (t == "array" && schema.contains("items")) {
      std::string item = TypeOf(schema["items"]);
      one = "list of " + (item.empty() ? "values" : item);
    } else if (t == "object" && schema.contains("additionalProperties") &&
               schema["additionalProperties"].is_object()) {
      one = "map of name → " + TypeOf(schema["additionalProperties"]);
    }
    if (!out.empty()) out += " or ";
    out += one;
  }
  return out;
}

std::string DefaultOf(const Value& schema) {
  if (!schema.is_object() || !schema.contains("default")) return "";
  const Value& d = schema["default"];
  return "`" + (d.is_string() ? d.get<std::string>() : DumpJson(d)) + "`";
}

std::string PlatformsOf(const Value& schema) {
  if (!schema.is_object() || !schema.contains("x-platforms")) return "all";
  std::string out;
  for (const auto& p : schema["x-platforms"]) {
    if (!out.empty()) out += ", ";
    out += p.get<std::string>();
  }
  return out;
}

std::string DescriptionOf(const Value& schema) {
  if (!schema.is_object()) return "";
  std::string d = schema.value("description", "");
  if (d.empty()) {
    // A bare $ref: use the referenced definition's description.
    std::string ref = RefName(schema);
    if (!ref.empty()) {
      const Value& defs = TopologySchema()["definitions"];
      if (defs.contains(ref)) d = defs[ref].value("description", "");
    }
  }
  return Escape(d);
}

void RenderObject(const std::string& title, const Value& schema, std::string* out) {
  *out += "## " + title + "\n\n";
  std::string description = schema.value("description", "");
  if (!description.empty()) *out += description + "\n\n";
  if (!schema.contains("properties")) {
    *out += "Type: " + TypeOf(schema) + "\n\n";
    return;
  }
  std::vector<std::string> required;
  if (schema.contains("required")) {
    for (const auto& r : schema["required"]) required.push_back(r.get<std::string>());
  }
  *out += "| field | type | required | default | platforms | description |\n";
  *out += "|---|---|---|---|---|---|\n";
  for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
    bool req = false;
    for (const auto& r : required) req = req || r == it.key();
    *out += "| `" + it.key() + "` | " + TypeOf(it.value()) + " | " + (req ? "yes" : "") + " | " +
            DefaultOf(it.value()) + " | " + PlatformsOf(it.value()) + " | " +
            DescriptionOf(it.value()) + " |\n";
  }
  *out += "\n";
}

}  // namespace

std::string RenderTopologyReference() {
  const Value& schema = TopologySchema();
  std::string out;
  out += "# Topology file reference\n\n";
  out += "<!-- Generated from schema/topology.schema.json by RenderTopologyReference()\n"
         "     (engine/topology/reference.h). Do not edit by hand: change the schema, then run\n"
         "     CROSSLINK_UPDATE_GOLDEN=1 ctest -R TopologyReference to regenerate. -->\n\n";
  out += "A topology file is YAML. Editors that use yaml-language-server validate and complete\n"
         "it when its first line names the schema:\n\n"
         "    # yaml-language-server: $schema=../schema/topology.schema.json\n\n"
         "(`crosslink schema` prints the schema, for a copy beside your topologies.)\n"
         "Secrets are given by reference — `${env:NAME}` or `${file:path}` (relative to the\n"
         "topology file) — and resolved at run time; an inline secret draws a warning.\n"
         "Every other string value may contain `${env:NAME}` (the whole value or a part, e.g.\n"
         "`restart: \"${env:ONPREM_HOME_0}/bin/restart\"`): it is replaced by the environment\n"
         "variable when the file is loaded, so one file serves a laptop, a sandbox and production.\n"
         "`$${` writes a literal `${`. An unset variable is an error for the commands that talk to\n"
         "platforms and a warning for `validate` and `graph` (which skip that field's checks).\n\n";
  RenderObject("Top level", schema, &out);
  const Value& defs = schema["definitions"];
  for (auto it = defs.begin(); it != defs.end(); ++it) {
    out += "<a id=\"" + it.key() + "\"></a>\n";
    RenderObject(it.key(), it.value(), &out);
  }
  return out;
}

}  // namespace crosslink::topology
