// Bad input for Elastic Cloud clusters (issue #5), through the shipped
// crosslink on two ECH deployments (sandbox/configs/cloud-ech-pair.yaml):
// a wrong deployment id, a wrong (expired, revoked) Cloud API key, a
// deployment without the user credentials a cross-cluster key needs and a
// ref_id the deployment does not have. Each
// run exits 1 with an error that names the deployment or environment and
// the fix, and changes nothing: the state file, the deployments' keystores
// and trust, and the remote's keys are as the last good apply left them.

#include "tests/e2e/cloud_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUnknownDeployment[] = "ffffffffffffffffffffffffffffffff";

class CloudBadInputTest : public CloudTest {
 protected:
  void SetUp() override { StartCloudSandbox("cloud-ech-pair.yaml", /*ec_api_key=*/true); }

  // analytics -> billing (API key model); `billing` replaces what is
  // written for billing's deployment.
  std::string Topology(const Deployment& billing = {}) {
    return TopologyHead(CloudEnvironment("cloud", "ech")) + DeploymentCluster("analytics") +
           DeploymentCluster("billing", billing) + R"(connections:
  - local: analytics
    remote: billing
    alias: billing
    access: { search: [ { names: ["invoices-*"] } ] }
)";
  }

  // Everything a failed run must leave as it was.
  struct Snapshot {
    std::string state;
    std::string analytics_keystore, analytics_trust, billing_trust;
    std::string billing_keys;
    std::string analytics_settings;
  };
  Snapshot Take() {
    Snapshot s;
    s.state = ReadText(StatePath());
    s.analytics_keystore = Keystore("cloud", "analytics").dump();
    s.analytics_trust = Trust("cloud", "analytics").dump();
    s.billing_trust = Trust("cloud", "billing").dump();
    s.billing_keys =
        sandbox_->FindTwin("billing")->Inspect().value("api_keys", Value::array()).dump();
    s.analytics_settings = Persistent("analytics");
    return s;
  }
  void ExpectUnchanged(const Snapshot& before, const std::string& what) {
    const Snapshot after = Take();
    EXPECT_FALSE(before.state.empty());
    EXPECT_EQ(after.state, before.state) << what << ": the state file changed";
    EXPECT_EQ(after.analytics_keystore, before.analytics_keystore) << what;
    EXPECT_EQ(after.analytics_trust, before.analytics_trust) << what;
    EXPECT_EQ(after.billing_trust, before.billing_trust) << what;
    EXPECT_EQ(after.billing_keys, before.billing_keys) << what;
    EXPECT_EQ(after.analytics_settings, before.analytics_settings) << what;
  }

  // A failed apply: exit 1, an error, nothing reported as applied.
  static void ExpectFailure(const Outcome& o) {
    EXPECT_EQ(o.code, 1) << Show(o);
    EXPECT_THAT(o.err, HasSubstr("Error"));
    EXPECT_THAT(o.out, Not(HasSubstr("complete!")));
  }
};

TEST_F(CloudBadInputTest, ErrorsNameTheDeploymentAndTheFixAndChangeNothing) {
  WriteTopology(Topology());
  Outcome good = Apply();
  ASSERT_EQ(good.code, 0) << Show(good);
  RememberKeystoreValues("analytics");
  ASSERT_TRUE(Connected("analytics", "billing", /*api_key_model=*/true));
  const Snapshot before = Take();

  // 1. A deployment id that does not exist (or the key cannot see).
  WriteTopology(Topology({.id = kUnknownDeployment}));
  Outcome unknown = Apply();
  ExpectFailure(unknown);
  EXPECT_THAT(unknown.err, AllOf(HasSubstr(kUnknownDeployment), HasSubstr("billing"),
                                 HasSubstr("deployment_id")))
      << Show(unknown);
  ExpectUnchanged(before, "wrong deployment id");

  // 2. A wrong (expired, revoked) Elastic Cloud API key in $EC_API_KEY.
  WriteTopology(Topology());
  const std::string wrong_key = "V3JvbmdLZXk6ZXhwaXJlZC1vci1yZXZva2VkLWtleQ==";
  secrets_.insert(wrong_key);
  env_vars_["EC_API_KEY"] = wrong_key;
  Outcome refused = Apply();
  ExpectFailure(refused);
  EXPECT_THAT(refused.err, AllOf(HasSubstr("\"cloud\""), HasSubstr("EC_API_KEY"))) << Show(refused);
  ExpectUnchanged(before, "wrong Cloud API key");
  env_vars_["EC_API_KEY"] = Env("CLOUD_API_KEY");

  // 3. The remote deployment without user credentials: its cross-cluster
  // key cannot be read or made with the Cloud API key.
  WriteTopology(Topology({.credentials = false}));
  Outcome anonymous = Apply();
  ExpectFailure(anonymous);
  EXPECT_THAT(anonymous.err, AllOf(HasSubstr("billing"), HasSubstr("credentials")))
      << Show(anonymous);
  ExpectUnchanged(before, "deployment without credentials");

  // 4. A ref_id the deployment does not have: the error lists the ones it has.
  WriteTopology(Topology({.extra = "    ref_id: secondary-elasticsearch\n"}));
  Outcome ref = Apply();
  ExpectFailure(ref);
  EXPECT_THAT(ref.err, AllOf(HasSubstr("secondary-elasticsearch"), HasSubstr("main-elasticsearch"),
                             HasSubstr("billing"), HasSubstr("ref_id")))
      << Show(ref);
  ExpectUnchanged(before, "unknown ref_id");

  // The correct topology finds everything as the good apply left it.
  WriteTopology(Topology());
  ExpectNoChanges();
  Outcome destroy = Destroy();
  EXPECT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNoSecretLeaked();
}

}  // namespace
}  // namespace crosslink::e2e
