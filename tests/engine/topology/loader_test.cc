// Loading topologies end to end: the shared good example, defaults, warnings,
// locations, digests and secrets that must never leak into messages.
#include "engine/topology/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "engine/topology/secret_ref.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::topology {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kGoodFile =
    std::string(CROSSLINK_SOURCE_DIR) + "/tests/data/topology/good/four_platforms.yaml";

class LoaderTest : public ::testing::Test {
 protected:
  std::optional<Topology> Load(const std::string& yaml, const std::string& name = "topo.yaml") {
    diags_ = Diagnostics();
    return LoadTopologyString(yaml, name, &diags_);
  }
  Diagnostics diags_;
};

TEST_F(LoaderTest, GoodExampleBuildsTheExpectedModel) {
  auto disk = NewPosixFileSystem();
  Result<std::string> text = disk->ReadFile(kGoodFile);
  ASSERT_TRUE(text.ok());
  fakes::MemFileSystem fs;
  fs.SetFile("examples/four_platforms.yaml", *text);
  Diagnostics diags;
  std::optional<Topology> t = LoadTopologyFile("examples/four_platforms.yaml", fs, &diags);
  ASSERT_TRUE(t.has_value()) << diags.ToString();
  EXPECT_TRUE(diags.empty()) << diags.ToString();
  EXPECT_EQ(t->file, "examples/four_platforms.yaml");
  EXPECT_EQ(t->version, 1);
  EXPECT_EQ(t->digest, Sha256Hex(*text));

  ASSERT_EQ(t->environments.size(), 3u);
  const Environment& k8s = t->environments.at("k8s-prod");
  EXPECT_EQ(k8s.platform, Platform::kEck);
  EXPECT_EQ(k8s.kubeconfig, "~/.kube/config");
  EXPECT_EQ(k8s.context, "prod");
  EXPECT_EQ(k8s.version, "2.16.1");
  EXPECT_FALSE(k8s.api_key.present());
  const Environment& cloud = t->environments.at("cloud");
  EXPECT_EQ(cloud.platform, Platform::kEch);
  EXPECT_EQ(cloud.endpoint, "https://api.elastic-cloud.com") << "schema default";
  EXPECT_EQ(cloud.api_key.kind, SecretRef::Kind::kEnv) << "schema default ${env:EC_API_KEY}";
  EXPECT_EQ(cloud.api_key.name, "EC_API_KEY");
  EXPECT_EQ(cloud.api_key.field, "environments.cloud.api_key");
  EXPECT_EQ(cloud.organization_id, "1053523734");
  const Environment& dc1 = t->environments.at("dc1");
  EXPECT_EQ(dc1.platform, Platform::kEce);
  EXPECT_EQ(dc1.endpoint, "https://ece.dc1.example.com:12443");
  EXPECT_EQ(dc1.api_key.Describe(), "${env:ECE_API_KEY}");
  EXPECT_EQ(dc1.ca_file, "./ece-api-ca.pem");
  EXPECT_EQ(dc1.version, "3.7.2");

  ASSERT_EQ(t->clusters.size(), 5u);
  const Cluster* logs = t->FindCluster("logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->platform, Platform::kEck);
  EXPECT_EQ(logs->environment, "k8s-prod");
  EXPECT_EQ(logs->namespace_, "observability");
  EXPECT_EQ(logs->es_name, "logs");
  EXPECT_EQ(logs->version, "8.15.0");
  EXPECT_EQ(logs->location.ToString(), "examples/four_platforms.yaml:26:3");
  const Cluster* metrics = t->FindCluster("metrics");
  ASSERT_NE(metrics, nullptr);
  EXPECT_EQ(metrics->namespace_, "default") << "schema default";
  EXPECT_EQ(metrics->es_name, "metrics") << "defaults to the key";
  const Cluster* analytics = t->FindCluster("analytics");
  ASSERT_NE(analytics, nullptr);
  EXPECT_EQ(analytics->platform, Platform::kEch);
  EXPECT_EQ(analytics->deployment_id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(analytics->credentials.username, "elastic");
  EXPECT_EQ(analytics->credentials.password.Describe(), "${env:ANALYTICS_PASSWORD}");
  EXPECT_FALSE(analytics->credentials.api_key.present());
  const Cluster* archive = t->FindCluster("archive");
  ASSERT_NE(archive, nullptr);
  EXPECT_EQ(archive->platform, Platform::kEce);
  EXPECT_EQ(archive->ref_id, "main-elasticsearch");
  EXPECT_EQ(archive->credentials.password.kind, SecretRef::Kind::kFile);
  EXPECT_EQ(archive->credentials.password.name, "secrets/archive.password");
  const Cluster* onprem = t->FindCluster("onprem");
  ASSERT_NE(onprem, nullptr);
  EXPECT_EQ(onprem->platform, Platform::kSelf);
  EXPECT_TRUE(onprem->environment.empty());
  EXPECT_EQ(onprem->url, "https://es1.dc1.example.com:9200");
  EXPECT_EQ(onprem->ca_file, "./onprem-http-ca.pem");
  EXPECT_EQ(onprem->remote_cluster_address, "es1.dc1.example.com:9443");
  ASSERT_EQ(onprem->nodes.size(), 2u);
  EXPECT_EQ(onprem->nodes[0].name, "es1");
  EXPECT_EQ(onprem->nodes[0].kind, NodeDelivery::Kind::kLocal);
  EXPECT_EQ(onprem->nodes[0].home, "/usr/share/elasticsearch");
  EXPECT_EQ(onprem->nodes[0].restart, "systemctl restart elasticsearch");
  EXPECT_THAT(onprem->nodes[0].hosts, ElementsAre("es1.dc1.example.com", "10.0.0.11"));
  EXPECT_EQ(onprem->nodes[1].kind, NodeDelivery::Kind::kLocal) << "local is the default";
  EXPECT_EQ(onprem->nodes[1].home, "/opt/es2/elasticsearch");

  ASSERT_EQ(t->connections.size(), 4u);
  const Connection& c0 = t->connections[0];
  EXPECT_EQ(c0.Describe(), "analytics->logs (alias logs)");
  EXPECT_EQ(c0.security, SecurityModel::kApiKey) << "schema default";
  EXPECT_EQ(c0.mode, ConnectionMode::kProxy) << "schema default";
  EXPECT_FALSE(c0.skip_unavailable.has_value());
  ASSERT_EQ(c0.access.search.size(), 1u);
  EXPECT_THAT(c0.access.search[0].names, ElementsAre("logs-*"));
  EXPECT_EQ(c0.access.search[0].field_security,
            Value::parse(R"({"grant": ["@timestamp", "message", "host.*"]})"));
  EXPECT_TRUE(c0.access.search[0].query.is_null());
  EXPECT_FALSE(c0.access.search[0].allow_restricted_indices);
  ASSERT_EQ(c0.roles.size(), 1u);
  EXPECT_EQ(c0.roles[0].name, "remote-logs-reader");
  EXPECT_EQ(c0.roles[0].body, Value::parse(R"({"remote_indices": [{"clusters": ["logs"],
      "names": ["logs-*"], "privileges": ["read", "read_cross_cluster", "view_index_metadata"]}]})"))
      << "the body is the role descriptor without its name";
  const Connection& c1 = t->connections[1];
  EXPECT_EQ(c1.alias, "metrics") << "the alias defaults to the remote's name";
  EXPECT_EQ(c1.mode, ConnectionMode::kSniff);
  EXPECT_EQ(c1.skip_unavailable, std::optional<bool>(true));
  ASSERT_EQ(c1.access.search.size(), 1u);
  EXPECT_THAT(c1.access.search[0].names, ElementsAre("metrics-*"))
      << "a single name is a list of one";
  const Connection& c2 = t->connections[2];
  EXPECT_TRUE(c2.access.search.empty());
  ASSERT_EQ(c2.access.replication.size(), 1u);
  EXPECT_THAT(c2.access.replication[0].names, ElementsAre("orders"));
  const Connection& c3 = t->connections[3];
  EXPECT_EQ(c3.security, SecurityModel::kCertificate);
  EXPECT_EQ(c3.proxy_address, "es1.dc1.example.com:9300");
  EXPECT_EQ(c3.server_name, "es1.dc1.example.com");
  EXPECT_TRUE(c3.access.empty());
  ASSERT_EQ(c3.roles.size(), 1u);
  EXPECT_TRUE(c3.roles[0].body.contains("indices"));
}

