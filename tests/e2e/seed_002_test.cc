// Seed 002 (issue #4): two ECK clusters under the SAME operator
// (sandbox/configs/eck-same-operator.yaml), connected by the shipped crosslink with
// the API key model (ECK.SAME.APIKEY) and the certificate model
// (ECK.SAME.TLS): plan, apply, connected, empty re-plan, in-place update,
// destroy leaving nothing of crosslink's, and no secret in any output.

#include <algorithm>

#include "tests/e2e/crosslink_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kKeyName[] = "eck-ns1-cluster1-cluster2";  // named by the operator

class Seed002Test : public CrosslinkTest {
 protected:
  void SetUp() override { StartSandboxConfig("eck-same-operator.yaml"); }

  // The topology as a user writes it, with the sandbox's kubeconfig.
  std::string Topology(const std::string& connection) {
    return Fill(R"(version: 1
environments:
  k8s:
    platform: eck
    kubeconfig: @KUBECONFIG@
    context: @CONTEXT@
clusters:
  cluster1: { environment: k8s, namespace: ns1, version: "8.17.0" }
  cluster2: { environment: k8s, namespace: ns2, version: "8.17.0" }
connections:
  - local: cluster1
    remote: cluster2
    alias: cluster2
)",
                {{"KUBECONFIG", Env("K8S_KUBECONFIG")}, {"CONTEXT", Env("K8S_CONTEXT")}}) +
           connection;
  }

  Value RemoteClusters() {
    return Elasticsearch("k8s", "ns1", "cluster1")["spec"].value("remoteClusters", Value::array());
  }

  // After destroy: no remoteClusters entry, no remote cluster server enabled
  // by crosslink, no crosslink object, the alias gone from cluster1.
  void ExpectNothingLeft() {
    EXPECT_THAT(RemoteClusters(), IsEmpty());
    Value server = Elasticsearch("k8s", "ns2", "cluster2")["spec"].value("remoteClusterServer",
                                                                         Value::object());
    EXPECT_FALSE(server.value("enabled", false)) << server.dump();
    EXPECT_THAT(CrosslinkObjects("k8s", "ns1"), IsEmpty());
    EXPECT_THAT(CrosslinkObjects("k8s", "ns2"), IsEmpty());
    Value info;
    EXPECT_TRUE(Eventually([&] {
      info = Es("cluster1", "GET", "/_remote/info").json;
      return !info.contains("cluster2");
    })) << info.dump();
    // The operator drops its keystore Secret once it holds no key.
    EXPECT_TRUE(Eventually([&] {
      return GetObject("k8s", providers::eck::Kind::Secret(), "ns1", "cluster1-es-remote-api-keys")
                 .status()
                 .code() == StatusCode::kNotFound;
    }));
  }
};

