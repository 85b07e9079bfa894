#pragma once
// YamlDocument: one YAML file read into a Value (JSON) with YAML 1.2 core
// schema typing, remembering where every node came from.
//
// Typing of scalars: quoted and block scalars are always strings; plain
// scalars are null (null, Null, NULL, ~, empty), booleans (true/false in
// three casings), integers (decimal, 0o octal, 0x hex), floats (including
// .inf/.nan) or else strings. YAML 1.1 words such as yes/no/on/off stay
// strings. Explicit core tags (!!str, !!int, ...) are honoured.
//
// Locations are kept per JSON pointer ("/connections/1/alias"): the key's
// position (for mapping members) and the value's position, 1-based.
//
// Internal to engine/topology. Only yaml_document.cc includes yaml-cpp.
// Thread-safety: immutable after ParseYamlDocument; safe to share.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/core/value.h"

namespace crosslink::topology {

// JSON pointer helpers (RFC 6901 escaping of '~' and '/').
std::string AppendPointer(const std::string& pointer, std::string_view token);
std::string AppendPointer(const std::string& pointer, size_t index);
std::vector<std::string> SplitPointer(const std::string& pointer);
// "" for the root, "/a/b" -> "/a".
std::string ParentPointer(const std::string& pointer);

class YamlDocument {
 public:
  struct NodeLocation {
    SourceLocation key;    // position of the mapping key; unknown for list items and the root
    SourceLocation value;  // position of the value
  };

  YamlDocument() = default;

  const std::string& file() const { return file_; }
  const Value& root() const { return root_; }

  // The value at `pointer`, or nullptr when there is none.
  const Value* Find(const std::string& pointer) const;

  // Replaces the string value at `pointer` (interpolation); its location
  // stays that of the text written. False when there is no string there.
  bool ReplaceString(const std::string& pointer, std::string value);

  // Where the value at `pointer` is written. For a pointer without its own
  // location (a missing field), the closest ancestor's location.
  SourceLocation ValueLocation(const std::string& pointer) const;
  // Where the key naming `pointer` is written; ValueLocation when it is a
  // list item or the root.
  SourceLocation KeyLocation(const std::string& pointer) const;

  // A path for humans: "/connections/1/alias" -> "connections[1].alias",
  // "/clusters/logs/nodes/0" -> "clusters.logs.nodes[0]". Tokens that do not
  // exist in the document are shown as field names.
  std::string FieldPath(const std::string& pointer) const;

  // True when the value is a plain (unquoted) scalar that YAML typed as a
  // number, boolean or null: quoting it would make it a string.
  bool IsImplicitlyTyped(const std::string& pointer) const {
    return implicitly_typed_.count(pointer) > 0;
  }

 private:
  friend class YamlConverter;
  friend std::optional<YamlDocument> ParseYamlDocument(std::string_view, const std::string&,
                                                       Diagnostics*, size_t);
  std::string file_;
  Value root_;
  std::unordered_map<std::string, NodeLocation> locations_;
  std::unordered_set<std::string> implicitly_typed_;  // plain scalars typed as non-strings
};

// Reads `text` as a single YAML document. Syntax errors, several documents
// in one file, duplicate mapping keys, non-scalar keys and unsupported tags
// are reported in `diags`. Returns nullopt when the text could not be read
// as YAML at all (syntax error); otherwise a document, possibly with errors
// reported (duplicate keys keep their first value). A document that expands
// (through YAML aliases) to more than `max_values` values is an error and is
// cut short there.
inline constexpr size_t kDefaultMaxYamlValues = 2'000'000;
std::optional<YamlDocument> ParseYamlDocument(std::string_view text, const std::string& file,
                                              Diagnostics* diags,
                                              size_t max_values = kDefaultMaxYamlValues);

}  // namespace crosslink::topology
