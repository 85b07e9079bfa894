// Trust settings: the API's rules and what the nodes are configured with.

#include "sandbox/cloud/trust.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/sandbox/cloud/cloud_test_util.h"

namespace crosslink::sandbox::cloud {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

const std::string kOwn = "aaaabbbbccccddddeeeeffff00001111";

Value Direct(const std::string& json) {
  Value d = *ParseJson(json);
  d["certificates"] = Value::array({Value{{"pem", testing::PemOfNewCa("Other CA")}}});
  return Value{{"direct", Value::array({d})}};
}

std::string FirstField(const std::optional<ApiError>& e) {
  return e && !e->fields.empty() ? e->fields[0] : "";
}

TEST(TrustTest, DefaultTrustCoversTheOwnOrganisation) {
  DerivedTrust d = DeriveTrust(DefaultTrust("1053523734"), kOwn, "1053523734", {});
  EXPECT_THAT(d.transport_trust_restrictions,
              ElementsAre("*.node." + kOwn + ".cluster.1053523734.account",
                          "*.node.*.cluster.1053523734.account"));
  EXPECT_TRUE(d.transport_ca_pems.empty());
  EXPECT_TRUE(d.rcs_client_ca_pems.empty());
}

TEST(TrustTest, AccountAllowlistNamesClusterIds) {
  Value trust = *ParseJson(R"({"accounts":[{"account_id":"83988631","trust_all":false,
      "trust_allowlist":["cf659f7f"]}]})");
  DerivedTrust d = DeriveTrust(trust, kOwn, "1053523734", {});
  EXPECT_THAT(d.transport_trust_restrictions, Contains("*.node.cf659f7f.cluster.83988631.account"));
  EXPECT_TRUE(TrustsCluster(trust, kOwn, "1053523734", {}, "cf659f7f", "83988631"));
  EXPECT_FALSE(TrustsCluster(trust, kOwn, "1053523734", {}, "other", "83988631"));
}

TEST(TrustTest, DirectGenericTrustsItsCaScopeAndNodeNames) {
  Value trust = Direct(R"({"name":"eck","type":"generic","trust_all":true,"scope_id":"data.es.local",
      "additional_node_names":["node1.example.com"]})");
  ASSERT_FALSE(CheckTrust(trust, "trust", {}));
  DerivedTrust d = DeriveTrust(trust, kOwn, "1053523734", {});
  ASSERT_EQ(d.transport_ca_pems.size(), 1u);
  EXPECT_THAT(d.transport_trust_restrictions, Contains("*.node.*.cluster.data.es.local.account"));
  EXPECT_THAT(d.transport_trust_restrictions, Contains("*.node.*.data.es.local"));
  EXPECT_THAT(d.transport_trust_restrictions, Contains("node1.example.com"));
  EXPECT_TRUE(d.rcs_client_ca_pems.empty());
}

TEST(TrustTest, ProxyTypeTrustsTheRemoteClusterServerCaOnly) {
  Value trust = Direct(R"({"name":"private ca","type":"proxy","trust_all":false})");
  ASSERT_FALSE(CheckTrust(trust, "trust", {}));
  DerivedTrust d = DeriveTrust(trust, kOwn, "1", {});
  EXPECT_EQ(d.rcs_client_ca_pems.size(), 1u);
  EXPECT_TRUE(d.transport_ca_pems.empty());
}

TEST(TrustTest, ScopeIdWithBadCharactersIsRejected) {
  auto e = CheckTrust(Direct(R"({"name":"x","trust_all":true,"scope_id":"Bad_Scope!"})"), "t", {});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
  EXPECT_EQ(FirstField(e), "t.direct[0].scope_id");
  e = CheckTrust(Direct(R"({"name":"x","trust_all":true,"scope_id":"0123456789012345678901234567890123"})"), "t", {});
  EXPECT_EQ(FirstField(e), "t.direct[0].scope_id");
}

