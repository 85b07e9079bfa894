// Scenarios of the self-managed platform twin: install directories, restart
// from elasticsearch.yml, the remote cluster server, keystore reload.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/clock.h"
#include "engine/core/http.h"
#include "sandbox/es/twin.h"
#include "sandbox/es/wire.h"
#include "sandbox/host.h"
#include "sandbox/platform.h"
#include "tests/sandbox/self/test_util.h"

namespace crosslink::sandbox {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using self::test_util::ReadText;
using self::test_util::CliRun;
using self::test_util::RunCli;
using self::test_util::TempDir;
using self::test_util::WriteText;

constexpr const char* kRcsYml =
    "remote_cluster_server.enabled: true\n"
    "remote_cluster.port: 9443\n"
    "xpack.security.remote_cluster_server.ssl.enabled: true\n"
    "xpack.security.remote_cluster_server.ssl.keystore.path: cross-cluster.p12\n";

class SelfPlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("KEYSTORE_PASSWORD");
    auto host = Host::Create(Host::Options{2, 0}, clock_);
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(host).value();
    EnvironmentConfig env{"self", "self", Value{{"control_url", "http://127.0.0.1:1"}}};
    PlatformContext ctx{host_.get(), "", dir_.path()};
    auto platform = NewSelfPlatform(env, ctx);
    ASSERT_TRUE(platform.ok()) << platform.status().ToString();
    platform_ = std::move(platform).value();
  }
  void TearDown() override {
    if (platform_) platform_->Stop();
  }

  void AddAndStart(std::vector<ClusterConfig> clusters) {
    for (const auto& c : clusters) ASSERT_TRUE(platform_->AddCluster(c).ok());
    ASSERT_TRUE(platform_->Start().ok());
  }

  std::string Home(const std::string& cluster, const std::string& node = "node-0") {
    return dir_.path() + "/self/" + cluster + "/" + node;
  }
  std::string Address(const std::string& cluster) {
    return Control("GET", "clusters/" + cluster).second["address"].get<std::string>();
  }

  std::pair<int, Value> Control(const std::string& method, const std::string& rest) {
    net::HttpRequest req;
    req.method = method;
    net::HttpResponse res = platform_->HandleControl(req, rest);
    Result<Value> body = ParseJson(res.body);
    return {res.status, body.ok() ? *body : Value()};
  }

  // Writes a PKCS#12 for the RCS signed by a new CA into the node's config/;
  // returns the CA.
  pki::Identity InstallRcsCertificate(const std::string& cluster, const std::string& password) {
    pki::CertificateSpec ca_spec;
    ca_spec.common_name = "cross-cluster CA";
    pki::Identity ca = *pki::CreateCa(ca_spec);
    pki::CertificateSpec spec;
    spec.common_name = cluster;
    spec.ip_addresses = {Address(cluster)};
    spec.dns_names = {cluster + ".self.localhost"};
    auto p12 = pki::WritePkcs12(*pki::IssueCertificate(spec, ca), Secret(password));
    WriteText(Home(cluster) + "/config/cross-cluster.p12", *p12);
    return ca;
  }

  void AppendYml(const std::string& cluster, const std::string& text) {
    std::string path = Home(cluster) + "/config/elasticsearch.yml";
    WriteText(path, ReadText(path) + text);
  }

  net::DialResult DialRcs(const std::string& cluster, const pki::Identity& ca, const std::string& credential) {
    net::DialOptions o;
    o.address = Address(cluster);
    o.port = 9443;
    o.verify_name = o.address;
    o.trusted_ca_pems = {ca.chain_pem};
    es::HandshakeRequest hs{std::string(es::kRemoteClusterProfile), credential, "local"};
    return net::Dial(o, es::EncodeHandshakeRequest(hs));
  }

  std::string CrossClusterKey(const std::string& cluster) {
    Value body = {{"name", "from-local"}, {"access", {{"search", {{{"names", {"logs-*"}}}}}}}};
    net::HttpResponse res = platform_->FindTwin(cluster)->CallInternal("POST", "/_security/cross_cluster/api_key", body);
    EXPECT_EQ(res.status, 200) << res.body;
    return ParseJson(res.body)->value("encoded", "");
  }

  RealClock clock_;
  TempDir dir_;
  std::unique_ptr<Host> host_;
  std::unique_ptr<Platform> platform_;
};