TEST_F(LoaderTest, BundleNodeKeepsItsDirectory) {
  fakes::MemFileSystem fs;
  fs.SetFile("topo.yaml", R"(version: 1
clusters:
  onprem:
    platform: self
    url: https://es1.example.com:9200
    nodes:
      - { name: es1, home: /usr/share/elasticsearch }
      - { name: es2, delivery: bundle, bundle_dir: ./bundles/es2, hosts: [es2.example.com] }
)");
  Diagnostics diags;
  std::optional<Topology> t = LoadTopologyFile("topo.yaml", fs, &diags);
  ASSERT_TRUE(t.has_value()) << diags.ToString();
  const Cluster* onprem = t->FindCluster("onprem");
  ASSERT_NE(onprem, nullptr);
  ASSERT_EQ(onprem->nodes.size(), 2u);
  EXPECT_EQ(onprem->nodes[1].kind, NodeDelivery::Kind::kBundle);
  EXPECT_EQ(onprem->nodes[1].bundle_dir, "./bundles/es2");
  EXPECT_THAT(onprem->nodes[1].hosts, ElementsAre("es2.example.com"));
}

TEST_F(LoaderTest, FileSecretsResolveRelativeToTheTopologyDirectory) {
  fakes::MemFileSystem fs;
  fs.SetFile("conf/topo.yaml", R"(version: 1
clusters:
  onprem:
    platform: self
    url: https://es1.example.com:9200
    credentials: { username: admin, password: "${file:./secrets/pw}" }
)");
  fs.SetFile("conf/secrets/pw", "s3cret-value\n");
  Diagnostics diags;
  std::optional<Topology> t = LoadTopologyFile("conf/topo.yaml", fs, &diags);
  ASSERT_TRUE(t.has_value()) << diags.ToString();
  const SecretRef& ref = t->FindCluster("onprem")->credentials.password;
  EXPECT_EQ(ref.location.ToString(), "conf/topo.yaml:6:47");
  Result<Secret> secret = ResolveSecret(ref, TopologyDirectory(t->file), fs);
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(secret->expose(), "s3cret-value");
}

