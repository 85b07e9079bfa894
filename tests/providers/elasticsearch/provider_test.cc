// The Elasticsearch provider against the sandbox: a self-managed cluster
// (onprem, the local side) and an ECH deployment (analytics, the remote: its
// proxy serves the remote cluster server with a publicly trusted
// certificate). Both are reached through EndpointFromTopology (url, ca_file,
// credentials from the topology file). One sandbox serves the whole suite;
// each test uses its own aliases and names.
//
// Every request the provider sends is recorded and checked against the REST
// spec; every message and Value the tests see is searched for the secrets.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/core/secret.h"
#include "engine/graph/expand.h"
#include "engine/topology/loader.h"
#include "providers/elasticsearch/diagnosis.h"
#include "providers/elasticsearch/elasticsearch_provider.h"
#include "providers/elasticsearch/resources.h"
#include "sandbox/config.h"
#include "sandbox/es/twin.h"
#include "sandbox/sandbox.h"
#include "sandbox/self/keystore_cli.h"
#include "tests/providers/contracts/es_rest_spec.h"

namespace crosslink::providers::elasticsearch {
namespace {

constexpr char kSandboxConfig[] = R"(
environments:
  cloud: { platform: ech, organization_id: "1053523734" }
clusters:
  analytics: { environment: cloud, version: "8.17.0", deployment_id: 0123456789abcdef0123456789abcdef }
  onprem: { platform: self, version: "8.17.0" }
  basic: { platform: self, version: "8.17.0", license: basic }
)";

class ProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Redactor::SetEnabledForTesting(false);  // a leak must show, not be masked
    char pattern[] = "/tmp/crosslink-es-provider-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = new std::string(pattern);
    auto config = sandbox::LoadSandboxConfigString(kSandboxConfig, "sandbox.yaml");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    sandbox::Sandbox::Options options;
    options.dir = *dir_ + "/sandbox";
    options.contracts_dir = CROSSLINK_CONTRACTS_DIR;
    auto sb = sandbox::Sandbox::Start(*config, options, *clock_);
    ASSERT_TRUE(sb.ok()) << sb.status().ToString();
    sandbox_ = std::move(sb).value().release();
    auto spec =
        contracts::EsRestSpec::Load(std::string(CROSSLINK_CONTRACTS_DIR) + "/es-rest-api-spec");
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    spec_ = new contracts::EsRestSpec(std::move(spec).value());
    // The remote cluster server address of the ECH deployment: its endpoint.
    endpoint_ = new std::string(DeploymentEndpoint());
  }

  static void TearDownTestSuite() {
    if (sandbox_ != nullptr) sandbox_->Stop();
    delete sandbox_;
    sandbox_ = nullptr;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
    delete spec_;
    delete endpoint_;
    Redactor::SetEnabledForTesting(true);
  }

  // "<cluster_id>.<region>...": the host of the deployment's service_url.
  static std::string DeploymentEndpoint() {
    std::string url = sandbox_->Env("ANALYTICS_URL");  // https://<endpoint>:<port>
    std::string host = url.substr(url.find("://") + 3);
    return host.substr(0, host.rfind(':'));
  }

  void SetUp() override {
    log_ = std::make_shared<contracts::RecordingLog>();
    secrets_ = {Env("ONPREM_PASSWORD"), Env("ANALYTICS_PASSWORD"), Env("BASIC_PASSWORD")};
  }

  void TearDown() override {
    // Every request the provider sent conforms to the REST spec.
    for (const auto& r : log_->requests()) {
      for (const std::string& problem : spec_->Check(r.method, r.url, r.body)) {
        ADD_FAILURE() << "REST spec: " << problem;
      }
    }
    // No secret reached a message, an attribute or an output.
    for (const std::string& secret : secrets_) {
      ASSERT_FALSE(secret.empty());
      EXPECT_EQ(transcript_.find(secret), std::string::npos) << "a secret leaked into:\n"
                                                             << transcript_;
    }
  }

  static std::string Env(const std::string& key) { return sandbox_->Env(key); }

  // The topology file for the suite's clusters plus `connections` (YAML).
  void LoadTopology(const std::string& connections, const std::string& onprem_extra = "",
                    const std::string& analytics_credentials = "") {
    const std::string dir = *dir_;
    std::ofstream(dir + "/onprem.password") << Env("ONPREM_PASSWORD") << "\n";
    std::string analytics_creds =
        analytics_credentials.empty()
            ? "{ username: elastic, password: \"${env:ANALYTICS_PASSWORD}\" }"
            : analytics_credentials;
    std::string yaml =
        "version: 1\n"
        "environments:\n"
        "  cloud: { platform: ech, organization_id: \"1053523734\", api_key: "
        "\"${env:CLOUD_API_KEY}\" }\n"
        "clusters:\n"
        "  analytics:\n"
        "    environment: cloud\n"
        "    deployment_id: 0123456789abcdef0123456789abcdef\n"
        "    url: " +
        Env("ANALYTICS_URL") +
        "\n"
        "    ca_file: " +
        Env("ANALYTICS_CA_FILE") +
        "\n"
        "    credentials: " +
        analytics_creds +
        "\n"
        "  onprem:\n"
        "    platform: self\n"
        "    url: " +
        Env("ONPREM_URL") +
        "\n"
        "    ca_file: " +
        Env("ONPREM_CA_FILE") +
        "\n"
        "    credentials: { username: elastic, password: \"${file:./onprem.password}\" }\n"
        "    nodes: [ { name: node-0, delivery: local, home: " +
        Env("ONPREM_HOME_0") + " } ]\n" + onprem_extra +
        "  basic:\n"
        "    platform: self\n"
        "    url: " +
        Env("BASIC_URL") +
        "\n"
        "    ca_file: " +
        Env("BASIC_CA_FILE") +
        "\n"
        "    credentials: { username: elastic, password: \"${env:BASIC_PASSWORD}\" }\n"
        "    nodes: [ { name: node-0, delivery: local, home: " +
        Env("BASIC_HOME_0") +
        " } ]\n"
        "connections:\n" +
        connections;
    Diagnostics diags;
    auto t = topology::LoadTopologyString(yaml, dir + "/topology.yaml", &diags);
    ASSERT_TRUE(t.has_value()) << diags.ToString() << yaml;
    topology_ = std::make_unique<topology::Topology>(std::move(*t));
    auto graph = graph::Expand(*topology_, &diags);
    ASSERT_TRUE(graph.has_value()) << diags.ToString();
    specs_.clear();
    for (const auto& s : graph->resources()) {
      if (s.provider == "elasticsearch") specs_[s.address] = s;
    }
    provider_ = MakeProvider();
  }

  std::unique_ptr<Provider> MakeProvider(
      std::chrono::milliseconds check_timeout = std::chrono::milliseconds(3000)) {
    ElasticsearchProviderOptions options;
    auto log = log_;
    options.client_factory =
        [log](const http::ClientOptions& o) -> std::unique_ptr<http::HttpClient> {
      http::ClientOptions opts = o;
      opts.retry.max_attempts = 1;
      opts.connect_timeout = std::chrono::milliseconds(3000);
      return std::make_unique<contracts::RecordingClient>(http::NewCurlClient(opts, *clock_), log);
    };
    options.check_timeout = check_timeout;
    options.poll_interval = std::chrono::milliseconds(100);
    auto p = NewElasticsearchProvider(options);
    ConfigureRequest req;
    req.topology = topology_.get();
    req.clock = clock_;
    req.fs = fs_.get();
    req.getenv = [](const char* name) -> const char* {
      static thread_local std::string value;
      const std::string n = name;
      if (n == "ANALYTICS_PASSWORD" || n == "BASIC_PASSWORD" || n == "REST_API_KEY") {
        value = n == "REST_API_KEY" ? rest_api_key_ : sandbox_->Env(n);
        return value.c_str();
      }
      return nullptr;
    };
    EXPECT_TRUE(p->Configure(req).ok());
    return p;
  }

  const graph::ResourceSpec& Spec(const std::string& address) {
    auto it = specs_.find(address);
    EXPECT_NE(it, specs_.end()) << "no resource " << address;
    return it->second;
  }

  // Records everything a human or the state could see, for the secret check.
  void Note(const Status& s) { transcript_ += s.message() + "\n"; }
  void Note(const Diagnostics& d) { transcript_ += d.ToString(); }
  void Note(const LiveObject& o) {
    transcript_ += DumpJson(o.attributes) + DumpJson(o.outputs) + "\n";
  }

  ReadResponse Read(const std::string& cluster, std::vector<ReadItem> items) {
    ReadRequest req;
    req.cluster = cluster;
    req.items = std::move(items);
    ReadResponse r = provider_->Read(req);
    Note(r.status);
    Note(r.diagnostics);
    for (const auto& [a, o] : r.objects) Note(o);
    for (const auto& o : r.orphans) {
      Note(o.live);
      transcript_ += o.description + "\n";
    }
    return r;
  }

  ReadItem Item(const graph::ResourceSpec& spec, const state::ResourceState* prior = nullptr) {
    return ReadItem{spec.address, spec.type, &spec, prior};
  }

  ApplyResponse Do(ChangeAction action, const graph::ResourceSpec* spec,
                   const state::ResourceState* prior, Value attributes = Value()) {
    ApplyRequest req;
    req.desired = spec;
    req.prior = prior;
    req.attributes = attributes.is_null() && spec != nullptr ? spec->attributes : attributes;
    ApplyResponse r = action == ChangeAction::kCreate   ? provider_->Create(req)
                      : action == ChangeAction::kUpdate ? provider_->Update(req)
                                                        : provider_->Delete(req);
    Note(r.status);
    Note(r.diagnostics);
    Note(r.result);
    return r;
  }

  PlanResponse PlanOf(const graph::ResourceSpec* spec, const state::ResourceState* prior,
                      const LiveObject* live, Value attributes = Value()) {
    PlanRequest req;
    req.desired = spec;
    req.prior = prior;
    req.live = live;
    req.attributes = attributes.is_null() && spec != nullptr ? spec->attributes : attributes;
    PlanResponse r = provider_->Plan(req);
    Note(r.diagnostics);
    return r;
  }

  // What apply would save after `r` for `spec`.
  static state::ResourceState Saved(const graph::ResourceSpec& spec, const ApplyResponse& r,
                                    const Value& attributes = Value()) {
    state::ResourceState s;
    s.address = spec.address;
    s.type = spec.type;
    s.provider = spec.provider;
    s.cluster = spec.cluster;
    s.mode = spec.mode;
    s.attributes = attributes.is_null() ? spec.attributes : attributes;
    s.outputs = r.result.outputs;
    s.sensitive_outputs = r.result.sensitive_outputs;
    return s;
  }

  // The twin's view (as the built-in superuser, no HTTP).
  static Value Twin(const std::string& cluster, const std::string& method, const std::string& path,
                    const std::optional<Value>& body = std::nullopt) {
    auto r = sandbox_->FindTwin(cluster)->CallInternal(method, path, body);
    auto json = ParseJson(r.body);
    return json.ok() ? *json : Value();
  }

  // SM.KEYSTORE.CRED + ES.RELOAD on onprem, by hand.
  void AddCredential(const std::string& alias, const Secret& encoded) {
    std::istringstream in(encoded.expose() + "\n");
    std::ostringstream out, err;
    ASSERT_EQ(sandbox::self::RunKeystoreCli({"--home", Env("ONPREM_HOME_0"), "add", "-x", "-f",
                                             "cluster.remote." + alias + ".credentials"},
                                            in, out, err),
              0)
        << err.str();
    sandbox_->FindTwin("onprem")->CallInternal("POST", "/_nodes/reload_secure_settings",
                                               std::nullopt);
  }

  std::string Connection(const std::string& alias, const std::string& extra = "") {
    return "  - local: onprem\n"
           "    remote: analytics\n"
           "    alias: " +
           alias +
           "\n"
           "    proxy_address: \"" +
           *endpoint_ +
           ":9443\"\n"
           "    server_name: \"" +
           *endpoint_ +
           "\"\n"
           "    access: { search: [ { names: [\"logs-*\"] } ] }\n" +
           extra;
  }

  static RealClock* clock_;
  static std::string* dir_;
  static sandbox::Sandbox* sandbox_;
  static contracts::EsRestSpec* spec_;
  static std::string* endpoint_;
  static std::string rest_api_key_;

  std::unique_ptr<FileSystem> fs_ = NewPosixFileSystem();
  std::shared_ptr<contracts::RecordingLog> log_;
  std::vector<std::string> secrets_;
  std::string transcript_;
  std::unique_ptr<topology::Topology> topology_;
  std::map<std::string, graph::ResourceSpec> specs_;
  std::unique_ptr<Provider> provider_;
};

