// The ech / ece providers inside the real engine, with the real
// Elasticsearch provider reaching the deployments through their resolvers:
// a topology is expanded, planned, applied against the sandbox, checked
// (`_remote/info` connected, honestly), planned again (empty), then
// destroyed, leaving no keystore entry, key or trust entry of crosslink's
// and the entries crosslink did not create intact.
//
//   legacy (ECH 8.12) -> analytics (ECH)   API key; the keystore needs a restart
//   analytics (ECH)   -> onprem (ECE)      API key; the ECE proxy CA is private
//   onprem (ECE)      -> analytics (ECH)   certificates; direct trust both ways
// and, in a second scenario, the certificate model between two ECE
// installations (trust relationships + external trust) and inside one ECH
// organization (the default accounts entry, adopted and left in place).

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/apply/apply.h"
#include "engine/core/pki.h"
#include "engine/graph/expand.h"
#include "engine/plan/planner.h"
#include "providers/cloud/cloud_provider.h"
#include "providers/elasticsearch/elasticsearch_provider.h"
#include "tests/engine/apply/apply_test_support.h"
#include "tests/providers/cloud/cloud_test_util.h"
#include "tests/providers/contracts/cloud_api_spec.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::providers::cloud {
namespace {

constexpr char kConfig[] = R"(
environments:
  cloud: { platform: ech, region: eu-west-1, organization_id: "1053523734" }
  dc1: { platform: ece }
  dc2: { platform: ece }
clusters:
  analytics: { environment: cloud, version: "8.17.0" }
  legacy: { environment: cloud, version: "8.12.0" }
  search: { environment: cloud, version: "8.17.0" }
  onprem: { environment: dc1, version: "8.17.0" }
  edge: { environment: dc2, version: "8.17.0" }
)";

class CloudEngineTest : public sandbox::e2e::SandboxTest {
 protected:
  void SetUp() override {
    StartSandbox(kConfig);
    vars_["CLOUD_KEY"] = Env("CLOUD_API_KEY");
    vars_["DC1_KEY"] = Env("DC1_API_KEY");
    topo_.file = dir_ + "/topology.yaml";
    AddEnvironment("cloud", topology::Platform::kEch, "CLOUD");
    AddEnvironment("dc1", topology::Platform::kEce, "DC1");
    topo_.environments["cloud"].organization_id = Env("CLOUD_ORGANIZATION_ID");
    AddCluster("analytics", "cloud", topology::Platform::kEch, Env("ANALYTICS_CA_FILE"));
    AddCluster("legacy", "cloud", topology::Platform::kEch, Env("LEGACY_CA_FILE"));
    AddCluster("onprem", "dc1", topology::Platform::kEce, "");
    AddEnvironment("dc2", topology::Platform::kEce, "DC2");
    vars_["DC2_KEY"] = Env("DC2_API_KEY");
    AddCluster("search", "cloud", topology::Platform::kEch, Env("SEARCH_CA_FILE"));
    AddCluster("edge", "dc2", topology::Platform::kEce, "");
  }

