// Self-managed <-> self-managed (issue #6): two clusters of one node each
// (edge, core; sandbox/configs/self-pair.yaml) connected both ways by the
// shipped crosslink, with the API key model (each side's remote cluster
// server with certificates crosslink generates, the other side trusting
// that CA) and with the certificate model (each side's transport trusting
// the other's CA, the install's own truststore taken over and given back);
// then a remote cluster server certificate inside the renewal window:
// re-issued by the same CA, the connection staying up.

#include <functional>

#include "tests/e2e/self_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kDisabled[] = "#crosslink-disabled# ";
constexpr char kEdgeToCore[] = R"(  - local: edge
    remote: core
    alias: core
    access: { search: [ { names: ["logs-*"] } ] }
)";

class SelfPairTest : public SelfTest {
 protected:
  void SetUp() override { StartCloudSandbox("self-pair.yaml", /*ec_api_key=*/false); }

  std::string Topology(const std::string& connections) {
    return "version: 1\nclusters:\n" + SelfCluster("edge") + SelfCluster("core") +
           "connections:\n" + connections;
  }

  std::string Home(const std::string& cluster) { return Homes(cluster).front(); }

  // The first certificate of a PEM file's text ("" when none).
  static std::string FirstCert(const std::string& pem) {
    std::vector<std::string> certs = pki::SplitPemCertificates(pem);
    return certs.empty() ? "" : certs.front();
  }

  std::string OwnTransportCa(const std::string& cluster) {
    return FirstCert(ReadText(Home(cluster) + "/config/certs/transport_ca.crt"));
  }

  // The key type of the remote cluster server certificate crosslink wrote.
  std::optional<pki::KeyType> RcsServerKeyType(const std::string& home) {
    const auto keystore = KeystoreEntries(home);
    auto pw = keystore.find("xpack.security.remote_cluster_server.ssl.keystore.secure_password");
    if (pw == keystore.end()) return std::nullopt;
    auto id = pki::ReadPkcs12(ReadText(home + "/config/crosslink/remote-cluster-server.p12"),
                              Secret(pw->second));
    if (!id.ok()) return std::nullopt;
    auto info = pki::InspectCertificate(id->LeafPem());
    return info.ok() ? info->key_type : std::nullopt;
  }

  bool HasRcsListener(const std::string& cluster) {
    return SelfInspect(cluster)["listeners"].contains("rcs");
  }

  // A re-issue of core's remote cluster server certificate, edge -> core
  // applied first: `change` makes the next plan re-issue it (tuned providers
  // or a new topology); the plan updates it in place by the same CA without
  // touching edge (`check_plan` adds its own expectations); apply keeps the
  // link up with the same CA and edge's trust file unchanged; `check_applied`
  // looks at the result (and undoes any tuning); then no changes, destroy,
  // both clusters as before, no secret leaked.
  void ExpectReissuedInPlace(const std::function<void()>& change,
                             const std::function<void(const Outcome&)>& check_plan,
                             const std::function<void()>& check_applied) {
    const std::vector<NodeSnapshot> edge = SnapshotNodes("edge");
    const std::vector<NodeSnapshot> core = SnapshotNodes("core");
    ASSERT_TRUE(ApplyEdgeToCore());
    const std::string ca_before = RcsCaPem(Home("core"));
    ASSERT_FALSE(ca_before.empty());
    const std::string edge_trust = CrosslinkFile(Home("edge"), "remote-cluster-ca.crt");

    change();
    Outcome plan = Plan();
    ASSERT_EQ(plan.code, 2) << Show(plan);
    EXPECT_THAT(plan.out, HasSubstr("self_rcs_certificate.core will be updated in-place"));
    EXPECT_THAT(plan.out, Not(HasSubstr("self_rcs_certificate.core will be replaced")));
    EXPECT_THAT(plan.out, Not(HasSubstr("self_client_tls.edge will be")));
    check_plan(plan);

    Outcome apply = Apply();
    ASSERT_EQ(apply.code, 0) << Show(apply);
    RememberNodeSecrets("core");
    ExpectNodesRunning("core");
    EXPECT_TRUE(Connected("edge", "core", /*api_key_model=*/true));
    EXPECT_EQ(RcsCaPem(Home("core")), ca_before);
    EXPECT_EQ(CrosslinkFile(Home("edge"), "remote-cluster-ca.crt"), edge_trust);
    check_applied();
    ExpectNoChanges();

    Outcome destroy = Destroy();
    ASSERT_EQ(destroy.code, 0) << Show(destroy);
    ExpectNodesAsBefore(edge);
    ExpectNodesAsBefore(core);
    ExpectNoSecretLeaked();
  }