RealClock* ProviderTest::clock_ = new RealClock();
std::string* ProviderTest::dir_ = nullptr;
sandbox::Sandbox* ProviderTest::sandbox_ = nullptr;
contracts::EsRestSpec* ProviderTest::spec_ = nullptr;
std::string* ProviderTest::endpoint_ = nullptr;
std::string ProviderTest::rest_api_key_;

// ---------------------------------------------------------------- API keys

TEST_F(ProviderTest, ApiKeyCreateReadUpdateInPlaceAndInvalidate) {
  LoadTopology(Connection("keys"));
  const auto& spec = Spec("es_cross_cluster_api_key.onprem.keys");
  EXPECT_EQ(spec.cluster, "analytics");  // created on the remote

  ReadResponse before = Read("analytics", {Item(spec)});
  ASSERT_TRUE(before.status.ok()) << before.status.ToString();
  EXPECT_FALSE(before.objects.at(spec.address).exists);
  EXPECT_EQ(PlanOf(&spec, nullptr, &before.objects.at(spec.address)).action, ChangeAction::kCreate);

  ApplyResponse created = Do(ChangeAction::kCreate, &spec, nullptr);
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  const std::string id = created.result.outputs.value("id", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(created.result.outputs.value("name", ""), "crosslink-onprem-keys");
  ASSERT_EQ(created.result.sensitive_outputs.count("encoded"), 1u);
  const Secret encoded = created.result.sensitive_outputs.at("encoded");
  secrets_.push_back(encoded.expose());
  state::ResourceState saved = Saved(spec, created);

  // Discovery: exists, marked, no change.
  ReadResponse after = Read("analytics", {Item(spec, &saved)});
  ASSERT_TRUE(after.status.ok()) << after.status.ToString();
  const LiveObject& live = after.objects.at(spec.address);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(live.outputs.value("id", ""), id);
  EXPECT_FALSE(live.attributes["metadata"].contains("config-hash"));
  EXPECT_EQ(PlanOf(&spec, &saved, &live).action, ChangeAction::kNoOp);
  Value stored = Twin("analytics", "GET", "/_security/api_key?id=" + id)["api_keys"][0];
  EXPECT_EQ(stored["metadata"].value("config-hash", ""), AccessHash(spec.attributes["access"]));
  EXPECT_EQ(stored["metadata"].value("local", ""), "onprem");

  // Access changes: updated in place, same id, the encoded value still works.
  Value changed = spec.attributes;
  changed["access"]["replication"] = {{{"names", {"orders"}}, {"allow_restricted_indices", false}}};
  EXPECT_EQ(PlanOf(&spec, &saved, &live, changed).action, ChangeAction::kUpdate);
  ApplyResponse updated = Do(ChangeAction::kUpdate, &spec, &saved, changed);
  ASSERT_TRUE(updated.status.ok()) << updated.status.ToString();
  EXPECT_EQ(updated.result.outputs.value("id", ""), id);
  EXPECT_TRUE(updated.result.sensitive_outputs.empty());  // the encoded value does not change
  stored = Twin("analytics", "GET", "/_security/api_key?id=" + id)["api_keys"][0];
  EXPECT_FALSE(stored.value("invalidated", true));
  EXPECT_EQ(stored["access"]["replication"][0]["names"][0], "orders");
  ReadResponse reread = Read("analytics", {Item(spec, &saved)});
  EXPECT_EQ(PlanOf(&spec, &saved, &reread.objects.at(spec.address), changed).action,
            ChangeAction::kNoOp);

  // Delete invalidates; a second delete is a success too.
  ASSERT_TRUE(Do(ChangeAction::kDelete, nullptr, &saved).status.ok());
  stored = Twin("analytics", "GET", "/_security/api_key?id=" + id)["api_keys"][0];
  EXPECT_TRUE(stored.value("invalidated", false));
  EXPECT_TRUE(Do(ChangeAction::kDelete, nullptr, &saved).status.ok());
  ReadResponse gone = Read("analytics", {Item(spec, &saved)});
  EXPECT_FALSE(gone.objects.at(spec.address).exists);
}

TEST_F(ProviderTest, ApiKeyCreatedButNotSavedIsFoundAgain) {
  LoadTopology(Connection("crash"));
  const auto& spec = Spec("es_cross_cluster_api_key.onprem.crash");
  ApplyResponse first = Do(ChangeAction::kCreate, &spec, nullptr);
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  secrets_.push_back(first.result.sensitive_outputs.at("encoded").expose());
  // "Crash": the state never learned the key. Still desired: it is the
  // item's live object (marked, so the planner may adopt it).
  ReadResponse desired = Read("analytics", {Item(spec)});
  ASSERT_TRUE(desired.status.ok());
  EXPECT_TRUE(desired.objects.at(spec.address).exists);
  EXPECT_TRUE(desired.objects.at(spec.address).managed_by_crosslink);

  // A second create (another interrupted run): the newest key is the item,
  // the older one an orphan at a distinct address.
  ApplyResponse second = Do(ChangeAction::kCreate, &spec, nullptr);
  ASSERT_TRUE(second.status.ok());
  secrets_.push_back(second.result.sensitive_outputs.at("encoded").expose());
  const std::string first_id = first.result.outputs.value("id", "");
  const std::string second_id = second.result.outputs.value("id", "");
  ReadResponse both = Read("analytics", {Item(spec)});
  EXPECT_EQ(both.objects.at(spec.address).outputs.value("id", ""), second_id);
  const Orphan* dup = nullptr;
  for (const Orphan& o : both.orphans) {
    if (o.live.outputs.value("id", "") == first_id) dup = &o;
  }
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(dup->address.rfind(spec.address + ".dup-", 0), 0u) << dup->address;
  // With the state knowing the first key, that one wins instead.
  state::ResourceState saved = Saved(spec, first);
  ReadResponse known = Read("analytics", {Item(spec, &saved)});
  EXPECT_EQ(known.objects.at(spec.address).outputs.value("id", ""), first_id);

  // Connection removed from the topology: both keys are orphans at the
  // address their marks give, and deleting them (as apply does for orphans,
  // from the outputs discovery saw) invalidates them.
  ReadResponse orphans = Read("analytics", {});
  std::vector<const Orphan*> found;
  for (const Orphan& o : orphans.orphans) {
    if (o.address.rfind(spec.address, 0) == 0) found.push_back(&o);
  }
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]->address, spec.address);
  EXPECT_EQ(found[0]->type, "es_cross_cluster_api_key");
  EXPECT_EQ(found[0]->description, "API key 'crosslink-onprem-crash' (id " + second_id + ")");
  for (const Orphan* o : found) {
    EXPECT_EQ(PlanOf(nullptr, nullptr, &o->live).action, ChangeAction::kDelete);
    state::ResourceState from_live;
    from_live.address = o->address;
    from_live.type = o->type;
    from_live.cluster = "analytics";
    from_live.attributes = o->live.attributes;
    from_live.outputs = o->live.outputs;
    ASSERT_TRUE(Do(ChangeAction::kDelete, nullptr, &from_live).status.ok());
  }
  ReadResponse clean = Read("analytics", {});
  for (const Orphan& o : clean.orphans) EXPECT_NE(o.address.rfind(spec.address, 0), 0u);
}

