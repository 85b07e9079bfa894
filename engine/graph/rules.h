#pragma once
// Expansion rules (internal to engine/graph). The expansion table
// (rules_table.cc) is data: for each cell (local platform, remote platform,
// security model, environment scope) the ordered list of step templates of
// DOMAIN.md §1. A step template is a small function that emits the
// resources of one DOMAIN step for one connection (rules_common.cc,
// rules_api_key.cc, rules_certificate.cc) and records the facts later steps
// of the same cell need (the remote's proxy address, the API key's address,
// the CAs the local cluster must trust, what ES.REMOTE.PUT must wait for).
//
// Address scheme (name parts match ^[a-z0-9_-]+$):
//   per connection       <type>.<local>.<alias>
//   per cluster          <type>.<cluster>
//   per environment      <type>.<environment>
//   trust of a peer CA   <type>.<truster cluster>.<peer kind>.<peer name>
//                        (peer kind eck|self|ece|ech; name = cluster or environment)
//   trust of an account  <type>.<truster cluster>.<peer environment>
//   ECE trust relation   ece_trust_relationship.<environment>.<peer environment>
//   role                 es_role.<cluster>.<role name>
//
// Thread-safety: the table is immutable; a Context belongs to one expansion.

#include <string>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/core/value.h"
#include "engine/graph/emitter.h"
#include "engine/graph/resource.h"
#include "engine/topology/topology.h"

namespace crosslink::graph {

enum class Side { kLocal, kRemote };

// Which connections a cell applies to, by the environments of both ends.
enum class Scope {
  kAny,              // whatever the environments
  kSameEnvironment,  // both clusters in one control plane (same ECK operator, ECE install, ECH org)
  kOtherEnvironment,  // different control planes
};

// One end of a connection.
struct Peer {
  const topology::Cluster* cluster = nullptr;
  const topology::Environment* environment = nullptr;  // null for self-managed (or unknown)
  const std::string& name() const { return cluster->name; }
  topology::Platform platform() const { return cluster->platform; }
  const std::string& environment_name() const { return cluster->environment; }
};

// A CA a cluster must trust: a reference to a list-of-PEM output, and the
// names that key the trust entry for it.
struct CaSource {
  std::string kind;  // "eck", "self", "ece", "ech"
  std::string name;  // cluster or environment name
  Value pems;        // reference to a list of PEM certificates
};

struct Context {
  const topology::Topology* topology = nullptr;
  const topology::Connection* connection = nullptr;
  Peer local;
  Peer remote;
  Emitter* out = nullptr;
  Diagnostics* diags = nullptr;
  std::string label;  // needed_by entry: "analytics->logs (alias logs)"
  std::string path;   // diagnostic path: "connections[3]"

  // Facts set by earlier steps of the cell.
  Value proxy_address;                    // null until known
  Value server_name;                      // null: none
  std::string api_key;                    // address of the cross-cluster API key
  // What key creation waits for: a self-managed remote's cluster server
  // (its restart may drop the REST API the key is created through).
  std::vector<std::string> remote_ready;
  // An ECK remote's cluster server. The key does not wait for it (creating
  // a key needs only the REST API; one made during the rolling restart is
  // retried), so that two ECK clusters connected both ways do not wait for
  // each other's restart; ES.REMOTE.PUT (same operator: the check) does.
  std::vector<std::string> remote_server;
  std::vector<std::string> before_check;  // what ES.REMOTE.VERIFY waits for besides `last`
  std::vector<std::string>
      before_put;                      // what ES.REMOTE.PUT waits for (credential, trust, restarts)
  std::vector<CaSource> local_trusts;  // private CAs the local cluster must trust (API key model)
  std::string last;                    // what the connection check follows
  bool failed = false;                 // a step reported an error; stop the cell

  const Peer& at(Side s) const { return s == Side::kLocal ? local : remote; }
  const Peer& other(Side s) const { return s == Side::kLocal ? remote : local; }
  // "L:" + step or "R:" + step.
  static std::string StepId(Side s, const char* step);
  // "<local>.<alias>"
  std::string ConnectionName() const;

