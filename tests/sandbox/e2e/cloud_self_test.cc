// Seed 003 (ECH -> self-managed) and the reverse (self-managed -> ECH), done
// by hand through the simulated APIs exactly as the manual procedures say:
// the sandbox must report `connected: true` only once every step is right.

#include <sstream>

#include "engine/core/pki.h"
#include "sandbox/self/keystore_cli.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::sandbox::e2e {
namespace {

constexpr char kConfig[] = R"(
environments:
  cloud: { platform: ech, region: eu-west-1, organization_id: "1053523734" }
clusters:
  analytics: { environment: cloud, version: "8.17.0", deployment_id: 0123456789abcdef0123456789abcdef }
  onprem: { platform: self, version: "8.17.0" }
)";
constexpr char kDeployment[] = "0123456789abcdef0123456789abcdef";

class CloudSelfTest : public SandboxTest {
 protected:
  void SetUp() override { StartSandbox(kConfig); }

  std::string Home() { return Env("ONPREM_HOME_0"); }

  int Keystore(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--home", Home()});
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    int code = self::RunKeystoreCli(args, in, out, err);
    EXPECT_EQ(code, 0) << err.str();
    return code;
  }

  Reply Control(const std::string& method, const std::string& path) {
    http::Request request;
    request.method = method;
    request.url = sandbox_->control_url() + path;
    return Send(request, Env("SANDBOX_PUBLIC_CA"));
  }

  std::string OnpremAddress() {
    std::string url = Env("ONPREM_URL");  // https://127.B.x.y:9200
    return url.substr(8, url.rfind(':') - 8);
  }

  // SM.RCS.CERT + SM.RCS.ENABLE: a private CA, a PKCS#12 for the node, the
  // yml lines, the keystore password, a restart. Returns the CA PEM.
  std::string EnableRemoteClusterServer() {
    pki::CertificateSpec ca_spec;
    ca_spec.common_name = "onprem cross-cluster CA";
    ca_spec.is_ca = true;
    auto ca = pki::CreateCa(ca_spec);
    EXPECT_TRUE(ca.ok());
    pki::CertificateSpec spec;
    spec.common_name = "onprem";
    spec.ip_addresses = {OnpremAddress()};
    auto cert = pki::IssueCertificate(spec, *ca);
    EXPECT_TRUE(cert.ok());
    auto p12 = pki::WritePkcs12(*cert, Secret("rcs-pass"));
    EXPECT_TRUE(p12.ok());
    std::ofstream(Home() + "/config/cross-cluster.p12", std::ios::binary) << *p12;
    std::ofstream(Home() + "/config/elasticsearch.yml", std::ios::app)
        << "remote_cluster_server.enabled: true\n"
        << "remote_cluster.port: 9443\n"
        << "xpack.security.remote_cluster_server.ssl.keystore.path: cross-cluster.p12\n";
    Keystore({"add", "-x", "xpack.security.remote_cluster_server.ssl.keystore.secure_password"}, "rcs-pass");
    Reply restart = Control("POST", "/_sandbox/platforms/self/clusters/onprem/nodes/node-0/restart");
    EXPECT_EQ(restart.status, 200) << restart.body;
    return ca->LeafPem();
  }
};

TEST_F(CloudSelfTest, CloudLocalToSelfManagedRemoteNeedsTheRemoteCaTrusted) {
  const std::string ca_pem = EnableRemoteClusterServer();
  const std::string key = CreateCrossClusterKey("onprem", "rc-analytics-onprem");

  // EC.KEYSTORE.SET: the credential lands in the deployment keystore (8.17: hot).
  Reply patch = Cloud("cloud", "PATCH",
                      std::string("/deployments/") + kDeployment + "/elasticsearch/main-elasticsearch/keystore",
                      R"({"secrets":{"cluster.remote.onprem.credentials":{"value":")" + key + R"("}}})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(patch.body.find(key), std::string::npos) << "the keystore API never returns values";

  Reply put = Es("analytics", "PUT", "/_cluster/settings",
                 R"({"persistent":{"cluster":{"remote":{"onprem":{"mode":"proxy","proxy_address":")" +
                     OnpremAddress() + R"(:9443"}}}}})");
  ASSERT_EQ(put.status, 200) << put.body;

  // The self-managed RCS certificate is private: not trusted yet.
  Value info = RemoteInfo("analytics", "onprem", false);
  EXPECT_FALSE(info.value("connected", true));
  EXPECT_EQ(info.value("cluster_credentials", ""), "::es_redacted::");
  EXPECT_NE(FailureReason("analytics", "onprem").find("PKIX path building failed"), std::string::npos)
      << FailureReason("analytics", "onprem");

  // EC.TRUST.APIKEYCA: a direct trust entry of type proxy with the remote CA.
  Reply trust = TrustProxyCa("cloud", kDeployment, "onprem RCS CA", ca_pem);
  ASSERT_EQ(trust.status, 200) << trust.body;

  info = RemoteInfo("analytics", "onprem", true);
  EXPECT_TRUE(info.value("connected", false)) << info.dump() << FailureReason("analytics", "onprem");

  // Invalidating the key on the remote breaks the connection for real.
  Reply invalidate = Es("onprem", "DELETE", "/_security/api_key", R"({"name":"rc-analytics-onprem"})");
  ASSERT_EQ(invalidate.status, 200) << invalidate.body;
  info = RemoteInfo("analytics", "onprem", false);
  EXPECT_FALSE(info.value("connected", true));
}

