// The connection matrix of DOMAIN.md §1 (issue #7, "Every cell works"): every
// local platform (ECK, ECH, ECE, self-managed) x every remote platform x both
// security models, plus the variants a platform tells apart — ECK -> ECK
// under the same operator or another, ECH -> ECH in the same organization or
// another, ECE -> ECE in the same installation or another — each row one
// connection local -> remote through the shipped crosslink, in a fresh
// sandbox holding only the row's clusters (sandbox/configs/matrix.yaml):
//
//   validate ok -> plan (creates, exit 2) -> apply -> _remote/info connected
//   (with cluster credentials for the API key model) -> plan again (no
//   changes, exit 0) -> destroy -> nothing of crosslink's left on either
//   side, and no secret in any output, log, state or plan.
//
// "Nothing left" is measured against a snapshot taken before the first run:
// the ECK Elasticsearch specs and crosslink-labelled objects, the Cloud
// deployments' keystore listings and trust settings, each with a user's
// entry seeded before (CloudTest::SeedUserEntries) (and an ECE
// installation's trust relationships), the self-managed nodes' files and
// keystores (byte-identical), the clusters' persistent settings and their
// active API keys; the state holds no resource. The first plan creates exactly
// the cell's resources of its model; a certificate connection has no cluster
// credentials and makes no API key, an API key connection has both (the
// key's expected name). The secret scan runs after apply and at the end.
//
// The second suite holds the impossible cells: combinations DOMAIN.md rules
// out, which `crosslink validate` refuses with file:line:col, the field and
// the reason.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/self_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kConfig[] = "matrix.yaml";

enum class Model { kApiKey, kCertificate };

// One cell: a connection `local` -> `remote` (cluster keys of matrix.yaml),
// and what the first plan creates for it with each model: the steps of the
// cell in DOMAIN.md §1.1 (API key) and §1.2 (certificate), as resources.
// Every cell also verifies the connection (es_remote_connection_check) and
// reads what it needs (CAs, endpoints).
struct Cell {
  std::string name;  // test name, e.g. EckToSelf
  std::string local;
  std::string remote;
  std::vector<std::string> api_key;      // addresses "will be created"
  std::vector<std::string> certificate;  // addresses "will be created"
};

