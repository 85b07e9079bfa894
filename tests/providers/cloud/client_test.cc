// The Elastic Cloud / ECE API client (providers/cloud/cloud_client.h):
// against the in-process sandbox over real HTTPS, every request checked
// against the Swagger contract of its flavor; and, for answers the sandbox
// cannot produce (403, several Elasticsearch resources, pending plans ...),
// against a scripted HttpClient that is contract-checked too.

#include "providers/cloud/cloud_client.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "engine/core/pki.h"
#include "tests/providers/cloud/cloud_test_util.h"
#include "tests/providers/contracts/cloud_api_spec.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::providers::cloud {
namespace {

using contracts::CloudContractLog;
using contracts::NewCloudContractClient;

using test_util::Contains;
using test_util::NewCaPem;

// A clock whose Sleep is recorded and may run a hook (e.g. clear a fault
// between two attempts of the HTTP client).
class HookClock : public FakeClock {
 public:
  void Sleep(std::chrono::milliseconds d) override {
    sleeps.push_back(d);
    FakeClock::Sleep(d);
    if (on_sleep) on_sleep();
  }
  std::vector<std::chrono::milliseconds> sleeps;
  std::function<void()> on_sleep;
};

// --- against the sandbox -------------------------------------------------------

class CloudClientSandboxTest : public sandbox::e2e::SandboxTest {
 protected:
  void SetUp() override { StartSandbox(test_util::kSandboxConfig); }

  void TearDown() override {
    EXPECT_TRUE(log_->violations().empty()) << log_->Summary();
    for (const std::string& m : messages_) {
      EXPECT_FALSE(Contains(m, Env("CLOUD_API_KEY"))) << m;
      EXPECT_FALSE(Contains(m, Env("DC1_API_KEY"))) << m;
    }
    SandboxTest::TearDown();
  }

  // A client of environment `env` ("cloud" or "dc1") trusting `ca_file`.
  std::unique_ptr<CloudClient> NewClient(const std::string& env, Clock& clock, int attempts = 1,
                                         std::string ca_file = "", std::string api_key = "") {
    const std::string prefix = EnvPrefix(env);
    if (ca_file.empty()) ca_file = Env(prefix + "_CA_FILE");
    ApiTarget target;
    target.environment = env;
    target.flavor = env == "dc1" ? Flavor::kEce : Flavor::kEch;
    target.endpoint = Env(prefix + "_ENDPOINT");
    target.api_key = Secret(api_key.empty() ? Env(prefix + "_API_KEY") : api_key);
    target.api_key_source = env == "dc1" ? "${env:ECE_API_KEY}" : "${env:EC_API_KEY}";
    target.ca_file = ca_file;
    http::ClientOptions options;
    options.ca_pem = sandbox::e2e::ReadText(ca_file);
    options.trust_system_cas = false;
    options.retry.max_attempts = attempts;
    options.request_timeout = std::chrono::milliseconds(20000);
    auto http = NewCloudContractClient(target.flavor, http::NewCurlClient(options, clock), log_);
    return std::make_unique<CloudClient>(std::move(target), std::move(http));
  }
  std::unique_ptr<CloudClient> Ech() { return NewClient("cloud", clock_); }
  std::unique_ptr<CloudClient> Ece() { return NewClient("dc1", clock_); }

  Deployment Get(const CloudClient& client, const std::string& cluster,
                 const std::string& ref = "") {
    Result<Deployment> d =
        client.GetDeployment(cluster, Env(EnvPrefix(cluster) + "_DEPLOYMENT_ID"), ref);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : Deployment();
  }

  // Keeps an error message for the "no API key in any message" check.
  std::string Message(const Status& s) {
    messages_.push_back(s.message());
    return s.message();
  }

  // The control API (plain HTTP).
  long Control(const std::string& method, const std::string& path, const std::string& body = "") {
    if (!control_) control_ = http::NewCurlClient(http::ClientOptions{}, clock_);
    http::Request request = http::Request::Json(method, sandbox_->control_url() + path, body);
    Result<http::Response> r = control_->Send(request);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->status : 0;
  }

  Value Twin(const std::string& cluster) { return sandbox_->FindTwin(cluster)->Inspect(); }

