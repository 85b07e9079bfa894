// POST|GET /_security/_query/api_key.

#include "tests/sandbox/es/es_test_util.h"

namespace crosslink::sandbox::es::testing {
namespace {

class QueryTest : public TwinTest {
 protected:
  void SetUp() override {
    TwinTest::SetUp();
    CreateCcKey("rc-a", R"(,"metadata":{"managed-by":"crosslink","tags":["x","y"]})");
    clock_.Advance(std::chrono::seconds(1));
    CreateCcKey("rc-b", R"(,"metadata":{"managed-by":"crosslink"})");
    clock_.Advance(std::chrono::seconds(1));
    CreateRestKey("rest-c");
    clock_.Advance(std::chrono::seconds(1));
    Value d = CreateCcKey("rc-d", R"(,"metadata":{"managed-by":"someone"})");
    Call("DELETE", "/_security/api_key", R"({"ids":[")" + d["id"].get<std::string>() + R"("]})");
  }
  std::vector<std::string> Names(const std::string& body) {
    auto r = Call("POST", "/_security/_query/api_key", body);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    Value body = Body(r);
    for (const auto& k : body["api_keys"]) out.push_back(k["name"].get<std::string>());
    return out;
  }
};

using V = std::vector<std::string>;

TEST_F(QueryTest, MatchAllByDefault) {
  auto r = Call("GET", "/_security/_query/api_key");
  Value v = Body(r);
  EXPECT_EQ(v["total"], 4);
  EXPECT_EQ(v["count"], 4);
}

TEST_F(QueryTest, BoolOfTermsLikeDomainDrift) {
  EXPECT_EQ(Names(R"({"query":{"bool":{"must":[{"term":{"type":"cross_cluster"}},
      {"term":{"metadata.managed-by":"crosslink"}},{"term":{"invalidated":false}}]}}})"),
            (V{"rc-a", "rc-b"}));
  EXPECT_EQ(Names(R"({"query":{"bool":{"filter":[{"prefix":{"name":"rc-"}}],"must_not":[{"term":{"name":"rc-a"}}]}}})"),
            (V{"rc-b", "rc-d"}));
  EXPECT_EQ(Names(R"({"query":{"bool":{"should":[{"term":{"name":"rc-a"}},{"term":{"name":{"value":"rest-c"}}}]}}})"),
            (V{"rc-a", "rest-c"}));
}

TEST_F(QueryTest, LeafQueries) {
  EXPECT_EQ(Names(R"({"query":{"terms":{"name":["rc-a","rc-d"]}}})"), (V{"rc-a", "rc-d"}));
  EXPECT_EQ(Names(R"({"query":{"wildcard":{"name":"r?-?"}}})"), (V{"rc-a", "rc-b", "rc-d"}));
  EXPECT_EQ(Names(R"({"query":{"exists":{"field":"invalidation"}}})"), (V{"rc-d"}));
  EXPECT_EQ(Names(R"({"query":{"term":{"metadata.tags":"y"}}})"), (V{"rc-a"}));
  EXPECT_EQ(Names(R"({"query":{"range":{"creation":{"gte":1767225601000}}}})"), (V{"rc-b", "rest-c", "rc-d"}));
  EXPECT_EQ(Names(R"({"query":{"term":{"username":"elastic"}},"size":1,"from":1})"), (V{"rc-b"}));
}

TEST_F(QueryTest, SortAddsSortValues) {
  auto r = Call("POST", "/_security/_query/api_key", R"({"sort":[{"name":{"order":"desc"}}],"size":2})");
  Value v = Body(r);
  EXPECT_EQ(v["total"], 4);
  EXPECT_EQ(v["count"], 2);
  EXPECT_EQ(v["api_keys"][0]["name"], "rest-c");
  EXPECT_EQ(v["api_keys"][0]["_sort"], Value::array({"rest-c"}));
}

TEST_F(QueryTest, MinimumShouldMatchCountsAndPercentagesAndRejectsGarbage) {
  const std::string shoulds = R"("should":[{"prefix":{"name":"rc-"}},{"term":{"metadata.managed-by":"crosslink"}}])";
  EXPECT_EQ(Names(R"({"query":{"bool":{)" + shoulds + R"(,"minimum_should_match":2}}})"), (V{"rc-a", "rc-b"}));
  EXPECT_EQ(Names(R"({"query":{"bool":{)" + shoulds + R"(,"minimum_should_match":"100%"}}})"), (V{"rc-a", "rc-b"}));
  EXPECT_EQ(Names(R"({"query":{"bool":{)" + shoulds + R"(,"minimum_should_match":"-1"}}})"), (V{"rc-a", "rc-b", "rc-d"}));
  auto r = Call("POST", "/_security/_query/api_key",
                R"({"query":{"bool":{)" + shoulds + R"(,"minimum_should_match":"abc"}}})");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(QueryTest, UnsupportedQueriesAndFieldsAre400) {
  auto r = Call("POST", "/_security/_query/api_key", R"({"query":{"match":{"name":"x"}}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(Body(r)), "Query type [match] is not currently supported in this context");
  r = Call("POST", "/_security/_query/api_key", R"({"query":{"term":{"api_key_hash":"x"}}})");
  EXPECT_EQ(ErrorReason(Body(r)), "Field [api_key_hash] is not allowed for querying or aggregation");
  r = Call("POST", "/_security/_query/api_key", R"({"bogus":1})");
  EXPECT_EQ(r.status, 400);
}

}  // namespace
}  // namespace crosslink::sandbox::es::testing
