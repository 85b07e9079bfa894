// The ECK provider against the in-process sandbox: the Kubernetes API twin
// (CRD validation, Warning headers for pruned fields) and the operator twin
// (rollouts, LoadBalancers, same-operator API keys, CA rotation).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>
#include "engine/core/logging.h"

#include <mutex>

#include "providers/eck/eck_resources.h"
#include "tests/providers/eck/eck_test_support.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::providers::eck {
namespace {

using testing::CreateRequest;
using testing::DeleteRequest;
using testing::Everything;
using testing::MakeSpec;
using testing::PlanAgainst;
using testing::ReadSpecs;
using testing::StateOf;

constexpr char kConfig[] = R"(
environments:
  k8s: { platform: eck, operator_version: "3.3.0", restart_ms: 50 }
clusters:
  east: { environment: k8s, namespace: ns1, version: "8.17.0" }
  west: { environment: k8s, namespace: ns2, version: "8.17.0" }
)";

// Records the Warning headers of every API server response.
class RecordingHttp : public http::HttpClient {
 public:
  RecordingHttp(std::unique_ptr<http::HttpClient> inner, std::vector<std::string>* warnings,
                std::mutex* mu)
      : inner_(std::move(inner)), warnings_(warnings), mu_(mu) {}
  Result<http::Response> Send(const http::Request& request) override {
    Result<http::Response> r = inner_->Send(request);
    if (r.ok() && !r->Header("warning").empty()) {
      std::lock_guard<std::mutex> lock(*mu_);
      warnings_->push_back(request.method + " " + request.url + ": " + r->Header("warning"));
    }
    return r;
  }

 private:
  std::unique_ptr<http::HttpClient> inner_;
  std::vector<std::string>* warnings_;
  std::mutex* mu_;
};

