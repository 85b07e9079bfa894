// Shared pieces of the expansion rules: the Context, addresses, data
// sources several cells read, and the steps every cell ends with
// (ES.REMOTE.PUT, ES.REMOTE.VERIFY, ES.ROLE.PUT).

#include <cassert>

#include "engine/graph/catalogue.h"
#include "engine/graph/rules.h"

namespace crosslink::graph {

using topology::ConnectionMode;
using topology::Platform;
using topology::SecurityModel;

// ---------------------------------------------------------------- Context

std::string Context::StepId(Side s, const char* step) {
  return std::string(s == Side::kLocal ? "L:" : "R:") + step;
}

std::string Context::ConnectionName() const { return connection->local + "." + connection->alias; }

ResourceSpec Context::NewSpec(const char* type, const std::string& address, const Peer& on,
                              const std::string& step) const {
  ResourceSpec s = NewEnvironmentSpec(type, address, on.environment_name(), step);
  s.cluster = on.name();
  if (s.provider.empty()) s.provider = topology::PlatformName(on.platform());
  return s;
}

ResourceSpec Context::NewEnvironmentSpec(const char* type, const std::string& address,
                                         const std::string& environment,
                                         const std::string& step) const {
  const ResourceTypeInfo* info = FindResourceType(type);
  assert(info != nullptr && "resource type missing from the catalogue");
  ResourceSpec s;
  s.address = address;
  s.type = type;
  s.provider = info->provider;
  s.mode = info->mode;
  s.restarts_cluster = info->restarts_cluster;
  s.environment = environment;
  s.step = step;
  s.needed_by = {label};
  s.origin = connection->location;
  return s;
}

void Context::Error(const std::string& summary, const std::string& hint) {
  diags->Error(connection->location, path, summary, hint);
  failed = true;
}

// ---------------------------------------------------------------- names

std::string Address(const char* type, std::initializer_list<std::string> parts) {
  std::string out = type;
  for (const std::string& p : parts) out += "." + p;
  return out;
}

bool IsValidNamePart(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string EckName(const topology::Cluster& c) { return c.es_name.empty() ? c.name : c.es_name; }
std::string EckNamespace(const topology::Cluster& c) {
  return c.namespace_.empty() ? "default" : c.namespace_;
}

Value EckAttributes(const topology::Cluster& c) {
  return Value{{"namespace", EckNamespace(c)}, {"name", EckName(c)}};
}

Value DeploymentAttributes(const topology::Cluster& c) {
  Value v{{"deployment_id", c.deployment_id}};
  if (!c.ref_id.empty()) v["ref_id"] = c.ref_id;
  return v;
}

Value SelfNodes(const topology::Cluster& c) {
  Value nodes = Value::array();
  for (const topology::NodeDelivery& n : c.nodes) nodes.push_back(n.name);
  return nodes;
}

namespace {

// "https://es1.example.com:9200/x" -> "es1.example.com"; "[::1]" kept bracketed.
std::string UrlHost(const std::string& url) {
  std::string rest = url;
  size_t scheme = rest.find("://");
  if (scheme != std::string::npos) rest = rest.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.find(':'));
}

}  // namespace

std::string SelfAddress(const topology::Cluster& c, bool remote_cluster_port) {
  const std::string& configured =
      remote_cluster_port ? c.remote_cluster_address : c.transport_address;
  if (!configured.empty()) return configured;
  std::string host = UrlHost(c.url);
  if (host.empty()) return "";
  return host + (remote_cluster_port ? ":9443" : ":9300");
}

Value AccessValue(const topology::Access& access) {
  Value out = Value::object();
  if (!access.search.empty()) {
    Value list = Value::array();
    for (const topology::IndexAccess& a : access.search) {
      Value e{{"names", a.names}, {"allow_restricted_indices", a.allow_restricted_indices}};
      if (!a.field_security.is_null()) e["field_security"] = a.field_security;
      if (!a.query.is_null()) e["query"] = a.query;
      list.push_back(std::move(e));
    }
    out["search"] = std::move(list);
  }
  if (!access.replication.empty()) {
    Value list = Value::array();
    for (const topology::IndexAccess& a : access.replication) {
      list.push_back(
          Value{{"names", a.names}, {"allow_restricted_indices", a.allow_restricted_indices}});
    }
    out["replication"] = std::move(list);
  }
  return out;
}

bool AddressOverridden(const Context& ctx) {
  return !ctx.connection->proxy_address.empty() || !ctx.connection->seeds.empty();
}

// ---------------------------------------------------------------- data sources

std::string EnsureEcDeployment(Context& ctx, Side side) {
  const Peer& p = ctx.at(side);
  std::string address = Address("ec_deployment", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("ec_deployment", address, p, Context::StepId(side, "EC.ENDPOINT.READ"));
  s.attributes = DeploymentAttributes(*p.cluster);
  return ctx.out->Emit(std::move(s));
}

std::string EnsureEcCertificateAuthority(Context& ctx, Side side) {
  const Peer& p = ctx.at(side);
  std::string address = Address("ec_certificate_authority", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("ec_certificate_authority", address, p, Context::StepId(side, "EC.CA.READ"));
  s.attributes = DeploymentAttributes(*p.cluster);
  return ctx.out->Emit(std::move(s));
}

std::string EnsureEckTransportCa(Context& ctx, Side side) {
  const Peer& p = ctx.at(side);
  std::string address = Address("eck_transport_ca", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("eck_transport_ca", address, p, Context::StepId(side, "ECK.CA.READ"));
  s.attributes = EckAttributes(*p.cluster);
  s.attributes["secret"] = EckName(*p.cluster) + "-es-transport-certs-public";
  return ctx.out->Emit(std::move(s));
}

std::string EnsureSelfTransportCa(Context& ctx, Side side) {
  const Peer& p = ctx.at(side);
  std::string address = Address("self_transport_ca", {p.name()});
  ResourceSpec s =
      ctx.NewSpec("self_transport_ca", address, p, Context::StepId(side, "SM.TRANSPORT.TRUST"));
  s.attributes = Value{{"nodes", SelfNodes(*p.cluster)}};
  return ctx.out->Emit(std::move(s));
}

std::string EnsureEceProxyCa(Context& ctx, Side side) {
  const std::string& env = ctx.at(side).environment_name();
  std::string address = Address("ece_proxy_ca", {env});
  ResourceSpec s = ctx.NewEnvironmentSpec("ece_proxy_ca", address, env,
                                          Context::StepId(side, "ECE.PROXYCA.READ"));
  return ctx.out->Emit(std::move(s));
}

std::string EnsureEceInstallation(Context& ctx, Side side) {
  const std::string& env = ctx.at(side).environment_name();
  std::string address = Address("ece_installation", {env});
  ResourceSpec s = ctx.NewEnvironmentSpec("ece_installation", address, env,
                                          Context::StepId(side, "ECE.PLATFORM.TRUSTREL"));
  return ctx.out->Emit(std::move(s));
}

CaSource TransportCa(Context& ctx, Side side) {
  const Peer& p = ctx.at(side);
  switch (p.platform()) {
    case Platform::kEck:
      return {"eck", p.name(), MakeRef(EnsureEckTransportCa(ctx, side), "ca_pems")};
    case Platform::kSelf:
      return {"self", p.name(), MakeRef(EnsureSelfTransportCa(ctx, side), "ca_pems")};
    case Platform::kEch:
    case Platform::kEce:
      break;
  }
  return {topology::PlatformName(p.platform()), p.name(),
          MakeRef(EnsureEcCertificateAuthority(ctx, side), "ca_pems")};
}

// ---------------------------------------------------------------- steps

// The remote is an Elastic Cloud deployment: its proxy serves the remote
// cluster server on <endpoint>:9443 with server_name <endpoint>.
void EcEndpointRead(Context& ctx, Side side, const std::string& step) {
  (void)step;
  std::string deployment = EnsureEcDeployment(ctx, side);
  ctx.proxy_address = MakeRef(deployment, "remote_cluster_address");
  ctx.server_name = MakeRef(deployment, "endpoint");
}

// Certificate model: the proxy's transport passthrough, <endpoint>:9400.
void EcEndpointTransport(Context& ctx, Side side, const std::string& step) {
  (void)step;
  std::string deployment = EnsureEcDeployment(ctx, side);
  ctx.proxy_address = MakeRef(deployment, "transport_address");
  ctx.server_name = MakeRef(deployment, "endpoint");
}

void RemotePut(Context& ctx, Side side, const std::string& step) {
  const topology::Connection& c = *ctx.connection;
  const bool api_key = c.security == SecurityModel::kApiKey;
  Value address = c.proxy_address.empty() ? ctx.proxy_address : Value(c.proxy_address);
  if (address.is_null() && ctx.remote.platform() == Platform::kSelf) {
    std::string a = SelfAddress(*ctx.remote.cluster, api_key);
    if (!a.empty()) address = a;
  }

  Value attrs{{"alias", c.alias}};
  if (c.mode == ConnectionMode::kSniff) {
    Value seeds = Value::array();
    for (const std::string& s : c.seeds) seeds.push_back(s);
    if (seeds.empty() && !address.is_null()) seeds.push_back(address);
    if (seeds.empty()) {
      ctx.Error("cannot tell which seeds to use for remote cluster \"" + c.remote + "\"",
                "set `seeds` on the connection, or the cluster's " +
                    std::string(api_key ? "remote_cluster_address" : "transport_address") +
                    " or url");
      return;
    }
    attrs["mode"] = "sniff";
    attrs["seeds"] = std::move(seeds);
  } else {
    if (address.is_null()) {
      ctx.Error("cannot tell the address of remote cluster \"" + c.remote + "\"",
                "set `proxy_address` on the connection, or the cluster's " +
                    std::string(api_key ? "remote_cluster_address" : "transport_address") +
                    " or url");
      return;
    }
    attrs["mode"] = "proxy";
    attrs["proxy_address"] = std::move(address);
    Value server_name = c.server_name.empty() ? ctx.server_name : Value(c.server_name);
    if (!server_name.is_null()) attrs["server_name"] = std::move(server_name);
  }
  if (c.skip_unavailable.has_value()) attrs["skip_unavailable"] = *c.skip_unavailable;

  std::string address_of = Address("es_remote_cluster", {c.local, c.alias});
  ResourceSpec s = ctx.NewSpec("es_remote_cluster", address_of, ctx.at(side),
                               Context::StepId(side, step.c_str()));
  s.attributes = std::move(attrs);
  s.depends_on = ctx.before_put;
  // The remote's server, also when the address is the connection's own.
  s.depends_on.insert(s.depends_on.end(), ctx.remote_server.begin(), ctx.remote_server.end());
  ctx.last = ctx.out->Emit(std::move(s));
}

void RemoteVerify(Context& ctx, Side side, const std::string& step) {
  const topology::Connection& c = *ctx.connection;
  std::string address = Address("es_remote_connection_check", {c.local, c.alias});
  ResourceSpec s = ctx.NewSpec("es_remote_connection_check", address, ctx.at(side),
                               Context::StepId(side, step.c_str()));
  s.attributes =
      Value{{"alias", c.alias}, {"expect_credentials", c.security == SecurityModel::kApiKey}};
  if (!ctx.last.empty()) s.depends_on = {ctx.last};
  s.depends_on.insert(s.depends_on.end(), ctx.before_check.begin(), ctx.before_check.end());
  ctx.out->Emit(std::move(s));
}

void RolePut(Context& ctx, Side side, const std::string& step) {
  const Peer& on = ctx.at(side);
  for (const topology::Role& role : ctx.connection->roles) {
    if (!IsValidNamePart(role.name)) {
      ctx.diags->Error(
          role.location, ctx.path + ".roles", "role name \"" + role.name + "\" cannot be managed",
          "crosslink manages roles named with lower-case letters, digits, '-' and '_' only");
      continue;
    }
    std::string address = Address("es_role", {on.name(), role.name});
    ResourceSpec s = ctx.NewSpec("es_role", address, on, Context::StepId(side, step.c_str()));
    s.attributes =
        Value{{"name", role.name}, {"body", role.body.is_null() ? Value::object() : role.body}};
    s.origin = role.location.known() ? role.location : s.origin;
    // A local role follows the connection it grants access through.
    if (side == Side::kLocal && !ctx.last.empty()) s.depends_on = {ctx.last};
    ctx.out->Emit(std::move(s));
  }
}

}  // namespace crosslink::graph
