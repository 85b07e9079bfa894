#pragma once
// The "elasticsearch" provider: the resources every platform shares, done
// through a cluster's REST API (docs/resources.md "Elasticsearch REST"):
//   es_cross_cluster_api_key   on the remote, with user credentials
//   es_remote_cluster          cluster.remote.<alias>.* persistent settings
//   es_remote_connection_check GET _remote/info until connected
//   es_role                    roles (remote_indices) crosslink keeps
// Read is batched per cluster: one _cluster/settings, one API-key query, one
// _remote/info, one role GET serve every item of the cluster.
//
// Thread-safety: thread-safe after Configure.

#include <chrono>
#include <map>
#include <memory>

#include "engine/topology/topology.h"
#include "providers/elasticsearch/endpoint.h"
#include "providers/provider.h"

namespace crosslink::providers::elasticsearch {

struct ElasticsearchProviderOptions {
  // Platforms whose clusters are reached another way than the topology's
  // `url` (ECK: the eck provider's resolver). Not owned; outlive the provider.
  // A cluster with `url` set, or of a platform not listed, uses
  // EndpointFromTopology.
  std::map<topology::Platform, EndpointResolver*> resolvers;
  ClientFactory client_factory;  // empty = http::NewCurlClient
  // es_remote_connection_check: how long Create/Update poll _remote/info.
  std::chrono::milliseconds check_timeout{120000};
  std::chrono::milliseconds poll_interval{1000};
};

std::unique_ptr<Provider> NewElasticsearchProvider(ElasticsearchProviderOptions options);

}  // namespace crosslink::providers::elasticsearch
