#pragma once
// crosslink::sandbox::Platform: one simulated control plane (an ECK
// environment = Kubernetes API + operator, an ECH organisation/region, an ECE
// installation) or the set of self-managed clusters. The sandbox process owns
// one Platform per environment of its config plus one "self" platform.
//
// Lifecycle: constructed with its environment config, then AddCluster() for
// each cluster of the config, then Start() (binds listeners, runs
// controllers), WaitUntilReady(), then WriteClientFiles() (what a client needs), later Stop().
//
// Thread-safety: after Start(), every method is thread-safe.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/value.h"
#include "sandbox/host.h"
#include "sandbox/net/net.h"

namespace crosslink::sandbox {

namespace es {
class Twin;
}

// One entry of `environments:` in the sandbox config.
struct EnvironmentConfig {
  std::string key;        // the config key, e.g. "k8s"
  std::string platform;   // "eck" | "ech" | "ece" | "self"
  Value settings;         // the whole YAML mapping as JSON (platform-specific keys)
};

// One entry of `clusters:` in the sandbox config.
struct ClusterConfig {
  std::string key;          // the config key, e.g. "logs"
  std::string environment;  // environment key ("" for self-managed)
  std::string version = "8.15.0";
  std::string license = "enterprise";
  Value settings;           // the whole YAML mapping as JSON (platform-specific keys)
};

// Where a platform's client files go and what it reports.
struct ClientFiles {
  std::string dir;  // the sandbox --dir; write under <dir>/<environment or cluster key>/
  // KEY=VALUE lines for <dir>/sandbox.env. Keys are upper-case shell names,
  // prefixed with the environment/cluster key upper-cased with '-'->'_',
  // e.g. K8S_KUBECONFIG, LOGS_URL, LOGS_PASSWORD, PROD_DEPLOYMENT_ID.
  std::vector<std::pair<std::string, std::string>> env;
};

class Platform {
 public:
  virtual ~Platform() = default;
  virtual const std::string& key() const = 0;
  virtual Status AddCluster(const ClusterConfig& cluster) = 0;
  virtual Status Start() = 0;
  // Returns once every cluster serves (the ECK operator's first rollout is
  // done), so that `serve --detach` hands over a usable sandbox.
  // kDeadlineExceeded names what is still starting after `timeout`.
  virtual Status WaitUntilReady(std::chrono::milliseconds timeout) {
    (void)timeout;
    return Status::Ok();
  }
  // Writes kubeconfigs, CA files, install directories' helper scripts etc.
  virtual Status WriteClientFiles(ClientFiles* files) = 0;
  // The twin of a cluster key, or nullptr (for the inspection API and tests).
  virtual es::Twin* FindTwin(const std::string& cluster_key) = 0;
  virtual std::vector<std::string> cluster_keys() const = 0;
  // Inspection: the platform's own state (objects, deployments, events).
  virtual Value Inspect() const = 0;
  // Control requests under /_sandbox/platforms/<key>/<rest>; `rest` has no
  // leading slash. Unknown paths answer 404.
  virtual net::HttpResponse HandleControl(const net::HttpRequest& request, std::string_view rest) = 0;
  virtual void Stop() = 0;
};

// What every platform factory gets.
struct PlatformContext {
  Host* host = nullptr;
  std::string contracts_dir;  // ../shared/contracts: the CRD and Cloud API specs requests are checked against
  std::string sandbox_dir;    // the --dir: platforms keep their files under <sandbox_dir>/<key>/
};

// Factories, one per platform folder. A bad environment config is
// kInvalidArgument naming the field.
Result<std::unique_ptr<Platform>> NewEckPlatform(const EnvironmentConfig& env, const PlatformContext& ctx);
Result<std::unique_ptr<Platform>> NewCloudPlatform(const EnvironmentConfig& env, const PlatformContext& ctx);
// The one platform for every self-managed cluster (env.key == "self").
Result<std::unique_ptr<Platform>> NewSelfPlatform(const EnvironmentConfig& env, const PlatformContext& ctx);

}  // namespace crosslink::sandbox
