// The Cloud platform on real loopback sockets: the API listener, the REST
// proxy routing by SNI, and an API-key remote connection through the RCS
// proxy (9443) that presents the publicly trusted proxy certificate.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "engine/core/filesystem.h"
#include "engine/core/http.h"
#include "sandbox/es/twin.h"
#include "sandbox/es/wire.h"
#include "sandbox/host.h"
#include "sandbox/platform.h"
#include "tests/sandbox/cloud/cloud_test_util.h"

namespace crosslink::sandbox {
namespace {

class CloudNetworkTest : public ::testing::Test {
 protected:
  void Start(const std::string& platform) {
    auto host = Host::Create({}, clock_);
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
    dir_ = std::filesystem::temp_directory_path() / ("cloud-net-test-" + std::to_string(::getpid()) + "-" + platform);
    std::filesystem::create_directories(dir_);
    EnvironmentConfig env;
    env.key = platform == "ech" ? "cloud" : "onprem";
    env.platform = platform;
    env.settings = {{"platform", platform}};
    if (platform == "ech") env.settings["organization_id"] = "1053523734";
    PlatformContext ctx;
    ctx.host = host_.get();
    ctx.contracts_dir = cloud::testing::ContractsDir();
    ctx.sandbox_dir = dir_.string();
    auto p = NewCloudPlatform(env, ctx);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    platform_ = std::move(*p);
    for (const char* key : {"prod", "logs"}) {
      ClusterConfig c;
      c.key = key;
      c.environment = env.key;
      c.settings = {{"environment", env.key}};
      if (std::string(key) == "prod") c.settings["password"] = "prod-password-1";
      ASSERT_TRUE(platform_->AddCluster(c).ok());
    }
    ASSERT_TRUE(platform_->Start().ok());
    ClientFiles files;
    files.dir = dir_.string();
    ASSERT_TRUE(platform_->WriteClientFiles(&files).ok());
    for (auto& [k, v] : files.env) env_[k] = v;
    http::ClientOptions options;
    options.ca_pem = platform == "ech" ? host_->public_ca().LeafPem() : ReadFile(env_[Upper(env.key) + "_CA_FILE"]);
    options.trust_system_cas = false;
    options.retry.max_attempts = 1;
    options.connect_timeout = std::chrono::milliseconds(3000);
    options.request_timeout = std::chrono::milliseconds(10000);
    client_ = http::NewCurlClient(options, clock_);
  }
  void TearDown() override {
    if (platform_) platform_->Stop();
    platform_.reset();
    host_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
  static std::string ReadFile(const std::string& path) {
    auto fs = NewPosixFileSystem();
    auto r = fs->ReadFile(path);
    return r.ok() ? *r : "";
  }
  Result<http::Response> Api(const std::string& prefix, const std::string& method, const std::string& path,
                             const std::string& body = "") {
    http::Request r = http::Request::Json(method, env_[prefix + "_ENDPOINT"] + "/api/v1" + path, body);
    r.SetApiKey(Secret(env_[prefix + "_API_KEY"]));
    return client_->Send(r);
  }
  Result<http::Response> Es(const std::string& url, const std::string& password, const std::string& method,
                            const std::string& path, const std::string& body = "") {
    http::Request r = http::Request::Json(method, url + path, body);
    r.SetBasicAuth("elastic", Secret(password));
    return client_->Send(r);
  }

  RealClock clock_;
  std::unique_ptr<Host> host_;
  std::unique_ptr<Platform> platform_;
  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<http::HttpClient> client_;
};

TEST_F(CloudNetworkTest, ClientFilesNameEndpointsAndCredentials) {
  Start("ech");
  EXPECT_EQ(env_["CLOUD_ORGANIZATION_ID"], "1053523734");
  EXPECT_EQ(env_["CLOUD_ENDPOINT"].rfind("https://127.0.0.1:", 0), 0u);
  EXPECT_EQ(env_["PROD_PASSWORD"], "prod-password-1");
  EXPECT_EQ(env_["PROD_DEPLOYMENT_ID"].size(), 32u);
  EXPECT_NE(env_["PROD_URL"].find(".eu-west-1.cloud.ech.localhost:"), std::string::npos);
  EXPECT_EQ(env_["CLOUD_CA_FILE"], dir_.string() + "/ca/public-ca.pem");
}

TEST_F(CloudNetworkTest, ApiOverHttpsAndRestProxyRoutesBySni) {
  Start("ech");
  auto list = Api("CLOUD", "GET", "/deployments");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->status, 200);
  EXPECT_EQ(cloud::testing::Body({200, {}, list->body})["deployments"].size(), 2u);
  auto unauthorized = client_->Send(http::Request::Json("GET", env_["CLOUD_ENDPOINT"] + "/api/v1/deployments", ""));
  ASSERT_TRUE(unauthorized.ok());
  EXPECT_EQ(unauthorized->status, 401);

