// The Kubernetes client of the ECK provider: kubeconfig loading on files in a
// temporary directory, error mapping against a scripted HttpClient, and every
// verb against the in-process Kubernetes API twin of the sandbox.

#include "providers/eck/kube.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::providers::eck {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------- kubeconfig

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/crosslink-kube-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    env_["HOME"] = dir_ + "/home";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` at `relative` (under the temp dir) and returns its path.
  std::string Write(const std::string& relative, const std::string& text) {
    const std::string path = dir_ + "/" + relative;
    EXPECT_TRUE(fs_->MakeDirs(DirName(path), 0700).ok());
    EXPECT_TRUE(fs_->WriteFileAtomic(path, text, 0600).ok());
    return path;
  }

  Result<KubeConfig> Load(const std::string& kubeconfig, const std::string& context = "") {
    return LoadKubeConfig(kubeconfig, context, *fs_, [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    });
  }

  std::string dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<FileSystem> fs_ = NewPosixFileSystem();
};

constexpr char kTwoContexts[] = R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmRldgo=
- name: prod-cluster
  cluster:
    server: https://prod.example.com/
    certificate-authority: certs/prod-ca.pem
    tls-server-name: kubernetes.default.svc
users:
- name: dev-user
  user:
    token: dev-token-value-123
- name: prod-user
  user:
    tokenFile: tokens/prod
contexts:
- name: dev
  context: { cluster: dev-cluster, user: dev-user }
- name: prod
  context: { cluster: prod-cluster, user: prod-user, namespace: observability }
)";

TEST_F(KubeConfigTest, CurrentContext) {
  auto config = Load(Write("kube/config", kTwoContexts));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "dev");
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, "-----BEGIN CERTIFICATE-----\ndev\n");
  EXPECT_EQ(config->token.expose(), "dev-token-value-123");
  EXPECT_EQ(config->namespace_, "default");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->path, dir_ + "/kube/config");
}

TEST_F(KubeConfigTest, ExplicitContextWithRelativeCaAndTokenFile) {
  Write("kube/certs/prod-ca.pem", "PROD CA PEM");
  Write("kube/tokens/prod", "prod-token-from-file\n");
  auto config = Load(Write("kube/config", kTwoContexts), "prod");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "prod");
  EXPECT_EQ(config->server, "https://prod.example.com");
  EXPECT_EQ(config->ca_pem, "PROD CA PEM");
  EXPECT_EQ(config->tls_server_name, "kubernetes.default.svc");
  EXPECT_EQ(config->token.expose(), "prod-token-from-file");
  EXPECT_EQ(config->namespace_, "observability");
}

TEST_F(KubeConfigTest, MissingReferencedFileNamesTheResolvedPath) {
  auto config = Load(Write("kube/config", kTwoContexts), "prod");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              AllOf(HasSubstr(dir_ + "/kube/certs/prod-ca.pem"), HasSubstr("certificate-authority"),
                    HasSubstr("cluster prod-cluster")));
}

TEST_F(KubeConfigTest, UnknownContextListsTheAvailableOnes) {
  auto config = Load(Write("kube/config", kTwoContexts), "staging");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(
      config.status().message(),
      AllOf(HasSubstr("\"staging\""), HasSubstr(dir_ + "/kube/config"), HasSubstr("dev, prod")));
}

TEST_F(KubeConfigTest, KubeconfigListMergesFirstFileWins) {
  const std::string a = Write("a.yaml", R"(
current-context: ctx-a
clusters:
- { name: shared, cluster: { server: "https://first:6443" } }
users:
- { name: u, user: { token: token-from-a } }
contexts:
- { name: ctx-a, context: { cluster: shared, user: u } }
)");
  const std::string b = Write("b.yaml", R"(
current-context: ctx-b
clusters:
- { name: shared, cluster: { server: "https://second:6443" } }
- { name: only-b, cluster: { server: "https://only-b:6443" } }
users:
- { name: u, user: { token: token-from-b } }
contexts:
- { name: ctx-b, context: { cluster: only-b, user: u, namespace: nb } }
)");
  env_["KUBECONFIG"] = a + "::" + dir_ + "/missing.yaml:" + b;
  auto config = Load("");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "ctx-a");
  EXPECT_EQ(config->server, "https://first:6443");
  EXPECT_EQ(config->token.expose(), "token-from-a");
  EXPECT_EQ(config->path, a + ":" + b);

  auto other = Load("", "ctx-b");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->server, "https://only-b:6443");
  EXPECT_EQ(other->token.expose(), "token-from-a");  // user "u" from the first file
  EXPECT_EQ(other->namespace_, "nb");
}

TEST_F(KubeConfigTest, TopologyPathWinsOverKubeconfigAndExpandsHome) {
  Write("home/clusters/k.yaml", kTwoContexts);
  env_["KUBECONFIG"] = dir_ + "/missing.yaml";
  auto config = Load("~/clusters/k.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->path, dir_ + "/home/clusters/k.yaml");
}

TEST_F(KubeConfigTest, DefaultPathIsHomeKubeConfig) {
  Write("home/.kube/config", kTwoContexts);
  auto config = Load("");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->path, dir_ + "/home/.kube/config");
}

TEST_F(KubeConfigTest, MissingFileNamesThePathAndTheFix) {
  auto config = Load("");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), AllOf(HasSubstr(dir_ + "/home/.kube/config"),
                                               HasSubstr("KUBECONFIG"), HasSubstr("`kubeconfig`")));

  auto explicit_path = Load(dir_ + "/nope.yaml");
  ASSERT_FALSE(explicit_path.ok());
  EXPECT_THAT(explicit_path.status().message(),
              AllOf(HasSubstr(dir_ + "/nope.yaml"), HasSubstr("topology")));

  env_["KUBECONFIG"] = dir_ + "/x:" + dir_ + "/y";
  auto from_env = Load("");
  ASSERT_FALSE(from_env.ok());
  EXPECT_THAT(from_env.status().message(), HasSubstr(dir_ + "/x:" + dir_ + "/y"));
}

TEST_F(KubeConfigTest, ClientCertificateDataAndFiles) {
  auto ca = pki::CreateCa({.common_name = "kube-ca"});
  ASSERT_TRUE(ca.ok());
  auto client =
      pki::IssueCertificate({.common_name = "admin", .organization = "system:masters"}, *ca);
  ASSERT_TRUE(client.ok());
  const std::string cert_data = http::Base64Encode(client->chain_pem);
  const std::string key_data = http::Base64Encode(client->key_pem.expose());
  Write("kube/admin.crt", client->chain_pem);
  Write("kube/admin.key", client->key_pem.expose());
  const std::string path = Write("kube/config", R"(
current-context: data
clusters:
- { name: c, cluster: { server: "https://k:6443" } }
users:
- name: data
  user:
    client-certificate-data: )" + cert_data + R"(
    client-key-data: )" + key_data + R"(
- name: files
  user: { client-certificate: admin.crt, client-key: ./admin.key }
- name: mismatch
  user: { client-certificate: admin.crt, client-key-data: )" +
                                                    http::Base64Encode(ca->key_pem.expose()) + R"( }
- name: half
  user: { client-certificate: admin.crt }
contexts:
- { name: data, context: { cluster: c, user: data } }
- { name: files, context: { cluster: c, user: files } }
- { name: mismatch, context: { cluster: c, user: mismatch } }
- { name: half, context: { cluster: c, user: half } }
)");
  for (const std::string context : {"data", "files"}) {
    auto config = Load(path, context);
    ASSERT_TRUE(config.ok()) << context << ": " << config.status().ToString();
    ASSERT_TRUE(config->client_identity.has_value()) << context;
    EXPECT_EQ(config->client_identity->chain_pem, client->chain_pem);
    EXPECT_EQ(config->client_identity->key_pem, client->key_pem);
    EXPECT_TRUE(config->token.empty());
  }
  auto mismatch = Load(path, "mismatch");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(), HasSubstr("does not belong"));
  EXPECT_THAT(mismatch.status().message(), Not(HasSubstr("PRIVATE KEY")));
  auto half = Load(path, "half");
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(half.status().message(), HasSubstr("certificate but no key"));
}

TEST_F(KubeConfigTest, InsecureOnlyWhenExplicitlyTrue) {
  const std::string path = Write("kube/config", R"(
clusters:
- { name: t, cluster: { server: "https://k:6443", insecure-skip-tls-verify: true } }
- { name: f, cluster: { server: "https://k:6443", insecure-skip-tls-verify: false } }
- { name: s, cluster: { server: "https://k:6443", insecure-skip-tls-verify: "false" } }
- { name: bad, cluster: { server: "https://k:6443", insecure-skip-tls-verify: maybe } }
contexts:
- { name: t, context: { cluster: t } }
- { name: f, context: { cluster: f } }
- { name: s, context: { cluster: s } }
- { name: bad, context: { cluster: bad } }
)");
  auto t = Load(path, "t");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->insecure_skip_tls_verify);
  for (const char* context : {"f", "s"}) {
    auto config = Load(path, context);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    EXPECT_FALSE(config->insecure_skip_tls_verify) << context;
  }
  auto bad = Load(path, "bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("insecure-skip-tls-verify"));
}

TEST_F(KubeConfigTest, ExecAndAuthProviderAreRefused) {
  const std::string path = Write("kube/config", R"(
clusters:
- { name: c, cluster: { server: "https://k:6443" } }
users:
- name: eks
  user:
    exec: { apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token] }
- name: gke
  user:
    auth-provider: { name: gcp, config: { access-token: secret-access-token-xyz } }
contexts:
- { name: eks, context: { cluster: c, user: eks } }
- { name: gke, context: { cluster: c, user: gke } }
)");
  auto eks = Load(path, "eks");
  ASSERT_FALSE(eks.ok());
  EXPECT_THAT(eks.status().message(), AllOf(HasSubstr("user eks"), HasSubstr("exec plugin (aws)"),
                                            HasSubstr("not support"), HasSubstr("token")));
  auto gke = Load(path, "gke");
  ASSERT_FALSE(gke.ok());
  EXPECT_THAT(gke.status().message(),
              AllOf(HasSubstr("auth-provider \"gcp\""), Not(HasSubstr("secret-access-token"))));
}

TEST_F(KubeConfigTest, BasicAuthAndBrokenYaml) {
  const std::string path = Write("kube/config", R"(
current-context: c
clusters:
- { name: c, cluster: { server: "https://k:6443" } }
users:
- { name: u, user: { username: admin, password: basic-password-456 } }
contexts:
- { name: c, context: { cluster: c, user: u } }
)");
  auto config = Load(path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->username, "admin");
  EXPECT_EQ(config->password.expose(), "basic-password-456");

  auto broken = Load(Write("broken", "clusters: [ {name: x\n"));
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(broken.status().message(), HasSubstr(dir_ + "/broken:"));
}

// ------------------------------------------------------- error mapping (unit)

// Answers every request with one scripted response and records the requests.
class ScriptedHttp : public http::HttpClient {
 public:
  explicit ScriptedHttp(Result<http::Response> answer) : answer_(std::move(answer)) {}
  Result<http::Response> Send(const http::Request& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    return answer_;
  }
  std::vector<http::Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  Result<http::Response> answer_;
  std::vector<http::Request> requests_;
};

http::Response StatusResponse(long code, const std::string& reason, const std::string& message) {
  http::Response r;
  r.status = code;
  r.body = Value{
      {"kind", "Status"},
      {"status", "Failure"},
      {"reason", reason},
      {"message", message},
      {"code",
       code}}.dump();
  return r;
}

KubeConfig UnitConfig() {
  KubeConfig config;
  config.path = "/home/me/.kube/config";
  config.context = "prod";
  config.server = "https://10.1.2.3:6443";
  config.token = Secret("unit-bearer-token-789");
  return config;
}

TEST(KubeErrorsTest, StatusCodesMapAndNameTheObjectAndServer) {
  struct Case {
    long code;
    std::string reason;
    StatusCode want;
  };
  const std::vector<Case> cases = {
      {404, "NotFound", StatusCode::kNotFound},
      {409, "AlreadyExists", StatusCode::kAlreadyExists},
      {409, "Conflict", StatusCode::kConflict},
      {401, "Unauthorized", StatusCode::kPermissionDenied},
      {403, "Forbidden", StatusCode::kPermissionDenied},
      {422, "Invalid", StatusCode::kInvalidArgument},
      {400, "BadRequest", StatusCode::kInvalidArgument},
      {429, "TooManyRequests", StatusCode::kUnavailable},
      {503, "ServiceUnavailable", StatusCode::kUnavailable},
  };
  FakeClock clock;
  for (const Case& c : cases) {
    auto kube = NewKubeClient(UnitConfig(), clock,
                              std::make_unique<ScriptedHttp>(
                                  StatusResponse(c.code, c.reason, "server says " + c.reason)));
    auto got = kube->Get(Kind::Elasticsearch(), "observability", "logs");
    ASSERT_FALSE(got.ok()) << c.code;
    EXPECT_EQ(got.status().code(), c.want) << c.code << " " << got.status().ToString();
    EXPECT_THAT(
        got.status().message(),
        AllOf(HasSubstr("Elasticsearch observability/logs"),
              HasSubstr("https://10.1.2.3:6443 (context prod, /home/me/.kube/config)"),
              HasSubstr("server says " + c.reason), Not(HasSubstr("unit-bearer-token-789"))));
    EXPECT_EQ(got.status().retryable(),
              c.want == StatusCode::kConflict || c.want == StatusCode::kUnavailable);
  }
}

TEST(KubeErrorsTest, ConnectionErrorsKeepTheirCodeWithContext) {
  FakeClock clock;
  auto kube =
      NewKubeClient(UnitConfig(), clock,
                    std::make_unique<ScriptedHttp>(Status::Unavailable("connection refused")));
  Status st = kube->Delete(Kind::Secret(), "ns", "s");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(st.retryable());
  EXPECT_THAT(st.message(), AllOf(HasSubstr("delete Secret ns/s"), HasSubstr("connection refused"),
                                  HasSubstr("https://10.1.2.3:6443")));
}

TEST(KubeErrorsTest, RequestsCarryPathsHeadersAndAuth) {
  FakeClock clock;
  http::Response ok;
  ok.status = 200;
  ok.body = R"({"items":[{"metadata":{"name":"a"}}]})";
  auto scripted = std::make_unique<ScriptedHttp>(ok);
  ScriptedHttp* http = scripted.get();
  KubeConfig config = UnitConfig();
  config.server = "https://rancher.example.com/k8s/clusters/c-1";
  auto kube = NewKubeClient(config, clock, std::move(scripted));
  auto items = kube->List(Kind::Secret(), "ns", "app=x,tier in (a,b)");
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->size(), 1u);
  ASSERT_TRUE(kube->MergePatch(Kind::Elasticsearch(), "ns", "es", {{"spec", nullptr}}).ok());
  ASSERT_TRUE(kube->Create(Kind::ConfigMap(), "ns", {{"metadata", {{"name", "m"}}}}).ok());
  auto requests = http->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].url,
            "https://rancher.example.com/k8s/clusters/c-1/api/v1/namespaces/ns/secrets"
            "?labelSelector=" +
                http::UrlEncode("app=x,tier in (a,b)"));
  EXPECT_EQ(requests[1].method, "PATCH");
  EXPECT_EQ(requests[1].url,
            "https://rancher.example.com/k8s/clusters/c-1/apis/"
            "elasticsearch.k8s.elastic.co/v1/namespaces/ns/elasticsearches/es");
  EXPECT_THAT(requests[1].headers, ::testing::Contains(std::pair<std::string, std::string>(
                                       "Content-Type", "application/merge-patch+json")));
  EXPECT_EQ(requests[1].body, R"({"spec":null})");
  auto created = ParseJson(requests[2].body);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ((*created)["apiVersion"], "v1");
  EXPECT_EQ((*created)["kind"], "ConfigMap");
  for (const auto& r : requests) {
    ASSERT_TRUE(r.authorization.has_value());
    EXPECT_EQ(r.authorization->expose(), "Bearer unit-bearer-token-789");
  }
}

TEST(KubeErrorsTest, BasicAuthWhenNoToken) {
  FakeClock clock;
  http::Response ok;
  ok.status = 200;
  ok.body = "{}";
  auto scripted = std::make_unique<ScriptedHttp>(ok);
  ScriptedHttp* http = scripted.get();
  KubeConfig config = UnitConfig();
  config.token = Secret();
  config.username = "admin";
  config.password = Secret("basic-pw-000");
  auto kube = NewKubeClient(config, clock, std::move(scripted));
  ASSERT_TRUE(kube->Delete(Kind::Service(), "ns", "svc").ok());
  auto requests = http->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "DELETE");
  EXPECT_EQ(requests[0].url, "https://10.1.2.3:6443/api/v1/namespaces/ns/services/svc");
  ASSERT_TRUE(requests[0].authorization.has_value());
  EXPECT_EQ(requests[0].authorization->expose(),
            "Basic " + http::Base64Encode("admin:basic-pw-000"));
}

TEST(KubeErrorsTest, SecretValueDecodesData) {
  Value secret = {{"data", {{"elastic", http::Base64Encode("pw")}, {"bad", "%%%"}}}};
  EXPECT_EQ(SecretValue(secret, "elastic"), "pw");
  EXPECT_EQ(SecretValue(secret, "missing"), std::nullopt);
  EXPECT_EQ(SecretValue(secret, "bad"), std::nullopt);
  EXPECT_EQ(SecretValue(Value::object(), "elastic"), std::nullopt);
}

// ------------------------------------------------------------------- sandbox

constexpr char kSandbox[] = R"(
environments:
  k8s: { platform: eck, operator_version: "3.3.0", restart_ms: 50 }
clusters:
  logs: { environment: k8s, namespace: observability, version: "8.17.0" }
)";

class KubeSandboxTest : public sandbox::e2e::SandboxTest {
 protected:
  void SetUp() override {
    StartSandbox(kSandbox);
    ASSERT_NE(sandbox_, nullptr);
    auto config = LoadKubeConfig(Env("K8S_KUBECONFIG"), "", *fs_, nullptr);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    kube_ = NewKubeClient(config_, clock_);
  }

  // A ConfigMap `name` in observability with data {a: 1, b: 2}.
  Value NewConfigMap(const std::string& name) {
    return {{"metadata", {{"name", name}, {"labels", {{"app", "kube-test"}}}}},
            {"data", {{"a", "1"}, {"b", "2"}}}};
  }

  std::unique_ptr<FileSystem> fs_ = NewPosixFileSystem();
  KubeConfig config_;
  std::unique_ptr<KubeClient> kube_;
};

// kubectl's insecure-skip-tls-verify: without the CA, the API server's
// certificate fails verification unless the kubeconfig explicitly says so.
TEST_F(KubeSandboxTest, InsecureSkipTlsVerifyOnlyWhenSet) {
  KubeConfig no_ca = config_;
  no_ca.ca_pem.clear();
  auto verified = NewKubeClient(no_ca, clock_)->Get(Kind::Elasticsearch(), "observability", "logs");
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.status().code(), StatusCode::kFailedPrecondition)
      << verified.status().ToString();
  KubeConfig insecure = no_ca;
  insecure.insecure_skip_tls_verify = true;
  auto got = NewKubeClient(insecure, clock_)->Get(Kind::Elasticsearch(), "observability", "logs");
  EXPECT_TRUE(got.ok()) << got.status().ToString();
}

TEST_F(KubeSandboxTest, GetsElasticsearchAndItsElasticUserSecret) {
  EXPECT_EQ(config_.context, Env("K8S_CONTEXT"));
  auto es = kube_->Get(Kind::Elasticsearch(), "observability", "logs");
  ASSERT_TRUE(es.ok()) << es.status().ToString();
  EXPECT_EQ((*es)["spec"]["version"], "8.17.0");
  EXPECT_EQ((*es)["kind"], "Elasticsearch");
  auto secret = kube_->Get(Kind::Secret(), "observability", "logs-es-elastic-user");
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(SecretValue(*secret, "elastic"), Env("LOGS_PASSWORD"));
}

TEST_F(KubeSandboxTest, ListsSecretsByLabel) {
  for (const std::string name : {"s1", "s2", "s3"}) {
    Value secret = {
        {"metadata",
         {{"name", name}, {"labels", {{"team", name == "s3" ? "other" : "search"}, {"x", "y"}}}}},
        {"stringData", {{"k", "v-" + name}}}};
    ASSERT_TRUE(kube_->Create(Kind::Secret(), "observability", secret).ok());
  }
  auto items = kube_->List(Kind::Secret(), "observability", "team=search,x=y");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  std::vector<std::string> names;
  for (const Value& item : *items) names.push_back(item["metadata"]["name"]);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("s1", "s2"));
  EXPECT_EQ(SecretValue((*items)[0], "k"), "v-" + names[0]);
  auto none = kube_->List(Kind::Secret(), "observability", "team=nobody");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->is_array());
  EXPECT_TRUE(none->empty());
}

TEST_F(KubeSandboxTest, ConfigMapLifecycle) {
  auto created = kube_->Create(Kind::ConfigMap(), "observability", NewConfigMap("cm"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string version = (*created)["metadata"]["resourceVersion"];

  auto again = kube_->Create(Kind::ConfigMap(), "observability", NewConfigMap("cm"));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);

  Value changed = *created;
  changed["data"]["a"] = "10";
  auto replaced = kube_->Replace(Kind::ConfigMap(), "observability", "cm", changed);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ((*replaced)["data"]["a"], "10");
  EXPECT_NE((*replaced)["metadata"]["resourceVersion"], version);

  // `changed` still carries the old resourceVersion.
  changed["data"]["a"] = "20";
  auto stale = kube_->Replace(Kind::ConfigMap(), "observability", "cm", changed);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_TRUE(stale.status().retryable());
  EXPECT_THAT(stale.status().message(), HasSubstr("ConfigMap observability/cm"));

  auto patched = kube_->MergePatch(Kind::ConfigMap(), "observability", "cm",
                                   {{"data", {{"a", nullptr}, {"c", "3"}}}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ((*patched)["data"], Value({{"b", "2"}, {"c", "3"}}));

  ASSERT_TRUE(kube_->Delete(Kind::ConfigMap(), "observability", "cm").ok());
  Status gone = kube_->Delete(Kind::ConfigMap(), "observability", "cm");
  EXPECT_EQ(gone.code(), StatusCode::kNotFound);
  auto missing = kube_->Get(Kind::ConfigMap(), "observability", "cm");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), AllOf(HasSubstr("ConfigMap observability/cm"),
                                                HasSubstr(config_.server), HasSubstr("not found")));
}

TEST_F(KubeSandboxTest, UpdateWithRetrySurvivesAConcurrentWrite) {
  ASSERT_TRUE(kube_->Create(Kind::ConfigMap(), "observability", NewConfigMap("cm")).ok());
  int calls = 0;
  auto updated = UpdateWithRetry(
      *kube_, Kind::ConfigMap(), "observability", "cm", [&](Value& object) -> Result<bool> {
        if (++calls == 1) {  // someone else writes between our read and our write
          auto other = kube_->MergePatch(Kind::ConfigMap(), "observability", "cm",
                                         {{"data", {{"other", "x"}}}});
          EXPECT_TRUE(other.ok()) << other.status().ToString();
        }
        object["data"]["mine"] = "y";
        return true;
      });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((*updated)["data"]["other"], "x");
  EXPECT_EQ((*updated)["data"]["mine"], "y");

  // Nothing to change: no write, the object as read.
  auto unchanged = UpdateWithRetry(*kube_, Kind::ConfigMap(), "observability", "cm",
                                   [](Value&) -> Result<bool> { return false; });
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ((*unchanged)["metadata"]["resourceVersion"], (*updated)["metadata"]["resourceVersion"]);

  // Always losing the race: kConflict after the attempts.
  int tries = 0;
  auto lost = UpdateWithRetry(
      *kube_, Kind::ConfigMap(), "observability", "cm",
      [&](Value& object) -> Result<bool> {
        ++tries;
        EXPECT_TRUE(kube_
                        ->MergePatch(Kind::ConfigMap(), "observability", "cm",
                                     {{"data", {{"n", std::to_string(tries)}}}})
                        .ok());
        object["data"]["mine"] = "z";
        return true;
      },
      3);
  EXPECT_EQ(lost.status().code(), StatusCode::kConflict);
  EXPECT_EQ(tries, 3);
  EXPECT_THAT(lost.status().message(), HasSubstr("3 attempts"));

  // A mutate error stops at once.
  auto failed =
      UpdateWithRetry(*kube_, Kind::ConfigMap(), "observability", "cm",
                      [](Value&) -> Result<bool> { return Status::InvalidArgument("no good"); });
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(KubeSandboxTest, WrongTokenIsPermissionDeniedWithoutTheToken) {
  KubeConfig wrong = config_;
  wrong.token = Secret("wrong-token-abcdef");
  auto kube = NewKubeClient(wrong, clock_);
  auto got = kube->Get(Kind::Secret(), "observability", "logs-es-elastic-user");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(got.status().message(),
              AllOf(HasSubstr("Secret observability/logs-es-elastic-user"),
                    HasSubstr("context " + config_.context), Not(HasSubstr("wrong-token")),
                    Not(HasSubstr(config_.token.expose()))));
}

TEST_F(KubeSandboxTest, CrdInvalidPatchIsInvalidArgumentWithTheServersMessage) {
  auto patched = kube_->MergePatch(Kind::Elasticsearch(), "observability", "logs",
                                   {{"spec", {{"nodeSets", "not-a-list"}}}});
  ASSERT_FALSE(patched.ok());
  EXPECT_EQ(patched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(patched.status().message(),
              AllOf(HasSubstr("Elasticsearch observability/logs"), HasSubstr("spec.nodeSets"),
                    HasSubstr("is invalid")));
}

TEST_F(KubeSandboxTest, TlsServerNameIsVerified) {
  KubeConfig named = config_;
  named.tls_server_name = "kubernetes.default.svc";
  auto ok = NewKubeClient(named, clock_)->Get(Kind::Elasticsearch(), "observability", "logs");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();

  named.tls_server_name = "not-the-api-server.example";
  auto bad = NewKubeClient(named, clock_)->Get(Kind::Elasticsearch(), "observability", "logs");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition) << bad.status().ToString();
}

TEST_F(KubeSandboxTest, NoSecretReachesAnyMessage) {
  Redactor::SetEnabledForTesting(false);
  std::vector<std::string> messages;
  auto collect = [&](const Status& st) { messages.push_back(st.message()); };
  collect(kube_->Get(Kind::Secret(), "observability", "nope").status());
  collect(kube_
              ->Create(Kind::Secret(), "observability",
                       {{"metadata", {{"name", "bad name!"}}}, {"stringData", {{"k", "v"}}}})
              .status());
  KubeConfig wrong = config_;
  wrong.token = Secret("another-wrong-token-1");
  collect(NewKubeClient(wrong, clock_)->List(Kind::Secret(), "observability", "").status());
  messages.push_back(kube_->Describe());
  Redactor::SetEnabledForTesting(true);
  const std::string password = Env("LOGS_PASSWORD");
  for (const std::string& m : messages) {
    EXPECT_FALSE(m.empty());
    EXPECT_THAT(m, AllOf(Not(HasSubstr(config_.token.expose())), Not(HasSubstr(password)),
                         Not(HasSubstr("another-wrong-token-1"))));
  }
}

}  // namespace
}  // namespace crosslink::providers::eck
