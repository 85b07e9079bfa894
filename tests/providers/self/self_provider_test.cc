// The self provider (providers/self/self_provider.h) against fake nodes that
// record every NodeChange and a fake HTTP client for the cluster's REST API:
// each resource type created, read back as a no-op, updated and deleted;
// drift; restart groups (one NodeChange per node, rolling order, a wait for
// the REST API after each restart, a failing node stopping the group);
// restart reasons; reloads; and no secret in any response.

#include "providers/self/self_provider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/http.h"
#include "engine/graph/resource.h"
#include "providers/self/self_resources.h"
#include "state/state.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::providers::self {
namespace {

const char* kCaA = "-----BEGIN CERTIFICATE-----\nQUFBQQ==\n-----END CERTIFICATE-----\n";
const char* kCaB = "-----BEGIN CERTIFICATE-----\nQkJCQg==\n-----END CERTIFICATE-----\n";
const char* kOwnCa = "-----BEGIN CERTIFICATE-----\nT1dOT1dO\n-----END CERTIFICATE-----\n";

// Secret values: none may show up in any response.
const char* kP12 = "PKCS12-SECRET-BYTES-0001";
const char* kKsPassword = "ks-password-secret-0002";
const char* kCredentials = "encoded-api-key-secret-0003";
const char* kEsPassword = "es-password-secret-0004";
const char* kKeystoreEnvPassword = "keystore-env-secret-0005";

// ------------------------------------------------------------ fakes

// What a fake node holds, kept by the test (the provider owns the Node).
struct NodeState {
  std::string name;
  bool bundle = false;
  bool has_restart = true;
  ManagedSettings block;
  bool block_present = false;
  bool hand_edited = false;
  std::map<std::string, std::string> files;  // name -> sha256
  std::set<std::string> keystore;
  std::vector<std::string> taken_over;
  TransportTls tls;
  Status tls_status;
  Status apply_error;
  std::vector<NodeChange> changes;
  std::vector<std::string>* events = nullptr;
};

class FakeNode : public Node {
 public:
  explicit FakeNode(NodeState* s) : s_(s) {}
  const std::string& name() const override { return s_->name; }
  std::string Describe() const override {
    return "node " + s_->name + (s_->bundle ? " (bundle /b/" : " (local /es/") + s_->name + ")";
  }
  Result<NodeReadback> Read() override {
    NodeReadback rb;
    rb.config_exists = true;
    if (s_->block_present) {
      ManagedBlock b;
      b.settings = s_->block;
      b.recorded_checksum = "abc";
      b.actual_checksum = s_->hand_edited ? "def" : "abc";
      rb.block = b;
      if (s_->hand_edited)
        rb.drift = "elasticsearch.yml:10-14: the managed block was edited by hand";
    }
    rb.files = s_->files;
    rb.keystore_names.assign(s_->keystore.begin(), s_->keystore.end());
    rb.taken_over = s_->taken_over;
    return rb;
  }
  Result<NodeApplyResult> Apply(const NodeChange& c) override {
    s_->events->push_back("apply " + s_->name + (c.restart ? " restart" : ""));
    if (!s_->apply_error.ok()) return s_->apply_error;
    s_->changes.push_back(c);
    if (c.settings) s_->block = *c.settings;
    for (const auto& [k, v] : c.set_settings) s_->block[k] = v;
    for (const std::string& k : c.unset_settings) s_->block.erase(k);
    s_->block_present = !s_->block.empty();
    s_->hand_edited = false;
    for (const NodeFile& f : c.write_files) s_->files[f.name] = Sha256Hex(f.bytes());
    for (const std::string& f : c.remove_files) s_->files.erase(f);
    for (const auto& [k, v] : c.keystore_add) s_->keystore.insert(k);
    for (const std::string& k : c.keystore_remove) s_->keystore.erase(k);
    if (c.take_over) s_->taken_over = *c.take_over;
    NodeApplyResult r;
    if (c.restart) {
      if (s_->bundle || !s_->has_restart) {
        r.restart = RestartOutcome::kUserRequired;
        r.note = s_->bundle ? "restart required (bundle: yours)" : "restart required: no command";
      } else {
        r.restart = RestartOutcome::kDone;
      }
    }
    return r;
  }
  Result<TransportTls> ReadTransportTls() override {
    if (!s_->tls_status.ok()) return s_->tls_status;
    return s_->tls;
  }

 private:
  NodeState* s_;
};

// Answers the REST API from a function; records "METHOD /path body".
class FakeHttp : public http::HttpClient {
 public:
  using Handler = std::function<Result<http::Response>(const http::Request&)>;
  FakeHttp(Handler* h, std::vector<std::string>* events) : h_(h), events_(events) {}
  Result<http::Response> Send(const http::Request& r) override {
    std::string path = r.url.substr(r.url.find('/', 8));
    events_->push_back(r.method + " " + path + (r.body.empty() ? "" : " " + r.body));
    return (*h_)(r);
  }