TEST_F(Seed002Test, ApiKeyModelPlanApplyUpdateDestroy) {
  WriteTopology(
      Topology("    access:\n"
               "      search: [ { names: [\"kibana_sample_data_ecommerce\"] } ]\n"));
  Outcome plan = SavePlan("create.plan");
  ASSERT_EQ(plan.code, 2) << Show(plan);
  EXPECT_THAT(plan.out, HasSubstr("eck_remote_cluster_server.cluster2 will be created"));
  EXPECT_THAT(plan.out, HasSubstr("eck_same_operator_remote.cluster1.cluster2 will be created"));
  EXPECT_THAT(plan.out, HasSubstr("kibana_sample_data_ecommerce"));
  EXPECT_THAT(plan.out, HasSubstr("0 to change, 0 to destroy"));

  EXPECT_THAT(plan.out, HasSubstr("These clusters will restart: cluster1 (once), cluster2 (once)"));
  const int restarts1 = Restarts("cluster1"), restarts2 = Restarts("cluster2");

  Outcome apply = Crosslink({"apply", "-auto-approve", Path("create.plan")});
  ASSERT_EQ(apply.code, 0) << Show(apply);
  EXPECT_TRUE(Connected("cluster1", "cluster2", /*api_key_model=*/true));
  // cluster2 restarts to enable its server, cluster1 to load the operator's key.
  EXPECT_EQ(Restarts("cluster2") - restarts2, 1);
  EXPECT_EQ(Restarts("cluster1") - restarts1, 1);
  ASSERT_EQ(RemoteClusters().size(), 1u);
  EXPECT_EQ(RemoteClusters()[0].value("name", ""), "cluster2");
  std::vector<Value> keys = ApiKeys("cluster2", kKeyName);
  ASSERT_EQ(keys.size(), 1u);
  const std::string key_id = keys[0].value("id", "");
  RememberSecretData("k8s", "ns1", "cluster1-es-remote-api-keys");

  Outcome again = Plan();
  EXPECT_EQ(again.code, 0) << Show(again);
  EXPECT_THAT(again.out, HasSubstr("No changes"));

  // A wider access is an in-place update of the remoteClusters entry; the
  // operator updates the same key.
  WriteTopology(
      Topology("    access:\n"
               "      search: [ { names: [\"kibana_sample_data_ecommerce\", \"logs-*\"] } ]\n"
               "      replication: [ { names: [\"orders\"] } ]\n"));
  Outcome update = SavePlan("update.plan");
  ASSERT_EQ(update.code, 2) << Show(update);
  EXPECT_THAT(update.out,
              HasSubstr("eck_same_operator_remote.cluster1.cluster2 will be updated in-place"));
  EXPECT_THAT(update.out, HasSubstr("0 to add, 1 to change, 0 to destroy"));
  Outcome updated = Crosslink({"apply", "-auto-approve", Path("update.plan")});
  ASSERT_EQ(updated.code, 0) << Show(updated);
  EXPECT_TRUE(Connected("cluster1", "cluster2", true));
  EXPECT_TRUE(Eventually([&] {
    keys = ApiKeys("cluster2", kKeyName);
    return keys.size() == 1 && keys[0]["access"].dump().find("orders") != std::string::npos;
  })) << Value(keys).dump();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].value("id", ""), key_id);
  EXPECT_EQ(Plan().code, 0);

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingLeft();
  EXPECT_TRUE(Eventually([&] {
    keys = ApiKeys("cluster2", kKeyName);
    return !keys.empty() && std::all_of(keys.begin(), keys.end(), [](const Value& key) {
      return key.value("invalidated", false);
    });
  })) << Value(keys).dump();
  EXPECT_EQ(Crosslink({"state", "list", "-f", Path("topology.yaml")}).out, "");
  ExpectNoSecretLeaked();
}

TEST_F(Seed002Test, CertificateModelPlanApplyDestroy) {
  WriteTopology(Topology("    security: certificate\n"));
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  EXPECT_THAT(plan.out, HasSubstr("eck_same_operator_remote.cluster1.cluster2 will be created"));
  EXPECT_THAT(plan.out, Not(HasSubstr("eck_remote_cluster_server")));

  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  EXPECT_TRUE(Connected("cluster1", "cluster2", /*api_key_model=*/false));
  ASSERT_EQ(RemoteClusters().size(), 1u);
  EXPECT_FALSE(RemoteClusters()[0].contains("apiKey")) << RemoteClusters().dump();
  EXPECT_THAT(ApiKeys("cluster2", kKeyName), IsEmpty());

  Outcome again = Plan();
  EXPECT_EQ(again.code, 0) << Show(again);

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingLeft();
  ExpectNoSecretLeaked();
}

// The documented example, as a user runs it: sandbox.env sourced (its
// ${env:...} kubeconfig and context). examples_test.cc runs the whole cycle.
TEST_F(Seed002Test, DocumentedExamplePlansAgainstTheSandbox) {
  const std::string example =
      ReadText(std::string(CROSSLINK_SOURCE_DIR) + "/examples/eck-same-operator.yaml");
  WriteTopology(example);
  SourceSandboxEnv();
  Outcome validate = Crosslink(Args({"validate"}));
  EXPECT_EQ(validate.code, 0) << Show(validate);
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  EXPECT_THAT(plan.out, HasSubstr("eck_same_operator_remote.cluster1.cluster2 will be created"));
  ExpectNoSecretLeaked();

  // The scan itself finds a leak.
  transcript_ += "password: " + Env("CLUSTER2_PASSWORD") + "\n";
  EXPECT_THAT(Leaks(), ::testing::ElementsAre(HasSubstr("appears in the crosslink output")));
}

}  // namespace
}  // namespace crosslink::e2e
