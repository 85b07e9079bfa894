// Unit tests of the Elasticsearch provider's pure parts: the likely-cause
// table, normalisation, settings bodies, and EndpointFromTopology.

#include <gtest/gtest.h>

#include <algorithm>

#include "providers/elasticsearch/diagnosis.h"
#include "providers/elasticsearch/endpoint.h"
#include "providers/elasticsearch/es_client.h"
#include "providers/elasticsearch/resources.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::providers::elasticsearch {
namespace {

std::vector<std::string> Ids(const RemoteObservation& o) {
  std::vector<std::string> out;
  for (const LikelyCause& c : LikelyCauses(o)) out.push_back(c.id);
  return out;
}

RemoteObservation Observe(const std::string& info_json, bool expect) {
  auto info = ParseJson(info_json);
  EXPECT_TRUE(info.ok());
  return ObserveRemote(*info, "onprem", "logs", expect);
}

TEST(LikelyCausesTest, SatisfiedConnectionHasNoCause) {
  auto o = Observe(R"({"logs":{"mode":"proxy","connected":true,"proxy_address":"h:9443",
                       "cluster_credentials":"::es_redacted::"}})",
                   true);
  EXPECT_TRUE(ConnectionSatisfied(o));
  EXPECT_TRUE(LikelyCauses(o).empty());
}

TEST(LikelyCausesTest, MissingAliasIsTheOnlyCause) {
  auto o = Observe(R"({"other":{"mode":"proxy","connected":true}})", true);
  EXPECT_EQ(Ids(o), std::vector<std::string>{"alias-missing"});
  EXPECT_EQ(DescribeObservation(o), "alias \"logs\" not configured");
}

TEST(LikelyCausesTest, ApiKeyModelWithoutCredentialPointsAtTheKeystore) {
  // Connected through the certificate model, but the API key model was wanted.
  auto o = Observe(R"({"logs":{"mode":"proxy","connected":true,"proxy_address":"h:9443"}})", true);
  EXPECT_EQ(Ids(o), std::vector<std::string>{"no-credential"});
  EXPECT_NE(LikelyCauses(o)[0].text.find("cluster.remote.logs.credentials"), std::string::npos);
  o = Observe(R"({"logs":{"mode":"proxy","connected":false,"proxy_address":"h:9443"}})", true);
  EXPECT_EQ(Ids(o)[0], "no-credential");
}

TEST(LikelyCausesTest, NotConnectedWithCredentialsToTransportPort) {
  auto o = Observe(R"({"logs":{"mode":"proxy","connected":false,"proxy_address":"h:9300",
                       "server_name":"s","cluster_credentials":"::es_redacted::"}})",
                   true);
  auto ids = Ids(o);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[0], "api-key-to-transport-port");
  EXPECT_EQ(ids[1], "tls-trust-or-server-name");
  EXPECT_EQ(ids[2], "key-rejected");
  EXPECT_EQ(
      DescribeObservation(o),
      "mode proxy, proxy_address h:9300, server_name s, connected false, credentials present");
}

TEST(LikelyCausesTest, NotConnectedOnTheRightPortBlamesTlsAndTheKey) {
  auto o = Observe(R"({"logs":{"mode":"proxy","connected":false,"proxy_address":"h:9443",
                       "server_name":"wrong","cluster_credentials":"::es_redacted::"}})",
                   true);
  auto ids = Ids(o);
  EXPECT_EQ(ids,
            (std::vector<std::string>{"tls-trust-or-server-name", "key-rejected", "remote-down"}));
  EXPECT_NE(LikelyCauses(o)[0].text.find("server_name \"wrong\""), std::string::npos);
}

TEST(LikelyCausesTest, CertificateModel) {
  auto o =
      Observe(R"({"logs":{"mode":"proxy","connected":false,"proxy_address":"h:9443"}})", false);
  EXPECT_EQ(Ids(o)[0], "certificate-to-rcs-port");
  o = Observe(R"({"logs":{"mode":"sniff","connected":false,"seeds":["a:9300","b:9300"],
                  "cluster_credentials":"::es_redacted::"}})",
              false);
  auto ids = Ids(o);
  EXPECT_EQ(ids[0], "unexpected-credential");
  EXPECT_NE(std::find(ids.begin(), ids.end(), "sniff-unreachable"), ids.end());
  EXPECT_EQ(o.address, "a:9300,b:9300");
}

