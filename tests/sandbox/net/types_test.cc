// FaultSpec/FaultTable/GlobMatch and the small request/response helpers.

#include <gtest/gtest.h>

#include "sandbox/net/net.h"

namespace crosslink::sandbox::net {
namespace {

TEST(GlobMatchTest, StarsMatchAnyRun) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "es/prod/rest"));
  EXPECT_TRUE(GlobMatch("es/*/rest", "es/prod/rest"));
  EXPECT_TRUE(GlobMatch("es/*", "es/prod/rcs"));
  EXPECT_TRUE(GlobMatch("*rest", "es/prod/rest"));
  EXPECT_TRUE(GlobMatch("es/**/rest", "es/a/b/rest"));
  EXPECT_FALSE(GlobMatch("es/*/rest", "es/prod/rcs"));
  EXPECT_FALSE(GlobMatch("es/prod", "es/prod/rest"));
  EXPECT_FALSE(GlobMatch("", "x"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
}

TEST(FaultSpecTest, JsonRoundTrip) {
  FaultSpec spec;
  spec.latency = std::chrono::milliseconds(250);
  spec.error_rate = 0.5;
  spec.error_status = 429;
  spec.reset_rate = 0.25;
  spec.down = true;
  Value json = spec.ToJson();
  EXPECT_EQ(json["latency_ms"], 250);
  auto back = FaultSpec::FromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->latency, spec.latency);
  EXPECT_EQ(back->error_rate, 0.5);
  EXPECT_EQ(back->error_status, 429);
  EXPECT_EQ(back->reset_rate, 0.25);
  EXPECT_TRUE(back->down);
}

TEST(FaultSpecTest, RejectsNonsense) {
  EXPECT_FALSE(FaultSpec::FromJson(Value::array()).ok());
  EXPECT_FALSE(FaultSpec::FromJson({{"error_rate", 1.5}}).ok());
  EXPECT_FALSE(FaultSpec::FromJson({{"error_status", 404}}).ok());
  EXPECT_FALSE(FaultSpec::FromJson({{"latency_ms", -1}}).ok());
  EXPECT_FALSE(FaultSpec::FromJson({{"down", "yes"}}).ok());
  auto unknown = FaultSpec::FromJson({{"latency", 5}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("latency"), std::string::npos);
  auto empty = FaultSpec::FromJson(Value::object());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->error_status, 503);
  EXPECT_FALSE(empty->down);
}

TEST(FaultTableTest, LaterRulesWinAndRoutesMatchToo) {
  FaultTable table;
  FaultSpec slow;
  slow.latency = std::chrono::milliseconds(100);
  FaultSpec down;
  down.down = true;
  table.Set("es/*", slow);
  table.Set("es/prod/rest", down);
  EXPECT_TRUE(table.Lookup("es/prod/rest", "").down);
  EXPECT_EQ(table.Lookup("es/qa/rest", "").latency.count(), 100);
  EXPECT_FALSE(table.Lookup("cloud/api", "").down);
  // A rule on a route name applies to whatever listener serves it.
  table.Set("route/rcs", down);
  EXPECT_TRUE(table.Lookup("shared/listener", "route/rcs").down);
  // Re-setting a pattern makes it the newest rule.
  table.Set("es/*", slow);
  EXPECT_FALSE(table.Lookup("es/prod/rest", "").down);
  table.Clear("es/*");
  EXPECT_TRUE(table.Lookup("es/prod/rest", "").down);
  EXPECT_EQ(table.ToJson().size(), 2u);
  EXPECT_EQ(table.ToJson()[0]["pattern"], "es/prod/rest");
  table.ClearAll();
  EXPECT_FALSE(table.Lookup("es/prod/rest", "route/rcs").down);
}

TEST(HttpTypesTest, HeaderQueryAndResponseBuilders) {
  HttpRequest request;
  request.headers["authorization"] = "ApiKey x";
  request.query["pretty"] = "";
  EXPECT_EQ(request.Header("authorization"), "ApiKey x");
  EXPECT_EQ(request.Header("missing"), "");
  EXPECT_TRUE(request.HasQuery("pretty"));
  EXPECT_EQ(request.Query("pretty", "false"), "");
  EXPECT_EQ(request.Query("timeout", "30s"), "30s");
  HttpResponse json = HttpResponse::Json(201, {{"acknowledged", true}});
  EXPECT_EQ(json.status, 201);
  EXPECT_EQ(json.body, R"({"acknowledged":true})");
  EXPECT_EQ(json.headers["Content-Type"], "application/json");
  HttpResponse text = HttpResponse::Text(200, "green\n");
  EXPECT_EQ(text.body, "green\n");
  EXPECT_NE(text.headers["Content-Type"].find("text/plain"), std::string::npos);
}

}  // namespace
}  // namespace crosslink::sandbox::net
