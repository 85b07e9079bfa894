// The ECK provider against an in-memory Kubernetes API (FakeKube): merge
// logic in nodeSets, exact undo, foreign conflicts, orphans, restart groups
// as one update, drift, and no secret in anything printable.

#include <gtest/gtest.h>

#include "engine/core/logging.h"

#include <mutex>
#include <sstream>

#include "engine/core/http.h"
#include "engine/core/pki.h"
#include "providers/eck/eck_resources.h"
#include "tests/providers/eck/eck_test_support.h"

namespace crosslink::providers::eck {
namespace {

using testing::CreateRequest;
using testing::DeleteRequest;
using testing::Everything;
using testing::MakeSpec;
using testing::PlanAgainst;
using testing::ReadSpecs;
using testing::StateOf;

// Kubernetes semantics the provider relies on: resourceVersion conflicts,
// generation bumps on spec changes, label selectors, LoadBalancer addresses,
// and an operator that is instantly Ready.
class FakeKube : public KubeClient {
 public:
  Result<Value> Get(const Kind& kind, const std::string& ns, const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(Key(kind, ns, name));
    if (it == objects_.end())
      return Status::NotFound(kind.name + " " + ns + "/" + name + " not found");
    return it->second;
  }
  Result<Value> List(const Kind& kind, const std::string& ns,
                     const std::string& selector) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++lists;
    Value out = Value::array();
    const std::string prefix = kind.plural + "/" + ns + "/";
    for (const auto& [key, obj] : objects_) {
      if (key.rfind(prefix, 0) != 0 || !Matches(obj, selector)) continue;
      Value item = obj;
      item.erase("kind");
      out.push_back(item);
    }
    return out;
  }
  Result<Value> Create(const Kind& kind, const std::string& ns, const Value& object) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string name = object["metadata"].value("name", "");
    const std::string key = Key(kind, ns, name);
    if (objects_.count(key)) return Status::Error(StatusCode::kAlreadyExists, name + " exists");
    Value o = object;
    o["kind"] = kind.name;
    o["metadata"]["namespace"] = ns;
    o["metadata"]["resourceVersion"] = std::to_string(++rv_);
    if (kind.plural == "elasticsearches") {
      o["metadata"]["generation"] = 1;
      o["status"] = {{"phase", "Ready"}, {"observedGeneration", 1}};
    }
    if (kind.plural == "services" && o["spec"].value("type", "") == "LoadBalancer") {
      o["status"] = {{"loadBalancer", {{"ingress", Value::array({{{"ip", "10.0.0.7"}}})}}}};
    }
    objects_[key] = o;
    return o;
  }
  Result<Value> Replace(const Kind& kind, const std::string& ns, const std::string& name,
                        const Value& object) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string key = Key(kind, ns, name);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound(name);
    if (object["metadata"].value("resourceVersion", "") !=
        it->second["metadata"]["resourceVersion"]) {
      return Status::Conflict("the object has been modified");
    }
    if (conflicts_left > 0 && kind.plural == "elasticsearches") {
      --conflicts_left;
      it->second["metadata"]["resourceVersion"] = std::to_string(++rv_);
      return Status::Conflict("the object has been modified");
    }
    Value o = object;
    o["kind"] = kind.name;
    o["metadata"]["resourceVersion"] = std::to_string(++rv_);
    if (kind.plural == "elasticsearches") {
      ++es_writes;
      int64_t gen = it->second["metadata"].value("generation", 1);
      if (o.value("spec", Value()) != it->second.value("spec", Value())) ++gen;
      o["metadata"]["generation"] = gen;
      o["status"] = {{"phase", "Ready"}, {"observedGeneration", gen}};  // instant operator
    }
    if (kind.plural == "services") o["status"] = it->second.value("status", Value::object());
    it->second = o;
    return o;
  }
  Result<Value> MergePatch(const Kind& kind, const std::string& ns, const std::string& name,
                           const Value& patch) override {
    Result<Value> cur = Get(kind, ns, name);
    if (!cur.ok()) return cur;
    Value o = *cur;
    o.merge_patch(patch);
    return Replace(kind, ns, name, o);
  }
  Status Delete(const Kind& kind, const std::string& ns, const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    return objects_.erase(Key(kind, ns, name)) ? Status::Ok() : Status::NotFound(name);
  }
  std::string Describe() const override { return "fake API server"; }

  // Test helpers (no resourceVersion checks).
  void Put(const Kind& kind, const std::string& ns, Value object) {
    std::lock_guard<std::mutex> lock(mu_);
    object["kind"] = kind.name;
    object["metadata"]["namespace"] = ns;
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    objects_[Key(kind, ns, object["metadata"]["name"])] = object;
  }
  Value Object(const Kind& kind, const std::string& ns, const std::string& name) {
    auto r = Get(kind, ns, name);
    return r.ok() ? *r : Value();
  }
  size_t Count(const Kind& kind) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& [key, obj] : objects_) n += key.rfind(kind.plural + "/", 0) == 0;
    return n;
  }

  int es_writes = 0;
  int lists = 0;
  int conflicts_left = 0;

 private:
  static std::string Key(const Kind& kind, const std::string& ns, const std::string& name) {
    return kind.plural + "/" + ns + "/" + name;
  }
  static bool Matches(const Value& obj, const std::string& selector) {
    std::stringstream in(selector);
    std::string term;
    const Value labels = obj["metadata"].value("labels", Value::object());
    while (std::getline(in, term, ',')) {
      size_t eq = term.find('=');
      if (eq == std::string::npos) continue;
      if (labels.value(term.substr(0, eq), "") != term.substr(eq + 1)) return false;
    }
    return true;
  }
  std::mutex mu_;
  std::map<std::string, Value> objects_;
  int rv_ = 0;
};

