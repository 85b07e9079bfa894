// Seed 001 (issue #6): a self-managed cluster (search, two nodes, local
// delivery with their bin/restart) connecting to an ECK cluster
// (observability/logs) in a Kubernetes cluster it does not run in
// (sandbox/configs/self-to-eck.yaml), with the API key model (ECK's CA trusted
// by search's remote-cluster client, the LoadBalancer address and
// server_name logs-es-remote-cluster.observability.svc) and with the
// certificate model (mutual transport trust, logs' transport exposed):
// plan, apply, connected, empty re-plan, destroy giving every node's
// elasticsearch.yml its original bytes back and leaving nothing of
// crosslink's on the ECK side; no secret in any output.

#include "providers/eck/kube.h"
#include "tests/e2e/self_fixture.h"

namespace crosslink::e2e {
namespace {

using providers::eck::Kind;
using ::testing::Contains;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kNamespace[] = "observability";
constexpr char kDisabled[] = "#crosslink-disabled# ";

class Seed001Test : public SelfTest {
 protected:
  void SetUp() override { StartCloudSandbox("self-to-eck.yaml", /*ec_api_key=*/false); }

  std::string Topology(const std::string& connections) {
    return TopologyHead(EckEnvironment("k8s")) + SelfCluster("search") +
           "  logs: { environment: k8s, namespace: observability, version: \"8.17.0\" }\n" +
           "connections:\n" + connections;
  }

  // logs' transport CA (what search's nodes must trust, both models).
  std::string EckTransportCa() {
    auto secret = GetObject("k8s", Kind::Secret(), kNamespace, "logs-es-transport-certs-public");
    EXPECT_TRUE(secret.ok()) << secret.status().ToString();
    if (!secret.ok()) return "";
    return providers::eck::SecretValue(*secret, "ca.crt").value_or("");
  }

  std::string Spec() { return Elasticsearch("k8s", kNamespace, "logs")["spec"].dump(); }

  // What destroy must leave on the ECK side: logs' spec as it was before
  // the first run (`spec_before`), no key, object or setting of crosslink's.
  void ExpectNothingOfCrosslinksOnEck(const std::string& spec_before) {
    EXPECT_EQ(Spec(), spec_before) << "logs' spec differs from before the first run";
    EXPECT_THAT(ActiveCrosslinkKeys("logs"), IsEmpty());
    EXPECT_THAT(CrosslinkObjects("k8s", kNamespace), IsEmpty());
    const Value spec = Elasticsearch("k8s", kNamespace, "logs")["spec"];
    EXPECT_THAT(spec.dump(), Not(HasSubstr("crosslink"))) << spec.dump();
    EXPECT_FALSE(spec.value("remoteClusterServer", Value::object()).value("enabled", false))
        << spec.dump();
    EXPECT_THAT(Persistent("logs"), Not(HasSubstr("cluster.remote")));
  }
};

TEST_F(Seed001Test, ApiKeyModelPlanApplyDestroy) {
  const std::vector<NodeSnapshot> before = SnapshotNodes("search");
  ASSERT_EQ(before.size(), 2u);
  const std::string spec_before = Spec();
  WriteTopology(Topology(R"(  - local: search
    remote: logs
    alias: logs
    access: { search: [ { names: ["logs-*"] } ] }
)"));
  Outcome plan = SavePlan("create.plan");
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"eck_remote_cluster_server.logs", "eck_remote_cluster_service.logs",
                       "es_cross_cluster_api_key.search.logs", "self_client_tls.search",
                       "self_keystore_credential.search.logs", "self_reload.search",
                       "es_remote_cluster.search.logs"});
  EXPECT_THAT(plan.out, HasSubstr("eck_transport_ca.logs will be read"));
  EXPECT_THAT(plan.out, ContainsRegex("will restart: .*search \\(once"));

  const std::map<std::string, int> starts = Starts("search");
  Outcome apply = Crosslink({"apply", "-auto-approve", Path("create.plan")});
  ASSERT_EQ(apply.code, 0) << Show(apply);
  // One rolling restart: each node restarted once for the client TLS; the
  // credential needed only the reload.
  for (const auto& [node, count] : Starts("search")) {
    EXPECT_EQ(count - starts.at(node), 1) << node;
  }
  RememberNodeSecrets("search");
  EXPECT_TRUE(Connected("search", "logs", /*api_key_model=*/true));
  ExpectNodesRunning("search");