  // Makes the providers and expands the topology's connections.
  void Prepare() {
    fs_ = NewPosixFileSystem();
    for (Flavor f : {Flavor::kEch, Flavor::kEce}) {
      CloudProviderOptions options;
      options.flavor = f;
      options.plan_timeout = std::chrono::milliseconds(10000);
      options.poll_interval = std::chrono::milliseconds(20);
      options.client_factory = [this, f](const http::ClientOptions& o) {
        return contracts::NewCloudContractClient(f, http::NewCurlClient(o, clock_), log_);
      };
      (f == Flavor::kEch ? ech_ : ece_) = NewCloudProvider(options);
    }
    elasticsearch::ElasticsearchProviderOptions es_options;
    es_options.resolvers[topology::Platform::kEch] = ech_->endpoints();
    es_options.resolvers[topology::Platform::kEce] = ece_->endpoints();
    es_options.check_timeout = std::chrono::milliseconds(15000);
    es_options.poll_interval = std::chrono::milliseconds(50);
    es_ = elasticsearch::NewElasticsearchProvider(es_options);
    ConfigureRequest req;
    req.topology = &topo_;
    req.clock = &clock_;
    req.fs = fs_.get();
    req.getenv = [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
    for (Provider* p :
         {static_cast<Provider*>(ech_.get()), static_cast<Provider*>(ece_.get()), es_.get()}) {
      Status s = p->Configure(req);
      ASSERT_TRUE(s.ok()) << p->name() << ": " << s.ToString();
      providers_.Add(p);
    }
    Diagnostics diags;
    auto graph = graph::Expand(topo_, &diags);
    ASSERT_TRUE(graph.has_value()) << diags.ToString();
    specs_ = graph->resources();
    opts_.jitter_seed = 7;
    opts_.initial_backoff = std::chrono::milliseconds(50);
  }

  void TearDown() override {
    EXPECT_TRUE(log_->violations().empty()) << log_->Summary();
    es_.reset();
    ech_.reset();
    ece_.reset();
    SandboxTest::TearDown();
  }

  void AddEnvironment(const std::string& name, topology::Platform platform,
                      const std::string& prefix) {
    topo_.environments[name] = test_util::SandboxEnvironment(
        name, platform, prefix, [this](const std::string& k) { return Env(k); });
  }

  void AddCluster(const std::string& name, const std::string& env, topology::Platform platform,
                  const std::string& ca_file) {
    topo_.clusters[name] = test_util::SandboxCluster(
        name, env, platform, ca_file, EnvPrefix(name),
        [this](const std::string& k) { return Env(k); });
    vars_[EnvPrefix(name) + "_PASSWORD"] = Env(EnvPrefix(name) + "_PASSWORD");
  }

  void Connect(const std::string& local, const std::string& remote, const std::string& alias,
               topology::SecurityModel model) {
    topology::Connection c;
    c.local = local;
    c.remote = remote;
    c.alias = alias;
    c.security = model;
    c.mode = topology::ConnectionMode::kProxy;
    if (model == topology::SecurityModel::kApiKey) {
      topology::IndexAccess search;
      search.names = {"logs-*"};
      c.access.search.push_back(search);
    }
    topo_.connections.push_back(c);
  }

  plan::Plan MustPlan(bool destroy = false) {
    plan::PlanOptions po;
    po.destroy = destroy;
    Result<plan::Plan> p = plan::MakePlan(destroy ? std::vector<graph::ResourceSpec>{} : specs_,
                                          state_, providers_, po);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return plan::Plan();
    EXPECT_FALSE(p->diagnostics.has_errors()) << p->diagnostics.ToString();
    return *p;
  }

  apply::ApplySummary MustApply(const plan::Plan& p) {
    apply::ApplySummary s = apply::Apply(p, state_, backend_, providers_, clock_, opts_, nullptr);
    EXPECT_TRUE(s.ok()) << (s.failures.empty()
                                ? "skipped changes"
                                : s.failures[0].address + ": " + s.failures[0].message);
    return s;
  }

  static std::string Changes(const plan::Plan& p) {
    std::string out;
    for (const plan::ResourceChange& c : p.changes) {
      if (c.action == ChangeAction::kNoOp || c.action == ChangeAction::kRead) continue;
      out += c.address + " " + ChangeActionName(c.action) + " " + c.reason + "\n";
    }
    return out;
  }

  std::string Keystore(const std::string& cluster) {
    sandbox::e2e::Reply r = Cloud(topo_.clusters[cluster].environment, "GET",
                                  "/deployments/" + Env(EnvPrefix(cluster) + "_DEPLOYMENT_ID") +
                                      "/elasticsearch/main-elasticsearch/keystore");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json.dump();
  }

  Value Trust(const std::string& cluster) {
    sandbox::e2e::Reply r =
        Cloud(topo_.clusters[cluster].environment, "GET",
              "/deployments/" + Env(EnvPrefix(cluster) + "_DEPLOYMENT_ID") + "?show_settings=true");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json["resources"]["elasticsearch"][0]["info"]["settings"]["trust"];
  }

  std::map<std::string, std::string> vars_;
  topology::Topology topo_;
  std::unique_ptr<FileSystem> fs_;
  std::shared_ptr<contracts::CloudContractLog> log_ =
      std::make_shared<contracts::CloudContractLog>();
  std::unique_ptr<CloudProvider> ech_, ece_;
  std::unique_ptr<Provider> es_;
  ProviderSet providers_;
  apply::test_support::MemoryBackend backend_;
  apply::ApplyOptions opts_;
  state::State state_;
  std::vector<graph::ResourceSpec> specs_;
};

TEST_F(CloudEngineTest, ApplyConnectsSecondPlanIsEmptyDestroyLeavesOnlyForeignEntries) {
  Connect("legacy", "analytics", "analytics", topology::SecurityModel::kApiKey);
  Connect("analytics", "onprem", "onprem", topology::SecurityModel::kApiKey);
  Connect("onprem", "analytics", "analytics", topology::SecurityModel::kCertificate);
  ASSERT_NO_FATAL_FAILURE(Prepare());
  std::vector<std::string> cloud;
  for (const graph::ResourceSpec& s : specs_) {
    if (s.provider == "ech" || s.provider == "ece") cloud.push_back(s.address);
  }
  std::sort(cloud.begin(), cloud.end());
  EXPECT_EQ(cloud, (std::vector<std::string>{
                       "ec_certificate_authority.analytics",
                       "ec_deployment.analytics",
                       "ec_deployment.legacy",
                       "ec_deployment.onprem",
                       "ec_keystore_credential.analytics.onprem",
                       "ec_keystore_credential.legacy.analytics",
                       "ec_restart.analytics",
                       "ec_restart.legacy",
                       "ec_trust_api_key_ca.analytics.ece.dc1",
                       "ec_trust_direct.analytics.ece.dc1",
                       "ec_trust_direct.onprem.ech.cloud",
                       "ece_installation.dc1",
                       "ece_proxy_ca.dc1",
                   }))
      << ::testing::PrintToString(cloud);
  // Something crosslink does not own, on a deployment it edits.
  const std::string user_ca = sandbox::e2e::ReadText(Env("SANDBOX_PUBLIC_CA"));
  ASSERT_EQ(TrustProxyCa("cloud", Env("ANALYTICS_DEPLOYMENT_ID"), "user-proxy", user_ca).status,
            200);
  const int legacy_before = sandbox_->FindTwin("legacy")->restarts();

  plan::Plan first = MustPlan();
  MustApply(first);
  EXPECT_EQ(sandbox_->FindTwin("legacy")->restarts(), legacy_before + 1);
  for (const auto& [local, alias] :
       {std::pair{"legacy", "analytics"}, std::pair{"analytics", "onprem"},
        std::pair{"onprem", "analytics"}}) {
    sandbox::e2e::Reply raw = Es(local, "GET", "/_remote/info");
    ASSERT_EQ(raw.status, 200) << local << ": " << raw.body;
    Value info = RemoteInfo(local, alias, true);
    EXPECT_TRUE(info.value("connected", false))
        << local << " -> " << alias << ": " << info.dump() << " " << FailureReason(local, alias);
  }

  // The encoded API keys went to the keystores through sensitive outputs
  // only: no key, password or encoded value in an attribute or an output.
  std::vector<std::string> secrets;
  for (const auto& [name, value] : vars_) secrets.push_back(value);
  for (const auto& [address, rs] : state_.resources) {
    for (const auto& [name, secret] : rs.sensitive_outputs) secrets.push_back(secret.expose());
  }
  ASSERT_FALSE(secrets.empty());
  for (const auto& [address, rs] : state_.resources) {
    const std::string visible = rs.attributes.dump() + rs.outputs.dump();
    for (const std::string& secret : secrets) {
      if (secret.empty()) continue;
      EXPECT_EQ(visible.find(secret), std::string::npos) << address;
    }
  }

  plan::Plan second = MustPlan();
  EXPECT_FALSE(second.HasChanges()) << Changes(second);

  MustApply(MustPlan(/*destroy=*/true));
  EXPECT_EQ(Keystore("legacy").find("cluster.remote."), std::string::npos) << Keystore("legacy");
  EXPECT_EQ(Keystore("analytics").find("cluster.remote."), std::string::npos);
  for (const char* cluster : {"analytics", "onprem"}) {
    const std::string trust = Trust(cluster).dump();
    EXPECT_EQ(trust.find("crosslink"), std::string::npos) << cluster << ": " << trust;
  }
  EXPECT_NE(Trust("analytics").dump().find("user-proxy"), std::string::npos);
  // The alias is gone from the local cluster.
  sandbox::e2e::Reply after = Es("legacy", "GET", "/_remote/info");
  EXPECT_FALSE(after.json.is_object() && after.json.contains("analytics")) << after.body;
}

TEST_F(CloudEngineTest, CertificatesBetweenEceInstallationsAndInsideOneOrganization) {
  Connect("onprem", "edge", "edge", topology::SecurityModel::kCertificate);
  Connect("analytics", "search", "search", topology::SecurityModel::kCertificate);
  ASSERT_NO_FATAL_FAILURE(Prepare());
  std::vector<std::string> trust;
  for (const graph::ResourceSpec& s : specs_) {
    if (s.type.rfind("ec_trust", 0) == 0 || s.type == "ece_trust_relationship") {
      trust.push_back(s.address);
    }
  }
  std::sort(trust.begin(), trust.end());
  EXPECT_EQ(trust, (std::vector<std::string>{
                       "ec_trust_accounts.analytics.cloud", "ec_trust_accounts.search.cloud",
                       "ec_trust_external.edge.dc1", "ec_trust_external.onprem.dc2",
                       "ece_trust_relationship.dc1.dc2", "ece_trust_relationship.dc2.dc1"}))
      << ::testing::PrintToString(trust);
  const Value analytics_before = Trust("analytics");

  MustApply(MustPlan());
  for (const auto& [local, alias] :
       {std::pair{"onprem", "edge"}, std::pair{"analytics", "search"}}) {
    Value info = RemoteInfo(local, alias, true);
    EXPECT_TRUE(info.is_object() && info.value("connected", false))
        << local << " -> " << alias << ": " << info.dump() << " " << FailureReason(local, alias);
  }
  plan::Plan second = MustPlan();
  EXPECT_FALSE(second.HasChanges()) << Changes(second);

  MustApply(MustPlan(/*destroy=*/true));
  // The organization's default trust was adopted, not crosslink's: kept.
  EXPECT_EQ(Trust("analytics"), analytics_before);
  for (const char* env : {"dc1", "dc2"}) {
    sandbox::e2e::Reply all = Cloud(env, "GET", "/platform/configuration/trust-relationships");
    ASSERT_EQ(all.status, 200);
    EXPECT_EQ(all.json["trust_relationships"].size(), 1u) << env << ": " << all.body;
  }
  for (const char* cluster : {"onprem", "edge"}) {
    EXPECT_EQ(Trust(cluster).dump().find("external\":[{"), std::string::npos) << Trust(cluster);
  }
}

}  // namespace
}  // namespace crosslink::providers::cloud