 private:
  Handler* h_;
  std::vector<std::string>* events_;
};

http::Response Json(long status, const std::string& body) {
  http::Response r;
  r.status = status;
  r.body = body;
  return r;
}

// ------------------------------------------------------------ fixture

class SelfProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Redactor::SetEnabledForTesting(false);
    handler_ = [](const http::Request& r) -> Result<http::Response> {
      if (r.url.find("reload_secure_settings") != std::string::npos) {
        return Json(200, R"({"_nodes":{"total":1,"successful":1,"failed":0},)"
                         R"("cluster_name":"sm","nodes":{"id1":{"name":"es1"}}})");
      }
      return Json(200, R"({"status":"green","number_of_nodes":3})");
    };
    getenv_ = [](const char*) -> const char* { return nullptr; };
  }

  void TearDown() override { Redactor::SetEnabledForTesting(true); }

  // A self-managed cluster "sm" with the given nodes (local with a restart
  // command unless said otherwise).
  void MakeCluster(const std::vector<std::string>& names) {
    topology_.file = "/topo/topology.yaml";
    topology::Cluster c;
    c.name = "sm";
    c.platform = topology::Platform::kSelf;
    c.url = "https://sm.example:9200";
    c.credentials.username = "elastic";
    c.credentials.password.kind = topology::SecretRef::Kind::kInline;
    c.credentials.password.inline_value = kEsPassword;
    for (const std::string& n : names) {
      topology::NodeDelivery d;
      d.name = n;
      auto s = std::make_unique<NodeState>();
      s->name = n;
      s->events = &events_;
      s->tls.ca_pems = {kOwnCa};
      s->tls.node_names = {n + ".node.sm.cluster.x.account"};
      s->tls.common_name = n;
      s->tls.trust_keys = {"xpack.security.transport.ssl.truststore.path"};
      nodes_[n] = std::move(s);
      d.kind = topology::NodeDelivery::Kind::kLocal;
      d.home = "es/" + n;
      d.restart = "systemctl restart es-" + n;
      c.nodes.push_back(d);
    }
    topology_.clusters["sm"] = c;
  }

  void SetBundle(const std::string& n) {
    for (auto& d : topology_.clusters["sm"].nodes) {
      if (d.name == n) {
        d.kind = topology::NodeDelivery::Kind::kBundle;
        d.bundle_dir = "bundles/" + n;
        d.home.clear();
        d.restart.clear();
      }
    }
    nodes_[n]->bundle = true;
  }
  void SetNoRestart(const std::string& n) {
    for (auto& d : topology_.clusters["sm"].nodes) {
      if (d.name == n) d.restart.clear();
    }
    nodes_[n]->has_restart = false;
  }

  Provider& provider() {
    if (!provider_) {
      SelfProviderOptions o;
      o.node_factory = [this](const topology::NodeDelivery& d,
                              NodeOptions opts) -> Result<std::unique_ptr<Node>> {
        resolved_homes_.push_back(d.kind == topology::NodeDelivery::Kind::kBundle ? d.bundle_dir
                                                                                  : d.home);
        EXPECT_EQ(opts.restart_timeout, std::chrono::milliseconds(60000));
        return std::unique_ptr<Node>(new FakeNode(nodes_.at(d.name).get()));
      };
      o.client_factory = [this](const http::ClientOptions&) {
        return std::unique_ptr<http::HttpClient>(new FakeHttp(&handler_, &events_));
      };
      o.runner = nullptr;
      o.restart_timeout = std::chrono::milliseconds(60000);
      o.poll_interval = std::chrono::milliseconds(1000);
      provider_ = NewSelfProvider(std::move(o));
      ConfigureRequest req;
      req.topology = &topology_;
      req.clock = &clock_;
      req.fs = &fs_;
      req.getenv = [this](const char* n) { return getenv_(n); };
      EXPECT_TRUE(provider_->Configure(req).ok());
    }
    return *provider_;
  }

  graph::ResourceSpec& Spec(const std::string& type, const std::string& address, Value attrs,
                            graph::ResourceMode mode = graph::ResourceMode::kManaged) {
    auto s = std::make_unique<graph::ResourceSpec>();
    s->type = type;
    s->address = address;
    s->provider = "self";
    s->cluster = "sm";
    s->mode = mode;
    s->attributes = std::move(attrs);
    specs_.push_back(std::move(s));
    return *specs_.back();
  }

  state::ResourceState& StateOf(const graph::ResourceSpec& spec, const LiveObject& result) {
    auto st = std::make_unique<state::ResourceState>();
    st->address = spec.address;
    st->type = spec.type;
    st->provider = "self";
    st->cluster = "sm";
    st->mode = spec.mode;
    st->attributes = result.attributes;
    st->outputs = result.outputs;
    states_.push_back(std::move(st));
    return *states_.back();
  }

  ApplyRequest Request(const graph::ResourceSpec* spec, const state::ResourceState* prior,
                       std::map<std::string, Secret> secrets = {}) {
    ApplyRequest r;
    r.desired = spec;
    r.prior = prior;
    r.attributes = spec ? spec->attributes : prior->attributes;
    r.secret_inputs = std::move(secrets);
    r.progress = [this](const std::string& m) { progress_.push_back(m); };
    return r;
  }

  ApplyResponse Keep(ApplyResponse r) {
    Record(r.status, r.diagnostics);
    all_values_.push_back(r.result.attributes);
    all_values_.push_back(r.result.outputs);
    return r;
  }
  void Record(const Status& s, const Diagnostics& d) {
    texts_.push_back(s.message());
    texts_.push_back(d.ToString());
  }

  ReadResponse ReadOne(const std::string& type, const std::string& address,
                       const graph::ResourceSpec* spec, const state::ResourceState* prior) {
    ReadRequest req;
    req.cluster = "sm";
    req.items.push_back({address, type, spec, prior});
    ReadResponse r = provider().Read(req);
    Record(r.status, r.diagnostics);
    for (const auto& [a, o] : r.objects) {
      all_values_.push_back(o.attributes);
      all_values_.push_back(o.outputs);
    }
    return r;
  }

  PlanResponse PlanOf(const graph::ResourceSpec* spec, const state::ResourceState* prior,
                      const LiveObject* live) {
    PlanRequest req;
    req.desired = spec;
    req.prior = prior;
    req.live = live;
    if (spec) req.attributes = spec->attributes;
    PlanResponse r = provider().Plan(req);
    texts_.push_back(r.reason);
    return r;
  }

  std::map<std::string, Secret> RcsSecrets() {
    return {{"keystore", Secret(http::Base64Encode(kP12))},
            {"keystore_password", Secret(kKsPassword)}};
  }

  Value RcsAttrs(int port = 9443) {
    return Value{{"nodes", {"es1", "es2"}},
                 {"host", "0.0.0.0"},
                 {"port", port},
                 {"keystore_path", "crosslink/remote-cluster-server.p12"},
                 {"certificate_fingerprint", "AA:BB"}};
  }

  std::vector<std::string> Events(const std::string& prefix = "") {
    std::vector<std::string> out;
    for (const std::string& e : events_) {
      if (e.rfind(prefix, 0) == 0) out.push_back(e);
    }
    return out;
  }

  topology::Topology topology_;
  FakeClock clock_;
  fakes::MemFileSystem fs_;
  std::map<std::string, std::unique_ptr<NodeState>> nodes_;
  std::vector<std::string> events_;
  std::vector<std::string> progress_;
  std::vector<std::string> resolved_homes_;
  FakeHttp::Handler handler_;
  std::function<const char*(const char*)> getenv_;
  std::unique_ptr<Provider> provider_;
  std::vector<std::unique_ptr<graph::ResourceSpec>> specs_;
  std::vector<std::unique_ptr<state::ResourceState>> states_;
  std::vector<std::string> texts_;
  std::vector<Value> all_values_;
};

constexpr const char* kRcs = "self_remote_cluster_server.sm";

// ------------------------------------------------------------ remote cluster server

