#pragma once
// The sandbox config file: which environments and clusters to simulate.
//
//   environments:
//     k8s:   { platform: eck, operator_version: "3.3.0", license: enterprise }
//     cloud: { platform: ech, region: eu-west-1, organization_id: "1053523734" }
//     onprem:{ platform: ece }
//   clusters:
//     logs: { environment: k8s, version: "8.15.0", namespace: default }
//     prod: { environment: cloud, version: "8.15.0" }
//     edge: { platform: self, version: "8.15.0" }
//   faults:                      # optional, applied at start
//     - { target: "es/prod/rest", latency_ms: 50, error_rate: 0.1, error_status: 503 }
//   workers: 8                   # optional: HTTP worker threads
//
// Keys are [a-z0-9][a-z0-9-]*. Platform-specific keys are passed through to
// the platform (docs/sandbox.md lists them); each platform rejects unknown ones.
// Errors name file:line:column and the field.

#include <string>
#include <vector>

#include "engine/core/status.h"
#include "sandbox/net/net.h"
#include "sandbox/platform.h"

namespace crosslink::sandbox {

struct FaultRule {
  std::string target;
  net::FaultSpec spec;
};

struct SandboxConfig {
  std::vector<EnvironmentConfig> environments;
  std::vector<ClusterConfig> clusters;
  std::vector<FaultRule> faults;
  int workers = 8;
};

Result<SandboxConfig> LoadSandboxConfigFile(const std::string& path);
Result<SandboxConfig> LoadSandboxConfigString(const std::string& text, const std::string& file_name);

}  // namespace crosslink::sandbox
