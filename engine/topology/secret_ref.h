#pragma once
// Secret references in the topology file and their resolution at run time.
//
// A secret field holds either a reference - "${env:NAME}" (an environment
// variable) or "${file:path}" (a file; relative paths are relative to the
// topology file's directory, "~/" is the home directory) - or, discouraged,
// the secret itself (inline). Text starting with "${" that is not one of the
// two reference forms is an error, so that a typo never becomes an inline
// secret.
//
// No function here ever puts a secret value into a message.
// Thread-safety: pure functions; ResolveSecret is as thread-safe as the
// FileSystem and getenv it is given.

#include <functional>
#include <string>
#include <string_view>

#include "engine/core/filesystem.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/topology/topology.h"

namespace crosslink::topology {

// Parses the text of a secret field. Returns a SecretRef of kind kEnv, kFile
// or kInline (location and field left empty for the caller to fill), or
// kInvalidArgument with a message and no secret value in it, for text that
// starts with "${" but is not "${env:NAME}" (NAME: letters, digits and '_',
// not starting with a digit) or "${file:path}" (non-empty path).
Result<SecretRef> ParseSecretRef(std::string_view text);

// True for a valid NAME of "${env:NAME}": letters, digits and '_', not
// starting with a digit (secret references and interpolation share it).
bool IsEnvName(std::string_view name);

// The value a reference points at:
//   kEnv: the variable's value; unset -> kNotFound naming the variable and
//         the field; set but empty -> kInvalidArgument.
//   kFile: the file's content with one trailing newline ("\n" or "\r\n")
//         removed; missing or unreadable -> the FileSystem's error, with the
//         path and the field; empty -> kInvalidArgument.
//   kInline: the inline value.
//   kNone: kNotFound ("no secret configured").
// `topology_dir` is the directory of the topology file (TopologyDirectory).
Result<Secret> ResolveSecret(const SecretRef& ref, const std::string& topology_dir, FileSystem& fs,
                             const std::function<const char*(const char*)>& getenv = ::getenv);

// Directory of a topology file path as given: "conf/topo.yaml" -> "conf",
// "topo.yaml" -> ".", "/etc/x.yaml" -> "/".
std::string TopologyDirectory(const std::string& topology_file);

// A path written in the topology file, made usable: relative paths joined to
// `topology_dir` ("./ca.pem" -> "<dir>/ca.pem"); absolute paths and "~/"
// paths (which the FileSystem expands) unchanged; empty stays empty.
std::string ResolveTopologyPath(const std::string& topology_dir, const std::string& path);

}  // namespace crosslink::topology
