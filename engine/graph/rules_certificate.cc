// Step templates of the TLS certificate model (DOMAIN.md §1.2): trust must
// be mutual, so most templates take the side that trusts and read the CA
// (or account, or installation) of the other side. Trust entries are keyed
// by truster and trusted peer, so the two connections of a bi-directional
// pair share them.

#include "engine/graph/rules.h"

namespace crosslink::graph {

namespace {

using topology::Platform;

constexpr int kTransportPort = 9300;

// The account a peer's clusters belong to, as a value that is the same for
// every cluster of its environment (trust entries are shared per
// environment): the ECH organization id from the topology, or the ECE
// installation's account. `own`: the truster's own account, which for ECH
// may also come from the truster's deployment. Null after an error.
Value AccountId(Context& ctx, Side side, bool own) {
  const Peer& p = ctx.at(side);
  if (p.platform() == Platform::kEce) {
    return MakeRef(EnsureEceInstallation(ctx, side), "account_id");
  }
  if (p.environment != nullptr && !p.environment->organization_id.empty()) {
    return p.environment->organization_id;
  }
  if (own) return MakeRef(EnsureEcDeployment(ctx, Opposite(side)), "account_id");
  ctx.Error(
      "environment \"" + p.environment_name() + "\" needs its organization_id",
      "trusting the clusters of another Elastic Cloud organization names that organization; set "
      "`organization_id` on the environment");
  return Value();
}

Value ClusterIdList(Context& ctx, Side side) {
  return Value::array({MakeRef(EnsureEcDeployment(ctx, side), "cluster_id")});
}

void EmitTrustAccounts(Context& ctx, Side side, const std::string& step, bool own) {
  const Peer& t = ctx.at(side);
  const Side peer = Opposite(side);
  std::string address = Address("ec_trust_accounts", {t.name(), ctx.at(peer).environment_name()});
  ResourceSpec s =
      ctx.NewSpec("ec_trust_accounts", address, t, Context::StepId(side, step.c_str()));
  s.attributes = DeploymentAttributes(*t.cluster);
  Value account = AccountId(ctx, peer, own);
  if (ctx.failed) return;
  s.attributes["account_id"] = std::move(account);
  // Only the peer's cluster, also for the own organization/environment: the
  // platform's default entry (trust_all) already covers it and is left as
  // it is; an entry narrowed by the user gets just this cluster added, and
  // crosslink never widens trust beyond the clusters it connects.
  s.attributes["trust_all"] = false;
  s.attributes["trust_allowlist"] = ClusterIdList(ctx, peer);
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

bool IsCloud(Platform p) { return p == Platform::kEch || p == Platform::kEce; }

// Whether `cluster` restricts the subject names its transport trusts: it has
// a certificate-model connection with an Elastic Cloud deployment, whose CA
// signs every cluster of its region or installation (SM.TRUST.RESTRICT,
// ECK.TRUST.CLOUD). Those restrictions apply to every transport peer, both
// ways (DOMAIN.md §4), so its other certificate-model peers must be in them.
bool RestrictsTransportTrust(const topology::Topology& t, const topology::Cluster& cluster) {
  if (cluster.platform != Platform::kSelf && cluster.platform != Platform::kEck) return false;
  for (const topology::Connection& c : t.connections) {
    if (c.security != topology::SecurityModel::kCertificate) continue;
    const std::string* peer =
        c.local == cluster.name ? &c.remote : (c.remote == cluster.name ? &c.local : nullptr);
    if (peer == nullptr) continue;
    const topology::Cluster* p = t.FindCluster(*peer);
    if (p != nullptr && IsCloud(p->platform)) return true;
  }
  return false;
}

// The subject names of an ECK cluster's transport certificates (otherName
// <pod>.node.<es>.<ns>.es.local).
std::string EckNodePattern(const topology::Cluster& c) {
  return "*.node." + EckName(c) + "." + EckNamespace(c) + ".es.local";
}

// The transport trust restrictions of the ECK cluster at `side`: its own
// nodes, `restriction` (a peer's subject names) and the Cloud CAs `cas`.
void EmitEckRestrictions(Context& ctx, Side side, const std::string& step, Value cas,
                         Value restriction) {
  const Peer& e = ctx.at(side);
  const std::string es = EckName(*e.cluster);
  std::string address = Address("eck_cloud_trust", {e.name()});
  ResourceSpec s = ctx.NewSpec("eck_cloud_trust", address, e, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*e.cluster);
  s.attributes["secret"] = es + "-crosslink-cloud-ca";
  s.attributes["config_map"] = es + "-crosslink-trust";
  s.attributes["certificate_authorities"] = std::move(cas);
  s.attributes["trust_restrictions"] =
      Value::array({EckNodePattern(*e.cluster), std::move(restriction)});
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

// The trust restrictions file of the self-managed cluster at `side`: its
// own nodes and `restriction` (a peer's subject names).
void EmitSelfRestrictions(Context& ctx, Side side, const std::string& step, Value restriction) {
  const Peer& p = ctx.at(side);
  std::string own = EnsureSelfTransportCa(ctx, side);
  std::string address = Address("self_trust_restrictions", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("self_trust_restrictions", address, p, Context::StepId(side, step.c_str()));
  s.attributes = Value{{"nodes", SelfNodes(*p.cluster)},
                       {"path", "crosslink/trust-restrictions.yml"},
                       {"subject_names", Value::array({MakeRef(own, "trust_restriction"),
                                                       std::move(restriction)})}};
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

// The cluster at `side` trusts a self-managed or ECK peer's transport CA:
// when its trust is restricted (RestrictsTransportTrust), the restrictions
// must also name the peer's nodes, or the handshake is refused both ways.
void RestrictToPeerToo(Context& ctx, Side side) {
  const Peer& t = ctx.at(side);
  const Side peer_side = Opposite(side);
  const Peer& peer = ctx.at(peer_side);
  if (IsCloud(peer.platform()) || !RestrictsTransportTrust(*ctx.topology, *t.cluster)) return;
  Value restriction = peer.platform() == Platform::kSelf
                          ? MakeRef(EnsureSelfTransportCa(ctx, peer_side), "trust_restriction")
                          : Value(EckNodePattern(*peer.cluster));
  if (t.platform() == Platform::kSelf) {
    EmitSelfRestrictions(ctx, side, "SM.TRUST.RESTRICT", std::move(restriction));
  } else {
    EmitEckRestrictions(ctx, side, "ECK.TRUST.CLOUD", Value::array(), std::move(restriction));
  }
}

}  // namespace

void EcTrustAccountsOwn(Context& ctx, Side side, const std::string& step) {
  EmitTrustAccounts(ctx, side, step, /*own=*/true);
}

void EcTrustAccountsPeer(Context& ctx, Side side, const std::string& step) {
  EmitTrustAccounts(ctx, side, step, /*own=*/false);
}

// A trust.direct entry on the Cloud deployment at `side` for the peer's CA.
void EcTrustDirect(Context& ctx, Side side, const std::string& step) {
  const Peer& t = ctx.at(side);
  const Side peer_side = Opposite(side);
  const Peer& peer = ctx.at(peer_side);
  Value attrs = DeploymentAttributes(*t.cluster);
  std::string kind;
  std::string name;
  switch (peer.platform()) {
    case Platform::kEck: {
      kind = "eck";
      name = peer.name();
      attrs["type"] = "generic";
      attrs["scope_id"] = EckNamespace(*peer.cluster) + ".es.local";
      attrs["trust_all"] = true;
      attrs["certificates"] =
          Value::array({MakeRef(EnsureEckTransportCa(ctx, peer_side), "ca_pems")});
      break;
    }
    case Platform::kSelf: {
      kind = "self";
      name = peer.name();
      std::string ca = EnsureSelfTransportCa(ctx, peer_side);
      attrs["type"] = "generic";
      attrs["trust_all"] = false;
      attrs["additional_node_names"] = MakeRef(ca, "node_names");
      attrs["certificates"] = Value::array({MakeRef(ca, "ca_pems")});
      break;
    }
    case Platform::kEce: {
      kind = "ece";
      name = peer.environment_name();
      std::string installation = EnsureEceInstallation(ctx, peer_side);
      attrs["type"] = "ECE";
      attrs["scope_id"] = MakeRef(installation, "environment_id");
      attrs["trust_all"] = false;
      attrs["trust_allowlist"] = ClusterIdList(ctx, peer_side);
      attrs["certificates"] = Value::array({MakeRef(installation, "ca_pems")});
      break;
    }
    case Platform::kEch: {
      kind = "ech";
      name = peer.environment_name();
      attrs["type"] = "ESS";
      attrs["scope_id"] = AccountId(ctx, peer_side, /*own=*/false);
      if (ctx.failed) return;
      attrs["trust_all"] = false;
      attrs["trust_allowlist"] = ClusterIdList(ctx, peer_side);
      attrs["certificates"] =
          Value::array({MakeRef(EnsureEcCertificateAuthority(ctx, peer_side), "ca_pems")});
      break;
    }
  }
  attrs["name"] = "crosslink-" + kind + "-" + name;
  std::string address = Address("ec_trust_direct", {t.name(), kind, name});
  ResourceSpec s = ctx.NewSpec("ec_trust_direct", address, t, Context::StepId(side, step.c_str()));
  s.attributes = std::move(attrs);
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

// On the installation of the cluster at `side`: trust the other installation.
void EceTrustRelationship(Context& ctx, Side side, const std::string& step) {
  const std::string& env = ctx.at(side).environment_name();
  const Side peer_side = Opposite(side);
  const std::string& peer_env = ctx.at(peer_side).environment_name();
  std::string installation = EnsureEceInstallation(ctx, peer_side);
  std::string address = Address("ece_trust_relationship", {env, peer_env});
  ResourceSpec s = ctx.NewEnvironmentSpec("ece_trust_relationship", address, env,
                                          Context::StepId(side, step.c_str()));
  s.attributes = Value{{"name", "crosslink-" + peer_env},
                       {"installation_id", MakeRef(installation, "installation_id")},
                       {"certificates", Value::array({MakeRef(installation, "ca_pems")})},
                       {"account_ids", Value::array({MakeRef(installation, "account_id")})},
                       {"trust_by_default", false}};
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

void EcTrustExternal(Context& ctx, Side side, const std::string& step) {
  const Peer& t = ctx.at(side);
  const Side peer_side = Opposite(side);
  const std::string& peer_env = ctx.at(peer_side).environment_name();
  std::string relationship = Address("ece_trust_relationship", {t.environment_name(), peer_env});
  std::string address = Address("ec_trust_external", {t.name(), peer_env});
  ResourceSpec s =
      ctx.NewSpec("ec_trust_external", address, t, Context::StepId(side, step.c_str()));
  s.attributes = DeploymentAttributes(*t.cluster);
  s.attributes["trust_relationship_id"] = MakeRef(relationship, "id");
  s.attributes["trust_all"] = false;
  s.attributes["trust_allowlist"] = ClusterIdList(ctx, peer_side);
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

// ECK trusts an Elastic Cloud deployment: its CA plus a trust restriction
// that must also match the ECK cluster's own nodes.
void EckTrustCloud(Context& ctx, Side side, const std::string& step) {
  std::string ca = EnsureEcCertificateAuthority(ctx, Opposite(side));
  EmitEckRestrictions(ctx, side, step, Value::array({MakeRef(ca, "ca_pems")}),
                      MakeRef(ca, "trust_restriction"));
}

void EckTransportTrust(Context& ctx, Side side, const std::string& step) {
  const Peer& e = ctx.at(side);
  CaSource ca = TransportCa(ctx, Opposite(side));
  std::string address = Address("eck_transport_trust", {e.name()});
  ResourceSpec s =
      ctx.NewSpec("eck_transport_trust", address, e, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*e.cluster);
  s.attributes["config_map"] = EckName(*e.cluster) + "-crosslink-transport-ca";
  s.attributes["certificate_authorities"] = Value::array({ca.pems});
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
  RestrictToPeerToo(ctx, side);
}

void EckTransportExpose(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const std::string es = EckName(*p.cluster);
  ctx.server_name = es + "-es-transport." + EckNamespace(*p.cluster) + ".svc";
  if (AddressOverridden(ctx)) return;
  std::string address = Address("eck_transport_service", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("eck_transport_service", address, p, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*p.cluster);
  s.attributes["service"] = es + "-es-transport";
  s.attributes["type"] = "LoadBalancer";
  s.attributes["port"] = kTransportPort;
  ctx.proxy_address = MakeRef(ctx.out->Emit(std::move(s)), "proxy_address");
}

void SelfTransportTrust(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  CaSource ca = TransportCa(ctx, Opposite(side));
  std::string address = Address("self_transport_trust", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("self_transport_trust", address, p, Context::StepId(side, step.c_str()));
  s.attributes =
      Value{{"nodes", SelfNodes(*p.cluster)}, {"certificate_authorities", Value::array({ca.pems})}};
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
  RestrictToPeerToo(ctx, side);
}

void SelfTrustRestrict(Context& ctx, Side side, const std::string& step) {
  std::string cloud = EnsureEcCertificateAuthority(ctx, Opposite(side));
  EmitSelfRestrictions(ctx, side, step, MakeRef(cloud, "trust_restriction"));
}

// Same operator, no API key: the operator copies the CAs both ways and
// sets sniff seeds on the transport service.
void EckSameOperatorTls(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const topology::Connection& c = *ctx.connection;
  std::string address = Address("eck_same_operator_remote", {c.local, c.alias});
  ResourceSpec s =
      ctx.NewSpec("eck_same_operator_remote", address, p, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*p.cluster);
  s.attributes["alias"] = c.alias;
  s.attributes["remote"] = EckAttributes(*ctx.remote.cluster);
  s.restarts_cluster = false;
  ctx.last = ctx.out->Emit(std::move(s));
  // The operator copies the CAs; restricted trust must name the peer too,
  // before the connection is checked (this cell has no ES.REMOTE.PUT).
  const size_t before = ctx.before_put.size();
  RestrictToPeerToo(ctx, Side::kLocal);
  RestrictToPeerToo(ctx, Side::kRemote);
  ctx.before_check.insert(ctx.before_check.end(), ctx.before_put.begin() + before,
                          ctx.before_put.end());
}

}  // namespace crosslink::graph
