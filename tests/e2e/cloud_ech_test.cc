// ECH <-> ECH in one organization (issue #5), by the shipped crosslink
// (sandbox/configs/cloud-ech-pair.yaml): analytics and billing connected both
// ways with the API key model (keys in the deployment keystores, no CA: the
// Cloud proxy is publicly trusted) and with the certificate model (the
// organization's default "trust all my deployments" entry is adopted, never
// narrowed, and left as it was by destroy); a deployment below 8.14 gets its
// keystore change by exactly one restart.

#include "tests/e2e/cloud_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class EchPairTest : public CloudTest {
 protected:
  void SetUp() override { StartCloudSandbox("cloud-ech-pair.yaml", /*ec_api_key=*/true); }

  // analytics and billing, `extra_clusters` (more entries under clusters),
  // then `connections`.
  std::string Topology(const std::string& connections, const std::string& extra_clusters = "") {
    return TopologyHead(CloudEnvironment("cloud", "ech")) + DeploymentCluster("analytics") +
           DeploymentCluster("billing") + extra_clusters + "connections:\n" + connections;
  }

  void ExpectNothingOfCrosslinksLeft(const UserEntries& analytics, const UserEntries& billing) {
    for (const char* cluster : {"analytics", "billing"}) {
      EXPECT_THAT(ActiveCrosslinkKeys(cluster), IsEmpty()) << cluster;
      EXPECT_THAT(RemoteCredentialSettings("cloud", cluster), IsEmpty()) << cluster;
      EXPECT_THAT(CrosslinkTrustEntries("cloud", cluster), IsEmpty()) << cluster;
    }
    ExpectUserEntriesIntact(analytics);
    ExpectUserEntriesIntact(billing);
    EXPECT_THAT(Persistent("analytics"), Not(HasSubstr("cluster.remote.billing")));
    EXPECT_THAT(Persistent("billing"), Not(HasSubstr("cluster.remote.analytics")));
  }
};

TEST_F(EchPairTest, ApiKeyModelBothWays) {
  const UserEntries analytics = SeedUserEntries("cloud", "analytics");
  const UserEntries billing = SeedUserEntries("cloud", "billing");
  WriteTopology(Topology(R"(  - local: analytics
    remote: billing
    alias: billing
    access: { search: [ { names: ["invoices-*"] } ] }
  - local: billing
    remote: analytics
    alias: analytics
    access: { replication: [ { names: ["orders"] } ] }
)"));
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(
      plan,
      {"es_cross_cluster_api_key.analytics.billing", "ec_keystore_credential.analytics.billing",
       "es_remote_cluster.analytics.billing", "es_cross_cluster_api_key.billing.analytics",
       "ec_keystore_credential.billing.analytics", "es_remote_cluster.billing.analytics"});
  EXPECT_THAT(plan.out, Not(HasSubstr("ec_trust_")));  // a public proxy: nothing to trust

  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberKeystoreValues("analytics");
  RememberKeystoreValues("billing");
  EXPECT_TRUE(Connected("analytics", "billing", /*api_key_model=*/true));
  EXPECT_TRUE(Connected("billing", "analytics", /*api_key_model=*/true));
  EXPECT_THAT(RemoteCredentialSettings("cloud", "analytics"),
              Contains("cluster.remote.billing.credentials"));
  EXPECT_THAT(ActiveCrosslinkKeys("billing"), Contains("crosslink-analytics-billing"));
  EXPECT_THAT(CrosslinkTrustEntries("cloud", "analytics"), IsEmpty());

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(analytics, billing);
  ExpectNoSecretLeaked();
}

TEST_F(EchPairTest, CertificateModelBothWays) {
  const UserEntries analytics = SeedUserEntries("cloud", "analytics");
  const UserEntries billing = SeedUserEntries("cloud", "billing");
  const std::string org = Env("CLOUD_ORGANIZATION_ID");
  WriteTopology(
      Topology(R"(  - { local: analytics, remote: billing, alias: billing, security: certificate }
  - { local: billing, remote: analytics, alias: analytics, security: certificate }
)"));
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  EXPECT_THAT(plan.out, HasSubstr("ec_trust_accounts.analytics.cloud"));
  EXPECT_THAT(plan.out, HasSubstr("ec_trust_accounts.billing.cloud"));
  ExpectCreates(plan,
                {"es_remote_cluster.analytics.billing", "es_remote_cluster.billing.analytics"});

  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  EXPECT_TRUE(Connected("analytics", "billing", /*api_key_model=*/false));
  EXPECT_TRUE(Connected("billing", "analytics", /*api_key_model=*/false));
  // Transport through the Cloud proxy's passthrough port, SNI = the endpoint.
  const std::string endpoint =
      EsResource("cloud", "billing")["info"]["metadata"].value("endpoint", "");
  EXPECT_THAT(Persistent("analytics"), HasSubstr(endpoint + ":9400"));
  // The organization's own entry still trusts every deployment, unchanged.
  EXPECT_EQ(Trust("cloud", "analytics").value("accounts", Value::array()).dump(),
            analytics.trust.value("accounts", Value::array()).dump());
  EXPECT_THAT(Trust("cloud", "analytics").dump(), HasSubstr(org));

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(analytics, billing);
  ExpectNoSecretLeaked();
}

// legacy runs 8.13 and the topology does not say its version (with 8.13
// written down the topology is refused: the API key model needs 8.14). The
// live version decides at apply time: the keystore is not reloaded by
// itself, so the credential counts only after one _restart (ec_restart), and
// a re-plan restarts nothing.
TEST_F(EchPairTest, KeystoreBelow814TakesEffectAfterOneRestart) {
  WriteTopology(Topology(
      R"(  - local: legacy
    remote: billing
    alias: billing
    access: { search: [ { names: ["invoices-*"] } ] }
)",
      DeploymentCluster("legacy", {.version = ""})));
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"ec_keystore_credential.legacy.billing", "ec_restart.legacy"});

  const int restarts = sandbox_->FindTwin("legacy")->restarts();
  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberKeystoreValues("legacy");
  EXPECT_EQ(sandbox_->FindTwin("legacy")->restarts() - restarts, 1);
  EXPECT_TRUE(Connected("legacy", "billing", /*api_key_model=*/true));

  ExpectNoChanges();
  EXPECT_EQ(sandbox_->FindTwin("legacy")->restarts() - restarts, 1);

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  EXPECT_THAT(ActiveCrosslinkKeys("billing"), IsEmpty());
  EXPECT_THAT(RemoteCredentialSettings("cloud", "legacy"), IsEmpty());
  EXPECT_THAT(Persistent("legacy"), Not(HasSubstr("cluster.remote.billing")));
  ExpectNoSecretLeaked();
}

}  // namespace
}  // namespace crosslink::e2e