// Forwards to a shared FakeKube (the provider owns its client).
class Forward : public KubeClient {
 public:
  explicit Forward(FakeKube* k) : k_(k) {}
  Result<Value> Get(const Kind& a, const std::string& b, const std::string& c) override {
    return k_->Get(a, b, c);
  }
  Result<Value> List(const Kind& a, const std::string& b, const std::string& c) override {
    return k_->List(a, b, c);
  }
  Result<Value> Create(const Kind& a, const std::string& b, const Value& c) override {
    return k_->Create(a, b, c);
  }
  Result<Value> Replace(const Kind& a, const std::string& b, const std::string& c,
                        const Value& d) override {
    return k_->Replace(a, b, c, d);
  }
  Result<Value> MergePatch(const Kind& a, const std::string& b, const std::string& c,
                           const Value& d) override {
    return k_->MergePatch(a, b, c, d);
  }
  Status Delete(const Kind& a, const std::string& b, const std::string& c) override {
    return k_->Delete(a, b, c);
  }
  std::string Describe() const override { return k_->Describe(); }

 private:
  FakeKube* k_;
};

std::string MakeCaPem(const std::string& cn) {
  pki::CertificateSpec spec;
  spec.common_name = cn;
  spec.is_ca = true;
  auto ca = pki::CreateCa(spec);
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  return ca.ok() ? ca->LeafPem() : "";
}

class EckProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ConfigureLogging("", "").ok());  // CROSSLINK_LOG, else warn
    dir_ = std::filesystem::temp_directory_path() /
           ("eck-unit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "kubeconfig") << R"(apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-used}}]
contexts: [{name: fake, context: {cluster: c, user: u}}]
current-context: fake
)";
    topo_.file = (dir_ / "topology.yaml").string();
    topology::Environment env;
    env.name = "k8s";
    env.platform = topology::Platform::kEck;
    env.kubeconfig = "kubeconfig";
    env.context = "fake";
    topo_.environments["k8s"] = env;
    topology::Cluster c;
    c.name = "logs";
    c.environment = "k8s";
    c.platform = topology::Platform::kEck;
    c.namespace_ = "obs";
    c.es_name = "logs";
    topo_.clusters["logs"] = c;

    original_ = {
        {"apiVersion", "elasticsearch.k8s.elastic.co/v1"},
        {"kind", "Elasticsearch"},
        {"metadata", {{"name", "logs"}, {"namespace", "obs"}, {"annotations", {{"user", "x"}}}}},
        {"spec",
         {{"version", "8.17.0"},
          {"nodeSets",
           Value::array(
               {{{"name", "hot"},
                 {"count", 3},
                 {"config", {{"node.roles", {"data_hot"}}, {"xpack.ml.enabled", false}}},
                 {"podTemplate",
                  {{"spec",
                    {{"volumes",
                      Value::array({{{"name", "user-certs"}, {"secret", {{"secretName", "x"}}}}})},
                     {"containers",
                      Value::array(
                          {{{"name", "elasticsearch"},
                            {"env",
                             Value::array({{{"name", "ES_JAVA_OPTS"}, {"value", "-Xms2g"}}})},
                            {"volumeMounts", Value::array({{{"name", "user-certs"},
                                                            {"mountPath", "/certs"}}})}}})}}}}}},
                {{"name", "cold"}, {"count", 1}}})}}}};
    Value stored = original_;
    stored["metadata"]["generation"] = 1;
    stored["status"] = {{"phase", "Ready"}, {"observedGeneration", 1}};
    kube_.Put(Kind::Elasticsearch(), "obs", stored);
    kube_.Put(
        Kind::Secret(), "obs",
        {{"metadata",
          {{"name", "logs-es-transport-certs-public"}, {"labels", {{kClusterNameLabel, "logs"}}}}},
         {"data", {{"ca.crt", http::Base64Encode(own_ca_ + peer_ca_)}}}});

    EckProviderOptions options;
    options.kube_factory = [this](const KubeConfig&, Clock&) {
      return std::make_unique<Forward>(&kube_);
    };
    options.ready_timeout = std::chrono::milliseconds(2000);
    options.poll_interval = std::chrono::milliseconds(50);
    provider_ = NewEckProvider(options);
    fs_ = NewPosixFileSystem();
    ConfigureRequest req;
    req.topology = &topo_;
    req.clock = &clock_;
    req.fs = fs_.get();
    ASSERT_TRUE(provider_->Configure(req).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Value Es() { return kube_.Object(Kind::Elasticsearch(), "obs", "logs"); }

  graph::ResourceSpec Spec(const std::string& type, const std::string& address, Value extra) {
    Value attrs = {{"namespace", "obs"}, {"name", "logs"}};
    attrs.update(extra);
    graph::ResourceSpec s = MakeSpec(type, address, "logs", attrs);
    s.environment = "k8s";
    return s;
  }

  LiveObject ReadOne(const graph::ResourceSpec& s) {
    ReadResponse r = ReadSpecs(*provider_, "logs", {&s});
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return r.objects[s.address];
  }

  std::filesystem::path dir_;
  topology::Topology topo_;
  FakeKube kube_;
  FakeClock clock_;
  std::unique_ptr<FileSystem> fs_;
  std::unique_ptr<EckProvider> provider_;
  Value original_;
  std::string own_ca_ = MakeCaPem("logs-transport");
  std::string peer_ca_ = MakeCaPem("peer-transport");
};

