// Seed 004 (issue #5): an Elastic Cloud Hosted deployment (analytics) and an
// ECK cluster (default/quickstart) connected both ways by the shipped
// crosslink (sandbox/configs/ech-eck.yaml), with the API key model and with
// the certificate model: plan, apply, connected, empty re-plan, destroy
// leaving nothing of crosslink's and the user's own keystore entry and
// trusted environment untouched, no secret in any output.

#include <algorithm>

#include "providers/eck/kube.h"
#include "tests/e2e/cloud_fixture.h"

namespace crosslink::e2e {
namespace {

using providers::eck::Kind;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kNamespace[] = "default";

class Seed004Test : public CloudTest {
 protected:
  // EC_API_KEY: the ech default, ${env:EC_API_KEY}.
  void SetUp() override { StartCloudSandbox("ech-eck.yaml", /*ec_api_key=*/true); }

  // Both clusters as a user writes them (Cloud endpoint and CA of the
  // sandbox), then `connections`.
  std::string Topology(const std::string& connections) {
    return TopologyHead(EckEnvironment("k8s") + CloudEnvironment("cloud", "ech")) +
           "  quickstart: { environment: k8s, namespace: default, version: \"8.17.0\" }\n" +
           DeploymentCluster("analytics") + "connections:\n" + connections;
  }

  // The ECK cluster's transport CA (what the deployment must trust).
  std::string EckTransportCa() {
    auto secret =
        GetObject("k8s", Kind::Secret(), kNamespace, "quickstart-es-transport-certs-public");
    EXPECT_TRUE(secret.ok()) << secret.status().ToString();
    if (!secret.ok()) return "";
    return providers::eck::SecretValue(*secret, "ca.crt").value_or("");
  }

