#include "engine/topology/loader.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>

#include "engine/topology/interpolate.h"
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

namespace {

// Drops the diagnostics of fields left uninterpolated (their text is not
// their value) and says where interpolated values came from.
std::vector<Diagnostic> Attribute(std::vector<Diagnostic> items,
                                  const InterpolationOutcome& outcome,
                                  const Diagnostics& interpolation) {
  std::vector<Diagnostic> kept(interpolation.items());
  for (Diagnostic& d : items) {
    if (outcome.skipped.count(d.path) > 0) continue;
    auto source = outcome.sources.find(d.path);
    if (source != outcome.sources.end()) d.summary += " (from " + source->second + ")";
    kept.push_back(std::move(d));
  }
  return kept;
}

std::string DigestOf(std::string_view text, const InterpolationOutcome& outcome) {
  if (outcome.substituted.empty()) return Sha256Hex(text);
  std::string input(text);
  input += '\0';
  for (const auto& [name, value] : outcome.substituted) input += name + "=" + value + "\n";
  return Sha256Hex(input);
}

}  // namespace

std::optional<Topology> LoadTopologyFile(const std::string& path, FileSystem& fs,
                                         Diagnostics* diags, const LoadOptions& options) {
  Result<std::string> text = fs.ReadFile(path);
  if (!text.ok()) {
    diags->Error(SourceLocation{path, 0, 0}, "",
                 "cannot read the topology file: " + text.status().message(),
                 "check the path given with -f (default: crosslink.yaml in the current directory)");
    return std::nullopt;
  }
  return LoadTopologyString(*text, path, diags, options);
}

std::optional<Topology> LoadTopologyString(std::string_view text, const std::string& file_name,
                                           Diagnostics* diags, const LoadOptions& options) {
  Diagnostics found;
  Diagnostics interpolation;
  InterpolationOutcome outcome;
  std::optional<Topology> topology;
  std::optional<YamlDocument> doc = ParseYamlDocument(text, file_name, &found);
  if (doc) {
    if (doc->root().is_null()) {
      found.Error(SourceLocation{file_name, 0, 0}, "", "the topology file is empty",
                  "start it with \"version: 1\", then environments, clusters and connections");
    } else {
      std::function<const char*(const char*)> getenv = options.getenv;
      if (!getenv) getenv = [](const char* name) -> const char* { return ::getenv(name); };
      outcome = InterpolateEnvironment(&*doc, getenv, options.unset_variables_are_errors,
                                       &interpolation);
      ReportedPlaces reported;
      ValidateAgainstSchema(*doc, &found, &reported);
      if (doc->root().is_object()) {
        TopologyBuilder builder(*doc, reported, &found);
        topology = builder.Build();
      }
    }
  }
  std::vector<Diagnostic> items = Attribute(found.items(), outcome, interpolation);
  std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.location.line != b.location.line) return a.location.line < b.location.line;
    return a.location.column < b.location.column;
  });
  bool has_errors = std::any_of(items.begin(), items.end(), [](const Diagnostic& d) {
    return d.severity == Severity::kError;
  });
  for (Diagnostic& d : items) diags->Add(std::move(d));
  if (has_errors || !topology) return std::nullopt;
  topology->digest = DigestOf(text, outcome);
  return topology;
}

}  // namespace crosslink::topology