TEST_F(CloudSelfTest, SelfManagedLocalToCloudRemoteThroughThePublicProxy) {
  Reply resource = Cloud("cloud", "GET", std::string("/deployments/") + kDeployment +
                                             "/elasticsearch/main-elasticsearch");
  ASSERT_EQ(resource.status, 200) << resource.body;
  const std::string endpoint = resource.json["info"]["metadata"]["endpoint"].get<std::string>();
  const std::string key = CreateCrossClusterKey("analytics", "rc-onprem-analytics");

  Reply put = Es("onprem", "PUT", "/_cluster/settings",
                 R"({"persistent":{"cluster.remote.analytics.mode":"proxy","cluster.remote.analytics.proxy_address":")" +
                     endpoint + R"(:9443","cluster.remote.analytics.server_name":")" + endpoint + R"("}})");
  ASSERT_EQ(put.status, 200) << put.body;

  // No credential yet: the certificate model is assumed and the RCS refuses it.
  Value info = RemoteInfo("onprem", "analytics", false);
  EXPECT_FALSE(info.contains("cluster_credentials"));

  // SM.KEYSTORE.CRED + ES.RELOAD.
  Keystore({"add", "-x", "cluster.remote.analytics.credentials"}, key + "\n");
  Reply reload = Es("onprem", "POST", "/_nodes/reload_secure_settings");
  ASSERT_EQ(reload.status, 200) << reload.body;

  info = RemoteInfo("onprem", "analytics", true);
  EXPECT_TRUE(info.value("connected", false)) << info.dump() << FailureReason("onprem", "analytics");
  EXPECT_EQ(info.value("cluster_credentials", ""), "::es_redacted::");

  // A wrong server_name fails host name verification against the proxy cert.
  put = Es("onprem", "PUT", "/_cluster/settings",
           R"({"persistent":{"cluster.remote.analytics.server_name":"other.example.com"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  info = RemoteInfo("onprem", "analytics", false);
  EXPECT_FALSE(info.value("connected", true));

  // The secret never shows in the sandbox's inspection or env summary.
  Value inspect = sandbox_->FindTwin("onprem")->Inspect();
  EXPECT_EQ(inspect.dump().find(key), std::string::npos);
  Reply summary = Control("GET", "/_sandbox");
  EXPECT_EQ(summary.body.find(key), std::string::npos);
  EXPECT_EQ(summary.body.find(Env("ONPREM_PASSWORD")), std::string::npos);
}

TEST_F(CloudSelfTest, WrongKeystorePasswordKeepsTheNodeDown) {
  pki::CertificateSpec ca_spec;
  ca_spec.common_name = "ca";
  ca_spec.is_ca = true;
  auto ca = pki::CreateCa(ca_spec);
  ASSERT_TRUE(ca.ok());
  pki::CertificateSpec spec;
  spec.common_name = "onprem";
  auto cert = pki::IssueCertificate(spec, *ca);
  ASSERT_TRUE(cert.ok());
  std::ofstream(Home() + "/config/cross-cluster.p12", std::ios::binary) << *pki::WritePkcs12(*cert, Secret("right"));
  std::ofstream(Home() + "/config/elasticsearch.yml", std::ios::app)
      << "remote_cluster_server.enabled: true\n"
      << "xpack.security.remote_cluster_server.ssl.keystore.path: cross-cluster.p12\n";
  Keystore({"add", "-x", "xpack.security.remote_cluster_server.ssl.keystore.secure_password"}, "wrong");
  Reply restart = Control("POST", "/_sandbox/platforms/self/clusters/onprem/nodes/node-0/restart");
  EXPECT_EQ(restart.status, 500) << restart.body;
  EXPECT_NE(restart.body.find("incorrect password"), std::string::npos) << restart.body;
}

}  // namespace
}  // namespace crosslink::sandbox::e2e