// Replies and attributes with unexpected types never throw: the field
// counts as absent.
TEST(WrongTypesTest, JsonReadersFallBackInsteadOfThrowing) {
  const Value odd = {{"s", 1}, {"b", "yes"}, {"i", "12"}, {"f", 2.5}};
  EXPECT_EQ(JsonString(odd, "s", "fb"), "fb");
  EXPECT_TRUE(JsonBool(odd, "b", true));
  EXPECT_EQ(JsonInt(odd, "i", 7), 7);
  EXPECT_EQ(JsonInt(odd, "f", 0), 2);
  EXPECT_EQ(JsonString(Value("not an object"), "s"), "");
  EXPECT_EQ(EsErrorReason(Value{{"error", {{"type", 5}, {"reason", "r"}, {"caused_by", 3}}}}), "r");
  EXPECT_EQ(EsErrorReason(Value{{"error", 5}}), "");

  auto o = Observe(R"({"logs":{"mode":7,"connected":"yes","server_name":[1]}})", false);
  EXPECT_TRUE(o.present);
  EXPECT_EQ(o.mode, "sniff");
  EXPECT_FALSE(o.connected);
  EXPECT_EQ(o.server_name, "");

  // Attributes that are not an object (or hold a mode that is not a string).
  Value body = RemoteSettingsBody("logs", Value(), Value());
  EXPECT_TRUE(body["persistent"].contains("cluster.remote.logs.proxy_address"));
  body = RemoteSettingsBody("logs", Value{{"mode", 3}}, Value());
  EXPECT_TRUE(body["persistent"].contains("cluster.remote.logs.proxy_address"));
}

TEST(NormalizeTest, AccessNamesAndDefaults) {
  Value a = {{"search", {{{"names", "logs-*"}}}}, {"replication", Value::array()}};
  Value n = NormalizeAccess(a);
  EXPECT_EQ(DumpJson(n), R"({"search":[{"allow_restricted_indices":false,"names":["logs-*"]}]})");
  EXPECT_EQ(AccessHash(a), AccessHash(n));
  EXPECT_EQ(AccessHash(a).size(), 64u);
}

TEST(NormalizeTest, RoleDropsWhatElasticsearchAdds) {
  Value stored = {{"cluster", Value::array()},
                  {"indices", Value::array()},
                  {"remote_indices",
                   {{{"clusters", {"logs"}},
                     {"names", "a"},
                     {"privileges", {"read"}},
                     {"allow_restricted_indices", false}}}},
                  {"applications", Value::array()},
                  {"run_as", Value::array()},
                  {"metadata", {{"managed-by", "crosslink"}}},
                  {"transient_metadata", {{"enabled", true}}}};
  Value desired = {
      {"remote_indices", {{{"clusters", {"logs"}}, {"names", {"a"}}, {"privileges", {"read"}}}}}};
  EXPECT_EQ(NormalizeRole(stored), NormalizeRole(desired));
  desired["remote_indices"][0]["privileges"] = {"read", "view_index_metadata"};
  EXPECT_NE(NormalizeRole(stored), NormalizeRole(desired));
}

