#pragma once
// What each self_* resource type wants on one node (self_provider.h): its
// keys of the managed block, its files under config/crosslink/, its
// keystore entries and, for transport trust, the user settings it takes
// over. Pure functions of the resource's attributes and secret inputs: the
// provider merges the parts of a cluster's changes into one NodeChange per
// node and compares them with what Node::Read reports.
//
// Thread-safety: pure functions.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/core/value.h"
#include "providers/self/node.h"

namespace crosslink::providers::self {

inline constexpr const char* kRcsServerType = "self_remote_cluster_server";
inline constexpr const char* kClientTlsType = "self_client_tls";
inline constexpr const char* kCredentialType = "self_keystore_credential";
inline constexpr const char* kReloadType = "self_reload";
inline constexpr const char* kTransportCaType = "self_transport_ca";
inline constexpr const char* kTransportTrustType = "self_transport_trust";
inline constexpr const char* kTrustRestrictionsType = "self_trust_restrictions";

// Types whose change is written to the nodes (not reload, not the data source).
bool IsNodeType(const std::string& type);
// Types whose change needs the nodes restarted (static settings).
bool IsRestartingType(const std::string& type);

// One resource's part of one node.
struct NodePart {
  ManagedSettings settings;                 // its keys with their values
  std::vector<std::string> unset;           // its keys it does not set now
  std::vector<NodeFile> files;              // with contents (DesiredPart only)
  std::vector<std::string> file_names;      // the files it has on the node
  std::vector<std::string> remove_files;    // files it had and no longer wants
  std::map<std::string, Secret> keystore;   // with values (DesiredPart only)
  std::vector<std::string> keystore_names;  // the entries it has on the node
  std::vector<std::string> keystore_remove;
  std::optional<std::vector<std::string>> take_over;
};

// What the resource has on a node per its (resolved) attributes, without
// contents: settings, file names, keystore names. kInvalidArgument when an
// attribute is malformed (a path outside crosslink/, a bad setting name).
Result<NodePart> ExpectedPart(const std::string& type, const Value& attributes);

// The part to write: ExpectedPart with contents (secret inputs decoded),
// `prior` (the attributes as last applied, may be null) giving the files
// and entries to remove when their names changed. `tls` is the node's own
// transport TLS (self_transport_trust; may be null otherwise).
Result<NodePart> DesiredPart(const std::string& type, const Value& attributes,
                             const std::map<std::string, Secret>& secrets, const Value* prior,
                             const TransportTls* tls);

// What removes the resource from a node: every key unset, every file and
// entry removed, the taken-over settings re-enabled.
Result<NodePart> RemovalPart(const std::string& type, const Value& prior);

// Adds `part` to `change` (keys, files, entries; take_over replaces).
void MergeInto(const NodePart& part, NodeChange* change);

// True when applying `change` would change what `node` reports (a key set
// differently or missing, a key to unset present, a file missing or with
// other bytes, an entry missing or to remove present, other taken-over keys).
// Keystore values cannot be read: an existing entry counts as unchanged.
bool ChangesNode(const NodeChange& change, const NodeReadback& node);

// v[key]; null when `v` is no object or lacks `key` (a const Value's
// operator[] must not be used on a missing key).
const Value& Member(const Value& v, const std::string& key);

// The node names of `attributes.nodes`.
std::vector<std::string> NodesOf(const Value& attributes);

// trust.subject_name file content for xpack.security.transport.ssl.trust_restrictions.path.
std::string TrustRestrictionsFile(const std::vector<std::string>& subject_names);

// PEMs joined, one after the other.
std::string JoinPems(const std::vector<std::string>& pems);

}  // namespace crosslink::providers::self
