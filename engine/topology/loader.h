#pragma once
// Loading a topology file: YAML -> schema validation -> model -> semantic
// checks. Every problem found is added to `diags` (errors and warnings,
// sorted by position in the file), each with file:line:col, field path,
// summary and hint, so that one run shows them all:
//
//   topology.yaml:12:9: error: connections[1].alias: "Logs" is not a valid alias
//     hint: use lower-case letters, digits, '-' and '_' only, e.g. "logs"
//
// The file's shape is defined by schema/topology.schema.json (compiled in);
// defaults come from it too. Secret fields are parsed into SecretRefs but not
// resolved (see secret_ref.h); `${file:...}` paths and other relative paths
// stay as written and are relative to the topology file's directory.
// `${env:NAME}` in any other string value is replaced at load time, before
// validation (see interpolate.h); diagnostics on such a field say where its
// value came from: "... (from ${env:ONPREM_URL})".
//
// Thread-safety: the functions may run concurrently on different inputs.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/diagnostics.h"
#include "engine/core/filesystem.h"
#include "engine/topology/topology.h"

namespace crosslink::topology {

struct LoadOptions {
  // Reads the variables of ${env:NAME} in non-secret fields; ::getenv when empty.
  std::function<const char*(const char*)> getenv;
  // An unset variable is an error (true: commands that talk to platforms) or
  // a warning after which that field's checks are skipped (false: validate
  // and graph, so that they work in CI without the environment).
  bool unset_variables_are_errors = true;
};

// Reads `path` through `fs` and loads it. Returns nullopt iff `diags` has
// errors afterwards (warnings alone still return the topology). A file that
// cannot be read is one error located at `path`.
std::optional<Topology> LoadTopologyFile(const std::string& path, FileSystem& fs,
                                         Diagnostics* diags, const LoadOptions& options = {});

// Loads topology text; `file_name` is used in locations and Topology::file
// exactly as given. Topology::digest is the hex SHA-256 of `text`, followed,
// when values were interpolated, by "\0NAME=value\n" per variable used (sorted
// by name), so that a saved plan is stale when an interpolated value changes.
std::optional<Topology> LoadTopologyString(std::string_view text, const std::string& file_name,
                                           Diagnostics* diags, const LoadOptions& options = {});

// Lower-case hex SHA-256 of `data` (the topology digest).
std::string Sha256Hex(std::string_view data);

}  // namespace crosslink::topology