  std::shared_ptr<CloudContractLog> log_ = std::make_shared<CloudContractLog>();
  std::vector<std::string> messages_;
  std::unique_ptr<http::HttpClient> control_;
};

TEST_F(CloudClientSandboxTest, GetDeploymentReadsEveryFact) {
  auto client = Ech();
  Deployment d = Get(*client, "analytics");
  const std::string url = Env("ANALYTICS_URL");  // https://<cluster_id>.<domain>:<port>
  EXPECT_EQ(d.deployment_id, Env("ANALYTICS_DEPLOYMENT_ID"));
  EXPECT_EQ(d.cluster, "analytics");
  EXPECT_EQ(d.name, "analytics");
  EXPECT_EQ(d.ref_id, "main-elasticsearch");
  EXPECT_EQ(d.ref_ids, std::vector<std::string>{"main-elasticsearch"});
  EXPECT_EQ(d.region, "eu-west-1");
  ASSERT_EQ(d.cluster_id.size(), 32u);
  EXPECT_EQ(d.endpoint, d.cluster_id + ".eu-west-1.cloud.ech.localhost");
  EXPECT_EQ(d.service_url, url);
  EXPECT_TRUE(Contains(url, "https://" + d.endpoint + ":")) << url;
  EXPECT_EQ(d.version, "8.17.0");
  EXPECT_EQ(d.transport_port, 9400);
  ASSERT_TRUE(d.plan.is_object());
  EXPECT_TRUE(d.plan.contains("cluster_topology")) << d.plan.dump();
  EXPECT_EQ(d.plan["elasticsearch"]["version"], "8.17.0");
  ASSERT_TRUE(d.trust.is_object());
  EXPECT_TRUE(d.trust.contains("accounts")) << d.trust.dump();  // default: trust own org
  EXPECT_FALSE(d.plan_pending);
  EXPECT_FALSE(d.resource_version.empty());
  EXPECT_EQ(d.Describe(), "deployment " + d.deployment_id + " (ref_id main-elasticsearch)");

  Deployment legacy = Get(*client, "legacy");
  EXPECT_EQ(legacy.version, "8.12.0");
  EXPECT_NE(legacy.cluster_id, d.cluster_id);

  // Explicit ref_id and the API's "_main" alias pick the same resource.
  EXPECT_EQ(Get(*client, "analytics", "main-elasticsearch").cluster_id, d.cluster_id);
  Deployment main = Get(*client, "analytics", "_main");
  EXPECT_EQ(main.ref_id, "main-elasticsearch");
  EXPECT_EQ(main.cluster_id, d.cluster_id);

  // ECE: the installation's domain.
  auto ece = Ece();
  Deployment onprem = Get(*ece, "onprem");
  EXPECT_EQ(onprem.version, "8.17.0");
  EXPECT_TRUE(Contains(onprem.endpoint, onprem.cluster_id + ".dc1.ece.localhost"))
      << onprem.endpoint;
  EXPECT_EQ(onprem.service_url, Env("ONPREM_URL"));
  EXPECT_EQ(log_->operations(), std::set<std::string>{"get-deployment"});
}

TEST_F(CloudClientSandboxTest, WrongDeploymentRefIdOrKeySayHowToFix) {
  auto client = Ech();
  Result<Deployment> missing =
      client->GetDeployment("analytics", "ffffffffffffffffffffffffffffffff", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::string m = Message(missing.status());
  EXPECT_TRUE(Contains(m, "deployment ffffffffffffffffffffffffffffffff (cluster \"analytics\")"))
      << m;
  EXPECT_TRUE(Contains(m, "environment \"cloud\"")) << m;
  EXPECT_TRUE(Contains(m, "deployments.deployment_not_found")) << m;
  EXPECT_TRUE(Contains(m, "check clusters.analytics.deployment_id")) << m;

  Result<Deployment> ref =
      client->GetDeployment("analytics", Env("ANALYTICS_DEPLOYMENT_ID"), "other-es");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), StatusCode::kInvalidArgument);
  m = Message(ref.status());
  EXPECT_TRUE(Contains(m, "\"other-es\"")) << m;
  EXPECT_TRUE(Contains(m, "main-elasticsearch")) << m;
  EXPECT_TRUE(Contains(m, "clusters.analytics.ref_id")) << m;

  const std::string wrong_key = "d3Jvbmcta2V5LWZvci10aGUtdGVzdA==";
  auto bad = NewClient("cloud", clock_, 1, "", wrong_key);
  Result<Deployment> denied = bad->GetDeployment("analytics", Env("ANALYTICS_DEPLOYMENT_ID"), "");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  m = Message(denied.status());
  EXPECT_TRUE(Contains(m, "API key of environment \"cloud\" (${env:EC_API_KEY}) was refused")) << m;
  EXPECT_TRUE(Contains(m, "Organization > API keys")) << m;
  EXPECT_TRUE(Contains(m, "set EC_API_KEY")) << m;
  EXPECT_FALSE(Contains(m, wrong_key)) << m;
}

TEST_F(CloudClientSandboxTest, KeystoreSetAndRemoveLeaveOtherEntries) {
  auto client = Ech();
  Deployment d = Get(*client, "analytics");
  // Someone else's entry.
  sandbox::e2e::Reply other =
      Cloud("cloud", "PATCH",
            "/deployments/" + d.deployment_id + "/elasticsearch/main-elasticsearch/keystore",
            R"({"secrets":{"s3.client.default.secret_key":{"value":"not-ours-123"}}})");
  ASSERT_EQ(other.status, 200) << other.body;

  const std::string setting = "cluster.remote.logs.credentials";
  const Secret value("encoded-cross-cluster-key-value");
  ASSERT_TRUE(client->SetKeystoreEntry(d, setting, &value).ok());
  Result<std::set<std::string>> names = client->KeystoreNames(d);
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::set<std::string>{setting, "s3.client.default.secret_key"}));
  // 8.17 reloads at once: the node has it.
  EXPECT_TRUE(Contains(Twin("analytics")["keystore"].dump(), setting));

  ASSERT_TRUE(client->SetKeystoreEntry(d, setting, nullptr).ok());
  names = client->KeystoreNames(d);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::set<std::string>{"s3.client.default.secret_key"});
  EXPECT_EQ(log_->operations(),
            (std::set<std::string>{"get-deployment", "get-deployment-es-resource-keystore",
                                   "set-deployment-es-resource-keystore"}));
}

