// Seed 003 (issues #5 and #6): an Elastic Cloud Hosted deployment
// (analytics) connecting to a self-managed cluster (onprem, one node of the
// sandbox's installation, local delivery with its bin/restart;
// sandbox/configs/ech-to-self.yaml), with the shipped crosslink:
//   - API key model: onprem's remote cluster server with a CA and a
//     certificate crosslink generates, that CA trusted by analytics (a
//     `direct` trusted environment of type proxy), the key in analytics'
//     keystore;
//   - certificate model: analytics trusts onprem's transport CA for
//     onprem's node names (a generic `direct` entry), onprem trusts the
//     deployment's CA (crosslink/transport-ca.crt, the install's own
//     truststore taken over) restricted to the deployment's recommended
//     pattern and onprem's own nodes (trust_restrictions).
// Each: plan, apply, connected, empty re-plan, destroy giving onprem's
// elasticsearch.yml its original bytes and the deployment its own trust
// and keystore back (a user's entries seeded first stay untouched).
//
// The node's bin/elasticsearch-keystore execs this test binary: its main()
// is self_main.cc (see self_tests.cmake).

#include "tests/e2e/self_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kDisabled[] = "#crosslink-disabled# ";

class Seed003Test : public SelfTest {
 protected:
  void SetUp() override { StartCloudSandbox("ech-to-self.yaml", /*ec_api_key=*/true); }

  std::string Topology(const std::string& connections) {
    return TopologyHead(CloudEnvironment("cloud", "ech")) + DeploymentCluster("analytics") +
           SelfCluster("onprem") + "connections:\n" + connections;
  }

  std::string Home() { return Homes("onprem").front(); }

  // What destroy must leave on both sides.
  void ExpectNothingOfCrosslinksLeft(const UserEntries& user,
                                     const std::vector<NodeSnapshot>& onprem) {
    ExpectNodesAsBefore(onprem);
    ExpectNodesRunning("onprem");
    EXPECT_FALSE(SelfInspect("onprem")["listeners"].contains("rcs"));
    EXPECT_THAT(ActiveCrosslinkKeys("onprem"), IsEmpty());
    EXPECT_THAT(RemoteCredentialSettings("cloud", "analytics"), IsEmpty());
    EXPECT_THAT(CrosslinkTrustEntries("cloud", "analytics"), IsEmpty());
    ExpectUserEntriesIntact(user);
    EXPECT_THAT(Persistent("analytics"), Not(HasSubstr("onprem")));
    EXPECT_TRUE(sandbox_->FindTwin("onprem")->config().transport_trust_restrictions.empty());
  }
};

TEST_F(Seed003Test, ApiKeyModelPlanApplyDestroy) {
  const UserEntries user = SeedUserEntries("cloud", "analytics");
  const std::vector<NodeSnapshot> onprem = SnapshotNodes("onprem");
  WriteTopology(Topology(R"(  - local: analytics
    remote: onprem
    alias: onprem
    access: { search: [ { names: ["logs-*"] } ] }
)"));
  Outcome plan = SavePlan("create.plan");
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"self_rcs_certificate.onprem", "self_remote_cluster_server.onprem",
                       "es_cross_cluster_api_key.analytics.onprem",
                       "ec_trust_api_key_ca.analytics.self.onprem",
                       "ec_keystore_credential.analytics.onprem", "es_remote_cluster.analytics.onprem"});

  Outcome apply = Crosslink({"apply", "-auto-approve", Path("create.plan")});
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberKeystoreValues("analytics");
  RememberNodeSecrets("onprem");
  EXPECT_TRUE(Connected("analytics", "onprem", /*api_key_model=*/true));
  ExpectNodesRunning("onprem");

  // onprem serves the generated certificate on 9443; analytics trusts
  // exactly its CA, as a "proxy" trusted environment.
  EXPECT_TRUE(SelfInspect("onprem")["listeners"].contains("rcs"));
  const std::string rcs_ca = RcsCaPem(Home());
  ASSERT_FALSE(rcs_ca.empty());
  std::vector<Value> proxy_entries;
  for (const Value& entry : Trust("cloud", "analytics").value("direct", Value::array())) {
    if (entry.value("name", "").rfind("crosslink-", 0) == 0) proxy_entries.push_back(entry);
  }
  ASSERT_EQ(proxy_entries.size(), 1u) << Trust("cloud", "analytics").dump();
  const Value& entry = proxy_entries.front();
  EXPECT_EQ(entry.value("type", ""), "proxy") << entry.dump();
  ASSERT_EQ(entry.value("certificates", Value::array()).size(), 1u) << entry.dump();
  EXPECT_EQ(pki::SplitPemCertificates(entry["certificates"][0].value("pem", "")),
            pki::SplitPemCertificates(rcs_ca));
  EXPECT_THAT(RemoteCredentialSettings("cloud", "analytics"),
              Contains("cluster.remote.onprem.credentials"));
  EXPECT_THAT(ActiveCrosslinkKeys("onprem"), Contains("crosslink-analytics-onprem"));
  EXPECT_THAT(Yml(Home()), HasSubstr("remote_cluster_server.enabled"));

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(user, onprem);
  ExpectNoSecretLeaked();
}

