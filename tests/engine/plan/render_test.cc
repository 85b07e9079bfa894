// Rendering scenarios: golden text plans (tests/golden/plan_*.txt; rerun with
// CROSSLINK_UPDATE_GOLDEN=1 to rewrite them after an intended change), the
// -json shape, colours, and the guarantee that no secret is ever shown.

#include "engine/plan/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/plan/attribute_diff.h"
#include "engine/plan/plan_file.h"
#include "tests/engine/plan/plan_test_support.h"

namespace crosslink::plan {
namespace {

using providers::LiveObject;
using testing::ApplySimulator;
using testing::CaAddr;
using testing::CheckAddr;
using testing::Conn;
using testing::Expand;
using testing::ExpectGolden;
using ::testing::HasSubstr;
using testing::kAnalytics;
using testing::KeyAddr;
using testing::ServerAddr;
using testing::KeystoreAddr;
using testing::kOnprem;
using ::testing::Not;
using testing::RemoteAddr;

class RenderTest : public testing::PlanScenario {
 protected:
  std::string Text(const Plan& p) { return RenderPlanText(p, RenderOptions{}); }
};

TEST_F(RenderTest, CreatePlanGolden) {
  Plan p = MakeOk(Expand({kAnalytics}));
  ExpectGolden("plan_create.txt", Text(p));
}

TEST_F(RenderTest, NoChangesGolden) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  const std::string text = Text(MakeOk(specs));
  EXPECT_EQ(text, "No changes. The live clusters match the topology.\n");
  ExpectGolden("plan_no_changes.txt", text);
}

TEST_F(RenderTest, UpdatePlanGolden) {
  Converge(Expand({kAnalytics, kOnprem}));
  Conn wider = kAnalytics;
  wider.search = {"logs-*", "metrics-*"};
  // onprem -> logs removed at the same time: updates and deletes together.
  Plan p = MakeOk(Expand({wider}));
  const std::string text = Text(p);
  EXPECT_THAT(text,
              HasSubstr("  # es_cross_cluster_api_key.logs.analytics will be updated in-place\n"
                        "  ~ es_cross_cluster_api_key.logs.analytics {\n"
                        "      ~ access.search = [{ names = [\"logs-*\"] }] -> "
                        "[{ names = [\"logs-*\", \"metrics-*\"] }]\n"
                        "    }\n"));
  EXPECT_THAT(text, HasSubstr("# es_remote_connected.onprem.logs will be removed from state"));
  EXPECT_THAT(text, HasSubstr("Plan: 0 to add, 1 to change, 4 to destroy.\n"));
  ExpectGolden("plan_update.txt", text);
}

TEST_F(RenderTest, ReplacePlanGolden) {
  Converge(Expand({kAnalytics}));
  es_.SetRequiresReplace("es_cross_cluster_api_key", {"name"});
  auto specs = Expand({kAnalytics});
  specs[2].attributes["name"] = "crosslink-logs-analytics-v2";
  const std::string text = Text(MakeOk(specs));
  EXPECT_THAT(text, HasSubstr("# es_cross_cluster_api_key.logs.analytics will be replaced "
                              "(forced by: name)\n"
                              "-/+ es_cross_cluster_api_key.logs.analytics {\n"
                              "      ~ name = \"crosslink-logs-analytics\" -> "
                              "\"crosslink-logs-analytics-v2\" # forces replacement\n"));
  EXPECT_THAT(text, HasSubstr("      ~ credential = (sensitive)\n"
                              "      ~ key_id     = \"es_cross_cluster_api_key.logs.analytics#2\""
                              " -> (known after apply)\n"));
  EXPECT_THAT(text, HasSubstr("Plan: 1 to add, 1 to change, 1 to destroy.\n"));
  ExpectGolden("plan_replace.txt", text);
}

TEST_F(RenderTest, DestroyPlanGolden) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  PlanOptions opts;
  opts.destroy = true;
  const std::string text = Text(MakeOk(specs, opts));
  EXPECT_THAT(text, HasSubstr("These clusters will restart: logs (once)\n"));
  EXPECT_THAT(text, HasSubstr("Plan: 0 to add, 0 to change, 6 to destroy.\n"));
  ExpectGolden("plan_destroy.txt", text);
}