TEST_F(SelfProviderTest, RemoteClusterServerLifecycle) {
  MakeCluster({"es1", "es2"});
  auto& spec = Spec(kRcsServerType, kRcs, RcsAttrs());
  ApplyResponse created = Keep(provider().Create(Request(&spec, nullptr, RcsSecrets())));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  EXPECT_EQ(resolved_homes_, (std::vector<std::string>{"/topo/es/es1", "/topo/es/es2"}));
  for (const char* n : {"es1", "es2"}) {
    NodeState& s = *nodes_[n];
    ASSERT_EQ(s.changes.size(), 1u) << n;
    const NodeChange& c = s.changes[0];
    EXPECT_FALSE(c.settings.has_value());
    EXPECT_EQ(c.set_settings.at("remote_cluster_server.enabled"), true);
    EXPECT_EQ(c.set_settings.at("remote_cluster.port"), 9443);
    EXPECT_EQ(c.set_settings.at("remote_cluster.host"), "0.0.0.0");
    EXPECT_EQ(c.set_settings.at("xpack.security.remote_cluster_server.ssl.enabled"), true);
    EXPECT_EQ(c.set_settings.at("xpack.security.remote_cluster_server.ssl.keystore.path"),
              "crosslink/remote-cluster-server.p12");
    ASSERT_EQ(c.write_files.size(), 1u);
    EXPECT_EQ(c.write_files[0].name, "remote-cluster-server.p12");
    EXPECT_TRUE(c.write_files[0].sensitive);
    EXPECT_EQ(c.write_files[0].bytes(), kP12);  // base64-decoded
    EXPECT_EQ(c.keystore_add.at("xpack.security.remote_cluster_server.ssl.keystore.secure_password")
                  .expose(),
              kKsPassword);
    EXPECT_TRUE(c.restart);
  }
  // Rolling: the node count first, es1, wait for the API, es2, wait.
  EXPECT_EQ(events_, (std::vector<std::string>{"GET /_cluster/health", "apply es1 restart",
                                               "GET /_cluster/health", "apply es2 restart",
                                               "GET /_cluster/health"}));
  EXPECT_EQ(created.result.outputs["files"]["es1"]["remote-cluster-server.p12"], Sha256Hex(kP12));

  // Read back: in sync, plan no-op.
  auto& st = StateOf(spec, created.result);
  ReadResponse read = ReadOne(kRcsServerType, kRcs, &spec, &st);
  ASSERT_TRUE(read.status.ok());
  const LiveObject& live = read.objects.at(kRcs);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_FALSE(live.outputs.contains("drift"));
  EXPECT_EQ(PlanOf(&spec, &st, &live).action, ChangeAction::kNoOp);

  // Update: another port.
  auto& spec2 = Spec(kRcsServerType, kRcs, RcsAttrs(9444));
  PlanResponse plan = PlanOf(&spec2, &st, &live);
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_TRUE(plan.restarts_cluster);
  EXPECT_FALSE(plan.restart_not_needed);
  EXPECT_EQ(plan.reason, "rolling restart of nodes es1, es2");
  ApplyResponse updated = Keep(provider().Update(Request(&spec2, &st, RcsSecrets())));
  ASSERT_TRUE(updated.status.ok()) << updated.status.ToString();
  EXPECT_EQ(nodes_["es1"]->block.at("remote_cluster.port"), 9444);
  EXPECT_TRUE(nodes_["es1"]->changes.back().restart);

  // Delete: every key, the file and the entry go; restart.
  auto& st2 = StateOf(spec2, updated.result);
  ApplyResponse deleted = Keep(provider().Delete(Request(nullptr, &st2)));
  ASSERT_TRUE(deleted.status.ok()) << deleted.status.ToString();
  for (const char* n : {"es1", "es2"}) {
    NodeState& s = *nodes_[n];
    EXPECT_TRUE(s.block.empty()) << n;
    EXPECT_TRUE(s.files.empty()) << n;
    EXPECT_TRUE(s.keystore.empty()) << n;
    EXPECT_EQ(s.changes.back().unset_settings.size(), 5u);
    EXPECT_TRUE(s.changes.back().restart);
  }
  ReadResponse gone = ReadOne(kRcsServerType, kRcs, &spec2, &st2);
  EXPECT_FALSE(gone.objects.at(kRcs).exists);
}

TEST_F(SelfProviderTest, NothingChangedOnANodeMeansNoApplyAndNoRestart) {
  MakeCluster({"es1", "es2"});
  auto& spec = Spec(kRcsServerType, kRcs, RcsAttrs());
  ASSERT_TRUE(Keep(provider().Create(Request(&spec, nullptr, RcsSecrets()))).status.ok());
  events_.clear();
  // Applying the same again: keystore values cannot be read, so the entry
  // is written again, but nothing in the yml/files differs: no restart.
  ASSERT_TRUE(Keep(provider().Update(Request(&spec, nullptr, RcsSecrets()))).status.ok());
  EXPECT_EQ(events_, (std::vector<std::string>{"apply es1", "apply es2"}));
}

// ------------------------------------------------------------ drift

TEST_F(SelfProviderTest, DriftPlansAnUpdateNamingTheNode) {
  MakeCluster({"es1", "es2"});
  auto& spec = Spec(kRcsServerType, kRcs, RcsAttrs());
  ApplyResponse created = Keep(provider().Create(Request(&spec, nullptr, RcsSecrets())));
  ASSERT_TRUE(created.status.ok());
  auto& st = StateOf(spec, created.result);

  struct Case {
    const char* what;
    std::function<void(NodeState&)> edit;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"key changed", [](NodeState& s) { s.block["remote_cluster.port"] = 9999; },
       "node es2: remote_cluster.port is 9999, crosslink sets 9443"},
      {"key missing", [](NodeState& s) { s.block.erase("remote_cluster.host"); },
       "node es2: remote_cluster.host is missing from the managed block"},
      {"file changed", [](NodeState& s) { s.files["remote-cluster-server.p12"] = "0000"; },
       "node es2: config/crosslink/remote-cluster-server.p12 was changed outside crosslink"},
      {"file missing", [](NodeState& s) { s.files.clear(); },
       "node es2: config/crosslink/remote-cluster-server.p12 is missing"},
      {"entry missing", [](NodeState& s) { s.keystore.clear(); },
       "node es2: keystore entry xpack.security.remote_cluster_server.ssl.keystore.secure_password "
       "is missing"},
      {"hand edit", [](NodeState& s) { s.hand_edited = true; },
       "node es2: elasticsearch.yml:10-14: the managed block was edited by hand"},
  };
  for (const Case& c : cases) {
    NodeState saved = *nodes_["es2"];
    c.edit(*nodes_["es2"]);
    ReadResponse read = ReadOne(kRcsServerType, kRcs, &spec, &st);
    ASSERT_TRUE(read.status.ok());
    const LiveObject& live = read.objects.at(kRcs);
    EXPECT_TRUE(live.exists) << c.what;
    PlanResponse plan = PlanOf(&spec, &st, &live);
    EXPECT_EQ(plan.action, ChangeAction::kUpdate) << c.what;
    EXPECT_NE(plan.reason.find(c.expect), std::string::npos) << c.what << ": " << plan.reason;
    EXPECT_NE(plan.reason.find("rolling restart"), std::string::npos) << c.what;
    *nodes_["es2"] = saved;
  }

  // Gone from every node: created again.
  for (auto& [n, s] : nodes_) {
    s->block.clear();
    s->block_present = false;
    s->files.clear();
    s->keystore.clear();
  }
  ReadResponse read = ReadOne(kRcsServerType, kRcs, &spec, &st);
  EXPECT_FALSE(read.objects.at(kRcs).exists);
  EXPECT_EQ(PlanOf(&spec, &st, &read.objects.at(kRcs)).action, ChangeAction::kCreate);
}