TEST_F(LoaderTest, MinimalConnectionGetsEveryDefault) {
  auto t = Load(R"(version: 1
environments:
  k8s: { platform: eck }
clusters:
  logs: { environment: k8s }
  search: { environment: k8s }
connections:
  - { local: search, remote: logs, access: { search: [ { names: "*" } ] } }
)");
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_TRUE(diags_.empty());
  const Connection& c = t->connections.at(0);
  EXPECT_EQ(c.alias, "logs");
  EXPECT_EQ(c.security, SecurityModel::kApiKey);
  EXPECT_EQ(c.mode, ConnectionMode::kProxy);
  EXPECT_FALSE(c.skip_unavailable.has_value());
  EXPECT_TRUE(c.seeds.empty());
  EXPECT_EQ(t->FindCluster("search")->namespace_, "default");
  EXPECT_EQ(t->FindCluster("search")->es_name, "search");
  EXPECT_EQ(t->FindEnvironment("k8s")->kubeconfig, "")
      << "empty means $KUBECONFIG or ~/.kube/config";
  EXPECT_EQ(t->FindEnvironment("nope"), nullptr);
  EXPECT_EQ(t->FindCluster("nope"), nullptr);
}

TEST_F(LoaderTest, WarningsAloneStillLoadTheTopology) {
  auto t = Load(R"(version: 1
clusters:
  onprem:
    platform: self
    url: https://es1.example.com:9200
    credentials: { username: admin, password: correct-horse-battery }
)");
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_EQ(diags_.warning_count(), 1u);
  EXPECT_EQ(diags_.error_count(), 0u);
  EXPECT_EQ(diags_.ToString(),
            "topo.yaml:6:47: warning: clusters.onprem.credentials.password: secret given inline; "
            "use ${env:NAME} or ${file:path}\n"
            "  hint: an inline secret travels with the file into version control, logs and "
            "backups\n");
  const SecretRef& ref = t->FindCluster("onprem")->credentials.password;
  EXPECT_EQ(ref.kind, SecretRef::Kind::kInline);
  EXPECT_EQ(ref.Describe(), "(inline)");
}

TEST_F(LoaderTest, SecretValuesNeverAppearInDiagnostics) {
  auto t = Load(R"(version: 1
environments:
  cloud: { platform: ech, api_key: AbCdEfSecretKey123 }
clusters:
  a:
    platform: self
    url: https://a.example.com:9200
    credentials: { username: admin, password: 9876543210 }
  b:
    platform: self
    url: https://b.example.com:9200
    credentials: { username: admin, password: "${env:NOT A NAME supersecret}" }
)");
  EXPECT_FALSE(t.has_value());
  const std::string text = diags_.ToString();
  EXPECT_THAT(text, HasSubstr("clusters.a.credentials.password: expected a string, got a number"));
  EXPECT_THAT(text, HasSubstr("environments.cloud.api_key: secret given inline"));
  EXPECT_THAT(text, HasSubstr("clusters.b.credentials.password: invalid environment variable"));
  EXPECT_THAT(text, Not(HasSubstr("AbCdEfSecretKey123")));
  EXPECT_THAT(text, Not(HasSubstr("9876543210")));
  EXPECT_THAT(text, Not(HasSubstr("supersecret")));
}