class EckSandboxTest : public sandbox::e2e::SandboxTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ConfigureLogging("", "").ok());  // CROSSLINK_LOG, else warn
    StartSandbox(kConfig);
    kubeconfig_ = Env("K8S_KUBECONFIG");
    context_ = Env("K8S_CONTEXT");
    topo_.file = dir_ + "/topology.yaml";
    for (const char* name : {"k8s", "k8s-old"}) {
      topology::Environment env;
      env.name = name;
      env.platform = topology::Platform::kEck;
      env.kubeconfig = kubeconfig_;
      env.context = context_;
      env.version = std::string(name) == "k8s" ? "3.3.0" : "";  // unknown: own Service
      topo_.environments[name] = env;
    }
    AddCluster("east", "k8s", "ns1", "east");
    AddCluster("west", "k8s", "ns2", "west");
    AddCluster("west-old", "k8s-old", "ns2", "west");
    fs_ = NewPosixFileSystem();
    provider_ = MakeProvider(topo_);
    auto config = LoadKubeConfig(kubeconfig_, context_, *fs_, nullptr);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    kube_ = NewKubeClient(*config, clock_);
    ASSERT_TRUE(WaitReady("ns1", "east"));
    ASSERT_TRUE(WaitReady("ns2", "west"));
  }

  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      EXPECT_TRUE(warnings_.empty())
          << "the API server pruned or warned about fields: " << warnings_[0];
    }
    provider_.reset();
    SandboxTest::TearDown();
  }

  void AddCluster(const std::string& key, const std::string& env, const std::string& ns,
                  const std::string& name) {
    topology::Cluster c;
    c.name = key;
    c.environment = env;
    c.platform = topology::Platform::kEck;
    c.namespace_ = ns;
    c.es_name = name;
    topo_.clusters[key] = c;
  }

  std::unique_ptr<EckProvider> MakeProvider(const topology::Topology& topo) {
    EckProviderOptions options;
    options.ready_timeout = std::chrono::milliseconds(15000);
    options.poll_interval = std::chrono::milliseconds(25);
    options.kube_factory = [this](const KubeConfig& config, Clock& clock) {
      return Recorded(config, clock);
    };
    auto p = NewEckProvider(options);
    ConfigureRequest req;
    req.topology = &topo;
    req.clock = &clock_;
    req.fs = fs_.get();
    EXPECT_TRUE(p->Configure(req).ok());
    return p;
  }

  // A Kubernetes client whose responses' Warning headers land in warnings_.
  std::unique_ptr<KubeClient> Recorded(const KubeConfig& config, Clock& clock) {
    http::ClientOptions o;
    if (!config.ca_pem.empty()) {
      o.ca_pem = config.ca_pem;
      o.trust_system_cas = false;
    }
    o.client_identity = config.client_identity;
    o.retry.max_attempts = 1;
    o.connect_timeout = std::chrono::milliseconds(2000);
    return NewKubeClient(
        config, clock,
        std::make_unique<RecordingHttp>(http::NewCurlClient(o, clock), &warnings_, &mu_));
  }

  bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 200; ++i) {
      if (done()) return true;
      clock_.Sleep(std::chrono::milliseconds(50));
    }
    return false;
  }

  Value Es(const std::string& ns, const std::string& name) {
    auto es = kube_->Get(Kind::Elasticsearch(), ns, name);
    return es.ok() ? *es : Value();
  }

  bool WaitReady(const std::string& ns, const std::string& name) {
    return WaitFor([&] {
      Value es = Es(ns, name);
      const Value status = es.value("status", Value::object());
      return status.value("phase", "") == "Ready" &&
             status.value("observedGeneration", 0) == es["metadata"].value("generation", -1);
    });
  }

  graph::ResourceSpec Spec(const std::string& type, const std::string& address,
                           const std::string& cluster, Value extra) {
    const topology::Cluster& c = topo_.clusters[cluster];
    Value attrs = {{"namespace", c.namespace_}, {"name", c.es_name}};
    attrs.update(extra);
    graph::ResourceSpec s = MakeSpec(type, address, cluster, attrs);
    s.environment = c.environment;
    return s;
  }

  LiveObject ReadOne(const graph::ResourceSpec& s, EckProvider* p = nullptr) {
    ReadResponse r = ReadSpecs(p ? *p : *provider_, s.cluster, {&s});
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_FALSE(r.diagnostics.has_errors()) << r.diagnostics.ToString();
    return r.objects[s.address];
  }

  std::string WestCa() {
    auto spec = Spec("eck_transport_ca", "eck_transport_ca.west", "west",
                     {{"secret", "west-es-transport-certs-public"}});
    LiveObject live = ReadOne(spec);
    EXPECT_TRUE(live.exists);
    return live.outputs["ca_pems"].empty() ? "" : live.outputs["ca_pems"][0].get<std::string>();
  }

  // Create -> Read (exists, crosslink's) -> plan no-op -> Delete -> gone.
  void RoundTrip(const graph::ResourceSpec& spec, std::map<std::string, Secret> secrets = {},
                 EckProvider* p = nullptr,
                 const std::function<void(const LiveObject&)>& check = {}) {
    SCOPED_TRACE(spec.address);
    EckProvider& provider = p ? *p : *provider_;
    ApplyResponse created = provider.Create(CreateRequest(spec, secrets));
    ASSERT_TRUE(created.status.ok()) << created.status.ToString();
    ASSERT_FALSE(created.diagnostics.has_errors()) << created.diagnostics.ToString();
    LiveObject live = ReadOne(spec, &provider);
    EXPECT_TRUE(live.exists);
    EXPECT_TRUE(live.managed_by_crosslink);
    EXPECT_EQ(PlanAgainst(provider, spec, live).action, ChangeAction::kNoOp)
        << live.attributes.dump();
    if (check) check(live);
    state::ResourceState prior = StateOf(spec, live);
    ApplyResponse deleted = provider.Delete(DeleteRequest(prior));
    ASSERT_TRUE(deleted.status.ok()) << deleted.status.ToString();
    EXPECT_FALSE(ReadOne(spec, &provider).exists);
  }

  void ExpectNothingOfCrosslinkLeft() {
    for (const char* ns : {"ns1", "ns2"}) {
      for (const Kind& k : {Kind::Secret(), Kind::ConfigMap(), Kind::Service()}) {
        auto items = kube_->List(k, ns, "app.kubernetes.io/managed-by=crosslink");
        ASSERT_TRUE(items.ok()) << items.status().ToString();
        EXPECT_TRUE(items->empty()) << k.name << " in " << ns << ": " << items->dump();
      }
    }
    for (const auto& [ns, name] : {std::pair{"ns1", "east"}, std::pair{"ns2", "west"}}) {
      const std::string dump = Es(ns, name).dump();
      EXPECT_EQ(dump.find("crosslink"), std::string::npos) << dump;
    }
  }

  std::string kubeconfig_, context_;
  topology::Topology topo_;
  std::unique_ptr<FileSystem> fs_;
  std::unique_ptr<EckProvider> provider_;
  std::unique_ptr<KubeClient> kube_;
  std::mutex mu_;
  std::vector<std::string> warnings_;
};