TEST_F(RenderTest, DriftIsShownBeforeTheIntendedChanges) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  world_.SetAttribute(RemoteAddr(kAnalytics), "proxy_address", "elsewhere.example.com:9443");
  world_.Erase(KeystoreAddr(kAnalytics));
  const std::string text = Text(MakeOk(specs));
  const size_t drift = text.find("Objects changed outside crosslink");
  const size_t actions = text.find("crosslink will perform the following actions:");
  ASSERT_NE(drift, std::string::npos);
  ASSERT_NE(actions, std::string::npos);
  EXPECT_LT(drift, actions);
  EXPECT_THAT(text, HasSubstr("  # es_keystore_credential.analytics.logs has been deleted\n"));
  EXPECT_THAT(text, HasSubstr("      ~ proxy_address = \"logs.example.com:9443\" -> "
                              "\"elsewhere.example.com:9443\"\n"));
  ExpectGolden("plan_drift.txt", text);
}

TEST_F(RenderTest, OrphansAndDataReadsAreExplained) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  state_.resources.erase(ServerAddr("logs"));  // no secret of it is needed: adopted as is
  world_.SetOutput(CaAddr("logs"), "fingerprint", "CC:DD");
  LiveObject stray;
  stray.attributes = {{"name", "crosslink-logs-gone"}};
  world_.Set("es_cross_cluster_api_key.logs.gone", "elasticsearch", "logs", stray, true);
  const std::string text = Text(MakeOk(specs));
  EXPECT_THAT(text, HasSubstr("  # eck_remote_cluster_server.logs will be adopted into state\n"));
  EXPECT_THAT(text, HasSubstr("  # es_cross_cluster_api_key.logs.gone will be destroyed\n"
                              "  # (created by crosslink but missing from state (interrupted "
                              "run?))\n"
                              "  - es_cross_cluster_api_key.logs.gone\n"));
  EXPECT_THAT(text, HasSubstr("  # es_ca.logs will be read during apply\n"
                              "  # (its live value changed since the last apply)\n"
                              " <= es_ca.logs\n"));
  EXPECT_THAT(text, HasSubstr(", 1 to adopt.\n"));
}

TEST_F(RenderTest, FailingCheckWillBeVerified) {
  const auto specs = Expand({kAnalytics});
  Converge(specs);
  es_.SetCheckFailing(CheckAddr(kAnalytics), "remote cluster \"logs\" is not connected");
  EXPECT_THAT(Text(MakeOk(specs)),
              HasSubstr("  # es_remote_connected.analytics.logs will be verified\n"
                        "  # (remote cluster \"logs\" is not connected)\n"));
}

TEST_F(RenderTest, ColourOnlyWhenAsked) {
  Plan p = MakeOk(Expand({kAnalytics}));
  EXPECT_THAT(RenderPlanText(p, RenderOptions{false}), Not(HasSubstr("\x1b[")));
  const std::string coloured = RenderPlanText(p, RenderOptions{true});
  EXPECT_THAT(coloured, HasSubstr("\x1b[32m+\x1b[0m"));
  EXPECT_THAT(coloured, HasSubstr("\x1b[1m"));
}

TEST_F(RenderTest, TargetNoteIsShown) {
  PlanOptions opts;
  opts.targets = {KeyAddr(kAnalytics)};
  EXPECT_THAT(Text(MakeOk(Expand({kAnalytics}), opts)), HasSubstr("-target is in effect"));
}

