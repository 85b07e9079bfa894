#pragma once
// Node: how crosslink changes ONE self-managed Elasticsearch node's
// configuration (DOMAIN.md §2.2), whichever way it reaches the node. The
// self provider computes, per node, the complete managed settings, files and
// keystore entries it wants, and calls Apply; Read tells it what is there.
//
// Two deliveries (topology::NodeDelivery::Kind):
//
// local — an Elasticsearch home on this machine:
//   <home>/config/elasticsearch.yml   crosslink's managed block (yml_block.h),
//                                     written atomically, keeping the mode
//                                     (and, as root, the owner)
//   <home>/config/crosslink/<name>    crosslink's files: 0600 when sensitive
//                                     (PKCS#12, keys), 0644 otherwise (CAs);
//                                     yml settings name them "crosslink/<name>"
//   <home>/bin/elasticsearch-keystore `add -x -f <setting>` with the value on
//                                     stdin, `remove <setting>`, `list`; run
//                                     without a shell, KEYSTORE_PASSWORD in
//                                     its environment when configured
//   restart                           the node's restart command line, run
//                                     with /bin/sh -c when the change asks
//                                     for a restart
//
// bundle — a directory per node (its bundle_dir) for the user's own config
// management; crosslink never touches the node itself:
//   elasticsearch.crosslink.yml       the managed block, to paste into (or
//                                     replace the block of) elasticsearch.yml;
//                                     absent when no setting is managed
//   config/crosslink/<name>           the files, to copy under <home>/config/
//   keystore/<setting>                one value per file, 0600
//   keystore-remove.txt               settings to remove, one a line
//   keystore.sh                       0700 script: `keystore.sh <ES home>`
//                                     adds every keystore/<setting> (value
//                                     from the file, on stdin) and removes
//                                     the listed ones; it holds no secret
//   disable-settings.txt              the user's own settings to remove or
//                                     comment (NodeChange::take_over), one
//                                     flat key a line; absent when none
//   README.txt                        what to copy and run, and the restart
// The restart is the user's: Apply reports restart "required (bundle: yours)".
//
// Apply is all-or-nothing for files: every check that can fail runs first
// (yml parses, no conflict, keystore tool present and executable), new files
// are written beside their targets under temporary names and renamed at the
// end; a failure after a rename (a later rename, a keystore command, the
// restart command) restores every file crosslink replaced to its previous
// bytes, removes the ones it created, and removes keystore settings this
// Apply added that were absent before (a previous value of a replaced
// setting cannot be restored: keystore values cannot be read). After a
// failed restart the restored configuration is restarted once more so the
// node comes back as it was; the error says whether that worked.
//
// Errors name the node, the file or command, and the fix. Secret values
// (keystore values, sensitive file contents, the keystore password) go only
// to stdin or 0600 files: never into argv, script text, messages or logs.
//
// Thread-safety: a Node is used by one thread at a time (one Apply per node).

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/filesystem.h"
#include "engine/core/secret.h"
#include "engine/core/status.h"
#include "engine/topology/topology.h"
#include "providers/self/command.h"
#include "providers/self/yml_block.h"

