#pragma once
// Validation of a topology document against the embedded JSON Schema, with
// valijson's results turned into one readable diagnostic per real problem
// (unknown field with a did-you-mean hint, wrong type, value not allowed,
// missing field, bad format). Internal to engine/topology; only
// schema_validator.cc includes valijson.
//
// Thread-safety: ValidateAgainstSchema may run concurrently.

#include <string>
#include <unordered_set>

#include "engine/core/diagnostics.h"
#include "engine/topology/yaml_document.h"

namespace crosslink::topology {

// The places (JSON pointers) where a problem was already reported, so that
// later checks do not report consequences of the same mistake twice.
class ReportedPlaces {
 public:
  void Add(const std::string& pointer) { places_.insert(pointer); }
  // True when `pointer` or one of its ancestors was reported.
  bool Covers(const std::string& pointer) const;
  bool empty() const { return places_.empty(); }
  // Objects with an unknown (probably misspelt) field: checks for a missing
  // field there are skipped, the misspelling being the likely cause.
  void AddUnknownFieldIn(const std::string& object_pointer) {
    with_unknown_.insert(object_pointer);
  }
  bool HasUnknownFieldIn(const std::string& object_pointer) const {
    return with_unknown_.count(object_pointer) > 0;
  }

 private:
  std::unordered_set<std::string> places_;
  std::unordered_set<std::string> with_unknown_;
};

// Validates doc.root() against the schema. Every problem is added to
// `diags` (with the document's locations and field paths) and its place to
// `reported`. Returns true when the document matches the schema.
bool ValidateAgainstSchema(const YamlDocument& doc, Diagnostics* diags, ReportedPlaces* reported);

}  // namespace crosslink::topology