TEST_F(EckProviderTest, ClientTlsMergesIntoEveryNodeSetAndDeleteRemovesExactlyItsOwn) {
  auto spec = Spec("eck_remote_client_tls", "eck_remote_client_tls.logs",
                   {{"config_map", "logs-crosslink-remote-ca"},
                    {"certificate_authorities", Value::array({Value::array({peer_ca_})})}});
  ApplyResponse created = provider_->Create(CreateRequest(spec));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  ASSERT_FALSE(created.diagnostics.has_errors()) << created.diagnostics.ToString();

  const Value es = Es();
  for (const Value& set : es["spec"]["nodeSets"]) {
    EXPECT_EQ(set["config"][std::string("xpack.security.remote_cluster_client.ssl.enabled")], true);
    EXPECT_EQ(set["config"]["xpack.security.remote_cluster_client.ssl.certificate_authorities"][0],
              "/usr/share/elasticsearch/config/crosslink-remote-ca/ca.crt");
  }
  const Value& hot = es["spec"]["nodeSets"][0];
  EXPECT_EQ(hot["config"]["node.roles"], Value::array({"data_hot"}));  // the user's, untouched
  EXPECT_EQ(hot["podTemplate"]["spec"]["volumes"].size(), 2u);
  EXPECT_EQ(hot["podTemplate"]["spec"]["containers"][0]["env"][0]["value"], "-Xms2g");
  EXPECT_EQ(hot["podTemplate"]["spec"]["containers"][0]["volumeMounts"].size(), 2u);
  Value cm = kube_.Object(Kind::ConfigMap(), "obs", "logs-crosslink-remote-ca");
  EXPECT_EQ(cm["metadata"]["labels"][kManagedByLabel], "crosslink");
  EXPECT_FALSE(cm["metadata"].contains("ownerReferences"));
  EXPECT_EQ(cm["metadata"]["annotations"][kAnnAddress], "eck_remote_client_tls.logs");
  EXPECT_EQ(FlattenPems(cm["data"]["ca.crt"]), FlattenPems(peer_ca_));

  LiveObject live = ReadOne(spec);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(PlanAgainst(*provider_, spec, live).action, ChangeAction::kNoOp);

  // A nodeSet added by the user later is drift: the plan updates.
  Value changed = Es();
  changed["spec"]["nodeSets"].push_back({{"name", "warm"}, {"count", 1}});
  kube_.Put(Kind::Elasticsearch(), "obs", changed);
  LiveObject drifted = ReadOne(spec);
  PlanResponse plan = PlanAgainst(*provider_, spec, drifted);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_TRUE(plan.restarts_cluster);
  ASSERT_TRUE(provider_->Update(CreateRequest(spec)).status.ok());
  EXPECT_EQ(PlanAgainst(*provider_, spec, ReadOne(spec)).action, ChangeAction::kNoOp);
  changed = Es();
  changed["spec"]["nodeSets"].erase(2);
  kube_.Put(Kind::Elasticsearch(), "obs", changed);

  state::ResourceState prior = StateOf(spec, live);
  ApplyResponse deleted = provider_->Delete(DeleteRequest(prior));
  ASSERT_TRUE(deleted.status.ok()) << deleted.status.ToString();
  EXPECT_EQ(Es()["spec"], original_["spec"]) << Es()["spec"].dump(1);
  EXPECT_EQ(Es()["metadata"]["annotations"], original_["metadata"]["annotations"]);
  EXPECT_EQ(kube_.Count(Kind::ConfigMap()), 0u);
}

TEST_F(EckProviderTest, ForeignValuesAreRefusedAndNeverOverwritten) {
  Value es = Es();
  es["spec"]["transport"] = {
      {"tls", {{"certificateAuthorities", {{"configMapName", "user-cas"}}}}}};
  es["spec"]["remoteClusters"] =
      Value::array({{{"name", "west"}, {"elasticsearchRef", {{"name", "w"}}}}});
  kube_.Put(Kind::Elasticsearch(), "obs", es);
  kube_.Put(Kind::Secret(), "obs",
            {{"metadata", {{"name", "logs-crosslink-remote-east"}}}, {"data", Value::object()}});
  const Value before = Es();

  auto trust = Spec("eck_transport_trust", "eck_transport_trust.logs",
                    {{"config_map", "logs-crosslink-transport-ca"},
                     {"certificate_authorities", Value::array({Value::array({peer_ca_})})}});
  ApplyResponse r = provider_->Create(CreateRequest(trust));
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("user-cas"), std::string::npos) << r.status.message();
  LiveObject live = ReadOne(trust);
  EXPECT_FALSE(live.exists);

  auto same = Spec("eck_same_operator_remote", "eck_same_operator_remote.logs.west",
                   {{"alias", "west"}, {"remote", {{"namespace", "ns2"}, {"name", "w"}}}});
  r = provider_->Create(CreateRequest(same));
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("did not make"), std::string::npos) << r.status.message();
  live = ReadOne(same);
  EXPECT_TRUE(live.exists);
  EXPECT_FALSE(live.managed_by_crosslink);  // the planner reports it as someone else's

  auto cred = Spec("eck_remote_credential", "eck_remote_credential.logs.east",
                   {{"secret_name", "logs-crosslink-remote-east"},
                    {"setting", "cluster.remote.east.credentials"},
                    {"key_id", "k1"}});
  r = provider_->Create(CreateRequest(cred, {{"credentials", Secret("encoded-key-0123456789")}}));
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("not crosslink's"), std::string::npos) << r.status.message();

  EXPECT_EQ(Es(), before);
  EXPECT_EQ(kube_.Count(Kind::ConfigMap()), 0u);
}