// The cells of both models: 4 x 4 platforms, the same-platform ones split by
// whether both clusters share their environment.
const std::vector<Cell>& Cells() {
  static const std::vector<Cell> cells = {
      {"EckToEckSameOperator", "eck1", "eck2",
       {"eck_remote_cluster_server.eck2", "eck_same_operator_remote.eck1.eck2"},
       {"eck_same_operator_remote.eck1.eck2"}},
      {"EckToEckOtherOperator", "eck1", "eck3",
       {"eck_remote_cluster_server.eck3", "eck_remote_cluster_service.eck3",
        "eck_remote_client_tls.eck1", "es_cross_cluster_api_key.eck1.eck3",
        "eck_remote_credential.eck1.eck3", "es_remote_cluster.eck1.eck3"},
       {"eck_transport_service.eck3", "eck_transport_trust.eck1", "eck_transport_trust.eck3",
        "es_remote_cluster.eck1.eck3"}},
      {"EckToEch", "eck1", "ech1",
       {"eck_remote_client_tls.eck1", "es_cross_cluster_api_key.eck1.ech1",
        "eck_remote_credential.eck1.ech1", "es_remote_cluster.eck1.ech1"},
       {"eck_cloud_trust.eck1", "ec_trust_direct.ech1.eck.eck1", "es_remote_cluster.eck1.ech1"}},
      {"EckToEce", "eck1", "ece1",
       {"eck_remote_client_tls.eck1", "es_cross_cluster_api_key.eck1.ece1",
        "eck_remote_credential.eck1.ece1", "es_remote_cluster.eck1.ece1"},
       {"eck_cloud_trust.eck1", "ec_trust_direct.ece1.eck.eck1", "es_remote_cluster.eck1.ece1"}},
      {"EckToSelf", "eck1", "self1",
       {"self_rcs_certificate.self1", "eck_remote_client_tls.eck1",
        "self_remote_cluster_server.self1", "es_cross_cluster_api_key.eck1.self1",
        "eck_remote_credential.eck1.self1", "es_remote_cluster.eck1.self1"},
       {"eck_transport_trust.eck1", "self_transport_trust.self1", "es_remote_cluster.eck1.self1"}},
      {"EchToEck", "ech1", "eck1",
       {"eck_remote_cluster_server.eck1", "eck_remote_cluster_service.eck1",
        "ec_trust_api_key_ca.ech1.eck.eck1", "es_cross_cluster_api_key.ech1.eck1",
        "ec_keystore_credential.ech1.eck1", "es_remote_cluster.ech1.eck1"},
       {"eck_cloud_trust.eck1", "ec_trust_direct.ech1.eck.eck1", "eck_transport_service.eck1",
        "es_remote_cluster.ech1.eck1"}},
      {"EchToEchSameOrganization", "ech1", "ech2",
       {"es_cross_cluster_api_key.ech1.ech2", "ec_keystore_credential.ech1.ech2",
        "es_remote_cluster.ech1.ech2"},
       {"ec_trust_accounts.ech1.cloud-a", "ec_trust_accounts.ech2.cloud-a",
        "es_remote_cluster.ech1.ech2"}},
      {"EchToEchOtherOrganization", "ech1", "ech3",
       {"es_cross_cluster_api_key.ech1.ech3", "ec_keystore_credential.ech1.ech3",
        "es_remote_cluster.ech1.ech3"},
       {"ec_trust_accounts.ech1.cloud-b", "ec_trust_accounts.ech3.cloud-a",
        "es_remote_cluster.ech1.ech3"}},
      {"EchToEce", "ech1", "ece1",
       {"ec_trust_api_key_ca.ech1.ece.ece-a", "es_cross_cluster_api_key.ech1.ece1",
        "ec_keystore_credential.ech1.ece1", "es_remote_cluster.ech1.ece1"},
       {"ec_trust_direct.ece1.ech.cloud-a", "ec_trust_direct.ech1.ece.ece-a",
        "es_remote_cluster.ech1.ece1"}},
      {"EchToSelf", "ech1", "self1",
       {"self_rcs_certificate.self1", "ec_trust_api_key_ca.ech1.self.self1",
        "self_remote_cluster_server.self1", "es_cross_cluster_api_key.ech1.self1",
        "ec_keystore_credential.ech1.self1", "es_remote_cluster.ech1.self1"},
       {"ec_trust_direct.ech1.self.self1", "self_transport_trust.self1",
        "self_trust_restrictions.self1", "es_remote_cluster.ech1.self1"}},
      {"EceToEck", "ece1", "eck1",
       {"eck_remote_cluster_server.eck1", "eck_remote_cluster_service.eck1",
        "ec_trust_api_key_ca.ece1.eck.eck1", "es_cross_cluster_api_key.ece1.eck1",
        "ec_keystore_credential.ece1.eck1", "es_remote_cluster.ece1.eck1"},
       {"eck_cloud_trust.eck1", "ec_trust_direct.ece1.eck.eck1", "eck_transport_service.eck1",
        "es_remote_cluster.ece1.eck1"}},
      {"EceToEch", "ece1", "ech1",
       {"es_cross_cluster_api_key.ece1.ech1", "ec_keystore_credential.ece1.ech1",
        "es_remote_cluster.ece1.ech1"},
       {"ec_trust_direct.ece1.ech.cloud-a", "ec_trust_direct.ech1.ece.ece-a",
        "es_remote_cluster.ece1.ech1"}},
      {"EceToEceSameInstallation", "ece1", "ece2",
       {"ec_trust_api_key_ca.ece1.ece.ece-a", "es_cross_cluster_api_key.ece1.ece2",
        "ec_keystore_credential.ece1.ece2", "es_remote_cluster.ece1.ece2"},
       {"ec_trust_accounts.ece1.ece-a", "ec_trust_accounts.ece2.ece-a",
        "es_remote_cluster.ece1.ece2"}},
      {"EceToEceOtherInstallation", "ece1", "ece3",
       {"ec_trust_api_key_ca.ece1.ece.ece-b", "es_cross_cluster_api_key.ece1.ece3",
        "ec_keystore_credential.ece1.ece3", "es_remote_cluster.ece1.ece3"},
       {"ece_trust_relationship.ece-a.ece-b", "ec_trust_external.ece1.ece-b",
        "ece_trust_relationship.ece-b.ece-a", "ec_trust_external.ece3.ece-a",
        "es_remote_cluster.ece1.ece3"}},
      {"EceToSelf", "ece1", "self1",
       {"self_rcs_certificate.self1", "ec_trust_api_key_ca.ece1.self.self1",
        "self_remote_cluster_server.self1", "es_cross_cluster_api_key.ece1.self1",
        "ec_keystore_credential.ece1.self1", "es_remote_cluster.ece1.self1"},
       {"ec_trust_direct.ece1.self.self1", "self_transport_trust.self1",
        "self_trust_restrictions.self1", "es_remote_cluster.ece1.self1"}},
      {"SelfToEck", "self1", "eck1",
       {"eck_remote_cluster_server.eck1", "eck_remote_cluster_service.eck1",
        "es_cross_cluster_api_key.self1.eck1", "self_client_tls.self1",
        "self_keystore_credential.self1.eck1", "self_reload.self1", "es_remote_cluster.self1.eck1"},
       {"eck_transport_service.eck1", "eck_transport_trust.eck1", "self_transport_trust.self1",
        "es_remote_cluster.self1.eck1"}},
      {"SelfToEch", "self1", "ech1",
       {"es_cross_cluster_api_key.self1.ech1", "self_client_tls.self1",
        "self_keystore_credential.self1.ech1", "self_reload.self1", "es_remote_cluster.self1.ech1"},
       {"ec_trust_direct.ech1.self.self1", "self_transport_trust.self1",
        "self_trust_restrictions.self1", "es_remote_cluster.self1.ech1"}},
      {"SelfToEce", "self1", "ece1",
       {"es_cross_cluster_api_key.self1.ece1", "self_client_tls.self1",
        "self_keystore_credential.self1.ece1", "self_reload.self1", "es_remote_cluster.self1.ece1"},
       {"ec_trust_direct.ece1.self.self1", "self_transport_trust.self1",
        "self_trust_restrictions.self1", "es_remote_cluster.self1.ece1"}},
      {"SelfToSelf", "self1", "self2",
       {"self_rcs_certificate.self2", "self_client_tls.self1", "self_remote_cluster_server.self2",
        "es_cross_cluster_api_key.self1.self2", "self_keystore_credential.self1.self2",
        "self_reload.self1", "es_remote_cluster.self1.self2"},
       {"self_transport_trust.self1", "self_transport_trust.self2",
        "es_remote_cluster.self1.self2"}},
  };
  return cells;
}

