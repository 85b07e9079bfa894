// Restart groups from the real expansion: two ECK clusters connected both
// ways (API key model), in two environments and under one operator, planned
// by the real planner and applied, with one fake platform registered under
// every provider name. Each cluster restarts once: one group per cluster,
// and the groups do not wait for each other.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "engine/apply/apply.h"
#include "engine/graph/catalogue.h"
#include "engine/graph/expand.h"
#include "engine/plan/planner.h"
#include "engine/plan/render.h"
#include "providers/fake/fake_provider.h"
#include "tests/engine/apply/apply_test_support.h"
#include "tests/engine/graph/topology_fixture.h"

namespace crosslink::apply {
namespace {

using graph::testing::TopologyBuilder;
using providers::fake::FakeProvider;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using topology::Platform;

class RestartGroupExpandTest : public ::testing::Test {
 protected:
  RestartGroupExpandTest() : fake_("eck") {
    providers_.Add(&fake_);
    providers_.AddAs("elasticsearch", &fake_);
    opts_.jitter_seed = 3;
    // Like the real providers, the fake says which changes restart (deletes too).
    std::set<std::string> restarting;
    for (const graph::ResourceTypeInfo& t : graph::ResourceCatalogue()) {
      if (t.restarts_cluster) restarting.insert(t.type);
    }
    fake_.SetRestarts(std::move(restarting));
  }

  // a <-> b, both ECK; one environment or two.
  std::vector<graph::ResourceSpec> ExpandBothWays(bool same_operator) {
    TopologyBuilder b;
    b.Environment("k8s-a", Platform::kEck);
    b.Environment("k8s-b", Platform::kEck);
    b.Cluster("a", Platform::kEck, "k8s-a");
    b.Cluster("b", Platform::kEck, same_operator ? "k8s-a" : "k8s-b");
    b.Connect("a", "b", "b");
    b.Connect("b", "a", "a");
    Diagnostics diags;
    std::optional<graph::ResourceGraph> g = graph::Expand(b.topology(), &diags);
    EXPECT_TRUE(g.has_value()) << diags.ToString();
    if (!g) return {};
    fake_.LearnOutputs(g->resources());
    return g->resources();
  }

  plan::Plan MakePlan(const std::vector<graph::ResourceSpec>& specs, bool destroy = false) {
    plan::PlanOptions opts;
    opts.destroy = destroy;
    Result<plan::Plan> p = plan::MakePlan(specs, state_, providers_, opts);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : plan::Plan{};
  }

  ApplySummary Run(const plan::Plan& p) {
    return Apply(p, state_, backend_, providers_, clock_, opts_, nullptr);
  }

  static std::vector<std::string> GroupClusters(const plan::Plan& p) {
    std::vector<std::string> out;
    for (const plan::RestartGroup& g : p.restart_groups)
      out.push_back(g.provider + "/" + g.cluster);
    return out;
  }

  FakeProvider fake_;
  providers::ProviderSet providers_;
  test_support::MemoryBackend backend_;
  FakeClock clock_;
  ApplyOptions opts_;
  state::State state_;
};

TEST_F(RestartGroupExpandTest, EckToEckBothWaysInTwoEnvironmentsRestartsEachClusterOnce) {
  const auto specs = ExpandBothWays(/*same_operator=*/false);
  const plan::Plan p = MakePlan(specs);
  ASSERT_THAT(GroupClusters(p), ElementsAre("eck/a", "eck/b"));
  EXPECT_THAT(p.restart_groups[0].members,
              ElementsAre("eck_remote_cluster_server.a", "eck_remote_client_tls.a",
                          "eck_remote_credential.a.b"));
  EXPECT_THAT(p.restart_groups[1].members,
              ElementsAre("eck_remote_cluster_server.b", "eck_remote_client_tls.b",
                          "eck_remote_credential.b.a"));
  EXPECT_THAT(plan::RenderPlanText(p),
              HasSubstr("These clusters will restart: a (once, for 3 changes), "
                        "b (once, for 3 changes)\n"));

  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "" : s.failures[0].message);
  const auto groups = fake_.calls("group");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(state_.resources.size(), specs.size());
  // Converged: the next plan has nothing to do and no group.
  const plan::Plan again = MakePlan(specs);
  EXPECT_FALSE(again.HasChanges());
  EXPECT_THAT(again.restart_groups, IsEmpty());

  // Destroy restarts each cluster once too.
  fake_.ClearCalls();
  const plan::Plan destroy = MakePlan(specs, /*destroy=*/true);
  EXPECT_THAT(GroupClusters(destroy), ElementsAre("eck/a", "eck/b"));
  ApplySummary d = Run(destroy);
  ASSERT_TRUE(d.ok()) << (d.failures.empty() ? "" : d.failures[0].message);
  EXPECT_EQ(fake_.calls("group").size(), 2u);
  EXPECT_THAT(state_.resources, IsEmpty());
}

// The edge the expansion no longer has (the key on an ECK remote waiting for
// the remote's server) would make the two groups wait for each other: the
// planner then dissolves both rather than produce a plan that cannot run.
TEST_F(RestartGroupExpandTest, KeyWaitingForTheEckServerWouldBeACycleAndDissolvesTheGroups) {
  auto specs = ExpandBothWays(/*same_operator=*/false);
  for (graph::ResourceSpec& s : specs) {
    if (s.address == "es_cross_cluster_api_key.a.b") s.depends_on = {"eck_remote_cluster_server.b"};
    if (s.address == "es_cross_cluster_api_key.b.a") s.depends_on = {"eck_remote_cluster_server.a"};
  }
  Diagnostics diags;
  std::optional<graph::ResourceGraph> g = graph::ResourceGraph::Build(specs, &diags);
  ASSERT_TRUE(g.has_value()) << diags.ToString();
  const plan::Plan p = MakePlan(g->resources());
  EXPECT_THAT(p.restart_groups, IsEmpty());
  EXPECT_THAT(plan::RenderPlanText(p),
              HasSubstr("These clusters will restart: a (3 times: 3 times for 1 change each), "
                        "b (3 times: 3 times for 1 change each)\n"));
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "" : s.failures[0].message);
  EXPECT_THAT(fake_.calls("group"), IsEmpty());
}

TEST_F(RestartGroupExpandTest, SameOperatorBothWaysRestartsEachClusterOnce) {
  const auto specs = ExpandBothWays(/*same_operator=*/true);
  const plan::Plan p = MakePlan(specs);
  ASSERT_THAT(GroupClusters(p), ElementsAre("eck/a", "eck/b"));
  EXPECT_THAT(p.restart_groups[0].members,
              ElementsAre("eck_remote_cluster_server.a", "eck_same_operator_remote.a.b"));
  EXPECT_THAT(p.restart_groups[1].members,
              ElementsAre("eck_remote_cluster_server.b", "eck_same_operator_remote.b.a"));
  // The check of a -> b waits for b's server (and a's entry).
  for (const plan::ResourceChange& c : p.changes) {
    if (c.address == "es_remote_connection_check.a.b") {
      EXPECT_THAT(c.wait_for,
                  ElementsAre("eck_remote_cluster_server.b", "eck_same_operator_remote.a.b"));
    }
  }
  ApplySummary s = Run(p);
  ASSERT_TRUE(s.ok()) << (s.failures.empty() ? "" : s.failures[0].message);
  EXPECT_EQ(fake_.calls("group").size(), 2u);
}

}  // namespace
}  // namespace crosslink::apply
