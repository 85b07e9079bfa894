#include "engine/graph/expand.h"

#include "engine/graph/emitter.h"
#include "engine/graph/rules.h"

namespace crosslink::graph {

namespace {

using topology::Platform;

const topology::Environment* FindEnvironment(const topology::Topology& t, const std::string& name) {
  if (name.empty()) return nullptr;
  auto it = t.environments.find(name);
  return it == t.environments.end() ? nullptr : &it->second;
}

const topology::Cluster* FindCluster(const topology::Topology& t, const std::string& name) {
  auto it = t.clusters.find(name);
  return it == t.clusters.end() ? nullptr : &it->second;
}

std::string Label(const topology::Connection& c) {
  return c.local + "->" + c.remote + " (alias " + c.alias + ")";
}

const char kNameHint[] =
    "use lower-case letters, digits, '-' and '_' only: the name becomes part of resource addresses";

// Checks that every name the connection's addresses are made of is valid.
bool CheckNames(Context& ctx) {
  const topology::Connection& c = *ctx.connection;
  bool ok = true;
  auto check = [&](const std::string& what, const std::string& name, const SourceLocation& where) {
    if (IsValidNamePart(name)) return;
    ctx.diags->Error(where, ctx.path,
                     what + " \"" + name + "\" cannot be used in a resource address", kNameHint);
    ok = false;
  };
  check("alias", c.alias, c.location);
  for (const Peer* p : {&ctx.local, &ctx.remote}) {
    check("cluster name", p->name(), p->cluster->location);
    if (p->platform() != Platform::kSelf) {
      check("environment name", p->environment_name(), p->cluster->location);
    }
  }
  return ok;
}

void ExpandConnection(const topology::Topology& t, size_t i, Emitter* out, Diagnostics* diags) {
  const topology::Connection& c = t.connections[i];
  Context ctx;
  ctx.topology = &t;
  ctx.connection = &c;
  ctx.out = out;
  ctx.diags = diags;
  ctx.label = Label(c);
  ctx.path = "connections[" + std::to_string(i) + "]";

  const topology::Cluster* local = FindCluster(t, c.local);
  const topology::Cluster* remote = FindCluster(t, c.remote);
  auto unknown = [&](const char* field, const std::string& name) {
    diags->Error(c.location, ctx.path + "." + field, "unknown cluster \"" + name + "\"",
                 "name a cluster declared under `clusters:`");
  };
  if (local == nullptr) unknown("local", c.local);
  if (remote == nullptr) unknown("remote", c.remote);
  if (local == nullptr || remote == nullptr) return;
  if (local == remote) {
    diags->Error(c.location, ctx.path, "cluster \"" + c.local + "\" cannot be its own remote",
                 "connect two different clusters");
    return;
  }
  ctx.local = Peer{local, FindEnvironment(t, local->environment)};
  ctx.remote = Peer{remote, FindEnvironment(t, remote->environment)};
  if (!CheckNames(ctx)) return;

  const Cell* cell =
      FindCell(local->platform, remote->platform, c.security, SameEnvironment(t, *local, *remote));
  if (cell == nullptr) {
    diags->Error(c.location, ctx.path,
                 std::string("no expansion rule for ") + PlatformId(local->platform) + " -> " +
                     PlatformId(remote->platform),
                 "this combination of platforms and security model is not supported");
    return;
  }
  // Stop at the first problem: later steps would only repeat it.
  const size_t errors_before = diags->error_count();
  for (const StepTemplate& step : cell->steps) {
    step.fn(ctx, step.side, step.step);
    if (ctx.failed || diags->error_count() > errors_before) return;
  }
}

}  // namespace

bool SameEnvironment(const topology::Topology& t, const topology::Cluster& a,
                     const topology::Cluster& b) {
  if (a.environment.empty() || b.environment.empty()) return false;
  if (a.environment == b.environment) return true;
  const topology::Environment* ea = FindEnvironment(t, a.environment);
  const topology::Environment* eb = FindEnvironment(t, b.environment);
  if (ea == nullptr || eb == nullptr || ea->platform != eb->platform) return false;
  switch (ea->platform) {
    case Platform::kEch:
      return !ea->organization_id.empty() && ea->organization_id == eb->organization_id;
    case Platform::kEce:
      return !ea->endpoint.empty() && ea->endpoint == eb->endpoint;
    case Platform::kEck:
      return !ea->context.empty() && ea->context == eb->context && ea->kubeconfig == eb->kubeconfig;
    case Platform::kSelf:
      break;
  }
  return false;
}

std::vector<std::string> ExpansionSteps(topology::Platform local, topology::Platform remote,
                                        topology::SecurityModel model, bool same_environment) {
  std::vector<std::string> out;
  const Cell* cell = FindCell(local, remote, model, same_environment);
  if (cell == nullptr) return out;
  for (const StepTemplate& s : cell->steps) out.push_back(Context::StepId(s.side, s.step));
  return out;
}

std::optional<ResourceGraph> Expand(const topology::Topology& t, Diagnostics* diags) {
  const size_t errors_before = diags->error_count();
  Emitter out(diags);
  for (size_t i = 0; i < t.connections.size(); ++i) ExpandConnection(t, i, &out, diags);
  if (diags->error_count() > errors_before) return std::nullopt;
  return ResourceGraph::Build(out.Finish(), diags);
}

}  // namespace crosslink::graph
