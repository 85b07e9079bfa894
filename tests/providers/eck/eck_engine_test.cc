// The ECK provider inside the real engine: a topology is expanded, planned,
// applied against the sandbox (the Elasticsearch REST resources are served
// by the fake provider), planned again (empty), then destroyed.
//
// Two environments with different kubeconfig files make east and west
// "different operators" (the API key cell with a LoadBalancer, the CA and a
// credential Secret); west's environment has no operator `version`, so its
// remote cluster server is exposed through crosslink's own Service.

#include <gtest/gtest.h>

#include "engine/core/logging.h"

#include <algorithm>
#include <filesystem>

#include "engine/apply/apply.h"
#include "engine/graph/expand.h"
#include "engine/plan/planner.h"
#include "providers/eck/eck_provider.h"
#include "providers/fake/fake_provider.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::providers::eck {
namespace {

constexpr char kConfig[] = R"(
environments:
  k8s: { platform: eck, operator_version: "3.3.0", restart_ms: 50 }
clusters:
  east: { environment: k8s, namespace: ns1, version: "8.17.0" }
  west: { environment: k8s, namespace: ns2, version: "8.17.0" }
)";

class NullBackend : public state::Backend {
 public:
  std::string Describe() const override { return "null"; }
  Result<std::unique_ptr<state::StateLock>> Lock(state::LockInfo) override {
    return Status::Internal("unused");
  }
  Result<std::optional<state::LockInfo>> LockHolder() override {
    return std::optional<state::LockInfo>();
  }
  Status ForceUnlock(const std::string&) override { return Status::Ok(); }
  Result<state::State> Load() override { return state::State(); }
  Status RecordUpsert(const state::ResourceState&) override { return Status::Ok(); }
  Status RecordRemove(const std::string&) override { return Status::Ok(); }
  Status Persist(state::State&) override { return Status::Ok(); }
};

class EckEngineTest : public sandbox::e2e::SandboxTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ConfigureLogging("", "").ok());  // CROSSLINK_LOG, else warn
    StartSandbox(kConfig);
    const std::string kubeconfig = Env("K8S_KUBECONFIG");
    std::filesystem::copy_file(kubeconfig, dir_ + "/kubeconfig-b");
    topo_.file = dir_ + "/topology.yaml";
    AddEnvironment("k8s-a", kubeconfig, "3.3.0");
    AddEnvironment("k8s-b", dir_ + "/kubeconfig-b", "");
    AddCluster("east", "k8s-a", "ns1");
    AddCluster("west", "k8s-b", "ns2");
    topology::Connection c;
    c.local = "east";
    c.remote = "west";
    c.alias = "west";
    c.security = topology::SecurityModel::kApiKey;
    c.mode = topology::ConnectionMode::kProxy;
    topology::IndexAccess search;
    search.names = {"logs-*"};
    c.access.search.push_back(search);
    topo_.connections.push_back(c);

    fs_ = NewPosixFileSystem();
    EckProviderOptions options;
    options.ready_timeout = std::chrono::milliseconds(15000);
    options.poll_interval = std::chrono::milliseconds(25);
    eck_ = NewEckProvider(options);
    ConfigureRequest req;
    req.topology = &topo_;
    req.clock = &clock_;
    req.fs = fs_.get();
    ASSERT_TRUE(eck_->Configure(req).ok());
    providers_.Add(eck_.get());
    providers_.AddAs("elasticsearch", &fake_);

    Diagnostics diags;
    auto graph = graph::Expand(topo_, &diags);
    ASSERT_TRUE(graph.has_value()) << diags.ToString();
    specs_ = graph->resources();
    fake_.LearnOutputs(specs_);
    opts_.jitter_seed = 7;
    opts_.initial_backoff = std::chrono::milliseconds(50);
  }

  void AddEnvironment(const std::string& name, const std::string& kubeconfig,
                      const std::string& version) {
    topology::Environment env;
    env.name = name;
    env.platform = topology::Platform::kEck;
    env.kubeconfig = kubeconfig;
    env.context = Env("K8S_CONTEXT");
    env.version = version;
    topo_.environments[name] = env;
  }

  void AddCluster(const std::string& name, const std::string& env, const std::string& ns) {
    topology::Cluster c;
    c.name = name;
    c.environment = env;
    c.platform = topology::Platform::kEck;
    c.namespace_ = ns;
    c.es_name = name;
    c.version = "8.17.0";
    topo_.clusters[name] = c;
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

  topology::Topology topo_;
  std::unique_ptr<FileSystem> fs_;
  std::unique_ptr<EckProvider> eck_;
  fake::FakeProvider fake_{"fake"};
  ProviderSet providers_;
  NullBackend backend_;
  apply::ApplyOptions opts_;
  state::State state_;
  std::vector<graph::ResourceSpec> specs_;
};