namespace crosslink::providers::self {

// The folder of crosslink's files, relative to the node's config directory.
inline constexpr const char* kFilesDir = "crosslink";
// The file of kFilesDir holding the transport CAs crosslink's transport
// trust makes the node trust (self_transport_trust); never read back as the
// user's own trust (transport.h).
inline constexpr const char* kTransportCaFile = "transport-ca.crt";

// A file crosslink owns under config/crosslink/. The PKI provider's
// keystore_p12 output is base64: decode it (http::Base64Decode) first.
struct NodeFile {
  static NodeFile Public(std::string name, std::string content);
  static NodeFile Sensitive(std::string name, Secret content);
  std::string name;     // a plain file name: [A-Za-z0-9._-]+, not "." or ".."
  std::string content;  // public files
  Secret secret;        // sensitive files
  bool sensitive = false;
  const std::string& bytes() const { return sensitive ? secret.expose() : content; }
  uint32_t mode() const { return sensitive ? 0600 : 0644; }
};

// What crosslink wants on one node after Apply. Each part is optional so
// that resources can change their own part only.
struct NodeChange {
  // The complete managed block (replaces it); empty removes the block;
  // nullopt leaves the yml alone.
  std::optional<ManagedSettings> settings;
  // Or, when `settings` is nullopt: a merge into the block as it is on the
  // node, for resources that own some keys of a shared block (the block
  // goes when no key is left). Not together with `settings`.
  ManagedSettings set_settings;
  std::vector<std::string> unset_settings;     // absent is fine
  std::vector<NodeFile> write_files;           // created or replaced
  std::vector<std::string> remove_files;       // names; absent is fine
  std::map<std::string, Secret> keystore_add;  // setting -> value (replaces)
  std::vector<std::string> keystore_remove;    // absent is fine
  bool restart = false;                        // static settings changed
  // The complete list of outside (user) settings of elasticsearch.yml to
  // disable (YmlFile::WithSettings take_over); the ones disabled before and
  // not listed are re-enabled. nullopt keeps what is disabled now.
  std::optional<std::vector<std::string>> take_over;
};

enum class RestartOutcome {
  kNotNeeded,     // the change asked for none
  kDone,          // the restart command ran and succeeded
  kUserRequired,  // bundle, or local without a restart command
};

struct NodeApplyResult {
  RestartOutcome restart = RestartOutcome::kNotNeeded;
  // For the plan/apply UI, e.g. "restart required (bundle: yours)" or
  // "restart required: no restart command is configured for node es1".
  std::string note;
};

// What is on the node now.
struct NodeReadback {
  bool config_exists = false;         // local: elasticsearch.yml; bundle: the dir
  std::optional<ManagedBlock> block;  // the managed block, if any
  // DescribeHandEdit ("" = intact); DescribeDrift(file, *block, planned)
  // names the keys that differ from what the provider plans.
  std::string drift;
  std::map<std::string, std::string> files;  // name under config/crosslink/ -> sha256 hex
  // local: `elasticsearch-keystore list`; bundle: the settings the bundle adds.
  std::vector<std::string> keystore_names;
  // Outside settings crosslink disabled (local), or the ones the bundle
  // asks the user to remove (bundle), sorted.
  std::vector<std::string> taken_over;
};

// A node's own transport TLS, as the user configured it (crosslink's own
// transport-ca.crt excluded), for the certificate security model.
struct TransportTls {
  // CA certificates the node's transport trusted per the user's own settings
  // (enabled or disabled by crosslink): certificate_authorities PEM files or
  // the truststore PKCS#12's certificates, else the keystore's CA chain.
  // Normalised PEM, deduplicated, in order found.
  std::vector<std::string> ca_pems;
  // The node certificate's otherName SANs (what trust restrictions match);
  // empty when it has none.
  std::vector<std::string> node_names;
  std::string common_name;  // the node certificate's subject CN
  // Outside flat keys that configure transport trust (to take over): those
  // present of xpack.security.transport.ssl.{certificate_authorities,
  // truststore.path, truststore.type, truststore.password,
  // truststore.algorithm}.
  std::vector<std::string> trust_keys;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual const std::string& name() const = 0;
  // "node es1 (local /usr/share/elasticsearch)" / "node es2 (bundle /srv/b/es2)"
  virtual std::string Describe() const = 0;
  virtual Result<NodeReadback> Read() = 0;
  virtual Result<NodeApplyResult> Apply(const NodeChange& change) = 0;
  // The node's own transport trust and certificate (local); a bundle node
  // gives kFailedPrecondition (crosslink cannot read its files).
  virtual Result<TransportTls> ReadTransportTls() = 0;
};

struct NodeOptions {
  FileSystem* fs = nullptr;         // not owned
  CommandRunner* runner = nullptr;  // not owned
  // Given to elasticsearch-keystore as KEYSTORE_PASSWORD when set; else the
  // tool sees crosslink's own environment (which may hold one).
  std::optional<Secret> keystore_password;
  std::chrono::milliseconds keystore_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds restart_timeout{std::chrono::minutes(10)};
  // As root, give a rewritten elasticsearch.yml its previous owner back.
  bool preserve_owner = true;
};

// `delivery.home` / `delivery.bundle_dir` must be resolved paths already
// (engine/topology/secret_ref.h ResolveTopologyPath). kInvalidArgument when
// the delivery lacks them.
Result<std::unique_ptr<Node>> NewNode(const topology::NodeDelivery& delivery, NodeOptions options);

// Checks a NodeFile name / keystore setting name (kInvalidArgument naming it).
Status ValidateFileName(const std::string& name);
Status ValidateKeystoreSetting(const std::string& setting);

}  // namespace crosslink::providers::self