  // A spec of `type` acting on cluster `on`, filled from the catalogue
  // (provider, mode, restarts) and the connection (needed_by, origin).
  ResourceSpec NewSpec(const char* type, const std::string& address, const Peer& on,
                       const std::string& step) const;
  // A spec acting on a whole environment (no cluster).
  ResourceSpec NewEnvironmentSpec(const char* type, const std::string& address,
                                  const std::string& environment, const std::string& step) const;
  void Error(const std::string& summary, const std::string& hint);
};

using StepFn = void (*)(Context& ctx, Side side, const std::string& step);

struct StepTemplate {
  Side side;         // the cluster the step acts on (or reads)
  const char* step;  // DOMAIN step id without side, e.g. "ECK.RCS.ENABLE"
  StepFn fn;
};

struct Cell {
  topology::Platform local;
  topology::Platform remote;
  topology::SecurityModel model;
  Scope scope;
  std::vector<StepTemplate> steps;
};

const std::vector<Cell>& ExpansionTable();
// The cell for a connection; prefers an exact scope over kAny. Null if none.
const Cell* FindCell(topology::Platform local, topology::Platform remote,
                     topology::SecurityModel model, bool same_environment);

// Address helpers.
std::string Address(const char* type, std::initializer_list<std::string> parts);
bool IsValidNamePart(const std::string& s);
// The platform's id in addresses and provider names: topology::PlatformName.
inline const char* PlatformId(topology::Platform p) { return topology::PlatformName(p); }

// Shared data sources and facts (rules_common.cc). Each returns the address
// of a resource it made sure exists.
std::string EnsureEcDeployment(Context& ctx, Side side);
std::string EnsureEcCertificateAuthority(Context& ctx, Side side);
std::string EnsureEckTransportCa(Context& ctx, Side side);
std::string EnsureSelfTransportCa(Context& ctx, Side side);
std::string EnsureEceProxyCa(Context& ctx, Side side);
std::string EnsureEceInstallation(Context& ctx, Side side);
// The transport CA of the cluster at `side`, for a TLS-model peer.
CaSource TransportCa(Context& ctx, Side side);
Value DeploymentAttributes(const topology::Cluster& c);  // {deployment_id, ref_id?}
Value EckAttributes(const topology::Cluster& c);         // {namespace, name}
Value SelfNodes(const topology::Cluster& c);             // ["es1", ...]
std::string EckName(const topology::Cluster& c);         // metadata.name
std::string EckNamespace(const topology::Cluster& c);
// host:port where a self-managed cluster listens; "" when unknown.
std::string SelfAddress(const topology::Cluster& c, bool remote_cluster_port);
Value AccessValue(const topology::Access& access);
// The connection names the remote's address itself (proxy_address or seeds),
// so the remote need not be exposed by crosslink.
bool AddressOverridden(const Context& ctx);
inline Side Opposite(Side s) { return s == Side::kLocal ? Side::kRemote : Side::kLocal; }

// ---- step templates ----
// Common (rules_common.cc).
void EcEndpointRead(Context& ctx, Side side, const std::string& step);
void EcEndpointTransport(Context& ctx, Side side, const std::string& step);
void RemotePut(Context& ctx, Side side, const std::string& step);
void RemoteVerify(Context& ctx, Side side, const std::string& step);
void RolePut(Context& ctx, Side side, const std::string& step);
// API key model (rules_api_key.cc).
void EceProxyCa(Context& ctx, Side side, const std::string& step);
void EceProxyCaIfPrivate(Context& ctx, Side side, const std::string& step);
void EckRcsEnable(Context& ctx, Side side, const std::string& step);
void EckRcsExpose(Context& ctx, Side side, const std::string& step);
void EckCaRead(Context& ctx, Side side, const std::string& step);
void SelfRcsCert(Context& ctx, Side side, const std::string& step);
void SelfRcsEnable(Context& ctx, Side side, const std::string& step);
void ApiKeyCreate(Context& ctx, Side side, const std::string& step);
void EcKeystoreSet(Context& ctx, Side side, const std::string& step);
void EcTrustApiKeyCa(Context& ctx, Side side, const std::string& step);
void EcRestart(Context& ctx, Side side, const std::string& step);
void EckCredentialSecret(Context& ctx, Side side, const std::string& step);
void EckClientTls(Context& ctx, Side side, const std::string& step);
void SelfClientTls(Context& ctx, Side side, const std::string& step);
void SelfKeystoreCredential(Context& ctx, Side side, const std::string& step);
void SelfReload(Context& ctx, Side side, const std::string& step);
void EckSameOperatorApiKey(Context& ctx, Side side, const std::string& step);
// Certificate model (rules_certificate.cc).
void EcTrustAccountsOwn(Context& ctx, Side side, const std::string& step);
void EcTrustAccountsPeer(Context& ctx, Side side, const std::string& step);
void EcTrustDirect(Context& ctx, Side side, const std::string& step);
void EceTrustRelationship(Context& ctx, Side side, const std::string& step);
void EcTrustExternal(Context& ctx, Side side, const std::string& step);
void EckTrustCloud(Context& ctx, Side side, const std::string& step);
void EckTransportTrust(Context& ctx, Side side, const std::string& step);
void EckTransportExpose(Context& ctx, Side side, const std::string& step);
void SelfTransportTrust(Context& ctx, Side side, const std::string& step);
void SelfTrustRestrict(Context& ctx, Side side, const std::string& step);
void EckSameOperatorTls(Context& ctx, Side side, const std::string& step);

}  // namespace crosslink::graph
