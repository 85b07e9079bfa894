// One topology over all four platforms (issue #7), by the shipped crosslink
// against sandbox/configs/mixed.yaml: two ECK operators (k8s: logs,
// metrics; k8s-b: apm), an ECH organization (central, analytics), an ECE
// installation with a private proxy chain (ops) and two self-managed
// clusters (onprem with two nodes, edge). Thirteen connections:
//
//   hub   central (ECH) -> logs (ECK, with a role), ops (ECE), onprem (self)
//         with API keys; -> analytics (ECH, same organization, a role on
//         both sides) and apm (ECK) with certificates
//   pairs ops <-> central (ECE <-> ECH, search / replication), logs <->
//         onprem (ECK <-> self), onprem <-> edge (self <-> self, certificates)
//   more  logs -> metrics (ECK, same operator), metrics -> apm (ECK, another
//         operator, certificates), ops -> onprem (ECE -> self, certificates)
//
// apm and onprem trust an Elastic Cloud CA, so their transport trust is
// restricted by subject name; the restrictions must also name their other
// certificate peers (metrics; edge), both ways.
//
// The cycle: validate; plan (exit 2); apply; every connection connected;
// re-plan empty. The user removes one spoke (central -> onprem) and one
// direction of a pair (onprem -> logs): the plan changes exactly what those
// two needed alone, apply (one change at a time) leaves the others connected
// and nothing of the two on either side. Then onprem's last Cloud peer
// (ops -> onprem) goes: its restrictions go, edge <-> onprem stay up.
// Destroy leaves nothing of crosslink's anywhere (SelfTest::ExpectAsBefore
// of every cluster): empty state, ECK specs as before and no object of
// crosslink's, Cloud keystores and trust settings as seeded, self-managed
// node files and keystores byte-identical, the same persistent settings and
// active API keys as before (every key crosslink, or the operator for it,
// made invalidated), no role; no secret in any output (scanned after the
// first apply and at the end). Two more tests: the whole topology applied
// one change at a time and then listed in reverse order (no change, and
// nothing left after destroy), and `crosslink graph` of the topology.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include <unistd.h>

#include "tests/e2e/self_fixture.h"