TEST_F(SelfPlatformTest, StartServesRestOverHttpsWithTheInstallCa) {
  AddAndStart({ClusterConfig{"logs", "", "8.15.0", "enterprise", Value{{"password", "elastic-pass"}}}});
  ClientFiles files{dir_.path(), {}};
  ASSERT_TRUE(platform_->WriteClientFiles(&files).ok());
  std::map<std::string, std::string> env(files.env.begin(), files.env.end());
  EXPECT_EQ(env["LOGS_URL"], "https://" + Address("logs") + ":9200");
  EXPECT_EQ(env["LOGS_PASSWORD"], "elastic-pass");
  EXPECT_EQ(env["LOGS_HOME_0"], Home("logs"));
  EXPECT_THAT(ReadText(Home("logs") + "/bin/elasticsearch-keystore"), HasSubstr("keystore --home '" + Home("logs") + "'"));
  EXPECT_THAT(ReadText(Home("logs") + "/bin/restart"),
              HasSubstr("http://127.0.0.1:1/_sandbox/platforms/self/clusters/logs/nodes/node-0/restart"));

  FakeClock fake;
  http::ClientOptions o;
  o.ca_pem = ReadText(env["LOGS_CA_FILE"]);
  o.trust_system_cas = false;
  o.retry.max_attempts = 1;
  auto client = http::NewCurlClient(o, fake);
  http::Request req;
  req.url = env["LOGS_URL"] + "/_security/_authenticate";
  req.SetBasicAuth("elastic", Secret("elastic-pass"));
  auto res = client->Send(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200) << res->body;
  req.SetBasicAuth("elastic", Secret("wrong-pass"));
  res = client->Send(req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 401);
  // The sandbox DNS name is on the certificate too.
  EXPECT_EQ(host_->Resolve("logs.self.localhost"), Address("logs"));
}

TEST_F(SelfPlatformTest, EnablingRcsInYmlThenRestartServesTheRemoteClusterServer) {
  AddAndStart({ClusterConfig{"remote"}});
  pki::Identity ca = InstallRcsCertificate("remote", "rcs-pass");
  // Not enabled yet: nothing listens on 9443.
  net::DialResult before = DialRcs("remote", ca, "x");
  EXPECT_EQ(before.stage, net::DialResult::Stage::kConnect) << before.error;

  AppendYml("remote", kRcsYml);
  ASSERT_EQ(RunCli(Home("remote"), {"add", "-x", "xpack.security.remote_cluster_server.ssl.keystore.secure_password"},
                   "rcs-pass\n").code, 0);
  auto [status, body] = Control("POST", "clusters/remote/nodes/node-0/restart");
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["restarted"], true);

  net::DialResult dialed = DialRcs("remote", ca, CrossClusterKey("remote"));
  ASSERT_TRUE(dialed.ok()) << dialed.error;
  auto hs = es::DecodeHandshakeResponse(dialed.response_line);
  ASSERT_TRUE(hs.has_value()) << dialed.response_line;
  EXPECT_TRUE(hs->ok) << hs->error_reason;
  EXPECT_EQ(hs->cluster_name, "remote");

  // A client trusting another CA fails verification: the RCS presents the p12.
  pki::CertificateSpec other;
  other.common_name = "other";
  net::DialResult untrusted = DialRcs("remote", *pki::CreateCa(other), "x");
  EXPECT_EQ(untrusted.stage, net::DialResult::Stage::kVerify) << untrusted.error;

  Value inspected = Control("GET", "clusters/remote").second;
  EXPECT_EQ(inspected["listeners"]["rcs"], Address("remote") + ":9443");
  EXPECT_EQ(inspected["nodes"]["node-0"]["remote_cluster_server"]["enabled"], true);
}