TEST_F(LoaderTest, DiagnosticsComeSortedByPositionWhateverFoundThem) {
  // The semantic error (unknown cluster, line 4) is found after the schema
  // error (line 9) but shown first.
  Load(R"(version: 1
connections:
  - local: a
    remote: nowhere
    access: { search: [ { names: "*" } ] }
clusters:
  a:
    platform: self
    url: 42
)");
  ASSERT_EQ(diags_.items().size(), 2u);
  EXPECT_EQ(diags_.items()[0].location.ToString(), "topo.yaml:4:13");
  EXPECT_EQ(diags_.items()[0].summary, "unknown cluster \"nowhere\"");
  EXPECT_EQ(diags_.items()[1].location.ToString(), "topo.yaml:9:10");
  EXPECT_EQ(diags_.items()[1].path, "clusters.a.url");
}

TEST_F(LoaderTest, ProblemsInOneFieldDoNotCascade) {
  // The environment's platform is wrong, so the cluster's platform is
  // unknown: no guess about which fields apply to it.
  Load(R"(version: 1
environments:
  k8s: { platform: kubernetes }
clusters:
  logs: { environment: k8s, namespace: observability, deployment_id: 0123456789abcdef0123456789abcdef }
)");
  ASSERT_EQ(diags_.items().size(), 1u) << diags_.ToString();
  EXPECT_EQ(diags_.items()[0].path, "environments.k8s.platform");
}

TEST_F(LoaderTest, Yaml11WordsStayStrings) {
  auto t = Load(R"(version: 1
environments:
  k8s: { platform: eck, context: no }
  cloud: { platform: ech, organization_id: "0042" }
)");
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_EQ(t->FindEnvironment("k8s")->context, "no");
  EXPECT_EQ(t->FindEnvironment("cloud")->organization_id, "0042");
}

TEST_F(LoaderTest, CertificateModelNeedsNoAccess) {
  auto t = Load(R"(version: 1
clusters:
  a: { platform: self, url: "https://a.example.com:9200", version: "8.19.0" }
  b: { platform: self, url: "https://b.example.com:9200" }
connections:
  - { local: a, remote: b, security: certificate }
)");
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_TRUE(diags_.empty()) << "8.19 is before the 9.0 deprecation: " << diags_.ToString();
}

TEST_F(LoaderTest, UnreadableFileIsOneError) {
  fakes::MemFileSystem fs;
  Diagnostics diags;
  EXPECT_FALSE(LoadTopologyFile("missing.yaml", fs, &diags).has_value());
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].location.ToString(), "missing.yaml");
  EXPECT_THAT(diags.items()[0].summary, HasSubstr("cannot read the topology file"));
}

TEST_F(LoaderTest, DigestIsTheSha256OfTheBytes) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string base = "version: 1\n";
  auto a = Load(base);
  ASSERT_TRUE(a.has_value()) << diags_.ToString();
  auto b = Load(base + "# a comment changes the bytes\n");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(a->digest, Sha256Hex(base));
  EXPECT_NE(a->digest, b->digest);
}

TEST_F(LoaderTest, ManyConnectionsLoad) {
  // Loading is meant to scale to thousands of connections (no timing here,
  // just the size).
  std::string yaml =
      "version: 1\nclusters:\n  hub: { platform: self, url: \"https://hub:9200\" }\n";
  const int kClusters = 2000;
  for (int i = 0; i < kClusters; ++i) {
    yaml += "  c" + std::to_string(i) + ": { platform: self, url: \"https://c" + std::to_string(i) +
            ":9200\" }\n";
  }
  yaml += "connections:\n";
  for (int i = 0; i < kClusters; ++i) {
    yaml += "  - { local: hub, remote: c" + std::to_string(i) +
            ", access: { search: [ { names: \"*\" } ] } }\n";
  }
  auto t = Load(yaml);
  ASSERT_TRUE(t.has_value()) << diags_.ToString();
  EXPECT_EQ(t->connections.size(), static_cast<size_t>(kClusters));
  EXPECT_EQ(t->connections.back().alias, "c1999");
}

}  // namespace
}  // namespace crosslink::topology
