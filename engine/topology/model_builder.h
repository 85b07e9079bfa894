#pragma once
// TopologyBuilder: turns a schema-checked YamlDocument into the Topology
// model (defaults from the schema applied) and runs the semantic checks that
// a JSON Schema cannot express: names, references between sections, fields
// that do not apply to a platform, credentials, secret references, aliases,
// security model and connection mode constraints, declared versions.
//
// Problems whose place was already reported by the schema validation are
// not reported again, and checks that depend on such a place are skipped.
// Internal to engine/topology (model_builder.cc: sections;
// connection_checks.cc: connections). Not thread-safe; one per load.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/topology/schema_validator.h"
#include "engine/topology/topology.h"
#include "engine/topology/yaml_document.h"

namespace crosslink::topology {

class TopologyBuilder {
 public:
  TopologyBuilder(const YamlDocument& doc, const ReportedPlaces& reported, Diagnostics* diags)
      : doc_(doc), reported_(reported), diags_(diags) {}
  TopologyBuilder(const TopologyBuilder&) = delete;
  TopologyBuilder& operator=(const TopologyBuilder&) = delete;

  // Builds the model. The result is meaningful only when `diags` has no
  // errors afterwards.
  Topology Build();

 private:
  // model_builder.cc
  void BuildEnvironments(Topology* t);
  void BuildClusters(Topology* t);
  void CheckName(const std::string& pointer, const std::string& name, const std::string& what);
  void CheckApplicable(const std::string& pointer, const Value& object, const char* definition,
                       Platform platform, const std::string& what);
  SecretRef ParseSecret(const std::string& pointer, const Value& object, const char* key);
  Credentials BuildCredentials(const std::string& pointer, const Value& object);
  void BuildEck(const std::string& pointer, const Value& object, Cluster* c);
  std::optional<RemoteClusterCertificate> BuildRemoteClusterCertificate(
      const std::string& pointer, const Value& object);

  // connection_checks.cc
  void BuildConnections(Topology* t);
  Connection BuildConnection(const std::string& pointer, const Value& object);
  bool CheckReference(const std::string& pointer, const std::string& name, const Topology& t);
  void CheckConnection(const std::string& pointer, const Connection& c, const Topology& t);
  void CheckMode(const std::string& pointer, const Cluster& local, const Cluster& remote);
  void CheckVersions(const std::string& pointer, const Connection& c, const Topology& t);
  void CheckCertificateDelivery(const std::string& security_ptr, const Cluster& cluster);

  // A URL field (`url`, `endpoint`) must not carry a user name or password:
  // they would be kept in plain text (model, plan, state). The value is
  // never echoed.
  void CheckNoUserInfo(const std::string& object_pointer, const Value& object,
                       const std::string& key);

  // Helpers.
  bool Usable(const std::string& pointer) const { return !reported_.Covers(pointer); }
  // False when the object at `pointer` has a misspelt field, which probably
  // is the field a "missing" check would complain about.
  bool Complete(const std::string& pointer) const {
    return Usable(pointer) && !reported_.HasUnknownFieldIn(pointer);
  }
  void Error(const std::string& pointer, std::string summary, std::string hint,
             bool at_key = false);
  void Warning(const std::string& pointer, std::string summary, std::string hint,
               bool at_key = false);

  const YamlDocument& doc_;
  const ReportedPlaces& reported_;
  Diagnostics* diags_;
  // Clusters whose platform is known for sure (their environment exists and
  // has a valid platform, or they are self-managed).
  std::set<std::string> certain_clusters_;
  // False when a whole section is unusable (e.g. `clusters` is a list), so
  // references into it cannot be checked.
  bool environments_usable_ = true;
  bool clusters_usable_ = true;
};

// Helpers shared by the two source files.
// "8.15.0" -> {8, 15, 0}; "8.15" -> {8, 15, 0}; nullopt when not a version.
std::optional<std::vector<int>> ParseVersion(const std::string& text);
// a < b for parsed versions.
bool VersionLess(const std::vector<int>& a, const std::vector<int>& b);
// The string at obj[key], or "" when absent or not a string.
std::string StringField(const Value& obj, const char* key);

}  // namespace crosslink::topology
