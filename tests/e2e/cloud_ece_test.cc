// ECE <-> ECH (issue #5), API key model, by the shipped crosslink
// (sandbox/configs/cloud-ece-ech.yaml): an ECE deployment (ops, installation
// dc1, PRIVATE proxy certificate chain) and an ECH deployment (analytics).
// analytics -> ops: analytics must trust the ECE proxy's root (a direct
// trust entry of type proxy); ops -> analytics: the ECH proxy is publicly
// trusted, no CA. Plan, apply, connected with cluster credentials, empty
// re-plan, destroy leaving the users' entries on both deployments intact.

#include "tests/e2e/cloud_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class EceEchTest : public CloudTest {
 protected:
  void SetUp() override { StartCloudSandbox("cloud-ece-ech.yaml", /*ec_api_key=*/false); }

  // Both environments name their API key (ece has no default).
  std::string Topology() {
    return TopologyHead(CloudEnvironment("dc1", "ece", "${env:DC1_API_KEY}") +
                        CloudEnvironment("cloud", "ech", "${env:CLOUD_API_KEY}")) +
           DeploymentCluster("ops", {.environment = "dc1", .ca_file = false}) +
           DeploymentCluster("analytics") + R"(connections:
  - local: ops
    remote: analytics
    alias: analytics
    access: { search: [ { names: ["analytics-*"] } ] }
  - local: analytics
    remote: ops
    alias: ops
    access: { replication: [ { names: ["orders"] } ] }
)";
  }

  // The root (last element) of the ECE installation's proxy chain.
  std::string EceProxyRoot() {
    Reply chain = Cloud("dc1", "GET", "/platform/configuration/security/tls/proxy");
    EXPECT_EQ(chain.status, 200) << chain.body;
    const Value list = chain.json.value("chain", Value::array());
    EXPECT_GE(list.size(), 2u)
        << "the sandbox's ECE proxy chain is private: root, intermediate, leaf";
    return list.empty() ? "" : list.back().get<std::string>();
  }
};

TEST_F(EceEchTest, ApiKeyModelBothWaysWithPrivateEceProxy) {
  const UserEntries ops_user = SeedUserEntries("dc1", "ops");
  const UserEntries analytics_user = SeedUserEntries("cloud", "analytics");
  WriteTopology(Topology());
  Outcome plan = SavePlan("create.plan");
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan,
                {"es_cross_cluster_api_key.ops.analytics", "ec_keystore_credential.ops.analytics",
                 "es_remote_cluster.ops.analytics", "es_cross_cluster_api_key.analytics.ops",
                 "ec_trust_api_key_ca.analytics.ece.dc1", "ec_keystore_credential.analytics.ops",
                 "es_remote_cluster.analytics.ops"});
  EXPECT_THAT(plan.out, HasSubstr("ece_proxy_ca.dc1 will be read"));
  EXPECT_THAT(plan.out, Not(HasSubstr("ec_trust_api_key_ca.ops")));

  Outcome apply = Crosslink({"apply", "-auto-approve", Path("create.plan")});
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberKeystoreValues("ops");
  RememberKeystoreValues("analytics");
  EXPECT_TRUE(Connected("ops", "analytics", /*api_key_model=*/true));
  EXPECT_TRUE(Connected("analytics", "ops", /*api_key_model=*/true));

  // analytics trusts the ECE proxy root, as a trusted environment of type proxy.
  const Value entry = DirectEntry("cloud", "analytics", "crosslink-rcs-ece-dc1");
  ASSERT_FALSE(entry.is_null()) << Trust("cloud", "analytics").dump();
  EXPECT_EQ(entry.value("type", ""), "proxy");
  EXPECT_FALSE(entry.value("trust_all", true));
  ASSERT_EQ(entry.value("certificates", Value::array()).size(), 1u) << entry.dump();
  EXPECT_EQ(TrimRight(entry["certificates"][0].value("pem", "")), TrimRight(EceProxyRoot()));
  // ops needs no CA for the publicly trusted ECH proxy.
  EXPECT_THAT(CrosslinkTrustEntries("dc1", "ops"), IsEmpty());
  EXPECT_THAT(RemoteCredentialSettings("dc1", "ops"),
              Contains("cluster.remote.analytics.credentials"));
  EXPECT_THAT(RemoteCredentialSettings("cloud", "analytics"),
              Contains("cluster.remote.ops.credentials"));

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  EXPECT_THAT(ActiveCrosslinkKeys("ops"), IsEmpty());
  EXPECT_THAT(ActiveCrosslinkKeys("analytics"), IsEmpty());
  EXPECT_THAT(RemoteCredentialSettings("dc1", "ops"), IsEmpty());
  EXPECT_THAT(RemoteCredentialSettings("cloud", "analytics"), IsEmpty());
  EXPECT_THAT(CrosslinkTrustEntries("cloud", "analytics"), IsEmpty());
  ExpectUserEntriesIntact(ops_user);
  ExpectUserEntriesIntact(analytics_user);
  EXPECT_THAT(Persistent("ops"), Not(HasSubstr("cluster.remote.analytics")));
  EXPECT_THAT(Persistent("analytics"), Not(HasSubstr("cluster.remote.ops")));
  ExpectNoSecretLeaked();
}

}  // namespace
}  // namespace crosslink::e2e