TEST_F(SelfProviderTest, NotInStateButOnTheNodesIsCrosslinks) {
  MakeCluster({"es1"});
  nodes_["es1"]->block = {{"remote_cluster_server.enabled", true}};
  nodes_["es1"]->block_present = true;
  Value attrs = RcsAttrs();
  attrs["nodes"] = {"es1"};
  auto& spec = Spec(kRcsServerType, kRcs, attrs);
  ReadResponse read = ReadOne(kRcsServerType, kRcs, &spec, nullptr);
  const LiveObject& live = read.objects.at(kRcs);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(PlanOf(&spec, nullptr, &live).action, ChangeAction::kUpdate);
}

// ------------------------------------------------------------ client TLS

TEST_F(SelfProviderTest, ClientTlsWritesTheCasOrNothing) {
  MakeCluster({"es1"});
  const std::string address = "self_client_tls.sm";
  Value attrs{{"nodes", {"es1"}},
              {"ca_file", "crosslink/remote-cluster-ca.crt"},
              {"certificate_authorities", {{kCaA, kCaB}, {kCaA}}}};
  auto& spec = Spec(kClientTlsType, address, attrs);
  ApplyResponse created = Keep(provider().Create(Request(&spec, nullptr)));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  const NodeChange& c = nodes_["es1"]->changes.at(0);
  EXPECT_EQ(c.set_settings.at("xpack.security.remote_cluster_client.ssl.certificate_authorities"),
            Value::array({"crosslink/remote-cluster-ca.crt"}));
  ASSERT_EQ(c.write_files.size(), 1u);
  EXPECT_EQ(c.write_files[0].name, "remote-cluster-ca.crt");
  EXPECT_FALSE(c.write_files[0].sensitive);
  EXPECT_EQ(c.write_files[0].content, std::string(kCaA) + kCaB);  // deduplicated
  EXPECT_TRUE(c.restart);

  // The list becomes empty (public CAs only): setting and file removed.
  auto& st = StateOf(spec, created.result);
  Value empty = attrs;
  empty["certificate_authorities"] = Value::array();
  auto& spec2 = Spec(kClientTlsType, address, empty);
  ReadResponse read = ReadOne(kClientTlsType, address, &spec2, &st);
  PlanResponse plan = PlanOf(&spec2, &st, &read.objects.at(address));
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_TRUE(plan.restarts_cluster);
  ApplyResponse updated = Keep(provider().Update(Request(&spec2, &st)));
  ASSERT_TRUE(updated.status.ok());
  EXPECT_TRUE(nodes_["es1"]->block.empty());
  EXPECT_TRUE(nodes_["es1"]->files.empty());

  // Empty before and after: nothing to write, no restart.
  auto& st2 = StateOf(spec2, updated.result);
  PlanResponse none = PlanOf(&spec2, &st2, nullptr);
  EXPECT_EQ(none.action, ChangeAction::kNoOp);
  auto& fresh = Spec(kClientTlsType, "self_client_tls.sm", empty);
  PlanResponse create = PlanOf(&fresh, nullptr, nullptr);
  EXPECT_EQ(create.action, ChangeAction::kCreate);
  EXPECT_TRUE(create.restart_not_needed);
  EXPECT_NE(create.reason.find("no restart"), std::string::npos);
}

// ------------------------------------------------------------ keystore credential + reload

TEST_F(SelfProviderTest, KeystoreCredentialAndReload) {
  MakeCluster({"es1", "es2"});
  const std::string address = "self_keystore_credential.sm.logs";
  auto& spec = Spec(kCredentialType, address,
                    Value{{"nodes", {"es1", "es2"}},
                          {"setting", "cluster.remote.logs.credentials"},
                          {"key_id", "kid-1"}});
  ApplyResponse created =
      Keep(provider().Create(Request(&spec, nullptr, {{"credentials", Secret(kCredentials)}})));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  EXPECT_EQ(created.result.outputs["key_id"], "kid-1");
  for (const char* n : {"es1", "es2"}) {
    const NodeChange& c = nodes_[n]->changes.at(0);
    EXPECT_EQ(c.keystore_add.at("cluster.remote.logs.credentials").expose(), kCredentials);
    EXPECT_FALSE(c.restart);
    EXPECT_TRUE(c.set_settings.empty());
  }
  EXPECT_TRUE(Events("GET").empty());  // no restart, no wait

  // Read back without state: an entry crosslink has no state for is someone
  // else's (its value cannot be read): never adopted, the user is told.
  ReadResponse unknown = ReadOne(kCredentialType, address, &spec, nullptr);
  EXPECT_TRUE(unknown.objects.at(address).exists);
  EXPECT_FALSE(unknown.objects.at(address).managed_by_crosslink);
  EXPECT_NE(unknown.diagnostics.ToString().find(
                "keystore entry cluster.remote.logs.credentials already exists on nodes es1, es2 "
                "and crosslink did not write it"),
            std::string::npos)
      << unknown.diagnostics.ToString();
  auto& st = StateOf(spec, created.result);
  ReadResponse read = ReadOne(kCredentialType, address, &spec, &st);
  EXPECT_TRUE(read.objects.at(address).exists);
  EXPECT_EQ(PlanOf(&spec, &st, &read.objects.at(address)).action, ChangeAction::kNoOp);

  // Reload: no body without KEYSTORE_PASSWORD, with it when set.
  auto& reload = Spec(kReloadType, "self_reload.sm", Value{{"credential_key_ids", {"kid-1"}}});
  events_.clear();
  ASSERT_TRUE(Keep(provider().Create(Request(&reload, nullptr))).status.ok());
  EXPECT_EQ(events_, (std::vector<std::string>{"POST /_nodes/reload_secure_settings"}));
  getenv_ = [](const char* n) -> const char* {
    return std::string(n) == "KEYSTORE_PASSWORD" ? kKeystoreEnvPassword : nullptr;
  };
  events_.clear();
  ASSERT_TRUE(Keep(provider().Update(Request(&reload, nullptr))).status.ok());
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_NE(events_[0].find(std::string("\"secure_settings_password\":\"") + kKeystoreEnvPassword),
            std::string::npos);

  // Delete removes the entry and reloads.
  events_.clear();
  ApplyResponse deleted = Keep(provider().Delete(Request(nullptr, &st)));
  ASSERT_TRUE(deleted.status.ok());
  EXPECT_EQ(nodes_["es1"]->changes.back().keystore_remove,
            std::vector<std::string>{"cluster.remote.logs.credentials"});
  EXPECT_TRUE(nodes_["es2"]->keystore.empty());
  EXPECT_EQ(Events("POST").size(), 1u);
}

