// Restart groups (engine/plan/restart_groups.h): which changes of a plan are
// applied together so that their cluster restarts once; the cycle fallback;
// the restart counts the plan text shows; and the groups through the planner,
// the plan file and -json.

#include "engine/plan/restart_groups.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/plan/plan_file.h"
#include "engine/plan/render.h"
#include "tests/engine/plan/plan_test_support.h"
#include "tests/fakes/mem_filesystem.h"

namespace crosslink::plan {
namespace {

using graph::ResourceMode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A change of `type`.<name> on `cluster`; restarting, managed, an update
// unless told otherwise.
ResourceChange Change(const std::string& address, const std::string& cluster,
                      std::vector<std::string> wait_for = {},
                      ChangeAction action = ChangeAction::kUpdate, bool restarts = true,
                      const std::string& provider = "eck") {
  ResourceChange c;
  c.address = address;
  c.type = address.substr(0, address.find('.'));
  c.provider = provider;
  c.cluster = cluster;
  c.action = action;
  c.restarts_cluster = restarts;
  c.wait_for = std::move(wait_for);
  return c;
}

RestartGroup Group(const std::string& cluster, std::vector<std::string> members,
                   const std::string& provider = "eck") {
  return RestartGroup{provider, cluster, std::move(members)};
}

TEST(RestartGroupsTest, ChangesRestartingOneClusterThroughOneProviderFormOneGroup) {
  std::vector<ResourceChange> changes = {
      Change("eck_remote_cluster_server.logs", "logs"),
      Change("es_cross_cluster_api_key.apps.logs", "logs", {}, ChangeAction::kCreate, false,
             "elasticsearch"),
      Change("eck_remote_credential.logs.apps", "logs", {"es_cross_cluster_api_key.apps.logs"},
             ChangeAction::kCreate),
      Change("eck_remote_client_tls.logs", "logs", {}, ChangeAction::kReplace),
      Change("eck_cloud_trust.logs", "logs", {}, ChangeAction::kDelete),
      Change("eck_remote_cluster_server.apps", "apps"),  // alone on its cluster
  };
  EXPECT_THAT(FormRestartGroups(changes),
              ElementsAre(Group(
                  "logs", {"eck_remote_cluster_server.logs", "eck_remote_credential.logs.apps",
                           "eck_remote_client_tls.logs", "eck_cloud_trust.logs"})));
}

TEST(RestartGroupsTest, OnlyManagedActingRestartingChangesOfOneProviderQualify) {
  ResourceChange data = Change("eck_transport_ca.logs", "logs", {}, ChangeAction::kRead);
  data.mode = ResourceMode::kData;
  ResourceChange check = Change("es_remote_connection_check.logs.a", "logs");
  check.mode = ResourceMode::kCheck;
  ResourceChange no_cluster = Change("eck_env.k8s", "");
  std::vector<ResourceChange> changes = {
      Change("eck_remote_cluster_server.logs", "logs"),
      Change("eck_remote_client_tls.logs", "logs", {}, ChangeAction::kNoOp),
      Change("eck_cloud_trust.logs", "logs", {}, ChangeAction::kUpdate, /*restarts=*/false),
      Change("self_client_tls.logs", "logs", {}, ChangeAction::kUpdate, true, "self"),
      data,
      check,
      no_cluster,
  };
  EXPECT_THAT(FormRestartGroups(changes), IsEmpty());
  EXPECT_TRUE(IsRestartGroupCandidate(changes[0]));
  EXPECT_FALSE(IsRestartGroupCandidate(changes[1]));
  EXPECT_FALSE(IsRestartGroupCandidate(check));
  EXPECT_FALSE(IsRestartGroupCandidate(no_cluster));
}

TEST(RestartGroupsTest, AChangeWaitingForAnotherMemberStaysOutOfTheGroup) {
  std::vector<ResourceChange> changes = {
      Change("eck_remote_cluster_server.logs", "logs"),
      Change("eck_remote_cluster_service.logs", "logs", {"eck_remote_cluster_server.logs"},
             ChangeAction::kCreate, false),
      // Waits for the server through the (non-restarting) service.
      Change("eck_transport_trust.logs", "logs", {"eck_remote_cluster_service.logs"}),
      // Waits for the server directly.
      Change("eck_cloud_trust.logs", "logs", {"eck_remote_cluster_server.logs"}),
      Change("eck_remote_client_tls.logs", "logs"),
  };
  EXPECT_THAT(
      FormRestartGroups(changes),
      ElementsAre(Group("logs", {"eck_remote_cluster_server.logs", "eck_remote_client_tls.logs"})));

  // With only one change left, there is no group.
  changes.pop_back();
  EXPECT_THAT(FormRestartGroups(changes), IsEmpty());
}

// Two clusters connected both ways, where each side's restarting changes
// wait (through a key on the other cluster) for the other side's: merging
// both groups would make them wait for each other. Both are dissolved; an
// unrelated group stays.
TEST(RestartGroupsTest, GroupsThatWouldWaitForEachOtherAreDissolved) {
  std::vector<ResourceChange> changes = {
      Change("server.a", "a"),
      Change("server.b", "b"),
      Change("key.b", "a", {"server.a"}, ChangeAction::kCreate, false),
      Change("key.a", "b", {"server.b"}, ChangeAction::kCreate, false),
      Change("credential.a", "a", {"key.a"}, ChangeAction::kCreate),
      Change("credential.b", "b", {"key.b"}, ChangeAction::kCreate),
      Change("server.c", "c"),
      Change("tls.c", "c", {"credential.a"}),  // waits for group a: no cycle of its own
  };
  EXPECT_THAT(FormRestartGroups(changes), ElementsAre(Group("c", {"server.c", "tls.c"})));

  // Without the key of one direction waiting for the server, there is no cycle.
  changes[3].wait_for.clear();
  EXPECT_THAT(FormRestartGroups(changes), ElementsAre(Group("a", {"server.a", "credential.a"}),
                                                      Group("b", {"server.b", "credential.b"}),
                                                      Group("c", {"server.c", "tls.c"})));
}

TEST(RestartGroupsTest, ACycleThroughThreeGroupsDissolvesThemAll) {
  std::vector<ResourceChange> changes = {
      Change("x1.a", "a"),
      Change("x2.a", "a", {"y.b"}),  // a waits for b
      Change("x1.b", "b"),
      Change("x2.b", "b", {"y.c"}),  // b waits for c
      Change("x1.c", "c"),
      Change("x2.c", "c", {"y.a"}),  // c waits for a
      Change("y.a", "k", {"x1.a"}, ChangeAction::kCreate, false),
      Change("y.b", "k", {"x1.b"}, ChangeAction::kCreate, false),
      Change("y.c", "k", {"x1.c"}, ChangeAction::kCreate, false),
  };
  EXPECT_THAT(FormRestartGroups(changes), IsEmpty());
}

TEST(RestartGroupsTest, ResultDoesNotDependOnTheOrderOfIndependentChanges) {
  std::vector<ResourceChange> changes = {
      Change("s.zeta", "zeta"),
      Change("t.zeta", "zeta"),
      Change("s.alpha", "alpha"),
      Change("t.alpha", "alpha", {}, ChangeAction::kUpdate, true, "self"),
      Change("u.alpha", "alpha", {}, ChangeAction::kUpdate, true, "self"),
      Change("v.alpha", "alpha"),
  };
  const std::vector<RestartGroup> expected = {Group("alpha", {"s.alpha", "v.alpha"}),
                                              Group("alpha", {"t.alpha", "u.alpha"}, "self"),
                                              Group("zeta", {"s.zeta", "t.zeta"})};
  EXPECT_EQ(FormRestartGroups(changes), expected);
  std::reverse(changes.begin(), changes.end());
  std::vector<RestartGroup> reversed = FormRestartGroups(changes);
  for (RestartGroup& g : reversed) std::reverse(g.members.begin(), g.members.end());
  EXPECT_EQ(reversed, expected);  // same groups; members in (the new) plan order
}

TEST(RestartGroupsTest, CountsOneRestartPerGroupAndPerChangeOutsideGroups) {
  Plan p;
  p.changes = {
      Change("a.logs", "logs"),
      Change("b.logs", "logs"),
      Change("c.logs", "logs"),
      Change("a.onprem", "onprem"),
      Change("b.onprem", "onprem"),
      Change("c.onprem", "onprem", {"a.onprem"}),  // after the group: restarts again
      Change("a.single", "single"),
      Change("a.dc", "dc", {}, ChangeAction::kUpdate, true, "self"),
      Change("b.dc", "dc", {"a.dc"}, ChangeAction::kUpdate, true, "self"),
      Change("c.dc", "dc", {"b.dc"}, ChangeAction::kUpdate, true, "self"),
  };
  p.restarts = {"dc", "logs", "onprem", "single"};
  p.restart_groups = FormRestartGroups(p.changes);
  std::vector<std::string> described;
  for (const ClusterRestarts& r : CountRestarts(p)) described.push_back(DescribeRestarts(r));
  EXPECT_THAT(described,
              ElementsAre("dc (3 times: 3 times for 1 change each)", "logs (once, for 3 changes)",
                          "onprem (twice: once for 2 changes combined, once for 1 "
                          "change)",
                          "single (once)"));
  std::vector<ClusterRestarts> counts = CountRestarts(p);
  EXPECT_EQ(counts[2].restarts(), 2u);
  EXPECT_EQ(counts[2].changes(), 3u);
}

// ---- through the planner ----

using testing::Conn;
using testing::Expand;
using testing::kAnalytics;
using testing::kOnprem;

class RestartGroupPlanTest : public testing::PlanScenario {
 protected:
  // Every logs-side resource of the miniature expansion restarts logs: the
  // server and the CA read are eck's, so make a second eck resource.
  std::vector<graph::ResourceSpec> WithClientTls(std::vector<graph::ResourceSpec> specs) {
    graph::ResourceSpec tls;
    tls.address = "eck_remote_client_tls.logs";
    tls.type = "eck_remote_client_tls";
    tls.provider = "eck";
    tls.cluster = "logs";
    tls.environment = "k8s";
    tls.step = "L:ECK.CLIENT.TLS";
    tls.attributes = {{"config_map", "logs-crosslink-remote-ca"}};
    tls.restarts_cluster = true;
    specs.insert(specs.begin(), tls);
    return specs;
  }
};

TEST_F(RestartGroupPlanTest, PlannerStoresTheGroupsAndRenderSaysTheyAreCombined) {
  eck_.SetRestarts("eck_remote_client_tls");
  Plan p = MakeOk(WithClientTls(Expand({kAnalytics, kOnprem})));
  ASSERT_THAT(p.restarts, ElementsAre("logs"));
  EXPECT_THAT(
      p.restart_groups,
      ElementsAre(Group("logs", {"eck_remote_client_tls.logs", "eck_remote_cluster_server.logs"})));

  const std::string text = RenderPlanText(p);
  EXPECT_THAT(text, HasSubstr("These clusters will restart: logs (once, for 2 changes)\n"
                              "(changes that restart the same cluster are applied together: "
                              "one restart for them all)\n"));

  const Value j = PlanToJson(p);
  EXPECT_EQ(j["restart_groups"], Value::parse(R"([{"provider": "eck", "cluster": "logs",
      "members": ["eck_remote_client_tls.logs", "eck_remote_cluster_server.logs"]}])"));
  EXPECT_EQ(j["restart_counts"], Value::parse(R"({"logs": {"restarts": 1, "changes": 2}})"));
}

TEST_F(RestartGroupPlanTest, RestartGroupPlanGolden) {
  eck_.SetRestarts("eck_remote_client_tls");
  testing::ExpectGolden("plan_restart_group.txt",
                        RenderPlanText(MakeOk(WithClientTls(Expand({kAnalytics})))));
}

TEST_F(RestartGroupPlanTest, DestroyGroupsTheDeletesOfOneCluster) {
  eck_.SetRestarts("eck_remote_client_tls");
  const auto specs = WithClientTls(Expand({kAnalytics}));
  Converge(specs);
  PlanOptions opts;
  opts.destroy = true;
  Plan p = MakeOk(specs, opts);
  EXPECT_THAT(
      p.restart_groups,
      ElementsAre(Group("logs", {"eck_remote_client_tls.logs", "eck_remote_cluster_server.logs"})));
  EXPECT_THAT(RenderPlanText(p), HasSubstr("These clusters will restart: logs (once, for 2 "
                                           "changes)\n"));
}

TEST_F(RestartGroupPlanTest, SavedPlanKeepsTheGroups) {
  eck_.SetRestarts("eck_remote_client_tls");
  PlanOptions opts;
  opts.topology_digest = std::string(64, 'b');
  Plan p = MakeOk(WithClientTls(Expand({kAnalytics})), opts);
  ASSERT_EQ(p.restart_groups.size(), 1u);
  fakes::MemFileSystem fs;
  ASSERT_TRUE(WritePlanFile(fs, "/p.plan", p).ok());
  Result<Plan> read = ReadPlanFile(fs, "/p.plan");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->restart_groups, p.restart_groups);
  EXPECT_EQ(read->format_version, kPlanFormatVersion);
  // The staleness check is unchanged.
  EXPECT_TRUE(CheckPlanFresh(*read, state_.lineage, state_.serial, opts.topology_digest).ok());
  EXPECT_FALSE(CheckPlanFresh(*read, state_.lineage, state_.serial, "other").ok());

  // A malformed group is refused with the field named.
  Value doc = PlanToFileJson(p);
  doc["restart_groups"][0]["members"] = 3;
  fs.SetFile("/bad.plan", DumpJson(doc));
  Result<Plan> bad = ReadPlanFile(fs, "/bad.plan");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("restart group of cluster \"logs\""));
  EXPECT_THAT(bad.status().message(), HasSubstr("members"));
}

}  // namespace
}  // namespace crosslink::plan
