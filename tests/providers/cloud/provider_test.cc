// The "ech" and "ece" providers (providers/cloud/cloud_provider.h) against
// the in-process sandbox over real HTTPS: data sources compared with what
// the Cloud API really says, keystore entries, restarts below 8.14, trust
// entries written concurrently on one deployment, ECE trust relationships,
// the EndpointResolver, and bad input. Every Cloud API request is checked
// against the Swagger contract of its flavor.

#include "providers/cloud/cloud_provider.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/core/pki.h"
#include "engine/graph/catalogue.h"
#include "providers/ca_lists.h"
#include "tests/providers/cloud/cloud_test_util.h"
#include "tests/providers/contracts/cloud_api_spec.h"
#include "tests/sandbox/e2e/sandbox_fixture.h"

namespace crosslink::providers::cloud {
namespace {

using contracts::CloudContractLog;
using contracts::NewCloudContractClient;

using test_util::Contains;
using test_util::NewCaPem;

std::string Everything(const ApplyResponse& r) {
  return r.status.ToString() + r.diagnostics.ToString() + r.result.attributes.dump() +
         r.result.outputs.dump();
}

std::string Everything(const ReadResponse& r) {
  std::string out = r.status.ToString() + r.diagnostics.ToString();
  for (const auto& [a, o] : r.objects) out += a + o.attributes.dump() + o.outputs.dump();
  for (const Orphan& o : r.orphans) out += o.address + o.description + o.live.attributes.dump();
  return out;
}

// Runs `before_put` (once armed) just before a deployment PUT goes out: the
// deployment changes under the provider's feet, as another tool would do it.
class InterferingHttp : public http::HttpClient {
 public:
  InterferingHttp(std::unique_ptr<http::HttpClient> inner, std::function<void()>* before_put)
      : inner_(std::move(inner)), before_put_(before_put) {}
  Result<http::Response> Send(const http::Request& request) override {
    if (request.method == "PUT" && Contains(request.url, "/api/v1/deployments/") && *before_put_) {
      std::function<void()> hook = std::move(*before_put_);
      *before_put_ = nullptr;
      hook();
    }
    return inner_->Send(request);
  }

 private:
  std::unique_ptr<http::HttpClient> inner_;
  std::function<void()>* before_put_;
};

class CloudProviderTest : public sandbox::e2e::SandboxTest {
 protected:
  void SetUp() override {
    StartSandbox(test_util::kSandboxConfig);
    // What the topology's ${env:...} references resolve to.
    vars_["CLOUD_KEY"] = Env("CLOUD_API_KEY");
    vars_["DC1_KEY"] = Env("DC1_API_KEY");
    for (const char* c : {"ANALYTICS", "LEGACY", "ONPREM"}) {
      vars_[std::string(c) + "_PASSWORD"] = Env(std::string(c) + "_PASSWORD");
    }
    topo_.file = dir_ + "/topology.yaml";
    auto env = [this](const std::string& k) { return Env(k); };
    topo_.environments["cloud"] =
        test_util::SandboxEnvironment("cloud", topology::Platform::kEch, "CLOUD", env);
    topo_.environments["cloud"].organization_id = Env("CLOUD_ORGANIZATION_ID");
    topo_.environments["dc1"] =
        test_util::SandboxEnvironment("dc1", topology::Platform::kEce, "DC1", env);
    AddCluster("analytics", "cloud", topology::Platform::kEch, Env("ANALYTICS_CA_FILE"));
    AddCluster("legacy", "cloud", topology::Platform::kEch, Env("LEGACY_CA_FILE"));
    AddCluster("onprem", "dc1", topology::Platform::kEce, "");  // CAs from the installation
    fs_ = NewPosixFileSystem();
    ech_ = MakeProvider(Flavor::kEch, topo_);
    ece_ = MakeProvider(Flavor::kEce, topo_);
    ASSERT_NE(ech_, nullptr);
    ASSERT_NE(ece_, nullptr);
  }

  void TearDown() override {
    EXPECT_TRUE(log_->violations().empty()) << log_->Summary();
    EXPECT_GT(log_->checked(), 0u);
    // No secret in any message, attribute or output the providers produced.
    for (const std::string& text : seen_) {
      for (const auto& [name, value] : vars_) EXPECT_FALSE(Contains(text, value)) << name;
      EXPECT_FALSE(Contains(text, kKeystoreValue)) << text;
    }
    ech_.reset();
    ece_.reset();
    SandboxTest::TearDown();
  }

  void AddCluster(const std::string& key, const std::string& env, topology::Platform platform,
                  const std::string& ca_file) {
    topo_.clusters[key] = test_util::SandboxCluster(
        key, env, platform, ca_file, EnvPrefix(key),
        [this](const std::string& k) { return Env(k); });
  }