TEST_F(CloudClientSandboxTest, RestartAppliesTheKeystoreBelow814) {
  auto client = Ech();
  Deployment d = Get(*client, "legacy");
  const std::string setting = "cluster.remote.logs.credentials";
  const Secret value("encoded-cross-cluster-key-value");
  ASSERT_TRUE(client->SetKeystoreEntry(d, setting, &value).ok());
  Value before = Twin("legacy");
  EXPECT_FALSE(Contains(before["keystore"].dump(), setting));  // 8.12: not reloaded
  ASSERT_TRUE(client->Restart(d).ok());
  Value after = Twin("legacy");
  EXPECT_GT(after["restarts"].get<int>(), before["restarts"].get<int>());
  EXPECT_TRUE(Contains(after["keystore"].dump(), setting));
  EXPECT_TRUE(log_->operations().count("restart-deployment-es-resource"));
}

TEST_F(CloudClientSandboxTest, CertificateAuthorityListsCertificates) {
  auto client = Ech();
  Deployment d = Get(*client, "analytics");
  Result<Value> ca = client->CertificateAuthority(d);
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  ASSERT_TRUE((*ca)["public_certificates"].is_array());
  ASSERT_FALSE((*ca)["public_certificates"].empty());
  const Value& cert = (*ca)["public_certificates"][0];
  EXPECT_TRUE(Contains(cert.value("pem", ""), "BEGIN CERTIFICATE"));
  EXPECT_TRUE(cert.value("active", false));
  EXPECT_TRUE(Contains((*ca).value("recommended_trust_restriction", ""), d.cluster_id));
}

TEST_F(CloudClientSandboxTest, PutTrustIsAppliedAndAStaleVersionConflicts) {
  auto client = Ech();
  Deployment d = Get(*client, "analytics");
  Value trust = d.trust;
  Value entry = {{"type", "proxy"},
                 {"name", "crosslink-test"},
                 {"trust_all", false},
                 {"certificates", Value::array({{{"pem", NewCaPem("remote rcs ca")}}})}};
  trust["direct"] = Value::array({entry});
  ASSERT_TRUE(client->PutTrust(d, trust).ok());

  Deployment after = Get(*client, "analytics");
  ASSERT_TRUE(after.trust["direct"].is_array());
  ASSERT_EQ(after.trust["direct"].size(), 1u) << after.trust.dump();
  EXPECT_EQ(after.trust["direct"][0]["name"], "crosslink-test");
  EXPECT_EQ(after.trust["accounts"], d.trust["accounts"]);  // untouched
  EXPECT_NE(after.resource_version, d.resource_version);
  // The API adds uid and certificate metadata; resending what was read is fine.
  EXPECT_FALSE(after.trust["direct"][0].value("uid", "").empty());
  EXPECT_TRUE(after.trust["direct"][0]["certificates"][0]["metadata"].contains("fingerprint"));
  ASSERT_TRUE(client->PutTrust(after, after.trust).ok());

  // `d` is stale now: optimistic concurrency refuses it.
  Status stale = client->PutTrust(d, d.trust);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.code(), StatusCode::kConflict);
  EXPECT_TRUE(stale.retryable());
  std::string m = Message(stale);
  EXPECT_TRUE(Contains(m, "deployment " + d.deployment_id + " (cluster \"analytics\")")) << m;
  EXPECT_TRUE(Contains(m, "deployments.version_conflict")) << m;
  EXPECT_TRUE(Contains(m, "read it again")) << m;
  EXPECT_TRUE(log_->operations().count("update-deployment"));
}

TEST_F(CloudClientSandboxTest, EceProxyChainAndTrustRelationships) {
  auto client = Ece();
  Result<Value> chain = client->ProxyChain();
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  ASSERT_GE((*chain)["chain"].size(), 2u);
  // The root (last element) is the installation CA the API client trusts.
  std::string root = (*chain)["chain"].back();
  Result<pki::CertificateInfo> info = pki::InspectCertificate(root);
  ASSERT_TRUE(info.ok());
  Result<pki::CertificateInfo> ca_file =
      pki::InspectCertificate(sandbox::e2e::ReadText(Env("DC1_CA_FILE")));
  ASSERT_TRUE(ca_file.ok());
  EXPECT_EQ(info->sha256_fingerprint, ca_file->sha256_fingerprint);

  Result<Value> local = client->TrustRelationships(true);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ASSERT_EQ(local->size(), 1u) << local->dump();
  EXPECT_TRUE((*local)[0].value("local", false));
  EXPECT_EQ((*local)[0].value("installation_id", ""), Env("DC1_ENVIRONMENT_ID"));
  EXPECT_TRUE(Contains((*local)[0].value("public_ca_cert", ""), "BEGIN CERTIFICATE"));

  Value create = {{"name", "crosslink-ece2"},
                  {"public_ca_cert", NewCaPem("ece2 root")},
                  {"installation_id", "0123456789abcdef0123456789abcdef"},
                  {"account_ids", Value::array({"0123456789abcdef0123456789abcdef"})},
                  {"trust_by_default", false}};
  Result<Value> created = client->CreateTrustRelationship(create);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string id = (*created)["id"];
  auto find = [&](const std::string& want) -> Value {
    Result<Value> all = client->TrustRelationships(false);
    EXPECT_TRUE(all.ok());
    for (const Value& r : all.ok() ? *all : Value::array()) {
      if (r.value("id", "") == want) return r;
    }
    return Value();
  };
  EXPECT_EQ(find(id).value("name", ""), "crosslink-ece2");
  ASSERT_TRUE(client->UpdateTrustRelationship(id, Value{{"name", "crosslink-ece2-renamed"}}).ok());
  EXPECT_EQ(find(id).value("name", ""), "crosslink-ece2-renamed");
  ASSERT_TRUE(client->DeleteTrustRelationship(id).ok());
  EXPECT_TRUE(find(id).is_null());
  Status gone = client->DeleteTrustRelationship(id);
  EXPECT_EQ(gone.code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(Message(gone), "trust relationship " + id)) << gone.message();
  EXPECT_EQ(log_->operations(),
            (std::set<std::string>{"get-tls-certificate", "get-trust-relationships",
                                   "create-trust-relationship", "update-trust-relationship",
                                   "delete-trust-relationship"}));
}