TEST_F(EckSandboxTest, EveryResourceRoundTripsAndLeavesNothingBehind) {
  const std::string west_ca = WestCa();
  ASSERT_FALSE(west_ca.empty());
  const Value original_east = Es("ns1", "east")["spec"];

  RoundTrip(Spec("eck_remote_cluster_server", "eck_remote_cluster_server.west", "west",
                 {{"enabled", true}}));

  // Both exposures of the remote cluster server: ECK >= 3.3 template, and
  // crosslink's own Service when the operator version is unknown.
  auto rcs = Spec("eck_remote_cluster_server", "eck_remote_cluster_server.west", "west",
                  {{"enabled", true}});
  ASSERT_TRUE(provider_->Create(CreateRequest(rcs)).status.ok());
  for (const char* cluster : {"west", "west-old"}) {
    auto svc = Spec(
        "eck_remote_cluster_service", std::string("eck_remote_cluster_service.") + cluster, cluster,
        {{"service", "west-es-remote-cluster"}, {"type", "LoadBalancer"}, {"port", 9443}});
    RoundTrip(svc, {}, nullptr, [&](const LiveObject& live) {
      const std::string address = live.outputs.value("proxy_address", "");
      EXPECT_EQ(address.size() > 5 ? address.substr(address.size() - 5) : "", ":9443")
          << live.outputs.dump();
    });
  }
  ASSERT_TRUE(provider_->Delete(DeleteRequest(StateOf(rcs, ReadOne(rcs)))).status.ok());

  RoundTrip(Spec("eck_transport_service", "eck_transport_service.west", "west",
                 {{"service", "west-es-transport"}, {"type", "LoadBalancer"}, {"port", 9300}}),
            {}, nullptr, [](const LiveObject& live) {
              EXPECT_NE(live.outputs.value("proxy_address", "").find(":9300"), std::string::npos);
            });
  RoundTrip(Spec("eck_remote_credential", "eck_remote_credential.east.west", "east",
                 {{"secret_name", "east-crosslink-remote-west"},
                  {"setting", "cluster.remote.west.credentials"},
                  {"key_id", "abc"}}),
            {{"credentials", Secret("ZW5jb2RlZC1jcm9zcy1jbHVzdGVyLWtleQ==")}});
  RoundTrip(Spec("eck_remote_client_tls", "eck_remote_client_tls.east", "east",
                 {{"config_map", "east-crosslink-remote-ca"},
                  {"certificate_authorities", Value::array({Value::array({west_ca})})}}));
  RoundTrip(Spec("eck_transport_trust", "eck_transport_trust.east", "east",
                 {{"config_map", "east-crosslink-transport-ca"},
                  {"certificate_authorities", Value::array({Value::array({west_ca})})}}));
  RoundTrip(Spec("eck_cloud_trust", "eck_cloud_trust.east", "east",
                 {{"secret", "east-crosslink-cloud-ca"},
                  {"config_map", "east-crosslink-trust"},
                  {"certificate_authorities", Value::array({Value::array({west_ca})})},
                  {"trust_restrictions", {"*.node.east.ns1.es.local", "*.node.abc.cluster.x"}}}));

  ExpectNothingOfCrosslinkLeft();
  EXPECT_EQ(Es("ns1", "east")["spec"], original_east);
}