  std::function<const char*(const char*)> Getenv() {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

  // A provider whose API clients are contract-checked; null when Configure
  // fails (`status` receives why).
  std::unique_ptr<CloudProvider> MakeProvider(Flavor flavor, const topology::Topology& topo,
                                              Status* status = nullptr, int conflict_retries = 5) {
    CloudProviderOptions options;
    options.flavor = flavor;
    options.conflict_retries = conflict_retries;
    options.plan_timeout = std::chrono::milliseconds(10000);
    options.poll_interval = std::chrono::milliseconds(20);
    options.client_factory = [this, flavor](const http::ClientOptions& o) {
      http::ClientOptions checked = o;
      checked.retry.max_attempts = 1;
      checked.request_timeout = std::chrono::milliseconds(20000);
      return std::make_unique<InterferingHttp>(
          NewCloudContractClient(flavor, http::NewCurlClient(checked, clock_), log_), &before_put_);
    };
    auto p = NewCloudProvider(options);
    ConfigureRequest req;
    req.topology = &topo;
    req.clock = &clock_;
    req.fs = fs_.get();
    req.getenv = Getenv();
    Status s = p->Configure(req);
    if (status != nullptr) *status = s;
    if (!s.ok()) {
      seen_.push_back(s.message());
      return nullptr;
    }
    return p;
  }

  CloudProvider& For(const std::string& cluster_or_env) {
    return cluster_or_env == "onprem" || cluster_or_env == "dc1" ? *ece_ : *ech_;
  }

  graph::ResourceSpec Spec(const std::string& type, const std::string& address,
                           const std::string& cluster, Value extra = Value::object()) {
    graph::ResourceSpec s;
    s.type = type;
    s.address = address;
    s.cluster = cluster;
    if (!cluster.empty()) {
      const topology::Cluster& c = topo_.clusters[cluster];
      s.environment = c.environment;
      s.provider = topology::PlatformName(c.platform);
      s.attributes = Value{{"deployment_id", c.deployment_id}};
    } else {
      s.environment = "dc1";
      s.provider = "ece";
    }
    const graph::ResourceTypeInfo* info = graph::FindResourceType(type);
    if (info != nullptr) {
      s.mode = info->mode;
      s.restarts_cluster = info->restarts_cluster;
    }
    s.attributes.update(extra);
    return s;
  }

  // ec_trust_direct.<cluster>.self.<peer>: a generic entry trusting `ca`.
  graph::ResourceSpec Direct(const std::string& cluster, const std::string& peer,
                             const std::string& ca, Value extra = Value::object()) {
    Value attributes{{"type", "generic"},
                     {"name", "crosslink-self-" + peer},
                     {"trust_all", false},
                     {"additional_node_names", Value::array({peer + "-node1.example.com"})},
                     {"certificates", Value::array({Value::array({ca})})}};
    attributes.update(extra);
    return Spec("ec_trust_direct", "ec_trust_direct." + cluster + ".self." + peer, cluster,
                attributes);
  }

  static state::ResourceState StateOf(const graph::ResourceSpec& spec, const LiveObject& live) {
    state::ResourceState rs;
    rs.address = spec.address;
    rs.type = spec.type;
    rs.provider = spec.provider;
    rs.cluster = spec.cluster;
    rs.environment = spec.environment;
    rs.mode = spec.mode;
    rs.attributes = live.attributes.empty() ? spec.attributes : live.attributes;
    rs.outputs = live.outputs;
    return rs;
  }

  ReadResponse Read(const std::string& scope, std::vector<ReadItem> items) {
    ReadRequest req;
    const bool env_scope = scope == "dc1";
    req.cluster = env_scope ? "" : scope;
    req.environment = env_scope ? "dc1" : topo_.clusters[scope].environment;
    req.items = std::move(items);
    ReadResponse r = For(scope).Read(req);
    seen_.push_back(Everything(r));
    return r;
  }

  LiveObject ReadOne(const graph::ResourceSpec& s, const state::ResourceState* prior = nullptr) {
    ReadResponse r = Read(s.cluster.empty() ? "dc1" : s.cluster, {{s.address, s.type, &s, prior}});
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_FALSE(r.diagnostics.has_errors()) << r.diagnostics.ToString();
    return r.objects[s.address];
  }

  PlanResponse PlanAgainst(const graph::ResourceSpec& s, const LiveObject& live,
                           const state::ResourceState* prior = nullptr) {
    PlanRequest req;
    req.desired = &s;
    req.prior = prior;
    req.live = &live;
    req.attributes = s.attributes;
    return For(s.cluster.empty() ? "dc1" : s.cluster).Plan(req);
  }

  ApplyResponse Create(const graph::ResourceSpec& s, std::map<std::string, Secret> secrets = {},
                       std::vector<std::string>* progress = nullptr) {
    ApplyRequest r;
    r.desired = &s;
    r.attributes = s.attributes;
    r.secret_inputs = std::move(secrets);
    if (progress != nullptr) {
      r.progress = [progress](const std::string& m) { progress->push_back(m); };
    }
    ApplyResponse out = For(s.cluster.empty() ? "dc1" : s.cluster).Create(r);
    seen_.push_back(Everything(out));
    if (progress != nullptr) seen_.insert(seen_.end(), progress->begin(), progress->end());
    return out;
  }

  ApplyResponse Update(const graph::ResourceSpec& s, const state::ResourceState& prior,
                       std::map<std::string, Secret> secrets = {}) {
    ApplyRequest r;
    r.desired = &s;
    r.prior = &prior;
    r.attributes = s.attributes;
    r.secret_inputs = std::move(secrets);
    ApplyResponse out = For(s.cluster.empty() ? "dc1" : s.cluster).Update(r);
    seen_.push_back(Everything(out));
    return out;
  }

  ApplyResponse Delete(const state::ResourceState& prior) {
    ApplyRequest r;
    r.prior = &prior;
    r.attributes = prior.attributes;
    ApplyResponse out = For(prior.cluster.empty() ? "dc1" : prior.cluster).Delete(r);
    seen_.push_back(Everything(out));
    return out;
  }

  Value Deployment(const std::string& cluster) {
    const std::string env = topo_.clusters[cluster].environment;
    sandbox::e2e::Reply r = Cloud(env, "GET",
                                  "/deployments/" + Env(EnvPrefix(cluster) + "_DEPLOYMENT_ID") +
                                      "?show_settings=true&show_plans=true");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json["resources"]["elasticsearch"][0];
  }

  Value Trust(const std::string& cluster) {
    return Deployment(cluster)["info"]["settings"]["trust"];
  }

  std::vector<std::string> DirectNames(const std::string& cluster) {
    std::vector<std::string> names;
    for (const Value& e : Trust(cluster).value("direct", Value::array())) {
      names.push_back(e.value("name", ""));
    }
    return names;
  }

  std::string KeystoreNames(const std::string& cluster) {
    const std::string env = topo_.clusters[cluster].environment;
    sandbox::e2e::Reply r = Cloud(env, "GET",
                                  "/deployments/" + Env(EnvPrefix(cluster) + "_DEPLOYMENT_ID") +
                                      "/elasticsearch/main-elasticsearch/keystore");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json.dump();
  }

  static constexpr char kKeystoreValue[] = "ZW5jb2RlZC1jcm9zcy1jbHVzdGVyLWtleS12YWx1ZQ==";

  std::map<std::string, std::string> vars_;
  topology::Topology topo_;
  std::unique_ptr<FileSystem> fs_;
  std::shared_ptr<CloudContractLog> log_ = std::make_shared<CloudContractLog>();
  std::unique_ptr<CloudProvider> ech_, ece_;
  std::vector<std::string> seen_;
  std::function<void()> before_put_;
};

TEST_F(CloudProviderTest, NamesFollowTheFlavor) {
  EXPECT_EQ(ech_->name(), "ech");
  EXPECT_EQ(ece_->name(), "ece");
  // Nothing read yet, but Configure made a client for each environment:
  // reading proves them below. Keep the contract log non-empty.
  ReadOne(Spec("ec_deployment", "ec_deployment.analytics", "analytics"));
}

TEST_F(CloudProviderTest, DataSourcesReportTheSandboxValues) {
  // ECH: the deployment and its CA, in one Read of the cluster.
  auto dep = Spec("ec_deployment", "ec_deployment.analytics", "analytics");
  auto ca = Spec("ec_certificate_authority", "ec_certificate_authority.analytics", "analytics");
  ReadResponse r = Read(
      "analytics", {{dep.address, dep.type, &dep, nullptr}, {ca.address, ca.type, &ca, nullptr}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const Value real = Deployment("analytics");
  const std::string endpoint = real["info"]["metadata"]["endpoint"];
  const LiveObject& d = r.objects[dep.address];
  EXPECT_TRUE(d.exists);
  EXPECT_EQ(d.outputs["endpoint"], endpoint);
  EXPECT_EQ(d.outputs["cluster_id"], real["info"]["cluster_id"]);
  EXPECT_EQ(d.outputs["account_id"], Env("CLOUD_ORGANIZATION_ID"));
  EXPECT_EQ(d.outputs["version"], "8.17.0");
  EXPECT_EQ(d.outputs["remote_cluster_address"], endpoint + ":9443");
  EXPECT_EQ(d.outputs["transport_address"], endpoint + ":9400");
  EXPECT_EQ(PlanAgainst(dep, d).action, ChangeAction::kNoOp);

  sandbox::e2e::Reply authority = Cloud(
      "cloud", "GET", "/deployments/" + Env("ANALYTICS_DEPLOYMENT_ID") + "/certificate-authority");
  ASSERT_EQ(authority.status, 200);
  const LiveObject& c = r.objects[ca.address];
  EXPECT_TRUE(c.exists);
  ASSERT_EQ(c.outputs["ca_pems"].size(), 1u) << c.outputs.dump();
  EXPECT_EQ(c.outputs["ca_pems"][0],
            NormalizePem(authority.json["public_certificates"][0]["pem"].get<std::string>()));
  EXPECT_EQ(c.outputs["trust_restriction"], authority.json["recommended_trust_restriction"]);

  // ECE: the account is the installation's scope (from the trust restriction).
  auto onprem = Spec("ec_deployment", "ec_deployment.onprem", "onprem");
  LiveObject o = ReadOne(onprem);
  EXPECT_EQ(o.outputs["account_id"], Env("DC1_ENVIRONMENT_ID"));
  EXPECT_EQ(o.outputs["cluster_id"], Deployment("onprem")["info"]["cluster_id"]);

  // ECE environment scope: the proxy root (private in the sandbox) and the
  // installation's identity.
  auto proxy = Spec("ece_proxy_ca", "ece_proxy_ca.dc1", "");
  auto inst = Spec("ece_installation", "ece_installation.dc1", "");
  ReadResponse env = Read("dc1", {{proxy.address, proxy.type, &proxy, nullptr},
                                  {inst.address, inst.type, &inst, nullptr}});
  ASSERT_TRUE(env.status.ok()) << env.status.ToString();
  sandbox::e2e::Reply chain = Cloud("dc1", "GET", "/platform/configuration/security/tls/proxy");
  ASSERT_EQ(chain.status, 200);
  const std::string root = NormalizePem(chain.json["chain"].back().get<std::string>());
  const LiveObject& p = env.objects[proxy.address];
  EXPECT_EQ(p.outputs["ca_pems"], Value::array({root}));
  EXPECT_EQ(p.outputs["private_ca_pems"], Value::array({root}));
  sandbox::e2e::Reply local =
      Cloud("dc1", "GET",
            "/platform/configuration/trust-relationships?filter=local&include_certificate=true");
  ASSERT_EQ(local.status, 200);
  const Value& rel = local.json["trust_relationships"][0];
  const LiveObject& i = env.objects[inst.address];
  EXPECT_EQ(i.outputs["installation_id"], Env("DC1_ENVIRONMENT_ID"));
  EXPECT_EQ(i.outputs["environment_id"], Env("DC1_ENVIRONMENT_ID"));
  EXPECT_EQ(i.outputs["account_id"], rel["account_ids"][0]);
  EXPECT_EQ(i.outputs["ca_pems"],
            Value::array({NormalizePem(rel["public_ca_cert"].get<std::string>())}));
  EXPECT_TRUE(env.orphans.empty());
}

TEST_F(CloudProviderTest, KeystoreCredentialCreateReadDriftDelete) {
  const std::string setting = "cluster.remote.logs.credentials";
  auto spec = Spec("ec_keystore_credential", "ec_keystore_credential.analytics.logs", "analytics",
                   {{"setting", setting}, {"key_id", "key-1"}});
  // Not there yet: create.
  LiveObject before = ReadOne(spec);
  EXPECT_FALSE(before.exists);
  EXPECT_EQ(PlanAgainst(spec, before).action, ChangeAction::kCreate);

  ApplyResponse created = Create(spec, {{"credentials", Secret(kKeystoreValue)}});
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  EXPECT_EQ(created.result.outputs["key_id"], "key-1");
  EXPECT_TRUE(Contains(KeystoreNames("analytics"), setting));
  // 8.17: reloaded at once, the twin holds it.
  EXPECT_TRUE(Contains(sandbox_->FindTwin("analytics")->Inspect()["keystore"].dump(), setting));

  state::ResourceState prior = StateOf(spec, created.result);
  LiveObject live = ReadOne(spec, &prior);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(PlanAgainst(spec, live, &prior).action, ChangeAction::kNoOp) << live.attributes.dump();
  // Without a state the entry is someone else's (no mark to tell).
  LiveObject unknown = ReadOne(spec);
  EXPECT_TRUE(unknown.exists);
  EXPECT_FALSE(unknown.managed_by_crosslink);
  // A new key id is an update.
  auto rotated = spec;
  rotated.attributes["key_id"] = "key-2";
  EXPECT_EQ(PlanAgainst(rotated, live, &prior).action, ChangeAction::kUpdate);

  // Removed behind crosslink's back: drift, planned as a create.
  sandbox::e2e::Reply removed = Cloud("cloud", "PATCH",
                                      "/deployments/" + Env("ANALYTICS_DEPLOYMENT_ID") +
                                          "/elasticsearch/main-elasticsearch/keystore",
                                      Value{{"secrets", {{setting, nullptr}}}}.dump());
  ASSERT_EQ(removed.status, 200) << removed.body;
  LiveObject gone = ReadOne(spec, &prior);
  EXPECT_FALSE(gone.exists);
  EXPECT_EQ(PlanAgainst(spec, gone, &prior).action, ChangeAction::kCreate);

  ASSERT_TRUE(Create(spec, {{"credentials", Secret(kKeystoreValue)}}).status.ok());
  // Another setting name: the old entry goes, the new one comes.
  const std::string setting2 = "cluster.remote.logs2.credentials";
  auto renamed = spec;
  renamed.attributes["setting"] = setting2;
  ApplyResponse updated = Update(renamed, prior, {{"credentials", Secret(kKeystoreValue)}});
  ASSERT_TRUE(updated.status.ok()) << updated.status.ToString();
  EXPECT_FALSE(Contains(KeystoreNames("analytics"), setting));
  EXPECT_TRUE(Contains(KeystoreNames("analytics"), setting2));
  prior = StateOf(renamed, updated.result);
  ApplyResponse deleted = Delete(prior);
  ASSERT_TRUE(deleted.status.ok()) << deleted.status.ToString();
  EXPECT_FALSE(Contains(KeystoreNames("analytics"), setting2));
  EXPECT_FALSE(ReadOne(renamed, &prior).exists);

  // The encoded key is required.
  ApplyResponse missing = Create(spec);
  EXPECT_FALSE(missing.status.ok());
  EXPECT_TRUE(Contains(missing.status.message(), "credentials")) << missing.status.ToString();
}

TEST_F(CloudProviderTest, RestartOnlyBelow814AndOnlyWhenKeysChange) {
  const std::string setting = "cluster.remote.logs.credentials";
  auto cred = Spec("ec_keystore_credential", "ec_keystore_credential.legacy.logs", "legacy",
                   {{"setting", setting}, {"key_id", "key-1"}});
  ASSERT_TRUE(Create(cred, {{"credentials", Secret(kKeystoreValue)}}).status.ok());
  sandbox::es::Twin* legacy = sandbox_->FindTwin("legacy");
  // 8.12: the keystore is not reloaded until a restart.
  EXPECT_FALSE(Contains(legacy->Inspect()["keystore"].dump(), setting));

  auto restart = Spec("ec_restart", "ec_restart.legacy", "legacy",
                      {{"below_version", "8.14.0"},
                       {"version", "8.12.0"},
                       {"credential_key_ids", Value::array({"key-1"})}});
  LiveObject none = ReadOne(restart);
  EXPECT_FALSE(none.exists);
  PlanResponse plan = PlanAgainst(restart, none);
  EXPECT_EQ(plan.action, ChangeAction::kCreate);
  EXPECT_TRUE(Contains(plan.reason, "restarts the deployment")) << plan.reason;

  const int before = legacy->restarts();
  std::vector<std::string> progress;
  ApplyResponse created = Create(restart, {}, &progress);
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  EXPECT_EQ(legacy->restarts(), before + 1);
  EXPECT_TRUE(Contains(legacy->Inspect()["keystore"].dump(), setting));
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(Contains(progress[0], "restarting deployment")) << progress[0];

  // Same keys: nothing to do; new keys: one more restart.
  state::ResourceState prior = StateOf(restart, created.result);
  LiveObject live = ReadOne(restart, &prior);
  EXPECT_TRUE(live.exists);
  EXPECT_EQ(PlanAgainst(restart, live, &prior).action, ChangeAction::kNoOp);
  ASSERT_TRUE(Update(restart, prior).status.ok());
  EXPECT_EQ(legacy->restarts(), before + 1);
  auto rotated = restart;
  rotated.attributes["credential_key_ids"] = Value::array({"key-2"});
  ASSERT_TRUE(Update(rotated, prior).status.ok());
  EXPECT_EQ(legacy->restarts(), before + 2);
  ASSERT_TRUE(Delete(prior).status.ok());
  EXPECT_EQ(legacy->restarts(), before + 2);

  // A version only known live (the attribute is not a version yet).
  auto live_version = restart;
  live_version.attributes["version"] = "";
  ASSERT_TRUE(Create(live_version).status.ok());
  EXPECT_EQ(legacy->restarts(), before + 3);

  // >= 8.14: never a restart.
  sandbox::es::Twin* analytics = sandbox_->FindTwin("analytics");
  const int a_before = analytics->restarts();
  auto modern = Spec("ec_restart", "ec_restart.analytics", "analytics",
                     {{"below_version", "8.14.0"},
                      {"version", "8.17.0"},
                      {"credential_key_ids", Value::array({"key-1"})}});
  EXPECT_TRUE(Contains(PlanAgainst(modern, LiveObject()).reason, "no restart"));
  ASSERT_TRUE(Create(modern).status.ok());
  modern.attributes["version"] = "";
  ASSERT_TRUE(Create(modern).status.ok());  // live 8.17.0
  EXPECT_EQ(analytics->restarts(), a_before);
}

TEST_F(CloudProviderTest, ConcurrentTrustChangesOnOneDeploymentAllLand) {
  // An entry crosslink did not create, which must survive everything.
  const std::string user_ca = NewCaPem("user-ca");
  ASSERT_EQ(TrustProxyCa("cloud", Env("ANALYTICS_DEPLOYMENT_ID"), "user-proxy", user_ca).status,
            200);
  auto a = Direct("analytics", "a", NewCaPem("peer-a"));
  auto b = Direct("analytics", "b", NewCaPem("peer-b"));
  ApplyResponse ra, rb;
  std::thread ta([&] { ra = Create(a); });
  std::thread tb([&] { rb = Create(b); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra.status.ok()) << ra.status.ToString();
  ASSERT_TRUE(rb.status.ok()) << rb.status.ToString();
  std::vector<std::string> names = DirectNames("analytics");
  EXPECT_EQ(std::count(names.begin(), names.end(), "crosslink-self-a"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "crosslink-self-b"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "user-proxy"), 1);

  // Read back in the state's shape: no change planned; crosslink's.
  state::ResourceState pa = StateOf(a, ra.result), pb = StateOf(b, rb.result);
  ReadResponse r = Read("analytics", {{a.address, a.type, &a, &pa}, {b.address, b.type, &b, &pb}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.objects[a.address].managed_by_crosslink);
  EXPECT_EQ(PlanAgainst(a, r.objects[a.address], &pa).action, ChangeAction::kNoOp)
      << r.objects[a.address].attributes.dump();
  EXPECT_TRUE(r.orphans.empty());
  // A Read that does not name b reports it as an orphan.
  ReadResponse only_a = Read("analytics", {{a.address, a.type, &a, &pa}});
  ASSERT_EQ(only_a.orphans.size(), 1u);
  EXPECT_EQ(only_a.orphans[0].address, b.address);

  // Update one while deleting the other, concurrently.
  auto a2 = a;
  a2.attributes["additional_node_names"] =
      Value::array({"a-node1.example.com", "a-node2.example.com"});
  ApplyResponse ua, db;
  std::thread tu([&] { ua = Update(a2, pa); });
  std::thread td([&] { db = Delete(pb); });
  tu.join();
  td.join();
  ASSERT_TRUE(ua.status.ok()) << ua.status.ToString();
  ASSERT_TRUE(db.status.ok()) << db.status.ToString();
  names = DirectNames("analytics");
  EXPECT_EQ(std::count(names.begin(), names.end(), "crosslink-self-b"), 0);
  const Value trust = Trust("analytics");
  bool updated = false;
  for (const Value& e : trust["direct"]) {
    if (e.value("name", "") == "crosslink-self-a") {
      updated = true;
      EXPECT_EQ(e["additional_node_names"].size(), 2u) << e.dump();
    }
  }
  EXPECT_TRUE(updated) << trust.dump();
  ASSERT_TRUE(Delete(StateOf(a2, ua.result)).status.ok());
  names = DirectNames("analytics");
  EXPECT_EQ(names, std::vector<std::string>{"user-proxy"});
}

TEST_F(CloudProviderTest, ConflictingWriteIsReReadAndReApplied) {
  const std::string user_ca = NewCaPem("user-ca");
  // Someone else edits the trust between crosslink's read and its PUT: the
  // PUT's resource version is stale (409); crosslink re-reads, re-applies
  // its entry on the new trust, and keeps the other tool's entry.
  before_put_ = [&] {
    EXPECT_EQ(TrustProxyCa("cloud", Env("ANALYTICS_DEPLOYMENT_ID"), "other-tool", user_ca).status,
              200);
  };
  auto spec = Direct("analytics", "edge", NewCaPem("edge"));
  ApplyResponse created = Create(spec);
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  EXPECT_FALSE(before_put_);  // the interference happened
  std::vector<std::string> names = DirectNames("analytics");
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"crosslink-self-edge", "other-tool"}));
}

TEST_F(CloudProviderTest, ConflictRetriesAreBoundedAndTheErrorSaysWhy) {
  // Another tool changes the trust before every PUT: crosslink gives up
  // after conflict_retries + 1 attempts instead of spinning.
  Status configured;
  ech_ = MakeProvider(Flavor::kEch, topo_, &configured, /*conflict_retries=*/2);
  ASSERT_NE(ech_, nullptr) << configured.ToString();
  const std::string user_ca = NewCaPem("user-ca");
  int puts = 0;
  std::function<void()> interfere = [&] {
    ++puts;
    EXPECT_EQ(TrustProxyCa("cloud", Env("ANALYTICS_DEPLOYMENT_ID"),
                           "other-tool-" + std::to_string(puts), user_ca)
                  .status,
              200);
    before_put_ = interfere;  // again on the next PUT
  };
  before_put_ = interfere;
  ApplyResponse created = Create(Direct("analytics", "busy", NewCaPem("busy")));
  before_put_ = nullptr;
  EXPECT_EQ(puts, 3);
  ASSERT_EQ(created.status.code(), StatusCode::kConflict) << created.status.ToString();
  const std::string& m = created.status.message();
  EXPECT_TRUE(Contains(m, Env("ANALYTICS_DEPLOYMENT_ID"))) << m;
  EXPECT_TRUE(Contains(m, "\"analytics\"")) << m;
  EXPECT_TRUE(Contains(m, "3 attempts")) << m;
  EXPECT_TRUE(Contains(m, "run crosslink again")) << m;
  for (const std::string& name : DirectNames("analytics")) {
    EXPECT_NE(name, "crosslink-self-busy");
  }
}

TEST_F(CloudProviderTest, OneLockPerDeploymentWhateverTheRefIdSpelling) {
  // Without retries, two concurrent writes to one deployment both land only
  // when they are serialized, also when one names the ref_id and the other
  // leaves it to the deployment's only Elasticsearch resource.
  Status configured;
  ech_ = MakeProvider(Flavor::kEch, topo_, &configured, /*conflict_retries=*/0);
  ASSERT_NE(ech_, nullptr) << configured.ToString();
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    const std::string n = std::to_string(round);
    auto a = Direct("analytics", "named" + n, NewCaPem("named"),
                    {{"ref_id", "main-elasticsearch"}});
    auto b = Direct("analytics", "implicit" + n, NewCaPem("implicit"));
    ApplyResponse ra, rb;
    std::thread ta([&] { ra = Create(a); });
    std::thread tb([&] { rb = Create(b); });
    ta.join();
    tb.join();
    EXPECT_TRUE(ra.status.ok()) << ra.status.ToString();
    EXPECT_TRUE(rb.status.ok()) << rb.status.ToString();
  }
  std::vector<std::string> names = DirectNames("analytics");
  EXPECT_EQ(names.size(), 6u) << ::testing::PrintToString(names);
}

TEST_F(CloudProviderTest, ResolverReachesElasticsearchOnEchAndEce) {
  for (const std::string cluster : {"analytics", "onprem"}) {
    SCOPED_TRACE(cluster);
    Result<elasticsearch::Endpoint> ep = For(cluster).endpoints()->Resolve(topo_.clusters[cluster]);
    ASSERT_TRUE(ep.ok()) << ep.status().ToString();
    seen_.push_back(ep->description);
    EXPECT_EQ(ep->url, Env(EnvPrefix(cluster) + "_URL"));
    EXPECT_EQ(ep->username, "elastic");
    http::ClientOptions options = ep->options;
    options.trust_system_cas = false;  // only what the resolver gathered
    options.retry.max_attempts = 1;
    auto client = http::NewCurlClient(options, clock_);
    http::Request request = http::Request::Json("GET", ep->url + "/", "");
    request.SetBasicAuth(ep->username, ep->password);
    Result<http::Response> root = client->Send(request);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(root->status, 200) << root->body;
    // Cached for the run.
    Result<elasticsearch::Endpoint> again =
        For(cluster).endpoints()->Resolve(topo_.clusters[cluster]);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->url, ep->url);
  }
  // A cluster with `url` is reached through the topology.
  topology::Cluster with_url = topo_.clusters["analytics"];
  with_url.name = "analytics-direct";
  with_url.url = Env("ANALYTICS_URL") + "/";
  Result<elasticsearch::Endpoint> direct = ech_->endpoints()->Resolve(with_url);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_EQ(direct->url, Env("ANALYTICS_URL"));
}

TEST_F(CloudProviderTest, EceTrustRelationshipAndExternalTrust) {
  const std::string peer_ca = NewCaPem("dc2-root");
  const std::string peer_id = "0123456789abcdef0123456789abcdef";
  auto rel = Spec("ece_trust_relationship", "ece_trust_relationship.dc1.dc2", "",
                  {{"name", "crosslink-dc2"},
                   {"installation_id", peer_id},
                   {"certificates", Value::array({Value::array({peer_ca})})},
                   {"account_ids", Value::array({peer_id})},
                   {"trust_by_default", false}});
  EXPECT_FALSE(ReadOne(rel).exists);
  ApplyResponse created = Create(rel);
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  const std::string id = created.result.outputs.value("id", "");
  ASSERT_FALSE(id.empty());
  state::ResourceState prior = StateOf(rel, created.result);
  prior.attributes = rel.attributes;  // as apply records it
  LiveObject live = ReadOne(rel, &prior);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(live.outputs["id"], id);
  EXPECT_EQ(PlanAgainst(rel, live, &prior).action, ChangeAction::kNoOp) << live.attributes.dump();

  // A deployment trusts the other installation through it.
  auto external = Spec("ec_trust_external", "ec_trust_external.onprem.dc2", "onprem",
                       {{"trust_relationship_id", id},
                        {"trust_all", false},
                        {"trust_allowlist", Value::array({"fedcba9876543210fedcba9876543210"})}});
  ApplyResponse ext = Create(external);
  ASSERT_TRUE(ext.status.ok()) << ext.status.ToString();
  bool found = false;
  for (const Value& e : Trust("onprem").value("external", Value::array())) {
    found |= e.value("trust_relationship_id", "") == id;
  }
  EXPECT_TRUE(found) << Trust("onprem").dump();

  // Not named by the request: an orphan of the environment.
  ReadResponse env = Read("dc1", {});
  ASSERT_TRUE(env.status.ok()) << env.status.ToString();
  ASSERT_EQ(env.orphans.size(), 1u);
  EXPECT_EQ(env.orphans[0].address, "ece_trust_relationship.dc1.dc2");

  // Update: another account.
  auto changed = rel;
  changed.attributes["account_ids"] = Value::array({peer_id, "acc2"});
  EXPECT_EQ(PlanAgainst(changed, live, &prior).action, ChangeAction::kUpdate);
  ASSERT_TRUE(Update(changed, prior).status.ok());
  EXPECT_EQ(ReadOne(changed, &prior).attributes["account_ids"], changed.attributes["account_ids"]);

  // Destroy order: the deployment's external entry, then the relationship.
  ASSERT_TRUE(Delete(StateOf(external, ext.result)).status.ok());
  ASSERT_TRUE(Delete(prior).status.ok());
  EXPECT_FALSE(ReadOne(rel).exists);
  sandbox::e2e::Reply all = Cloud("dc1", "GET", "/platform/configuration/trust-relationships");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json["trust_relationships"].size(), 1u) << all.body;  // the local one