// Test failures name the cell, not its bytes.
void PrintTo(const Cell& cell, std::ostream* os) {
  *os << cell.name << " (" << cell.local << " -> " << cell.remote << ")";
}

// A cluster of matrix.yaml as the topology needs it.
struct ClusterInfo {
  std::string platform;     // eck, ech, ece, self
  std::string environment;  // "" for self
  std::string ns;           // eck
};

// Per-row changes of the generated topology.
struct TopologyOptions {
  Model model = Model::kApiKey;
  std::map<std::string, std::string> version;           // cluster -> version (else 8.17.0)
  std::map<std::string, std::string> operator_version;  // eck environment -> version
  std::set<std::string> bundle_nodes;                   // self clusters whose node is a bundle
  std::string connection_extra;  // more lines of the connection (indented by 4)
};

// The base of the matrix fixtures: a sandbox of matrix.yaml pruned to some
// clusters, and the topology of one connection between two of them.
class MatrixBase : public SelfTest {
 protected:
  // Starts the sandbox with only `clusters` of matrix.yaml and their
  // environments (ECK restarts shortened), and exports every API key and
  // password as a user would from sandbox.env.
  void StartMatrixSandbox(const std::set<std::string>& clusters) {
    YAML::Node config =
        YAML::LoadFile(std::string(CROSSLINK_SOURCE_DIR) + "/sandbox/configs/" + kConfig);
    YAML::Node kept_clusters(YAML::NodeType::Map);
    std::set<std::string> envs;
    for (auto it : config["clusters"]) {
      const std::string name = it.first.as<std::string>();
      ClusterInfo info;
      info.environment = it.second["environment"] ? it.second["environment"].as<std::string>() : "";
      info.platform = info.environment.empty()
                          ? it.second["platform"].as<std::string>()
                          : config["environments"][info.environment]["platform"].as<std::string>();
      info.ns = it.second["namespace"] ? it.second["namespace"].as<std::string>() : "default";
      info_[name] = info;
      if (!clusters.count(name)) continue;
      kept_clusters[name] = it.second;
      if (!info.environment.empty()) envs.insert(info.environment);
    }
    for (const std::string& name : clusters) {
      ASSERT_TRUE(info_.count(name)) << name << " is not a cluster of " << kConfig;
    }
    YAML::Node kept_envs(YAML::NodeType::Map);
    for (const std::string& env : envs) {
      YAML::Node node = config["environments"][env];
      if (node["platform"].as<std::string>() == "eck") node["restart_ms"] = 50;
      kept_envs[env] = node;
    }
    YAML::Node pruned(YAML::NodeType::Map);
    if (!envs.empty()) pruned["environments"] = kept_envs;
    pruned["clusters"] = kept_clusters;
    YAML::Emitter emitter;
    emitter << pruned;
    StartSandbox(emitter.c_str());
    if (HasFatalFailure()) return;
    for (const auto& [key, value] : sandbox_->env()) {
      if (EndsWith(key, "_API_KEY") || EndsWith(key, "_PASSWORD")) env_vars_[key] = value;
    }
  }

