// The shared part of the provider contract: DefaultPlan, ChangeActionName,
// ProviderSet.

#include "providers/provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/engine/plan/plan_test_support.h"

namespace crosslink::providers {
namespace {

using graph::ResourceMode;
using ::testing::ElementsAre;

class DefaultPlanTest : public ::testing::Test {
 protected:
  DefaultPlanTest() {
    spec_.address = "t.a";
    spec_.type = "t";
    spec_.attributes = {{"x", 1}, {"y", "b"}};
    prior_.address = "t.a";
    prior_.attributes = {{"x", 1}, {"y", "b"}};
    live_.exists = true;
    live_.attributes = {{"x", 1}, {"y", "b"}, {"someone_elses", true}};
  }
  PlanResponse Run(const graph::ResourceSpec* desired, const state::ResourceState* prior,
                   const LiveObject* live) {
    PlanRequest req;
    req.desired = desired;
    req.prior = prior;
    req.live = live;
    if (desired != nullptr) req.attributes = desired->attributes;
    return Provider::DefaultPlan(req);
  }
  graph::ResourceSpec spec_;
  state::ResourceState prior_;
  LiveObject live_;
};

TEST_F(DefaultPlanTest, EqualDesiredKeysAreNoOpWhateverElseIsLive) {
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kNoOp);
}

TEST_F(DefaultPlanTest, ChangedValueIsAnUpdate) {
  live_.attributes["x"] = 2;
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kUpdate);
  live_.attributes = {{"x", 1}};  // y missing
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kUpdate);
}

TEST_F(DefaultPlanTest, UnresolvedReferenceCountsAsAChange) {
  spec_.attributes["y"] = graph::MakeRef("o.b", "id");
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kUpdate);
  spec_.mode = ResourceMode::kData;
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kRead);
}

TEST_F(DefaultPlanTest, MissingObjectIsCreatedOrRead) {
  LiveObject gone;
  EXPECT_EQ(Run(&spec_, &prior_, &gone).action, ChangeAction::kCreate);
  EXPECT_EQ(Run(&spec_, nullptr, nullptr).action, ChangeAction::kCreate);
  spec_.mode = ResourceMode::kCheck;
  EXPECT_EQ(Run(&spec_, nullptr, nullptr).action, ChangeAction::kCreate);
  spec_.mode = ResourceMode::kData;
  EXPECT_EQ(Run(&spec_, nullptr, &gone).action, ChangeAction::kRead);
}

TEST_F(DefaultPlanTest, WithoutRefreshComparesAgainstPriorState) {
  EXPECT_EQ(Run(&spec_, &prior_, nullptr).action, ChangeAction::kNoOp);
  prior_.attributes["x"] = 7;
  EXPECT_EQ(Run(&spec_, &prior_, nullptr).action, ChangeAction::kUpdate);
}

TEST_F(DefaultPlanTest, NotDesiredIsDeletedWhenManaged) {
  EXPECT_EQ(Run(nullptr, &prior_, &live_).action, ChangeAction::kDelete);
  EXPECT_EQ(Run(nullptr, nullptr, &live_).action, ChangeAction::kDelete);  // an orphan
  prior_.mode = ResourceMode::kData;
  EXPECT_EQ(Run(nullptr, &prior_, nullptr).action, ChangeAction::kNoOp);
}

TEST_F(DefaultPlanTest, RemovedOptionalAttributeIsApplied) {
  // The topology no longer sets "y", which crosslink set last time.
  spec_.attributes = {{"x", 1}};
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kUpdate);
  EXPECT_EQ(Run(&spec_, &prior_, nullptr).action, ChangeAction::kUpdate);  // -refresh=false
  // Already gone from the object: nothing left to remove.
  live_.attributes.erase("y");
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kNoOp);
  // A key crosslink never managed (not in prior) is someone else's.
  live_.attributes["y"] = "b";
  prior_.attributes.erase("y");
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kNoOp);
}

// A shared (lists merged) resource's lists are unions whose order follows
// the topology's connections: reordered items are no change, other items are.
TEST_F(DefaultPlanTest, ListsOfMergedResourcesCompareAsSets) {
  spec_.type = "self_trust_restrictions";  // shared (lists merged)
  spec_.attributes = {{"subject_names", {"a", "b", "c"}}};
  live_.attributes = {{"subject_names", {"c", "a", "b"}}};
  prior_.attributes = live_.attributes;
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kNoOp);
  live_.attributes = {{"subject_names", {"a", "b"}}};
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kUpdate);
  live_.attributes = {{"subject_names", {"a", "b", "d"}}};
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kUpdate);
  // Elsewhere the order is the value's.
  spec_.type = "es_remote_cluster";
  spec_.attributes = {{"seeds", {"a:9300", "b:9300"}}};
  live_.attributes = {{"seeds", {"b:9300", "a:9300"}}};
  EXPECT_EQ(Run(&spec_, &prior_, &live_).action, ChangeAction::kUpdate);
}

TEST(ChangeActionNameTest, NamesEveryAction) {
  EXPECT_STREQ(ChangeActionName(ChangeAction::kNoOp), "no-op");
  EXPECT_STREQ(ChangeActionName(ChangeAction::kCreate), "create");
  EXPECT_STREQ(ChangeActionName(ChangeAction::kUpdate), "update");
  EXPECT_STREQ(ChangeActionName(ChangeAction::kReplace), "replace");
  EXPECT_STREQ(ChangeActionName(ChangeAction::kDelete), "delete");
  EXPECT_STREQ(ChangeActionName(ChangeAction::kRead), "read");
}

TEST(ProviderSetTest, FindsByNameAndAlias) {
  plan::testing::World world;
  plan::testing::TestProvider eck("eck", &world);
  ProviderSet set;
  set.Add(&eck);
  set.AddAs("ech", &eck);
  EXPECT_EQ(set.Find("eck"), &eck);
  EXPECT_EQ(set.Find("ech"), &eck);
  EXPECT_EQ(set.Find("ece"), nullptr);
  EXPECT_THAT(set.names(), ElementsAre("ech", "eck"));
}

}  // namespace
}  // namespace crosslink::providers