TEST_F(EckSandboxTest, ThreeRestartingChangesAreOneRollout) {
  const std::string west_ca = WestCa();
  auto rcs = Spec("eck_remote_cluster_server", "eck_remote_cluster_server.east", "east",
                  {{"enabled", true}});
  auto cred = Spec("eck_remote_credential", "eck_remote_credential.east.west", "east",
                   {{"secret_name", "east-crosslink-remote-west"},
                    {"setting", "cluster.remote.west.credentials"},
                    {"key_id", "abc"}});
  auto tls = Spec("eck_remote_client_tls", "eck_remote_client_tls.east", "east",
                  {{"config_map", "east-crosslink-remote-ca"},
                   {"certificate_authorities", Value::array({Value::array({west_ca})})}});
  const int before = sandbox_->FindTwin("east")->restarts();
  const std::string key = "ZW5jb2RlZC1rZXktdmFsdWUtZm9yLWdyb3Vw";
  std::vector<std::string> progress;  // the rcs member's progress messages
  ApplyRequest rcs_request = CreateRequest(rcs);
  rcs_request.progress = [&progress](const std::string& m) { progress.push_back(m); };
  std::vector<ApplyResponse> out = provider_->ApplyGroup(
      {{ChangeAction::kCreate, rcs.address, rcs_request},
       {ChangeAction::kCreate, cred.address, CreateRequest(cred, {{"credentials", Secret(key)}})},
       {ChangeAction::kCreate, tls.address, CreateRequest(tls)}});
  // The wait for the rollout is reported while it lasts.
  ASSERT_FALSE(progress.empty());
  EXPECT_THAT(progress.front(), ::testing::HasSubstr("waiting for ns1/east to be Ready"));
  for (const std::string& m : progress) EXPECT_EQ(m.find(key), std::string::npos);
  for (const ApplyResponse& r : out) {
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(Everything(r).find(key), std::string::npos);
  }
  // Returned only once Ready with the change observed.
  Value es = Es("ns1", "east");
  EXPECT_EQ(es["status"]["phase"], "Ready");
  EXPECT_EQ(es["status"]["observedGeneration"], es["metadata"]["generation"]);
  EXPECT_EQ(sandbox_->FindTwin("east")->restarts(), before + 1);
  const std::string twin = sandbox_->FindTwin("east")->Inspect().dump();
  EXPECT_NE(twin.find("cluster.remote.west.credentials"), std::string::npos) << twin;

  // Second plan: nothing to do.
  ReadResponse read = ReadSpecs(*provider_, "east", {&rcs, &cred, &tls});
  ASSERT_TRUE(read.status.ok());
  EXPECT_TRUE(read.orphans.empty());
  for (const auto* s : {&rcs, &cred, &tls}) {
    EXPECT_EQ(PlanAgainst(*provider_, *s, read.objects[s->address]).action, ChangeAction::kNoOp)
        << s->address;
  }

  // The credential Secret deleted by hand: drift.
  ASSERT_TRUE(kube_->Delete(Kind::Secret(), "ns1", "east-crosslink-remote-west").ok());
  EXPECT_FALSE(ReadOne(cred).exists);
  ASSERT_TRUE(provider_->Update(CreateRequest(cred, {{"credentials", Secret(key)}})).status.ok());
  EXPECT_TRUE(ReadOne(cred).exists);

  // Deleting the three: one more rollout, nothing left.
  const int mid = sandbox_->FindTwin("east")->restarts();
  std::vector<state::ResourceState> priors;
  for (const auto* s : {&rcs, &cred, &tls}) priors.push_back(StateOf(*s, ReadOne(*s)));
  std::vector<GroupChange> undo;
  for (const auto& p : priors) undo.push_back({ChangeAction::kDelete, p.address, DeleteRequest(p)});
  for (const ApplyResponse& r : provider_->ApplyGroup(undo))
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(sandbox_->FindTwin("east")->restarts(), mid + 1);
  ExpectNothingOfCrosslinkLeft();
}

TEST_F(EckSandboxTest, SameOperatorApiKeyRemote) {
  auto rcs = Spec("eck_remote_cluster_server", "eck_remote_cluster_server.west", "west",
                  {{"enabled", true}});
  ASSERT_TRUE(provider_->Create(CreateRequest(rcs)).status.ok());
  auto remote = Spec(
      "eck_same_operator_remote", "eck_same_operator_remote.east.to-west", "east",
      {{"alias", "to-west"},
       {"remote", {{"namespace", "ns2"}, {"name", "west"}}},
       {"api_key",
        {{"access",
          {{"search",
            Value::array({{{"names", {"logs-*"}}, {"allow_restricted_indices", false}}})}}}}}});
  ApplyResponse created = provider_->Create(CreateRequest(remote));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  Value info = RemoteInfo("east", "to-west", true);
  EXPECT_TRUE(info.value("connected", false)) << info.dump() << FailureReason("east", "to-west");
  LiveObject live = ReadOne(remote);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(PlanAgainst(*provider_, remote, live).action, ChangeAction::kNoOp)
      << live.attributes.dump();

  ASSERT_TRUE(provider_->Delete(DeleteRequest(StateOf(remote, live))).status.ok());
  EXPECT_FALSE(ReadOne(remote).exists);
  ASSERT_TRUE(provider_->Delete(DeleteRequest(StateOf(rcs, ReadOne(rcs)))).status.ok());
  ExpectNothingOfCrosslinkLeft();
}