  const ClusterInfo& Info(const std::string& cluster) { return info_.at(cluster); }

  // The topology of one connection local -> remote: the environments and
  // clusters as a user writes them from sandbox.env.
  std::string Topology(const std::string& local, const std::string& remote,
                       const TopologyOptions& o = {}) {
    std::set<std::string> envs;
    for (const std::string& c : {local, remote}) {
      if (!Info(c).environment.empty()) envs.insert(Info(c).environment);
    }
    std::string environments;
    for (const std::string& env : envs) {
      std::string platform;
      for (const auto& [name, info] : info_) {
        if (info.environment == env) platform = info.platform;
      }
      if (platform == "eck") {
        environments += EckEnvironment(env);
        auto v = o.operator_version.find(env);
        if (v != o.operator_version.end()) {
          environments += "    operator_version: \"" + v->second + "\"\n";
        }
      } else {
        environments += CloudEnvironment(env, platform, "${env:" + EnvPrefix(env) + "_API_KEY}");
      }
    }
    std::string out = envs.empty() ? "version: 1\nclusters:\n" : TopologyHead(environments);
    for (const std::string& c : std::set<std::string>{local, remote}) out += ClusterEntry(c, o);
    out += "connections:\n  - local: " + local + "\n    remote: " + remote +
           "\n    alias: " + remote + "\n";
    if (o.model == Model::kApiKey) {
      out += "    access: { search: [ { names: [\"logs-*\"] } ] }\n";
    } else {
      out += "    security: certificate\n";
    }
    return out + o.connection_extra;
  }

  std::string ClusterEntry(const std::string& name, const TopologyOptions& o) {
    const ClusterInfo& info = Info(name);
    auto v = o.version.find(name);
    const std::string version = v == o.version.end() ? "8.17.0" : v->second;
    if (info.platform == "eck") {
      return "  " + name + ": { environment: " + info.environment + ", namespace: " + info.ns +
             ", version: \"" + version + "\" }\n";
    }
    if (info.platform == "self") {
      std::string entry = SelfCluster(name);
      if (version != "8.17.0") {
        entry.replace(entry.find("\"8.17.0\""), 8, "\"" + version + "\"");
      }
      if (o.bundle_nodes.count(name)) {  // node-0's line, as a bundle node
        const size_t at = entry.find("      - { name: node-0,");
        entry.replace(at, entry.find('\n', at) + 1 - at,
                      "      - { name: node-0, delivery: bundle, bundle_dir: " +
                          Path("bundles/" + name) + " }\n");
      }
      return entry;
    }
    Deployment d;
    d.environment = info.environment;
    d.version = version;
    d.ca_file = info.platform == "ech";
    return DeploymentCluster(name, d);
  }

  std::map<std::string, ClusterInfo> info_;
};

// ------------------------------------------------------------------ cycle

class MatrixTest : public MatrixBase, public ::testing::WithParamInterface<Cell> {
 protected:
  ClusterRef Ref(const std::string& cluster) {
    const ClusterInfo& info = Info(cluster);
    return {cluster, info.platform, info.environment, info.ns, cluster};
  }

  // The cross-cluster key the remote issues for the cell (API key model):
  // crosslink's, or under one ECK operator the operator's,
  // eck-<local namespace>-<local>-<alias>.
  std::string ExpectedKeyName(const Cell& cell) {
    for (const std::string& address : cell.api_key) {
      if (address.rfind("eck_same_operator_remote.", 0) == 0) {
        return "eck-" + Info(cell.local).ns + "-" + cell.local + "-" + cell.remote;
      }
    }
    return "crosslink-" + cell.local + "-" + cell.remote;
  }