TEST_F(SelfPlatformTest, WrongP12PasswordMeansTheNodeFailsToStart) {
  AddAndStart({ClusterConfig{"remote"}});
  pki::Identity ca = InstallRcsCertificate("remote", "rcs-pass");
  AppendYml("remote", kRcsYml);
  ASSERT_EQ(RunCli(Home("remote"), {"add", "-x", "xpack.security.remote_cluster_server.ssl.keystore.secure_password"},
                   "not-the-password").code, 0);
  auto [status, body] = Control("POST", "clusters/remote/nodes/node-0/restart");
  EXPECT_EQ(status, 500);
  EXPECT_EQ(body["restarted"], false);
  std::string reason = body["error"]["reason"].get<std::string>();
  EXPECT_THAT(reason, HasSubstr("failed to load SSL configuration [xpack.security.remote_cluster_server.ssl]"));
  EXPECT_THAT(reason, HasSubstr("this is usually caused by an incorrect password"));
  EXPECT_THAT(reason, Not(HasSubstr("not-the-password")));

  // The node is down: no listener at all.
  EXPECT_FALSE(host_->server().Has("es/remote/rest"));
  EXPECT_FALSE(host_->server().Has("es/remote/rcs"));
  Value inspected = Control("GET", "clusters/remote").second;
  EXPECT_EQ(inspected["up"], false);
  EXPECT_EQ(inspected["nodes"]["node-0"]["failure"], reason);
  EXPECT_EQ(DialRcs("remote", ca, "x").stage, net::DialResult::Stage::kConnect);

  // Fixing the password and restarting brings it back.
  ASSERT_EQ(RunCli(Home("remote"), {"add", "-f", "-x", "xpack.security.remote_cluster_server.ssl.keystore.secure_password"},
                   "rcs-pass").code, 0);
  EXPECT_EQ(Control("POST", "clusters/remote/nodes/node-0/restart").first, 200);
  EXPECT_TRUE(host_->server().Has("es/remote/rest"));
  EXPECT_TRUE(DialRcs("remote", ca, CrossClusterKey("remote")).ok());
}

TEST_F(SelfPlatformTest, MissingP12MeansTheNodeFailsToStart) {
  AddAndStart({ClusterConfig{"remote"}});
  AppendYml("remote", kRcsYml);
  auto [status, body] = Control("POST", "clusters/remote/nodes/node-0/restart");
  EXPECT_EQ(status, 500);
  EXPECT_THAT(body["error"]["reason"].get<std::string>(),
              HasSubstr("cannot read configured [PKCS12] keystore [" + Home("remote") +
                        "/config/cross-cluster.p12] because the file does not exist"));
}

TEST_F(SelfPlatformTest, ReloadPicksUpACredentialAddedWithTheCli) {
  AddAndStart({ClusterConfig{"local"}});
  es::Twin* twin = platform_->FindTwin("local");
  ASSERT_NE(twin, nullptr);
  ASSERT_EQ(RunCli(Home("local"), {"add", "-x", "cluster.remote.prod.credentials"}, "encoded-key\n").code, 0);
  EXPECT_THAT(twin->keystore_keys(), Not(Contains("cluster.remote.prod.credentials")));

  net::HttpResponse res = twin->CallInternal("POST", "/_nodes/reload_secure_settings", std::nullopt);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_THAT(twin->keystore_keys(), Contains("cluster.remote.prod.credentials"));
  EXPECT_EQ(twin->config().keystore.at("cluster.remote.prod.credentials").expose(), "encoded-key");

  ASSERT_EQ(RunCli(Home("local"), {"remove", "cluster.remote.prod.credentials"}).code, 0);
  twin->CallInternal("POST", "/_nodes/reload_secure_settings", std::nullopt);
  EXPECT_THAT(twin->keystore_keys(), Not(Contains("cluster.remote.prod.credentials")));
}