TEST_F(CloudClientSandboxTest, EcePlatformCallsAreRefusedOnEchWithoutARequest) {
  auto client = Ech();
  for (const Status& s : {client->ProxyChain().status(), client->TrustRelationships(true).status(),
                          client->CreateTrustRelationship(Value{{"name", "x"}}).status(),
                          client->UpdateTrustRelationship("x", Value::object()),
                          client->DeleteTrustRelationship("x")}) {
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(Contains(Message(s), "environment \"cloud\" is Elastic Cloud Hosted"))
        << s.message();
  }
  EXPECT_EQ(log_->checked(), 0u);
}

TEST_F(CloudClientSandboxTest, WaitForPlanReturnsAtOnceWhenNothingIsPending) {
  auto client = Ech();
  Deployment d = Get(*client, "analytics");
  FakeClock clock;
  int told = 0;
  Result<Deployment> done =
      WaitForPlan(*client, "analytics", d, clock, std::chrono::minutes(1), std::chrono::seconds(2),
                  [&](const std::string&) { ++told; });
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_FALSE(done->plan_pending);
  EXPECT_EQ(done->cluster_id, d.cluster_id);
  EXPECT_EQ(clock.elapsed().count(), 0);
  EXPECT_EQ(told, 0);
}

TEST_F(CloudClientSandboxTest, RetryAfterOf429IsHonouredThenTheCallSucceeds) {
  HookClock clock;
  auto client = NewClient("cloud", clock, 4);
  ASSERT_EQ(Control("PUT", "/_sandbox/faults",
                    R"({"target":"cloud/cloud/api","error_rate":1,"error_status":429})"),
            200);
  clock.on_sleep = [&] { EXPECT_EQ(Control("DELETE", "/_sandbox/faults"), 200); };
  Result<Deployment> d = client->GetDeployment("analytics", Env("ANALYTICS_DEPLOYMENT_ID"), "");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  // One wait, of exactly the sandbox's Retry-After: 1 (jitter would be <= 200 ms).
  EXPECT_EQ(clock.sleeps, std::vector<std::chrono::milliseconds>{std::chrono::seconds(1)});
  // The retry happens inside the HTTP client, below the contract checker.
  EXPECT_EQ(log_->checked(), 1u);
}

TEST_F(CloudClientSandboxTest, ServerErrorsAfterRetriesAreUnavailableAndRetryable) {
  HookClock clock;
  auto client = NewClient("cloud", clock, 3);
  ASSERT_EQ(Control("PUT", "/_sandbox/faults",
                    R"({"target":"cloud/cloud/api","error_rate":1,"error_status":503})"),
            200);
  Deployment d;
  d.deployment_id = Env("ANALYTICS_DEPLOYMENT_ID");
  d.ref_id = "main-elasticsearch";
  d.cluster = "analytics";
  Result<std::set<std::string>> names = client->KeystoreNames(d);
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(names.status().retryable());
  std::string m = Message(names.status());
  EXPECT_TRUE(Contains(m, "Elastic Cloud API of environment \"cloud\" is unavailable")) << m;
  EXPECT_TRUE(Contains(m, "HTTP 503")) << m;
  EXPECT_TRUE(Contains(m, "(cluster \"analytics\")")) << m;
  EXPECT_EQ(clock.sleeps.size(), 2u);  // three attempts
  for (std::chrono::milliseconds wait : clock.sleeps) EXPECT_LE(wait.count(), 400);  // backoff
}

TEST_F(CloudClientSandboxTest, TlsFailureNamesTheCaFile) {
  // The ECH API is signed by the public CA; trusting only the ECE root fails.
  const std::string wrong_ca = Env("DC1_CA_FILE");
  auto client = NewClient("cloud", clock_, 1, wrong_ca);
  Result<Deployment> d = client->GetDeployment("analytics", Env("ANALYTICS_DEPLOYMENT_ID"), "");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kFailedPrecondition);
  std::string m = Message(d.status());
  EXPECT_TRUE(Contains(m, "cannot verify the TLS certificate")) << m;
  EXPECT_TRUE(Contains(m, "ca_file " + wrong_ca + " of environment \"cloud\"")) << m;
}

