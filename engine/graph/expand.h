#pragma once
// Expansion: the topology's connections -> a ResourceGraph.
//
// Each connection is expanded by the cell of the expansion table keyed on
// (local platform, remote platform, security model) and, where DOMAIN.md §1
// distinguishes them, whether both clusters share one control plane (same
// ECK operator, same ECE installation, same ECH organization). A cell lists
// DOMAIN step templates in order; each emits typed resources (catalogue.h)
// with literal attributes from the topology and references to outputs known
// only at apply time. Resources several connections need (a cluster's
// remote cluster server, a CA, a per-cluster client TLS configuration, one
// trust entry per CA) get one address and list every connection in
// needed_by. docs/resources.md documents the table and every type.
//
// Errors (unknown clusters, names that cannot form an address, a remote
// whose address cannot be known, shared resources the connections disagree
// on, cycles) are diagnostics; the result is then nullopt.
//
// Cost: O(connections x log) overall.
//
// Thread-safety: pure function of its input.

#include <optional>
#include <string>
#include <vector>

#include "engine/core/diagnostics.h"
#include "engine/graph/graph.h"
#include "engine/topology/topology.h"

namespace crosslink::graph {

// `diags` must not be null.
std::optional<ResourceGraph> Expand(const topology::Topology& t, Diagnostics* diags);

// The step ids ("R:ECK.RCS.ENABLE", "L:ES.REMOTE.PUT", ...) of the cell a
// connection of this kind expands through; empty when there is no cell.
std::vector<std::string> ExpansionSteps(topology::Platform local, topology::Platform remote,
                                        topology::SecurityModel model, bool same_environment);

// True when both clusters are managed by one control plane: the same
// environment, or two environments naming the same ECH organization, the
// same ECE coordinator or the same Kubernetes kubeconfig + context.
bool SameEnvironment(const topology::Topology& t, const topology::Cluster& a,
                     const topology::Cluster& b);

}  // namespace crosslink::graph