TEST_F(SelfProviderTest, ReloadExceptionNamesTheNode) {
  MakeCluster({"es1"});
  handler_ = [](const http::Request&) -> Result<http::Response> {
    return Json(200, R"({"nodes":{"abc":{"name":"node-1","reload_exception":)"
                     R"({"type":"security_exception","reason":"wrong keystore password"}}}})");
  };
  auto& reload = Spec(kReloadType, "self_reload.sm", Value{{"credential_key_ids", {"k"}}});
  ApplyResponse r = Keep(provider().Create(Request(&reload, nullptr)));
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("node node-1: security_exception: wrong keystore password"),
            std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("KEYSTORE_PASSWORD"), std::string::npos);
}

// A node the reload did not reach (down) is in _nodes.failures only: its
// keystore was not reloaded, which used to pass as a success.
TEST_F(SelfProviderTest, ReloadNotReachingANodeFails) {
  MakeCluster({"es1", "es2"});
  handler_ = [](const http::Request&) -> Result<http::Response> {
    return Json(200, R"({"_nodes":{"total":2,"successful":1,"failed":1,"failures":[)"
                     R"({"type":"failed_node_exception","reason":"Failed node [id2]",)"
                     R"("node_id":"id2"}]},"cluster_name":"sm","nodes":{"id1":{"name":"es1"}}})");
  };
  auto& reload = Spec(kReloadType, "self_reload.sm", Value{{"credential_key_ids", {"k"}}});
  ApplyResponse r = Keep(provider().Create(Request(&reload, nullptr)));
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(
      r.status.message().find("node id2 (not reached): failed_node_exception: Failed node [id2]"),
      std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("every node is up"), std::string::npos);
}

TEST_F(SelfProviderTest, ReloadOfBundleNodesIsTheUsers) {
  MakeCluster({"es1"});
  SetBundle("es1");
  auto& reload = Spec(kReloadType, "self_reload.sm", Value{{"credential_key_ids", {"k"}}});
  ApplyResponse r = Keep(provider().Create(Request(&reload, nullptr)));
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(events_.empty());
  ASSERT_EQ(r.diagnostics.warning_count(), 1u);
  EXPECT_NE(r.diagnostics.ToString().find("node es1 gets its keystore from a bundle"),
            std::string::npos)
      << r.diagnostics.ToString();
}

// ------------------------------------------------------------ transport

TEST_F(SelfProviderTest, TransportCaUnionsTheNodes) {
  MakeCluster({"es1", "es2"});
  nodes_["es2"]->tls.ca_pems = {kOwnCa, kCaB};
  nodes_["es2"]->tls.node_names.clear();  // no otherName: its CN stands in
  auto& spec = Spec(kTransportCaType, "self_transport_ca.sm", Value{{"nodes", {"es1", "es2"}}},
                    graph::ResourceMode::kData);
  ReadResponse read = ReadOne(kTransportCaType, spec.address, &spec, nullptr);
  ASSERT_TRUE(read.status.ok());
  const LiveObject& live = read.objects.at(spec.address);
  EXPECT_TRUE(live.exists);
  EXPECT_EQ(live.outputs["ca_pems"], Value::array({kOwnCa, kCaB}));
  EXPECT_EQ(live.outputs["node_names"], Value::array({"es1.node.sm.cluster.x.account", "es2"}));
  EXPECT_EQ(live.outputs["trust_restriction"], live.outputs["node_names"]);

  SetBundle("es2");
  nodes_["es2"]->tls_status = Status::FailedPrecondition(
      "node es2 (bundle b): crosslink cannot read a bundle node's transport certificates");
  provider_.reset();
  ReadResponse failed = ReadOne(kTransportCaType, spec.address, &spec, nullptr);
  EXPECT_TRUE(failed.diagnostics.has_errors());
  EXPECT_NE(failed.diagnostics.ToString().find("bundle node's transport"), std::string::npos);
  EXPECT_FALSE(failed.objects.count(spec.address));
}

TEST_F(SelfProviderTest, TransportTrustTakesOverAndGivesBack) {
  MakeCluster({"es1"});
  const std::string address = "self_transport_trust.sm";
  auto& spec = Spec(kTransportTrustType, address,
                    Value{{"nodes", {"es1"}}, {"certificate_authorities", {{kCaA}}}});
  ApplyResponse created = Keep(provider().Create(Request(&spec, nullptr)));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  const NodeChange& c = nodes_["es1"]->changes.at(0);
  EXPECT_EQ(c.set_settings.at("xpack.security.transport.ssl.certificate_authorities"),
            Value::array({"crosslink/transport-ca.crt"}));
  ASSERT_EQ(c.write_files.size(), 1u);
  EXPECT_EQ(c.write_files[0].content, std::string(kOwnCa) + kCaA);
  ASSERT_TRUE(c.take_over.has_value());
  EXPECT_EQ(*c.take_over, std::vector<std::string>{"xpack.security.transport.ssl.truststore.path"});
  EXPECT_TRUE(c.restart);

  // The user's setting enabled again: drift.
  auto& st = StateOf(spec, created.result);
  nodes_["es1"]->taken_over.clear();
  ReadResponse read = ReadOne(kTransportTrustType, address, &spec, &st);
  PlanResponse plan = PlanOf(&spec, &st, &read.objects.at(address));
  EXPECT_EQ(plan.action, ChangeAction::kUpdate);
  EXPECT_NE(plan.reason.find("xpack.security.transport.ssl.truststore.path is active again"),
            std::string::npos)
      << plan.reason;
  nodes_["es1"]->taken_over = {"xpack.security.transport.ssl.truststore.path"};

  ApplyResponse deleted = Keep(provider().Delete(Request(nullptr, &st)));
  ASSERT_TRUE(deleted.status.ok());
  const NodeChange& d = nodes_["es1"]->changes.back();
  ASSERT_TRUE(d.take_over.has_value());
  EXPECT_TRUE(d.take_over->empty());
  EXPECT_TRUE(d.restart);
  EXPECT_TRUE(nodes_["es1"]->block.empty());
  EXPECT_TRUE(nodes_["es1"]->files.empty());
}