TEST_F(EckProviderTest, UsersOwnNodeSetSettingsAreKeptOrRefused) {
  // The same value, nested: the user's; kept on delete.
  Value es = Es();
  es["spec"]["nodeSets"][1]["config"] = {
      {"xpack", {{"security", {{"remote_cluster_client", {{"ssl", {{"enabled", "true"}}}}}}}}}};
  kube_.Put(Kind::Elasticsearch(), "obs", es);
  const Value user_spec = Es()["spec"];
  auto spec = Spec(
      "eck_remote_client_tls", "eck_remote_client_tls.logs",
      {{"config_map", "logs-crosslink-remote-ca"}, {"certificate_authorities", Value::array()}});
  ASSERT_TRUE(provider_->Create(CreateRequest(spec)).status.ok());
  EXPECT_FALSE(Es()["spec"]["nodeSets"][1]["config"].contains(
      "xpack.security.remote_cluster_client.ssl.enabled"));
  LiveObject live = ReadOne(spec);
  EXPECT_EQ(PlanAgainst(*provider_, spec, live).action, ChangeAction::kNoOp) << live.outputs.dump();
  ASSERT_TRUE(provider_->Delete(DeleteRequest(StateOf(spec, live))).status.ok());
  EXPECT_EQ(Es()["spec"], user_spec);

  // A different value: refused, nothing written.
  es = Es();
  es["spec"]["nodeSets"][0]["config"]
    ["xpack.security.remote_cluster_client.ssl.certificate_authorities"] =
        Value::array({"/mine/ca.crt"});
  kube_.Put(Kind::Elasticsearch(), "obs", es);
  const Value before = Es();
  auto with_ca = Spec("eck_remote_client_tls", "eck_remote_client_tls.logs",
                      {{"config_map", "logs-crosslink-remote-ca"},
                       {"certificate_authorities", Value::array({Value::array({peer_ca_})})}});
  ApplyResponse r = provider_->Create(CreateRequest(with_ca));
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(
      r.status.message().find("spec.nodeSets[hot].config.xpack.security.remote_cluster_client.ssl."
                              "certificate_authorities"),
      std::string::npos)
      << r.status.message();
  EXPECT_EQ(Es(), before);
  EXPECT_EQ(kube_.Count(Kind::ConfigMap()), 0u);
}

TEST_F(EckProviderTest, PreexistingRemoteClusterServerIsAdoptedAndNeverDisabled) {
  Value es = Es();
  es["spec"]["remoteClusterServer"] = {{"enabled", true}};
  kube_.Put(Kind::Elasticsearch(), "obs", es);
  auto spec =
      Spec("eck_remote_cluster_server", "eck_remote_cluster_server.logs", {{"enabled", true}});
  LiveObject live = ReadOne(spec);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(live.outputs["preexisting"], true);
  EXPECT_EQ(PlanAgainst(*provider_, spec, live).action, ChangeAction::kNoOp);

  state::ResourceState prior = StateOf(spec, live);
  PlanRequest del;
  del.prior = &prior;
  del.live = &live;
  PlanResponse plan = provider_->Plan(del);
  EXPECT_EQ(plan.action, ChangeAction::kDelete);
  EXPECT_FALSE(plan.restarts_cluster);
  ASSERT_TRUE(provider_->Delete(DeleteRequest(prior)).status.ok());
  EXPECT_EQ(Es()["spec"]["remoteClusterServer"]["enabled"], true);
}

TEST_F(EckProviderTest, EnablesAndDisablesItsOwnRemoteClusterServer) {
  auto spec =
      Spec("eck_remote_cluster_server", "eck_remote_cluster_server.logs", {{"enabled", true}});
  ASSERT_TRUE(provider_->Create(CreateRequest(spec)).status.ok());
  EXPECT_EQ(Es()["spec"]["remoteClusterServer"]["enabled"], true);
  EXPECT_EQ(Es()["metadata"]["annotations"][kAnnRcs], "enabled");
  LiveObject live = ReadOne(spec);
  EXPECT_EQ(live.outputs["preexisting"], false);
  state::ResourceState prior = StateOf(spec, live);
  PlanRequest del;
  del.prior = &prior;
  del.live = &live;
  EXPECT_TRUE(provider_->Plan(del).restarts_cluster);
  ASSERT_TRUE(provider_->Delete(DeleteRequest(prior)).status.ok());
  EXPECT_EQ(Es()["spec"], original_["spec"]);
}