namespace crosslink::e2e {
namespace {

using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// One connection of the topology, as the test checks it.
struct Link {
  std::string local;
  std::string remote;
  bool api_key = true;
  std::string yaml;  // its entry under connections:
};

// The alias of every connection is the remote cluster's name.
const std::vector<Link>& Links() {
  static const std::vector<Link> links = {
      {"central", "logs", true, R"(  - local: central
    remote: logs
    access: { search: [ { names: ["logs-*"] } ] }
    roles:
      - name: central-logs-reader
        remote_indices:
          - { clusters: [logs], names: ["logs-*"], privileges: [read, read_cross_cluster] }
)"},
      {"central", "ops", true, R"(  - local: central
    remote: ops
    access: { search: [ { names: ["ops-*"] } ] }
)"},
      {"central", "onprem", true, R"(  - local: central
    remote: onprem
    access: { search: [ { names: ["orders-*"] } ] }
)"},
      {"central", "apm", false, "  - { local: central, remote: apm, security: certificate }\n"},
      {"central", "analytics", false, R"(  - local: central
    remote: analytics
    security: certificate
    roles:
      - name: central-analytics-reader
        indices:
          - { names: ["analytics-*"], privileges: [read, read_cross_cluster] }
)"},
      {"ops", "central", true, R"(  - local: ops
    remote: central
    access: { replication: [ { names: ["orders"] } ] }
)"},
      {"logs", "onprem", true, R"(  - local: logs
    remote: onprem
    access: { search: [ { names: ["orders-*"] } ] }
)"},
      {"onprem", "logs", true, R"(  - local: onprem
    remote: logs
    access: { search: [ { names: ["logs-*"] } ] }
)"},
      {"onprem", "edge", false, "  - { local: onprem, remote: edge, security: certificate }\n"},
      {"edge", "onprem", false, "  - { local: edge, remote: onprem, security: certificate }\n"},
      {"logs", "metrics", true, R"(  - local: logs
    remote: metrics
    access: { search: [ { names: ["metrics-*"] } ] }
)"},
      {"ops", "onprem", false, "  - { local: ops, remote: onprem, security: certificate }\n"},
      {"metrics", "apm", false, "  - { local: metrics, remote: apm, security: certificate }\n"},
  };
  return links;
}

std::string Name(const Link& link) { return link.local + "->" + link.remote; }

const Link& LinkNamed(const std::string& name) {
  for (const Link& link : Links()) {
    if (Name(link) == name) return link;
  }
  ADD_FAILURE() << "no connection " << name;
  return Links().front();
}

// What the user removes: one spoke of the hub and one direction of a pair.
const std::set<std::string> kRemoved = {"central->onprem", "onprem->logs"};
bool IsRemoved(const Link& link) { return kRemoved.count(Name(link)) > 0; }

// ECK clusters: cluster -> {environment, namespace}.
const std::map<std::string, std::pair<std::string, std::string>>& EckClusters() {
  static const std::map<std::string, std::pair<std::string, std::string>> clusters = {
      {"logs", {"k8s", "observability"}},
      {"metrics", {"k8s", "monitoring"}},
      {"apm", {"k8s-b", "apps"}}};
  return clusters;
}

// Cloud clusters: cluster -> environment.
const std::map<std::string, std::string>& CloudClusters() {
  static const std::map<std::string, std::string> clusters = {
      {"central", "cloud"}, {"analytics", "cloud"}, {"ops", "dc1"}};
  return clusters;
}

const std::vector<std::string> kSelfClusters = {"onprem", "edge"};

// The executable `name` in a directory of $PATH, "" when none.
std::string OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return "";
}

// The roles of the topology (central -> logs: on central; central ->
// analytics, certificate model: on both).
constexpr const char* kRoles[] = {"central-logs-reader", "central-analytics-reader"};

// The key the operator makes on metrics for logs -> metrics (same operator):
// eck-<local namespace>-<local name>-<alias>.
constexpr char kOperatorKey[] = "eck-observability-logs-metrics";

class MixedTest : public SelfTest {
 protected:
  // EC_API_KEY: the ech default; dc1 names its own key (ece has no default).
  void SetUp() override { StartCloudSandbox("mixed.yaml", /*ec_api_key=*/true); }

  // The topology without the connections named in `dropped` ("local->remote").
  std::string Topology(const std::set<std::string>& dropped = {}) {
    std::string out =
        TopologyHead(EckEnvironment("k8s") + EckEnvironment("k8s-b") +
                     CloudEnvironment("cloud", "ech") +
                     CloudEnvironment("dc1", "ece", "${env:DC1_API_KEY}"));
    for (const auto& [cluster, where] : EckClusters()) {
      out += "  " + cluster + ": { environment: " + where.first + ", namespace: " + where.second +
             ", version: \"8.17.0\" }\n";
    }
    out += DeploymentCluster("central") + DeploymentCluster("analytics") +
           DeploymentCluster("ops", {.environment = "dc1", .ca_file = false}) +
           SelfCluster("onprem") + SelfCluster("edge") + "connections:\n";
    for (const Link& link : Links()) {
      if (!dropped.count(Name(link))) out += link.yaml;
    }
    return out;
  }

  // Every cluster of the sandbox, for Snapshot / ExpectAsBefore.
  static std::vector<ClusterRef> Clusters() {
    std::vector<ClusterRef> out;
    for (const auto& [cluster, where] : EckClusters()) {
      out.push_back({cluster, "eck", where.first, where.second, cluster});
    }
    for (const auto& [cluster, env] : CloudClusters()) {
      out.push_back({cluster, env == "dc1" ? "ece" : "ech", env, "", ""});
    }
    for (const std::string& cluster : kSelfClusters) out.push_back({cluster, "self", "", "", ""});
    return out;
  }

  // Every cluster before the first run (Cloud deployments get a user's
  // entries first).
  std::map<std::string, ClusterBefore> SnapshotAll() {
    std::map<std::string, ClusterBefore> out;
    for (const ClusterRef& c : Clusters()) out[c.name] = Snapshot(c);
    return out;
  }