TEST_F(SelfProviderTest, TrustRestrictionsFileAndRefusal) {
  MakeCluster({"es1", "es2"});
  const std::string address = "self_trust_restrictions.sm";
  Value attrs{{"nodes", {"es1", "es2"}},
              {"path", "crosslink/trust-restrictions.yml"},
              {"subject_names",
               {{"*.node.sm.cluster.x.account"},
                "*.node.c1.cluster.org.account",
                {"*.node.sm.cluster.x.account"}}}};
  auto& spec = Spec(kTrustRestrictionsType, address, attrs);

  // es2's certificate has no otherName: refused at plan time, and at apply
  // before any change (with the transport trust of the same group).
  nodes_["es2"]->tls.node_names.clear();
  ReadResponse read = ReadOne(kTrustRestrictionsType, address, &spec, nullptr);
  ASSERT_TRUE(read.diagnostics.has_errors());
  EXPECT_NE(read.diagnostics.ToString().find("node es2 (local /es/es2): its transport "
                                             "certificate (CN es2) has no otherName"),
            std::string::npos)
      << read.diagnostics.ToString();
  auto& trust = Spec(kTransportTrustType, "self_transport_trust.sm",
                     Value{{"nodes", {"es1", "es2"}}, {"certificate_authorities", {{kCaA}}}});
  std::vector<GroupChange> group(2);
  group[0] = {ChangeAction::kCreate, trust.address, Request(&trust, nullptr)};
  group[1] = {ChangeAction::kCreate, address, Request(&spec, nullptr)};
  std::vector<ApplyResponse> both = provider().ApplyGroup(group);
  EXPECT_NE(both[0].status.message().find("not applied: self_trust_restrictions.sm"),
            std::string::npos)
      << both[0].status.message();
  EXPECT_NE(both[1].status.message().find("has no otherName"), std::string::npos);
  ApplyResponse refused = Keep(provider().Create(Request(&spec, nullptr)));
  ASSERT_FALSE(refused.status.ok());
  EXPECT_NE(refused.status.message().find("node es2"), std::string::npos);
  EXPECT_NE(refused.status.message().find("has no otherName"), std::string::npos);
  EXPECT_TRUE(nodes_["es1"]->changes.empty());
  EXPECT_TRUE(nodes_["es2"]->changes.empty());

  nodes_["es2"]->tls.node_names = {"es2.node.sm.cluster.x.account"};
  ApplyResponse created = Keep(provider().Create(Request(&spec, nullptr)));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  const NodeChange& c = nodes_["es1"]->changes.at(0);
  EXPECT_EQ(c.set_settings.at("xpack.security.transport.ssl.trust_restrictions.path"),
            "crosslink/trust-restrictions.yml");
  ASSERT_EQ(c.write_files.size(), 1u);
  EXPECT_EQ(c.write_files[0].name, "trust-restrictions.yml");
  EXPECT_EQ(c.write_files[0].content,
            "trust.subject_name:\n  - \"*.node.sm.cluster.x.account\"\n"
            "  - \"*.node.c1.cluster.org.account\"\n");
}

// ------------------------------------------------------------ restart groups

TEST_F(SelfProviderTest, GroupIsOneNodeChangePerNodeInRollingOrder) {
  MakeCluster({"es1", "es2", "es3"});
  Value rcs = RcsAttrs();
  rcs["nodes"] = {"es1", "es2", "es3"};
  auto& a = Spec(kRcsServerType, kRcs, rcs);
  auto& b = Spec(kClientTlsType, "self_client_tls.sm",
                 Value{{"nodes", {"es1", "es2", "es3"}},
                       {"ca_file", "crosslink/remote-cluster-ca.crt"},
                       {"certificate_authorities", {{kCaA}}}});
  auto& t = Spec(kTransportTrustType, "self_transport_trust.sm",
                 Value{{"nodes", {"es1", "es2", "es3"}}, {"certificate_authorities", {{kCaB}}}});
  std::vector<GroupChange> group(3);
  group[0] = {ChangeAction::kCreate, a.address, Request(&a, nullptr, RcsSecrets())};
  group[1] = {ChangeAction::kCreate, b.address, Request(&b, nullptr)};
  group[2] = {ChangeAction::kCreate, t.address, Request(&t, nullptr)};
  handler_ = [this](const http::Request&) -> Result<http::Response> {
    // 3 nodes before any restart; after a node's restart the API is down,
    // then answers without that node (not rejoined yet), then with it.
    size_t polls = 0;  // this one included: FakeHttp records before answering
    for (auto e = events_.rbegin(); e != events_.rend() && e->rfind("GET", 0) == 0; ++e) ++polls;
    if (Events("apply").empty()) return Json(200, R"({"number_of_nodes":3})");
    if (polls == 1) return Json(503, "{}");
    return Json(200, polls == 2 ? R"({"number_of_nodes":2})" : R"({"number_of_nodes":3})");
  };
  std::vector<ApplyResponse> out = provider().ApplyGroup(group);
  ASSERT_EQ(out.size(), 3u);
  for (ApplyResponse& r : out) {
    Keep(r);
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_TRUE(r.result.exists);
  }
  for (const char* n : {"es1", "es2", "es3"}) {
    ASSERT_EQ(nodes_[n]->changes.size(), 1u) << n;
    const NodeChange& c = nodes_[n]->changes[0];
    EXPECT_EQ(c.set_settings.size(), 7u);
    EXPECT_EQ(c.write_files.size(), 3u);
    EXPECT_TRUE(c.take_over.has_value());
    EXPECT_TRUE(c.restart);
  }
  const std::string get = "GET /_cluster/health";
  EXPECT_EQ(events_,
            (std::vector<std::string>{get, "apply es1 restart", get, get, get, "apply es2 restart",
                                      get, get, get, "apply es3 restart", get, get, get}));
  // Every change of the group hears about the shared wait (twice a node:
  // down, then back without the node).
  EXPECT_EQ(std::count(progress_.begin(), progress_.end(),
                       "waiting for node es2 to answer after its restart"),
            6);
  EXPECT_EQ(clock_.elapsed(), std::chrono::milliseconds(6000));
}

