#pragma once
// The platform providers the shipped `crosslink` binary links, built and
// wired in one place, so that main() and the end-to-end tests run exactly
// the same wiring (only the timeouts differ):
//
//   eck            ECK resources on Kubernetes (providers/eck)
//   ech, ece       Elastic Cloud Hosted / Enterprise deployments through the
//                  Cloud API (providers/cloud)
//   pki            certificates crosslink issues (self_rcs_certificate:
//                  the self-managed remote cluster server's CA and PKCS#12)
//   self           self-managed clusters' nodes: elasticsearch.yml managed
//                  block, config/crosslink/ files, keystore, restarts and
//                  reloads (providers/self)
//   elasticsearch  ES REST resources on every platform; ECK clusters are
//                  reached through the eck provider's EndpointResolver
//                  (the <es>-es-http Service, <es>-es-elastic-user,
//                  <es>-es-http-certs-public), ECH / ECE clusters through
//                  the cloud providers' (the deployment's service_url),
//                  others through the topology.
//
// A platform whose provider is not built here stays unavailable: the CLI
// then says `no provider "ech" is available in this build`.
//
// Thread-safety: build once, then hand set() to the CLI; the providers are
// thread-safe after Configure. BuiltinProviders must outlive every run that
// uses its set().

#include <chrono>
#include <memory>

#include "providers/provider.h"

namespace crosslink::cli {

struct BuiltinProviderOptions {
  // eck: how long apply waits for a restarted Elasticsearch resource to be
  // Ready again (and for a LoadBalancer address), and how often it looks.
  std::chrono::milliseconds eck_ready_timeout{std::chrono::minutes(30)};
  std::chrono::milliseconds eck_poll_interval{2000};
  // ech / ece: how long apply waits for a deployment's plan (a trust change,
  // a restart) to finish, and how often it looks.
  std::chrono::milliseconds cloud_plan_timeout{std::chrono::minutes(30)};
  std::chrono::milliseconds cloud_poll_interval{2000};
  // elasticsearch: how long es_remote_connection_check polls _remote/info
  // for `connected`, and how often.
  std::chrono::milliseconds connection_check_timeout{std::chrono::minutes(2)};
  std::chrono::milliseconds connection_check_poll_interval{1000};
  // self: how long a node's restart command may take and then how long
  // apply waits for the cluster's REST API to answer again; how often it
  // looks.
  std::chrono::milliseconds self_restart_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds self_poll_interval{2000};
  // pki: a certificate (or CA) expiring within this window is renewed.
  std::chrono::seconds pki_renew_before{std::chrono::hours(24 * 30)};
};

// Owns the providers and the ProviderSet that names them.
class BuiltinProviders {
 public:
  virtual ~BuiltinProviders() = default;
  virtual providers::ProviderSet& set() = 0;
};

std::unique_ptr<BuiltinProviders> NewBuiltinProviders(const BuiltinProviderOptions& options = {});

}  // namespace crosslink::cli
