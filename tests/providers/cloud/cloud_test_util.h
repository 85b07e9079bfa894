#pragma once
// Shared by the Cloud API client and the ech / ece provider tests
// (client_test.cc, provider_test.cc, engine_test.cc): the sandbox topology
// they start, topology pieces pointing at the sandbox, and small helpers.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "engine/core/pki.h"
#include "engine/topology/topology.h"

namespace crosslink::providers::cloud::test_util {

// Two ECH deployments (8.17 and 8.12, below the keystore-reload bound) and
// one ECE deployment.
inline constexpr char kSandboxConfig[] = R"(
environments:
  cloud: { platform: ech, region: eu-west-1, organization_id: "1053523734" }
  dc1: { platform: ece }
clusters:
  analytics: { environment: cloud, version: "8.17.0" }
  legacy: { environment: cloud, version: "8.12.0" }
  onprem: { environment: dc1, version: "8.17.0" }
)";

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A fresh self-signed CA certificate (PEM).
inline std::string NewCaPem(const std::string& name) {
  pki::CertificateSpec spec;
  spec.common_name = name;
  spec.is_ca = true;
  Result<pki::Identity> ca = pki::CreateCa(spec);
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  return ca.ok() ? ca->LeafPem() : "";
}

// ${env:<name>}, reported as `field` (may be empty).
inline topology::SecretRef EnvRef(const std::string& name, const std::string& field = "") {
  topology::SecretRef ref;
  ref.kind = topology::SecretRef::Kind::kEnv;
  ref.name = name;
  ref.field = field;
  return ref;
}

// The topology environment `name` of the sandbox (`env_prefix`: "CLOUD",
// "DC1" ...): its endpoint and ca_file, and api_key ${env:<PREFIX>_KEY}
// (the test maps that variable to the sandbox's key).
inline topology::Environment SandboxEnvironment(
    const std::string& name, topology::Platform platform, const std::string& env_prefix,
    const std::function<std::string(const std::string&)>& sandbox_env) {
  topology::Environment env;
  env.name = name;
  env.platform = platform;
  env.endpoint = sandbox_env(env_prefix + "_ENDPOINT");
  env.api_key = EnvRef(env_prefix + "_KEY", "environments." + name + ".api_key");
  env.ca_file = sandbox_env(env_prefix + "_CA_FILE");
  return env;
}

// The topology cluster of sandbox deployment `name` (`env_prefix`: the
// sandbox's variable prefix, e.g. "ANALYTICS"; `sandbox_env`: the fixture's
// Env): its deployment id, and user "elastic" with ${env:<PREFIX>_PASSWORD}.
inline topology::Cluster SandboxCluster(
    const std::string& name, const std::string& environment, topology::Platform platform,
    const std::string& ca_file, const std::string& env_prefix,
    const std::function<std::string(const std::string&)>& sandbox_env) {
  topology::Cluster c;
  c.name = name;
  c.environment = environment;
  c.platform = platform;
  c.deployment_id = sandbox_env(env_prefix + "_DEPLOYMENT_ID");
  c.ca_file = ca_file;
  c.credentials.username = "elastic";
  c.credentials.password = EnvRef(env_prefix + "_PASSWORD", "clusters." + name + ".password");
  return c;
}

}  // namespace crosslink::providers::cloud::test_util