TEST_F(Seed003Test, CertificateModelPlanApplyDestroy) {
  const UserEntries user = SeedUserEntries("cloud", "analytics");
  const std::vector<NodeSnapshot> onprem = SnapshotNodes("onprem");
  WriteTopology(Topology(
      "  - { local: analytics, remote: onprem, alias: onprem-tls, security: certificate }\n"));
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"ec_trust_direct.analytics.self.onprem", "self_transport_trust.onprem",
                       "self_trust_restrictions.onprem", "es_remote_cluster.analytics.onprem-tls"});
  EXPECT_THAT(plan.out, HasSubstr("self_transport_ca.onprem will be read"));
  EXPECT_THAT(plan.out, HasSubstr("ec_certificate_authority.analytics will be read"));

  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberNodeSecrets("onprem");
  EXPECT_TRUE(Connected("analytics", "onprem-tls", /*api_key_model=*/false));
  ExpectNodesRunning("onprem");

  // analytics: onprem's transport CA, for onprem's node names (the otherName
  // of the install's transport certificate).
  const std::string own_ca =
      pki::SplitPemCertificates(ReadText(Home() + "/config/certs/transport_ca.crt")).front();
  std::vector<Value> direct;
  for (const Value& entry : Trust("cloud", "analytics").value("direct", Value::array())) {
    if (entry.value("name", "").rfind("crosslink-", 0) == 0) direct.push_back(entry);
  }
  ASSERT_EQ(direct.size(), 1u) << Trust("cloud", "analytics").dump();
  EXPECT_EQ(direct[0].value("type", ""), "generic") << direct[0].dump();
  ASSERT_EQ(direct[0].value("certificates", Value::array()).size(), 1u) << direct[0].dump();
  EXPECT_EQ(pki::SplitPemCertificates(direct[0]["certificates"][0].value("pem", "")).front(),
            own_ca);
  EXPECT_THAT(direct[0].dump(), HasSubstr("node-0.onprem.self.localhost"));

  // onprem: its own CA and the deployment's in one file, the install's
  // truststore line disabled, the trust restricted to the deployment's
  // recommended pattern and onprem's own nodes.
  Reply ca =
      Cloud("cloud", "GET", "/deployments/" + DeploymentId("analytics") + "/certificate-authority");
  ASSERT_EQ(ca.status, 200) << ca.body;
  const std::string restriction = ca.json.value("recommended_trust_restriction", "");
  ASSERT_FALSE(restriction.empty()) << ca.body;
  const std::string ech_ca =
      pki::SplitPemCertificates(ca.json["public_certificates"][0].value("pem", "")).front();
  EXPECT_THAT(pki::SplitPemCertificates(CrosslinkFile(Home(), "transport-ca.crt")),
              ElementsAreArray({own_ca, ech_ca}));
  const std::string yml = Yml(Home());
  EXPECT_THAT(yml, HasSubstr(std::string(kDisabled) + "  truststore.path: certs/transport.p12"));
  EXPECT_THAT(yml, HasSubstr("xpack.security.transport.ssl.trust_restrictions.path"));
  const auto effective = sandbox_->FindTwin("onprem")->config().transport_trust_restrictions;
  EXPECT_THAT(effective, Contains(restriction));
  EXPECT_THAT(effective, Contains("node-0.onprem.self.localhost"));

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(user, onprem);
  ExpectNoSecretLeaked();
}

// The documented example is valid as shipped and expands both models.
TEST_F(Seed003Test, DocumentedExampleIsValid) {
  const std::string path = std::string(CROSSLINK_SOURCE_DIR) + "/examples/ech-to-self.yaml";
  Outcome example = Crosslink({"validate", "-f", path});
  EXPECT_EQ(example.code, 0) << Show(example);
  Outcome graph = Crosslink({"graph", "-f", path});
  ASSERT_EQ(graph.code, 0) << Show(graph);
  for (const char* address :
       {"self_rcs_certificate.onprem", "self_remote_cluster_server.onprem",
        "ec_trust_api_key_ca.analytics.self.onprem", "ec_keystore_credential.analytics.onprem",
        "self_transport_ca.onprem", "ec_trust_direct.analytics.self.onprem",
        "self_transport_trust.onprem", "self_trust_restrictions.onprem"}) {
    EXPECT_THAT(graph.out, HasSubstr(std::string("\"") + address + "\"")) << address;
  }
}

}  // namespace
}  // namespace crosslink::e2e