TEST_F(SelfProviderTest, FailingNodeStopsTheGroup) {
  MakeCluster({"es1", "es2", "es3"});
  nodes_["es2"]->apply_error =
      Status::FailedPrecondition("node es2 (local /es/es2): restart command failed: exit code 1");
  Value rcs = RcsAttrs();
  rcs["nodes"] = {"es1", "es2", "es3"};
  auto& a = Spec(kRcsServerType, kRcs, rcs);
  ApplyResponse r = Keep(provider().Create(Request(&a, nullptr, RcsSecrets())));
  ASSERT_FALSE(r.status.ok());
  const std::string& m = r.status.message();
  EXPECT_NE(m.find("node es2 (local /es/es2): restart command failed"), std::string::npos) << m;
  EXPECT_NE(m.find("Already changed: node es1 (restarted)"), std::string::npos) << m;
  EXPECT_NE(m.find("not changed: node es3"), std::string::npos) << m;
  EXPECT_NE(m.find("run `crosslink apply` again"), std::string::npos) << m;
  EXPECT_TRUE(nodes_["es3"]->changes.empty());
  EXPECT_EQ(events_, (std::vector<std::string>{"GET /_cluster/health", "apply es1 restart",
                                               "GET /_cluster/health", "apply es2 restart"}));
}

TEST_F(SelfProviderTest, ClusterNotAnsweringAfterRestartTimesOut) {
  MakeCluster({"es1", "es2"});
  handler_ = [this](const http::Request&) -> Result<http::Response> {
    if (Events("apply").empty()) return Json(200, R"({"status":"green","number_of_nodes":2})");
    return Json(503, "{}");
  };
  auto& a = Spec(kRcsServerType, kRcs, RcsAttrs());
  ApplyResponse r = Keep(provider().Create(Request(&a, nullptr, RcsSecrets())));
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status.message().find("node es1 was restarted but cluster \"sm\" is not back at "
                                    "https://sm.example:9200 60 s later (last: HTTP 503)"),
            std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("not changed: node es2"), std::string::npos);
  EXPECT_TRUE(nodes_["es2"]->changes.empty());
  EXPECT_FALSE(progress_.empty());
}

// Without the node count before the roll, crosslink could not tell that a
// restarted node is back: it restarts nothing.
TEST_F(SelfProviderTest, UnknownNodeCountRestartsNothing) {
  MakeCluster({"es1", "es2"});
  handler_ = [](const http::Request&) -> Result<http::Response> { return Json(503, "{}"); };
  auto& a = Spec(kRcsServerType, kRcs, RcsAttrs());
  ApplyResponse r = Keep(provider().Create(Request(&a, nullptr, RcsSecrets())));
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("read the cluster's health before restarting node es1"),
            std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("No node before it was changed"), std::string::npos);
  EXPECT_TRUE(nodes_["es1"]->changes.empty());
  EXPECT_TRUE(nodes_["es2"]->changes.empty());
}

// A user without `monitor` gets told at once, not after the restart timeout.
TEST_F(SelfProviderTest, ForbiddenHealthAfterRestartFailsAtOnce) {
  MakeCluster({"es1", "es2"});
  handler_ = [this](const http::Request&) -> Result<http::Response> {
    if (Events("apply").empty()) return Json(200, R"({"status":"green","number_of_nodes":2})");
    return Json(403, R"({"error":{"type":"security_exception","reason":"action [cluster:monitor/health] is unauthorized"}})");
  };
  auto& a = Spec(kRcsServerType, kRcs, RcsAttrs());
  ApplyResponse r = Keep(provider().Create(Request(&a, nullptr, RcsSecrets())));
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("monitor"), std::string::npos) << r.status.message();
  EXPECT_EQ(Events("GET").size(), 2u) << "no polling after a 403";
  EXPECT_TRUE(nodes_["es2"]->changes.empty());
}

// A red cluster (a primary unassigned) is not "back": the roll waits.
TEST_F(SelfProviderTest, RedClusterIsNotBackYet) {
  MakeCluster({"es1", "es2"});
  handler_ = [this](const http::Request&) -> Result<http::Response> {
    const size_t gets = Events("GET").size();  // this one included
    if (Events("apply").empty()) return Json(200, R"({"status":"green","number_of_nodes":2})");
    return Json(200, gets < 4 ? R"({"status":"red","number_of_nodes":2})"
                              : R"({"status":"yellow","number_of_nodes":2})");
  };
  auto& a = Spec(kRcsServerType, kRcs, RcsAttrs());
  ApplyResponse r = Keep(provider().Create(Request(&a, nullptr, RcsSecrets())));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_GE(Events("GET").size(), 5u);
}

// ------------------------------------------------------------ restart reasons

TEST_F(SelfProviderTest, RestartReasonsNameWhoRestarts) {
  MakeCluster({"es1", "es2", "es3"});
  Value rcs = RcsAttrs();
  rcs["nodes"] = {"es1", "es2", "es3"};
  auto& a = Spec(kRcsServerType, kRcs, rcs);
  PlanResponse all = PlanOf(&a, nullptr, nullptr);
  EXPECT_TRUE(all.restarts_cluster);
  EXPECT_EQ(all.reason, "rolling restart of nodes es1, es2, es3");

  SetBundle("es3");
  SetNoRestart("es2");
  PlanResponse mixed = PlanOf(&a, nullptr, nullptr);
  EXPECT_TRUE(mixed.restarts_cluster);
  EXPECT_FALSE(mixed.restart_not_needed);
  EXPECT_EQ(mixed.reason,
            "rolling restart of node es1; restart required (bundle: yours); restart required: "
            "node es2 has no restart command");

  SetBundle("es1");
  PlanResponse none = PlanOf(&a, nullptr, nullptr);
  EXPECT_FALSE(none.restarts_cluster);
  EXPECT_TRUE(none.restart_not_needed);
  EXPECT_EQ(none.reason,
            "restart required (bundle: yours); restart required: node es2 has no restart command");

  // Applying: written, the restart is the user's (warning), no wait.
  ApplyResponse r = Keep(provider().Create(Request(&a, nullptr, RcsSecrets())));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.diagnostics.warning_count(), 3u);
  EXPECT_TRUE(Events("GET").empty());
}

// ------------------------------------------------------------ secrets