  // A key named `name` on `cluster` that is active and was not in `before`.
  bool NewActiveKey(const std::string& cluster, const std::string& name,
                    const std::set<std::string>& before) {
    for (const std::string& key : ActiveApiKeys(cluster)) {
      if (key.rfind(name + " (", 0) == 0 && !before.count(key)) return true;
    }
    return false;
  }

  void RunCycle(Model model) {
    const Cell& cell = GetParam();
    StartMatrixSandbox({cell.local, cell.remote});
    ASSERT_FALSE(HasFatalFailure());
    const bool api_key = model == Model::kApiKey;
    const ClusterBefore local_before = Snapshot(Ref(cell.local));
    const ClusterBefore remote_before = Snapshot(Ref(cell.remote));
    WriteTopology(Topology(cell.local, cell.remote, {.model = model}));

    Outcome validate = Crosslink(Args({"validate"}));
    ASSERT_EQ(validate.code, 0) << Show(validate);
    Outcome plan = SavePlan("create.plan");
    ASSERT_EQ(plan.code, 2) << Show(plan);
    // Exactly the model's resources: nothing of the other model's.
    const std::vector<std::string>& expected = api_key ? cell.api_key : cell.certificate;
    EXPECT_EQ(PlannedAddresses(plan.out, "be created"),
              std::set<std::string>(expected.begin(), expected.end()))
        << plan.out;
    const std::string alias = cell.local + "." + cell.remote;
    EXPECT_THAT(plan.out, HasSubstr("es_remote_connection_check." + alias + " will be verified"));
    // (The check is added too.)
    EXPECT_THAT(plan.out, HasSubstr("Plan: " + std::to_string(expected.size() + 1) +
                                    " to add, 0 to change, 0 to destroy."));

    Outcome apply = Apply();
    ASSERT_EQ(apply.code, 0) << Show(apply);
    EXPECT_TRUE(Connected(cell.local, cell.remote, api_key));
    if (api_key) {
      // The remote issued the connection's cross-cluster key (the operator
      // does it on its own thread under one ECK operator).
      const std::string name = ExpectedKeyName(cell);
      EXPECT_TRUE(Eventually([&] {
        return NewActiveKey(cell.remote, name, remote_before.active_keys);
      })) << "no new API key " << name << " on " << cell.remote << ": "
          << ::testing::PrintToString(ActiveApiKeys(cell.remote));
    } else {
      EXPECT_EQ(ActiveApiKeys(cell.remote), remote_before.active_keys)
          << "the certificate model made an API key on " << cell.remote;
    }
    // Once the connection is up, what the run put on the clusters is known:
    // the state now holds the encrypted keys.
    RememberClusterSecrets(Ref(cell.local));
    RememberClusterSecrets(Ref(cell.remote));
    ExpectNoSecretLeaked();
    ExpectNoChanges();

    Outcome destroy = Destroy();
    ASSERT_EQ(destroy.code, 0) << Show(destroy);
    EXPECT_THAT(StateAddresses(), IsEmpty());
    Value info;
    EXPECT_TRUE(Eventually([&] {
      info = Es(cell.local, "GET", "/_remote/info").json;
      return !info.contains(cell.remote);
    })) << "the alias is still declared on " << cell.local << ": " << info.dump();
    ExpectAsBefore(Ref(cell.local), local_before);
    ExpectAsBefore(Ref(cell.remote), remote_before);
    ExpectNoSecretLeaked();
  }
};

TEST_P(MatrixTest, ApiKey) { RunCycle(Model::kApiKey); }
TEST_P(MatrixTest, Certificate) { RunCycle(Model::kCertificate); }

INSTANTIATE_TEST_SUITE_P(Cells, MatrixTest, ::testing::ValuesIn(Cells()),
                         [](const ::testing::TestParamInfo<Cell>& info) {
                           return info.param.name;
                         });

// ------------------------------------------------------------------ impossible

// A combination DOMAIN.md rules out, refused by `crosslink validate`.
struct Impossible {
  std::string name;
  std::string local;
  std::string remote;
  std::function<void(TopologyOptions&)> change;
  std::string field;    // e.g. connections[0].security
  std::string message;  // a fragment of the reason
};

// `text` with the regex metacharacters it may hold escaped.
std::string Escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string("[].()*+?^$|\\").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

