#pragma once
// The "self" provider: a self-managed Elasticsearch cluster's nodes
// (docs/resources.md "Self-managed", DOMAIN.md §2.2 and ES.RELOAD), through
// the node layer (node.h: local Elasticsearch homes or bundle directories)
// and the cluster's REST API (the topology's url / ca_file / credentials).
//
// Resource types, each applied to every node it lists (`nodes`):
//   self_remote_cluster_server  remote_cluster_server.* settings, the server
//                               PKCS#12 (from secret input `keystore`) and
//                               its password in the keystore. Restarts.
//   self_client_tls             the remote CAs in one file and the client
//                               certificate_authorities setting (none when
//                               the list is empty). Restarts when the yml
//                               changes.
//   self_keystore_credential    `setting` = secret input `credentials` in
//                               every keystore. Output key_id.
//   self_reload                 POST _nodes/reload_secure_settings.
//   self_transport_ca (data)    the nodes' own transport CAs and node names.
//   self_transport_trust        own + peer transport CAs in one file, the
//                               user's own trust settings taken over
//                               (disabled, reversibly). Restarts.
//   self_trust_restrictions     the trust.subject_name file and its setting;
//                               refused when the node certificate has no
//                               otherName. Restarts.
// Each resource owns its keys of the shared managed block, its files under
// config/crosslink/ and its keystore entries; Delete undoes exactly those.
//
// Read is batched per cluster (one Node::Read per node). A resource is in
// sync when every node has its keys with their values, its files with the
// SHA-256 recorded at apply (outputs.files), its keystore entries and an
// intact block; otherwise live.outputs.drift says what differs and Plan
// plans an update with that reason.
//
// Restart groups: ApplyGroup merges every change of a cluster into ONE
// NodeChange per node and applies the nodes one after the other in topology
// order (a rolling restart): after a node's restart command succeeded it
// waits until the cluster's REST API answers again with as many nodes as
// before the first restart (_cluster/health number_of_nodes: the node
// rejoined), then goes on. A failing node stops the group; the error names
// it, the nodes already changed and the fix. Nodes crosslink cannot restart (bundle, no restart
// command) get the change written and the restart is the user's (plan reason).
//
// Secrets (keystore contents and passwords, credentials, the keystore
// password of KEYSTORE_PASSWORD) go only to the nodes: never into
// attributes, outputs, messages or logs.
//
// Thread-safety: thread-safe after Configure; changes of one cluster are
// serialised (its nodes are used by one thread at a time).

#include <chrono>
#include <functional>
#include <memory>

#include "providers/elasticsearch/endpoint.h"
#include "providers/provider.h"
#include "providers/self/command.h"
#include "providers/self/node.h"

namespace crosslink::providers::self {

// Makes a node (tests: fakes). Empty = NewNode.
using NodeFactory = std::function<Result<std::unique_ptr<Node>>(
    const topology::NodeDelivery& delivery, NodeOptions options)>;

struct SelfProviderOptions {
  NodeFactory node_factory;
  // Makes the HTTP client for a cluster's REST API. Empty = http::NewCurlClient.
  elasticsearch::ClientFactory client_factory;
  // Runs the nodes' tools; not owned. Null = NewProcessRunner(clock).
  CommandRunner* runner = nullptr;
  // How long a node's restart command may take, and then how long apply
  // waits for the cluster's REST API to answer again; how often it looks.
  std::chrono::milliseconds restart_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds poll_interval{2000};
};

std::unique_ptr<Provider> NewSelfProvider(SelfProviderOptions options = {});

}  // namespace crosslink::providers::self