TEST_F(ProviderTest, ApiKeyNeedsUserCredentials) {
  Value key = Twin("analytics", "POST", "/_security/api_key", Value{{"name", "crosslink-test"}});
  rest_api_key_ = key.value("encoded", "");
  ASSERT_FALSE(rest_api_key_.empty());
  secrets_.push_back(rest_api_key_);
  LoadTopology(Connection("apikeyauth"), "", "{ api_key: \"${env:REST_API_KEY}\" }");
  const auto& spec = Spec("es_cross_cluster_api_key.onprem.apikeyauth");
  // Discovery works with an API key...
  EXPECT_TRUE(Read("analytics", {Item(spec)}).status.ok());
  // ...creation does not: a clear error before any request.
  ApplyResponse r = Do(ChangeAction::kCreate, &spec, nullptr);
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status.message().find("cluster \"analytics\""), std::string::npos);
  EXPECT_NE(r.status.message().find("credentials.username/password"), std::string::npos);
}

TEST_F(ProviderTest, LicenseRefusalNamesThePrivilege) {
  LoadTopology(
      "  - local: onprem\n    remote: basic\n    alias: lic\n"
      "    proxy_address: \"127.0.0.1:9443\"\n"
      "    access: { search: [ { names: [\"a\"] } ] }\n");
  const auto& spec = Spec("es_cross_cluster_api_key.onprem.lic");
  ApplyResponse r = Do(ChangeAction::kCreate, &spec, nullptr);
  EXPECT_EQ(r.status.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status.message().find("manage_security"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("non-compliant"), std::string::npos) << r.status.message();
}

// ---------------------------------------------------------------- settings

TEST_F(ProviderTest, RemoteClusterSwitchesModesAndRemovesEverything) {
  LoadTopology(Connection("sw"));
  const auto& spec = Spec("es_remote_cluster.onprem.sw");
  EXPECT_EQ(spec.cluster, "onprem");
  ApplyResponse put = Do(ChangeAction::kCreate, &spec, nullptr);
  ASSERT_TRUE(put.status.ok()) << put.status.ToString();
  state::ResourceState saved = Saved(spec, put);
  ReadResponse read = Read("onprem", {Item(spec, &saved)});
  ASSERT_TRUE(read.status.ok());
  const LiveObject& live = read.objects.at(spec.address);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  EXPECT_EQ(live.attributes.value("proxy_address", ""), *endpoint_ + ":9443");
  EXPECT_EQ(PlanOf(&spec, &saved, &live).action, ChangeAction::kNoOp);

  // proxy -> sniff: the proxy keys go in the same request.
  Value sniff = {{"alias", "sw"},
                 {"mode", "sniff"},
                 {"seeds", {"127.0.0.1:9443"}},
                 {"skip_unavailable", false}};
  EXPECT_EQ(PlanOf(&spec, &saved, &live, sniff).action, ChangeAction::kUpdate);
  ASSERT_TRUE(Do(ChangeAction::kUpdate, &spec, &saved, sniff).status.ok());
  Value flat = Twin("onprem", "GET", "/_cluster/settings?flat_settings=true")["persistent"];
  EXPECT_EQ(flat.value("cluster.remote.sw.mode", ""), "sniff");
  EXPECT_EQ(flat.value("cluster.remote.sw.skip_unavailable", ""), "false");
  EXPECT_FALSE(flat.contains("cluster.remote.sw.proxy_address"));
  EXPECT_FALSE(flat.contains("cluster.remote.sw.server_name"));
  saved.attributes = sniff;
  ReadResponse reread = Read("onprem", {Item(spec, &saved)});
  EXPECT_EQ(reread.objects.at(spec.address).attributes["skip_unavailable"], false);
  EXPECT_EQ(PlanOf(&spec, &saved, &reread.objects.at(spec.address), sniff).action,
            ChangeAction::kNoOp);

  // sniff -> proxy, dropping skip_unavailable crosslink set before.
  ASSERT_TRUE(Do(ChangeAction::kUpdate, &spec, &saved).status.ok());
  flat = Twin("onprem", "GET", "/_cluster/settings?flat_settings=true")["persistent"];
  EXPECT_EQ(flat.value("cluster.remote.sw.mode", ""), "proxy");
  EXPECT_FALSE(flat.contains("cluster.remote.sw.seeds"));
  EXPECT_FALSE(flat.contains("cluster.remote.sw.skip_unavailable"));
  saved.attributes = spec.attributes;

  // Delete nulls every key of the alias, also one set by hand meanwhile.
  Twin("onprem", "PUT", "/_cluster/settings",
       Value{{"persistent", {{"cluster.remote.sw.proxy_socket_connections", 5}}}});
  ASSERT_TRUE(Do(ChangeAction::kDelete, nullptr, &saved).status.ok());
  flat = Twin("onprem", "GET", "/_cluster/settings?flat_settings=true")["persistent"];
  for (auto it = flat.begin(); it != flat.end(); ++it) {
    EXPECT_NE(it.key().rfind("cluster.remote.sw.", 0), 0u) << it.key();
  }
  EXPECT_TRUE(Do(ChangeAction::kDelete, nullptr, &saved).status.ok());  // nothing left: fine
  EXPECT_FALSE(Read("onprem", {Item(spec, &saved)}).objects.at(spec.address).exists);
}

TEST_F(ProviderTest, SomeoneElsesAliasIsRefusedButAnEqualOneIsAdopted) {
  LoadTopology(Connection("foreign") + Connection("same"));
  Twin("onprem", "PUT", "/_cluster/settings",
       Value{{"persistent",
              {{"cluster.remote.foreign.mode", "proxy"},
               {"cluster.remote.foreign.proxy_address", "10.0.0.1:9443"}}}});
  const auto& foreign = Spec("es_remote_cluster.onprem.foreign");
  const auto& same = Spec("es_remote_cluster.onprem.same");
  ASSERT_TRUE(Do(ChangeAction::kCreate, &same, nullptr).status.ok());  // then "crash"
  ReadResponse read = Read("onprem", {Item(foreign), Item(same)});
  ASSERT_TRUE(read.status.ok());
  const LiveObject& f = read.objects.at(foreign.address);
  EXPECT_TRUE(f.exists);
  EXPECT_FALSE(f.managed_by_crosslink);
  PlanResponse plan = PlanOf(&foreign, nullptr, &f);
  ASSERT_TRUE(plan.diagnostics.has_errors());
  const std::string msg = plan.diagnostics.ToString();
  EXPECT_NE(
      msg.find("alias \"foreign\" is already configured on cluster \"onprem\" by someone else"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("pick another alias"), std::string::npos) << msg;
  EXPECT_TRUE(read.objects.at(same.address).managed_by_crosslink);
  EXPECT_FALSE(PlanOf(&same, nullptr, &read.objects.at(same.address)).diagnostics.has_errors());
  state::ResourceState s1, s2;
  s1.address = foreign.address, s1.type = foreign.type, s1.cluster = "onprem";
  s2.address = same.address, s2.type = same.type, s2.cluster = "onprem";
  s2.attributes = same.attributes;
  EXPECT_TRUE(Do(ChangeAction::kDelete, nullptr, &s2).status.ok());
  Twin("onprem", "PUT", "/_cluster/settings",
       Value{{"persistent", {{"cluster.remote.foreign.*", nullptr}}}});
}

// ---------------------------------------------------------------- roles

TEST_F(ProviderTest, RoleLifecycleComparesSemantically) {
  LoadTopology(Connection("roles",
                          "    roles:\n"
                          "      - name: remote-search\n"
                          "        remote_indices:\n"
                          "          - { clusters: [roles], names: \"logs-*\", privileges: [read, "
                          "read_cross_cluster] }\n"));
  const auto& spec = Spec("es_role.onprem.remote-search");
  ApplyResponse put = Do(ChangeAction::kCreate, &spec, nullptr);
  ASSERT_TRUE(put.status.ok()) << put.status.ToString();
  Value stored = Twin("onprem", "GET", "/_security/role/remote-search")["remote-search"];
  EXPECT_EQ(stored["metadata"].value("managed-by", ""), "crosslink");
  state::ResourceState saved = Saved(spec, put);

  ReadResponse read = Read("onprem", {Item(spec, &saved)});
  ASSERT_TRUE(read.status.ok());
  const LiveObject& live = read.objects.at(spec.address);
  EXPECT_TRUE(live.exists);
  EXPECT_TRUE(live.managed_by_crosslink);
  // ES stores names as arrays, adds empty lists and transient_metadata: no-op.
  EXPECT_EQ(PlanOf(&spec, &saved, &live).action, ChangeAction::kNoOp);

  Value changed = spec.attributes;
  changed["body"]["cluster"] = {"monitor"};
  EXPECT_EQ(PlanOf(&spec, &saved, &live, changed).action, ChangeAction::kUpdate);
  ASSERT_TRUE(Do(ChangeAction::kUpdate, &spec, &saved, changed).status.ok());
  stored = Twin("onprem", "GET", "/_security/role/remote-search")["remote-search"];
  EXPECT_EQ(stored["cluster"][0], "monitor");

  // Not named by any item: an orphan found through its mark.
  ReadResponse orphans = Read("onprem", {});
  bool found = false;
  for (const Orphan& o : orphans.orphans) found = found || o.address == spec.address;
  EXPECT_TRUE(found);

  ASSERT_TRUE(Do(ChangeAction::kDelete, nullptr, &saved).status.ok());
  EXPECT_TRUE(Do(ChangeAction::kDelete, nullptr, &saved).status.ok());  // 404 is fine
  EXPECT_FALSE(Read("onprem", {Item(spec, &saved)}).objects.at(spec.address).exists);
}

// ---------------------------------------------------------------- connection check

TEST_F(ProviderTest, ConnectionCheckPassesOnceTheCredentialIsLoaded) {
  LoadTopology(Connection("ok"));
  const auto& key = Spec("es_cross_cluster_api_key.onprem.ok");
  const auto& settings = Spec("es_remote_cluster.onprem.ok");
  const auto& check = Spec("es_remote_connection_check.onprem.ok");
  ApplyResponse created = Do(ChangeAction::kCreate, &key, nullptr);
  ASSERT_TRUE(created.status.ok()) << created.status.ToString();
  const Secret encoded = created.result.sensitive_outputs.at("encoded");
  secrets_.push_back(encoded.expose());
  AddCredential("ok", encoded);
  ASSERT_TRUE(Do(ChangeAction::kCreate, &settings, nullptr).status.ok());

  ApplyResponse verified = Do(ChangeAction::kCreate, &check, nullptr);
  ASSERT_TRUE(verified.status.ok()) << verified.status.ToString();
  EXPECT_TRUE(verified.result.outputs.value("connected", false));
  EXPECT_TRUE(verified.result.outputs.value("credentials", false));
  ReadResponse read = Read("onprem", {Item(check)});
  ASSERT_TRUE(read.objects.at(check.address).exists);
  EXPECT_EQ(PlanOf(&check, nullptr, &read.objects.at(check.address)).action, ChangeAction::kNoOp);

  // Invalidating the key on the remote breaks it, for real.
  state::ResourceState saved = Saved(key, created);
  ASSERT_TRUE(Do(ChangeAction::kDelete, nullptr, &saved).status.ok());
  read = Read("onprem", {Item(check)});
  EXPECT_FALSE(read.objects.at(check.address).exists);
  EXPECT_EQ(PlanOf(&check, nullptr, &read.objects.at(check.address)).action, ChangeAction::kCreate);
}

TEST_F(ProviderTest, ConnectionCheckWithoutCredentialNamesTheKeystore) {
  LoadTopology(Connection("nocred"));
  provider_ = MakeProvider(std::chrono::milliseconds(300));
  ASSERT_TRUE(
      Do(ChangeAction::kCreate, &Spec("es_remote_cluster.onprem.nocred"), nullptr).status.ok());
  ApplyResponse r =
      Do(ChangeAction::kCreate, &Spec("es_remote_connection_check.onprem.nocred"), nullptr);
  ASSERT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  const std::string& m = r.status.message();
  EXPECT_NE(m.find("cluster \"onprem\": remote cluster \"nocred\" is not connected"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("credentials absent"), std::string::npos) << m;
  EXPECT_NE(m.find("cluster.remote.nocred.credentials is missing or not loaded"), std::string::npos)
      << m;
}

TEST_F(ProviderTest, ConnectionCheckWithWrongServerNameNamesTls) {
  LoadTopology(Connection("badsni"));
  provider_ = MakeProvider(std::chrono::milliseconds(300));
  ApplyResponse created =
      Do(ChangeAction::kCreate, &Spec("es_cross_cluster_api_key.onprem.badsni"), nullptr);
  ASSERT_TRUE(created.status.ok());
  secrets_.push_back(created.result.sensitive_outputs.at("encoded").expose());
  AddCredential("badsni", created.result.sensitive_outputs.at("encoded"));
  Value attrs = Spec("es_remote_cluster.onprem.badsni").attributes;
  attrs["server_name"] = "other.example.com";
  ASSERT_TRUE(Do(ChangeAction::kCreate, &Spec("es_remote_cluster.onprem.badsni"), nullptr, attrs)
                  .status.ok());
  ApplyResponse r =
      Do(ChangeAction::kCreate, &Spec("es_remote_connection_check.onprem.badsni"), nullptr);
  ASSERT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  const std::string& m = r.status.message();
  EXPECT_NE(m.find("server_name other.example.com, connected false, credentials present"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("must name server_name \"other.example.com\""), std::string::npos) << m;
  EXPECT_EQ(m.find("missing or not loaded"), std::string::npos) << m;
}

// ---------------------------------------------------------------- bad input

TEST_F(ProviderTest, WrongPasswordIsPermissionDeniedNamingTheCredentials) {
  LoadTopology(Connection("pw"));
  std::ofstream(*dir_ + "/onprem.password") << "not-the-password\n";
  provider_ = MakeProvider();  // endpoints are resolved (and cached) on first use
  ReadResponse r = Read("onprem", {Item(Spec("es_remote_cluster.onprem.pw"))});
  EXPECT_EQ(r.status.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status.message().find("credentials for cluster \"onprem\" were rejected"),
            std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("${file:./onprem.password}"), std::string::npos);
  EXPECT_TRUE(r.objects.empty());
}

TEST_F(ProviderTest, UnreachableUrlIsUnavailableNamingTheUrl) {
  LoadTopology(Connection("down"), "");
  topology_->clusters["onprem"].url = "https://127.0.0.1:1";
  provider_ = MakeProvider();
  ReadResponse r = Read("onprem", {Item(Spec("es_remote_cluster.onprem.down"))});
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(r.status.retryable());
  EXPECT_NE(r.status.message().find("https://127.0.0.1:1"), std::string::npos)
      << r.status.message();
}

TEST_F(ProviderTest, UntrustedCertificateNamesTheCaFile) {
  LoadTopology(Connection("tls"));
  topology_->clusters["onprem"].ca_file = Env("ANALYTICS_CA_FILE");  // the wrong CA
  provider_ = MakeProvider();
  ReadResponse r = Read("onprem", {Item(Spec("es_remote_cluster.onprem.tls"))});
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status.message().find("ca_file " + Env("ANALYTICS_CA_FILE")), std::string::npos)
      << r.status.message();
}

TEST_F(ProviderTest, MissingCredentialsOrUrlAreClearErrors) {
  LoadTopology(Connection("nocreds"));
  topology_->clusters["onprem"].credentials = topology::Credentials{};
  topology_->clusters["analytics"].url.clear();
  provider_ = MakeProvider();
  ReadResponse r = Read("onprem", {Item(Spec("es_remote_cluster.onprem.nocreds"))});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("set credentials.username/password"), std::string::npos)
      << r.status.message();
  r = Read("analytics", {Item(Spec("es_cross_cluster_api_key.onprem.nocreds"))});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("cluster \"analytics\" (platform ech): set url"),
            std::string::npos)
      << r.status.message();
  EXPECT_TRUE(log_->requests().empty());
}

TEST_F(ProviderTest, ReadIsOneRequestPerKindPerCluster) {
  LoadTopology(Connection("b1", "    roles:\n      - { name: b-role, cluster: [monitor] }\n") +
               Connection("b2"));
  std::vector<ReadItem> local;
  for (const auto& [address, spec] : specs_) {
    if (spec.cluster == "onprem") local.push_back(Item(spec));
  }
  ASSERT_EQ(local.size(), 5u);  // 2 settings, 2 checks, 1 role
  ReadResponse r = Read("onprem", local);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.objects.size(), 5u);
  // settings, remote info, roles, and the key query that finds orphans.
  EXPECT_EQ(log_->requests().size(), 4u);
}

}  // namespace
}  // namespace crosslink::providers::elasticsearch
