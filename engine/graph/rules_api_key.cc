// Step templates of the API key model (DOMAIN.md §1.1): remote cluster
// server on the remote, a cross-cluster API key, the key stored as the
// local's cluster.remote.<alias>.credentials, the remote's CA trusted by the
// local.

#include <algorithm>
#include <tuple>

#include "engine/graph/rules.h"

namespace crosslink::graph {

namespace {

using topology::Platform;

constexpr int kRemoteClusterPort = 9443;

std::string CredentialSetting(const Context& ctx) {
  return "cluster.remote." + ctx.connection->alias + ".credentials";
}

// The secret input every local credential resource takes, and the
// non-sensitive key id it also references so that a re-created key updates it.
void AddCredentialInput(const Context& ctx, ResourceSpec* s) {
  s->secret_inputs["credentials"] = Reference{ctx.api_key, "encoded"};
  s->attributes["setting"] = CredentialSetting(ctx);
  s->attributes["key_id"] = MakeRef(ctx.api_key, "id");
}

Value TrustedPems(const Context& ctx) {
  Value list = Value::array();
  for (const CaSource& ca : ctx.local_trusts) list.push_back(ca.pems);
  return list;
}

// "8.15.0" -> (8, 15, 0); false when not a version.
bool ParseVersion(const std::string& v, std::tuple<int, int, int>* out) {
  int parts[3] = {0, 0, 0};
  size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    size_t start = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') parts[k] = parts[k] * 10 + (v[i++] - '0');
    if (i == start) return false;
    if (i == v.size()) break;
    if (v[i] != '.') break;
    ++i;
  }
  *out = {parts[0], parts[1], parts[2]};
  return true;
}

int PortOf(const std::string& host_port, int fallback) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || host_port.find(']', colon) != std::string::npos) {
    return fallback;
  }
  int port = 0;
  for (size_t i = colon + 1; i < host_port.size(); ++i) {
    if (host_port[i] < '0' || host_port[i] > '9') return fallback;
    port = port * 10 + (host_port[i] - '0');
  }
  return port == 0 ? fallback : port;
}

}  // namespace

// ------------------------------------------------------------ remote side

// The ECE proxy root CA. `private_ca_pems` is empty when the proxy
// certificate is publicly trusted: the decision needs the live chain.
void EceProxyCaIfPrivate(Context& ctx, Side side, const std::string& step) {
  (void)step;
  std::string ca = EnsureEceProxyCa(ctx, side);
  ctx.local_trusts.push_back(
      {"ece", ctx.at(side).environment_name(), MakeRef(ca, "private_ca_pems")});
}

// Another ECE environment's proxy: always trusted (DOMAIN: other env).
void EceProxyCa(Context& ctx, Side side, const std::string& step) {
  (void)step;
  std::string ca = EnsureEceProxyCa(ctx, side);
  ctx.local_trusts.push_back({"ece", ctx.at(side).environment_name(), MakeRef(ca, "ca_pems")});
}