  // A relationship without a name is refused before any write.
  auto unnamed = rel;
  unnamed.attributes["name"] = "";
  ApplyResponse refused = Create(unnamed);
  EXPECT_EQ(refused.status.code(), StatusCode::kInvalidArgument) << refused.status.ToString();
  EXPECT_TRUE(Contains(refused.status.message(), "ece_trust_relationship.dc1.dc2"))
      << refused.status.ToString();
  all = Cloud("dc1", "GET", "/platform/configuration/trust-relationships");
  EXPECT_EQ(all.json["trust_relationships"].size(), 1u) << all.body;
}

TEST_F(CloudProviderTest, BadInputSaysWhatToFix) {
  // ECH's default key variable, unset.
  topology::Topology t = topo_;
  t.environments["cloud"].api_key = topology::SecretRef();
  Status st;
  EXPECT_EQ(MakeProvider(Flavor::kEch, t, &st), nullptr);
  EXPECT_TRUE(Contains(st.message(), "EC_API_KEY")) << st.ToString();
  EXPECT_TRUE(Contains(st.message(), "\"cloud\"")) << st.ToString();
  // An ECE environment without a key has no default.
  t = topo_;
  t.environments["dc1"].api_key = topology::SecretRef();
  EXPECT_EQ(MakeProvider(Flavor::kEce, t, &st), nullptr);
  EXPECT_TRUE(Contains(st.message(), "environments.dc1.api_key")) << st.ToString();

  // A wrong deployment id names the deployment, the cluster and the field.
  auto wrong = Spec("ec_deployment", "ec_deployment.analytics", "analytics",
                    {{"deployment_id", "ffffffffffffffffffffffffffffffff"}});
  ReadResponse r = Read("analytics", {{wrong.address, wrong.type, &wrong, nullptr}});
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(r.status.message(), "ffffffffffffffffffffffffffffffff"))
      << r.status.ToString();
  EXPECT_TRUE(Contains(r.status.message(), "clusters.analytics.deployment_id"))
      << r.status.ToString();
  // Removing from a deployment that no longer exists is not an error.
  state::ResourceState gone = StateOf(wrong, LiveObject());
  gone.type = "ec_keystore_credential";
  gone.attributes["setting"] = "cluster.remote.x.credentials";
  EXPECT_TRUE(Delete(gone).status.ok());

  // A cluster of another platform's environment.
  topology::Cluster stray = topo_.clusters["onprem"];
  Result<elasticsearch::Endpoint> ep = ech_->endpoints()->Resolve(stray);
  ASSERT_FALSE(ep.ok());
  EXPECT_TRUE(Contains(ep.status().message(), "\"dc1\"")) << ep.status().ToString();
}

}  // namespace
}  // namespace crosslink::providers::cloud