TEST_F(EckProviderTest, GroupOfRestartingChangesIsOneElasticsearchUpdate) {
  auto rcs =
      Spec("eck_remote_cluster_server", "eck_remote_cluster_server.logs", {{"enabled", true}});
  auto tls = Spec(
      "eck_remote_client_tls", "eck_remote_client_tls.logs",
      {{"config_map", "logs-crosslink-remote-ca"}, {"certificate_authorities", Value::array()}});
  auto cred = Spec("eck_remote_credential", "eck_remote_credential.logs.east",
                   {{"secret_name", "logs-crosslink-remote-east"},
                    {"setting", "cluster.remote.east.credentials"},
                    {"key_id", "k1"}});
  kube_.conflicts_left = 1;  // someone else writes meanwhile: re-applied
  std::vector<GroupChange> group = {
      {ChangeAction::kCreate, rcs.address, CreateRequest(rcs)},
      {ChangeAction::kCreate, tls.address, CreateRequest(tls)},
      {ChangeAction::kCreate, cred.address,
       CreateRequest(cred, {{"credentials", Secret("encoded-key-0123456789")}})}};
  std::vector<ApplyResponse> out = provider_->ApplyGroup(group);
  ASSERT_EQ(out.size(), 3u);
  for (const ApplyResponse& r : out) EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(kube_.es_writes, 1);
  const Value es = Es();
  EXPECT_EQ(es["spec"]["secureSettings"],
            Value::array({{{"secretName", "logs-crosslink-remote-east"}}}));
  EXPECT_FALSE(es["spec"]["nodeSets"][0]["config"].contains(
      "xpack.security.remote_cluster_client.ssl.certificate_authorities"));  // no private CA
  EXPECT_FALSE(es["spec"]["nodeSets"][0]["podTemplate"]["metadata"]["annotations"][kAnnInputsHash]
                   .get<std::string>()
                   .empty());
  EXPECT_EQ(out[2].result.outputs["key_id"], "k1");

  // A second group deleting all three: again one update, and the spec is back.
  std::vector<state::ResourceState> priors = {
      StateOf(rcs, out[0].result), StateOf(tls, out[1].result), StateOf(cred, out[2].result)};
  std::vector<GroupChange> undo;
  for (const auto& p : priors) undo.push_back({ChangeAction::kDelete, p.address, DeleteRequest(p)});
  for (const ApplyResponse& r : provider_->ApplyGroup(undo))
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(kube_.es_writes, 2);
  EXPECT_EQ(Es()["spec"], original_["spec"]) << Es()["spec"].dump(1);
  EXPECT_EQ(kube_.Count(Kind::ConfigMap()), 0u);
  EXPECT_EQ(kube_.Count(Kind::Secret()), 1u);  // ECK's transport CA only
}

TEST_F(EckProviderTest, CredentialDriftAndNoSecretAnywhere) {
  const std::string key = "c2VjcmV0LWNyb3NzLWNsdXN0ZXIta2V5LXZhbHVl";
  auto cred = Spec("eck_remote_credential", "eck_remote_credential.logs.east",
                   {{"secret_name", "logs-crosslink-remote-east"},
                    {"setting", "cluster.remote.east.credentials"},
                    {"key_id", "k1"}});
  ApplyResponse created = provider_->Create(CreateRequest(cred, {{"credentials", Secret(key)}}));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  EXPECT_EQ(Everything(created).find(key), std::string::npos);
  Value secret = kube_.Object(Kind::Secret(), "obs", "logs-crosslink-remote-east");
  EXPECT_EQ(SecretValue(secret, "cluster.remote.east.credentials"), key);
  EXPECT_EQ(secret["metadata"]["annotations"][kAnnKeyId], "k1");

  ReadResponse read = ReadSpecs(*provider_, "logs", {&cred});
  EXPECT_EQ(Everything(read).find(key), std::string::npos);
  EXPECT_TRUE(read.objects[cred.address].exists);
  EXPECT_EQ(read.objects[cred.address].attributes["key_id"], "k1");
  EXPECT_EQ(PlanAgainst(*provider_, cred, read.objects[cred.address]).action, ChangeAction::kNoOp);

  // A new key id (re-created key) is an update that restarts.
  auto rotated = cred;
  rotated.attributes["key_id"] = "k2";
  PlanResponse plan = PlanAgainst(*provider_, rotated, read.objects[cred.address]);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_TRUE(plan.restarts_cluster);

  ASSERT_TRUE(kube_.Delete(Kind::Secret(), "obs", "logs-crosslink-remote-east").ok());
  EXPECT_FALSE(ReadOne(cred).exists);  // drift: re-created by the next apply
}

TEST_F(EckProviderTest, OrphansAreCrosslinkObjectsNoItemNamed) {
  Value leftover = {
      {"metadata",
       {{"name", "logs-crosslink-remote-old"},
        {"labels", {{kManagedByLabel, "crosslink"}, {kClusterNameLabel, "logs"}}},
        {"annotations", {{kAnnAddress, "eck_remote_credential.logs.old"}, {kAnnKeyId, "k0"}}}}},
      {"data", {{"cluster.remote.old.credentials", http::Base64Encode("xyz-secret-value")}}}};
  kube_.Put(Kind::Secret(), "obs", leftover);
  ReadRequest req;
  req.cluster = "logs";
  ReadResponse read = provider_->Read(req);
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  ASSERT_EQ(read.orphans.size(), 1u);
  const Orphan& o = read.orphans[0];
  EXPECT_EQ(o.address, "eck_remote_credential.logs.old");
  EXPECT_EQ(o.type, "eck_remote_credential");
  EXPECT_TRUE(o.live.managed_by_crosslink);
  EXPECT_EQ(Everything(read).find("xyz-secret-value"), std::string::npos);

  state::ResourceState prior;
  prior.address = o.address;
  prior.cluster = "logs";
  prior.attributes = o.live.attributes;
  ASSERT_TRUE(provider_->Delete(DeleteRequest(prior)).status.ok());
  EXPECT_EQ(kube_.Count(Kind::Secret()), 1u);
  EXPECT_TRUE(provider_->Read(req).orphans.empty());
}

TEST_F(EckProviderTest, DeletedElasticsearchResourceStillLetsCrosslinkCleanUp) {
  auto cred = Spec("eck_remote_credential", "eck_remote_credential.logs.east",
                   {{"secret_name", "logs-crosslink-remote-east"},
                    {"setting", "cluster.remote.east.credentials"},
                    {"key_id", "k1"}});
  ApplyResponse created =
      provider_->Create(CreateRequest(cred, {{"credentials", Secret("k-0123456789")}}));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  state::ResourceState prior = StateOf(cred, created.result);
  ASSERT_TRUE(kube_.Delete(Kind::Elasticsearch(), "obs", "logs").ok());

  // Desired: the cluster must exist.
  ReadResponse desired = ReadSpecs(*provider_, "logs", {&cred});
  EXPECT_EQ(desired.status.code(), StatusCode::kNotFound);
  // Only in state (destroy): absent, and Delete removes the Secret left behind.
  ReadRequest req;
  req.cluster = "logs";
  req.items.push_back({prior.address, prior.type, nullptr, &prior});
  ReadResponse gone = provider_->Read(req);
  ASSERT_TRUE(gone.status.ok()) << gone.status.ToString();
  EXPECT_FALSE(gone.objects[prior.address].exists);
  ASSERT_TRUE(provider_->Delete(DeleteRequest(prior)).status.ok());
  EXPECT_EQ(kube_.Count(Kind::Secret()), 1u);
}