TEST_F(EckSandboxTest, RotatedCaChangesTheTransportCaOutputs) {
  auto spec = Spec("eck_transport_ca", "eck_transport_ca.west", "west",
                   {{"secret", "west-es-transport-certs-public"}});
  LiveObject before = ReadOne(spec);
  ASSERT_TRUE(before.exists);
  http::Request rotate;
  rotate.method = "POST";
  rotate.url = sandbox_->control_url() +
               "/_sandbox/platforms/k8s/namespaces/ns2/elasticsearches/west/rotate-ca";
  ASSERT_EQ(Send(rotate, Env("SANDBOX_PUBLIC_CA")).status, 200);
  LiveObject after;
  ASSERT_TRUE(WaitFor([&] {
    after = ReadOne(spec);
    return after.outputs.value("fingerprint", "") != before.outputs.value("fingerprint", "");
  }));
  EXPECT_EQ(after.outputs["ca_pems"].size(), 1u);
  EXPECT_NE(after.outputs["ca_pems"], before.outputs["ca_pems"]);
}

TEST_F(EckSandboxTest, EndpointResolverReachesTheRestApi) {
  auto ep = provider_->endpoints()->Resolve(topo_.clusters["east"]);
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->url, "https://east-es-http.ns1.svc:9200");
  EXPECT_EQ(ep->username, "elastic");
  EXPECT_EQ(ep->description.find(ep->password.expose()), std::string::npos);
  http::ClientOptions options = ep->options;
  options.retry.max_attempts = 1;
  auto client = http::NewCurlClient(options, clock_);
  http::Request get;
  get.url = ep->url + "/";
  get.SetBasicAuth(ep->username, ep->password);
  auto resp = client->Send(get);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString() << " via " << ep->description;
  EXPECT_EQ(resp->status, 200) << resp->body;
}

// The recorder the other tests rely on sees what the API server prunes.
TEST_F(EckSandboxTest, PrunedFieldsWouldBeSeen) {
  auto config = LoadKubeConfig(kubeconfig_, context_, *fs_, nullptr);
  ASSERT_TRUE(config.ok());
  auto recorded = Recorded(*config, clock_);
  auto patched =
      recorded->MergePatch(Kind::Elasticsearch(), "ns1", "east", {{"spec", {{"notAField", 1}}}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("notAField"), std::string::npos) << warnings_[0];
  warnings_.clear();
}

TEST_F(EckSandboxTest, BadInputsAreClearErrors) {
  auto check = [&](topology::Topology topo, const std::string& cluster,
                   const std::vector<std::string>& words) {
    auto p = MakeProvider(topo);
    const topology::Cluster& c = topo.clusters[cluster];
    graph::ResourceSpec spec =
        MakeSpec("eck_remote_cluster_server", "eck_remote_cluster_server." + cluster, cluster,
                 {{"namespace", c.namespace_}, {"name", c.es_name}, {"enabled", true}});
    ReadResponse r = ReadSpecs(*p, cluster, {&spec});
    EXPECT_FALSE(r.status.ok());
    for (const std::string& w : words) {
      EXPECT_NE(r.status.message().find(w), std::string::npos)
          << w << " not in: " << r.status.message();
    }
  };
  topology::Topology topo = topo_;
  topo.environments["k8s"].context = "no-such-context";
  check(topo, "east", {"no-such-context", "environment \"k8s\""});

  topo = topo_;
  topo.environments["k8s"].kubeconfig = dir_ + "/missing-kubeconfig";
  check(topo, "east", {"missing-kubeconfig", "environment \"k8s\""});

  topo = topo_;
  topo.clusters["east"].es_name = "absent";
  check(topo, "east", {"ns1/absent", "`namespace`/`name`", "environment \"k8s\""});

  // An API server that does not answer.
  std::string text = sandbox::e2e::ReadText(kubeconfig_);
  YAML::Node node = YAML::Load(text);
  node["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1";
  std::ofstream(dir_ + "/dead-kubeconfig") << YAML::Dump(node);
  topo = topo_;
  topo.environments["k8s"].kubeconfig = dir_ + "/dead-kubeconfig";
  check(topo, "east", {"127.0.0.1:1"});
}

}  // namespace
}  // namespace crosslink::providers::eck
