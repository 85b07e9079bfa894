// NewEckPlatform end to end: the Kubernetes API over HTTPS with the
// kubeconfig it writes, and Elasticsearch REST through the LoadBalancer.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/http.h"
#include "sandbox/es/twin.h"
#include "sandbox/k8s/crd_schema.h"
#include "sandbox/k8s/objects.h"
#include "sandbox/platform.h"

namespace crosslink::sandbox {
namespace {

using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

class EckPlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Host>> host = Host::Create({.http_workers = 4}, clock_);
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
    dir_ = std::filesystem::temp_directory_path() / ("eck-platform-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    ctx_.host = host_.get();
    ctx_.contracts_dir = CROSSLINK_CONTRACTS_DIR;
    ctx_.sandbox_dir = dir_.string();
  }
  void TearDown() override {
    if (platform_) platform_->Stop();
    platform_.reset();
    host_.reset();
    std::filesystem::remove_all(dir_);
  }

  RealClock clock_;
  std::unique_ptr<Host> host_;
  std::filesystem::path dir_;
  PlatformContext ctx_;
  std::unique_ptr<Platform> platform_;
};

TEST_F(EckPlatformTest, BadSettingsNameTheField) {
  EnvironmentConfig env{"k8s", "eck", Value::parse(R"({"license":"free"})")};
  Result<std::unique_ptr<Platform>> p = NewEckPlatform(env, ctx_);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("environments.k8s.license"));
  env.settings = Value::parse(R"({"restart_ms":"soon"})");
  EXPECT_THAT(NewEckPlatform(env, ctx_).status().message(), HasSubstr("environments.k8s.restart_ms"));
  ctx_.contracts_dir = "/nonexistent";
  env.settings = Value::object();
  EXPECT_THAT(NewEckPlatform(env, ctx_).status().message(), HasSubstr("eck-elasticsearch-crd.yaml"));
}

TEST_F(EckPlatformTest, UnknownOrMistypedSettingsAreRejected) {
  EnvironmentConfig env{"k8s", "eck", Value::parse(R"({"platform":"eck","operator_verison":"3.3.0"})")};
  EXPECT_EQ(NewEckPlatform(env, ctx_).status().message(),
            "environments.k8s.operator_verison is not a setting of this platform");
  env.settings = Value::parse(R"({"platform":"eck","operator_version":3.3})");
  EXPECT_EQ(NewEckPlatform(env, ctx_).status().message(), "environments.k8s.operator_version: must be a string");
  env.settings = Value::parse(R"({"platform":"eck","operator_version":"3.3"})");
  EXPECT_THAT(NewEckPlatform(env, ctx_).status().message(), HasSubstr("environments.k8s.operator_version: not a version"));

  env.settings = Value::parse(R"({"platform":"eck","operator_version":"2.16.0","license":"trial","restart_ms":5})");
  Result<std::unique_ptr<Platform>> p = NewEckPlatform(env, ctx_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  platform_ = std::move(*p);
  ClusterConfig cluster;
  cluster.key = "logs";
  cluster.environment = "k8s";
  cluster.version = "8.17.0";
  cluster.settings = Value::parse(R"({"environment":"k8s","version":"8.17.0","namspace":"observability"})");
  EXPECT_EQ(platform_->AddCluster(cluster).message(), "clusters.logs.namspace is not a setting of this platform");
  cluster.settings = Value::parse(R"({"environment":"k8s","deployment_id":"0123456789abcdef0123456789abcdef"})");
  EXPECT_EQ(platform_->AddCluster(cluster).message(), "clusters.logs.deployment_id is not a setting of this platform");
  cluster.settings = Value::parse(R"({"environment":"k8s","remote_cluster_server":"yes"})");
  EXPECT_EQ(platform_->AddCluster(cluster).message(), "clusters.logs.remote_cluster_server: must be true or false");
  cluster.settings = Value::parse(R"({"environment":"k8s","namespace":7})");
  EXPECT_EQ(platform_->AddCluster(cluster).message(), "clusters.logs.namespace: must be a string");
  cluster.settings = Value::parse(R"({"environment":"k8s","nodes":"2"})");
  EXPECT_EQ(platform_->AddCluster(cluster).message(), "clusters.logs.nodes: must be an integer");
  cluster.settings = Value::parse(R"({"environment":"k8s","nodes":4294967297})");
  EXPECT_EQ(platform_->AddCluster(cluster).message(), "clusters.logs.nodes: must be a positive integer");
  // Every documented key together is accepted; default/logs is still free, so
  // none of the rejected ones created anything.
  cluster.settings = Value::parse(R"({"environment":"k8s","version":"8.17.0","license":"enterprise",
      "namespace":"default","name":"logs","nodes":2,"http_service":"ClusterIP","remote_cluster_server":true})");
  Status ok = platform_->AddCluster(cluster);
  EXPECT_TRUE(ok.ok()) << ok.ToString();
}