  // Each deployment's URL reaches its own twin through the one proxy port.
  auto prod = Es(env_["PROD_URL"], env_["PROD_PASSWORD"], "GET", "/");
  ASSERT_TRUE(prod.ok()) << prod.status().ToString();
  EXPECT_EQ(prod->status, 200) << prod->body;
  EXPECT_NE(prod->body.find(platform_->FindTwin("prod")->name()), std::string::npos);
  auto logs = Es(env_["LOGS_URL"], env_["LOGS_PASSWORD"], "GET", "/");
  ASSERT_TRUE(logs.ok());
  EXPECT_NE(logs->body.find(platform_->FindTwin("logs")->name()), std::string::npos);

  // An unknown server name fails the TLS handshake.
  std::string url = env_["PROD_URL"];
  std::string unknown = "https://nosuchcluster" + url.substr(url.find('.'));
  auto r = Es(unknown, "x", "GET", "/");
  EXPECT_FALSE(r.ok());
}

TEST_F(CloudNetworkTest, ApiKeyRemoteConnectionThroughThePublicProxy) {
  Start("ech");
  es::Twin* remote = platform_->FindTwin("prod");
  std::string remote_endpoint = remote->name() + ".eu-west-1.cloud.ech.localhost";
  // R: ES.APIKEY.CREATE on the remote, through its public URL.
  auto key = Es(env_["PROD_URL"], env_["PROD_PASSWORD"], "POST", "/_security/cross_cluster/api_key",
                R"({"name":"logs-to-prod","access":{"search":[{"names":["*"]}]}})");
  ASSERT_TRUE(key.ok());
  ASSERT_EQ(key->status, 200) << key->body;
  std::string encoded = cloud::testing::Body({200, {}, key->body})["encoded"];
  // L: EC.KEYSTORE.SET through the Cloud API (8.15: effective at once).
  auto ks = Api("CLOUD", "PATCH", "/deployments/" + env_["LOGS_DEPLOYMENT_ID"] + "/elasticsearch/main-elasticsearch/keystore",
                R"({"secrets":{"cluster.remote.prod.credentials":{"value":")" + encoded + R"("}}})");
  ASSERT_TRUE(ks.ok());
  ASSERT_EQ(ks->status, 200) << ks->body;
  // L: ES.REMOTE.PUT, proxy mode to <endpoint>:9443.
  auto put = Es(env_["LOGS_URL"], env_["LOGS_PASSWORD"], "PUT", "/_cluster/settings",
                R"({"persistent":{"cluster.remote.prod.mode":"proxy","cluster.remote.prod.proxy_address":")" +
                    remote_endpoint + R"(:9443","cluster.remote.prod.server_name":")" + remote_endpoint + R"("}})");
  ASSERT_TRUE(put.ok());
  ASSERT_EQ(put->status, 200) << put->body;
  auto info = Es(env_["LOGS_URL"], env_["LOGS_PASSWORD"], "GET", "/_remote/info");
  ASSERT_TRUE(info.ok());
  Value v = cloud::testing::Body({200, {}, info->body});
  EXPECT_EQ(v["prod"]["connected"], true) << info->body;
  EXPECT_EQ(info->body.find(encoded), std::string::npos);  // "::es_redacted::"

  // Nothing secret reaches the platform's inspection (the control API's body).
  std::string inspected = platform_->Inspect().dump();
  EXPECT_NE(inspected.find("cluster.remote.prod.credentials"), std::string::npos);  // names are shown
  for (const std::string& secret : {env_["CLOUD_API_KEY"], env_["PROD_PASSWORD"], env_["LOGS_PASSWORD"], encoded,
                                    std::string("PRIVATE KEY")}) {
    ASSERT_FALSE(secret.empty());
    EXPECT_EQ(inspected.find(secret), std::string::npos) << secret;
  }
}