void PrintTo(const Impossible& cell, std::ostream* os) {
  *os << cell.name << " (" << cell.local << " -> " << cell.remote << ")";
}

class MatrixImpossibleTest : public MatrixBase,
                             public ::testing::WithParamInterface<Impossible> {};

const std::vector<Impossible>& ImpossibleCells() {
  using Options = TopologyOptions;
  static const std::vector<Impossible> cells = {
      {"ApiKeyLocalBelow814", "ech1", "self1",
       [](Options& o) { o.version["ech1"] = "8.13.4"; }, "connections[0].security",
       "the api_key security model needs Elasticsearch 8.14 or later, but cluster \"ech1\" is "
       "version 8.13.4"},
      {"ApiKeyRemoteBelow814", "self1", "ece1",
       [](Options& o) { o.version["ece1"] = "8.12.2"; }, "connections[0].security",
       "needs Elasticsearch 8.14 or later, but cluster \"ece1\" is version 8.12.2"},
      {"ApiKeyEckOperatorBelow216", "ech1", "eck1",
       [](Options& o) { o.operator_version["k8s-a"] = "2.15.0"; }, "connections[0].security",
       "the api_key security model needs ECK operator 2.16 or later, but environment \"k8s-a\" "
       "runs operator 2.15.0"},
      {"CertificateWithBundleNode", "eck1", "self1",
       [](Options& o) {
         o.model = Model::kCertificate;
         o.bundle_nodes.insert("self1");
       },
       "connections[0].security",
       "security: certificate needs the transport certificates of cluster \"self1\"'s nodes, but "
       "node \"node-0\" has delivery: bundle"},
      {"SniffToEch", "self1", "ech1",
       [](Options& o) { o.connection_extra = "    mode: sniff\n"; }, "connections[0].mode",
       "sniff mode cannot reach ech cluster \"ech1\" from outside its platform"},
      {"SniffToEce", "eck1", "ece1",
       [](Options& o) {
         o.model = Model::kCertificate;
         o.connection_extra = "    mode: sniff\n";
       },
       "connections[0].mode", "sniff mode cannot reach ece cluster \"ece1\""},
      {"SniffToEckOtherOperator", "eck1", "eck3",
       [](Options& o) { o.connection_extra = "    mode: sniff\n"; }, "connections[0].mode",
       "sniff mode cannot reach eck cluster \"eck3\" from outside its environment \"k8s-b\""},
      {"IncompatibleVersions", "eck1", "ech1",
       [](Options& o) { o.version["ech1"] = "9.1.0"; }, "connections[0].remote",
       "cluster \"eck1\" (version 8.17.0) cannot connect to remote cluster \"ech1\" (version "
       "9.1.0): remote clusters need compatible versions"},
      {"IncompatibleVersionsCertificate", "self1", "ece1",
       [](Options& o) {
         o.model = Model::kCertificate;
         o.version["self1"] = "8.18.2";
         o.version["ece1"] = "9.1.0";
       },
       "connections[0].remote", "8.18 with 9.0"},
      {"ToItself", "self1", "self1", [](Options&) {}, "connections[0].remote",
       "a cluster cannot be connected to itself"},
  };
  return cells;
}

TEST_P(MatrixImpossibleTest, ValidateRefuses) {
  const Impossible& cell = GetParam();
  StartMatrixSandbox({cell.local, cell.remote});
  ASSERT_FALSE(HasFatalFailure());
  TopologyOptions options;
  cell.change(options);
  WriteTopology(Topology(cell.local, cell.remote, options));
  Outcome validate = Crosslink(Args({"validate"}));
  EXPECT_EQ(validate.code, 1) << Show(validate);
  // file:line:col: error: <field>: <reason>
  EXPECT_THAT(validate.err, ContainsRegex("topology\\.yaml:[0-9]+:[0-9]+: error: " +
                                          Escaped(cell.field) + ": "))
      << Show(validate);
  EXPECT_THAT(validate.err, HasSubstr(cell.message)) << Show(validate);
  EXPECT_THAT(validate.err, HasSubstr("hint: ")) << Show(validate);
  ExpectNoSecretLeaked();
}

INSTANTIATE_TEST_SUITE_P(Cells, MatrixImpossibleTest, ::testing::ValuesIn(ImpossibleCells()),
                         [](const ::testing::TestParamInfo<Impossible>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace crosslink::e2e