  // Every connection in `links` connected with the credentials its model
  // needs (each local's _remote/info, polled).
  void ExpectConnected(const std::vector<Link>& links) {
    for (const Link& link : links) {
      SCOPED_TRACE(link.local + " -> " + link.remote);
      EXPECT_TRUE(Connected(link.local, link.remote, link.api_key));
    }
  }

  // `link`'s alias is gone from its local cluster (settings, _remote/info).
  void ExpectGone(const Link& link) {
    SCOPED_TRACE(link.local + " -> " + link.remote + " removed");
    ExpectNoRemoteSettings(link.local, link.remote);
    Reply info = Es(link.local, "GET", "/_remote/info");
    EXPECT_FALSE(info.json.contains(link.remote)) << info.body;
  }

  // The cross-cluster keys named `name` on `remote` exist and are all
  // invalidated: crosslink's own, or the operator's for a same-operator link.
  bool KeysInvalidated(const std::string& remote, const std::string& name) {
    return Eventually([&] {
      const std::vector<Value> keys = ApiKeys(remote, name);
      if (keys.empty()) return false;
      for (const Value& key : keys) {
        if (!key.value("invalidated", false)) return false;
      }
      return true;
    });
  }

  // Remembers every secret the platforms now hold for the scan (once the
  // connections are up), with the operator's Secret of logs' remote keys.
  void RememberSecrets() {
    for (const ClusterRef& c : Clusters()) RememberClusterSecrets(c);
    RememberSecretData("k8s", "observability", "logs-es-remote-api-keys");
  }

  static std::string KeyName(const Link& link) {
    return "crosslink-" + link.local + "-" + link.remote;
  }

  std::vector<Value> ActiveKeys(const std::string& cluster, const std::string& name) {
    std::vector<Value> out;
    for (const Value& key : ApiKeys(cluster, name)) {
      if (!key.value("invalidated", false)) out.push_back(key);
    }
    return out;
  }

  // After destroy: nothing of crosslink's on any platform (see the header):
  // every cluster as `before`, no alias, role or active key of crosslink's.
  void ExpectNothingOfCrosslinksLeft(const std::map<std::string, ClusterBefore>& before) {
    EXPECT_THAT(StateAddresses(), IsEmpty());
    for (const ClusterRef& c : Clusters()) ExpectAsBefore(c, before.at(c.name));
    std::set<std::string> clusters = {"onprem", "edge"};
    for (const auto& [cluster, where] : EckClusters()) clusters.insert(cluster);
    for (const auto& [cluster, env] : CloudClusters()) clusters.insert(cluster);
    for (const std::string& cluster : clusters) {
      SCOPED_TRACE(cluster);
      EXPECT_THAT(ActiveCrosslinkKeys(cluster), IsEmpty());
      for (const std::string& alias : clusters) ExpectNoRemoteSettings(cluster, alias);
      Value info;
      EXPECT_TRUE(Eventually([&] {
        info = Es(cluster, "GET", "/_remote/info").json;
        return info.is_object() && info.empty();
      })) << info.dump();
      for (const char* role : kRoles) EXPECT_THAT(Roles(cluster), Not(Contains(role)));
    }
    EXPECT_TRUE(KeysInvalidated("metrics", kOperatorKey));
  }