TEST_F(EckPlatformTest, ClientsReachTheApiAndTheClusterWithTheFilesItWrites) {
  EnvironmentConfig env{"k8s-prod", "eck", Value::parse(R"({"restart_ms":20})")};
  Result<std::unique_ptr<Platform>> p = NewEckPlatform(env, ctx_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  platform_ = std::move(*p);
  ClusterConfig logs;
  logs.key = "logs";
  logs.environment = "k8s-prod";
  logs.settings = Value::parse(R"({"namespace":"observability","remote_cluster_server":true})");
  ASSERT_TRUE(platform_->AddCluster(logs).ok());
  ClusterConfig bad;
  bad.key = "bad";
  bad.settings = Value::parse(R"({"name":")" + std::string(40, 'x') + R"("})");
  Status denied = platform_->AddCluster(bad);
  EXPECT_THAT(denied.message(), HasSubstr("denied the request"));
  ASSERT_TRUE(platform_->Start().ok());
  ClientFiles files;
  files.dir = dir_.string();
  ASSERT_TRUE(platform_->WriteClientFiles(&files).ok());
  std::map<std::string, std::string> env_lines(files.env.begin(), files.env.end());
  ASSERT_EQ(env_lines["K8S_PROD_KUBECONFIG"], dir_.string() + "/k8s-prod/kubeconfig");
  EXPECT_EQ(env_lines["K8S_PROD_CONTEXT"], "k8s-prod");
  ASSERT_TRUE(env_lines.count("LOGS_URL"));
  EXPECT_THAT(platform_->cluster_keys(), ::testing::ElementsAre("logs"));

  // The kubeconfig is enough to talk to the API server.
  Result<std::vector<Value>> kc = k8s::ParseYamlDocuments(ReadAll(env_lines["K8S_PROD_KUBECONFIG"]));
  ASSERT_TRUE(kc.ok());
  const Value& cfg = (*kc)[0];
  EXPECT_EQ(cfg["current-context"], "k8s-prod");
  const std::string server = cfg["clusters"][0]["cluster"]["server"];
  http::ClientOptions api_opts;
  api_opts.ca_pem = *http::Base64Decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"].get<std::string>());
  api_opts.trust_system_cas = false;
  api_opts.retry.max_attempts = 1;
  auto api = http::NewCurlClient(api_opts, clock_);
  http::Request req;
  req.url = server + "/apis/elasticsearch.k8s.elastic.co/v1/namespaces/observability/elasticsearches/logs";
  Result<http::Response> unauth = api->Send(req);
  ASSERT_TRUE(unauth.ok()) << unauth.status().ToString();
  EXPECT_EQ(unauth->status, 401);
  req.SetBearer(Secret(cfg["users"][0]["user"]["token"].get<std::string>()));
  Result<http::Response> es = api->Send(req);
  ASSERT_TRUE(es.ok());
  EXPECT_EQ(es->status, 200) << es->body;
  EXPECT_EQ(Value::parse(es->body)["spec"]["http"]["service"]["spec"]["type"], "LoadBalancer");

  // Elasticsearch REST through the LoadBalancer address, verified with the CA file.
  http::ClientOptions es_opts;
  es_opts.ca_pem = ReadAll(env_lines["LOGS_CA_FILE"]);
  es_opts.trust_system_cas = false;
  es_opts.retry.max_attempts = 1;
  auto es_client = http::NewCurlClient(es_opts, clock_);
  http::Request root;
  root.url = env_lines["LOGS_URL"] + "/";
  root.SetBasicAuth("elastic", Secret(env_lines["LOGS_PASSWORD"]));
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    Result<http::Response> r = es_client->Send(root);
    up = r.ok() && r->status == 200 && r->body.find("\"logs\"") != std::string::npos;
    if (!up) usleep(20000);
  }
  EXPECT_TRUE(up);
  es::Twin* twin = platform_->FindTwin("logs");
  ASSERT_NE(twin, nullptr);
  EXPECT_TRUE(twin->config().rcs_enabled);

  // Control API: objects dump (no secret values) and CA rotation.
  net::HttpRequest control;
  control.method = "GET";
  net::HttpResponse objects = platform_->HandleControl(control, "objects");
  EXPECT_EQ(objects.status, 200);
  EXPECT_EQ(objects.body.find(http::Base64Encode(env_lines["LOGS_PASSWORD"])), std::string::npos);
  control.method = "POST";
  EXPECT_EQ(platform_->HandleControl(control, "namespaces/observability/elasticsearches/logs/rotate-ca").status, 200);
  EXPECT_EQ(platform_->HandleControl(control, "namespaces/observability/elasticsearches/nope/rotate-ca").status, 404);
  EXPECT_EQ(platform_->HandleControl(control, "nothing").status, 404);
  EXPECT_TRUE(platform_->Inspect()["clusters"].is_array());
}

}  // namespace
}  // namespace crosslink::sandbox