TEST_F(EckProviderTest, EndpointFromKubernetesObjectsOrTheTopology) {
  kube_.Put(Kind::Service(), "obs",
            {{"metadata", {{"name", "logs-es-http"}}},
             {"spec", {{"type", "LoadBalancer"}, {"ports", Value::array({{{"port", 9200}}})}}},
             {"status", {{"loadBalancer", {{"ingress", Value::array({{{"ip", "10.1.2.3"}}})}}}}}});
  kube_.Put(Kind::Secret(), "obs",
            {{"metadata", {{"name", "logs-es-elastic-user"}}},
             {"data", {{"elastic", http::Base64Encode("pw-from-the-operator")}}}});
  kube_.Put(Kind::Secret(), "obs",
            {{"metadata", {{"name", "logs-es-http-certs-public"}}},
             {"data", {{"ca.crt", http::Base64Encode(own_ca_)}}}});
  auto ep = provider_->endpoints()->Resolve(topo_.clusters["logs"]);
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->url, "https://logs-es-http.obs.svc:9200");
  EXPECT_EQ(ep->options.resolve, std::vector<std::string>{"logs-es-http.obs.svc:9200:10.1.2.3"});
  EXPECT_EQ(ep->options.ca_pem, own_ca_);
  EXPECT_FALSE(ep->options.trust_system_cas);
  EXPECT_EQ(ep->username, "elastic");
  EXPECT_EQ(ep->password.expose(), "pw-from-the-operator");
  EXPECT_EQ(ep->description.find("pw-from-the-operator"), std::string::npos);
  EXPECT_NE(ep->description.find("logs-es-elastic-user"), std::string::npos) << ep->description;

  // The topology's credentials and CA win; a LoadBalancer hostname is the URL.
  std::ofstream(dir_ / "ca.pem") << peer_ca_;
  topo_.clusters["logs"].ca_file = "ca.pem";
  topo_.clusters["logs"].credentials.username = "admin";
  topo_.clusters["logs"].credentials.password.kind = topology::SecretRef::Kind::kEnv;
  topo_.clusters["logs"].credentials.password.name = "ECK_TEST_PW";
  ::setenv("ECK_TEST_PW", "pw-from-the-environment", 1);
  Value svc = kube_.Object(Kind::Service(), "obs", "logs-es-http");
  svc["status"]["loadBalancer"]["ingress"] = Value::array({{{"hostname", "es.example.com"}}});
  kube_.Put(Kind::Service(), "obs", svc);
  auto fresh = NewEckProvider(
      {[this](const KubeConfig&, Clock&) { return std::make_unique<Forward>(&kube_); }});
  ConfigureRequest req;
  req.topology = &topo_;
  req.clock = &clock_;
  req.fs = fs_.get();
  ASSERT_TRUE(fresh->Configure(req).ok());
  ep = fresh->endpoints()->Resolve(topo_.clusters["logs"]);
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->url, "https://es.example.com:9200");
  EXPECT_TRUE(ep->options.resolve.empty());
  EXPECT_EQ(ep->options.ca_pem, peer_ca_);
  EXPECT_EQ(ep->username, "admin");
  EXPECT_EQ(ep->password.expose(), "pw-from-the-environment");
  ::unsetenv("ECK_TEST_PW");
}

TEST_F(EckProviderTest, ReadIsBatchedPerCluster) {
  auto a = Spec("eck_remote_cluster_server", "eck_remote_cluster_server.logs", {{"enabled", true}});
  auto b = Spec("eck_transport_ca", "eck_transport_ca.logs",
                {{"secret", "logs-es-transport-certs-public"}});
  auto c = Spec("eck_remote_client_tls", "eck_remote_client_tls.logs", {{"config_map", "x"}});
  auto d = Spec("eck_same_operator_remote", "eck_same_operator_remote.logs.a", {{"alias", "a"}});
  kube_.lists = 0;
  ReadResponse r = ReadSpecs(*provider_, "logs", {&a, &b, &c, &d});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(kube_.lists, 3);  // Secrets, ConfigMaps, Services: once each
  EXPECT_EQ(r.objects.size(), 4u);
}

TEST_F(EckProviderTest, TransportCaIsTheOperatorsOwnCaOnly) {
  auto spec = Spec("eck_transport_ca", "eck_transport_ca.logs",
                   {{"secret", "logs-es-transport-certs-public"}});
  LiveObject live = ReadOne(spec);
  ASSERT_TRUE(live.exists);
  ASSERT_EQ(live.outputs["ca_pems"].size(), 1u);
  EXPECT_EQ(FlattenPems(live.outputs["ca_pems"]), FlattenPems(own_ca_));
  EXPECT_EQ(live.outputs["fingerprint"], pki::InspectCertificate(own_ca_)->sha256_fingerprint);
}