  // Role names of a twin (inspection API).
  std::vector<std::string> Roles(const std::string& cluster) {
    std::vector<std::string> out;
    const Value roles = sandbox_->FindTwin(cluster)->Inspect().value("roles", Value::object());
    for (const auto& item : roles.items()) out.push_back(item.key());
    return out;
  }
};

TEST_F(MixedTest, ThirteenConnectionsOverFourPlatformsFullCycle) {
  // What destroy must give back.
  const std::map<std::string, ClusterBefore> before = SnapshotAll();
  ASSERT_EQ(before.at("onprem").nodes.size(), 2u);

  WriteTopology(Topology());
  Outcome validate = Crosslink(Args({"validate"}));
  ASSERT_EQ(validate.code, 0) << Show(validate);

  Outcome plan = SavePlan("create.plan");
  ASSERT_EQ(plan.code, 2) << Show(plan);
  for (const Link& link : Links()) {
    if (link.local == "logs" && link.remote == "metrics") {
      ExpectCreates(plan, {"eck_same_operator_remote.logs.metrics"});
    } else {
      ExpectCreates(plan, {"es_remote_cluster." + link.local + "." + link.remote});
    }
  }
  ExpectCreates(plan, {"es_role.central.central-logs-reader",
                       "es_role.central.central-analytics-reader",
                       "es_role.analytics.central-analytics-reader"});

  Outcome apply = Crosslink({"apply", "-auto-approve", Path("create.plan")});
  ASSERT_EQ(apply.code, 0) << Show(apply);
  ExpectConnected(Links());
  for (const std::string& cluster : kSelfClusters) ExpectNodesRunning(cluster);
  for (const Link& link : Links()) {
    if (!link.api_key || (link.local == "logs" && link.remote == "metrics")) continue;
    EXPECT_THAT(ActiveCrosslinkKeys(link.remote), Contains(KeyName(link))) << link.remote;
  }
  EXPECT_TRUE(Eventually([&] { return ActiveKeys("metrics", kOperatorKey).size() == 1u; }))
      << "the operator's key for logs";
  RememberSecrets();
  ExpectNoSecretLeaked();
  EXPECT_THAT(Roles("central"), Contains("central-logs-reader"));
  EXPECT_THAT(Roles("central"), Contains("central-analytics-reader"));
  EXPECT_THAT(Roles("analytics"), Contains("central-analytics-reader"));
  // The restricted transport trust of onprem (ECE's CA) and apm (ECH's)
  // names their other certificate peers too.
  EXPECT_THAT(sandbox_->FindTwin("onprem")->config().transport_trust_restrictions,
              Contains("node-0.edge.self.localhost"));
  EXPECT_THAT(sandbox_->FindTwin("apm")->config().transport_trust_restrictions,
              Contains("*.node.metrics.monitoring.es.local"));

  ExpectNoChanges();

  // ------------------------------------------------ the user removes two links
  WriteTopology(Topology(kRemoved));
  Outcome removal = SavePlan("remove.plan");
  ASSERT_EQ(removal.code, 2) << Show(removal);
  // Exactly what central -> onprem and onprem -> logs needed alone: their
  // keys, credentials, settings and checks, central's trust of onprem's
  // remote cluster server CA, and onprem's client TLS (no other connection
  // of onprem's uses the API key model) with the reload after its credential.
  // Nothing shared with the eleven that stay (logs' and onprem's remote cluster
  // servers, the transport trust of onprem <-> edge) changes.
  const std::map<std::string, std::string> expected = {
      {"es_remote_connection_check.central.onprem", "be removed from state"},
      {"es_remote_cluster.central.onprem", "be destroyed"},
      {"ec_keystore_credential.central.onprem", "be destroyed"},
      {"ec_trust_api_key_ca.central.self.onprem", "be destroyed"},
      {"es_cross_cluster_api_key.central.onprem", "be destroyed"},
      {"es_remote_connection_check.onprem.logs", "be removed from state"},
      {"es_remote_cluster.onprem.logs", "be destroyed"},
      {"self_reload.onprem", "be destroyed"},
      {"self_keystore_credential.onprem.logs", "be destroyed"},
      {"es_cross_cluster_api_key.onprem.logs", "be destroyed"},
      {"self_client_tls.onprem", "be destroyed"}};
  EXPECT_EQ(PlannedChanges(removal.out), expected) << removal.out;
  EXPECT_THAT(removal.out, HasSubstr("Plan: 0 to add, 0 to change, 11 to destroy."));
  EXPECT_THAT(removal.out, HasSubstr("These clusters will restart: onprem (once)"));

  // One change at a time: the order of the plan's edges alone must hold.
  Outcome removed = Crosslink({"apply", "-auto-approve", "-parallelism=1", Path("remove.plan")});
  ASSERT_EQ(removed.code, 0) << Show(removed);
  std::vector<Link> remaining;
  for (const Link& link : Links()) {
    if (!IsRemoved(link)) remaining.push_back(link);
  }
  ASSERT_EQ(remaining.size(), Links().size() - 2);
  ExpectConnected(remaining);
  for (const std::string& cluster : kSelfClusters) ExpectNodesRunning(cluster);
  for (const Link& link : Links()) {
    if (IsRemoved(link)) ExpectGone(link);
  }
  // Nothing of the two left on the other sides either.
  EXPECT_TRUE(KeysInvalidated("onprem", "crosslink-central-onprem"));
  EXPECT_TRUE(KeysInvalidated("logs", "crosslink-onprem-logs"));
  EXPECT_THAT(RemoteCredentialSettings("cloud", "central"),
              Not(Contains("cluster.remote.onprem.credentials")));
  EXPECT_TRUE(DirectEntry("cloud", "central", "crosslink-rcs-self-onprem").is_null())
      << Trust("cloud", "central").dump();
  for (const std::string& home : Homes("onprem")) {
    SCOPED_TRACE(home);
    EXPECT_THAT(KeystoreNames(home), Not(Contains("cluster.remote.logs.credentials")));
    EXPECT_THAT(Yml(home), Not(HasSubstr("remote_cluster_client")));
    EXPECT_EQ(CrosslinkFile(home, "remote-cluster-ca.crt"), "");
    // What logs -> onprem and edge <-> onprem still need stays.
    EXPECT_THAT(Yml(home), HasSubstr("remote_cluster_server"));
    EXPECT_NE(CrosslinkFile(home, "transport-ca.crt"), "");
  }
  ExpectNoChanges();

  // ------------------------------------------------ onprem's last Cloud peer goes
  // Without ops -> onprem nothing restricts onprem's transport trust: the
  // restrictions file goes with the ECE CA, and edge <-> onprem stay up.
  std::set<std::string> dropped = kRemoved;
  dropped.insert("ops->onprem");
  WriteTopology(Topology(dropped));
  Outcome unrestrict = Plan();
  ASSERT_EQ(unrestrict.code, 2) << Show(unrestrict);
  EXPECT_EQ(PlannedChanges(unrestrict.out),
            (std::map<std::string, std::string>{
                {"es_remote_connection_check.ops.onprem", "be removed from state"},
                {"es_remote_cluster.ops.onprem", "be destroyed"},
                {"ec_trust_direct.ops.self.onprem", "be destroyed"},
                {"ec_certificate_authority.ops", "be removed from state"},
                {"self_trust_restrictions.onprem", "be destroyed"},
                {"self_transport_trust.onprem", "be updated in-place"},
                {"es_remote_cluster.edge.onprem", "have its dependencies updated in state"},
                {"es_remote_cluster.onprem.edge", "have its dependencies updated in state"}}))
      << unrestrict.out;
  EXPECT_THAT(unrestrict.out,
              HasSubstr("These clusters will restart: onprem (once, for 2 changes)"));
  Outcome unrestricted = Apply();
  ASSERT_EQ(unrestricted.code, 0) << Show(unrestricted);
  remaining.clear();
  for (const Link& link : Links()) {
    if (!dropped.count(Name(link))) remaining.push_back(link);
  }
  ExpectConnected(remaining);
  ExpectNodesRunning("onprem");
  ExpectGone(LinkNamed("ops->onprem"));
  EXPECT_THAT(sandbox_->FindTwin("onprem")->config().transport_trust_restrictions, IsEmpty());
  EXPECT_TRUE(DirectEntry("dc1", "ops", "crosslink-self-onprem").is_null())
      << Trust("dc1", "ops").dump();
  for (const std::string& home : Homes("onprem")) {
    SCOPED_TRACE(home);
    EXPECT_THAT(Yml(home), Not(HasSubstr("trust_restrictions")));
    EXPECT_EQ(CrosslinkFile(home, "trust-restrictions.yml"), "");
  }
  ExpectNoChanges();

  // ------------------------------------------------ destroy
  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(before);
  ExpectNoSecretLeaked();
}
// The whole topology applied one change at a time (-parallelism=1: the
// plan's edges alone order it); then the user lists the same connections in
// the reverse order: shared resources' lists (CAs, trust restrictions,
// allowlists) are unions in connection order, and a new order is no change
// (it would restart onprem for nothing).
TEST_F(MixedTest, OneAtATimeThenReorderedConnectionsAreNoChange) {
  const std::map<std::string, ClusterBefore> before = SnapshotAll();
  WriteTopology(Topology());
  Outcome apply = Crosslink(Args({"apply", "-auto-approve", "-parallelism=1"}));
  ASSERT_EQ(apply.code, 0) << Show(apply);
  ExpectConnected(Links());
  RememberSecrets();
  ExpectNoSecretLeaked();

  std::string reversed = Topology();
  reversed.resize(reversed.find("connections:\n") + std::string("connections:\n").size());
  for (auto it = Links().rbegin(); it != Links().rend(); ++it) reversed += it->yaml;
  WriteTopology(reversed);
  ExpectNoChanges();

  Outcome destroy = Destroy();
  ASSERT_EQ(destroy.code, 0) << Show(destroy);
  ExpectNothingOfCrosslinksLeft(before);
  ExpectNoSecretLeaked();
}

// `crosslink graph` of the mixed topology: valid DOT (Graphviz's own parser
// when `dot` is installed, and always: every edge between declared nodes)
// holding every resource the plan would create, read or verify, with each
// connection's check after what it verifies.
TEST_F(MixedTest, GraphIsValidDotWithEveryConnectionsResources) {
  WriteTopology(Topology());
  Outcome graph = Crosslink(Args({"graph"}));
  ASSERT_EQ(graph.code, 0) << Show(graph);
  const std::string& dot = graph.out;
  ASSERT_THAT(dot, HasSubstr("digraph crosslink {"));

  std::set<std::string> nodes;
  static const std::regex node_line(R"re(^\s*"([^"]+)" \[)re", std::regex::multiline);
  for (auto it = std::sregex_iterator(dot.begin(), dot.end(), node_line);
       it != std::sregex_iterator(); ++it) {
    nodes.insert((*it)[1]);
  }
  std::set<std::pair<std::string, std::string>> edges;
  static const std::regex edge_line(R"re("([^"]+)" -> "([^"]+)";)re");
  for (auto it = std::sregex_iterator(dot.begin(), dot.end(), edge_line);
       it != std::sregex_iterator(); ++it) {
    edges.insert({(*it)[1], (*it)[2]});
  }
  ASSERT_FALSE(edges.empty()) << dot;
  for (const auto& [from, to] : edges) {
    EXPECT_TRUE(nodes.count(from) && nodes.count(to)) << from << " -> " << to;
  }

  // Every resource of the plan is a node of the graph, and nothing else is.
  Outcome plan = Plan();
  ASSERT_EQ(plan.code, 2) << Show(plan);
  std::set<std::string> planned;
  size_t reads = 0;
  for (const auto& [address, action] : PlannedChanges(plan.out)) {
    planned.insert(address);
    if (action.rfind("be read", 0) == 0) ++reads;
  }
  EXPECT_GE(reads, 10u);  // deployments, CAs, the ECE installation's proxy CA
  EXPECT_THAT(plan.out, HasSubstr("Plan: " + std::to_string(planned.size() - reads) + " to add"));
  EXPECT_EQ(nodes, planned);

  for (const Link& link : Links()) {
    SCOPED_TRACE(link.local + " -> " + link.remote);
    const std::string name = link.local + "." + link.remote;
    const std::string check = "es_remote_connection_check." + name;
    const bool same_operator = link.local == "logs" && link.remote == "metrics";
    const std::string put =
        (same_operator ? "eck_same_operator_remote." : "es_remote_cluster.") + name;
    EXPECT_TRUE(edges.count({check, put})) << check << " does not follow " << put;
    if (link.api_key && !same_operator) {
      EXPECT_TRUE(nodes.count("es_cross_cluster_api_key." + name));
    }
  }

  // Graphviz parses it.
  const std::string dot_bin = OnPath("dot");
  if (dot_bin.empty()) {
    GTEST_SKIP() << "Graphviz (dot) is not on PATH: only the structural checks ran";
  }
  WriteFile(Path("graph.dot"), dot);
  const std::string command =
      dot_bin + " -Tsvg -o " + Path("graph.svg") + " " + Path("graph.dot") + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  EXPECT_THAT(ReadText(Path("graph.svg")), HasSubstr("es_remote_connection_check.central.logs"));
}

}  // namespace
}  // namespace crosslink::e2e