TEST(TrustTest, ProxyTypeRejectsScopeAllowlistAndTrustAll) {
  EXPECT_EQ(FirstField(CheckTrust(Direct(R"({"name":"x","type":"proxy","trust_all":false,"trust_allowlist":["a"]})"), "t", {})),
            "t.direct[0].trust_allowlist");
  EXPECT_EQ(FirstField(CheckTrust(Direct(R"({"name":"x","type":"proxy","trust_all":true})"), "t", {})),
            "t.direct[0].trust_all");
  EXPECT_EQ(FirstField(CheckTrust(Direct(R"({"name":"x","type":"proxy","trust_all":false,"scope_id":"abc"})"), "t", {})),
            "t.direct[0].scope_id");
}

TEST(TrustTest, ScopeAndNodeNameRules) {
  EXPECT_EQ(FirstField(CheckTrust(Direct(R"({"name":"x","trust_all":true})"), "t", {})), "t.direct[0].scope_id");
  EXPECT_EQ(FirstField(CheckTrust(Direct(R"({"name":"x","trust_all":false,"trust_allowlist":["c1"]})"), "t", {})),
            "t.direct[0].scope_id");
  EXPECT_EQ(FirstField(CheckTrust(Direct(R"({"name":"x","trust_all":false})"), "t", {})),
            "t.direct[0].additional_node_names");
  EXPECT_EQ(FirstField(CheckTrust(Direct(R"({"name":"x","trust_all":false,"additional_node_names":["node*.example.com"]})"), "t", {})),
            "t.direct[0].additional_node_names");
  EXPECT_FALSE(CheckTrust(Direct(R"({"name":"x","trust_all":false,"additional_node_names":["node1.example.com"]})"), "t", {}));
}

TEST(TrustTest, CertificatesMustBePem) {
  Value trust = *ParseJson(R"({"direct":[{"name":"x","trust_all":true,"scope_id":"abc","certificates":[{"pem":"nope"}]}]})");
  EXPECT_EQ(FirstField(CheckTrust(trust, "t", {})), "t.direct[0].certificates[0].pem");
}

TEST(TrustTest, ExternalNeedsAKnownRelationshipAndBringsItsCa) {
  TrustRelationships rels;
  TrustRelationship r;
  r.id = "rel1";
  r.name = "ECE2";
  r.installation_id = "feedfeedfeedfeedfeedfeedfeedfeed";
  r.public_ca_cert = testing::PemOfNewCa("ECE2 CA");
  rels[r.id] = r;
  Value trust = *ParseJson(R"({"external":[{"trust_relationship_id":"rel1","trust_all":true}]})");
  EXPECT_FALSE(CheckTrust(trust, "t", rels));
  EXPECT_EQ(FirstField(CheckTrust(trust, "t", {})), "t.external[0].trust_relationship_id");
  DerivedTrust d = DeriveTrust(trust, kOwn, "x", rels);
  EXPECT_EQ(d.transport_ca_pems.size(), 1u);
  EXPECT_THAT(d.transport_trust_restrictions, Contains("*.node.*.cluster.feedfeedfeedfeedfeedfeedfeedfeed.account"));
  Value normalized = NormalizeTrust(trust, rels, [] { return "uid"; });
  EXPECT_EQ(normalized["external"][0]["name"], "ECE2");
}

TEST(TrustTest, NormalizeAddsUidAndCertificateMetadata) {
  Value trust = Direct(R"({"name":"x","trust_all":true,"scope_id":"abc"})");
  Value n = NormalizeTrust(trust, {}, [] { return "generated-uid"; });
  EXPECT_EQ(n["direct"][0]["uid"], "generated-uid");
  EXPECT_EQ(n["direct"][0]["type"], "generic");
  EXPECT_TRUE(n["direct"][0]["certificates"][0]["metadata"].contains("fingerprint"));
  n["direct"][0]["uid"] = "kept";
  EXPECT_EQ(NormalizeTrust(n, {}, [] { return "other"; })["direct"][0]["uid"], "kept");
}

TEST(TrustTest, NodeNamesFollowTheElasticPattern) {
  EXPECT_EQ(NodeCommonName("instance-0", "c1", "123"), "instance-0.node.c1.cluster.123");
  EXPECT_EQ(NodeOtherName("instance-0", "c1", "123"), "instance-0.node.c1.cluster.123.account");
}

}  // namespace
}  // namespace crosslink::sandbox::cloud