TEST_F(EckProviderTest, CaListsCompareAsSetsOfCertificates) {
  std::string messy = peer_ca_;
  for (size_t pos = 0; (pos = messy.find('\n', pos)) != std::string::npos; pos += 3)
    messy.replace(pos, 1, " \r\n");
  auto spec = Spec("eck_remote_client_tls", "eck_remote_client_tls.logs",
                   {{"config_map", "m"},
                    {"certificate_authorities",
                     Value::array({Value::array({peer_ca_, own_ca_}), Value::array({own_ca_})})}});
  LiveObject live;
  live.exists = true;
  live.managed_by_crosslink = true;
  live.attributes = {{"namespace", "obs"},
                     {"name", "logs"},
                     {"config_map", "m"},
                     {"certificate_authorities", Value::array({own_ca_, messy})}};
  EXPECT_EQ(PlanAgainst(*provider_, spec, live).action, ChangeAction::kNoOp);
  live.attributes["certificate_authorities"] = Value::array({own_ca_});
  EXPECT_EQ(PlanAgainst(*provider_, spec, live).action, ChangeAction::kUpdate);
}

TEST_F(EckProviderTest, SameOperatorAccessInEcksShape) {
  Value access = {
      {"search", Value::array({{{"names", {"logs-*"}}, {"allow_restricted_indices", false}},
                               {{"names", {"metrics-*"}}, {"allow_restricted_indices", false}}})},
      {"replication",
       Value::array({{{"names", {"orders"}}, {"allow_restricted_indices", false}}})}};
  auto eck = ToEckAccess(access);
  ASSERT_TRUE(eck.ok()) << eck.status().ToString();
  EXPECT_EQ((*eck)["search"]["names"], Value::array({"logs-*", "metrics-*"}));
  EXPECT_EQ((*eck)["replication"], Value({{"names", {"orders"}}}));
  access["search"][1]["allow_restricted_indices"] = true;
  EXPECT_FALSE(ToEckAccess(access).ok());

  Value search = Value::array({{{"names", {"a"}}, {"allow_restricted_indices", false}},
                               {{"names", {"b"}}, {"allow_restricted_indices", false}}});
  Value key = {{"access", {{"search", search}}}};
  auto spec = Spec(
      "eck_same_operator_remote", "eck_same_operator_remote.logs.west",
      {{"alias", "west"}, {"remote", {{"namespace", "ns2"}, {"name", "w"}}}, {"api_key", key}});
  ApplyResponse r = provider_->Create(CreateRequest(spec));
  // No operator here to store the key: the wait times out, naming the Secret.
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status.message().find("logs-es-secure-settings"), std::string::npos)
      << r.status.message();
  const Value entry = Es()["spec"]["remoteClusters"][0];
  EXPECT_EQ(entry["elasticsearchRef"], Value({{"name", "w"}, {"namespace", "ns2"}}));
  LiveObject live = ReadOne(spec);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(PlanAgainst(*provider_, spec, live).action, ChangeAction::kNoOp);
}

TEST_F(EckProviderTest, MissingResourceAndBadKubeconfigAreClearErrors) {
  topo_.clusters["logs"].es_name = "nope";
  auto spec = MakeSpec("eck_remote_cluster_server", "eck_remote_cluster_server.logs", "logs",
                       {{"enabled", true}});
  ReadResponse r = ReadSpecs(*provider_, "logs", {&spec});
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_NE(r.status.message().find("obs/nope"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("`namespace`/`name`"), std::string::npos);
  EXPECT_NE(r.status.message().find("k8s"), std::string::npos);

  topo_.environments["k8s"].context = "missing-context";
  EckProviderOptions options;
  options.kube_factory = [this](const KubeConfig&, Clock&) {
    return std::make_unique<Forward>(&kube_);
  };
  auto fresh = NewEckProvider(options);
  ConfigureRequest req;
  req.topology = &topo_;
  req.clock = &clock_;
  req.fs = fs_.get();
  ASSERT_TRUE(fresh->Configure(req).ok());
  r = ReadSpecs(*fresh, "logs", {&spec});
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("missing-context"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("environment \"k8s\""), std::string::npos)
      << r.status.message();
}

TEST_F(EckProviderTest, MalformedObjectsAreErrorsNotExceptions) {
  // Access in a shape nlohmann would throw on.
  EXPECT_FALSE(ToEckAccess({{"search", Value::array({"logs-*"})}}).ok());
  EXPECT_FALSE(ToEckAccess({{"search", Value::array({{{"names", {"a"}}, {"field_security", 1}}})}})
                   .ok());
  EXPECT_FALSE(ToEckAccess({{"replication", Value::array({1})}}).ok());

  // A nodeSets entry that is not an object, a port that is not one.
  Value es = Es();
  es["spec"]["nodeSets"].push_back("junk");
  kube_.Put(Kind::Elasticsearch(), "obs", es);
  auto tls = Spec("eck_remote_client_tls", "eck_remote_client_tls.logs",
                  {{"config_map", "logs-crosslink-remote-ca"},
                   {"certificate_authorities", Value::array({peer_ca_})}});
  ApplyResponse r = provider_->Create(CreateRequest(tls));
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition) << r.status.ToString();
  EXPECT_NE(r.status.message().find("spec.nodeSets"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("Elasticsearch obs/logs"), std::string::npos)
      << r.status.message();
  EXPECT_EQ(Es()["spec"], es["spec"]);
  auto svc = Spec("eck_remote_cluster_service", "eck_remote_cluster_service.logs",
                  {{"type", "LoadBalancer"}, {"port", "9443"}});
  EXPECT_EQ(PlanAgainst(*provider_, svc, ReadOne(svc)).action, ChangeAction::kCreate);

  // A Service whose ports / ingress entries are not objects.
  kube_.Put(Kind::Service(), "obs",
            {{"metadata", {{"name", "logs-es-http"}}},
             {"spec", {{"ports", Value::array({"9200"})}}},
             {"status", {{"loadBalancer", {{"ingress", Value::array({"10.1.2.3"})}}}}}});
  kube_.Put(Kind::Secret(), "obs",
            {{"metadata", {{"name", "logs-es-elastic-user"}}},
             {"data", {{"elastic", http::Base64Encode("pw")}}}});
  auto ep = provider_->endpoints()->Resolve(topo_.clusters["logs"]);
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->url, "https://logs-es-http.obs.svc:9200");
}