// --- scripted answers ------------------------------------------------------------

struct Answer {
  long status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<Status> error;  // a transport failure instead of a response
};

// Answers from a script, records what was sent.
struct Script {
  std::deque<Answer> answers;
  std::vector<http::Request> sent;
};

class ScriptedHttp : public http::HttpClient {
 public:
  explicit ScriptedHttp(std::shared_ptr<Script> script) : script_(std::move(script)) {}
  Result<http::Response> Send(const http::Request& request) override {
    script_->sent.push_back(request);
    if (script_->answers.empty()) return Status::Internal("script exhausted");
    Answer a = script_->answers.front();
    script_->answers.pop_front();
    if (a.error) return *a.error;
    http::Response r;
    r.status = a.status;
    r.body = a.body;
    r.headers = a.headers;
    return r;
  }

 private:
  std::shared_ptr<Script> script_;
};

constexpr char kId[] = "0123456789abcdef0123456789abcdef";
constexpr char kKey[] = "c2NyaXB0ZWQta2V5OnNlY3JldHZhbHVl";

Value EsResource(const std::string& ref, const std::string& cluster_id, bool pending = false) {
  Value plan = {
      {"cluster_topology", Value::array({{{"id", "hot_content"},
                                          {"size", {{"value", 4096}, {"resource", "memory"}}}}})},
      {"elasticsearch", {{"version", "8.15.1"}}}};
  Value info = {
      {"cluster_id", cluster_id},
      {"metadata",
       {{"endpoint", cluster_id + ".eu-west-1.aws.found.io"},
        {"service_url", "https://" + cluster_id + ".eu-west-1.aws.found.io:443"},
        {"ports", {{"http", 9200}, {"https", 443}, {"transport_passthrough", 9400}}}}},
      {"plan_info", {{"current", {{"plan", plan}}}}},
      {"settings",
       {{"trust", {{"accounts", Value::array({{{"account_id", "42"}, {"trust_all", true}}})}}}}}};
  if (pending) info["plan_info"]["pending"] = {{"plan", plan}};
  return {{"ref_id", ref}, {"id", cluster_id}, {"region", "eu-west-1"}, {"info", info}};
}

Answer DeploymentAnswer(std::vector<Value> resources) {
  Value body = {{"id", kId}, {"name", "prod"}, {"resources", {{"elasticsearch", resources}}}};
  return {200, body.dump(), {{"x-cloud-resource-version", "7"}}, std::nullopt};
}

Answer CloudError(long status, const std::string& code, const std::string& message,
                  std::vector<std::string> fields = {}) {
  Value e = {{"code", code}, {"message", message}};
  if (!fields.empty()) e["fields"] = fields;
  return {status,
          Value{{"errors", Value::array({e})}}.dump(),
          {{"x-cloud-error-codes", code}},
          std::nullopt};
}

class CloudClientScriptedTest : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_TRUE(log_->violations().empty()) << log_->Summary();
    for (const std::string& m : messages_) EXPECT_FALSE(Contains(m, kKey)) << m;
  }

  CloudClient& Client(Flavor flavor = Flavor::kEch, std::string ca_file = "") {
    ApiTarget t;
    t.environment = flavor == Flavor::kEce ? "dc1" : "cloud";
    t.flavor = flavor;
    t.endpoint = "https://api.example.test/";
    t.api_key = Secret(kKey);
    t.api_key_source = flavor == Flavor::kEce ? "${file:./ece.key}" : "${env:EC_API_KEY}";
    t.ca_file = std::move(ca_file);
    client_ = std::make_unique<CloudClient>(
        t, NewCloudContractClient(flavor, std::make_unique<ScriptedHttp>(script_), log_));
    return *client_;
  }

  Status Fails(Result<Deployment> r) {
    EXPECT_FALSE(r.ok());
    if (!r.ok()) messages_.push_back(r.status().message());
    return r.ok() ? Status::Ok() : r.status();
  }
  Status Fails(Status s) {
    EXPECT_FALSE(s.ok());
    messages_.push_back(s.message());
    return s;
  }

  static Deployment SomeDeployment() {
    Deployment d;
    d.deployment_id = kId;
    d.ref_id = "main-elasticsearch";
    d.cluster = "prod";
    d.region = "eu-west-1";
    d.plan = {{"cluster_topology", Value::array({Value::object()})},
              {"elasticsearch", {{"version", "8.15.1"}}}};
    d.resource_version = "7";
    return d;
  }

  std::shared_ptr<Script> script_ = std::make_shared<Script>();
  std::shared_ptr<CloudContractLog> log_ = std::make_shared<CloudContractLog>();
  std::unique_ptr<CloudClient> client_;
  std::vector<std::string> messages_;
};