  // Applies edge -> core (API key model); false when it did not connect.
  bool ApplyEdgeToCore() {
    WriteTopology(Topology(kEdgeToCore));
    Outcome apply = Apply();
    EXPECT_EQ(apply.code, 0) << Show(apply);
    RememberNodeSecrets("edge");
    RememberNodeSecrets("core");
    return apply.code == 0 && Connected("edge", "core", /*api_key_model=*/true);
  }
};

TEST_F(SelfPairTest, ApiKeyModelBothWays) {
  const std::vector<NodeSnapshot> edge = SnapshotNodes("edge");
  const std::vector<NodeSnapshot> core = SnapshotNodes("core");
  WriteTopology(Topology(std::string(kEdgeToCore) + R"(  - local: core
    remote: edge
    alias: edge
    access: { search: [ { names: ["metrics-*"] } ] }
)"));
  Outcome plan = SavePlan("create.plan");
  ASSERT_EQ(plan.code, 2) << Show(plan);
  for (const std::string c : {"edge", "core"}) {
    const std::string other = c == "edge" ? "core" : "edge";
    ExpectCreates(plan, {"self_rcs_certificate." + c, "self_remote_cluster_server." + c,
                         "self_client_tls." + c, "es_cross_cluster_api_key." + c + "." + other,
                         "self_keystore_credential." + c + "." + other, "self_reload." + c,
                         "es_remote_cluster." + c + "." + other});
  }

  Outcome apply = Crosslink({"apply", "-auto-approve", Path("create.plan")});
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberNodeSecrets("edge");
  RememberNodeSecrets("core");
  EXPECT_TRUE(Connected("edge", "core", /*api_key_model=*/true));
  EXPECT_TRUE(Connected("core", "edge", /*api_key_model=*/true));
  ExpectNodesRunning("edge");
  ExpectNodesRunning("core");

  for (const std::string c : {"edge", "core"}) {
    SCOPED_TRACE(c);
    const std::string other = c == "edge" ? "core" : "edge";
    EXPECT_TRUE(HasRcsListener(c));
    // The CA of the other side's server PKCS#12 is what this side trusts.
    const std::string other_ca = FirstCert(RcsCaPem(Home(other)));
    ASSERT_FALSE(other_ca.empty()) << "no remote cluster server PKCS#12 on " << other;
    EXPECT_THAT(pki::SplitPemCertificates(CrosslinkFile(Home(c), "remote-cluster-ca.crt")),
                ElementsAreArray({other_ca}));
    EXPECT_THAT(KeystoreNames(Home(c)), Contains("cluster.remote." + other + ".credentials"));
    EXPECT_THAT(KeystoreNames(Home(c)),
                Contains("xpack.security.remote_cluster_server.ssl.keystore.secure_password"));
    EXPECT_THAT(ActiveCrosslinkKeys(other), Contains("crosslink-" + c + "-" + other));
  }

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNodesAsBefore(edge);
  ExpectNodesAsBefore(core);
  ExpectNodesRunning("edge");
  ExpectNodesRunning("core");
  for (const std::string c : {"edge", "core"}) {
    EXPECT_FALSE(HasRcsListener(c)) << c;
    EXPECT_THAT(ActiveCrosslinkKeys(c), IsEmpty()) << c;
  }
  ExpectNoRemoteSettings("edge", "core");
  ExpectNoRemoteSettings("core", "edge");
  ExpectNoSecretLeaked();
}

TEST_F(SelfPairTest, CertificateModelBothWays) {
  const std::vector<NodeSnapshot> edge = SnapshotNodes("edge");
  const std::vector<NodeSnapshot> core = SnapshotNodes("core");
  WriteTopology(Topology(R"(  - { local: edge, remote: core, alias: core, security: certificate }
  - { local: core, remote: edge, alias: edge, security: certificate }
)"));
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  ExpectCreates(plan, {"self_transport_trust.edge", "self_transport_trust.core",
                       "es_remote_cluster.edge.core", "es_remote_cluster.core.edge"});
  EXPECT_THAT(plan.out, HasSubstr("self_transport_ca.edge will be read"));
  EXPECT_THAT(plan.out, HasSubstr("self_transport_ca.core will be read"));
  EXPECT_THAT(plan.out, Not(HasSubstr("self_rcs_certificate")));

  Outcome apply = Apply();
  ASSERT_EQ(apply.code, 0) << Show(apply);
  RememberNodeSecrets("edge");
  RememberNodeSecrets("core");
  EXPECT_TRUE(Connected("edge", "core", /*api_key_model=*/false));
  EXPECT_TRUE(Connected("core", "edge", /*api_key_model=*/false));
  ExpectNodesRunning("edge");
  ExpectNodesRunning("core");

  for (const std::string c : {"edge", "core"}) {
    SCOPED_TRACE(c);
    const std::string other = c == "edge" ? "core" : "edge";
    // Own CA first (what the node trusted before), then the peer's.
    EXPECT_THAT(pki::SplitPemCertificates(CrosslinkFile(Home(c), "transport-ca.crt")),
                ElementsAreArray({OwnTransportCa(c), OwnTransportCa(other)}));
    const std::string yml = Yml(Home(c));
    EXPECT_THAT(yml, HasSubstr(std::string(kDisabled) + "  truststore.path: certs/transport.p12"));
    EXPECT_THAT(yml, HasSubstr("crosslink/transport-ca.crt"));
    EXPECT_THAT(sandbox_->FindTwin(c)->config().transport_ca_pems, Contains(OwnTransportCa(other)));
  }

  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNodesAsBefore(edge);
  ExpectNodesAsBefore(core);
  ExpectNodesRunning("edge");
  ExpectNodesRunning("core");
  ExpectNoRemoteSettings("edge", "core");
  ExpectNoRemoteSettings("core", "edge");
  ExpectNoSecretLeaked();
}

// A run whose renewal window (pki_renew_before) is longer than the server
// certificate's lifetime (one year) but shorter than the CA's: the plan
// re-issues the certificate by the same CA and updates the server; the
// server PKCS#12 is re-written. Back to the default window: nothing to do.
TEST_F(SelfPairTest, CertificateInsideTheRenewalWindowIsReissued) {
  std::map<std::string, std::string> files_before;
  ExpectReissuedInPlace(
      [&] {
        files_before = ConfigFiles(Home("core"));
        tune_providers_ = [](cli::BuiltinProviderOptions& o) {
          o.pki_renew_before = std::chrono::hours(24 * 400);
        };
      },
      [](const Outcome& plan) {
        EXPECT_THAT(plan.out,
                    HasSubstr("self_remote_cluster_server.core will be updated in-place"));
        EXPECT_THAT(plan.out, HasSubstr("re-issued by the same CA"));
      },
      [&] {
        std::vector<std::string> changed_p12;
        for (const auto& [path, bytes] : ConfigFiles(Home("core"))) {
          if (path.size() > 4 && path.substr(path.size() - 4) == ".p12" &&
              files_before.count(path) && files_before.at(path) != bytes) {
            changed_p12.push_back(path);
          }
        }
        EXPECT_THAT(changed_p12, Not(IsEmpty())) << "the server PKCS#12 was not re-written";
        tune_providers_ = nullptr;
      });
}

// The topology asks for another key type for core's remote cluster server
// certificate (remote_cluster_certificate.key_type): the certificate is
// re-issued with an RSA key by the same CA, in place, and the link stays up.
TEST_F(SelfPairTest, KeyTypeChangeReissuesTheServerCertificateInPlace) {
  ExpectReissuedInPlace(
      [&] {
        WriteTopology("version: 1\nclusters:\n" + SelfCluster("edge") +
                      SelfCluster("core",
                                  "    remote_cluster_certificate: { key_type: rsa-2048 }\n") +
                      "connections:\n" + kEdgeToCore);
      },
      [](const Outcome&) {},
      [&] { EXPECT_EQ(RcsServerKeyType(Home("core")), pki::KeyType::kRsa2048); });
}

}  // namespace
}  // namespace crosslink::e2e
