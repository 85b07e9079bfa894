#include "engine/topology/loader.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cassert>

#include "engine/topology/model_builder.h"
#include "engine/topology/schema_validator.h"
#include "engine/topology/yaml_document.h"

namespace crosslink::topology {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  int ok = EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  assert(ok == 1 && "EVP_Digest(SHA-256) failed");
  (void)ok;
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(static_cast<size_t>(length) * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

std::optional<Topology> LoadTopologyFile(const std::string& path, FileSystem& fs,
                                         Diagnostics* diags) {
  Result<std::string> text = fs.ReadFile(path);
  if (!text.ok()) {
    diags->Error(SourceLocation{path, 0, 0}, "",
                 "cannot read the topology file: " + text.status().message(),
                 "check the path given with -f (default: crosslink.yaml in the current directory)");
    return std::nullopt;
  }
  return LoadTopologyString(*text, path, diags);
}

std::optional<Topology> LoadTopologyString(std::string_view text, const std::string& file_name,
                                           Diagnostics* diags) {
  Diagnostics found;
  std::optional<Topology> topology;
  std::optional<YamlDocument> doc = ParseYamlDocument(text, file_name, &found);
  if (doc) {
    if (doc->root().is_null()) {
      found.Error(SourceLocation{file_name, 0, 0}, "", "the topology file is empty",
                  "start it with \"version: 1\", then environments, clusters and connections");
    } else {
      ReportedPlaces reported;
      ValidateAgainstSchema(*doc, &found, &reported);
      if (doc->root().is_object()) {
        TopologyBuilder builder(*doc, reported, &found);
        topology = builder.Build();
      }
    }
  }
  std::vector<Diagnostic> items = found.items();
  std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.location.line != b.location.line) return a.location.line < b.location.line;
    return a.location.column < b.location.column;
  });
  bool has_errors = found.has_errors();
  for (Diagnostic& d : items) diags->Add(std::move(d));
  if (has_errors || !topology) return std::nullopt;
  topology->digest = Sha256Hex(text);
  return topology;
}

}  // namespace crosslink::topology