TEST_F(RenderTest, JsonHasTheDocumentedShape) {
  Converge(Expand({kAnalytics}));
  Conn wider = kAnalytics;
  wider.search = {"logs-*", "metrics-*"};
  PlanOptions opts;
  opts.topology_file = "topology.yaml";
  opts.topology_digest = "abc123";
  Plan p = MakeOk(Expand({wider}), opts);
  const Value j = PlanToJson(p);

  EXPECT_EQ(j["format_version"], kPlanFormatVersion);
  EXPECT_EQ(j["state"]["serial"], 1);
  EXPECT_EQ(j["state"]["lineage"], state_.lineage);
  EXPECT_EQ(j["topology"]["file"], "topology.yaml");
  EXPECT_EQ(j["topology"]["digest"], "abc123");
  EXPECT_EQ(j["destroy"], false);
  EXPECT_EQ(j["refreshed"], true);
  ASSERT_TRUE(j["changes"].is_array());
  ASSERT_EQ(j["changes"].size(), p.changes.size());
  for (const char* key : {"address", "type", "provider", "cluster", "mode", "action", "before",
                          "after", "attribute_changes", "requires_replace", "restarts_cluster",
                          "reason", "orphan", "wait_for"}) {
    EXPECT_TRUE(j["changes"][0].contains(key)) << key;
  }
  const Value& key = j["changes"][2];
  EXPECT_EQ(key["address"], KeyAddr(kAnalytics));
  EXPECT_EQ(key["action"], "update");
  EXPECT_EQ(key["mode"], "managed");
  EXPECT_EQ(key["attribute_changes"][0]["path"], "access.search");
  EXPECT_EQ(key["attribute_changes"][0]["sensitive"], false);
  EXPECT_EQ(j["changes"][1]["mode"], "data");
  EXPECT_EQ(j["changes"][0]["action"], "no-op");
  EXPECT_EQ(j["summary"], Value::parse(R"({"add":0,"change":1,"destroy":0,"read":0,"adopt":0,
                                            "has_changes":true})"));
  EXPECT_TRUE(j["drift"].is_array());
  EXPECT_TRUE(j["restarts"].is_array());
  EXPECT_TRUE(j["restart_groups"].is_array());
  EXPECT_TRUE(j["restart_counts"].is_object());
  EXPECT_TRUE(j["diagnostics"].is_array());
}

TEST_F(RenderTest, JsonMarksSensitiveChangesWithoutValues) {
  Converge(Expand({kAnalytics}));
  PlanOptions opts;
  opts.replace = {KeyAddr(kAnalytics)};
  const Value j = PlanToJson(MakeOk(Expand({kAnalytics}), opts));
  const Value& ks = j["changes"][3];
  ASSERT_EQ(ks["address"], KeystoreAddr(kAnalytics));
  const Value& credential = ks["attribute_changes"][0];
  EXPECT_EQ(credential["path"], "credential");
  EXPECT_EQ(credential["sensitive"], true);
  EXPECT_TRUE(credential["before"].is_null());
  EXPECT_TRUE(credential["after"].is_null());
}

TEST_F(RenderTest, NoSecretEverAppearsInTextJsonOrPlanFile) {
  const auto specs = Expand({kAnalytics, kOnprem});
  Converge(specs);
  std::vector<std::string> secrets;
  for (const auto& [address, r] : state_.resources) {
    for (const auto& [name, secret] : r.sensitive_outputs) secrets.push_back(secret.expose());
  }
  ASSERT_EQ(secrets.size(), 2u);  // one encoded key per connection

  // Plans that touch every consumer of the secrets: replace, destroy, drift.
  PlanOptions replace;
  replace.replace = {KeyAddr(kAnalytics), KeyAddr(kOnprem)};
  PlanOptions destroy;
  destroy.destroy = true;
  auto leaky = specs;
  leaky[3].attributes["leak"] = graph::MakeRef(KeyAddr(kAnalytics), "encoded");
  for (const Plan& p : {MakeOk(specs, replace), MakeOk(specs, destroy), MakeOk(leaky),
                        MakeOk(Expand({kAnalytics}))}) {
    const std::string outputs[] = {
        RenderPlanText(p, RenderOptions{false}), RenderPlanText(p, RenderOptions{true}),
        DumpJsonPretty(PlanToJson(p)), DumpJsonPretty(PlanToFileJson(p))};
    for (const std::string& out : outputs) {
      for (const std::string& s : secrets) EXPECT_THAT(out, Not(HasSubstr(s)));
    }
  }
}

TEST(RenderValueTest, ShowsUnknownAndSensitiveValues) {
  EXPECT_EQ(RenderValue(Value("x")), "\"x\"");
  EXPECT_EQ(RenderValue(Value(3)), "3");
  EXPECT_EQ(RenderValue(graph::MakeRef("a.b", "id")), "(known after apply)");
  EXPECT_EQ(RenderValue(SensitiveMarker()), "(sensitive)");
  EXPECT_EQ(RenderValue(Value::parse(R"({"a":[1,{"$ref":"x.y","output":"o"}],"b":{}})")),
            "{ a = [1, (known after apply)], b = {} }");
}

}  // namespace
}  // namespace crosslink::plan
