// ${env:NAME} in non-secret topology values (engine/topology/interpolate.h)
// through the loader: substitution, the $${ escape, secret fields left as
// references, unset variables as errors (platform commands) or warnings
// (validate/graph), where a diagnosed value came from, and the digest.
#include "engine/topology/interpolate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/topology/loader.h"

namespace crosslink::topology {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSelfTopology[] = R"(version: 1
clusters:
  onprem:
    platform: self
    url: ${env:ONPREM_URL}
    ca_file: ${env:ONPREM_CA_FILE}
    credentials: { username: admin, password: "${env:ONPREM_PASSWORD}" }
    nodes:
      - name: es1
        delivery: local
        home: ${env:ONPREM_HOME_0}
        restart: "${env:ONPREM_HOME_0}/bin/restart $${NODE}"
)";

class InterpolateTest : public ::testing::Test {
 protected:
  std::optional<Topology> Load(const std::string& yaml, bool strict = true) {
    diags_ = Diagnostics();
    LoadOptions options;
    options.getenv = [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
    options.unset_variables_are_errors = strict;
    return LoadTopologyString(yaml, "topo.yaml", &diags_, options);
  }
  void SetSandboxEnv() {
    env_["ONPREM_URL"] = "https://127.0.0.1:40123";
    env_["ONPREM_CA_FILE"] = "/tmp/sandbox/onprem-ca.pem";
    env_["ONPREM_HOME_0"] = "/tmp/sandbox/onprem/es1";
    env_["ONPREM_PASSWORD"] = "hunter2-secret";
  }
  std::map<std::string, std::string> env_;
  Diagnostics diags_;
};

TEST_F(InterpolateTest, WholeAndPartialValuesAreReplaced) {
  SetSandboxEnv();
  auto t = Load(kSelfTopology);
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_TRUE(diags_.empty()) << diags_.ToString();
  const Cluster& c = t->clusters.at("onprem");
  EXPECT_EQ(c.url, "https://127.0.0.1:40123");
  EXPECT_EQ(c.ca_file, "/tmp/sandbox/onprem-ca.pem");
  ASSERT_EQ(c.nodes.size(), 1u);
  EXPECT_EQ(c.nodes[0].home, "/tmp/sandbox/onprem/es1");
  // $${ is a literal ${ (here a shell variable of the restart command).
  EXPECT_EQ(c.nodes[0].restart, "/tmp/sandbox/onprem/es1/bin/restart ${NODE}");
}

TEST_F(InterpolateTest, SecretFieldsStayReferences) {
  SetSandboxEnv();
  auto t = Load(kSelfTopology);
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  const SecretRef& password = t->clusters.at("onprem").credentials.password;
  EXPECT_EQ(password.kind, SecretRef::Kind::kEnv);
  EXPECT_EQ(password.name, "ONPREM_PASSWORD");
  EXPECT_TRUE(IsSecretField("/clusters/onprem/credentials/password"));
  EXPECT_TRUE(IsSecretField("/clusters/onprem/credentials/api_key"));
  EXPECT_TRUE(IsSecretField("/environments/cloud/api_key"));
  EXPECT_FALSE(IsSecretField("/clusters/onprem/url"));
  EXPECT_FALSE(IsSecretField("/clusters/onprem/nodes/0/restart"));
  EXPECT_FALSE(IsSecretField("/environments/dc1/endpoint"));
}

TEST_F(InterpolateTest, UnsetVariableIsAnErrorAtTheValueForPlatformCommands) {
  SetSandboxEnv();
  env_.erase("ONPREM_URL");
  auto t = Load(kSelfTopology);
  EXPECT_FALSE(t.has_value());
  EXPECT_EQ(diags_.ToString(),
            "topo.yaml:5:10: error: clusters.onprem.url: environment variable ONPREM_URL is not "
            "set\n  hint: export ONPREM_URL=<value> (or write the value in the file)\n");
}

TEST_F(InterpolateTest, UnsetVariablesAreWarningsAndSkipTheFieldsChecksForValidate) {
  // No environment at all, as in CI: the url pattern and the rest are not
  // checked against the reference text; one warning per field.
  auto t = Load(kSelfTopology, /*strict=*/false);
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_EQ(diags_.error_count(), 0u) << diags_.ToString();
  EXPECT_EQ(diags_.warning_count(), 4u) << diags_.ToString();
  const std::string text = diags_.ToString();
  EXPECT_THAT(text, HasSubstr("topo.yaml:5:10: warning: clusters.onprem.url: environment "
                              "variable ONPREM_URL is not set"));
  EXPECT_THAT(text, HasSubstr("clusters.onprem.nodes[0].restart: environment variable "
                              "ONPREM_HOME_0 is not set"));
  // The field keeps its text: no made-up value.
  EXPECT_EQ(t->clusters.at("onprem").url, "${env:ONPREM_URL}");
}

TEST_F(InterpolateTest, DiagnosticsOnAnInterpolatedFieldSayWhereTheValueCameFrom) {
  SetSandboxEnv();
  env_["ONPREM_URL"] = "es1.example.com";
  auto t = Load(kSelfTopology);
  EXPECT_FALSE(t.has_value());
  EXPECT_THAT(diags_.ToString(),
              HasSubstr("clusters.onprem.url: \"es1.example.com\" is not a valid URL"));
  EXPECT_THAT(diags_.ToString(), HasSubstr("(from ${env:ONPREM_URL})"));
}

TEST_F(InterpolateTest, OtherReferencesInNonSecretFieldsAreErrors) {
  SetSandboxEnv();
  auto t = Load(R"(version: 1
clusters:
  onprem:
    platform: self
    url: https://${HOST}:9200
    ca_file: ${file:./ca.pem}
    nodes:
      - { name: es1, delivery: local, home: "${env:9X}", restart: "${env:ONPREM_HOME_0" }
)");
  EXPECT_FALSE(t.has_value());
  EXPECT_EQ(diags_.error_count(), 4u) << diags_.ToString();
  const std::string text = diags_.ToString();
  EXPECT_THAT(text, HasSubstr("clusters.onprem.url: \"${HOST}\" is not an environment reference"));
  EXPECT_THAT(text, HasSubstr("hint: write $${ for a literal \"${\""));
  EXPECT_THAT(text, HasSubstr("clusters.onprem.ca_file: ${file:...} is only for secret fields"));
  EXPECT_THAT(text, HasSubstr("nodes[0].home: invalid environment variable name"));
  EXPECT_THAT(text, HasSubstr("nodes[0].restart: \"${\" is not closed with '}'"));
}

TEST_F(InterpolateTest, UnknownFieldsAreNotInterpolated) {
  SetSandboxEnv();
  auto t = Load(R"(version: 1
clusters:
  onprem:
    platform: self
    url: https://es1.example.com:9200
    credential: { password: "${env:ONPREM_PASSWORD}" }
)");
  EXPECT_FALSE(t.has_value());
  EXPECT_THAT(diags_.ToString(), HasSubstr("unknown field \"credential\""));
  EXPECT_THAT(diags_.ToString(), Not(HasSubstr("hunter2")));
}

TEST_F(InterpolateTest, DigestChangesWithAnInterpolatedValue) {
  SetSandboxEnv();
  auto first = Load(kSelfTopology);
  ASSERT_TRUE(first.has_value());
  env_["ONPREM_URL"] = "https://127.0.0.1:40999";
  auto second = Load(kSelfTopology);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(first->digest, second->digest);
  env_["ONPREM_URL"] = "https://127.0.0.1:40123";
  auto third = Load(kSelfTopology);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(first->digest, third->digest);
  // A secret variable is never substituted, so it does not enter the digest.
  env_["ONPREM_PASSWORD"] = "another";
  auto fourth = Load(kSelfTopology);
  ASSERT_TRUE(fourth.has_value());
  EXPECT_EQ(first->digest, fourth->digest);
  // Without interpolation the digest stays the SHA-256 of the bytes.
  const std::string plain = "version: 1\n";
  auto fifth = Load(plain);
  ASSERT_TRUE(fifth.has_value());
  EXPECT_EQ(fifth->digest, Sha256Hex(plain));
}

}  // namespace
}  // namespace crosslink::topology