TEST_F(CloudClientScriptedTest, SendsTheApiKeyAndTheDocumentedQuery) {
  script_->answers.push_back(DeploymentAnswer({EsResource("main-elasticsearch", "abc")}));
  Result<Deployment> d = Client().GetDeployment("prod", kId, "");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(script_->sent.size(), 1u);
  const http::Request& r = script_->sent[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, std::string("https://api.example.test/api/v1/deployments/") + kId +
                       "?show_settings=true&show_plans=true&clear_transient=true");
  ASSERT_TRUE(r.authorization.has_value());
  EXPECT_EQ(r.authorization->expose(), std::string("ApiKey ") + kKey);
  EXPECT_TRUE(r.idempotent);
  EXPECT_EQ(d->resource_version, "7");
  EXPECT_EQ(d->version, "8.15.1");
  EXPECT_EQ(d->trust["accounts"][0]["account_id"], "42");
}

TEST_F(CloudClientScriptedTest, IdempotenceMarksFollowTheHeader) {
  CloudClient& client = Client(Flavor::kEce);
  Deployment d = SomeDeployment();
  const Secret value("v");
  for (int i = 0; i < 5; ++i) script_->answers.push_back({200, "{}", {}, std::nullopt});
  script_->answers.push_back(
      {201, R"({"id":"tr1","name":"n","local":false,"trust_by_default":false})", {}, std::nullopt});
  ASSERT_TRUE(client.SetKeystoreEntry(d, "a.b", &value).ok());
  ASSERT_TRUE(client.Restart(d).ok());
  ASSERT_TRUE(client.PutTrust(d, Value::object()).ok());
  ASSERT_TRUE(client.UpdateTrustRelationship("tr1", Value{{"name", "n"}}).ok());
  ASSERT_TRUE(client.DeleteTrustRelationship("tr1").ok());
  Result<Value> created =
      client.CreateTrustRelationship(Value{{"name", "n"}, {"public_ca_cert", "pem"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_EQ(script_->sent.size(), 6u);
  EXPECT_EQ(script_->sent[0].method, "PATCH");
  EXPECT_TRUE(script_->sent[0].idempotent);
  EXPECT_EQ(script_->sent[0].body, R"({"secrets":{"a.b":{"as_file":false,"value":"v"}}})");
  EXPECT_EQ(script_->sent[1].method, "POST");
  EXPECT_TRUE(script_->sent[1].idempotent);  // _restart
  EXPECT_TRUE(Contains(script_->sent[2].url, "?version=7"));
  Result<Value> put = ParseJson(script_->sent[2].body);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ((*put)["prune_orphans"], false);
  EXPECT_EQ((*put)["resources"]["elasticsearch"][0]["settings"]["trust"], Value::object());
  EXPECT_EQ((*put)["resources"]["elasticsearch"][0]["plan"], d.plan);
  EXPECT_EQ(script_->sent[5].method, "POST");
  EXPECT_FALSE(script_->sent[5].idempotent);  // a lost answer could create two
}

TEST_F(CloudClientScriptedTest, KeystoreRemovalSendsNull) {
  script_->answers.push_back({200, R"({"secrets":{}})", {}, std::nullopt});
  ASSERT_TRUE(
      Client().SetKeystoreEntry(SomeDeployment(), "cluster.remote.x.credentials", nullptr).ok());
  EXPECT_EQ(script_->sent[0].body, R"({"secrets":{"cluster.remote.x.credentials":null}})");
}

TEST_F(CloudClientScriptedTest, ExpiredKeyIsPermissionDeniedNamingItsSource) {
  script_->answers.push_back(
      CloudError(401, "root.unauthorized", "The supplied authentication is invalid"));
  Status s = Fails(Client().GetDeployment("prod", kId, ""));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(s.retryable());
  EXPECT_TRUE(Contains(s.message(),
                       "the Elastic Cloud API key of environment \"cloud\" (${env:EC_API_KEY}) "
                       "was refused (expired, revoked or for another organization)"))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "root.unauthorized")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "Organization > API keys) and set EC_API_KEY")) << s.message();

  script_->answers.push_back(CloudError(401, "root.unauthorized", "invalid"));
  s = Fails(Client(Flavor::kEce).GetDeployment("prod", kId, ""));
  EXPECT_TRUE(Contains(s.message(), "ECE API key of environment \"dc1\"")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "write it to ./ece.key")) << s.message();
}

TEST_F(CloudClientScriptedTest, ForbiddenNamesTheDeploymentAndTheRole) {
  script_->answers.push_back(
      CloudError(403, "root.forbidden", "The current user does not have access"));
  Status s = Fails(Client().Restart(SomeDeployment()));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(s.message(), std::string("deployment ") + kId + " (cluster \"prod\")"))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "\"Editor\" or \"Admin\"")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "root.forbidden: The current user does not have access"))
      << s.message();
}