TEST_F(EckProviderTest, RemovingAnEntryCrosslinkDidNotWriteDoesNotWaitForTheOperator) {
  Value es = Es();
  es["spec"]["remoteClusters"] = Value::array(
      {{{"name", "west"},
        {"elasticsearchRef", {{"name", "w"}, {"namespace", "obs"}}},
        {"apiKey", {{"access", {{"search", {{"names", {"a"}}}}}}}}}});
  kube_.Put(Kind::Elasticsearch(), "obs", es);
  auto spec = Spec("eck_same_operator_remote", "eck_same_operator_remote.logs.west",
                   {{"alias", "west"},
                    {"remote", {{"name", "w"}}},
                    {"api_key", {{"access", {{"search", Value::array({{{"names", {"a"}}}})}}}}}});
  state::ResourceState prior = StateOf(spec, LiveObject{});
  ApplyResponse r = provider_->Delete(DeleteRequest(prior));
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();  // no 2 s wait for the keystore
  EXPECT_EQ(Es()["spec"]["remoteClusters"], es["spec"]["remoteClusters"]);
}

TEST_F(EckProviderTest, AnObjectOfAnotherCrosslinkResourceIsNeverTakenOver) {
  auto tls = Spec("eck_remote_client_tls", "eck_remote_client_tls.logs",
                  {{"config_map", "logs-crosslink-shared"},
                   {"certificate_authorities", Value::array({peer_ca_})}});
  ASSERT_TRUE(provider_->Create(CreateRequest(tls)).status.ok());
  auto trust = Spec("eck_transport_trust", "eck_transport_trust.logs",
                    {{"config_map", "logs-crosslink-shared"},
                     {"certificate_authorities", Value::array({own_ca_})}});
  ApplyResponse r = provider_->Create(CreateRequest(trust));
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status.message().find("eck_remote_client_tls.logs"), std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("environment \"k8s\""), std::string::npos)
      << r.status.message();
  Value cm = kube_.Object(Kind::ConfigMap(), "obs", "logs-crosslink-shared");
  EXPECT_EQ(FlattenPems(cm["data"]["ca.crt"]), FlattenPems(peer_ca_));
}

TEST_F(EckProviderTest, AnInputThePodsDoNotRunWithIsDrift) {
  auto cred = Spec("eck_remote_credential", "eck_remote_credential.logs.east",
                   {{"secret_name", "logs-crosslink-remote-east"},
                    {"setting", "cluster.remote.east.credentials"},
                    {"key_id", "k1"}});
  ASSERT_TRUE(provider_->Create(CreateRequest(cred, {{"credentials", Secret("a2V5LTE=")}}))
                  .status.ok());
  EXPECT_EQ(PlanAgainst(*provider_, cred, ReadOne(cred)).action, ChangeAction::kNoOp);
  // An earlier apply wrote the Secret but not the Elasticsearch resource.
  Value secret = kube_.Object(Kind::Secret(), "obs", "logs-crosslink-remote-east");
  secret["data"]["cluster.remote.east.credentials"] = http::Base64Encode("a2V5LTI=");
  kube_.Put(Kind::Secret(), "obs", secret);
  LiveObject live = ReadOne(cred);
  PlanResponse plan = PlanAgainst(*provider_, cred, live);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_TRUE(plan.restarts_cluster);
  EXPECT_EQ(Everything(ReadSpecs(*provider_, "logs", {&cred})).find("a2V5LTI="),
            std::string::npos);
  const int writes = kube_.es_writes;
  ApplyResponse r = provider_->Update(CreateRequest(cred, {{"credentials", Secret("a2V5LTI=")}}));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(kube_.es_writes, writes + 1);
  EXPECT_EQ(PlanAgainst(*provider_, cred, ReadOne(cred)).action, ChangeAction::kNoOp);
}

TEST_F(EckProviderTest, RenamedTransportTrustIsAnUpdateThatRemovesTheOldConfigMap) {
  auto before = Spec("eck_transport_trust", "eck_transport_trust.logs",
                     {{"config_map", "logs-crosslink-a"},
                      {"certificate_authorities", Value::array({peer_ca_})}});
  ApplyResponse created = provider_->Create(CreateRequest(before));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  auto after = before;
  after.attributes["config_map"] = "logs-crosslink-b";
  ReadResponse read = ReadSpecs(*provider_, "logs", {&after});
  EXPECT_FALSE(read.diagnostics.has_errors()) << read.diagnostics.ToString();
  EXPECT_EQ(PlanAgainst(*provider_, after, read.objects[after.address]).action,
            ChangeAction::kUpdate);
  state::ResourceState prior = StateOf(before, created.result);
  ApplyRequest update = CreateRequest(after);
  update.prior = &prior;
  ApplyResponse r = provider_->Update(update);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Es()["spec"]["transport"]["tls"]["certificateAuthorities"]["configMapName"],
            "logs-crosslink-b");
  EXPECT_TRUE(kube_.Object(Kind::ConfigMap(), "obs", "logs-crosslink-a").is_null());
  EXPECT_EQ(PlanAgainst(*provider_, after, ReadOne(after)).action, ChangeAction::kNoOp);
}

}  // namespace
}  // namespace crosslink::providers::eck
