// Expansion behaviour beyond the per-cell shape (expand_matrix_test.cc):
// sharing, overrides, attributes, diagnostics, scale.

#include "engine/graph/expand.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <unordered_map>

#include "engine/graph/catalogue.h"
#include "tests/engine/graph/topology_fixture.h"

namespace crosslink::graph {
namespace {

using ::testing::Contains;
using testing::EdgeLines;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TopologyBuilder;
using topology::ConnectionMode;
using topology::Platform;
using topology::SecurityModel;

class ExpandTest : public ::testing::Test {
 protected:
  // Expands the topology built so far; expects success.
  const ResourceGraph& ExpandOk() {
    diags_ = Diagnostics();
    graph_ = Expand(b_.topology(), &diags_);
    EXPECT_EQ(diags_.error_count(), 0u) << diags_.ToString();
    if (!graph_)
      graph_ = ResourceGraph::Build({}, &diags_);  // keeps the test running to report more
    return *graph_;
  }
  const ResourceSpec& Get(const std::string& address) {
    const ResourceSpec* r = graph_->Find(address);
    EXPECT_NE(r, nullptr) << address;
    static const ResourceSpec kMissing;
    return r != nullptr ? *r : kMissing;
  }
  std::string Errors() {
    diags_ = Diagnostics();
    graph_ = Expand(b_.topology(), &diags_);
    EXPECT_FALSE(graph_.has_value());
    return diags_.ToString();
  }