TEST_F(CloudClientScriptedTest, ConflictAndOtherRejections) {
  script_->answers.push_back(CloudError(409, "deployments.version_conflict", "version mismatch"));
  Status s = Fails(Client().PutTrust(SomeDeployment(), Value::object()));
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_TRUE(s.retryable());

  script_->answers.push_back(
      CloudError(400, "root.invalid_json_request", "bad trust",
                 {"resources.elasticsearch[0].settings.trust.direct[0].scope_id"}));
  s = Fails(Client().PutTrust(SomeDeployment(), Value::object()));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(),
                       "root.invalid_json_request: bad trust (fields: "
                       "resources.elasticsearch[0].settings.trust.direct[0].scope_id)"))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "PUT /deployments/" + std::string(kId))) << s.message();
  EXPECT_FALSE(Contains(s.message(), "version=7")) << s.message();

  script_->answers.push_back(
      CloudError(404, "deployments.deployment_resource_not_found", "no such resource"));
  s = Fails(Client().KeystoreNames(SomeDeployment()).status());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(s.message(), "has no Elasticsearch resource \"main-elasticsearch\""))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "check clusters.prod.ref_id")) << s.message();
}

TEST_F(CloudClientScriptedTest, ThrottlingAndServerErrorsAreRetryableUnavailable) {
  for (long status : {429L, 500L, 502L, 503L}) {
    script_->answers.push_back(CloudError(status, "root.unavailable", "busy"));
    Status s = Fails(Client().GetDeployment("prod", kId, ""));
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << status;
    EXPECT_TRUE(s.retryable()) << status;
    EXPECT_TRUE(Contains(s.message(), "HTTP " + std::to_string(status))) << s.message();
  }
  script_->answers.push_back({0, "", {}, Status::Unavailable("Connection refused")});
  Status s = Fails(Client().GetDeployment("prod", kId, ""));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(s.retryable());
  EXPECT_TRUE(Contains(s.message(),
                       "cannot reach the Elastic Cloud API of environment \"cloud\" at "
                       "https://api.example.test"))
      << s.message();
}

TEST_F(CloudClientScriptedTest, TlsFailureWithoutCaFileSaysToSetIt) {
  script_->answers.push_back(
      {0, "", {}, Status::FailedPrecondition("TLS verification failed: self-signed")});
  Status s = Fails(Client(Flavor::kEce).GetDeployment("prod", kId, ""));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(s.message(), "set environments.dc1.ca_file")) << s.message();
  script_->answers.push_back(
      {0, "", {}, Status::FailedPrecondition("TLS verification failed: self-signed")});
  s = Fails(Client(Flavor::kEce, "./ece-ca.pem").GetDeployment("prod", kId, ""));
  EXPECT_TRUE(Contains(s.message(), "ca_file ./ece-ca.pem of environment \"dc1\"")) << s.message();
}

TEST_F(CloudClientScriptedTest, SeveralElasticsearchResourcesNeedARefId) {
  auto two = [] {
    return DeploymentAnswer(
        {EsResource("main-elasticsearch", "aaa"), EsResource("search-es", "bbb")});
  };
  script_->answers.push_back(two());
  Status s = Fails(Client().GetDeployment("prod", kId, ""));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), std::string("deployment ") + kId + " (cluster \"prod\")"))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "main-elasticsearch, search-es")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "set clusters.prod.ref_id")) << s.message();

  script_->answers.push_back(two());
  Result<Deployment> d = Client().GetDeployment("prod", kId, "search-es");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->ref_id, "search-es");
  EXPECT_EQ(d->cluster_id, "bbb");
  EXPECT_EQ(d->endpoint, "bbb.eu-west-1.aws.found.io");
  EXPECT_EQ(d->ref_ids, (std::vector<std::string>{"main-elasticsearch", "search-es"}));

  script_->answers.push_back(two());
  s = Fails(Client().GetDeployment("prod", kId, "nope"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "no Elasticsearch resource with ref_id \"nope\""))
      << s.message();
}

TEST_F(CloudClientScriptedTest, FallbacksForSparseAnswers) {
  Value r = EsResource("main-elasticsearch", "abc");
  r["info"].erase("settings");
  r["info"]["plan_info"]["current"]["plan"]["elasticsearch"].erase("version");
  r["info"]["topology"] = {
      {"instances", Value::array({{{"instance_name", "i0"}, {"service_version", "8.13.4"}}})}};
  script_->answers.push_back(DeploymentAnswer({r}));
  Result<Deployment> d = Client().GetDeployment("prod", kId, "");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->version, "8.13.4");
  EXPECT_EQ(d->trust, Value::object());
}

TEST_F(CloudClientScriptedTest, WaitForPlanPollsUntilThePlanIsDone) {
  CloudClient& client = Client();
  script_->answers.push_back(DeploymentAnswer({EsResource("main-elasticsearch", "abc", true)}));
  script_->answers.push_back(DeploymentAnswer({EsResource("main-elasticsearch", "abc", true)}));
  script_->answers.push_back(DeploymentAnswer({EsResource("main-elasticsearch", "abc", false)}));
  FakeClock clock;
  std::vector<std::string> progress;
  Result<Deployment> d =
      WaitForPlan(client, "prod", SomeDeployment(), clock, std::chrono::minutes(5),
                  std::chrono::seconds(3), [&](const std::string& m) { progress.push_back(m); });
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->plan_pending);
  EXPECT_EQ(clock.elapsed(), std::chrono::seconds(6));
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0], std::string("waiting for deployment ") + kId +
                             " (cluster \"prod\") to finish its plan");
  EXPECT_EQ(script_->sent.size(), 3u);
}

