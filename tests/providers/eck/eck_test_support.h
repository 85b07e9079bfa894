#pragma once
// Shared by the ECK provider tests: a topology with one ECK environment, and
// helpers that drive the provider the way plan/apply do (specs, requests,
// state records).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/graph/catalogue.h"
#include "engine/graph/resource.h"
#include "engine/topology/topology.h"
#include "providers/eck/eck_provider.h"
#include "state/state.h"

namespace crosslink::providers::eck::testing {

inline graph::ResourceSpec MakeSpec(const std::string& type, const std::string& address,
                                    const std::string& cluster, Value attributes) {
  graph::ResourceSpec s;
  s.type = type;
  s.address = address;
  s.provider = "eck";
  s.cluster = cluster;
  const graph::ResourceTypeInfo* info = graph::FindResourceType(type);
  if (info != nullptr) {
    s.mode = info->mode;
    s.restarts_cluster = info->restarts_cluster;
  }
  s.attributes = std::move(attributes);
  return s;
}

inline state::ResourceState StateOf(const graph::ResourceSpec& spec, const LiveObject& live) {
  state::ResourceState rs;
  rs.address = spec.address;
  rs.type = spec.type;
  rs.provider = spec.provider;
  rs.cluster = spec.cluster;
  rs.environment = spec.environment;
  rs.mode = spec.mode;
  rs.attributes = spec.attributes;
  rs.outputs = live.outputs;
  return rs;
}

inline ApplyRequest CreateRequest(const graph::ResourceSpec& spec,
                                  std::map<std::string, Secret> secrets = {}) {
  ApplyRequest r;
  r.desired = &spec;
  r.attributes = spec.attributes;
  r.secret_inputs = std::move(secrets);
  return r;
}

inline ApplyRequest DeleteRequest(const state::ResourceState& prior) {
  ApplyRequest r;
  r.prior = &prior;
  r.attributes = prior.attributes;
  return r;
}

inline ReadResponse ReadSpecs(Provider& p, const std::string& cluster,
                              const std::vector<const graph::ResourceSpec*>& specs) {
  ReadRequest req;
  req.cluster = cluster;
  for (const graph::ResourceSpec* s : specs) req.items.push_back({s->address, s->type, s, nullptr});
  return p.Read(req);
}

inline PlanResponse PlanAgainst(Provider& p, const graph::ResourceSpec& spec,
                                const LiveObject& live) {
  PlanRequest req;
  req.desired = &spec;
  req.live = &live;
  req.attributes = spec.attributes;
  return p.Plan(req);
}

// Everything a status / diagnostics / live object says, for secret greps.
inline std::string Everything(const ApplyResponse& r) {
  return r.status.ToString() + r.diagnostics.ToString() + r.result.attributes.dump() +
         r.result.outputs.dump();
}

inline std::string Everything(const ReadResponse& r) {
  std::string out = r.status.ToString() + r.diagnostics.ToString();
  for (const auto& [a, o] : r.objects) out += a + o.attributes.dump() + o.outputs.dump();
  for (const Orphan& o : r.orphans) out += o.address + o.description + o.live.attributes.dump();
  return out;
}

}  // namespace crosslink::providers::eck::testing
