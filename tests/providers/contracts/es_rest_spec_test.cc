// The REST-spec checker itself: good requests pass, each kind of bad one
// is caught.

#include "tests/providers/contracts/es_rest_spec.h"

#include <gtest/gtest.h>

namespace crosslink::contracts {
namespace {

class EsRestSpecTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto spec = EsRestSpec::Load(std::string(CROSSLINK_CONTRACTS_DIR) + "/es-rest-api-spec");
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    spec_ = new EsRestSpec(std::move(spec).value());
  }
  static void TearDownTestSuite() { delete spec_; }
  std::vector<std::string> Check(const std::string& m, const std::string& u,
                                 const std::string& b = "") {
    return spec_->Check(m, u, b);
  }
  static EsRestSpec* spec_;
};
EsRestSpec* EsRestSpecTest::spec_ = nullptr;

TEST_F(EsRestSpecTest, LoadsEveryEndpoint) {
  EXPECT_EQ(spec_->size(), 15u);
  EXPECT_EQ(spec_->Match("PUT", "/_security/role/reader"), "security.put_role");
  EXPECT_EQ(spec_->Match("GET", "/_security/role"), "security.get_role");
  EXPECT_EQ(spec_->Match("DELETE", "/_security/api_key"), "security.invalidate_api_key");
  EXPECT_EQ(spec_->Match("PUT", "/_security/cross_cluster/api_key/abc"),
            "security.update_cross_cluster_api_key");
  EXPECT_EQ(spec_->Match("PATCH", "/_security/role/reader"), "");
}

TEST_F(EsRestSpecTest, GoodRequestsPass) {
  EXPECT_TRUE(Check("GET",
                    "https://h:9200/_cluster/"
                    "settings?flat_settings=true&filter_path=persistent.cluster.remote")
                  .empty());
  EXPECT_TRUE(Check("GET", "/_remote/info").empty());
  EXPECT_TRUE(
      Check("POST", "/_security/cross_cluster/api_key",
            R"({"name":"k","access":{"search":[{"names":["logs-*"]}]},"metadata":{"a":"b"}})")
          .empty());
  EXPECT_TRUE(Check("PUT", "/_security/cross_cluster/api_key/id1",
                    R"({"access":{"replication":[{"names":"orders"}]}})")
                  .empty());
  EXPECT_TRUE(
      Check("PUT", "/_cluster/settings",
            R"({"persistent":{"cluster.remote.a.mode":"proxy","cluster.remote.a.seeds":null}})")
          .empty());
  EXPECT_TRUE(Check("DELETE", "/_security/api_key", R"({"ids":["a","b"]})").empty());
  EXPECT_TRUE(Check("POST", "/_security/_query/api_key",
                    R"({"query":{"term":{"type":"cross_cluster"}},"size":100,"sort":["creation"]})")
                  .empty());
  EXPECT_TRUE(
      Check("PUT", "/_security/role/r", R"({"cluster":["monitor"],"metadata":{}})").empty());
  EXPECT_TRUE(Check("DELETE", "/_security/role/r").empty());
}

TEST_F(EsRestSpecTest, PathMethodAndParametersAreChecked) {
  EXPECT_FALSE(Check("GET", "/_security/cross_cluster/api_keys").empty());     // unknown path
  EXPECT_FALSE(Check("POST", "/_remote/info").empty());                        // wrong method
  EXPECT_FALSE(Check("GET", "/_remote/info?verbose=true").empty());            // unknown param
  EXPECT_TRUE(Check("GET", "/_remote/info?pretty&error_trace=true").empty());  // global params
  EXPECT_FALSE(Check("GET", "/_remote/info", "{}").empty());                   // body not allowed
  EXPECT_FALSE(Check("PUT", "/_cluster/settings").empty());                    // body required
}

TEST_F(EsRestSpecTest, BodyShapesAreChecked) {
  // Cross-cluster keys: access required, entries need names, known fields only.
  EXPECT_FALSE(Check("POST", "/_security/cross_cluster/api_key", R"({"name":"k"})").empty());
  EXPECT_FALSE(Check("POST", "/_security/cross_cluster/api_key",
                     R"({"name":"k","access":{"search":[{"query":{}}]}})")
                   .empty());
  EXPECT_FALSE(Check("POST", "/_security/cross_cluster/api_key",
                     R"({"name":"k","access":{"search":[{"names":["a"]}]},"role_descriptors":{}})")
                   .empty());
  EXPECT_FALSE(
      Check("POST", "/_security/cross_cluster/api_key", R"({"name":"k","access":{}})").empty());
  EXPECT_FALSE(Check("PUT", "/_security/cross_cluster/api_key/x",
                     R"({"name":"k","access":{"search":[{"names":["a"]}]}})")
                   .empty());  // update cannot rename
  EXPECT_FALSE(Check("POST", "/_security/cross_cluster/api_key",
                     R"({"name":"k","access":{"replication":[{"names":["a"],"query":{}}]}})")
                   .empty());  // replication has no query
  // Settings: only persistent / transient.
  EXPECT_FALSE(Check("PUT", "/_cluster/settings", R"({"cluster.remote.a.mode":"proxy"})").empty());
  // Invalidate: ids or name, not both.
  EXPECT_FALSE(Check("DELETE", "/_security/api_key", R"({"ids":["a"],"name":"k"})").empty());
  // Query: known fields only.
  EXPECT_FALSE(Check("POST", "/_security/_query/api_key", R"({"filter":{}})").empty());
  // Roles: known descriptor fields only.
  EXPECT_FALSE(Check("PUT", "/_security/role/r", R"({"privileges":["read"]})").empty());
  EXPECT_FALSE(Check("PUT", "/_security/role/r", "not json").empty());
}

}  // namespace
}  // namespace crosslink::contracts
