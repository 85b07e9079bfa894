#pragma once
// Environment interpolation in the topology file's non-secret values.
//
// Any string VALUE (never a mapping key) outside the secret fields may hold
// "${env:NAME}", as the whole value or a part of it:
//
//   url: ${env:ONPREM_URL}                    # e.g. https://es1.dc1.example.com:9200
//   restart: "${env:ONPREM_HOME_0}/bin/restart"
//
// It is replaced by the environment variable when the file is loaded, before
// schema validation, so the model holds the final text. "$${" writes a
// literal "${". NAME uses letters, digits and '_' and does not start with a
// digit (as in secret references). Any other "${...}" is an error, so that a
// typo never passes silently.
//
// Secret fields - those the schema marks "x-secret": true - are never
// interpolated: their ${env:NAME} / ${file:path} references stay references,
// resolved lazily at run time (secret_ref.h), never expanded into the model.
// Values in fields the schema does not know are left alone too.
//
// An unset variable is, depending on the command, an error at the value's
// file:line:col (commands that talk to platforms) or a warning after which
// the field keeps its text and its checks are skipped (validate and graph,
// which must work in CI without the environment).
//
// Internal to engine/topology (used by the loader).
// Thread-safety: pure functions; as thread-safe as the getenv given.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/topology/yaml_document.h"

namespace crosslink::topology {

struct InterpolationOutcome {
  // Every substitution made, "NAME" -> value (non-secret values only).
  std::map<std::string, std::string> substituted;
  // Field path ("clusters.onprem.url") -> where its value came from
  // ("${env:ONPREM_URL}"), for fields whose value was interpolated.
  std::map<std::string, std::string> sources;
  // Field paths left as written (an unset variable or a reported error):
  // their other diagnostics are about text that is not their value.
  std::set<std::string> skipped;
};

// Replaces ${env:NAME} in every non-secret string value of `doc`, reading
// variables through `getenv`. Problems go to `diags` with the value's
// location and field path. `unset_is_error` selects what an unset variable
// is (see above).
InterpolationOutcome InterpolateEnvironment(YamlDocument* doc,
                                            const std::function<const char*(const char*)>& getenv,
                                            bool unset_is_error, Diagnostics* diags);

// True when the schema marks the value at `pointer` as a secret, or says
// nothing about that place (an unknown field is never interpolated).
bool IsSecretField(const std::string& pointer);

}  // namespace crosslink::topology