  // Every node: ECK's CA in crosslink's CA file, the client TLS setting in
  // the managed block, the encoded key in the keystore.
  const std::string eck_ca = EckTransportCa();
  ASSERT_FALSE(eck_ca.empty());
  for (const std::string& home : Homes("search")) {
    SCOPED_TRACE(home);
    EXPECT_THAT(pki::SplitPemCertificates(CrosslinkFile(home, "remote-cluster-ca.crt")),
                Contains(pki::SplitPemCertificates(eck_ca).front()));
    EXPECT_THAT(Yml(home), HasSubstr("xpack.security.remote_cluster_client.ssl.certificate_authorities"));
    EXPECT_THAT(KeystoreNames(home), Contains("cluster.remote.logs.credentials"));
  }
  // The LoadBalancer address and the server_name of ECK's remote cluster
  // server certificate.
  EXPECT_THAT(Persistent("search"), HasSubstr("logs-es-remote-cluster.observability.svc"));
  EXPECT_THAT(ActiveCrosslinkKeys("logs"), Contains("crosslink-search-logs"));
  EXPECT_THAT(Spec(), HasSubstr("remoteClusterServer"));

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNodesAsBefore(before);
  ExpectNodesRunning("search");
  ExpectNoRemoteSettings("search", "logs");
  ExpectNothingOfCrosslinksOnEck(spec_before);
  ExpectNoSecretLeaked();
}

TEST_F(Seed001Test, CertificateModelPlanApplyDestroy) {
  const std::vector<NodeSnapshot> before = SnapshotNodes("search");
  const std::string spec_before = Spec();
  WriteTopology(Topology("  - { local: search, remote: logs, alias: logs, security: certificate }\n"));
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"self_transport_trust.search", "eck_transport_trust.logs",
                       "eck_transport_service.logs", "es_remote_cluster.search.logs"});
  EXPECT_THAT(plan.out, HasSubstr("self_transport_ca.search will be read"));
  EXPECT_THAT(plan.out, HasSubstr("eck_transport_ca.logs will be read"));

  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberNodeSecrets("search");
  EXPECT_TRUE(Connected("search", "logs", /*api_key_model=*/false));
  ExpectNodesRunning("search");

  // search's nodes: one CA file with their own transport CA and logs', the
  // install's truststore line disabled (Elasticsearch refuses both).
  const std::string eck_ca = pki::SplitPemCertificates(EckTransportCa()).front();
  for (const std::string& home : Homes("search")) {
    SCOPED_TRACE(home);
    const std::vector<std::string> trusted =
        pki::SplitPemCertificates(CrosslinkFile(home, "transport-ca.crt"));
    EXPECT_THAT(trusted, Contains(eck_ca));
    EXPECT_THAT(trusted, Contains(pki::SplitPemCertificates(
                             ReadText(home + "/config/certs/transport_ca.crt")).front()));
    EXPECT_THAT(Yml(home), HasSubstr(std::string(kDisabled) + "  truststore.path: certs/transport.p12"));
    EXPECT_THAT(Yml(home), HasSubstr("crosslink/transport-ca.crt"));
  }
  EXPECT_THAT(sandbox_->FindTwin("search")->config().transport_ca_pems, Contains(eck_ca));
  // logs: search's transport CA trusted (a ConfigMap of crosslink's in
  // spec.transport.tls.certificateAuthorities), the transport exposed
  // through a LoadBalancer that search dials with logs' transport name.
  auto trust = GetObject("k8s", Kind::ConfigMap(), kNamespace, "logs-crosslink-transport-ca");
  ASSERT_TRUE(trust.ok()) << trust.status().ToString();
  const std::string search_ca =
      pki::SplitPemCertificates(ReadText(Homes("search")[0] + "/config/certs/transport_ca.crt")).front();
  EXPECT_THAT(pki::SplitPemCertificates((*trust)["data"].value("ca.crt", "")), Contains(search_ca));
  const Value spec = Elasticsearch("k8s", kNamespace, "logs")["spec"];
  EXPECT_THAT(spec.dump(), HasSubstr("logs-crosslink-transport-ca"));
  EXPECT_EQ(spec.value("transport", Value::object())
                .value("service", Value::object())
                .value("spec", Value::object())
                .value("type", ""),
            "LoadBalancer")
      << spec.dump();
  EXPECT_THAT(Persistent("search"), HasSubstr("logs-es-transport.observability.svc"));

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNodesAsBefore(before);
  ExpectNodesRunning("search");
  ExpectNoRemoteSettings("search", "logs");
  ExpectNothingOfCrosslinksOnEck(spec_before);
  ExpectNoSecretLeaked();
}

// The documented example as shipped: valid without any environment, and with
// sandbox.env sourced (its ${env:...} url, CA, homes, restart commands) it
// plans, reading both nodes' transport TLS. examples_test.cc runs the cycle.
TEST_F(Seed001Test, DocumentedExamplePlansAgainstTheSandbox) {
  const std::string path = std::string(CROSSLINK_SOURCE_DIR) + "/examples/self-to-eck.yaml";
  Outcome validate = Crosslink({"validate", "-f", path});
  ASSERT_EQ(validate.code, 0) << Show(validate);

  const std::vector<NodeSnapshot> before = SnapshotNodes("search");
  WriteTopology(ReadText(path));
  SourceSandboxEnv();
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"es_cross_cluster_api_key.search.logs", "self_client_tls.search",
                       "self_transport_trust.search", "es_remote_cluster.search.logs-tls"});
  ExpectNodesAsBefore(before);  // a plan changes nothing
  ExpectNoSecretLeaked();
}

}  // namespace
}  // namespace crosslink::e2e