TEST_F(SelfPlatformTest, ReloadWithWrongKeystorePasswordReportsPerNode) {
  AddAndStart({ClusterConfig{"local"}});
  es::Twin* twin = platform_->FindTwin("local");
  net::HttpResponse res =
      twin->CallInternal("POST", "/_nodes/reload_secure_settings", Value{{"secure_settings_password", "nope-nope"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_THAT(res.body, HasSubstr("Provided keystore password was incorrect"));
}

TEST_F(SelfPlatformTest, RestartsAreCountedAndRecorded) {
  AddAndStart({ClusterConfig{"logs"}});
  int before = platform_->FindTwin("logs")->restarts();
  EXPECT_EQ(Control("POST", "clusters/logs/nodes/node-0/restart").first, 200);
  EXPECT_EQ(platform_->FindTwin("logs")->restarts(), before + 1);
  Value events = host_->Events();
  int restarts = 0;
  for (const auto& e : events) restarts += e.value("kind", "") == "restart" && e.value("node", "") == "node-0";
  EXPECT_EQ(restarts, 1);
}

TEST_F(SelfPlatformTest, AnotherNodeKeepsTheClusterUp) {
  AddAndStart({ClusterConfig{"big", "", "8.15.0", "enterprise", Value{{"nodes", 2}}}});
  ASSERT_TRUE(std::filesystem::exists(Home("big", "node-1") + "/config/elasticsearch.yml"));
  WriteText(Home("big", "node-0") + "/config/elasticsearch.yml", "a: [broken\n");
  auto [status, body] = Control("POST", "clusters/big/nodes/node-0/restart");
  EXPECT_EQ(status, 500);
  EXPECT_THAT(body["error"]["reason"].get<std::string>(), HasSubstr("Failed to load settings from"));
  Value inspected = Control("GET", "clusters/big").second;
  EXPECT_EQ(inspected["up"], true);
  EXPECT_EQ(inspected["serving_node"], "node-1");
  EXPECT_TRUE(host_->server().Has("es/big/rest"));
}

TEST_F(SelfPlatformTest, ControlErrors) {
  AddAndStart({ClusterConfig{"logs"}});
  EXPECT_EQ(Control("GET", "clusters/nope").first, 404);
  EXPECT_EQ(Control("POST", "clusters/logs/nodes/node-7/restart").first, 404);
  EXPECT_EQ(Control("GET", "clusters/logs/nodes/node-0/restart").first, 405);
  EXPECT_EQ(Control("GET", "whatever").first, 404);
  EXPECT_EQ(Control("GET", "clusters/logs").first, 200);
}

TEST_F(SelfPlatformTest, BadClusterSettingsAreInvalidArgument) {
  EXPECT_EQ(platform_->AddCluster(ClusterConfig{"x", "", "8.15.0", "enterprise", Value{{"nodes", 0}}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(platform_->AddCluster(ClusterConfig{"x", "", "8.15.0", "enterprise", Value{{"password", 5}}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(platform_->AddCluster(ClusterConfig{"Bad Key"}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(platform_->AddCluster(ClusterConfig{"x"}).ok());
  EXPECT_EQ(platform_->AddCluster(ClusterConfig{"x"}).code(), StatusCode::kAlreadyExists);
}

TEST_F(SelfPlatformTest, InspectionNeverShowsPasswordsKeysOrKeystoreValues) {
  AddAndStart({ClusterConfig{"logs", "", "8.15.0", "enterprise", Value{{"password", "elastic-pass-4471"}}}});
  ASSERT_EQ(RunCli(Home("logs"), {"add", "-x", "cluster.remote.prod.credentials"}, "keystore-value-9913\n").code, 0);
  ASSERT_EQ(Control("POST", "clusters/logs/nodes/node-0/restart").first, 200);
  CliRun shown = RunCli(Home("logs"), {"show", "xpack.security.http.ssl.keystore.secure_password"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  std::string p12_password = shown.out.substr(0, shown.out.find('\n'));
  ASSERT_FALSE(p12_password.empty());
  std::string api_key = CrossClusterKey("logs");
  ASSERT_FALSE(api_key.empty());

  std::string dumps[] = {platform_->Inspect().dump(), Control("GET", "clusters/logs").second.dump()};
  for (const std::string& dump : dumps) {
    EXPECT_THAT(dump, HasSubstr("cluster.remote.prod.credentials"));  // names are shown
    for (const std::string& secret : {std::string("elastic-pass-4471"), std::string("keystore-value-9913"),
                                      p12_password, api_key, std::string("PRIVATE KEY")}) {
      EXPECT_THAT(dump, Not(HasSubstr(secret))) << secret;
    }
  }
}

}  // namespace
}  // namespace crosslink::sandbox