  TopologyBuilder b_;
  Diagnostics diags_;
  std::optional<ResourceGraph> graph_;
};

TEST_F(ExpandTest, TwoConnectionsToOneEckRemoteShareItsServer) {
  b_.Environment("k8s", Platform::kEck)
      .Environment("k8s-2", Platform::kEck)
      .Environment("cloud", Platform::kEch, "42");
  b_.Cluster("logs", Platform::kEck, "k8s");
  b_.Cluster("analytics", Platform::kEch, "cloud");
  b_.Cluster("apps", Platform::kEck, "k8s-2");
  b_.Connect("analytics", "logs", "logs");
  b_.Connect("apps", "logs", "logs");
  const ResourceGraph& g = ExpandOk();

  const ResourceSpec& server = Get("eck_remote_cluster_server.logs");
  EXPECT_THAT(server.needed_by,
              ElementsAre("analytics->logs (alias logs)", "apps->logs (alias logs)"));
  EXPECT_TRUE(server.restarts_cluster);
  EXPECT_EQ(server.provider, "eck");
  EXPECT_EQ(server.cluster, "logs");
  EXPECT_EQ(server.environment, "k8s");
  EXPECT_EQ(server.step, "R:ECK.RCS.ENABLE");
  EXPECT_EQ(DumpJson(server.attributes), R"({"enabled":true,"name":"logs","namespace":"ns"})");
  EXPECT_EQ(server.origin.line, 100);  // the first connection

  EXPECT_THAT(Get("eck_remote_cluster_service.logs").needed_by, ::testing::SizeIs(2));
  EXPECT_THAT(Get("eck_transport_ca.logs").needed_by, ::testing::SizeIs(2));
  // One key per connection. The keys do not wait for the ECK server (its
  // restart only delays their creation, which is retried); the remote
  // cluster settings of both connections do.
  EXPECT_THAT(g.Dependents("eck_remote_cluster_server.logs"),
              ElementsAre("eck_remote_cluster_service.logs", "es_remote_cluster.analytics.logs",
                          "es_remote_cluster.apps.logs"));
  EXPECT_THAT(Get("es_cross_cluster_api_key.analytics.logs").AllDependencies(), IsEmpty());
  EXPECT_EQ(Get("eck_transport_ca.logs").mode, ResourceMode::kData);
}

TEST_F(ExpandTest, ClientTlsOfOneLocalListsEveryRemoteCa) {
  b_.Environment("k8s", Platform::kEck)
      .Environment("other", Platform::kEck)
      .Environment("dc", Platform::kEce);
  b_.Environment("cloud", Platform::kEch, "42");
  b_.Cluster("hub", Platform::kEck, "k8s");
  b_.Cluster("east", Platform::kEck, "other");
  b_.Cluster("onprem", Platform::kSelf);
  b_.Cluster("ece1", Platform::kEce, "dc");
  b_.Cluster("ech1", Platform::kEch, "cloud");
  b_.Connect("hub", "east", "east");
  b_.Connect("hub", "onprem", "onprem");
  b_.Connect("hub", "ece1", "ece1");
  b_.Connect("hub", "ech1", "ech1");
  ExpandOk();
  const ResourceSpec& tls = Get("eck_remote_client_tls.hub");
  EXPECT_EQ(DumpJson(tls.attributes["certificate_authorities"]),
            R"([{"$ref":"eck_transport_ca.east","output":"ca_pems"},)"
            R"({"$ref":"self_rcs_certificate.onprem","output":"ca_pems"},)"
            R"({"$ref":"ece_proxy_ca.dc","output":"private_ca_pems"}])");
  EXPECT_EQ(tls.needed_by.size(), 4u);
  EXPECT_EQ(tls.step, "L:ECK.CLIENT.TLS");
}

TEST_F(ExpandTest, ApiKeyDefaultsAndCredentialReferences) {
  b_.Environment("cloud", Platform::kEch, "42").Environment("k8s", Platform::kEck);
  b_.Cluster("analytics", Platform::kEch, "cloud").ref_id = "main-elasticsearch";
  b_.Cluster("logs", Platform::kEck, "k8s");
  topology::Connection& c = b_.Connect("analytics", "logs", "logs");
  topology::IndexAccess repl;
  repl.names = {"orders"};
  c.access.replication.push_back(repl);
  c.access.search[0].query = Value{{"term", {{"team", "a"}}}};
  ExpandOk();

  const ResourceSpec& key = Get("es_cross_cluster_api_key.analytics.logs");
  EXPECT_EQ(key.cluster, "logs");
  EXPECT_EQ(key.provider, "elasticsearch");
  EXPECT_EQ(key.step, "R:ES.APIKEY.CREATE");
  EXPECT_EQ(
      DumpJson(key.attributes),
      R"({"access":{"replication":[{"allow_restricted_indices":false,"names":["orders"]}],)"
      R"("search":[{"allow_restricted_indices":false,"names":["logs-*"],"query":{"term":{"team":"a"}}}]},)"
      R"("metadata":{"alias":"logs","local":"analytics","managed-by":"crosslink"},)"
      R"("name":"crosslink-analytics-logs"})");

  const ResourceSpec& cred = Get("ec_keystore_credential.analytics.logs");
  EXPECT_EQ(cred.provider, "ech");
  EXPECT_EQ(
      DumpJson(cred.attributes),
      R"({"deployment_id":"dep-analytics","key_id":{"$ref":"es_cross_cluster_api_key.analytics.logs",)"
      R"("output":"id"},"ref_id":"main-elasticsearch","setting":"cluster.remote.logs.credentials"})");
  ASSERT_EQ(cred.secret_inputs.size(), 1u);
  EXPECT_EQ(cred.secret_inputs.at("credentials"),
            (Reference{"es_cross_cluster_api_key.analytics.logs", "encoded"}));

  const ResourceSpec& put = Get("es_remote_cluster.analytics.logs");
  EXPECT_EQ(
      DumpJson(put.attributes),
      R"({"alias":"logs","mode":"proxy","proxy_address":{"$ref":"eck_remote_cluster_service.logs",)"
      R"("output":"proxy_address"},"server_name":"logs-es-remote-cluster.ns.svc"})");
  const ResourceSpec& check = Get("es_remote_connection_check.analytics.logs");
  EXPECT_EQ(check.mode, ResourceMode::kCheck);
  EXPECT_EQ(DumpJson(check.attributes), R"({"alias":"logs","expect_credentials":true})");
}

TEST_F(ExpandTest, OverridesReplaceDerivedAddresses) {
  b_.Environment("cloud", Platform::kEch, "42").Environment("k8s", Platform::kEck);
  b_.Cluster("analytics", Platform::kEch, "cloud");
  b_.Cluster("logs", Platform::kEck, "k8s");
  topology::Connection& c = b_.Connect("analytics", "logs", "logs");
  c.proxy_address = "rcs.example.com:443";
  c.server_name = "rcs.example.com";
  c.skip_unavailable = false;
  const ResourceGraph& g = ExpandOk();
  EXPECT_EQ(DumpJson(Get("es_remote_cluster.analytics.logs").attributes),
            R"({"alias":"logs","mode":"proxy","proxy_address":"rcs.example.com:443",)"
            R"("server_name":"rcs.example.com","skip_unavailable":false})");
  // The remote still needs its server enabled, but crosslink does not expose it.
  EXPECT_NE(g.Find("eck_remote_cluster_server.logs"), nullptr);
  EXPECT_EQ(g.Find("eck_remote_cluster_service.logs"), nullptr);
}

TEST_F(ExpandTest, SniffModeUsesSeedsOverrideOrTheDerivedAddress) {
  b_.Cluster("a", Platform::kSelf);
  b_.Cluster("b", Platform::kSelf).remote_cluster_address = "b1.example.com:9555";
  topology::Connection& ab = b_.Connect("a", "b", "b");
  ab.mode = ConnectionMode::kSniff;
  topology::Connection& ba = b_.Connect("b", "a", "a");
  ba.mode = ConnectionMode::kSniff;
  ba.seeds = {"a1.example.com:9443", "a2.example.com:9443"};
  ba.skip_unavailable = true;
  ExpandOk();
  EXPECT_EQ(DumpJson(Get("es_remote_cluster.a.b").attributes),
            R"({"alias":"b","mode":"sniff","seeds":["b1.example.com:9555"]})");
  EXPECT_EQ(DumpJson(Get("es_remote_cluster.b.a").attributes),
            R"({"alias":"a","mode":"sniff","seeds":["a1.example.com:9443","a2.example.com:9443"],)"
            R"("skip_unavailable":true})");
  // The server listens on the configured port.
  EXPECT_EQ(Get("self_remote_cluster_server.b").attributes["port"], 9555);
  EXPECT_EQ(Get("self_remote_cluster_server.a").attributes["port"], 9443);
}

TEST_F(ExpandTest, SelfManagedRemoteAddressComesFromItsUrl) {
  b_.Cluster("a", Platform::kSelf);
  b_.Cluster("b", Platform::kSelf).url = "https://admin@[2001:db8::1]:9200/";
  b_.Connect("a", "b", "b");
  b_.Connect("b", "a", "a", SecurityModel::kCertificate);
  ExpandOk();
  EXPECT_EQ(Get("es_remote_cluster.a.b").attributes["proxy_address"], "[2001:db8::1]:9443");
  // The certificate covers the node hosts and the address dialled.
  EXPECT_EQ(DumpJson(Get("self_rcs_certificate.b").attributes["subject_alt_names"]),
            R"(["b.example.com","2001:db8::1"])");
  EXPECT_EQ(graph_->Find("self_rcs_certificate.a"), nullptr);  // b -> a uses the transport
  EXPECT_EQ(Get("es_remote_cluster.b.a").attributes["proxy_address"], "a.example.com:9300");
  EXPECT_EQ(DumpJson(Get("es_remote_connection_check.b.a").attributes),
            R"({"alias":"a","expect_credentials":false})");
}

TEST_F(ExpandTest, RemoteClusterCertificateSettingsReachTheCertificateOnlyWhenSet) {
  b_.Cluster("a", Platform::kSelf);
  topology::RemoteClusterCertificate all;
  all.key_type = "rsa-3072";
  all.validity_days = 90;
  all.ca_validity_days = 730;
  all.renew_before_days = 14;
  b_.Cluster("b", Platform::kSelf).remote_cluster_certificate = all;
  topology::RemoteClusterCertificate some;
  some.key_type = "ec-p384";
  b_.Cluster("c", Platform::kSelf).remote_cluster_certificate = some;
  b_.Connect("a", "b", "b");
  b_.Connect("a", "c", "c");
  b_.Connect("b", "a", "a");
  ExpandOk();
  EXPECT_EQ(DumpJson(Get("self_rcs_certificate.b").attributes),
            R"({"ca_validity_days":730,"common_name":"b-remote-cluster-server",)"
            R"("key_type":"rsa-3072","renew_before_days":14,)"
            R"("subject_alt_names":["b.example.com"],"validity_days":90})");
  EXPECT_EQ(DumpJson(Get("self_rcs_certificate.c").attributes),
            R"({"common_name":"c-remote-cluster-server","key_type":"ec-p384",)"
            R"("subject_alt_names":["c.example.com"]})");
  // No block: the attributes every earlier state holds, nothing more.
  EXPECT_EQ(DumpJson(Get("self_rcs_certificate.a").attributes),
            R"({"common_name":"a-remote-cluster-server","subject_alt_names":["a.example.com"]})");
}

TEST_F(ExpandTest, UnknownRemoteAddressIsAnError) {
  b_.Cluster("a", Platform::kSelf);
  b_.Cluster("b", Platform::kSelf).url = "";
  b_.Connect("a", "b", "b");
  EXPECT_THAT(
      Errors(),
      HasSubstr("topology.yaml:100:5: error: connections[0]: cannot tell the address of remote "
                "cluster \"b\""));
}

TEST_F(ExpandTest, RolesGoToTheLocalForApiKeysAndToBothForCertificates) {
  b_.Cluster("a", Platform::kSelf);
  b_.Cluster("b", Platform::kSelf);
  b_.Cluster("c", Platform::kSelf);
  topology::Role role;
  role.name = "remote-search";
  role.body =
      Value{{"remote_indices", Value::array({Value{{"clusters", {"b"}}, {"names", {"x"}}}})}};
  b_.Connect("a", "b", "b").roles.push_back(role);
  role.name = "ccr";
  role.body = Value{{"cluster", {"manage_ccr"}}};
  b_.Connect("a", "c", "c", SecurityModel::kCertificate).roles.push_back(role);
  const ResourceGraph& g = ExpandOk();
  EXPECT_NE(g.Find("es_role.a.remote-search"), nullptr);
  EXPECT_EQ(g.Find("es_role.b.remote-search"), nullptr);
  EXPECT_NE(g.Find("es_role.a.ccr"), nullptr);
  EXPECT_NE(g.Find("es_role.c.ccr"), nullptr);
  EXPECT_EQ(DumpJson(Get("es_role.c.ccr").attributes),
            R"({"body":{"cluster":["manage_ccr"]},"name":"ccr"})");
  EXPECT_EQ(Get("es_role.c.ccr").step, "R:ES.ROLE.PUT.TLS");
  EXPECT_EQ(Get("es_role.a.remote-search").step, "L:ES.ROLE.PUT");
  EXPECT_THAT(Get("es_role.a.remote-search").depends_on, ElementsAre("es_remote_cluster.a.b"));
}

TEST_F(ExpandTest, ARoleSharedByTwoConnectionsMustHaveOneBody) {
  b_.Cluster("a", Platform::kSelf);
  b_.Cluster("b", Platform::kSelf);
  b_.Cluster("c", Platform::kSelf);
  topology::Role role;
  role.name = "reader";
  role.body = Value{{"cluster", {"monitor"}}};
  b_.Connect("a", "b", "b").roles.push_back(role);
  b_.Connect("a", "c", "c").roles.push_back(role);
  ExpandOk();
  EXPECT_THAT(Get("es_role.a.reader").needed_by, ::testing::SizeIs(2));
  EXPECT_THAT(Get("es_role.a.reader").depends_on,
              ElementsAre("es_remote_cluster.a.b", "es_remote_cluster.a.c"));

  role.body = Value{{"cluster", {"all"}}};
  b_.mutable_topology().connections[1].roles[0] = role;
  EXPECT_THAT(Errors(),
              HasSubstr("connections \"a->b (alias b)\" and \"a->c (alias c)\" need different "
                        "attributes in shared resource \"es_role.a.reader\""));
}

TEST_F(ExpandTest, DuplicateAliasOnOneLocalIsAnError) {
  b_.Cluster("a", Platform::kSelf);
  b_.Cluster("b", Platform::kSelf);
  b_.Cluster("c", Platform::kSelf);
  b_.Connect("a", "b", "x");
  b_.Connect("a", "c", "x");
  EXPECT_THAT(
      Errors(),
      HasSubstr("connections \"a->b (alias x)\" and \"a->c (alias x)\" both produce resource "
                "\"es_cross_cluster_api_key.a.x\""));
}

TEST_F(ExpandTest, EcRestartOnlyBelow814AndOncePerCluster) {
  b_.Environment("cloud", Platform::kEch, "42");
  b_.Cluster("old", Platform::kEch, "cloud").version = "8.12.2";
  b_.Cluster("new", Platform::kEch, "cloud").version = "8.15.0";
  b_.Cluster("unknown", Platform::kEch, "cloud");
  b_.Cluster("r1", Platform::kSelf);
  b_.Cluster("r2", Platform::kSelf);
  for (const char* local : {"old", "new", "unknown"}) {
    b_.Connect(local, "r1", "r1");
    b_.Connect(local, "r2", "r2");
  }
  const ResourceGraph& g = ExpandOk();
  EXPECT_EQ(g.Find("ec_restart.new"), nullptr);
  const ResourceSpec& old_restart = Get("ec_restart.old");
  EXPECT_TRUE(old_restart.restarts_cluster);
  EXPECT_EQ(old_restart.attributes["version"], "8.12.2");
  EXPECT_EQ(DumpJson(old_restart.attributes["credential_key_ids"]),
            R"([{"$ref":"ec_keystore_credential.old.r1","output":"key_id"},)"
            R"({"$ref":"ec_keystore_credential.old.r2","output":"key_id"}])");
  EXPECT_EQ(DumpJson(Get("ec_restart.unknown").attributes["version"]),
            R"({"$ref":"ec_deployment.unknown","output":"version"})");
  // The settings wait for the restart.
  EXPECT_THAT(Get("es_remote_cluster.old.r1").depends_on, Contains("ec_restart.old"));
}

TEST_F(ExpandTest, BidirectionalCertificateTrustIsSharedByBothConnections) {
  b_.Environment("k8s", Platform::kEck).Environment("cloud", Platform::kEch, "42");
  b_.Cluster("k", Platform::kEck, "k8s");
  b_.Cluster("c", Platform::kEch, "cloud");
  b_.Connect("k", "c", "c", SecurityModel::kCertificate);
  b_.Connect("c", "k", "k", SecurityModel::kCertificate);
  ExpandOk();
  EXPECT_THAT(Get("ec_trust_direct.c.eck.k").needed_by,
              ElementsAre("c->k (alias k)", "k->c (alias c)"));
  EXPECT_THAT(Get("eck_cloud_trust.k").needed_by, ElementsAre("c->k (alias k)", "k->c (alias c)"));
  EXPECT_EQ(
      DumpJson(Get("ec_trust_direct.c.eck.k").attributes),
      R"({"certificates":[{"$ref":"eck_transport_ca.k","output":"ca_pems"}],"deployment_id":"dep-c",)"
      R"("name":"crosslink-eck-k","scope_id":"ns.es.local","trust_all":true,"type":"generic"})");
  EXPECT_EQ(
      DumpJson(Get("eck_cloud_trust.k").attributes["trust_restrictions"]),
      R"(["*.node.k.ns.es.local",{"$ref":"ec_certificate_authority.c","output":"trust_restriction"}])");
}

// Trust restrictions apply to every transport peer (DOMAIN.md §4): a
// cluster restricted because of a Cloud peer must also name its self-managed
// and ECK certificate-model peers, whichever side it is on.
TEST_F(ExpandTest, RestrictedTransportTrustNamesEveryCertificatePeer) {
  b_.Environment("cloud", Platform::kEch, "42")
      .Environment("k8s", Platform::kEck)
      .Environment("k8s-2", Platform::kEck);
  b_.Cluster("c", Platform::kEch, "cloud");
  b_.Cluster("s", Platform::kSelf);
  b_.Cluster("t", Platform::kSelf);
  b_.Cluster("k", Platform::kEck, "k8s");
  b_.Cluster("m", Platform::kEck, "k8s-2");
  b_.Connect("c", "s", "s", SecurityModel::kCertificate);
  b_.Connect("t", "s", "s", SecurityModel::kCertificate);
  b_.Connect("c", "k", "k", SecurityModel::kCertificate);
  b_.Connect("k", "m", "m", SecurityModel::kCertificate);
  ExpandOk();
  EXPECT_EQ(DumpJson(Get("self_trust_restrictions.s").attributes["subject_names"]),
            R"([{"$ref":"self_transport_ca.s","output":"trust_restriction"},)"
            R"({"$ref":"ec_certificate_authority.c","output":"trust_restriction"},)"
            R"({"$ref":"self_transport_ca.t","output":"trust_restriction"}])");
  EXPECT_THAT(Get("self_trust_restrictions.s").needed_by,
              ElementsAre("c->s (alias s)", "t->s (alias s)"));
  EXPECT_THAT(Get("es_remote_cluster.t.s").depends_on, Contains("self_trust_restrictions.s"));
  EXPECT_EQ(DumpJson(Get("eck_cloud_trust.k").attributes["trust_restrictions"]),
            R"(["*.node.k.ns.es.local",)"
            R"({"$ref":"ec_certificate_authority.c","output":"trust_restriction"},)"
            R"("*.node.m.ns.es.local"])");
  EXPECT_EQ(DumpJson(Get("eck_cloud_trust.k").attributes["certificate_authorities"]),
            R"([{"$ref":"ec_certificate_authority.c","output":"ca_pems"}])");
  // Unrestricted clusters get no restrictions from their peers.
  EXPECT_EQ(graph_->Find("self_trust_restrictions.t"), nullptr);
  EXPECT_EQ(graph_->Find("eck_cloud_trust.m"), nullptr);
}

TEST_F(ExpandTest, SelfPairWithoutCloudPeerHasNoRestrictions) {
  b_.Cluster("s", Platform::kSelf);
  b_.Cluster("t", Platform::kSelf);
  b_.Connect("t", "s", "s", SecurityModel::kCertificate);
  b_.Connect("s", "t", "t", SecurityModel::kCertificate);
  const ResourceGraph& g = ExpandOk();
  for (const ResourceSpec& r : g.resources()) {
    EXPECT_NE(r.type, "self_trust_restrictions") << r.address;
  }
}

TEST_F(ExpandTest, TrustAllowlistsCollectEveryPeerCluster) {
  b_.Environment("org1", Platform::kEch, "1").Environment("org2", Platform::kEch, "2");
  b_.Cluster("a", Platform::kEch, "org1");
  b_.Cluster("x", Platform::kEch, "org2");
  b_.Cluster("y", Platform::kEch, "org2");
  b_.Connect("a", "x", "x", SecurityModel::kCertificate);
  b_.Connect("a", "y", "y", SecurityModel::kCertificate);
  ExpandOk();
  EXPECT_EQ(
      DumpJson(Get("ec_trust_accounts.a.org2").attributes),
      R"({"account_id":"2","deployment_id":"dep-a","trust_all":false,"trust_allowlist":[)"
      R"({"$ref":"ec_deployment.x","output":"cluster_id"},{"$ref":"ec_deployment.y","output":"cluster_id"}]})");
  EXPECT_EQ(DumpJson(Get("ec_trust_accounts.x.org1").attributes["trust_allowlist"]),
            R"([{"$ref":"ec_deployment.a","output":"cluster_id"}])");
}

TEST_F(ExpandTest, TrustingAnotherOrganizationNeedsItsId) {
  b_.Environment("org1", Platform::kEch, "1").Environment("org2", Platform::kEch, "");
  b_.Cluster("a", Platform::kEch, "org1");
  b_.Cluster("x", Platform::kEch, "org2");
  b_.Connect("a", "x", "x", SecurityModel::kCertificate);
  EXPECT_THAT(
      Errors(),
      HasSubstr("topology.yaml:100:5: error: connections[0]: environment \"org2\" needs its "
                "organization_id"));
  EXPECT_EQ(diags_.error_count(), 1u);
}

TEST_F(ExpandTest, EnvironmentsNamingOneControlPlaneAreTheSameEnvironment) {
  b_.Environment("org-a", Platform::kEch, "77").Environment("org-b", Platform::kEch, "77");
  b_.Environment("k1", Platform::kEck).Environment("k2", Platform::kEck);
  b_.mutable_topology().environments["k2"].context = "k1";
  b_.Cluster("x", Platform::kEch, "org-a");
  b_.Cluster("y", Platform::kEch, "org-b");
  b_.Cluster("k", Platform::kEck, "k1");
  b_.Cluster("l", Platform::kEck, "k2");
  b_.Cluster("s", Platform::kSelf);
  const topology::Topology& t = b_.topology();
  EXPECT_TRUE(SameEnvironment(t, t.clusters.at("x"), t.clusters.at("y")));
  EXPECT_TRUE(SameEnvironment(t, t.clusters.at("k"), t.clusters.at("l")));
  EXPECT_FALSE(SameEnvironment(t, t.clusters.at("k"), t.clusters.at("x")));
  EXPECT_FALSE(SameEnvironment(t, t.clusters.at("s"), t.clusters.at("s")));
  // Same operator: the operator does the work.
  b_.Connect("k", "l", "l");
  const ResourceGraph& g = ExpandOk();
  EXPECT_NE(g.Find("eck_same_operator_remote.k.l"), nullptr);
  EXPECT_EQ(g.Find("es_remote_cluster.k.l"), nullptr);
}

TEST_F(ExpandTest, BadNamesAndUnknownClustersAreReportedTogether) {
  b_.Cluster("Good", Platform::kSelf);
  b_.Cluster("b", Platform::kSelf);
  b_.Connect("Good", "b", "b");
  b_.Connect("b", "missing", "m");
  b_.Connect("b", "b", "self");
  std::string errors = Errors();
  EXPECT_THAT(
      errors,
      HasSubstr("topology.yaml:10:3: error: connections[0]: cluster name \"Good\" cannot be used "
                "in a resource address"));
  EXPECT_THAT(
      errors,
      HasSubstr("topology.yaml:101:5: error: connections[1].remote: unknown cluster \"missing\""));
  EXPECT_THAT(errors, HasSubstr("connections[2]: cluster \"b\" cannot be its own remote"));
  EXPECT_EQ(diags_.error_count(), 3u);
}

TEST_F(ExpandTest, EveryCatalogueTypeIsProducedByTheTable) {
  // One connection of every cell, each between fresh clusters.
  const Platform platforms[] = {Platform::kEch, Platform::kEce, Platform::kEck, Platform::kSelf};
  int n = 0;
  for (SecurityModel model : {SecurityModel::kApiKey, SecurityModel::kCertificate}) {
    for (Platform l : platforms) {
      for (Platform r : platforms) {
        for (bool same : {false, true}) {
          if (same && (l != r || l == Platform::kSelf)) continue;
          std::string id = std::to_string(n++);
          std::string le = "le" + id, re = same ? le : "re" + id;
          if (l != Platform::kSelf) b_.Environment(le, l, "o" + le);
          if (r != Platform::kSelf && !same) b_.Environment(re, r, "o" + re);
          b_.Cluster("l" + id, l, l == Platform::kSelf ? "" : le);
          b_.Cluster("r" + id, r, r == Platform::kSelf ? "" : re);
          topology::Role role;
          role.name = "reader";
          b_.Connect("l" + id, "r" + id, "a", model).roles.push_back(role);
          EXPECT_FALSE(ExpansionSteps(l, r, model, same).empty());
        }
      }
    }
  }
  const ResourceGraph& g = ExpandOk();
  std::set<std::string> produced;
  for (const ResourceSpec& s : g.resources()) {
    produced.insert(s.type);
    const ResourceTypeInfo* info = FindResourceType(s.type);
    ASSERT_NE(info, nullptr) << s.type;
    EXPECT_EQ(s.mode, info->mode) << s.address;
    if (*info->provider != '\0') {
      EXPECT_EQ(s.provider, info->provider) << s.address;
    }
  }
  for (const ResourceTypeInfo& t : ResourceCatalogue())
    EXPECT_EQ(produced.count(t.type), 1u) << t.type;
}

TEST_F(ExpandTest, ExpansionStepsNameTheDomainChain) {
  EXPECT_THAT(
      ExpansionSteps(Platform::kEck, Platform::kEck, SecurityModel::kApiKey, true),
      ElementsAre("R:ECK.RCS.ENABLE", "L:ECK.SAME.APIKEY", "L:ES.REMOTE.VERIFY", "L:ES.ROLE.PUT"));
  EXPECT_THAT(ExpansionSteps(Platform::kSelf, Platform::kEch, SecurityModel::kApiKey, false),
              ElementsAre("R:EC.ENDPOINT.READ", "R:ES.APIKEY.CREATE", "L:SM.CLIENT.TLS",
                          "L:SM.KEYSTORE.CRED", "L:ES.RELOAD", "L:ES.REMOTE.PUT",
                          "L:ES.REMOTE.VERIFY", "L:ES.ROLE.PUT"));
}

// 10,000 connections over 200 clusters of every platform: expansion stays
// correct (and, being O(n log n), fast) on a benchmark-sized input.
TEST_F(ExpandTest, TenThousandConnections) {
  const Platform platforms[] = {Platform::kEch, Platform::kEce, Platform::kEck, Platform::kSelf};
  for (int e = 0; e < 4; ++e) {
    if (platforms[e] != Platform::kSelf)
      b_.Environment("env" + std::to_string(e), platforms[e], "org");
  }
  const int clusters = 200;
  auto name = [](int i) { return "c" + std::to_string(i); };
  for (int i = 0; i < clusters; ++i) {
    Platform p = platforms[i % 4];
    b_.Cluster(name(i), p, p == Platform::kSelf ? "" : "env" + std::to_string(i % 4));
  }
  int connections = 0;
  for (int i = 0; i < clusters && connections < 10000; ++i) {
    for (int k = 1; k <= 50 && connections < 10000; ++k) {
      int j = (i + k) % clusters;
      b_.Connect(name(i), name(j), name(j),
                 k % 5 == 0 ? SecurityModel::kCertificate : SecurityModel::kApiKey);
      ++connections;
    }
  }
  ASSERT_EQ(b_.topology().connections.size(), 10000u);
  const ResourceGraph& g = ExpandOk();
  EXPECT_GT(g.size(), 30000u);
  size_t checks = 0;
  for (const ResourceSpec& s : g.resources()) checks += s.type == "es_remote_connection_check";
  EXPECT_EQ(checks, 10000u);
  // c2 (ECK) is the remote of 50 connections (c152..c199, c0, c1); the 40
  // API-key ones share its remote cluster server.
  EXPECT_EQ(Get("eck_remote_cluster_server.c2").needed_by.size(), 40u);
  // Order is a valid topological order.
  std::unordered_map<std::string, size_t> pos;
  for (size_t i = 0; i < g.resources().size(); ++i) pos[g.resources()[i].address] = i;
  for (const ResourceSpec& s : g.resources()) {
    for (const std::string& d : s.AllDependencies())
      ASSERT_LT(pos.at(d), pos.at(s.address)) << s.address;
  }
}

}  // namespace
}  // namespace crosslink::graph