TEST_F(CloudClientScriptedTest, WaitForPlanGivesUpAtTheTimeout) {
  CloudClient& client = Client();
  for (int i = 0; i < 10; ++i) {
    script_->answers.push_back(DeploymentAnswer({EsResource("main-elasticsearch", "abc", true)}));
  }
  FakeClock clock;
  Result<Deployment> d = WaitForPlan(client, "prod", SomeDeployment(), clock,
                                     std::chrono::seconds(10), std::chrono::seconds(4), nullptr);
  Status s = Fails(d);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(Contains(s.message(), std::string("deployment ") + kId + " (cluster \"prod\")"))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "Deployments > prod > Activity")) << s.message();
  EXPECT_EQ(clock.elapsed(), std::chrono::seconds(10));  // 4 + 4 + 2, never past the bound
  EXPECT_EQ(script_->sent.size(), 4u);
}

// Turns the process-wide Redactor off, so that only the client's own
// redaction stands between a secret and a message.
class NoRedactor {
 public:
  NoRedactor() { Redactor::SetEnabledForTesting(false); }
  ~NoRedactor() { Redactor::SetEnabledForTesting(true); }
};

TEST_F(CloudClientScriptedTest, TheKeyNeverReachesAMessageEvenWhenEchoed) {
  NoRedactor no_redactor;
  script_->answers.push_back(CloudError(400, "root.invalid_data", std::string("bad key ") + kKey));
  Status s = Fails(Client().GetDeployment("prod", kId, ""));
  EXPECT_TRUE(Contains(s.message(), "bad key (sensitive)")) << s.message();
  script_->answers.push_back(
      {0, "", {}, Status::Unavailable(std::string("proxy said: no such key ") + kKey)});
  s = Fails(Client().GetDeployment("prod", kId, ""));
  EXPECT_TRUE(Contains(s.message(), "no such key (sensitive)")) << s.message();
  // A long plain-text body is shortened in the message: not through the key.
  script_->answers.push_back({502, std::string(190, 'x') + kKey, {}, std::nullopt});
  s = Fails(Client().GetDeployment("prod", kId, ""));
  EXPECT_TRUE(Contains(s.message(), "HTTP 502 xxx")) << s.message();
  EXPECT_FALSE(Contains(s.message(), std::string(kKey).substr(0, 8))) << s.message();
}

TEST_F(CloudClientScriptedTest, KeystoreValuesNeverReachAMessageEvenWhenEchoed) {
  NoRedactor no_redactor;
  const Secret value("keystore-value-never-shown");
  for (long status : {400L, 500L}) {
    script_->answers.push_back(CloudError(status, "keystore.invalid_value",
                                          "cannot store '" + value.expose() + "'",
                                          {"secrets.a.b.value"}));
    Status s = Fails(Client().SetKeystoreEntry(SomeDeployment(), "a.b", &value));
    EXPECT_FALSE(Contains(s.message(), value.expose())) << s.message();
    EXPECT_TRUE(Contains(s.message(), "cannot store '(sensitive)'")) << s.message();
    EXPECT_TRUE(Contains(s.message(), std::string("deployment ") + kId)) << s.message();
  }
  script_->answers.push_back({0, "", {}, Status::Unavailable("reset after " + value.expose())});
  Status s = Fails(Client().SetKeystoreEntry(SomeDeployment(), "a.b", &value));
  EXPECT_FALSE(Contains(s.message(), value.expose())) << s.message();
  EXPECT_FALSE(Contains(log_->Summary(), value.expose()));
}

TEST_F(CloudClientScriptedTest, EndpointWrittenWithTheApiBaseIsTheSameEndpoint) {
  ApiTarget t;
  t.environment = "dc1";
  t.flavor = Flavor::kEce;
  t.endpoint = "https://coordinator.example.test:12443/api/v1/";
  t.api_key = Secret(kKey);
  CloudClient client(
      t, NewCloudContractClient(Flavor::kEce, std::make_unique<ScriptedHttp>(script_), log_));
  EXPECT_EQ(client.target().endpoint, "https://coordinator.example.test:12443");
  script_->answers.push_back(DeploymentAnswer({EsResource("main-elasticsearch", "abc")}));
  ASSERT_TRUE(client.GetDeployment("prod", kId, "").ok());
  ASSERT_EQ(script_->sent.size(), 1u);
  EXPECT_EQ(http::StripQuery(script_->sent[0].url),
            std::string("https://coordinator.example.test:12443/api/v1/deployments/") + kId);
}

TEST_F(CloudClientScriptedTest, PutTrustWithoutRegionOrPlanSendsNothing) {
  Deployment no_region = SomeDeployment();
  no_region.region.clear();
  Status s = Fails(Client().PutTrust(no_region, Value::object()));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(s.message(), std::string("deployment ") + kId + " (cluster \"prod\")"))
      << s.message();
  EXPECT_TRUE(Contains(s.message(), "no region")) << s.message();
  Deployment no_plan = SomeDeployment();
  no_plan.plan = Value();
  s = Fails(Client().PutTrust(no_plan, Value::object()));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(s.message(), "no current plan")) << s.message();
  EXPECT_TRUE(script_->sent.empty());
}

}  // namespace
}  // namespace crosslink::providers::cloud
