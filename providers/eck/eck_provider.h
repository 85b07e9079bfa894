#pragma once
// The "eck" provider: ECK resources on Kubernetes (docs/resources.md "ECK")
// and the EndpointResolver that tells the Elasticsearch provider how to reach
// an ECK cluster's REST API.
//
// Restart groups: every eck_* change that restarts a cluster is applied
// through ApplyGroup as ONE update of the Elasticsearch resource (Secrets
// and ConfigMaps first), then one bounded wait until the operator reports
// the resource Ready again (status.phase Ready, observedGeneration caught up).
//
// Never edits what crosslink does not own: only its own fields / list
// entries of the Elasticsearch resource (recorded in crosslink.elastic.co/*
// annotations on it), and only Secrets / ConfigMaps / Services labelled
// app.kubernetes.io/managed-by=crosslink.
//
// Thread-safety: thread-safe after Configure.

#include <chrono>
#include <functional>
#include <memory>

#include "providers/eck/kube.h"
#include "providers/elasticsearch/endpoint.h"
#include "providers/provider.h"

namespace crosslink::providers::eck {

struct EckProviderOptions {
  // Makes the Kubernetes client of an environment (tests: record requests).
  // Empty = NewKubeClient(config, clock).
  std::function<std::unique_ptr<KubeClient>(const KubeConfig& config, Clock& clock)> kube_factory;
  // How long apply waits for a restarted cluster to be Ready again, and for
  // a LoadBalancer to get its address.
  std::chrono::milliseconds ready_timeout{std::chrono::minutes(30)};
  std::chrono::milliseconds poll_interval{2000};
};

class EckProvider : public Provider {
 public:
  // The resolver for the Elasticsearch provider (valid after Configure;
  // owned by the provider).
  virtual elasticsearch::EndpointResolver* endpoints() = 0;
};

std::unique_ptr<EckProvider> NewEckProvider(EckProviderOptions options);

}  // namespace crosslink::providers::eck