  // What destroy must leave: no key, keystore entry, trust entry, object or
  // setting of crosslink's; the user's entries as they were.
  void ExpectNothingOfCrosslinksLeft(const UserEntries& user) {
    EXPECT_THAT(ActiveCrosslinkKeys("quickstart"), IsEmpty());
    EXPECT_THAT(ActiveCrosslinkKeys("analytics"), IsEmpty());
    EXPECT_THAT(RemoteCredentialSettings("cloud", "analytics"), IsEmpty());
    EXPECT_THAT(CrosslinkTrustEntries("cloud", "analytics"), IsEmpty());
    ExpectUserEntriesIntact(user);
    EXPECT_THAT(CrosslinkObjects("k8s", kNamespace), IsEmpty());
    const std::string spec = Elasticsearch("k8s", kNamespace, "quickstart")["spec"].dump();
    EXPECT_THAT(spec, Not(HasSubstr("crosslink"))) << spec;
    EXPECT_THAT(Persistent("analytics"), Not(HasSubstr("quickstart")));
    EXPECT_THAT(Persistent("quickstart"), Not(HasSubstr("analytics")));
  }
};

// API key model: analytics -> quickstart (the ECK CA trusted as a "proxy"
// trusted environment, the key in the deployment keystore) and
// quickstart -> analytics (the key in a secureSettings Secret, no CA: the
// Cloud proxy is publicly trusted).
TEST_F(Seed004Test, ApiKeyModelBothWays) {
  const UserEntries user = SeedUserEntries("cloud", "analytics");
  WriteTopology(Topology(R"(  - local: analytics
    remote: quickstart
    alias: quickstart
    access: { search: [ { names: ["logs-*"] } ] }
  - local: quickstart
    remote: analytics
    alias: analytics
    access: { search: [ { names: ["analytics-*"] } ], replication: [ { names: ["orders"] } ] }
)"));
  Outcome plan = SavePlan("create.plan");
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(
      plan,
      {"eck_remote_cluster_server.quickstart", "eck_remote_cluster_service.quickstart",
       "es_cross_cluster_api_key.analytics.quickstart",
       "ec_trust_api_key_ca.analytics.eck.quickstart",
       "ec_keystore_credential.analytics.quickstart", "es_remote_cluster.analytics.quickstart",
       "es_cross_cluster_api_key.quickstart.analytics",
       "eck_remote_credential.quickstart.analytics", "es_remote_cluster.quickstart.analytics"});
  EXPECT_THAT(plan.out, HasSubstr("ec_deployment.analytics will be read"));
  EXPECT_THAT(plan.out, HasSubstr("eck_transport_ca.quickstart will be read"));
  EXPECT_THAT(plan.out, Not(HasSubstr("ec_restart")));  // 8.17 reloads the keystore itself

  Outcome apply = Crosslink({"apply", "-auto-approve", Path("create.plan")});
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberKeystoreValues("analytics");
  RememberSecretData("k8s", kNamespace, "quickstart-crosslink-remote-analytics");
  EXPECT_TRUE(Connected("analytics", "quickstart", /*api_key_model=*/true));
  EXPECT_TRUE(Connected("quickstart", "analytics", /*api_key_model=*/true));

  // The ECK CA, trusted by the deployment for the remote cluster server.
  const Value ca_entry = DirectEntry("cloud", "analytics", "crosslink-rcs-eck-quickstart");
  ASSERT_FALSE(ca_entry.is_null()) << Trust("cloud", "analytics").dump();
  EXPECT_EQ(ca_entry.value("type", ""), "proxy");
  EXPECT_FALSE(ca_entry.value("trust_all", true));
  ASSERT_EQ(ca_entry.value("certificates", Value::array()).size(), 1u) << ca_entry.dump();
  EXPECT_EQ(ca_entry["certificates"][0].value("pem", ""), EckTransportCa());
  EXPECT_THAT(RemoteCredentialSettings("cloud", "analytics"),
              Contains("cluster.remote.quickstart.credentials"));
  EXPECT_THAT(ActiveCrosslinkKeys("quickstart"), Contains("crosslink-analytics-quickstart"));
  EXPECT_THAT(ActiveCrosslinkKeys("analytics"), Contains("crosslink-quickstart-analytics"));

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(user);
  ExpectNoSecretLeaked();
}

// Certificate model: mutual trust. The deployment trusts the ECK transport
// CA for scope default.es.local; quickstart trusts the deployment's CA with
// a trust.yml whose ECK line is the corrected pattern of the guide.
TEST_F(Seed004Test, CertificateModelBothWays) {
  const UserEntries user = SeedUserEntries("cloud", "analytics");
  WriteTopology(Topology(
      R"(  - { local: analytics, remote: quickstart, alias: quickstart, security: certificate }
  - { local: quickstart, remote: analytics, alias: analytics, security: certificate }
)"));
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"ec_trust_direct.analytics.eck.quickstart", "eck_cloud_trust.quickstart",
                       "eck_transport_service.quickstart", "es_remote_cluster.analytics.quickstart",
                       "es_remote_cluster.quickstart.analytics"});
  EXPECT_THAT(plan.out, HasSubstr("ec_certificate_authority.analytics will be read"));

  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  EXPECT_TRUE(Connected("analytics", "quickstart", /*api_key_model=*/false));
  EXPECT_TRUE(Connected("quickstart", "analytics", /*api_key_model=*/false));

  // ECH side: a generic trusted environment for the ECK CA, scope <ns>.es.local.
  const Value direct = DirectEntry("cloud", "analytics", "crosslink-eck-quickstart");
  ASSERT_FALSE(direct.is_null()) << Trust("cloud", "analytics").dump();
  EXPECT_EQ(direct.value("type", ""), "generic");
  EXPECT_EQ(direct.value("scope_id", ""), "default.es.local");
  EXPECT_TRUE(direct.value("trust_all", false));
  ASSERT_EQ(direct.value("certificates", Value::array()).size(), 1u) << direct.dump();
  EXPECT_EQ(direct["certificates"][0].value("pem", ""), EckTransportCa());

  // ECK side: the deployment's CA and trust.yml, exactly. The ECK line is
  // *.node.<name>.<namespace>.es.local, never the console's
  // *.node.*.cluster.<namespace>.es.local.account (seed 004's warning).
  Reply ca =
      Cloud("cloud", "GET", "/deployments/" + DeploymentId("analytics") + "/certificate-authority");
  ASSERT_EQ(ca.status, 200) << ca.body;
  const std::string restriction = ca.json.value("recommended_trust_restriction", "");
  ASSERT_FALSE(restriction.empty()) << ca.body;
  auto trust_map = GetObject("k8s", Kind::ConfigMap(), kNamespace, "quickstart-crosslink-trust");
  ASSERT_TRUE(trust_map.ok()) << trust_map.status().ToString();
  const std::string trust_yml = (*trust_map)["data"].value("trust.yml", "");
  EXPECT_EQ(trust_yml,
            "trust.subject_name:\n"
            "  - \"*.node.quickstart.default.es.local\"\n"
            "  - \"" +
                restriction + "\"\n");
  EXPECT_THAT(trust_yml, Not(HasSubstr(".es.local.account")));
  const auto effective = sandbox_->FindTwin("quickstart")->config().transport_trust_restrictions;
  EXPECT_THAT(effective, Contains("*.node.quickstart.default.es.local"));
  EXPECT_THAT(effective, Contains(restriction));
  auto ca_secret = GetObject("k8s", Kind::Secret(), kNamespace, "quickstart-crosslink-cloud-ca");
  ASSERT_TRUE(ca_secret.ok()) << ca_secret.status().ToString();
  const std::string ech_ca = ca.json["public_certificates"][0].value("pem", "");
  EXPECT_THAT(providers::eck::SecretValue(*ca_secret, "ca.crt").value_or(""), HasSubstr(ech_ca));

  // The Cloud facts a self-managed peer needs too (seed 003), as outputs in
  // the state: the deployment's CA, its recommended restriction, addresses.
  Outcome authority = Crosslink(
      {"state", "show", "-f", Path("topology.yaml"), "ec_certificate_authority.analytics"});
  ASSERT_EQ(authority.code, 0) << Show(authority);
  EXPECT_THAT(authority.out, HasSubstr(restriction));
  EXPECT_THAT(authority.out, HasSubstr(ech_ca.substr(ech_ca.find('\n') + 1, 60)));  // PEM body
  const Value es = EsResource("cloud", "analytics");
  const std::string endpoint = es["info"]["metadata"].value("endpoint", "");
  ASSERT_FALSE(endpoint.empty()) << es.dump();
  Outcome deployment =
      Crosslink({"state", "show", "-f", Path("topology.yaml"), "ec_deployment.analytics"});
  ASSERT_EQ(deployment.code, 0) << Show(deployment);
  EXPECT_THAT(deployment.out, HasSubstr(endpoint + ":9443"));
  EXPECT_THAT(deployment.out, HasSubstr(endpoint + ":9400"));
  EXPECT_THAT(deployment.out, HasSubstr(es.value("id", "no cluster id")));
  EXPECT_THAT(Persistent("quickstart"), HasSubstr(endpoint + ":9400"));

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(user);
  auto gone = GetObject("k8s", Kind::ConfigMap(), kNamespace, "quickstart-crosslink-trust");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();
  ExpectNoSecretLeaked();
}

// Both models between the same pair (a migration from certificates to API
// keys keeps both for a while): the ECK CA is trusted twice on analytics,
// as a "proxy" trusted environment (remote cluster server) and as a
// "generic" one (transport); each resource keeps its own entry.
TEST_F(Seed004Test, BothModelsSideBySide) {
  const UserEntries user = SeedUserEntries("cloud", "analytics");
  WriteTopology(Topology(R"(  - local: analytics
    remote: quickstart
    alias: quickstart
    access: { search: [ { names: ["logs-*"] } ] }
  - { local: analytics, remote: quickstart, alias: quickstart-tls, security: certificate }
)"));
  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberKeystoreValues("analytics");
  EXPECT_TRUE(Connected("analytics", "quickstart", /*api_key_model=*/true));
  EXPECT_TRUE(Connected("analytics", "quickstart-tls", /*api_key_model=*/false));
  std::vector<std::string> types;
  for (const Value& entry : Trust("cloud", "analytics").value("direct", Value::array())) {
    if (entry.value("name", "").rfind("crosslink-", 0) == 0)
      types.push_back(entry.value("type", ""));
  }
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"generic", "proxy"}))
      << Trust("cloud", "analytics").dump();

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(user);
  ExpectNoSecretLeaked();
}

// The documented example plans against the sandbox as shipped, with
// sandbox.env sourced (its ${env:...} endpoint, CA files, kubeconfig).
// examples_test.cc runs the whole cycle.
TEST_F(Seed004Test, DocumentedExamplePlansAgainstTheSandbox) {
  WriteTopology(ReadText(std::string(CROSSLINK_SOURCE_DIR) + "/examples/ech-eck.yaml"));
  SourceSandboxEnv();
  Outcome validate = Crosslink(Args({"validate"}));
  EXPECT_EQ(validate.code, 0) << Show(validate);
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"es_cross_cluster_api_key.analytics.quickstart",
                       "ec_keystore_credential.analytics.quickstart",
                       "eck_remote_credential.quickstart.analytics"});
  ExpectNoSecretLeaked();
}

}  // namespace
}  // namespace crosslink::e2e