TEST_F(SelfProviderTest, NoSecretInAnyResponse) {
  MakeCluster({"es1", "es2"});
  getenv_ = [](const char* n) -> const char* {
    return std::string(n) == "KEYSTORE_PASSWORD" ? kKeystoreEnvPassword : nullptr;
  };
  auto& a = Spec(kRcsServerType, kRcs, RcsAttrs());
  auto& st = StateOf(a, Keep(provider().Create(Request(&a, nullptr, RcsSecrets()))).result);
  ReadOne(kRcsServerType, kRcs, &a, &st);
  auto& cred = Spec(
      kCredentialType, "self_keystore_credential.sm.x",
      Value{
          {"nodes", {"es1", "es2"}}, {"setting", "cluster.remote.x.credentials"}, {"key_id", "k"}});
  Keep(provider().Create(Request(&cred, nullptr, {{"credentials", Secret(kCredentials)}})));
  auto& reload = Spec(kReloadType, "self_reload.sm", Value{{"credential_key_ids", {"k"}}});
  Keep(provider().Create(Request(&reload, nullptr)));
  // Failures too.
  nodes_["es1"]->apply_error = Status::IoError("disk full");
  handler_ = [](const http::Request&) -> Result<http::Response> { return Json(500, "{}"); };
  Keep(provider().Update(Request(&a, &st, RcsSecrets())));
  nodes_["es1"]->apply_error = Status::Ok();
  Keep(provider().Create(Request(&reload, nullptr)));
  Keep(provider().Update(Request(&a, nullptr,
                                 {{"keystore", Secret("!!not base64 " + std::string(kP12))},
                                  {"keystore_password", Secret(kKsPassword)}})));

  std::string all;
  for (const std::string& t : texts_) all += t + "\n";
  for (const std::string& p : progress_) all += p + "\n";
  for (const Value& v : all_values_) all += DumpJson(v) + "\n";
  EXPECT_NE(all.find("disk full"), std::string::npos);  // the scan sees the messages
  for (const std::string& secret :
       {std::string(kP12), std::string(kKsPassword), std::string(kCredentials),
        std::string(kEsPassword), std::string(kKeystoreEnvPassword), http::Base64Encode(kP12)}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " leaked:\n" << all;
  }
}

// ------------------------------------------------------------ review fixes

// An ECH remote (public CA): the graph may leave certificate_authorities out.
// Reading the absent key of a const Value used to abort (nlohmann assert).
TEST_F(SelfProviderTest, ClientTlsWithoutTheCaAttributeWritesNothing) {
  MakeCluster({"es1"});
  auto& spec = Spec(kClientTlsType, "self_client_tls.sm", Value{{"nodes", {"es1"}}});
  ApplyResponse created = Keep(provider().Create(Request(&spec, nullptr)));
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  EXPECT_TRUE(nodes_["es1"]->changes.empty());  // nothing differs: no apply, no restart
  auto& st = StateOf(spec, created.result);
  ReadResponse read = ReadOne(kClientTlsType, spec.address, &spec, &st);
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(PlanOf(&spec, &st, &read.objects.at(spec.address)).action, ChangeAction::kNoOp);
  ApplyResponse deleted = Keep(provider().Delete(Request(nullptr, &st)));
  EXPECT_TRUE(deleted.status.ok()) << deleted.status.ToString();
}

// A node dropped from the topology: Read says so, the update leaves it
// alone with a warning, and a resource naming an unknown node gets an
// error listing the cluster's nodes.
TEST_F(SelfProviderTest, NodeGoneFromTheTopology) {
  MakeCluster({"es1", "es2"});
  auto& spec = Spec(kRcsServerType, kRcs, RcsAttrs());
  ApplyResponse created = Keep(provider().Create(Request(&spec, nullptr, RcsSecrets())));
  ASSERT_TRUE(created.status.ok());
  auto& st = StateOf(spec, created.result);

  // A fresh provider over a topology without es2.
  auto& nodes = topology_.clusters["sm"].nodes;
  nodes.erase(nodes.begin() + 1);
  provider_.reset();
  Value attrs = RcsAttrs();
  attrs["nodes"] = {"es1"};
  auto& spec2 = Spec(kRcsServerType, kRcs, attrs);
  ReadResponse read = ReadOne(kRcsServerType, kRcs, &spec2, &st);
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  const LiveObject& live = read.objects.at(kRcs);
  EXPECT_TRUE(live.exists);
  EXPECT_NE(DumpJson(live.outputs).find("node es2 is no longer in the topology"),
            std::string::npos);
  EXPECT_EQ(PlanOf(&spec2, &st, &live).action, ChangeAction::kUpdate);
  events_.clear();
  ApplyResponse updated = Keep(provider().Update(Request(&spec2, &st, RcsSecrets())));
  ASSERT_TRUE(updated.status.ok()) << updated.status.ToString();
  EXPECT_NE(updated.diagnostics.ToString().find("node es2 is no longer in the topology"),
            std::string::npos);
  EXPECT_EQ(events_, std::vector<std::string>{"apply es1"});  // unchanged: no restart
  auto& st2 = StateOf(spec2, updated.result);
  ReadResponse again = ReadOne(kRcsServerType, kRcs, &spec2, &st2);
  EXPECT_EQ(PlanOf(&spec2, &st2, &again.objects.at(kRcs)).action, ChangeAction::kNoOp);

  Value unknown = RcsAttrs();  // still names es2
  auto& spec3 = Spec(kRcsServerType, kRcs, unknown);
  ApplyResponse refused = Keep(provider().Update(Request(&spec3, &st2, RcsSecrets())));
  ASSERT_FALSE(refused.status.ok());
  EXPECT_NE(refused.status.message().find("has no node es2 in the topology (its nodes: es1)"),
            std::string::npos)
      << refused.status.message();
}

// Transport trust depends on each node's own CAs: its error names the node.
TEST_F(SelfProviderTest, TransportTrustWithNothingToTrustNamesTheNode) {
  MakeCluster({"es1", "es2"});
  nodes_["es2"]->tls.ca_pems.clear();
  auto& spec =
      Spec(kTransportTrustType, "self_transport_trust.sm", Value{{"nodes", {"es1", "es2"}}});
  ApplyResponse r = Keep(provider().Create(Request(&spec, nullptr)));
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("node es2 (local /es/es2): self_transport_trust: no CA"),
            std::string::npos)
      << r.status.message();
  EXPECT_TRUE(nodes_["es1"]->changes.empty());  // nothing written
}

}  // namespace
}  // namespace crosslink::providers::self