TEST_F(EckEngineTest, ApplyThenSecondPlanIsEmptyThenDestroyLeavesNothing) {
  std::vector<std::string> eck_types;
  for (const graph::ResourceSpec& s : specs_) {
    if (s.provider == "eck") eck_types.push_back(s.address);
  }
  std::sort(eck_types.begin(), eck_types.end());
  EXPECT_EQ(eck_types, (std::vector<std::string>{
                           "eck_remote_client_tls.east", "eck_remote_cluster_server.west",
                           "eck_remote_cluster_service.west", "eck_remote_credential.east.west",
                           "eck_transport_ca.west"}))
      << ::testing::PrintToString(eck_types);
  const int east_before = sandbox_->FindTwin("east")->restarts();
  const int west_before = sandbox_->FindTwin("west")->restarts();

  plan::Plan first = MustPlan();
  EXPECT_EQ(first.restarts, (std::vector<std::string>{"east", "west"}));
  MustApply(first);
  // East: client TLS + credential in one rollout; west: the server.
  EXPECT_EQ(sandbox_->FindTwin("east")->restarts(), east_before + 1);
  EXPECT_EQ(sandbox_->FindTwin("west")->restarts(), west_before + 1);
  const state::ResourceState* service = state_.Find("eck_remote_cluster_service.west");
  ASSERT_NE(service, nullptr);
  EXPECT_NE(service->outputs.value("proxy_address", "").find(":9443"), std::string::npos)
      << service->outputs.dump();

  plan::Plan second = MustPlan();
  EXPECT_FALSE(second.HasChanges()) << Changes(second);
  EXPECT_TRUE(second.restarts.empty());

  // The remote's CA rotates: the local's client TLS follows (one rollout).
  http::Request rotate;
  rotate.method = "POST";
  rotate.url = sandbox_->control_url() +
               "/_sandbox/platforms/k8s/namespaces/ns2/elasticsearches/west/rotate-ca";
  ASSERT_EQ(Send(rotate, Env("SANDBOX_PUBLIC_CA")).status, 200);
  plan::Plan rotated = MustPlan();
  std::string changed = Changes(rotated);
  EXPECT_NE(changed.find("eck_remote_client_tls.east update"), std::string::npos) << changed;
  EXPECT_EQ(rotated.restarts, std::vector<std::string>{"east"}) << changed;
  const int east_mid = sandbox_->FindTwin("east")->restarts();
  MustApply(rotated);
  EXPECT_EQ(sandbox_->FindTwin("east")->restarts(), east_mid + 1);
  plan::Plan settled = MustPlan();
  EXPECT_FALSE(settled.HasChanges()) << Changes(settled);

  MustApply(MustPlan(/*destroy=*/true));
  for (const char* ns : {"ns1", "ns2"}) {
    auto config = LoadKubeConfig(Env("K8S_KUBECONFIG"), Env("K8S_CONTEXT"), *fs_, nullptr);
    ASSERT_TRUE(config.ok());
    auto kube = NewKubeClient(*config, clock_);
    for (const Kind& k : {Kind::Secret(), Kind::ConfigMap(), Kind::Service()}) {
      auto items = kube->List(k, ns, "app.kubernetes.io/managed-by=crosslink");
      ASSERT_TRUE(items.ok());
      EXPECT_TRUE(items->empty()) << items->dump();
    }
    auto es = kube->List(Kind::Elasticsearch(), ns, "");
    ASSERT_TRUE(es.ok());
    EXPECT_EQ(es->dump().find("crosslink"), std::string::npos) << es->dump();
  }
}

}  // namespace
}  // namespace crosslink::providers::eck
