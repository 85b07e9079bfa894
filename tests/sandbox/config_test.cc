#include "sandbox/config.h"

#include <gtest/gtest.h>

namespace crosslink::sandbox {
namespace {

Status LoadError(const std::string& yaml) {
  auto config = LoadSandboxConfigString(yaml, "sb.yaml");
  return config.ok() ? Status::Ok() : config.status();
}

TEST(SandboxConfigTest, ReadsEnvironmentsClustersAndFaults) {
  auto config = LoadSandboxConfigString(R"(
environments:
  k8s: { platform: eck, operator_version: "3.3.0" }
  cloud: { platform: ech, region: eu-west-1 }
clusters:
  logs: { environment: k8s, version: "8.15.0", namespace: observability, nodes: 3 }
  prod: { environment: cloud, license: trial }
  edge: { platform: self }
faults:
  - { target: "es/prod/*", latency_ms: 20, error_rate: 0.5, error_status: 429 }
workers: 4
)", "sb.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->environments.size(), 2u);
  EXPECT_EQ(config->environments[0].key, "k8s");
  EXPECT_EQ(config->environments[0].platform, "eck");
  EXPECT_EQ(config->environments[0].settings["operator_version"], "3.3.0");
  ASSERT_EQ(config->clusters.size(), 3u);
  EXPECT_EQ(config->clusters[0].environment, "k8s");
  EXPECT_EQ(config->clusters[0].settings["nodes"], 3) << "plain integers stay numbers";
  EXPECT_EQ(config->clusters[1].license, "trial");
  EXPECT_EQ(config->clusters[1].version, "8.15.0") << "the default version";
  EXPECT_EQ(config->clusters[2].environment, "");
  ASSERT_EQ(config->faults.size(), 1u);
  EXPECT_EQ(config->faults[0].target, "es/prod/*");
  EXPECT_EQ(config->faults[0].spec.latency.count(), 20);
  EXPECT_EQ(config->faults[0].spec.error_status, 429);
  EXPECT_EQ(config->workers, 4);
}

TEST(SandboxConfigTest, ErrorsNameFileLineAndField) {
  Status s = LoadError("clusters:\n  logs:\n    environment: nowhere\n");
  EXPECT_EQ(s.message(),
            "sb.yaml:3:18: clusters.logs.environment: no environment \"nowhere\" is defined under environments");
  s = LoadError("environments:\n  k8s: { platform: aks }\nclusters:\n  a: { environment: k8s }\n");
  EXPECT_NE(s.message().find("sb.yaml:2:20: environments.k8s.platform: must be eck, ech or ece"),
            std::string::npos)
      << s.message();
  s = LoadError("clusters:\n  a: { platform: self, version: 8.15 }\n");
  EXPECT_NE(s.message().find("clusters.a.version: must look like \"8.15.0\""), std::string::npos)
      << s.message();
  s = LoadError("clusters:\n  Bad_Name: { platform: self }\n");
  EXPECT_NE(s.message().find("sb.yaml:2:3: clusters.Bad_Name"), std::string::npos) << s.message();
  s = LoadError("clusters:\n  a: { platform: self }\nextra: 1\n");
  EXPECT_NE(s.message().find("sb.yaml:3:1: extra: unknown field"), std::string::npos) << s.message();
  s = LoadError("clusters:\n  a: { platform: self }\nfaults:\n  - { latency_ms: 5 }\n");
  EXPECT_NE(s.message().find("faults[0]: needs target"), std::string::npos) << s.message();
  s = LoadError("clusters: {}\n");
  EXPECT_NE(s.message().find("define at least one cluster"), std::string::npos) << s.message();
  s = LoadError("clusters: [\n");
  EXPECT_EQ(s.message().rfind("sb.yaml:", 0), 0u) << s.message();
  s = LoadError("clusters:\n  a: { platform: self, environment: x }\n");
  EXPECT_NE(s.message().find("either environment or platform: self"), std::string::npos) << s.message();
}

TEST(SandboxConfigTest, MissingFileIsNotFound) {
  auto config = LoadSandboxConfigFile("/nonexistent/sandbox.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace crosslink::sandbox