void EckRcsEnable(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  std::string address = Address("eck_remote_cluster_server", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("eck_remote_cluster_server", address, p, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*p.cluster);
  s.attributes["enabled"] = true;
  ctx.remote_server.push_back(ctx.out->Emit(std::move(s)));
}

// Exposure is only needed when the connection does not name its own
// address (proxy_address / seeds overrides reach the server another way).
void EckRcsExpose(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const std::string es = EckName(*p.cluster);
  ctx.server_name = es + "-es-remote-cluster." + EckNamespace(*p.cluster) + ".svc";
  if (AddressOverridden(ctx)) return;
  std::string address = Address("eck_remote_cluster_service", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("eck_remote_cluster_service", address, p, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*p.cluster);
  s.attributes["service"] = es + "-es-remote-cluster";
  s.attributes["type"] = "LoadBalancer";
  s.attributes["port"] = kRemoteClusterPort;
  s.depends_on = {Address("eck_remote_cluster_server", {p.name()})};
  ctx.proxy_address = MakeRef(ctx.out->Emit(std::move(s)), "proxy_address");
}

void EckCaRead(Context& ctx, Side side, const std::string& step) {
  (void)step;
  std::string ca = EnsureEckTransportCa(ctx, side);
  ctx.local_trusts.push_back({"eck", ctx.at(side).name(), MakeRef(ca, "ca_pems")});
}

void SelfRcsCert(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const topology::Cluster& c = *p.cluster;
  std::string address = Address("self_rcs_certificate", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("self_rcs_certificate", address, p, Context::StepId(side, step.c_str()));
  // Every node host, plus the host the local side dials (hostname
  // verification is on by default for the remote cluster client).
  Value names = Value::array();
  auto add = [&](std::string host) {
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (!host.empty() && std::find(names.begin(), names.end(), Value(host)) == names.end()) {
      names.push_back(host);
    }
  };
  for (const topology::NodeDelivery& n : c.nodes) {
    for (const std::string& h : n.hosts) add(h);
  }
  std::string dialled = SelfAddress(c, /*remote_cluster_port=*/true);
  add(dialled.substr(0, dialled.rfind(':')));
  s.attributes =
      Value{{"common_name", p.name() + "-remote-cluster-server"}, {"subject_alt_names", names}};
  // Only what the topology sets: a topology without remote_cluster_certificate
  // keeps the attributes (and so the states and plans) it always had.
  if (const auto& rc = c.remote_cluster_certificate) {
    if (rc->key_type) s.attributes["key_type"] = *rc->key_type;
    if (rc->validity_days) s.attributes["validity_days"] = *rc->validity_days;
    if (rc->ca_validity_days) s.attributes["ca_validity_days"] = *rc->ca_validity_days;
    if (rc->renew_before_days) s.attributes["renew_before_days"] = *rc->renew_before_days;
  }
  std::string cert = ctx.out->Emit(std::move(s));
  ctx.local_trusts.push_back({"self", p.name(), MakeRef(cert, "ca_pems")});
}

void SelfRcsEnable(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const std::string cert = Address("self_rcs_certificate", {p.name()});
  std::string listen = SelfAddress(*p.cluster, /*remote_cluster_port=*/true);
  std::string address = Address("self_remote_cluster_server", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("self_remote_cluster_server", address, p, Context::StepId(side, step.c_str()));
  s.attributes = Value{{"nodes", SelfNodes(*p.cluster)},
                       {"host", "0.0.0.0"},
                       {"port", PortOf(listen, kRemoteClusterPort)},
                       {"keystore_path", "crosslink/remote-cluster-server.p12"},
                       {"certificate_fingerprint", MakeRef(cert, "fingerprint")}};
  s.secret_inputs["keystore"] = Reference{cert, "keystore_p12"};
  s.secret_inputs["keystore_password"] = Reference{cert, "keystore_password"};
  ctx.remote_ready.push_back(ctx.out->Emit(std::move(s)));
  if (!listen.empty()) ctx.proxy_address = listen;
}

// Created with the remote's user credentials (never an API key). A
// self-managed remote's server is enabled first, so that its restart is
// behind us; an ECK remote's is not waited for (see Context::remote_server).
void ApiKeyCreate(Context& ctx, Side side, const std::string& step) {
  const topology::Connection& c = *ctx.connection;
  std::string address = Address("es_cross_cluster_api_key", {c.local, c.alias});
  ResourceSpec s = ctx.NewSpec("es_cross_cluster_api_key", address, ctx.at(side),
                               Context::StepId(side, step.c_str()));
  s.attributes =
      Value{{"name", "crosslink-" + c.local + "-" + c.alias},
            {"access", AccessValue(c.access)},
            {"metadata", {{"managed-by", "crosslink"}, {"local", c.local}, {"alias", c.alias}}}};
  s.depends_on = ctx.remote_ready;
  ctx.api_key = ctx.out->Emit(std::move(s));
}

// ------------------------------------------------------------ local side

void EcKeystoreSet(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  std::string address =
      Address("ec_keystore_credential", {ctx.connection->local, ctx.connection->alias});
  ResourceSpec s =
      ctx.NewSpec("ec_keystore_credential", address, p, Context::StepId(side, step.c_str()));
  s.attributes = DeploymentAttributes(*p.cluster);
  AddCredentialInput(ctx, &s);
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

// One trusted environment (direct, type proxy) per private CA source.
void EcTrustApiKeyCa(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  for (const CaSource& ca : ctx.local_trusts) {
    std::string address = Address("ec_trust_api_key_ca", {p.name(), ca.kind, ca.name});
    ResourceSpec s =
        ctx.NewSpec("ec_trust_api_key_ca", address, p, Context::StepId(side, step.c_str()));
    s.attributes = DeploymentAttributes(*p.cluster);
    s.attributes["type"] = "proxy";
    // "rcs": not the name of the transport trust entry of the same peer
    // (ec_trust_direct), which a certificate-model connection may add.
    s.attributes["name"] = "crosslink-rcs-" + ca.kind + "-" + ca.name;
    s.attributes["trust_all"] = false;
    s.attributes["certificates"] = Value::array({ca.pems});
    ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
  }
}

// Keystore changes need a restart below 8.14 (auto reload from 8.14). A
// known version decides now; an unknown one is compared at apply time with
// the deployment's live version.
void EcRestart(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  Value version;
  std::tuple<int, int, int> v;
  if (ParseVersion(p.cluster->version, &v)) {
    if (v >= std::make_tuple(8, 14, 0)) return;
    version = p.cluster->version;
  } else {
    version = MakeRef(EnsureEcDeployment(ctx, side), "version");
  }
  const std::string credential =
      Address("ec_keystore_credential", {ctx.connection->local, ctx.connection->alias});
  std::string address = Address("ec_restart", {p.name()});
  ResourceSpec s = ctx.NewSpec("ec_restart", address, p, Context::StepId(side, step.c_str()));
  s.attributes = DeploymentAttributes(*p.cluster);
  s.attributes["below_version"] = "8.14.0";
  s.attributes["version"] = std::move(version);
  s.attributes["credential_key_ids"] = Value::array({MakeRef(credential, "key_id")});
  s.depends_on = ctx.before_put;
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

void EckCredentialSecret(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const topology::Connection& c = *ctx.connection;
  std::string address = Address("eck_remote_credential", {c.local, c.alias});
  ResourceSpec s =
      ctx.NewSpec("eck_remote_credential", address, p, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*p.cluster);
  s.attributes["secret_name"] = EckName(*p.cluster) + "-crosslink-remote-" + c.alias;
  AddCredentialInput(ctx, &s);
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

// One client TLS configuration per local cluster, listing every private
// remote CA (empty when every remote presents a publicly trusted cert).
void EckClientTls(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  std::string address = Address("eck_remote_client_tls", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("eck_remote_client_tls", address, p, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*p.cluster);
  s.attributes["config_map"] = EckName(*p.cluster) + "-crosslink-remote-ca";
  s.attributes["certificate_authorities"] = TrustedPems(ctx);
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

void SelfClientTls(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  std::string address = Address("self_client_tls", {p.name()});
  ResourceSpec s = ctx.NewSpec("self_client_tls", address, p, Context::StepId(side, step.c_str()));
  s.attributes = Value{{"nodes", SelfNodes(*p.cluster)},
                       {"ca_file", "crosslink/remote-cluster-ca.crt"},
                       {"certificate_authorities", TrustedPems(ctx)}};
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

// Written after the client TLS restart (DOMAIN order), then reloaded.
void SelfKeystoreCredential(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const topology::Connection& c = *ctx.connection;
  std::string address = Address("self_keystore_credential", {c.local, c.alias});
  ResourceSpec s =
      ctx.NewSpec("self_keystore_credential", address, p, Context::StepId(side, step.c_str()));
  s.attributes = Value{{"nodes", SelfNodes(*p.cluster)}};
  AddCredentialInput(ctx, &s);
  s.depends_on = {Address("self_client_tls", {p.name()})};
  ctx.out->Emit(std::move(s));
}

void SelfReload(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const std::string credential =
      Address("self_keystore_credential", {ctx.connection->local, ctx.connection->alias});
  std::string address = Address("self_reload", {p.name()});
  ResourceSpec s = ctx.NewSpec("self_reload", address, p, Context::StepId(side, step.c_str()));
  s.attributes = Value{{"credential_key_ids", Value::array({MakeRef(credential, "key_id")})}};
  ctx.before_put.push_back(ctx.out->Emit(std::move(s)));
}

// Same operator: one spec.remoteClusters[] entry; the operator creates the
// key, the keystore entry, the CA copies and the (sniff) settings itself.
void EckSameOperatorApiKey(Context& ctx, Side side, const std::string& step) {
  const Peer& p = ctx.at(side);
  const topology::Connection& c = *ctx.connection;
  std::string address = Address("eck_same_operator_remote", {c.local, c.alias});
  ResourceSpec s =
      ctx.NewSpec("eck_same_operator_remote", address, p, Context::StepId(side, step.c_str()));
  s.attributes = EckAttributes(*p.cluster);
  s.attributes["alias"] = c.alias;
  s.attributes["remote"] = EckAttributes(*ctx.remote.cluster);
  s.attributes["api_key"] = Value{{"access", AccessValue(c.access)}};
  // Not after the remote's server: two clusters of one operator connected
  // both ways would wait for each other's restart. The check waits for it.
  ctx.before_check.insert(ctx.before_check.end(), ctx.remote_server.begin(),
                          ctx.remote_server.end());
  ctx.last = ctx.out->Emit(std::move(s));
}

}  // namespace crosslink::graph