TEST(RemoteSettingsTest, FlatSettingsBecomeTypedAttributes) {
  Value flat = {{"cluster.remote.logs.mode", "proxy"},
                {"cluster.remote.logs.proxy_address", "h:9443"},
                {"cluster.remote.logs.skip_unavailable", "false"},
                {"cluster.remote.logs.proxy_socket_connections", "18"},
                {"cluster.remote.logs-2.mode", "sniff"}};
  Value attrs = RemoteAttributesFromSettings(flat, "logs");
  EXPECT_EQ(attrs, (Value{{"alias", "logs"},
                          {"mode", "proxy"},
                          {"proxy_address", "h:9443"},
                          {"skip_unavailable", false},
                          {"proxy_socket_connections", 18}}));
  EXPECT_TRUE(RemoteAttributesFromSettings(flat, "nope").empty());
  Value sniff = RemoteAttributesFromSettings(
      Value{{"cluster.remote.x.seeds", Value::array({"a:1", "b:2"})}}, "x");
  EXPECT_EQ(sniff["mode"], "sniff");  // the default mode
  EXPECT_EQ(sniff["seeds"], Value::array({"a:1", "b:2"}));
}

TEST(RemoteSettingsTest, BodyNullsTheOtherModeAndDroppedKeys) {
  Value desired = {{"alias", "logs"}, {"mode", "sniff"}, {"seeds", {"a:9443"}}};
  Value previous = {{"alias", "logs"},
                    {"mode", "proxy"},
                    {"proxy_address", "h:9443"},
                    {"skip_unavailable", true}};
  Value body = RemoteSettingsBody("logs", desired, previous);
  const Value& p = body["persistent"];
  EXPECT_EQ(p["cluster.remote.logs.mode"], "sniff");
  EXPECT_EQ(p["cluster.remote.logs.seeds"], Value::array({"a:9443"}));
  EXPECT_TRUE(p["cluster.remote.logs.proxy_address"].is_null());
  EXPECT_TRUE(p.contains("cluster.remote.logs.server_name"));
  EXPECT_TRUE(p["cluster.remote.logs.skip_unavailable"].is_null());
  EXPECT_FALSE(p.contains("cluster.remote.logs.alias"));
  EXPECT_EQ(body.size(), 1u);
}

class EndpointTest : public ::testing::Test {
 protected:
  topology::Cluster Cluster() {
    topology::Cluster c;
    c.name = "onprem";
    c.url = "https://es1:9200/";
    c.ca_file = "./ca.pem";
    c.credentials.username = "admin";
    c.credentials.password.kind = topology::SecretRef::Kind::kFile;
    c.credentials.password.name = "./pw";
    return c;
  }
  std::function<const char*(const char*)> NoEnv() {
    return [](const char*) -> const char* { return nullptr; };
  }
  fakes::MemFileSystem fs_;
};

TEST_F(EndpointTest, ResolvesUrlCaAndPasswordRelativeToTheTopology) {
  ASSERT_TRUE(fs_.MakeDirs("/conf", 0700).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic("/conf/ca.pem", "-----BEGIN CERTIFICATE-----\nx\n", 0600).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic("/conf/pw", "s3cret-password\n", 0600).ok());
  auto ep = EndpointFromTopology(Cluster(), "/conf/topology.yaml", fs_, NoEnv());
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->url, "https://es1:9200");
  EXPECT_EQ(ep->password.expose(), "s3cret-password");
  EXPECT_TRUE(ep->has_user_credentials());
  EXPECT_NE(ep->options.ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(ep->description.find("/conf/ca.pem"), std::string::npos);
  EXPECT_EQ(ep->description.find("s3cret-password"), std::string::npos);
}

TEST_F(EndpointTest, ErrorsNameTheFieldToSet) {
  topology::Cluster c = Cluster();
  c.ca_file.clear();
  c.credentials = topology::Credentials{};
  auto ep = EndpointFromTopology(c, "/conf/t.yaml", fs_, NoEnv());
  ASSERT_FALSE(ep.ok());
  EXPECT_NE(ep.status().message().find("credentials.username/password"), std::string::npos);
  c.url.clear();
  ep = EndpointFromTopology(c, "/conf/t.yaml", fs_, NoEnv());
  EXPECT_NE(ep.status().message().find("set url"), std::string::npos);
  c = Cluster();
  ep = EndpointFromTopology(c, "/conf/t.yaml", fs_, NoEnv());  // no ca file
  ASSERT_FALSE(ep.ok());
  EXPECT_NE(ep.status().message().find("ca_file /conf/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace crosslink::providers::elasticsearch