TEST_F(CloudNetworkTest, CertificateModelThroughTransportPassthroughNeedsMutualTrust) {
  Start("ech");
  const std::string path = "/deployments/" + env_["LOGS_DEPLOYMENT_ID"] + "/elasticsearch/main-elasticsearch/remote-clusters";
  auto put = Api("CLOUD", "PUT", path,
                 R"({"resources":[{"deployment_id":")" + env_["PROD_DEPLOYMENT_ID"] +
                     R"(","elasticsearch_ref_id":"main-elasticsearch","alias":"prod"}]})");
  ASSERT_TRUE(put.ok());
  ASSERT_EQ(put->status, 202) << put->body;
  // Same organisation, default trust: both sides trust each other on 9400.
  auto got = Api("CLOUD", "GET", path);
  ASSERT_TRUE(got.ok());
  Value info = cloud::testing::Body({200, {}, got->body})["resources"][0]["info"];
  EXPECT_EQ(info["connected"], true) << got->body;
  EXPECT_EQ(info["trusted"], true);

  // The remote stops trusting its own organisation: the handshake is refused.
  auto current = Api("CLOUD", "GET", "/deployments/" + env_["PROD_DEPLOYMENT_ID"]);
  ASSERT_TRUE(current.ok());
  Value es = cloud::testing::Body({200, {}, current->body})["resources"]["elasticsearch"][0];
  Value update = {{"prune_orphans", false},
                  {"resources", {{"elasticsearch", Value::array({Value{{"ref_id", "main-elasticsearch"},
                                                                        {"region", es["region"]},
                                                                        {"plan", es["info"]["plan_info"]["current"]["plan"]},
                                                                        {"settings", {{"trust", {{"accounts", Value::array()}}}}}}})}}}};
  auto upd = Api("CLOUD", "PUT", "/deployments/" + env_["PROD_DEPLOYMENT_ID"], DumpJson(update));
  ASSERT_TRUE(upd.ok());
  ASSERT_EQ(upd->status, 200) << upd->body;
  got = Api("CLOUD", "GET", path);
  ASSERT_TRUE(got.ok());
  info = cloud::testing::Body({200, {}, got->body})["resources"][0]["info"];
  EXPECT_EQ(info["trusted_back"], false);
  EXPECT_EQ(info["connected"], false) << got->body;
}

TEST_F(CloudNetworkTest, ProxyPortsRejectUnknownServerNames) {
  Start("ech");
  es::Twin* remote = platform_->FindTwin("prod");
  std::string endpoint = remote->name() + ".eu-west-1.cloud.ech.localhost";
  auto address = host_->Resolve(endpoint);
  ASSERT_TRUE(address.has_value());
  net::DialOptions o;
  o.address = *address;
  o.port = 9443;
  o.sni = "nosuch.eu-west-1.cloud.ech.localhost";
  o.trusted_ca_pems = {host_->public_ca().LeafPem()};
  es::HandshakeRequest hs;
  hs.profile = std::string(es::kRemoteClusterProfile);
  hs.credential = "bogus";
  hs.from = "test";
  net::DialResult r = net::Dial(o, es::EncodeHandshakeRequest(hs));
  EXPECT_EQ(r.stage, net::DialResult::Stage::kHandshake) << r.error;
  // The right name reaches the RCS behind the proxy, which checks the key.
  o.sni = endpoint;
  o.verify_name = endpoint;
  r = net::Dial(o, es::EncodeHandshakeRequest(hs));
  ASSERT_EQ(r.stage, net::DialResult::Stage::kOk) << r.error;
  auto response = es::DecodeHandshakeResponse(r.response_line);
  ASSERT_TRUE(response.has_value());
  EXPECT_FALSE(response->ok);
}

TEST_F(CloudNetworkTest, EceProxyPresentsThePrivateChain) {
  Start("ece");
  EXPECT_EQ(env_["ONPREM_CA_FILE"], dir_.string() + "/onprem/ca.pem");
  EXPECT_FALSE(ReadFile(env_["ONPREM_CA_FILE"]).empty());
  EXPECT_EQ(env_["ONPREM_ENVIRONMENT_ID"].size(), 32u);
  auto chain = Api("ONPREM", "GET", "/platform/configuration/security/tls/proxy");
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  ASSERT_EQ(chain->status, 200);
  // With the installation CA the REST proxy verifies; the public CA alone does not.
  auto ok = Es(env_["PROD_URL"], env_["PROD_PASSWORD"], "GET", "/");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
  http::ClientOptions public_only;
  public_only.ca_pem = host_->public_ca().LeafPem();
  public_only.trust_system_cas = false;
  public_only.retry.max_attempts = 1;
  auto strict = http::NewCurlClient(public_only, clock_);
  http::Request r = http::Request::Json("GET", env_["PROD_URL"] + "/", "");
  EXPECT_FALSE(strict->Send(r).ok());
}

}  // namespace
}  // namespace crosslink::sandbox
