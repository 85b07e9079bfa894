// Seed 003 (issue #5), the ECH half: an Elastic Cloud Hosted deployment
// (analytics) connecting to a self-managed cluster (onprem)
// (sandbox/configs/seed-003.yaml), both models. This build has no
// self-managed provider, so the shipped crosslink must (1) expand the whole
// chain of both models and (2) refuse to plan or apply it with an error that
// names the missing provider and the resource that needs it, changing
// nothing. The Cloud facts the self-managed side will need (the deployment's
// CA, recommended trust restriction and addresses) are asserted from the
// state in Seed004Test.CertificateModelBothWays, where the same
// ec_certificate_authority / ec_deployment resources are read.

#include "tests/e2e/cloud_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

class Seed003Test : public CloudTest {
 protected:
  void SetUp() override { StartCloudSandbox("seed-003.yaml", /*ec_api_key=*/true); }

  // analytics (ECH) -> onprem (self-managed), both models.
  std::string Topology() {
    return TopologyHead(CloudEnvironment("cloud", "ech")) + DeploymentCluster("analytics") +
           Fill(R"(  onprem:
    platform: self
    url: @ONPREM_URL@
    ca_file: @ONPREM_CA_FILE@
    version: "8.17.0"
    credentials: { username: @ONPREM_USERNAME@, password: "${env:ONPREM_PASSWORD}" }
    nodes:
      - { name: node-0, delivery: local, home: @ONPREM_HOME@, restart: "@ONPREM_HOME@/bin/restart" }
connections:
  - local: analytics
    remote: onprem
    alias: onprem
    access: { search: [ { names: ["logs-*"] } ] }
  - local: analytics
    remote: onprem
    alias: onprem-tls
    security: certificate
)",
                {{"ONPREM_URL", Env("ONPREM_URL")},
                 {"ONPREM_CA_FILE", Env("ONPREM_CA_FILE")},
                 {"ONPREM_USERNAME", Env("ONPREM_USERNAME")},
                 {"ONPREM_HOME", Env("ONPREM_HOME_0")}});
  }
};

TEST_F(Seed003Test, BothModelsExpandAndStopClearlyWithoutTheSelfManagedProvider) {
  WriteTopology(Topology());
  Outcome validate = Crosslink(Args({"validate"}));
  ASSERT_EQ(validate.code, 0) << Show(validate);

  Outcome graph = Crosslink(Args({"graph"}));
  ASSERT_EQ(graph.code, 0) << Show(graph);
  for (const char* address :
       {// API key model: onprem's remote cluster server, the key, analytics' trust + keystore.
        "self_rcs_certificate.onprem", "self_remote_cluster_server.onprem",
        "es_cross_cluster_api_key.analytics.onprem", "ec_trust_api_key_ca.analytics.self.onprem",
        "ec_keystore_credential.analytics.onprem", "es_remote_cluster.analytics.onprem",
        // Certificate model: mutual trust, restricted on the self-managed side.
        "ec_certificate_authority.analytics", "self_transport_ca.onprem",
        "ec_trust_direct.analytics.self.onprem", "self_transport_trust.onprem",
        "self_trust_restrictions.onprem", "es_remote_cluster.analytics.onprem-tls"}) {
    EXPECT_THAT(graph.out, HasSubstr(std::string("\"") + address + "\"")) << address;
  }

  // The documented example is valid as shipped.
  Outcome example =
      Crosslink({"validate", "-f",
                 std::string(CROSSLINK_SOURCE_DIR) + "/examples/seed-003-ech-to-self.yaml"});
  EXPECT_EQ(example.code, 0) << Show(example);

  const Value trust_before = Trust("cloud", "analytics");
  const Value keystore_before = Keystore("cloud", "analytics");
  // Even the Cloud data sources alone (-target) need every provider of the
  // topology, as Terraform needs every provider of a configuration.
  for (const auto& verb : std::vector<std::vector<std::string>>{
           {"plan"},
           {"apply", "-auto-approve"},
           {"apply", "-auto-approve", "-target", "ec_certificate_authority.analytics"}}) {
    Outcome run = Crosslink(Args(verb));
    EXPECT_EQ(run.code, 1) << Show(run);
    EXPECT_THAT(run.err, ContainsRegex("no provider \"(self|pki)\" is available in this build "
                                       "\\(needed by self_[a-z_]+\\.onprem\\)"))
        << Show(run);
    EXPECT_THAT(run.out, ::testing::Not(HasSubstr("complete!")));
  }
  EXPECT_FALSE(std::filesystem::exists(StatePath()));
  EXPECT_EQ(Trust("cloud", "analytics").dump(), trust_before.dump());
  EXPECT_EQ(Keystore("cloud", "analytics").dump(), keystore_before.dump());
  EXPECT_TRUE(ActiveCrosslinkKeys("onprem").empty());
  ExpectNoSecretLeaked();
}

}  // namespace
}  // namespace crosslink::e2e
